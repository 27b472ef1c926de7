/* repr.c - Python's repr() of the manager's values (see protocol.h), for
 * the lessons' output and for the server's KeyError message. Pure, like
 * protocol.c: text into a buffer the caller owns, never past its end.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

/* Python's repr(): ints and None as such; floats as the shortest text that
 * reads back as the same double ("0.25", "1.0", "inf"); strings in single
 * quotes with \\, \' and unprintable bytes escaped (Python would print a
 * non-ASCII character itself; we escape every byte above 0x7e). */
size_t mgr_value_repr(const struct mgr_value *v, char *buf, size_t cap)
{
    size_t n = 0;
    int k;

    if (cap == 0)
        return 0;
    buf[0] = '\0';
    switch (v->type) {
    case MGR_NONE:
        k = snprintf(buf, cap, "None");
        break;
    case MGR_INT:
        k = snprintf(buf, cap, "%lld", (long long)v->i);
        break;
    case MGR_FLOAT:
        if (isnan(v->f))
            k = snprintf(buf, cap, "nan");
        else if (isinf(v->f))
            k = snprintf(buf, cap, v->f > 0 ? "inf" : "-inf");
        else {
            /* The fewest significant digits that read back as the same
             * double, then Python's layout: plain from 1e-4 up to 1e16,
             * with at least one decimal ("1.0"); an exponent outside. */
            char text[48];
            int digits, exp10;
            for (digits = 1; digits < 17; digits++) {
                snprintf(text, sizeof text, "%.*e", digits - 1, v->f);
                if (strtod(text, NULL) == v->f)
                    break;
            }
            snprintf(text, sizeof text, "%.*e", digits - 1, v->f);
            exp10 = atoi(strchr(text, 'e') + 1);
            if (exp10 >= -4 && exp10 < 16) {
                int decimals = digits - 1 - exp10;
                snprintf(text, sizeof text, "%.*f", decimals > 0 ? decimals : 0, v->f);
                if (strchr(text, '.') == NULL)
                    strcat(text, ".0");
            }
            k = snprintf(buf, cap, "%s", text);
        }
        break;
    case MGR_STR:
        buf[n++] = '\'';
        for (size_t i = 0; i < v->len && n + 5 < cap; i++) {
            unsigned char c = (unsigned char)v->str[i];
            if (c == '\\' || c == '\'')
                n += (size_t)snprintf(buf + n, cap - n, "\\%c", c);
            else if (c == '\n')
                n += (size_t)snprintf(buf + n, cap - n, "\\n");
            else if (c < 0x20 || c > 0x7e)
                n += (size_t)snprintf(buf + n, cap - n, "\\x%02x", c);
            else
                buf[n++] = (char)c;
        }
        if (n + 1 < cap)
            buf[n++] = '\'';
        buf[n < cap ? n : cap - 1] = '\0';
        return n < cap ? n : cap - 1;
    default:
        k = snprintf(buf, cap, "?");
        break;
    }
    if (k < 0)
        return 0;
    return (size_t)k < cap ? (size_t)k : cap - 1;
}

size_t mgr_values_repr(const struct mgr_value *v, size_t n, int as_dict,
                       char *buf, size_t cap)
{
    size_t len = 0;
    char one[128];

    if (cap < 8) {
        if (cap > 0)
            buf[0] = '\0';
        return 0;
    }
    buf[len++] = as_dict ? '{' : '[';
    for (size_t i = 0; i < n; i++) {
        const char *sep = i == 0 ? "" : as_dict && i % 2 == 1 ? ": " : ", ";
        size_t k = mgr_value_repr(&v[i], one, sizeof one);
        if (len + strlen(sep) + k + 5 > cap) {
            memcpy(buf + len, "...", 3);        /* cut: say so */
            len += 3;
            break;
        }
        memcpy(buf + len, sep, strlen(sep));
        len += strlen(sep);
        memcpy(buf + len, one, k);
        len += k;
    }
    buf[len++] = as_dict ? '}' : ']';
    buf[len] = '\0';
    return len;
}

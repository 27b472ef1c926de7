/* request_fuzz.c - fuzz target for the manager's request parser,
 * request_parse() in chapters/09-manager/protocol.c: the first code that
 * touches the bytes a client sends to the manager's server.
 *
 * The input is a request body as it arrives in a frame. Checked:
 *   - request_parse never reads outside the body (the body sits in a heap
 *     block of exactly its size: AddressSanitizer sees one byte too many),
 *     and never crashes or hangs;
 *   - a refused body has a reason (out->why);
 *   - an accepted body is exactly what request_encode() makes of the parsed
 *     request (the header's promise: it accepts exactly what request_encode
 *     can produce), and every parsed value can be shown with
 *     mgr_value_repr() into a small buffer without overflowing it.
 * A broken promise aborts, which libFuzzer reports as a crash.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "request_fuzz: broken promise: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct request req;
    unsigned char *body = malloc(size ? size : 1);
    unsigned char *again;
    size_t n;

    check(body != NULL, "malloc");
    memcpy(body, data, size);
    memset(&req, 0, sizeof req);
    if (request_parse(body, size, &req) != 0) {
        check(req.why != NULL && req.why[0] != '\0', "a refused request says why");
        free(body);
        return 0;
    }
    check(size <= MGR_MAX_REQUEST, "an accepted request is within MGR_MAX_REQUEST");
    check(req.nargs >= 0 && req.nargs <= MGR_MAX_ARGS, "nargs within MGR_MAX_ARGS");
    for (int i = 0; i < req.nargs; i++) {
        char small[12], big[256];
        size_t len = mgr_value_repr(&req.arg[i], small, sizeof small);

        check(len < sizeof small && small[len] == '\0', "repr fits its buffer");
        len = mgr_value_repr(&req.arg[i], big, sizeof big);
        check(len < sizeof big && big[len] == '\0', "repr fits its buffer");
        if (req.arg[i].type == MGR_STR)
            check(req.arg[i].str >= (const char *)body
                  && req.arg[i].str + req.arg[i].len <= (const char *)body + size,
                  "a string points inside the body");
    }
    again = malloc(size ? size : 1);
    check(again != NULL, "malloc");
    n = request_encode(again, size, req.op, req.id, req.arg, req.nargs);
    check(n == size && memcmp(again, body, size) == 0,
          "an accepted request is what request_encode makes of it");
    free(again);
    free(body);
    return 0;
}

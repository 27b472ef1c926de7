/* replay.c - run a fuzz target over files, without libFuzzer: how the
 * corpus and the regression inputs are checked by the bats suite (with
 * any compiler, under valgrind or a sanitizer).
 *
 * Usage: replay FILE...    (each file is one input; exit 0 when all pass;
 * a broken promise aborts, as in the fuzzer)
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char *argv[])
{
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        unsigned char *data = NULL;
        size_t size = 0, cap = 0, n;

        if (f == NULL) {
            perror(argv[i]);
            return 1;
        }
        do {
            if (size == cap) {
                unsigned char *more = realloc(data, cap = cap * 2 + 4096);
                if (more == NULL) {
                    perror("realloc");
                    return 1;
                }
                data = more;
            }
            n = fread(data + size, 1, cap - size, f);
            size += n;
        } while (n > 0);
        fclose(f);
        /* An exact-size copy, so that a read past the end is caught. */
        unsigned char *exact = malloc(size ? size : 1);
        if (exact == NULL) {
            perror("malloc");
            return 1;
        }
        for (size_t k = 0; k < size; k++)
            exact[k] = data[k];
        LLVMFuzzerTestOneInput(exact, size);
        free(exact);
        free(data);
    }
    printf("replayed %d inputs\n", argc - 1);
    return 0;
}

/* fork_buffering.c - why a line printed once can come out twice.
 *
 * printf() does not write: it appends to a buffer in the process's memory,
 * and stdio writes the buffer out later. On a terminal stdout is flushed at
 * each newline, but into a pipe or a file it is flushed only when the
 * buffer fills or the process exits. fork() copies the whole memory,
 * buffer included: parent and child each hold the unwritten line, and each
 * writes it at exit. That is what happens to a test harness, which reads
 * output through a pipe.
 *
 *   -m broken  printf, fork, both sides exit(): the line is duplicated
 *              whenever stdout is not a terminal
 *   -m flush   fflush(stdout) before fork, and the child ends with _exit():
 *              the buffer is empty when it is copied
 *   -m write   the workbook's way (say()): each line is formatted and handed
 *              to the kernel at once with write(2); there is no buffer to copy
 *
 * Python:  print() before os.fork() without flush=True (fork_buffering.py)
 * Usage:   ./fork_buffering [-m broken|flush|write]
 * Try:     ./fork_buffering | cat      ./fork_buffering > out.txt; cat out.txt
 * Look for: with -m broken, "printed once, before fork" twice through a pipe
 *           or into a file, once on a terminal; once with the other modes.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

enum mode { BROKEN, FLUSH, WRITE };

int main(int argc, char *argv[])
{
    enum mode mode = BROKEN;
    int opt;
    pid_t pid;

    prog_init(argc, argv, "[-m broken|flush|write]\n"
              "  -m broken|flush|write  fork with the line buffered, flushed, or unbuffered "
              "(default broken)\n"
              "Python: print() before os.fork() without flush=True (twin: fork_buffering.py)");
    while ((opt = get_option(argc, argv, "m:")) != -1) {
        if (strcmp(optarg, "broken") == 0)
            mode = BROKEN;
        else if (strcmp(optarg, "flush") == 0)
            mode = FLUSH;
        else if (strcmp(optarg, "write") == 0)
            mode = WRITE;
        else
            usage_error("-m wants broken, flush or write, not '%s'", optarg);
    }
    no_operands(argc, argv);

    /* C11 (7.21.3) says that stdout is fully buffered when it is not a
     * terminal, not WHEN the C library finds that out: glibc does before
     * the first line, musl only after writing the first line out. So the
     * buffering is set here, by the standard's rule, before any output: the
     * same lesson on every C library. */
    if (mode != WRITE)
        setvbuf(stdout, NULL, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, BUFSIZ);

    if (mode == WRITE)
        say("printed once, before fork (pid %ld)", (long)getpid());
    else
        printf("printed once, before fork (pid %ld)\n", (long)getpid());
    if (mode == FLUSH)
        fflush(stdout);         /* empty the buffer before fork copies it */

    pid = fork();
    if (pid == -1)
        die("fork");
    if (pid == 0) {
        if (mode == WRITE) {
            say("child  (%ld): done", (long)getpid());
            _exit(0);
        }
        printf("child  (%ld): done\n", (long)getpid());
        if (mode == FLUSH) {
            fflush(stdout);     /* our own line, written on purpose */
            _exit(0);           /* and nothing else: no buffer flushed at exit */
        }
        exit(0);                /* BROKEN: exit() flushes the inherited buffer too */
    }

    if (waitpid(pid, NULL, 0) == -1)
        die("waitpid");
    if (mode == WRITE)
        say("parent (%ld): done", (long)getpid());
    else
        printf("parent (%ld): done\n", (long)getpid());
    return 0;                   /* returning from main calls exit(), which flushes */
}

/* fork_isolation.c - after fork(), parent and child have separate memory.
 *
 * A global `age` is 22. The child sets it to 23 and prints it; the parent,
 * before and after the child has ended, still sees 22. Both print the
 * variable's address: it is the SAME virtual address in both processes, yet
 * it holds different values, because each process has its own copy of the
 * memory (the kernel copies a page when one side first writes to it).
 *
 * Python:  a global changed in a Process is unchanged in the parent
 *          (fork_isolation.py)
 * Usage:   ./fork_isolation [-a AGE]
 * Look for: child age = AGE+1, parent age = AGE before and after the child
 * ends; the same address on both sides. Racy: where the child's line falls
 * against the parent's "while the child runs"; the parent's last line
 * waits for the child to end.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static long age = 22;           /* one variable, soon two copies of it */

int main(int argc, char *argv[])
{
    int opt;
    pid_t pid;

    prog_init(argc, argv, "[-a AGE]\n"
              "  -a AGE  the global's value before fork; the child adds 1 to its copy "
              "(default 22)\n"
              "Python: a global changed in a multiprocessing.Process (twin: fork_isolation.py)");
    while ((opt = get_option(argc, argv, "a:")) != -1)
        age = arg_long(optarg, opt, 0, 150);
    no_operands(argc, argv);

    say("parent (%ld): age = %ld at %p, before fork", (long)getpid(), age,
        (void *)&age);

    pid = fork();
    if (pid == -1)
        die("fork");
    if (pid == 0) {
        age += 1;               /* changes the child's copy only */
        say("child  (%ld): age = %ld at %p, after age += 1", (long)getpid(),
            age, (void *)&age);
        _exit(0);
    }

    /* Racy: this line may come before or after the child's. */
    say("parent (%ld): age = %ld at %p, while the child runs", (long)getpid(),
        age, (void *)&age);
    if (waitpid(pid, NULL, 0) == -1)
        die("waitpid");
    /* Guaranteed: the child has ended, and our copy was never touched. */
    say("parent (%ld): age = %ld at %p, after the child ended", (long)getpid(),
        age, (void *)&age);
    return 0;
}

/* process_class.c - "subclass Process and override run()", in C.
 *
 * C has no classes, but the idea is plain: a struct with a run function
 * pointer is the base "class"; a bigger struct that starts with it is the
 * "subclass", and its own run function reads the extra fields. start()
 * forks and calls run() in the child. Calling run() directly is just a
 * function call: it runs in the parent, which is a classic mistake.
 *
 * Python:  class ClockProcess(Process): def run(self): ...
 *          p.start() against p.run()   (process_class.py)
 * Usage:   ./process_class [-c TICKS]
 * Look for: run() called directly prints the parent's pid; after start()
 * it prints the child's pid. Nothing racy: the parent joins before it
 * prints again.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

/* The base "class": what every process has. */
struct process {
    const char *name;
    pid_t pid;
    void (*run)(struct process *self);  /* the method a subclass overrides */
};

/* start(): run self->run in a new process. */
static void process_start(struct process *self)
{
    self->pid = fork();
    if (self->pid == -1)
        die("fork");
    if (self->pid == 0) {
        self->run(self);
        _exit(0);               /* the child must never return from start() */
    }
}

static int process_join(struct process *self)
{
    int status;

    if (waitpid(self->pid, &status, 0) == -1)
        die("waitpid");
    return exitcode_of(status);
}

/* The "subclass": a process that ticks like a clock. The base comes first,
 * so a pointer to a clock_process is also a pointer to its process. */
struct clock_process {
    struct process base;
    long ticks;
    double interval;
};

static void clock_run(struct process *self)
{
    struct clock_process *clock = (struct clock_process *)self;

    for (long i = 1; i <= clock->ticks; i++) {
        say("%s.run(): tick %ld/%ld in pid %ld", self->name, i, clock->ticks,
            (long)getpid());
        pace(clock->interval);
    }
}

int main(int argc, char *argv[])
{
    struct clock_process clock = {
        .base = { .name = "ClockProcess", .pid = 0, .run = clock_run },
        .ticks = 3,
        .interval = 0.5,
    };
    int opt, code;

    prog_init(argc, argv, "[-c TICKS]\n"
              "  -c TICKS  ticks of run(), once called directly, once in a child (default 3)\n"
              "Python: a subclass of multiprocessing.Process that overrides run() "
              "(twin: process_class.py)");
    while ((opt = get_option(argc, argv, "c:")) != -1)
        clock.ticks = arg_long(optarg, opt, 1, 100);
    no_operands(argc, argv);

    say("main: pid %ld", (long)getpid());

    say("main: calling run() directly: no new process");
    clock.base.run(&clock.base);

    say("main: calling start(): run() in a child");
    process_start(&clock.base);
    code = process_join(&clock.base);
    say("main: joined child %ld, exitcode %d", (long)clock.base.pid, code);
    return 0;
}

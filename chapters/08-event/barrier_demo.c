/* barrier_demo.c - a Barrier: no process passes until all have arrived.
 *
 * WORKERS processes each do some work (worker N takes N times longer than
 * worker 1), say "arrived", and wait at a process-shared barrier. The
 * last to arrive lets them all through; each says "passed". The barrier
 * then resets itself for the next round. One process per round is told
 * it is the chosen one (PTHREAD_BARRIER_SERIAL_THREAD; Python's wait()
 * returns 0 to one process): handy when one of them should do a job
 * once per round.
 *
 * Python:  b = multiprocessing.Barrier(3); b.wait()   (barrier_demo.py)
 * Usage:   ./barrier_demo [-n WORKERS] [-c ROUNDS]
 * Look for: in each round, every "arrived" line comes before every
 * "passed" line, and exactly one "passed" line says "(chosen)". Racy: the
 * order of the "passed" lines, and which worker is chosen.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

#include "common.h"
#include "event.h"              /* start_line_* */

#define MAX_WORKERS 16

static void worker(pthread_barrier_t *barrier, int n, long rounds)
{
    char label[16];
    int err;

    snprintf(label, sizeof label, "worker %d", n);
    for (long round = 1; round <= rounds; round++) {
        pace(0.3 * n);          /* the work: longer for higher n */
        /* Say it BEFORE waiting: the last "arrived" line is then written
         * before anyone can pass. */
        say("%-10s (%ld): round %ld: arrived", label, (long)getpid(), round);
        err = pthread_barrier_wait(barrier);
        if (err == PTHREAD_BARRIER_SERIAL_THREAD)
            say("%-10s (%ld): round %ld: passed (chosen)", label, (long)getpid(), round);
        else if (err == 0)
            say("%-10s (%ld): round %ld: passed", label, (long)getpid(), round);
        else
            check_pthread(err, "pthread_barrier_wait");
    }
}

int main(int argc, char *argv[])
{
    long workers = 3, rounds = 2;
    pid_t pids[MAX_WORKERS];
    pthread_barrierattr_t attr;
    pthread_barrier_t *barrier;
    int start[2];
    int opt;

    prog_init(argc, argv, "[-n WORKERS] [-c ROUNDS]\n"
              "  -n WORKERS  processes that meet at the barrier (default 3)\n"
              "  -c ROUNDS   rounds: work, then wait at the barrier (default 2)\n"
              "Python: multiprocessing.Barrier, wait (twin: barrier_demo.py)");
    while ((opt = get_option(argc, argv, "n:c:")) != -1) {
        if (opt == 'n')
            workers = arg_long(optarg, opt, 1, MAX_WORKERS);
        else
            rounds = arg_long(optarg, opt, 1, 100);
    }
    no_operands(argc, argv);

    /* A barrier for WORKERS processes, in shared memory, process-shared. */
    barrier = shared_alloc(sizeof *barrier);
    check_pthread(pthread_barrierattr_init(&attr), "pthread_barrierattr_init");
    check_pthread(pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED),
                  "pthread_barrierattr_setpshared");
    check_pthread(pthread_barrier_init(barrier, &attr, (unsigned)workers),
                  "pthread_barrier_init");
    check_pthread(pthread_barrierattr_destroy(&attr), "pthread_barrierattr_destroy");

    say("%-10s (%ld): %ld workers, %ld rounds; none passes a round until all have arrived",
        "main", (long)getpid(), workers, rounds);
    /* The workers wait at a starting line (event.c) until all exist: if
     * main died after starting only some of them, those would wait at the
     * barrier for ever for the others. */
    start_line_open(start);
    for (int i = 0; i < workers; i++) {
        pids[i] = fork();
        if (pids[i] == -1)
            die("fork");
        if (pids[i] == 0) {
            if (!start_line_wait(start))
                _exit(1);       /* main died before the start: leave */
            worker(barrier, i + 1, rounds);
            _exit(0);           /* the child's work is done: not the parent's code */
        }
    }
    start_line_go(start, (int)workers);
    if (join_all(pids, workers) != 0)
        fatal("a worker failed: the others were stopped and joined");
    say("%-10s (%ld): all %ld workers finished %ld rounds", "main", (long)getpid(),
        workers, rounds);

    check_pthread(pthread_barrier_destroy(barrier), "pthread_barrier_destroy");
    shared_free(barrier, sizeof *barrier);
    return 0;
}

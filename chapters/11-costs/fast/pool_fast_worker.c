/* pool_fast_worker.c - the fast Pool's worker side: fork a worker with its
 * two pipes, the loop it runs (read whatever task messages the pipe holds,
 * run them in order, answer each with one message), and reaping a worker.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "frame.h"
#include "pool_fast_impl.h"

/* The worker's buffers: room for two of the largest task messages (one
 * whole, one begun) and one answer. Static: they are used only in a worker,
 * and a page is touched only when it is used; they also stay reachable when
 * a task ends the worker midway (_exit in a task, terminate's SIGTERM). */
static unsigned char in[2 * (FRAME_HEADER + FRAME_MAX)];
static unsigned char out[FRAME_HEADER + FRAME_MAX];

/* pool_fail's message: one worker runs one task at a time, so one buffer
 * per process is enough. */
static char fail_message[POOL_ERROR_MAX];
static int fail_set;

int pool_fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(fail_message, sizeof fail_message, fmt, ap);
    va_end(ap);
    fail_set = 1;
    return -1;
}

/* Run the items of the task message at msg; its answer, one frame, goes to
 * `out`. Returns the frame's length. */
static size_t run_task(const unsigned char *msg)
{
    static max_align_t arg[POOL_MAX_ARG / sizeof(max_align_t)];    /* aligned for */
    static max_align_t res[POOL_MAX_RESULT / sizeof(max_align_t)]; /* any type */
    struct task_head h;
    size_t at = FRAME_HEADER;

    memcpy(&h, msg, sizeof h);
    for (uint32_t i = 0; i < h.count; i++) {
        size_t got = h.result_cap;
        struct item_head ih;

        /* A copy: the task's argument is aligned wherever it sits in the message. */
        memcpy(arg, msg + sizeof h + (size_t)i * h.arg_size, h.arg_size);
        fail_set = 0;
        int rc = h.fn(arg, h.arg_size, res, &got);
        if (rc == 0 && got > h.result_cap)
            rc = pool_fail("the task wrote %zu bytes of result; its room was %zu",
                           got, (size_t)h.result_cap);
        if (rc != 0 && !fail_set)
            pool_fail("the task failed (it returned %d)", rc);
        ih = (struct item_head){ rc != 0, (uint32_t)(rc != 0 ? strlen(fail_message) : got) };
        memcpy(out + at, &ih, sizeof ih);
        memcpy(out + at + sizeof ih, rc != 0 ? (void *)fail_message : res, ih.len);
        at += sizeof ih + ih.len;
    }
    frame_put_header(out, (uint32_t)(at - FRAME_HEADER));
    return at;
}

/* Run the tasks of each message in the order they come, and answer each
 * message before the next one starts: if a task kills the worker, every
 * answer before it has reached the parent, so the parent knows which task
 * it died in. One read(2) takes whatever the pipe holds, which may be
 * several messages (a batch of small tasks). The loop ends at the stop
 * message, at end of file (the parent is gone), or after maxtasks tasks
 * (not 0: the parent never sends more). */
static noreturn void worker_main(int task_fd, int result_fd, int maxtasks)
{
    size_t have = 0, off = 0, len;
    ssize_t n;
    int r, done = 0;

    for (;;) {
        while ((r = frame_parse(in + off, have - off, FRAME_MAX, &len)) == 1) {
            if (len == 0)
                _exit(0);                       /* the stop message */
            size_t answer = run_task(in + off + FRAME_HEADER);
            off += FRAME_HEADER + len;
            /* If the parent has died, this write raises SIGPIPE, whose
             * default action ends the worker: nobody wants the result. */
            if (write_all(result_fd, out, answer) == -1)
                die_child("worker %ld: send a result", (long)getpid());
            if (++done == maxtasks)             /* maxtasksperchild: the parent */
                _exit(0);                       /* sent no more; it forks another */
        }
        if (r == -1) {
            errno = EPROTO;
            die_child("worker %ld: a malformed task message", (long)getpid());
        }
        /* Slide the start of the next message to the front, so that the
         * largest message always fits, and wait for more. */
        memmove(in, in + off, have - off);
        have -= off;
        off = 0;
        do
            n = read(task_fd, in + have, sizeof in - have);
        while (n == -1 && errno == EINTR);
        if (n == -1)
            die_child("worker %ld: read tasks", (long)getpid());
        if (n == 0)
            _exit(0);                           /* end of file: the parent is gone */
        have += (size_t)n;
    }
}

/* ---- starting, reaping and forgetting workers ----------------------------- */

void pool_spawn(pool *p, int slot)
{
    struct worker *w = &p->workers[slot];
    int task[2], result[2];
    pid_t pid;

    if (pipe(task) == -1 || pipe(result) == -1)
        die("pipe");
    for (int i = 0; i < 2; i++) {   /* a command the parent runs (chapter 10) */
        set_cloexec(task[i]);       /* must not hold the pool's pipes open */
        set_cloexec(result[i]);
    }
    /* SIGINT and SIGTERM held back across fork: the worker starts with them
     * blocked, and lets them in only once its own actions are set (the
     * defaults, then init's: an initializer that ignores SIGINT leaves no
     * instant in which a Ctrl-C finds the worker without it). */
    sigset_t stops, old;
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &stops, &old) == -1)
        die("sigprocmask");
    if ((pid = fork()) == -1)
        die("fork");
    if (pid == 0) {
        /* Default actions: a parent's handler (cleanup, a goodbye) must not
         * run in a worker, and terminate's SIGTERM must simply end it. */
        if (signal(SIGINT, SIG_DFL) == SIG_ERR || signal(SIGTERM, SIG_DFL) == SIG_ERR ||
            signal(SIGPIPE, SIG_DFL) == SIG_ERR)
            die_child("signal");
        /* Keep only its own two ends: a copy of another worker's task pipe
         * would keep that worker from seeing end of file when the parent dies. */
        for (int i = 0; i < p->size; i++) {
            struct worker *other = &p->workers[i];
            if ((other->task_fd >= 0 && close(other->task_fd) == -1) ||
                (other->result_fd >= 0 && close(other->result_fd) == -1))
                die_child("close");
        }
        if (close(task[1]) == -1 || close(result[0]) == -1)
            die_child("close");
        if (p->init)
            p->init(p->init_arg);
        sigaddset(&stops, SIGPIPE);     /* whatever the parent had blocked */
        if (sigprocmask(SIG_UNBLOCK, &stops, NULL) == -1)
            die_child("sigprocmask");
        /* _exit, never exit, ends it: it is a copy of the parent, and must
         * neither flush the parent's stdio buffers nor run its atexit handlers. */
        worker_main(task[0], result[1], p->maxtasks);
    }
    if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
        die("sigprocmask");
    /* The parent sees end of file on the result pipe only when every write
     * end is closed: its own copy too. */
    if (close(task[0]) == -1 || close(result[1]) == -1)
        die("close");
    set_nonblocking(task[1]);   /* pool_flush writes what a pipe takes now */
    *w = (struct worker){ .pid = pid, .task_fd = task[1], .result_fd = result[0],
                          .left = p->maxtasks > 0 ? p->maxtasks : -1 };
}

/* Wait for a worker known to be ending (its result pipe is at end of file,
 * or it was sent SIGTERM) and describe how it ended. */
void pool_reap(struct worker *w, char *how, size_t n)
{
    int status;
    pid_t r;

    while ((r = waitpid(w->pid, &status, 0)) == -1 && errno == EINTR)
        continue;
    if (r == -1) {
        if (errno != ECHILD)
            die("waitpid %ld", (long)w->pid);
        /* Somebody else reaped it (a SIGCHLD handler, or SIGCHLD ignored). */
        snprintf(how, n, "worker %ld died", (long)w->pid);
    } else if (WIFSIGNALED(status)) {
        snprintf(how, n, "worker %ld was killed by %s", (long)w->pid,
                 signal_name(WTERMSIG(status)));
    } else {
        snprintf(how, n, "worker %ld exited with status %d", (long)w->pid,
                 WEXITSTATUS(status));
    }
}

/* The slot of a reaped worker: its pipes closed, its buffers freed. */
void pool_forget_worker(struct worker *w)
{
    if (close(w->task_fd) == -1 || close(w->result_fd) == -1)
        die("close");
    free(w->out.data);
    free(w->in.data);
    *w = (struct worker){ .pid = 0, .task_fd = -1, .result_fd = -1 };
}

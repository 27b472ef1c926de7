/* pool_worker.c - the Pool's worker side: fork a worker with its Pipe(),
 * and the loop it runs: read a task, run each of its items, send the
 * answer. Also reaping a worker that ends.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "frame.h"
#include "pool_impl.h"

/* In a worker a task comes in and its answer goes out. Static: a page is
 * touched only when used. */
static unsigned char in[FRAME_MAX], out[FRAME_MAX];
static char fail_message[POOL_ERROR_MAX];      /* a worker runs one task at a time */

int pool_fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(fail_message, sizeof fail_message, fmt, ap);
    va_end(ap);
    return -1;
}

/* Run each item of the task in `in`; their answers go to `out`, one after
 * the other. Returns the answer's length. */
static size_t run_task(void)
{
    static max_align_t arg[POOL_MAX_ARG / sizeof(max_align_t)];    /* aligned for */
    static max_align_t res[POOL_MAX_RESULT / sizeof(max_align_t)]; /* any type */
    struct task_head h;
    size_t at = 0;

    memcpy(&h, in, sizeof h);
    for (size_t i = 0; i < h.count; i++) {
        size_t got = h.result_cap;
        memcpy(arg, in + sizeof h + i * h.arg_size, h.arg_size);
        fail_message[0] = '\0';
        int rc = h.fn(arg, h.arg_size, res, &got);
        if (rc == 0 && got > h.result_cap)
            rc = pool_fail("the task wrote %zu bytes; its room was %zu", got, (size_t)h.result_cap);
        if (rc != 0 && fail_message[0] == '\0')
            pool_fail("the task failed (it returned %d)", rc);
        struct item_head ih = { rc != 0, (uint32_t)(rc != 0 ? strlen(fail_message) : got) };
        memcpy(out + at, &ih, sizeof ih);
        memcpy(out + at + sizeof ih, rc != 0 ? (void *)fail_message : res, ih.len);
        at += sizeof ih + ih.len;
    }
    return at;
}

/* One task at a time: its answer goes out before the next task is read,
 * so if a task kills its worker, there is no doubt which task it was.
 * With maxtasks (not 0), it ends after that many: the parent counts them
 * too, sends it no more, and forks its successor when it sees it end. */
static noreturn void worker_main(int fd, int maxtasks)
{
    size_t len;
    int r = 1;

    for (int done = 0; maxtasks == 0 || done < maxtasks; done++) {
        if ((r = frame_recv(fd, in, FRAME_MAX, &len)) != 1 || len == 0)
            break;
        if (frame_send(fd, out, run_task()) == -1)     /* parent gone: SIGPIPE */
            die_child("worker %ld: send an answer", (long)getpid());
    }
    if (r == -1)
        die_child("worker %ld: read a task", (long)getpid());
    _exit(0);                   /* stop, end of file (the parent is gone), or maxtasks */
}

/* ---- starting workers, and losing them -------------------------------------- */

void pool_spawn(pool *p, int slot)
{
    int sv[2];
    pid_t pid;

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
        die("socketpair");
    set_cloexec(sv[0]);         /* a command the parent runs (chapter 10) */
    set_cloexec(sv[1]);         /* must not keep a worker's Pipe() open */
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
         * run in a worker, and SIGTERM must simply end it. */
        if (signal(SIGINT, SIG_DFL) == SIG_ERR || signal(SIGTERM, SIG_DFL) == SIG_ERR ||
            signal(SIGPIPE, SIG_DFL) == SIG_ERR)
            die_child("signal");
        /* Keep only its own end: a copy of another worker's would keep that
         * worker from seeing end of file when the parent dies. */
        for (int i = 0; i < p->size; i++)
            if (p->workers[i].pid != 0 && close(p->workers[i].fd) == -1)
                die_child("close");
        if (close(sv[0]) == -1)
            die_child("close");
        if (p->init)
            p->init(p->init_arg);
        sigaddset(&stops, SIGPIPE);     /* whatever the parent had blocked */
        if (sigprocmask(SIG_UNBLOCK, &stops, NULL) == -1)
            die_child("sigprocmask");
        worker_main(sv[1], p->maxtasks);
    }
    if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
        die("sigprocmask");
    /* The parent sees end of file when the worker's end is closed in every
     * process: its own copy too. */
    if (close(sv[1]) == -1)
        die("close");
    p->workers[slot] = (struct worker){ .pid = pid, .fd = sv[0] };
}

/* Wait for a worker that is ending; say how it ended in how. */
void pool_reap(struct worker *w, char *how, size_t n)
{
    int status;
    pid_t r;

    while ((r = waitpid(w->pid, &status, 0)) == -1 && errno == EINTR)
        continue;
    if (r == -1)
        die("waitpid %ld", (long)w->pid);
    if (WIFSIGNALED(status))
        snprintf(how, n, "worker %ld was killed by %s", (long)w->pid, signal_name(WTERMSIG(status)));
    else
        snprintf(how, n, "worker %ld exited with status %d", (long)w->pid, WEXITSTATUS(status));
    if (close(w->fd) == -1)
        die("close");
    w->pid = 0;
}

/* wbrun.c - run one workbook program the way `make check` needs to watch it.
 *
 * The program starts in a fresh session (setsid: its pid is its session id
 * and its process group id), with stdin from /dev/null, no file descriptor
 * beyond 0, 1 and 2, stdout read here through a pipe line by line, stderr
 * into a file. Optionally a signal is sent after the Nth line of output
 * (waiting on output, never on a sleep). When the main process has ended,
 * wbrun waits (bounded) for every other process the program started to end
 * as well, and reports those that do not: processes still alive, zombies,
 * and processes that escaped the session (setsid, double fork) but are still
 * descendants. It kills and reaps whatever it reports.
 *
 * Usage: wbrun [-t LIMIT] [-k SIG -n LINE [-G] [-w WAIT]] [-g GRACE] [-H LINES]
 *              [-o OUT] [-e ERR] [-T TIMES] [-C DIR] -- PROGRAM [ARGS...]
 *   -t LIMIT  seconds before the main process counts as hung (default 60)
 *   -k SIG    signal to send (number), -n LINE after that many lines of
 *             output (0: at once), -G to the whole process group (as the
 *             terminal's Ctrl-C does) instead of the main process only
 *   -w WAIT   the main process must end within WAIT seconds of the signal
 *   -H LINES  read that many lines, then close the read end of the pipe, as
 *             `| head -n LINES` does: the program's next write to it fails
 *   -g GRACE  seconds the other processes get to end after the main one
 *   -o/-e     files for the program's stdout and stderr; -T a file with the
 *             time (seconds since start) at which each line of stdout came
 *   -C DIR    the program's working directory
 *   -W KIND:DIR  watch a folder (repeatable): report each entry that is in
 *             it after the run and was not before, as "new KIND PATH"
 *             (shm:/dev/shm for semaphores and shared memory, tmp:/tmp...)
 *   -X PATH   an entry never to report (the checker's own work folder)
 * Report (stdout): key=value lines, then one "leftover PID STATE COMM" line
 * per process left behind and one "new KIND PATH" line per new entry in a
 * watched folder. Exit status 0 when the report was made.
 *
 * LINUX-ONLY parts, marked below: prctl(PR_SET_CHILD_SUBREAPER) so that
 * orphans of the program are re-parented to wbrun rather than to init, and
 * the /proc scan that finds processes by session and parent. The checker
 * runs on Linux (CI); elsewhere wbrun still runs programs but sees only the
 * main process.
 *
 * SPDX-License-Identifier: MIT
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>          /* LINUX-ONLY: PR_SET_CHILD_SUBREAPER */
#endif

#define MAX_LEFT 256
#define MAX_WATCH 8

/* A watched folder: its entries before the run, to compare with after. */
struct watch {
    const char *kind;
    const char *dir;
    char **names;
    size_t n;
};
static struct watch watches[MAX_WATCH];
static int nwatch;
static const char *excluded;

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names in dir (none if it cannot be read). */
static char **list_dir(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0;

    *count = 0;
    if (d == NULL)
        return NULL;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (n == cap) {
            char **more = realloc(names, (cap = cap * 2 + 64) * sizeof *names);
            if (more == NULL)
                break;
            names = more;
        }
        if ((names[n] = strdup(e->d_name)) == NULL)
            break;              /* out of memory: what is listed so far */
        n++;
    }
    closedir(d);
    if (n > 0)                  /* qsort of a null array is undefined, even of 0 items */
        qsort(names, n, sizeof *names, by_name);
    *count = n;
    return names;
}

static void report_new(void)
{
    for (int w = 0; w < nwatch; w++) {
        size_t n;
        char **now = list_dir(watches[w].dir, &n);

        for (size_t i = 0; i < n; i++) {
            char path[4096];

            snprintf(path, sizeof path, "%s/%s", watches[w].dir, now[i]);
            if ((excluded == NULL || strcmp(path, excluded) != 0)
                && bsearch(&now[i], watches[w].names, watches[w].n,
                           sizeof *now, by_name) == NULL)
                printf("new %s %s\n", watches[w].kind, path);
            free(now[i]);
        }
        free(now);
    }
}

struct proc {
    pid_t pid;
    char state;
    char comm[64];
};

static double now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void fail(const char *what)
{
    fprintf(stderr, "wbrun: %s: %s\n", what, strerror(errno));
    exit(3);
}

/* LINUX-ONLY: the processes that belong to the program: its session, its
 * process group, or re-parented to us (descendants that left the session). */
static int scan(pid_t sid, struct proc *out, int max)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int n = 0;
    pid_t self = getpid();

    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL && n < max) {
        char path[300], text[512], *paren;
        long ppid, pgrp, session;
        char state;
        FILE *f;
        size_t got;

        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        f = fopen(path, "r");
        if (f == NULL)
            continue;
        got = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[got] = '\0';
        paren = strrchr(text, ')');
        if (paren == NULL
            || sscanf(paren + 1, " %c %ld %ld %ld", &state, &ppid, &pgrp, &session) != 4)
            continue;
        if (session != sid && pgrp != sid && ppid != self)
            continue;
        out[n].pid = (pid_t)atol(e->d_name);
        out[n].state = state;
        {
            char *open = strchr(text, '(');
            size_t len = open ? (size_t)(paren - open - 1) : 0;
            if (len >= sizeof out[n].comm)
                len = sizeof out[n].comm - 1;
            memcpy(out[n].comm, open ? open + 1 : "", len);
            out[n].comm[len] = '\0';
        }
        n++;
    }
    closedir(d);
    return n;
}

static void usage(void)
{
    fprintf(stderr, "usage: wbrun [-t LIMIT] [-k SIG -n LINE [-G] [-w WAIT]] [-g GRACE] "
            "[-o OUT] [-e ERR] [-T TIMES] [-C DIR] -- PROGRAM [ARGS...]\n");
    exit(2);
}

int main(int argc, char *argv[])
{
    double limit = 60, wait_limit = 1, grace = 2;
    int sig = 0, group = 0, opt;
    long after_line = 0, head = 0;
    const char *out_path = "/dev/null", *err_path = "/dev/null", *times_path = NULL;
    const char *dir = NULL;
    int fds[2], out_fd, times_fd = -1, status = 0;
    pid_t pid;
    double t0, t_sent = -1, t_exit = -1;
    long lines = 0;
    int main_done = 0, pipe_open = 1, hung = 0;
    struct proc left[MAX_LEFT];
    int nleft = 0;

    while ((opt = getopt(argc, argv, "t:k:n:Gw:g:H:o:e:T:C:W:X:")) != -1) {
        switch (opt) {
        case 't': limit = atof(optarg); break;
        case 'k': sig = atoi(optarg); break;
        case 'n': after_line = atol(optarg); break;
        case 'G': group = 1; break;
        case 'w': wait_limit = atof(optarg); break;
        case 'g': grace = atof(optarg); break;
        case 'H': head = atol(optarg); break;
        case 'o': out_path = optarg; break;
        case 'e': err_path = optarg; break;
        case 'T': times_path = optarg; break;
        case 'C': dir = optarg; break;
        case 'W': {
            char *colon = strchr(optarg, ':');
            if (colon == NULL || nwatch == MAX_WATCH)
                usage();
            *colon = '\0';
            watches[nwatch].kind = optarg;
            watches[nwatch].dir = colon + 1;
            nwatch++;
            break;
        }
        case 'X': excluded = optarg; break;
        default: usage();
        }
    }
    if (optind >= argc)
        usage();

#ifdef PR_SET_CHILD_SUBREAPER
    /* LINUX-ONLY: orphans of the program come to us, not to init, so that a
     * process that escaped the session is still seen (and reaped) here. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
        fail("prctl");
#endif
    out_fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out_fd == -1)
        fail(out_path);
    if (times_path != NULL) {
        times_fd = open(times_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (times_fd == -1)
            fail(times_path);
    }
    if (pipe(fds) == -1)
        fail("pipe");
    for (int w = 0; w < nwatch; w++)
        watches[w].names = list_dir(watches[w].dir, &watches[w].n);

    t0 = now();
    pid = fork();
    if (pid == -1)
        fail("fork");
    if (pid == 0) {
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int in = open("/dev/null", O_RDONLY);
        long max = sysconf(_SC_OPEN_MAX);

        if (err == -1 || in == -1)
            _exit(125);
        if (setsid() == -1)
            _exit(125);
        if (dup2(in, 0) == -1 || dup2(fds[1], 1) == -1 || dup2(err, 2) == -1)
            _exit(125);
        /* Nothing but 0, 1, 2 goes to the program (make's jobserver pipes,
         * our own files): any other descriptor its children see, it made. */
        if (max < 0 || max > 65536)
            max = 65536;
        for (int fd = 3; fd < max; fd++)
            close(fd);
        if (dir != NULL && chdir(dir) == -1)
            _exit(125);
        signal(SIGPIPE, SIG_DFL);
        execvp(argv[optind], argv + optind);
        _exit(127);
    }
    close(fds[1]);

    for (;;) {
        pid_t r;
        int st;
        double t = now();

        /* Reap the main process, and any orphan re-parented to us. */
        while ((r = waitpid(-1, &st, WNOHANG)) > 0)
            if (r == pid) {
                main_done = 1;
                status = st;
                t_exit = now();
            }
        if (sig != 0 && t_sent < 0 && !main_done && lines >= after_line) {
            if (kill(group ? -pid : pid, sig) == -1 && errno != ESRCH)
                fail("kill");
            t_sent = now();
        }
        if (!main_done && t - t0 > limit) {
            hung = 1;
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
                continue;
            main_done = 1;
            status = st;
            t_exit = now();
        }
        if (main_done) {
            nleft = scan(pid, left, MAX_LEFT);
            if ((nleft == 0 && !pipe_open) || now() - t_exit > grace)
                break;
            if (nleft == 0 && now() - t_exit > 0.5)
                break;          /* the pipe is held by no process of ours */
        }
        if (pipe_open) {
            struct pollfd p = { .fd = fds[0], .events = POLLIN };
            int ready = poll(&p, 1, 5);

            if (ready > 0) {
                char buf[4096];
                ssize_t n = read(fds[0], buf, sizeof buf);

                if (n <= 0) {
                    pipe_open = 0;
                    close(fds[0]);
                } else {
                    ssize_t keep = n;

                    for (ssize_t i = 0; i < n; i++)
                        if (buf[i] == '\n') {
                            lines++;
                            if (times_fd != -1)
                                dprintf(times_fd, "%.4f\n", now() - t0);
                            if (lines == head) {
                                keep = i + 1;
                                break;
                            }
                        }
                    if (write(out_fd, buf, (size_t)keep) != keep)
                        fail("write");
                    if (head > 0 && lines >= head) {
                        pipe_open = 0;          /* as head does: gone */
                        close(fds[0]);
                    }
                }
            }
        } else {
            struct timespec tick = { 0, 5000000 };
            nanosleep(&tick, NULL);
        }
    }

    printf("elapsed=%.3f\n", t_exit - t0);
    printf("lines=%ld\n", lines);
    if (hung)
        printf("status=hang\n");
    else if (WIFEXITED(status))
        printf("status=exit:%d\n", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("status=signal:%d\n", WTERMSIG(status));
    if (sig != 0) {
        if (t_sent >= 0) {
            printf("sent=%.3f\n", t_sent - t0);
            printf("exit_after=%.3f\n", t_exit - t_sent);
            printf("late=%d\n", hung || t_exit - t_sent > wait_limit);
        } else {
            printf("sent=none\n");
        }
    }
    printf("leftovers=%d\n", nleft);
    for (int i = 0; i < nleft; i++)
        printf("leftover %ld %c %s\n", (long)left[i].pid, left[i].state, left[i].comm);
    report_new();
    fflush(stdout);
    /* Leave nothing behind ourselves: kill what is left, reap our share. */
    for (int i = 0; i < nleft; i++)
        kill(left[i].pid, SIGKILL);
    if (nleft > 0) {
        double until = now() + 5;
        while (now() < until && scan(pid, left, MAX_LEFT) > 0) {
            struct timespec tick = { 0, 10000000 };
            while (waitpid(-1, NULL, WNOHANG) > 0)
                continue;
            nanosleep(&tick, NULL);
        }
    }
    return 0;
}

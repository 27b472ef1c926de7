/* costs_demo.c - what each primitive costs here, in C and in Python,
 * against the raw system-call floor: the table `make bench` prints.
 *
 * For every row (an operation: a process start, a pipe round trip, a
 * Queue message...) it runs the C program that measures it (cost_spawn,
 * cost_ipc, cost_queue, cost_pool, cost_sync, cost_manager), which prints
 * the "floor" (the bare system calls) and "C" (the workbook's own
 * implementation) figures, then that program's Python twin (cost_*.py,
 * multiprocessing), which prints the "Python" figure. It does so REPS
 * times, C and Python taking turns (C first, then Python first, and so
 * on), so that a machine that slows down or speeds up during the run
 * slows both alike. Each cell of the table is the median of the REPS
 * figures, with their spread: half the range, as a percentage of the
 * median. Then it says which of the workbook's promises the figures keep.
 *
 * Python:  no twin: this program drives the Python twins of the others
 * Usage:   ./costs_demo [-n REPS] [-s SCALE] [-o ROW] [-P PYTHON] [-c] [-t | --tsv]
 *   -n REPS    repetitions of each figure (default 5)
 *   -s SCALE   multiply every operation count (default 1; 0.01 for a quick look)
 *   -o ROW     only the rows whose name starts with ROW (e.g. -o pipe)
 *   -P PYTHON  the Python to compare with (default python3)
 *   -c         C only: no Python column
 *   -t, --tsv  tab-separated values, for machines
 * Look for: the Python/C column (how many times Python's cost is C's); the
 * rows run on one CPU against the others (most of a round trip between two
 * CPUs is the wake-up); the spread, which says how far to trust a figure.
 * Every figure varies from run to run: nothing here is a guarantee.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "bench.h"

extern char **environ;

#define MAX_REPS 51
#define OUT_MAX  8192           /* a cost_* program prints a few lines */

/* Where the processes of a row run. */
enum place {
    ANYWHERE,                   /* where the scheduler puts them          */
    ONE_CPU,                    /* all on one CPU (-p)                    */
    TWO_CPUS                    /* parent on one CPU, child on another (-a) */
};

struct row {
    const char *name;           /* the row's name in the table and -o     */
    const char *label;          /* what it measures                        */
    const char *prog;           /* the program that measures it            */
    const char *arg;            /* its -r ROW                              */
    enum place place;
};

static const struct row rows[] = {
    { "fork",          "Process start + join (fork)",     "cost_spawn",   "fork",      ANYWHERE },
    { "fork_16m",      "  ... parent holds 16 MiB",       "cost_spawn",   "fork_16m",  ANYWHERE },
    { "fork_256m",     "  ... parent holds 256 MiB",      "cost_spawn",   "fork_256m", ANYWHERE },
    { "spawn",         "posix_spawn + wait (true)",       "cost_spawn",   "spawn",     ANYWHERE },
    { "spawn_256m",    "  ... parent holds 256 MiB",      "cost_spawn",   "spawn_256m", ANYWHERE },
    { "command",       "run a trivial command (true)",    "cost_spawn",   "command",   ANYWHERE },
    { "pipe_rt",       "pipe round trip",                 "cost_ipc",     "pipe_rt",   ANYWHERE },
    { "pipe_rt_1cpu",  "  ... both on one CPU",           "cost_ipc",     "pipe_rt",   ONE_CPU },
    { "pipe_rt_2cpu",  "  ... on two CPUs",               "cost_ipc",     "pipe_rt",   TWO_CPUS },
    { "sock_rt",       "socketpair round trip",           "cost_ipc",     "sock_rt",   ANYWHERE },
    { "sock_rt_1cpu",  "  ... both on one CPU",           "cost_ipc",     "sock_rt",   ONE_CPU },
    { "pipe_bulk",     "pipe bulk, 64 KiB writes",        "cost_ipc",     "pipe_bulk", ANYWHERE },
    { "queue_1x1",     "Queue, 1 producer 1 consumer",    "cost_queue",   "queue_1x1", ANYWHERE },
    { "queue_2x2",     "Queue, 2 producers 2 consumers",  "cost_queue",   "queue_2x2", ANYWHERE },
    { "apply_rt",      "Pool apply_async round trip",     "cost_pool",    "apply_rt",  ANYWHERE },
    { "apply_rt_1cpu", "  ... all on one CPU",            "cost_pool",    "apply_rt",  ONE_CPU },
    { "map_1",         "Pool map, 1 task per message",    "cost_pool",    "map_1",     ANYWHERE },
    { "map_chunks",    "Pool map, default chunks",        "cost_pool",    "map_chunks", ANYWHERE },
    { "lock",          "Lock acquire + release",          "cost_sync",    "lock",      ANYWHERE },
    { "lock_2",        "  ... 2 processes contend",       "cost_sync",    "lock_2",    ANYWHERE },
    { "sem",           "Semaphore acquire + release",     "cost_sync",    "sem",       ANYWHERE },
    { "sem_2",         "  ... 2 processes contend",       "cost_sync",    "sem_2",     ANYWHERE },
    { "event_rt",      "Event round trip",                "cost_sync",    "event_rt",  ANYWHERE },
    { "event_rt_1cpu", "  ... both on one CPU",           "cost_sync",    "event_rt",  ONE_CPU },
    { "manager",       "Manager dict operation",          "cost_manager", "dict_set",  ANYWHERE },
    { "manager_1cpu",  "  ... all on one CPU",            "cost_manager", "dict_set",  ONE_CPU },
};
#define NROWS (sizeof rows / sizeof rows[0])

enum impl { FLOOR, C, PY, NIMPL };
static const char *const impl_names[NIMPL] = { "floor", "C", "Python" };

/* The figures of one row: for each implementation, one per repetition. */
struct cell {
    double v[MAX_REPS];
    int n;
    char unit[16];
    const char *missing;        /* why there is no figure, if there is none */
};

/* The promises the workbook makes about its implementations (its issue
 * for this chapter lists them): a row, a ratio, and the bound. */
struct target {
    const char *row;
    int against_floor;          /* 1: C against the floor; 0: Python against C */
    double bound;               /* Python/C at least this, or C/floor at most */
    const char *text;
};

static const struct target targets[] = {
    { "fork",         0, 10.0, "Process start + join at least 10x faster than Python's" },
    { "queue_1x1",    0, 10.0, "Queue 1 -> 1 at least 10x Python's" },
    { "apply_rt",     0, 3.0,  "Pool apply_async round trip at least 3x faster than Python's" },
    { "map_chunks",   0, 1.0,  "Pool map at least as fast as Python's (default chunks)" },
    { "map_1",        0, 10.0, "Pool map, one task per message, at least 10x faster than Python's" },
    { "lock",         1, 1.5,  "Lock acquire + release within 1.5x of sem_wait + sem_post" },
    { "event_rt",     0, 3.0,  "Event round trip at least 3x faster than Python's" },
    { "manager_1cpu", 0, 2.0,  "Manager dict operation (one CPU) at least 2x faster than Python's" },
};

/* ---- running one measuring program -------------------------------------- */

/* The program running now, for the signal handler. */
static volatile pid_t running;

/* SIGINT or SIGTERM: stop the program that is measuring (it stops its own
 * children: each cost_* program and twin handles SIGTERM), reap it, then
 * die of the same signal. A program that has not ended 5 seconds after
 * SIGTERM gets SIGKILL: this is a deadline, not a way to synchronise.
 * Only async-signal-safe calls. */
static void on_signal(int sig)
{
    struct sigaction dfl;
    struct timespec tenth = { 0, 100000000L };
    pid_t pid = running;

    if (pid > 0) {
        int reaped = 0;
        /* A handler has nowhere to report a failure: results are ignored
         * on purpose, and the signal is raised again whatever happens. */
        (void)kill(pid, SIGTERM);
        for (int i = 0; i < 50 && !reaped; i++) {
            reaped = waitpid(pid, NULL, WNOHANG) == pid;
            if (!reaped)
                nanosleep(&tenth, NULL);
        }
        if (!reaped) {
            (void)kill(pid, SIGKILL);
            while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
                continue;
        }
    }
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    (void)sigaction(sig, &dfl, NULL);
    raise(sig);
}

/* Run argv (searched on PATH if argv[0] has no slash), collect what it
 * writes on stdout into out. Its stderr is ours: its errors reach the user.
 * Returns its exitcode (-N for death by signal N), or 127 if it could not
 * be started at all. */
static int capture(char *const argv[], char *out, size_t cap)
{
    posix_spawn_file_actions_t fa;
    int fds[2], err, status;
    size_t used = 0;
    pid_t pid;

    if (pipe(fds) == -1)
        die("pipe");
    /* In the child: stdout becomes the pipe's write end; both original
     * ends are closed, so that our read sees end of file when it ends. */
    if ((err = posix_spawn_file_actions_init(&fa)) != 0
        || (err = posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO)) != 0
        || (err = posix_spawn_file_actions_addclose(&fa, fds[0])) != 0
        || (err = posix_spawn_file_actions_addclose(&fa, fds[1])) != 0) {
        errno = err;
        die("posix_spawn_file_actions");
    }
    err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (close(fds[1]) == -1)
        die("close");
    if (err != 0) {
        if (close(fds[0]) == -1)
            die("close");
        return 127;             /* no such program: the caller says so */
    }
    running = pid;
    for (;;) {
        char discard[512];
        ssize_t r = used + 1 < cap ? read(fds[0], out + used, cap - 1 - used)
                                   : read(fds[0], discard, sizeof discard);
        if (r == -1) {
            if (errno == EINTR)
                continue;
            die("read");
        }
        if (r == 0)
            break;
        if (used + 1 < cap)
            used += (size_t)r;
    }
    out[used] = '\0';
    if (close(fds[0]) == -1)
        die("close");
    while (waitpid(pid, &status, 0) == -1)
        if (errno != EINTR)
            die("waitpid");
    running = 0;
    return exitcode_of(status);
}

/* Pick the lines "ROW IMPL VALUE UNIT ..." for this row out of a program's
 * output and add each figure to its cell. Returns the number of figures. */
static int parse(const char *out, const char *arg, struct cell cells[NIMPL])
{
    int found = 0;

    for (const char *line = out; *line != '\0';) {
        const char *end = strchr(line, '\n');
        char name[32], impl[16], unit[16];
        double value;

        if (sscanf(line, "%31s %15s %lf %15s", name, impl, &value, unit) == 4
            && strcmp(name, arg) == 0 && isfinite(value) && value > 0.0) {
            for (int i = 0; i < NIMPL; i++)
                if (strcmp(impl, impl_names[i]) == 0 && cells[i].n < MAX_REPS) {
                    cells[i].v[cells[i].n++] = value;
                    snprintf(cells[i].unit, sizeof cells[i].unit, "%s", unit);
                    found++;
                }
        }
        line = end ? end + 1 : line + strlen(line);
    }
    return found;
}

/* ---- the figures --------------------------------------------------------- */

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* The median of a cell's figures, and the spread: half the range over
 * the median, in percent. */
static double median(const struct cell *c, double *spread)
{
    double v[MAX_REPS], mid;

    memcpy(v, c->v, (size_t)c->n * sizeof v[0]);
    qsort(v, (size_t)c->n, sizeof v[0], by_value);
    mid = c->n % 2 ? v[c->n / 2] : (v[c->n / 2 - 1] + v[c->n / 2]) / 2.0;
    *spread = (v[c->n - 1] - v[0]) / 2.0 / mid * 100.0;
    return mid;
}

/* A rate ("MiB/s", "k/s") is better when higher, a time ("us") when lower. */
static int is_rate(const char *unit)
{
    size_t n = strlen(unit);

    return n >= 2 && strcmp(unit + n - 2, "/s") == 0;
}

/* How many times a's cost is b's: a ratio of times, or of rates upside
 * down, so that 3 means "a costs three times what b costs" either way. */
static double cost_ratio(const struct cell *a, const struct cell *b)
{
    double sa, sb, ma, mb;

    if (a->n == 0 || b->n == 0)
        return NAN;
    ma = median(a, &sa);
    mb = median(b, &sb);
    return is_rate(a->unit) ? mb / ma : ma / mb;
}

/* A figure with about four significant digits, never in exponent form. */
static void number(char *buf, size_t size, double v)
{
    int decimals = v >= 1000.0 ? 0 : v >= 100.0 ? 1 : v >= 10.0 ? 2 : v >= 1.0 ? 3 : 4;

    snprintf(buf, size, "%.*f", decimals, v);
}

static void cell_text(char *buf, size_t size, const struct cell *c)
{
    char num[32];
    double spread, mid;

    if (c->n == 0) {
        snprintf(buf, size, "%s", c->missing ? c->missing : "-");
        return;
    }
    mid = median(c, &spread);
    number(num, sizeof num, mid);
    snprintf(buf, size, "%s ±%.0f%%", num, spread);
}

static void ratio_text(char *buf, size_t size, double r)
{
    if (isnan(r))
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%.2f", r);
}

/* text right-aligned in width columns: printf's %14s counts bytes, and
 * "±" is two bytes in UTF-8 but one column on the screen. */
static void right(char *buf, size_t size, const char *text, int width)
{
    int cols = 0;

    for (const char *p = text; *p != '\0'; p++)
        cols += ((unsigned char)*p & 0xC0) != 0x80;    /* not a continuation byte */
    snprintf(buf, size, "%*s%s", width > cols ? width - cols : 0, "", text);
}

/* ---- the machine ----------------------------------------------------------- */

/* The first line of a file that starts with prefix, after the prefix; or
 * the first line if prefix is "". Empty if there is no such file (outside
 * Linux, /proc/cpuinfo and /proc/loadavg do not exist: that is fine). */
static void file_line(const char *path, const char *prefix, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    char line[256];

    buf[0] = '\0';
    if (f == NULL)
        return;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, prefix, strlen(prefix)) == 0) {
            const char *p = line + strlen(prefix);
            while (*p == ' ' || *p == '\t' || *p == ':')
                p++;
            snprintf(buf, size, "%.*s", (int)strcspn(p, "\n"), p);
            break;
        }
    fclose(f);
}

static void describe_machine(char *buf, size_t size)
{
    struct utsname u;
    char model[128], load[64];
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    if (uname(&u) == -1)
        die("uname");
    file_line("/proc/cpuinfo", "model name", model, sizeof model);
    file_line("/proc/loadavg", "", load, sizeof load);
    {
        /* /proc/loadavg: "0.12 0.10 0.05 1/123 4567": keep the three averages. */
        char one[16], five[16], fifteen[16];
        if (sscanf(load, "%15s %15s %15s", one, five, fifteen) == 3)
            snprintf(load, sizeof load, "%s %s %s", one, five, fifteen);
        else
            snprintf(load, sizeof load, "unknown");
    }
    snprintf(buf, size, "%s %s %s, %ld CPUs%s%s%s, load average %s",
             u.sysname, u.release, u.machine, cpus,
             model[0] ? " (" : "", model, model[0] ? ")" : "", load);
}

/* ---- one row ---------------------------------------------------------------- */

/* What every row needs to know about this run. */
struct run {
    long reps;
    char scale[32];             /* -s, for the programs' own -s            */
    char dir[4096];             /* where the cost_* programs and twins are */
    const char *python;         /* the interpreter, or NULL: no Python     */
    const char *no_python;      /* why not, for the Python column          */
    int can_pin, can_apart;     /* one CPU, two CPUs: possible here?       */
    int failures;
};

static struct cell cells[NROWS][NIMPL];

/* Run row r's C program and its Python twin run->reps times each, taking
 * turns (C then Python, Python then C, ...), and collect the figures. */
static void measure(struct run *run, size_t r)
{
    const struct row *row = &rows[r];
    struct cell *cell = cells[r];
    char prog[4200], script[4200], place[3] = "", out[OUT_MAX];
    char *cargv[8], *pargv[9];
    int nc = 0, np = 0;

    cell[PY].missing = run->python ? NULL : run->no_python;
    if ((row->place == ONE_CPU && !run->can_pin) || (row->place == TWO_CPUS && !run->can_apart)) {
        for (int i = 0; i < NIMPL; i++)
            cell[i].missing = "n/a";
        return;
    }
    snprintf(prog, sizeof prog, "%s/%s", run->dir, row->prog);
    snprintf(script, sizeof script, "%s/%s.py", run->dir, row->prog);
    if (access(prog, X_OK) == -1) {
        say_to(STDERR_FILENO, "%s: %s: %s (run make first)", prog_name(), prog, strerror(errno));
        run->failures++;
        cell[FLOOR].missing = cell[C].missing = "not built";
    }
    if (row->place != ANYWHERE)
        snprintf(place, sizeof place, "-%c", row->place == ONE_CPU ? 'p' : 'a');
    cargv[nc++] = prog;
    pargv[np++] = (char *)run->python;
    pargv[np++] = script;
    cargv[nc++] = pargv[np++] = "-r";
    cargv[nc++] = pargv[np++] = (char *)row->arg;
    cargv[nc++] = pargv[np++] = "-s";
    cargv[nc++] = pargv[np++] = run->scale;
    if (place[0])
        cargv[nc++] = pargv[np++] = place;
    cargv[nc] = pargv[np] = NULL;

    for (long rep = 0; rep < run->reps; rep++) {
        for (int turn = 0; turn < 2; turn++) {
            int is_py = (turn + rep) % 2 == 1;
            int code;

            if (cell[is_py ? PY : C].missing != NULL)
                continue;               /* no Python, or it failed before */
            code = capture(is_py ? pargv : cargv, out, sizeof out);
            if (code != 0 || parse(out, row->arg, cell) == 0) {
                say_to(STDERR_FILENO, "%s: %s -r %s: exitcode %d, %s", prog_name(),
                       is_py ? script : prog, row->arg, code, code == 0 ? "no figure" : "failed");
                cell[is_py ? PY : C].missing = "failed";
                run->failures++;
            }
        }
    }
}

static const char *unit_of(const struct cell cell[NIMPL])
{
    static const enum impl order[NIMPL] = { C, FLOOR, PY };

    for (int i = 0; i < NIMPL; i++)
        if (cell[order[i]].n > 0)
            return cell[order[i]].unit;
    return "-";
}

static void print_row(size_t r)
{
    const struct cell *cell = cells[r];
    char text[40], fig[NIMPL][64], r1[16], r2[16];

    for (int i = 0; i < NIMPL; i++) {
        cell_text(text, sizeof text, &cell[i]);
        right(fig[i], sizeof fig[i], text, 14);
    }
    ratio_text(r1, sizeof r1, cost_ratio(&cell[C], &cell[FLOOR]));
    ratio_text(r2, sizeof r2, cost_ratio(&cell[PY], &cell[C]));
    say("%-31s %-5s %s %s %s %8s %8s", rows[r].label, unit_of(cell),
        fig[FLOOR], fig[C], fig[PY], r1, r2);
}

static void print_tsv_row(size_t r)
{
    const struct cell *cell = cells[r];
    char line[SAY_MAX];
    size_t used, main_row = r;
    double ratio[2];

    /* A sub-row ("  ... both on one CPU") is named in full. */
    while (main_row > 0 && rows[main_row].label[0] == ' ')
        main_row--;
    if (main_row == r)
        used = (size_t)snprintf(line, sizeof line, "%s\t%s\t%s", rows[r].name,
                                rows[r].label, unit_of(cell));
    else
        used = (size_t)snprintf(line, sizeof line, "%s\t%s, %s\t%s", rows[r].name,
                                rows[main_row].label,
                                rows[r].label + strspn(rows[r].label, " ."), unit_of(cell));
    for (int i = 0; i < NIMPL && used < sizeof line; i++) {
        double spread, mid;
        if (cell[i].n == 0) {
            used += (size_t)snprintf(line + used, sizeof line - used, "\tNA\tNA");
            continue;
        }
        mid = median(&cell[i], &spread);
        used += (size_t)snprintf(line + used, sizeof line - used, "\t%.6g\t%.1f", mid, spread);
    }
    ratio[0] = cost_ratio(&cell[C], &cell[FLOOR]);
    ratio[1] = cost_ratio(&cell[PY], &cell[C]);
    for (int i = 0; i < 2 && used < sizeof line; i++) {
        if (isnan(ratio[i]))
            used += (size_t)snprintf(line + used, sizeof line - used, "\tNA");
        else
            used += (size_t)snprintf(line + used, sizeof line - used, "\t%.3f", ratio[i]);
    }
    say("%s", line);
}

/* ---- after the table --------------------------------------------------------- */

static size_t row_index(const char *name)
{
    for (size_t r = 0; r < NROWS; r++)
        if (strcmp(rows[r].name, name) == 0)
            return r;
    return NROWS;
}

/* The pipe round trip on one CPU and on two, put into words. */
static void explain_cpus(void)
{
    size_t one = row_index("pipe_rt_1cpu"), two = row_index("pipe_rt_2cpu");
    double s, us1, us2;

    if (one == NROWS || two == NROWS || cells[one][FLOOR].n == 0 || cells[two][FLOOR].n == 0)
        return;
    us1 = median(&cells[one][FLOOR], &s);
    us2 = median(&cells[two][FLOOR], &s);
    say("one CPU or two: a bare pipe round trip took %.1f us with both processes on one CPU, "
        "%.1f us on two: %s", us1, us2,
        us2 > 2 * us1 ? "the difference is waking the other CPU (or, on a busy machine, "
                        "waiting for it to be free)"
                      : "waking another CPU is cheap on this machine");
}

static void check_targets(const char *only)
{
    for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++) {
        const struct target *tg = &targets[t];
        size_t r = row_index(tg->row);
        double ratio;

        if (r == NROWS || strncmp(rows[r].name, only, strlen(only)) != 0)
            continue;
        ratio = tg->against_floor ? cost_ratio(&cells[r][C], &cells[r][FLOOR])
                                  : cost_ratio(&cells[r][PY], &cells[r][C]);
        if (isnan(ratio))
            say("target: %-66s  not measured", tg->text);
        else
            say("target: %-66s  %s (%s %.2f)", tg->text,
                (tg->against_floor ? ratio <= tg->bound : ratio >= tg->bound) ? "met" : "MISSED",
                tg->against_floor ? "C/floor" : "Py/C", ratio);
    }
}

/* ---- main -------------------------------------------------------------------- */

int main(int argc, char *argv[])
{
    struct run run = { 5, "1", ".", NULL, NULL, 0, 0, 0 };
    const char *only = "", *python = "python3", *slash;
    char python_version[64] = "", machine[440], out[OUT_MAX];
    int c_only = 0, tsv = 0, opt, any = 0;
    struct sigaction sa;

    /* getopt knows no long options: --tsv is -t. */
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--tsv") == 0)
            argv[i] = "-t";
    prog_init(argc, argv, "[-n REPS] [-s SCALE] [-o ROW] [-P PYTHON] [-c] [-t | --tsv]");
    while ((opt = get_option(argc, argv, "n:s:o:P:ct")) != -1) {
        switch (opt) {
        case 'n': run.reps = arg_long(optarg, opt, 1, MAX_REPS); break;
        case 's':               /* checked here, handed on as it was written */
            (void)arg_double(optarg, opt, 0.0001, 100.0);
            if (strlen(optarg) >= sizeof run.scale)
                usage_error("-s: '%s' is too long", optarg);
            snprintf(run.scale, sizeof run.scale, "%s", optarg);
            break;
        case 'o': only = optarg; break;
        case 'P':
            if (optarg[0] == '\0')
                usage_error("-P wants a program, not ''");
            python = optarg;
            break;
        case 'c': c_only = 1; break;
        case 't': tsv = 1; break;
        }
    }
    no_operands(argc, argv);
    for (size_t r = 0; r < NROWS; r++)
        any |= strncmp(rows[r].name, only, strlen(only)) == 0;
    if (!any)
        usage_error("-o: no row starts with '%s'", only);

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1)
        die("sigaction");

    /* The cost_* programs and their twins sit beside this program. */
    slash = strrchr(argv[0], '/');
    if (slash != NULL)
        snprintf(run.dir, sizeof run.dir, "%.*s", (int)(slash - argv[0]), argv[0]);

    /* Is there a Python with multiprocessing? Ask it its version. */
    if (c_only) {
        run.no_python = "not asked";
    } else {
        char *check[] = { (char *)python, "-c",
            "import multiprocessing, platform; print(platform.python_version())", NULL };
        if (capture(check, out, sizeof out) == 0 && out[0] != '\0') {
            snprintf(python_version, sizeof python_version, "%.*s",
                     (int)strcspn(out, "\n"), out);
            run.python = python;
        } else {
            run.no_python = "no python3";
        }
    }
    run.can_pin = cpus_allowed() >= 1;
    run.can_apart = cpus_allowed() >= 2;
    describe_machine(machine, sizeof machine);

    if (tsv) {
        say("row\toperation\tunit\tfloor\tfloor_spread_pct\tc\tc_spread_pct\t"
            "python\tpython_spread_pct\tc_over_floor\tpython_over_c");
    } else {
        say("costs_demo: each figure is the median of %ld runs (± half their range); "
            "C and Python take turns", run.reps);
        say("machine: %s", machine);
        say("python:  %s", c_only ? "not asked for (-c)"
                          : run.python ? python_version : "not found: the Python column is empty");
        say("%-31s %-5s %14s %14s %14s %8s %8s", "operation", "unit",
            "floor", "C (workbook)", "Python", "C/floor", "Py/C");
    }
    for (size_t r = 0; r < NROWS; r++) {
        if (strncmp(rows[r].name, only, strlen(only)) != 0)
            continue;
        measure(&run, r);
        if (tsv)                        /* each row as soon as it is measured */
            print_tsv_row(r);
        else
            print_row(r);
    }
    if (!tsv) {
        say("C/floor: what the workbook's C costs over the bare system calls; "
            "Py/C: Python's cost over C's (for rates, the inverse ratio)");
        explain_cpus();
        check_targets(only);
    }
    return run.failures ? 1 : 0;
}

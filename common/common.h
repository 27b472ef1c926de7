/* common.h - the workbook's helpers: what is NOT the lesson.
 *
 * Every program links common/libcommon.a. Each helper is here because it
 * would otherwise be copied into every program: error reporting, whole-line
 * output, pacing, argument parsing; plus a few mechanisms that an earlier
 * chapter teaches and later chapters reuse (each names its chapter).
 * common/README.md says what each one trades away.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef WORKBOOK_COMMON_H
#define WORKBOOK_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdnoreturn.h>
#include <sys/types.h>
#include <time.h>

#if defined(__GNUC__) || defined(__clang__)
#define WB_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define WB_PRINTF(f, a)
#endif

/* ---- errors (error.c) --------------------------------------------------
 * die("waitpid"):  prints "prog: waitpid: ECHILD (No child processes)" on
 * stderr and exits with status 1. Call it right after the call that failed,
 * while errno still describes that failure. The message is printf-style.
 * die_child: the same, but ends with _exit(1), for a child of fork() that
 * must not flush the parent's stdio buffers or run its atexit handlers.
 * fatal: for failures that set no errno ("bad reply from server"). */
noreturn void die(const char *fmt, ...) WB_PRINTF(1, 2);
noreturn void die_child(const char *fmt, ...) WB_PRINTF(1, 2);
noreturn void fatal(const char *fmt, ...) WB_PRINTF(1, 2);
const char *errno_name(int err);    /* EINTR -> "EINTR"; unknown -> "E?"   */
const char *signal_name(int sig);   /* SIGTERM -> "SIGTERM"; unknown -> "SIG?" */
const char *prog_name(void);        /* the name messages start with        */
void set_prog_name(const char *name);       /* prog_init() calls it        */
/* The pthread_* functions do not set errno: they RETURN the error number
 * (0 for success). check_pthread(err, "pthread_mutex_lock") dies with that
 * number's name and text when err is not 0, like die() after a system call. */
void check_pthread(int err, const char *call);

/* ---- whole-line output (say.c) -----------------------------------------
 * say() formats one line into a buffer and hands it to the kernel with ONE
 * write(2) on stdout. Lines of concurrent processes therefore never mix
 * inside a line (a pipe write of at most PIPE_BUF bytes is atomic), and
 * nothing is left in a stdio buffer for fork() to copy (chapter 01,
 * fork_buffering, shows why that matters). A line longer than SAY_MAX is
 * cut and ends in "...". The newline is added by say(): pass none. */
#define SAY_MAX 512             /* POSIX guarantees PIPE_BUF >= 512 */
void say(const char *fmt, ...) WB_PRINTF(1, 2);
void say_to(int fd, const char *fmt, ...) WB_PRINTF(2, 3);
void vsay_to(int fd, const char *fmt, va_list ap);
/* When the reader of stdout has gone (`./demo | head`), say() prints
 * nothing more, pace() pauses no more, and the program runs on to its
 * normal end: output_gone() is then 1. (say.c says why.) */
int output_gone(void);

/* write_all/read_full loop over short counts and EINTR (chapter 03 shows
 * why a read from a pipe may return fewer bytes than asked for).
 * write_all returns 0, or -1 with errno set. send_all is write_all for a
 * socket: a peer that has gone gives EPIPE, never SIGPIPE (MSG_NOSIGNAL).
 * read_full returns the number of bytes read: n, or fewer at end of file;
 * -1 with errno set on error. */
int write_all(int fd, const void *buf, size_t n);
int send_all(int sock, const void *buf, size_t n);
ssize_t read_full(int fd, void *buf, size_t n);

/* ---- pacing (pace.c) ----------------------------------------------------
 * Every pause of every demo goes through pace(): it sleeps seconds times
 * WORKBOOK_PACE (default 1; 0 means no pause at all; 0.1 is ten times
 * faster). pace_factor() is that number, or -1 if the variable holds
 * anything but one from 0 to PACE_MAX: prog_init() refuses that with a
 * usage error before the program does anything. pace() is never
 * synchronisation: the tests run with WORKBOOK_PACE=0, and every program
 * must stay correct. */
#define PACE_MAX 100.0
void pace(double seconds);
double pace_factor(void);

/* ---- time (clock.c) -----------------------------------------------------
 * now_seconds(): CLOCK_MONOTONIC in seconds, the one clock for durations
 * (it never jumps when someone sets the date). The timed waits of POSIX
 * (sem_timedwait, pthread_mutex_timedlock, pthread_cond_timedwait) take a
 * deadline, a moment on a clock, not a duration: deadline_in(CLOCK_REALTIME,
 * 2.5) is that clock's now + 2.5 s (a negative duration counts as 0). */
double now_seconds(void);
struct timespec deadline_in(clockid_t clock, double seconds);

/* ---- shared memory (shared.c), taught in chapter 04 -----------------------
 * shared_alloc(size): zero-filled memory that stays SHARED with the
 * children forked after it (memory from malloc is copied by fork instead:
 * chapter 01, fork_isolation). Dies if the memory cannot be had.
 * shared_free() unmaps it (each process unmaps its own view). */
void *shared_alloc(size_t size);
void shared_free(void *p, size_t size);

/* ---- descriptor flags (fd.c) ----------------------------------------------
 * set_cloexec(fd): the fd is closed by exec (chapter 10), so a command never
 * inherits it. set_nonblocking(fd): a read or write that would wait fails
 * with EAGAIN instead. Both die on failure. */
void set_cloexec(int fd);
void set_nonblocking(int fd);

/* ---- arguments (args.c) -------------------------------------------------
 * prog_init(argc, argv, HELP) records the program's name and help text,
 * answers --help, and checks WORKBOOK_PACE. HELP's first line is the usage
 * line ("[-n WORKERS] [-c TASKS]"); each line after it describes one option
 * ("  -n WORKERS  worker processes (default 4)"), and the last one names
 * the Python it mirrors. get_option() is getopt(3) with the workbook's
 * conventions: -h prints the whole help text on stdout and exits 0; an
 * unknown option or a missing value is a usage error. arg_long() and
 * arg_double() range-check a value. no_operands() refuses arguments left
 * after the options. A usage error is ONE line on stderr (what is wrong,
 * then the usage line), then exit status 2. The option letters follow one
 * table, in common/README.md. */
void prog_init(int argc, char *argv[], const char *help);
int get_option(int argc, char *argv[], const char *optstring);
long arg_long(const char *text, int opt, long min, long max);
double arg_double(const char *text, int opt, double min, double max);
void no_operands(int argc, char *argv[]);
noreturn void usage_error(const char *fmt, ...) WB_PRINTF(1, 2);

/* ---- processes (proc.c), taught in chapters 01 and 02 --------------------
 * start_child() forks; the child runs run(arg) and ends with _exit(0) (or
 * with what run passes to _exit itself). join_child() waits for that pid and
 * returns its Python-style exitcode: N for exit(N), -N for death by signal
 * N. exitcode_of() decodes a wait status the same way (chapter 01,
 * wait_status, decodes it step by step). */
pid_t start_child(void (*run)(void *arg), void *arg);
int join_child(pid_t pid);
int exitcode_of(int status);
/* join_all() joins the n children of pids in the order they end (waitpid
 * of any child: call it when no other child of the caller is left to join
 * elsewhere), and sets each pid it joined to 0. Once one has failed, each
 * one still running gets SIGTERM, since it may be waiting for the failed
 * one for ever (an item, a barrier, an event it would have set). Returns
 * how many did not end with 0 (0: all did). */
int join_all(pid_t *pids, long n);
/* cpu_count(): the CPUs online, as Python's os.cpu_count() (and Pool()'s
 * default size). sysconf(_SC_NPROCESSORS_ONLN) is not POSIX, though Linux,
 * macOS and the BSDs all have it; where it is missing or fails: 1. */
long cpu_count(void);

#endif

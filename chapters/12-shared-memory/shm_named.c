/* shm_named.c - shared_memory.SharedMemory(create=True, name=...) in C: a
 * segment with a name, which an UNRELATED process opens by that name.
 *
 * The creator makes it with shm_open (the name; on Linux the file
 * /dev/shm/NAME), ftruncate (its size) and mmap (the bytes, MAP_SHARED),
 * and writes a greeting into it. Then it starts a new program, itself
 * again with -a NAME, through posix_spawn: a fresh process image that
 * inherits no mapping (fork would have) and knows only the name. That
 * attacher opens the name, learns the size with fstat, maps it, reads the
 * greeting and writes an answer. Once the attacher has been joined, the
 * creator reads the answer and removes the name with shm_unlink: after
 * that nobody can open it, yet the creator's mapping still works. The
 * object itself goes when the last mapping goes.
 *
 * A name outlives every process: -m leak shows what a crash leaves. A
 * child creates the segment and ends without shm_unlink; the parent finds
 * it still there, bytes and all, and removes it, as Python's
 * resource_tracker does for a process that forgot. The name carries the
 * pid, and is removed on every way out, SIGINT and SIGTERM included.
 *
 * Python:  SharedMemory(create=True, name=..., size=...); SharedMemory(name)
 *          in another process; close(); unlink() (shm_named.py)
 * Usage:   ./shm_named [-s SIZE] [-m unlink|leak] [-a NAME]
 * Look for: the attacher reads exactly what the creator wrote, and its
 * answer comes back; after the run, nothing new in /dev/shm (ls /dev/shm).
 * Racy: nothing here: the attacher is joined before the answer is read.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

extern char **environ;

/* The signal that asked us to stop, or 0 (as chapter 07's semaphore_demo:
 * the handler only records it; main removes the name, then dies of it). */
static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
    stop_signal = sig;
}

static void handle_stops(void (*handler)(int))
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;    /* no SA_RESTART: waitpid returns EINTR */
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1)
        die("sigaction");
}

static char name[64];           /* "/wb-shm-PID" */
static pid_t owner;             /* who removes it: 0 once it is removed */
static const char *role = "creator";    /* how main names itself */

/* If main dies of an error (die() calls exit), remove the name anyway. */
static void unlink_at_exit(void)
{
    if (owner != 0 && getpid() == owner)
        (void)shm_unlink(name);         /* exiting already: nothing better to do */
}

/* Remove the name; a name already gone (ENOENT) is fine here. */
static void remove_name(void)
{
    if (shm_unlink(name) == -1 && errno != ENOENT)
        die("shm_unlink %s", name);
    owner = 0;
}

/* Asked to stop: remove the name, then die of the signal, as we would
 * have without a handler, so that the shell sees how we ended. */
static void stop_if_asked(void)
{
    if (stop_signal == 0)
        return;
    remove_name();
    say("%-8s (%ld): stopped by %s: %s unlinked", role, (long)getpid(),
        signal_name(stop_signal), name);
    handle_stops(SIG_DFL);
    raise(stop_signal);
}

/* shm_open + ftruncate + mmap: Python's SharedMemory(create=True, ...). */
static char *create_segment(size_t size)
{
    char *p;
    int fd;

    /* O_EXCL: fail rather than use a segment someone else left. */
    fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd == -1)
        die("shm_open %s", name);
    owner = getpid();
    if (ftruncate(fd, (off_t)size) == -1)       /* a new object has size 0 */
        die("ftruncate");
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        die("mmap");
    if (close(fd) == -1)        /* the mapping keeps the object: fd not needed */
        die("close");
    return p;
}

/* -a NAME: attach by name, as SharedMemory(name) does; read, answer. */
static int attacher(void)
{
    struct stat st;
    char *p, greeting[201];
    size_t size, half;
    int fd;

    fd = shm_open(name, O_RDWR, 0);             /* no O_CREAT: it must exist */
    if (fd == -1)
        die("shm_open %s", name);
    if (fstat(fd, &st) == -1)                   /* its size: the creator's */
        die("fstat");
    size = (size_t)st.st_size;
    if (size < 64)
        fatal("%s has %zu bytes: too small to be a shm_named segment", name, size);
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        die("mmap");
    if (close(fd) == -1)
        die("close");
    half = size / 2;
    /* The greeting is in the first half: copy it out, at most 200 bytes. */
    snprintf(greeting, sizeof greeting, "%.*s", (int)(half < 200 ? half : 200), p);
    say("%-8s (%ld): attached %s by name, %zu bytes (fstat)", "attacher", (long)getpid(),
        name, size);
    say("%-8s (%ld): read '%s'", "attacher", (long)getpid(), greeting);
    pace(2);                    /* it holds the segment a while: ls /dev/shm */
    snprintf(p + half, half, "attacher %ld read: %s", (long)getpid(), greeting);
    say("%-8s (%ld): wrote its answer, unmaps, ends", "attacher", (long)getpid());
    if (munmap(p, size) == -1)
        die("munmap");
    return 0;
}

static bool creator(const char *self, size_t size)
{
    char *argv[] = { (char *)self, "-a", name, NULL };
    char expected[256];
    char *p;
    pid_t pid;
    int err, status, code;
    bool ok;

    p = create_segment(size);
    say("%-8s (%ld): created %s, %zu bytes: shm_open + ftruncate + mmap", "creator",
        (long)getpid(), name, size);
    snprintf(p, size / 2, "hello from the creator, pid %ld", (long)getpid());
    say("%-8s (%ld): wrote '%s'", "creator", (long)getpid(), p);
    stop_if_asked();

    /* posix_spawn runs this program afresh (chapter 10): the attacher
     * inherits no mapping, only stdout and the like. It must find the
     * segment by name. (posix_spawnp: argv[0] with a '/' is a path; without
     * one, PATH found us, and finds us again.) */
    err = posix_spawnp(&pid, self, NULL, NULL, argv, environ);
    if (err != 0) {
        errno = err;            /* posix_spawn returns the error number */
        die("posix_spawnp %s", self);
    }
    say("%-8s (%ld): posix_spawn: attacher %ld, this program again with -a %s", "creator",
        (long)getpid(), (long)pid, name);
    while (waitpid(pid, &status, 0) == -1) {
        if (errno != EINTR)
            die("waitpid");
        if (stop_signal != 0 && kill(pid, SIGTERM) == -1 && errno != ESRCH)
            die("kill");        /* not yet reaped: still our child to stop */
    }
    stop_if_asked();
    code = exitcode_of(status);
    if (code != 0)
        fatal("the attacher ended with exitcode %d", code);

    /* The attacher has been joined: its writes happened before waitpid
     * returned. Every user has attached and gone: time to remove the name. */
    snprintf(expected, sizeof expected, "attacher %ld read: %s", (long)pid, p);
    say("%-8s (%ld): the answer: '%s'", "creator", (long)getpid(), p + size / 2);
    ok = strcmp(p + size / 2, expected) == 0;
    remove_name();
    say("%-8s (%ld): shm_unlink %s: the name is gone", "creator", (long)getpid(), name);
    if (shm_open(name, O_RDWR, 0) != -1 || errno != ENOENT)
        fatal("%s can still be opened after shm_unlink", name);
    say("%-8s (%ld): shm_open %s now fails: ENOENT", "creator", (long)getpid(), name);
    say("%-8s (%ld): yet the mapping lives on, and still reads '%.40s'", "creator",
        (long)getpid(), p);
    if (munmap(p, size) == -1)  /* the last mapping: the object goes now */
        die("munmap");
    say("%-8s (%ld): self-check: the attacher read what was written, answered, %s: %s",
        "creator", (long)getpid(), "name removed", ok ? "OK" : "FAILED");
    return ok;
}

/* -m leak: a creator that ends without shm_unlink, as a crash would. */
static bool leak(size_t size)
{
    struct stat st;
    pid_t pid;
    char *p;
    int fd;
    bool ok;

    owner = getpid();           /* the parent removes it, whatever the child does */
    role = "main";
    pid = fork();
    if (pid == -1)
        die("fork");
    if (pid == 0) {
        /* (If create_segment fails here, die() runs unlink_at_exit in this
         * child too: what it made, it removes.) */
        handle_stops(SIG_DFL);
        p = create_segment(size);
        snprintf(p, size / 2, "written by pid %ld, which is gone", (long)getpid());
        say("%-8s (%ld): created %s, wrote to it, ends WITHOUT shm_unlink", "creator",
            (long)getpid(), name);
        _exit(0);               /* the child's work is done: not the parent's code */
    }
    if (join_child(pid) != 0)
        fatal("the creator failed");
    stop_if_asked();

    /* The creator is gone; its segment is not. */
    fd = shm_open(name, O_RDWR, 0);
    if (fd == -1)
        die("shm_open %s", name);
    if (fstat(fd, &st) == -1)
        die("fstat");
    p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        die("mmap");
    if (close(fd) == -1)
        die("close");
    say("%-8s (%ld): the creator has ended; %s is still there, %lld bytes", "main",
        (long)getpid(), name, (long long)st.st_size);
    say("%-8s (%ld): and still reads '%.40s'", "main", (long)getpid(), p);
    ok = strncmp(p, "written by pid", 14) == 0;
    if (munmap(p, (size_t)st.st_size) == -1)
        die("munmap");
    pace(2);                    /* time to look: ls /dev/shm */
    stop_if_asked();
    remove_name();
    say("%-8s (%ld): removed it with shm_unlink (Python: the resource_tracker does it, and warns)",
        "main", (long)getpid());
    say("%-8s (%ld): self-check: the segment outlived its creator, now removed: %s", "main",
        (long)getpid(), ok ? "OK" : "FAILED");
    return ok;
}

int main(int argc, char *argv[])
{
    long size = 4096;
    const char *attach = NULL;
    bool leaky = false, ok;
    int opt;

    prog_init(argc, argv, "[-s SIZE] [-m unlink|leak] [-a NAME]\n"
              "  -s SIZE         bytes in the segment (default 4096)\n"
              "  -m unlink|leak  remove the name at the end, or show what a crash leaves "
              "(default unlink)\n"
              "  -a NAME         attach to the segment NAME and answer (default: create one)\n"
              "Python: multiprocessing.shared_memory.SharedMemory (twin: shm_named.py)");
    while ((opt = get_option(argc, argv, "s:m:a:")) != -1) {
        if (opt == 's')
            size = arg_long(optarg, opt, 64, 1048576);
        else if (opt == 'a')
            attach = optarg;
        else if (strcmp(optarg, "unlink") == 0 || strcmp(optarg, "leak") == 0)
            leaky = optarg[0] == 'l';
        else
            usage_error("-m wants unlink or leak, not '%s'", optarg);
    }
    no_operands(argc, argv);

    if (attach != NULL) {
        /* POSIX: a portable name is one '/' and then no other '/'. */
        if (attach[0] != '/' || strchr(attach + 1, '/') != NULL || strlen(attach) >= sizeof name)
            usage_error("-a wants a name like /wb-shm-1234, not '%s'", attach);
        strcpy(name, attach);
        return attacher();
    }

    /* Handlers first: from the moment the name exists, a signal must find
     * someone ready to remove it. A name with our pid: runs do not collide. */
    handle_stops(on_stop);
    if (atexit(unlink_at_exit) != 0)
        fatal("atexit failed");
    snprintf(name, sizeof name, "/wb-shm-%ld", (long)getpid());
    ok = leaky ? leak((size_t)size) : creator(argv[0], (size_t)size);
    return ok ? 0 : 1;
}

/* shared.c - memory that a process shares with the children it forks
 * (taught in chapter 04, whose Queue is the first thing to need it).
 * SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
/* MAP_ANONYMOUS is in POSIX.1-2024 but not in POSIX.1-2008, so glibc shows
 * it only with _DEFAULT_SOURCE. Where it is missing, shared_alloc falls back
 * to a POSIX shared-memory object (see below). */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

void *shared_alloc(size_t size)
{
    void *p;

#ifdef MAP_ANONYMOUS
    /* MAP_SHARED: the pages are shared with the children, not copied;
     * MAP_ANONYMOUS: no file behind them, and zero-filled. */
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        die("mmap");
#else
    /* Fallback: a POSIX shared-memory object, unlinked as soon as it is
     * open, so that no name is left behind (the mapping keeps it alive).
     * SIGINT and SIGTERM wait while the name exists: an interrupt cannot
     * leave it in /dev/shm. */
    static unsigned serial;
    char name[64];
    sigset_t block, old;
    int fd;

    snprintf(name, sizeof name, "/shared_alloc-%ld-%u", (long)getpid(), serial++);
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &block, &old) == -1)
        die("sigprocmask");
    fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd == -1)
        die("shm_open %s", name);
    if (shm_unlink(name) == -1)
        die("shm_unlink %s", name);
    if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
        die("sigprocmask");
    if (ftruncate(fd, (off_t)size) == -1)   /* new bytes read as zero */
        die("ftruncate");
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        die("mmap");
    if (close(fd) == -1)
        die("close");
#endif
    return p;
}

void shared_free(void *p, size_t size)
{
    if (munmap(p, size) == -1)
        die("munmap");
}

/* tests/check/macos/macos.h - what macOS lacks, for make check-macos-subset.
 *
 * Not a header of the workbook: the check builds every program on Linux
 * with this file included first (-include), and each call or name below,
 * which macOS does not have (or has only as a stub that fails with
 * ENOSYS), is then a compile error wherever a program uses it. What builds
 * so is the macOS subset the README claims; the rest is refused on macOS
 * by common/rules.mk, one line a program. Poisoning comes after the system
 * headers that declare these names, so that only the programs' own uses
 * are caught. A header macOS does not have at all is an empty file in this
 * folder (sys/prctl.h), found first by the check's -I. The list: Apple's headers as of macOS 14, read, not run.
 *
 * SPDX-License-Identifier: MIT
 */
/* POSIX.1-2008 and the BSD names (MAP_ANONYMOUS), as macOS offers them;
 * a program's own _GNU_SOURCE then comes too late to add Linux's
 * extensions, as on macOS, which has none. */
#define _DEFAULT_SOURCE 1
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
/* Let each program define its feature macros as it does (features.h has
 * defined these two, and will not be read again). */
#undef _POSIX_C_SOURCE
#undef _DEFAULT_SOURCE

/* Unnamed semaphores: sem_init() and sem_destroy() fail with ENOSYS, and
 * there is no sem_timedwait(); sem_getvalue() fails too. */
#pragma GCC poison sem_init sem_destroy sem_timedwait sem_getvalue
/* Robust mutexes, timed locks, barriers, a condition's clock. */
#pragma GCC poison pthread_mutexattr_setrobust pthread_mutex_consistent
#pragma GCC poison pthread_mutex_timedlock pthread_condattr_setclock
#pragma GCC poison pthread_barrier_init pthread_barrier_wait pthread_barrier_destroy
#pragma GCC poison pthread_barrierattr_init pthread_barrierattr_setpshared
/* Timed and queued signal waits, timers, sleeping to a deadline. */
#pragma GCC poison sigtimedwait sigwaitinfo sigqueue timer_create clock_nanosleep
/* Linux's extensions: CPU affinity, prctl, raw system calls (futex),
 * descriptor-flag shortcuts, peer credentials on a socket. The macros are
 * taken away rather than poisoned: code that asks #ifdef SO_PEERCRED then
 * takes its fallback, as it would on macOS. */
#pragma GCC poison sched_setaffinity sched_getaffinity prctl syscall
#pragma GCC poison pipe2 accept4 dup3
#undef SOCK_CLOEXEC
#undef SOCK_NONBLOCK
#undef SO_PEERCRED
#undef CPU_SET
#pragma GCC poison close_range posix_spawn_file_actions_addclosefrom_np
#pragma GCC poison memfd_create eventfd epoll_create epoll_create1 signalfd ppoll

/* cost_manager.c - what one operation on a Manager's dict costs.
 *
 * Row:
 *   dict_set  d["key"] = i through a connection to the manager's server,
 *             one at a time. floor: a request and a reply of a few bytes
 *             over a bare socketpair to a child that answers at once; C:
 *             mgr_dict_set (chapters/09-manager: a server process, a Unix
 *             socket, one framed request and one reply per call)
 *
 * Python:  Manager().dict(); d["key"] = i (cost_manager.py)
 * Usage:   ./cost_manager [-r ROW] [-s SCALE] [-p | -a]
 * Look for: a manager call is a round trip to another process, like a pipe
 * round trip plus the server's work (decode, look up, store, encode). On
 * two CPUs the wake-ups dominate; on one (-p) the work shows.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"
#include "bench.h"
#include "manager.h"

static const char *const rows[] = { "dict_set", NULL };

#define REQUEST 24              /* about what a dict set takes on the wire */

/* The floor: REQUEST bytes to a child that answers 8, n times. */
static double socket_rt(long n)
{
    int sv[2];
    char buf[REQUEST] = "d['key'] = 12345";
    pid_t pid;
    double start = 0.0, us;

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
        die("socketpair");
    pid = bench_fork();
    if (pid == 0) {
        if (close(sv[0]) == -1)
            die_child("close");
        while (read_full(sv[1], buf, sizeof buf) == (ssize_t)sizeof buf)
            if (write_all(sv[1], "ok......", 8) == -1)
                die_child("write");
        _exit(0);               /* end of file: the parent is done */
    }
    if (close(sv[1]) == -1)
        die("close");
    for (long i = 0; i < n / 10 + 1 + n; i++) {
        if (i == n / 10 + 1)
            start = now_seconds();
        if (write_all(sv[0], buf, sizeof buf) == -1)
            die("write");
        if (read_full(sv[0], buf, 8) != 8)
            die("read");
    }
    us = bench_us_per_op(start, n);
    if (close(sv[0]) == -1)
        die("close");
    bench_wait(pid);
    return us;
}

static double dict_set(long n)
{
    manager *m = manager_start(0);
    mgr_conn *c;
    uint32_t d;
    double start = 0.0, us;

    if (m == NULL)
        die("manager_start");
    if ((c = mgr_connect(manager_address(m))) == NULL)
        die("mgr_connect %s", manager_address(m));
    mgr_must(mgr_create(c, MGR_DICT, &d), c, "manager.dict()");
    for (long i = 0; i < n / 10 + 1 + n; i++) {
        if (i == n / 10 + 1)
            start = now_seconds();
        mgr_must(mgr_dict_set(c, d, mgr_str("key"), mgr_int(i)), c, "d['key'] = i");
    }
    us = bench_us_per_op(start, n);
    if (mgr_close(c) == -1)
        die("mgr_close");
    if (manager_shutdown(m) != 0)
        fatal("the manager's server did not stop cleanly");
    return us;
}

int main(int argc, char *argv[])
{
    struct bench b = bench_init(argc, argv, rows, "multiprocessing.Manager, "
                                "a dict's d[key] = i (twin: cost_manager.py)");

    if (bench_wants(&b, "dict_set")) {
        long n = bench_count(&b, 5000);
        bench_report("dict_set", "floor", socket_rt(n), "us", "24 bytes to a child and 8 back, one socketpair");
        bench_report("dict_set", "C", dict_set(n), "us", "mgr_dict_set(d, 'key', i), one connection");
    }
    return 0;
}

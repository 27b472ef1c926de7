/* manager_demo.c - a manager process serves a dict and a list to 10
 * workers; a plain list is not shared.
 *
 * main starts a manager (a server process, manager.c) and asks it for a
 * dict d and a list l holding 0..4. Each worker opens its own connection
 * and sets d[1] = '1', d['2'] = 2, d[0.25] = None, appends its pid to l,
 * and appends its pid to `plain` too: an ordinary array in its own memory;
 * then it says how long l is and what plain holds. Every operation on d
 * and l is a request to the server and its reply, so all workers change
 * the same dict and the same list; each worker's plain list is its own
 * copy (fork copied it), so main's stays empty.
 *
 * Python:  with Manager() as m: d = m.dict(); l = m.list(range(5))
 *          (manager_demo.py)
 * Usage:   ./manager_demo [-n WORKERS]
 * Look for: at the end, l (shown 5 items a line) is 0..4 followed by every
 * worker's pid once, d has its 3 keys, the plain list is []. Racy: the
 * order of the workers' lines, the order of their pids in l, and how long
 * l is when each worker asks.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "manager.h"

#define MAX_WORKERS 32
#define LINE 400
#define ROW 5                   /* items of l shown on one line */

/* What a worker gets from main: all of it copied by fork. The manager's
 * address and the objects' ids are what a Python proxy carries too. */
struct job {
    int number;
    const char *address;
    uint32_t dict, list;
    pid_t *plain;               /* main's plain list ...                */
    int *plain_len;             /* ... and its length: copies, after fork */
};

static void worker(void *arg)
{
    const struct job *job = arg;
    char own[LINE];
    size_t n;
    /* Our own connection: a connection is never shared between processes,
     * or their requests and replies would mix. */
    mgr_conn *c = mgr_connect(job->address);

    if (c == NULL)
        die_child("mgr_connect %s", job->address);
    mgr_must(mgr_dict_set(c, job->dict, mgr_int(1), mgr_str("1")), c, "d[1] = '1'");
    mgr_must(mgr_dict_set(c, job->dict, mgr_str("2"), mgr_int(2)), c, "d['2'] = 2");
    mgr_must(mgr_dict_set(c, job->dict, mgr_float(0.25), mgr_none()), c, "d[0.25] = None");
    mgr_must(mgr_list_append(c, job->list, mgr_int(getpid())), c, "l.append(pid)");

    /* This changes the worker's copy of main's array, nobody else's. */
    job->plain[(*job->plain_len)++] = getpid();

    mgr_must(mgr_len(c, job->list, &n), c, "len(l)");
    {
        struct mgr_value mine[MAX_WORKERS];
        for (int i = 0; i < *job->plain_len; i++)
            mine[i] = mgr_int(job->plain[i]);
        mgr_values_repr(mine, (size_t)*job->plain_len, 0, own, sizeof own);
    }
    say("worker %2d (%ld): len(l) = %zu, plain = %s", job->number, (long)getpid(), n, own);
    if (mgr_close(c) == -1)
        die_child("mgr_close");
}

int main(int argc, char *argv[])
{
    long workers = 10;
    int opt, plain_len = 0, ok;
    pid_t pids[MAX_WORKERS], plain[MAX_WORKERS];
    struct mgr_value items[2 * MAX_WORKERS + 10];
    char text[LINE];
    size_t n;
    uint32_t d, l;
    manager *m;
    mgr_conn *c;

    prog_init(argc, argv, "[-n WORKERS]\n"
              "  -n WORKERS  processes that use the manager's dict and list (default 10)\n"
              "Python: multiprocessing.Manager, dict() and list() proxies (twin: manager_demo.py)");
    while ((opt = get_option(argc, argv, "n:")) != -1)
        workers = arg_long(optarg, opt, 1, MAX_WORKERS);
    no_operands(argc, argv);

    /* The server process: it owns the data from now on. */
    m = manager_start(0);
    if (m == NULL)
        die("manager_start");
    say("main      (%ld): manager server %ld at %s", (long)getpid(),
        (long)manager_pid(m), manager_address(m));

    c = mgr_connect(manager_address(m));
    if (c == NULL)
        die("mgr_connect %s", manager_address(m));
    mgr_must(mgr_create(c, MGR_DICT, &d), c, "manager.dict()");
    mgr_must(mgr_create(c, MGR_LIST, &l), c, "manager.list()");
    for (int i = 0; i < 5; i++)                         /* range(5) */
        mgr_must(mgr_list_append(c, l, mgr_int(i)), c, "l.append(i)");

    for (int i = 0; i < workers; i++) {
        struct job job = { i + 1, manager_address(m), d, l, plain, &plain_len };
        pids[i] = start_child(worker, &job);
    }
    ok = 1;
    for (int i = 0; i < workers; i++)
        if (join_child(pids[i]) != 0)
            ok = 0;                     /* it said why on stderr */

    /* Every worker has been joined: all its requests were answered. */
    mgr_must(mgr_copy(c, d, items, sizeof items / sizeof items[0], &n), c, "d.copy()");
    mgr_values_repr(items, n, 1, text, sizeof text);
    say("main      (%ld): d = %s", (long)getpid(), text);
    {
        /* Each worker sets the keys in this order, so the first to set '2'
         * had set 1 already: the insertion order is guaranteed too. */
        const struct mgr_value want[6] = { mgr_int(1), mgr_str("1"), mgr_str("2"),
                                           mgr_int(2), mgr_float(0.25), mgr_none() };
        ok = ok && n == 6;
        for (size_t i = 0; ok && i < n; i++)
            ok = mgr_value_equal(&items[i], &want[i]);
    }

    mgr_must(mgr_copy(c, l, items, sizeof items / sizeof items[0], &n), c, "l[:]");
    for (size_t i = 0; i < n; i += ROW) {       /* a list of pids soon outgrows a line */
        mgr_values_repr(items + i, n - i < ROW ? n - i : ROW, 0, text, sizeof text);
        say("main      (%ld): l[%zu:%zu] = %s", (long)getpid(), i, i + ROW, text);
    }
    /* The self-check: 0..4, then each worker's pid exactly once. */
    ok = ok && n == (size_t)(5 + workers);
    for (size_t i = 0; ok && i < n; i++) {
        int found = 0;
        ok = items[i].type == MGR_INT;
        if (ok && i < 5)
            found = items[i].i == (int64_t)i;
        for (int w = 0; ok && i >= 5 && w < workers; w++)
            found += items[i].i == pids[w];
        ok = ok && found == 1;
    }
    for (size_t i = 5; ok && i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            ok = ok && items[i].i != items[j].i;

    for (int i = 0; i < plain_len; i++)
        items[i] = mgr_int(plain[i]);
    mgr_values_repr(items, (size_t)plain_len, 0, text, sizeof text);
    say("main      (%ld): plain = %s (each worker appended to its own copy)",
        (long)getpid(), text);
    ok = ok && plain_len == 0;

    if (mgr_close(c) == -1)
        die("mgr_close");
    {
        int code = manager_shutdown(m);
        say("main      (%ld): manager stopped (exitcode %d)", (long)getpid(), code);
        ok = ok && code == 0;
    }
    say("main      (%ld): check: l = 0..4 + the %ld workers' pids, d has 3 keys, plain is empty: %s",
        (long)getpid(), workers, ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}

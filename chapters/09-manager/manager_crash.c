/* manager_crash.c - the owner of a manager dies without shutting it down;
 * the server notices, removes its socket and directory, and ends.
 *
 * main forks an "owner" process. The owner starts a manager, uses it, and
 * ends without calling manager_shutdown(): by exit, by SIGTERM, or by
 * SIGKILL (the default), which no program can catch. The server learns it
 * the only way that works for all three: the kernel closes the owner's end
 * of the lifeline (a socketpair) when the owner dies, and the server's
 * poll() sees end-of-file. main, which is not the server's parent and
 * cannot wait for it, watches a "witness" pipe instead: the owner and the
 * server hold its write end, so main reads end-of-file only once both have
 * ended (chapter 03: EOF comes when the last write end is closed).
 *
 * Python:  a Process that starts a Manager and then dies by SIGKILL
 *          (manager_crash.py). Python's manager server has no lifeline:
 *          its twin finds the server still running, orphaned, with its
 *          socket, and has to stop it and clean up by hand.
 * Usage:   ./manager_crash [-m exit|term|kill]
 * Look for: the server's own line "the owner is gone", before main's
 * "every holder of the witness pipe has ended"; nothing left in the end.
 * Racy: whether main's first line comes before the owner's, and whether
 * main's "owner ended" comes before the server's "stopping" (both follow
 * the owner's death).
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "common.h"
#include "frame.h"
#include "manager.h"

enum ending { BY_EXIT, BY_TERM, BY_KILL };

/* What the owner tells main before it dies: sent through the witness. */
struct news {
    pid_t server;
    char address[108];
};

/* The owner's manager and connection: never freed, on purpose (that is
 * the crash). Static, so that a leak checker sees them still reachable at
 * the end rather than lost. */
static manager *m;
static mgr_conn *c;

static void owner(int witness, enum ending how)
{
    static const char *const said[] = { "_exit(0)", "SIGTERM", "SIGKILL" };
    struct news news;
    uint32_t d;

    m = manager_start(MANAGER_LOG);     /* the server says why it stops */
    if (m == NULL)
        die_child("manager_start");
    say("owner   (%ld): manager server %ld at %s", (long)getpid(),
        (long)manager_pid(m), manager_address(m));
    c = mgr_connect(manager_address(m));
    if (c == NULL)
        die_child("mgr_connect");
    mgr_must(mgr_create(c, MGR_DICT, &d), c, "manager.dict()");
    mgr_must(mgr_dict_set(c, d, mgr_str("alive"), mgr_int(1)), c, "d['alive'] = 1");
    say("owner   (%ld): d['alive'] = 1 is stored in the server", (long)getpid());

    memset(&news, 0, sizeof news);
    news.server = manager_pid(m);
    strcpy(news.address, manager_address(m));
    if (frame_send(witness, &news, sizeof news) == -1)
        die_child("frame_send");
    /* Keep the witness open: it closes when we die. */
    say("owner   (%ld): ending by %s, without shutting the manager down",
        (long)getpid(), said[how]);
    pace(0.5);
    if (how == BY_TERM)
        raise(SIGTERM);         /* default action: the process ends here */
    else if (how == BY_KILL)
        raise(SIGKILL);         /* no handler could run, none can be set */
    _exit(0);                   /* by_exit: ends normally, m never shut down */
}

int main(int argc, char *argv[])
{
    enum ending how = BY_KILL;
    int opt, witness[2], code, ok;
    struct news news;
    struct stat st;
    size_t len;
    ssize_t r;
    char byte;
    pid_t pid;

    prog_init(argc, argv, "[-m exit|term|kill]\n"
              "  -m exit|term|kill  how the owner ends, without shutdown() (default kill)\n"
              "Python: a Manager whose owner dies without shutdown() (twin: manager_crash.py)");
    while ((opt = get_option(argc, argv, "m:")) != -1) {
        if (strcmp(optarg, "exit") == 0)
            how = BY_EXIT;
        else if (strcmp(optarg, "term") == 0)
            how = BY_TERM;
        else if (strcmp(optarg, "kill") == 0)
            how = BY_KILL;
        else
            usage_error("-m wants one of exit, term, kill, not '%s'", optarg);
    }
    no_operands(argc, argv);

    if (pipe(witness) == -1)
        die("pipe");
    pid = fork();
    if (pid == -1)
        die("fork");
    if (pid == 0) {
        if (close(witness[0]) == -1)
            die_child("close");
        owner(witness[1], how);
    }
    if (close(witness[1]) == -1)        /* or main would wait for its own write end */
        die("close");
    say("main    (%ld): started owner %ld", (long)getpid(), (long)pid);

    if (frame_recv(witness[0], &news, sizeof news, &len) != 1 || len != sizeof news)
        fatal("the owner sent no news");
    news.address[sizeof news.address - 1] = '\0';
    code = join_child(pid);
    say("main    (%ld): owner %ld ended (exitcode %d)", (long)getpid(), (long)pid, code);

    /* The server holds the witness too: end-of-file means it has ended. */
    while ((r = read(witness[0], &byte, 1)) == -1 && errno == EINTR)
        continue;
    if (r == -1)
        die("read");
    say("main    (%ld): every holder of the witness pipe has ended: server %ld too",
        (long)getpid(), (long)news.server);
    if (close(witness[0]) == -1)
        die("close");

    ok = stat(news.address, &st) == -1 && errno == ENOENT;
    say("main    (%ld): %s: %s", (long)getpid(), news.address, ok ? "removed" : "STILL THERE");
    {
        char dir[sizeof news.address];
        char *slash;
        strcpy(dir, news.address);
        slash = strrchr(dir, '/');
        if (slash != NULL)
            *slash = '\0';
        ok = ok && stat(dir, &st) == -1 && errno == ENOENT;
        say("main    (%ld): %s: %s", (long)getpid(), dir,
            stat(dir, &st) == -1 && errno == ENOENT ? "removed" : "STILL THERE");
    }
    say("main    (%ld): check: the server did not outlive its owner and left nothing: %s",
        (long)getpid(), ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}

/* manager_auth.c - who may connect to a manager: the directory's mode
 * first, then the server's question to the kernel, "which user is this?".
 *
 * A manager's socket is a file: anyone who can reach it can connect. So it
 * lives in a directory that mkdtemp() made with mode 0700: another user's
 * connect() fails with EACCES before the server hears of it. Behind that,
 * the server asks the kernel for the connecting process's user id (Linux
 * SO_PEERCRED, BSD and macOS getpeereid(); POSIX has neither) and refuses
 * every user but its own. To show that second line on its own, this
 * program opens the directory for a moment (mode 0711, socket 0666): for
 * this demonstration only. Running as root, it tries as another user (a
 * child that drops to -u USER, "nobody" by default); as anyone else it
 * cannot become another user and says so.
 *
 * Python:  Manager() listens in a mkdtemp directory too, then challenges
 *          each client to prove it knows the authkey (an HMAC of a random
 *          message), and never asks who the user is. manager_auth.py shows
 *          the same steps with Python's manager.
 * Usage:   ./manager_auth [-u USER]
 * Look for: the same user served; another user stopped by the directory
 * (EACCES), then, with the directory open, connected but refused by the
 * server, whose own line says why. Racy: nothing: each step waits for the
 * one before.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pwd.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include "common.h"
#include "creds.h"
#include "frame.h"
#include "manager.h"

static const char *address;
static uint32_t dict_id;

/* What is passed to a client child (copied by fork). */
struct who {
    uid_t uid;
    gid_t gid;
    int drop;                   /* become uid/gid first (root only) */
    int door_open;              /* expect the server, not the directory, to refuse */
};

/* The same user, through the ordinary client side. */
static void same_user(void *arg)
{
    mgr_conn *c = mgr_connect(address);
    struct mgr_value v;

    (void)arg;
    if (c == NULL)
        die_child("mgr_connect");
    mgr_must(mgr_dict_set(c, dict_id, mgr_str("who"), mgr_str("same user")), c, "d['who'] = ...");
    mgr_must(mgr_dict_get(c, dict_id, mgr_str("who"), &v), c, "d['who']");
    say("same    (%ld): uid %ld: connected and served: d['who'] = '%.*s'", (long)getpid(),
        (long)geteuid(), (int)v.len, v.str);
    if (mgr_close(c) == -1)
        die_child("mgr_close");
}

/* Another user, in raw steps, so that each one's outcome shows: connect()
 * (the directory's verdict), then the greeting (the server's). */
static void other_user(void *arg)
{
    const struct who *who = arg;
    struct sockaddr_un addr;
    unsigned char reply[FRAME_HEADER + 1 + MGR_MAX_MESSAGE];
    size_t len;
    int fd;

    if (who->drop && drop_privileges(who->uid, who->gid) == -1)
        die_child("drop_privileges to uid %ld", (long)who->uid);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd == -1)
        die_child("socket");
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    strcpy(addr.sun_path, address);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == -1) {
        int err = errno;
        if (close(fd) == -1)
            die_child("close");
        if (who->door_open && err == EACCES) {
            /* Our directory is open, so one above it (TMPDIR) is closed:
             * it keeps the other user out as well. */
            say("other   (%ld): uid %ld: connect: %s (%s), with the directory open",
                (long)getpid(), (long)geteuid(), errno_name(err), strerror(err));
            say("other   (%ld): uid %ld: a directory above it keeps it out: "
                "the server's own check is not shown", (long)getpid(), (long)geteuid());
            _exit(0);
        }
        say("other   (%ld): uid %ld: connect: %s (%s): the directory keeps it out",
            (long)getpid(), (long)geteuid(), errno_name(err), strerror(err));
        /* The exit status tells main whether this was the expected outcome. */
        _exit(!who->door_open && err == EACCES ? 0 : 3);
    }
    if (frame_recv(fd, reply, sizeof reply, &len) != 1 || len == 0)
        die_child("frame_recv");
    if (close(fd) == -1)
        die_child("close");
    if (reply[0] == MGR_OK) {
        say("other   (%ld): uid %ld: connected and SERVED: this system cannot tell who connects",
            (long)getpid(), (long)geteuid());
        _exit(strcmp(peer_uid_how(), "none") == 0 ? 0 : 3);
    }
    say("other   (%ld): uid %ld: connected (the directory is open)", (long)getpid(),
        (long)geteuid());
    say("other   (%ld): uid %ld: the server says: %s: %.*s", (long)getpid(),
        (long)geteuid(), mgr_status_name(reply[0]), (int)(len - 1), (const char *)reply + 1);
    _exit(who->door_open && reply[0] == MGR_E_REFUSED ? 0 : 3);
}

int main(int argc, char *argv[])
{
    const char *user = "nobody";
    struct passwd *pw;
    struct who other;
    struct stat dir_st, sock_st;
    int opt, ok = 1, code;
    manager *m;
    mgr_conn *c;

    prog_init(argc, argv, "[-u USER]\n"
              "  -u USER  the other user, tried when run as root (default nobody)\n"
              "Python: a Manager's 0700 directory, then its authkey challenge "
              "(twin: manager_auth.py)");
    while ((opt = get_option(argc, argv, "u:")) != -1)
        user = optarg;
    no_operands(argc, argv);

    /* Who is "another user"? Only root may become one. */
    errno = 0;
    pw = getpwnam(user);
    if (pw == NULL) {
        if (errno != 0)
            die("getpwnam %s", user);
        usage_error("-u %s: no such user", user);
    }
    if (pw->pw_uid == geteuid())
        usage_error("-u %s: that is the user running this; name another", user);
    other.uid = pw->pw_uid;
    other.gid = pw->pw_gid;
    other.drop = geteuid() == 0;
    other.door_open = 0;

    m = manager_start(MANAGER_LOG);     /* the server says whom it refuses */
    if (m == NULL)
        die("manager_start");
    address = manager_address(m);
    say("auth    (%ld): manager server %ld at %s", (long)getpid(), (long)manager_pid(m), address);
    c = mgr_connect(address);
    if (c == NULL)
        die("mgr_connect");
    mgr_must(mgr_create(c, MGR_DICT, &dict_id), c, "manager.dict()");

    if (stat(manager_directory(m), &dir_st) == -1)
        die("stat %s", manager_directory(m));
    say("auth    (%ld): its directory: mode %04o, owner uid %ld: only that user may enter",
        (long)getpid(), (unsigned)(dir_st.st_mode & 07777), (long)dir_st.st_uid);
    ok = ok && (dir_st.st_mode & 07777) == 0700;

    ok = ok && join_child(start_child(same_user, NULL)) == 0;

    if (!other.drop) {
        say("other   : uid %ld (%s): not tried: only root can act as another user",
            (long)other.uid, user);
    } else {
        ok = ok && join_child(start_child(other_user, &other)) == 0;

        /* For this demonstration only: let other users reach the socket,
         * so that the server's own check is what stops them. */
        if (stat(address, &sock_st) == -1)
            die("stat %s", address);
        say("auth    (%ld): opening the directory (0711) and the socket (0666), for this demonstration only",
            (long)getpid());
        if (chmod(manager_directory(m), 0711) == -1 || chmod(address, 0666) == -1)
            die("chmod");
        other.door_open = 1;
        code = join_child(start_child(other_user, &other));
        if (chmod(manager_directory(m), 0700) == -1 || chmod(address, sock_st.st_mode & 07777) == -1)
            die("chmod");
        say("auth    (%ld): directory back to 0700", (long)getpid());
        ok = ok && code == 0;
    }
    say("auth    (%ld): the server learns who connects with: %s", (long)getpid(), peer_uid_how());

    if (mgr_close(c) == -1)
        die("mgr_close");
    ok = manager_shutdown(m) == 0 && ok;
    /* Say what was checked: where the server cannot tell who connects
     * (peer_uid_how() is "none"), only the directory kept the other out. */
    say("auth    (%ld): check: the same user was served; %s: %s", (long)getpid(),
        !other.drop ? "another user not tried (not root)"
        : strcmp(peer_uid_how(), "none") == 0 ? "another user kept out by the directory only"
        : "another user was kept out twice", ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}

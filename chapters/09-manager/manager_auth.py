"""manager_auth.py - who may connect to Python's manager: the directory's
mode first, then the authkey challenge.

The C twin is manager_auth.c. The first steps are the same: Python's
manager listens in a directory made by mkdtemp (mode 0700), so another
user's connect() fails with EACCES. Then they differ: with the directory
open, the C server asks the kernel who connects and refuses another user;
Python's server never asks. It sends a random message and wants back its
HMAC under the authkey: whoever knows the key is served, whichever user it
is, and whoever does not is refused (AuthenticationError).

Usage: python3 manager_auth.py [-u USER]
"""
import argparse
import os
import pwd
import stat
import sys
import multiprocessing
from multiprocessing.managers import SyncManager

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import parse_args, say  # noqa: E402

# The fork start method: each client below is a child that inherits the
# manager's address and authkey, as the C children inherit the address.
ctx = multiprocessing.get_context("fork")


def same_user(address, authkey):
    m = SyncManager(address=address, authkey=authkey)
    m.connect()
    d = m.dict()
    d['who'] = 'same user'
    say(f"same    ({os.getpid()}): uid {os.geteuid()}: connected and served: "
        f"d['who'] = {d['who']!r}")


def other_user(address, authkey, uid, gid, door_open):
    # Drop to the other user for good: groups, then group, then user.
    os.setgroups([gid])
    os.setgid(gid)
    os.setuid(uid)
    me = os.getpid()
    try:
        m = SyncManager(address=address, authkey=authkey)
        m.connect()
    except PermissionError as err:
        if door_open:
            # Our directory is open, so one above it (TMPDIR) is closed.
            say(f"other   ({me}): uid {os.geteuid()}: connect: EACCES ({err.strerror}), "
                f"with the directory open")
            say(f"other   ({me}): uid {os.geteuid()}: a directory above it keeps it out: "
                f"the server's own check is not shown")
            os._exit(0)
        say(f"other   ({me}): uid {os.geteuid()}: connect: EACCES ({err.strerror}): "
            f"the directory keeps it out")
        os._exit(0)
    d = m.dict()
    d['who'] = 'another user'
    say(f"other   ({me}): uid {os.geteuid()}: with the authkey: SERVED: "
        f"Python checks the key, not the user")
    try:
        SyncManager(address=address, authkey=b"not the key").connect()
    except multiprocessing.AuthenticationError as err:
        say(f"other   ({me}): uid {os.geteuid()}: with a wrong key: AuthenticationError: {err}")
        os._exit(0 if door_open else 3)
    os._exit(3)


def run(target, *args):
    p = ctx.Process(target=target, args=args)
    p.start()
    p.join()
    return p.exitcode


def main():
    parser = argparse.ArgumentParser(description="who may connect to a manager")
    parser.add_argument("-u", dest="user", default="nobody", metavar="USER",
                        help="the other user, tried when run as root (default %(default)s)")
    args = parse_args(parser)
    try:
        pw = pwd.getpwnam(args.user)
    except KeyError:
        parser.error(f"-u {args.user}: no such user")
    if pw.pw_uid == os.geteuid():
        parser.error(f"-u {args.user}: that is the user running this; name another")
    may_drop = os.geteuid() == 0

    me = os.getpid()
    ok = True
    with ctx.Manager() as manager:
        address = manager.address
        authkey = bytes(multiprocessing.current_process().authkey)
        directory = os.path.dirname(address)
        # manager._process is not public API: read here only for its pid.
        say(f"auth    ({me}): manager server {manager._process.pid} at {address}")
        st = os.stat(directory)
        mode = stat.S_IMODE(st.st_mode)
        say(f"auth    ({me}): its directory: mode {mode:04o}, owner uid {st.st_uid}: "
            f"only that user may enter")
        ok = ok and mode == 0o700
        ok = ok and run(same_user, address, authkey) == 0
        if not may_drop:
            say(f"other   : uid {pw.pw_uid} ({args.user}): not tried: "
                f"only root can act as another user")
        else:
            ok = ok and run(other_user, address, authkey, pw.pw_uid, pw.pw_gid, False) == 0
            sock_mode = stat.S_IMODE(os.stat(address).st_mode)
            say(f"auth    ({me}): opening the directory (0711) and the socket (0666), "
                f"for this demonstration only")
            os.chmod(directory, 0o711)
            os.chmod(address, 0o666)
            code = run(other_user, address, authkey, pw.pw_uid, pw.pw_gid, True)
            os.chmod(directory, 0o700)
            os.chmod(address, sock_mode)
            say(f"auth    ({me}): directory back to 0700")
            ok = ok and code == 0
        say(f"auth    ({me}): the server learns who connects with: "
            f"nothing (an HMAC challenge with the authkey)")
    tried = "another user kept out, then served with the key" \
        if may_drop else "another user not tried (not root)"
    say(f"auth    ({me}): check: same user served; {tried}: "
        f"{'OK' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

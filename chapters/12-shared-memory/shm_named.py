"""shm_named.py - shared_memory.SharedMemory(create=True, name=...): a
segment with a name, which an UNRELATED process opens by that name.

The C twin is shm_named.c.
Usage: python3 shm_named.py [-s SIZE] [-m unlink|leak] [-a NAME]
The creator makes the segment and writes a greeting; a new Python process
(this program again, with -a NAME, started by subprocess: nothing inherited
but the name) attaches, reads it and writes an answer; the creator joins
it, reads the answer, then close() and unlink().
Attaching is where Python bites: before 3.13 SharedMemory(name) registers
the segment with the attaching process's resource_tracker, which unlinks it
(warning about "leaked shared_memory") when that process ends, though the
creator still uses it. 3.13 answers with track=False; before it, the
attacher unregisters the name itself.
-m leak: a creator that ends without unlink(). Its resource_tracker warns
and unlinks; with track=False (3.13) nothing does, and the parent must.
Racy: nothing here: the attacher is joined before the answer is read.
"""
import argparse
import inspect
import os
import re
import signal
import subprocess
import sys
from multiprocessing import resource_tracker, shared_memory

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, pace, parse_args, say  # noqa: E402

# A feature test, not a version test: 3.13 has track=.
HAS_TRACK = "track" in inspect.signature(shared_memory.SharedMemory).parameters

# -m leak's creator: a separate Python process that forgets unlink().
LEAKER = """import sys
from multiprocessing import shared_memory
kw = {"track": False} if sys.argv[3] == "untracked" else {}
shm = shared_memory.SharedMemory(create=True, name=sys.argv[1], size=int(sys.argv[2]), **kw)
shm.buf[:5] = b"hello"
shm.close()                             # close(), but no unlink()
"""


def attach(name):
    """SharedMemory(name) without handing it to our resource_tracker."""
    if HAS_TRACK:
        return shared_memory.SharedMemory(name=name, track=False), "track=False"
    shm = shared_memory.SharedMemory(name=name)
    # Before 3.13 attaching registers the name: undo it, or our tracker
    # unlinks the creator's segment when we end. (_name has the '/'.)
    resource_tracker.unregister(shm._name, "shared_memory")  # noqa: SLF001
    return shm, "then unregister()"


def attacher(name):
    me = f"{'attacher':8} ({os.getpid()})"
    shm, how = attach(name)
    half = shm.size // 2
    greeting = bytes(shm.buf[:half]).split(b"\0", 1)[0].decode()[:200]
    say(f"{me}: attached {name} by name, {shm.size} bytes, {how}")
    say(f"{me}: read '{greeting}'")
    pace(2)                             # it holds the segment a while: ls /dev/shm
    answer = f"attacher {os.getpid()} read: {greeting}".encode()[:half - 1]
    shm.buf[half:half + len(answer)] = answer
    say(f"{me}: wrote its answer, closes, ends")
    shm.close()


class Stopped(Exception):
    """SIGINT or SIGTERM arrived: the creator removes the name, then dies of it."""


def stop(signum, frame):
    raise Stopped(signum)


def creator(size):
    me = f"{'creator':8} ({os.getpid()})"
    shm = shared_memory.SharedMemory(create=True, name=f"wb-shm-{os.getpid()}", size=size)
    try:
        say(f"{me}: created {shm.name}, {shm.size} bytes: SharedMemory(create=True)")
        greeting = f"hello from the creator, pid {os.getpid()}"
        shm.buf[:len(greeting)] = greeting.encode()
        say(f"{me}: wrote '{greeting}'")
        # A new interpreter running this file: it inherits no mapping.
        child = subprocess.Popen([sys.executable, "-S", os.path.abspath(__file__), "-a", shm.name])
        say(f"{me}: subprocess: attacher {child.pid}, this program again with -a {shm.name}")
        try:
            code = child.wait()
        finally:
            if child.poll() is None:    # interrupted: stop it and reap it
                child.terminate()
                child.wait()
        if code != 0:
            sys.exit(f"shm_named.py: the attacher ended with exitcode {code}")
        half = shm.size // 2
        answer = bytes(shm.buf[half:]).split(b"\0", 1)[0].decode()
        say(f"{me}: the answer: '{answer}'")
        ok = answer == f"attacher {child.pid} read: {greeting}"
    except Stopped as stopped:
        sig = stopped.args[0]
        shm.close()
        shm.unlink()
        say(f"{me}: stopped by {signal.Signals(sig).name}: {shm.name} unlinked")
        signal.signal(sig, signal.SIG_DFL)  # die of it, as the C program does
        os.kill(os.getpid(), sig)
        raise
    shm.close()
    shm.unlink()                        # the name goes; close() alone leaves it
    say(f"{me}: unlink() {shm.name}: the name is gone")
    say(f"{me}: self-check: the attacher read what was written, answered, name removed: "
        f"{'OK' if ok else 'FAILED'}")
    return ok


def leak_once(name, size, tracked):
    """Run a creator that ends without unlink(); return its tracker's warning."""
    done = subprocess.run([sys.executable, "-S", "-c", LEAKER, name, str(size),
                           "tracked" if tracked else "untracked"],
                          stderr=subprocess.PIPE, text=True, check=False)
    # stderr's end of file comes when the creator AND its tracker have ended.
    if done.returncode != 0:
        sys.exit(f"shm_named.py: the creator failed: {done.stderr.strip()}")
    found = re.search(r"There appear to be \d+ leaked shared_memory objects",
                      done.stderr)
    return found.group(0) if found else ""


def still_there(name):
    try:
        shm, _ = attach(name)
    except FileNotFoundError:
        return False
    shm.close()
    return True


def leak(size):
    me = f"{'main':8} ({os.getpid()})"
    name = f"wb-shm-{os.getpid()}"
    warning = leak_once(name, size, tracked=True)
    say(f"{me}: a creator made {name} and ended without unlink()")
    say(f"{me}: its resource_tracker warned: {warning or '(nothing)'}")
    gone = not still_there(name)
    say(f"{me}: {name} is {'gone: the tracker unlinked it' if gone else 'STILL THERE'}")
    ok = gone and warning != ""
    if HAS_TRACK:
        leak_once(name, size, tracked=False)
        left = still_there(name)
        say(f"{me}: with track=False: {name} is {'still there' if left else 'GONE'}: "
            "nobody unlinks it")
        shm, _ = attach(name) if left else (None, None)
        if shm is not None:
            shm.close()
            shm.unlink()
            say(f"{me}: so this process unlinks it")
        ok = ok and left
    else:
        say(f"{me}: track=False: not in Python {sys.version_info[0]}.{sys.version_info[1]}"
            " (3.13 adds it)")
    say(f"{me}: self-check: the leaked segment was unlinked, as said: {'OK' if ok else 'FAILED'}")
    return ok


def main():
    parser = argparse.ArgumentParser(description="a named shared memory segment")
    parser.add_argument("-s", dest="size", type=int_in(64, 1048576), default=4096, metavar="SIZE",
                        help="bytes in the segment (default %(default)s)")
    parser.add_argument("-m", dest="mode", choices=("unlink", "leak"), default="unlink",
                        metavar="unlink|leak", help="remove the name at the end, or show what a "
                        "crash leaves (default %(default)s)")
    parser.add_argument("-a", dest="attach", metavar="NAME",
                        help="attach to the segment NAME and answer (default: create one)")
    args = parse_args(parser)
    if args.attach is not None:
        try:
            attacher(args.attach.lstrip("/"))   # Python adds the '/' itself
        except KeyboardInterrupt:               # Ctrl-C reaches it too: end quietly
            sys.exit(130)
        return
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    ok = leak(args.size) if args.mode == "leak" else creator(args.size)
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()

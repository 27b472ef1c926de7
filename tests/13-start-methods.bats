#!/usr/bin/env bats
# Chapter 13: start methods. fork copies the parent, so a global changed
# before the start is seen by the child; spawn starts the program afresh,
# so it is not; a fork server's children are the server's, not the
# requester's; fork in a process with threads deadlocks the child on a
# lock another thread held, and the demo still ends, leaving nothing. The
# order of the children's lines is racy: never asserted.

load test_helper

CH=13-start-methods

# Each child's answer, as its parent reports it: the child's pid there is
# the one the child printed for itself. $1: the role word of the child
# lines' parent (parent, requester); $2: children; $3: the setting they see.
answers_checks() {
    local who=$1 n=$2 seen=$3 k pid
    for ((k = 1; k <= n; k++)); do
        pid=$(capture "^child $k +([0-9]+) ")
        assert_count 1 "^$who +[0-9]+ +child $k \\($pid\\): square\\($k\\) = $((k * k)) \\(expected $((k * k))\\)[,;] "
    done
    assert_count "$n" "^child [0-9]+ +[0-9]+ .*setting = $seen"
    refute_line --regexp "^child .*setting = $((3 - seen))"
    assert_line --regexp "^$who +[0-9]+ +self-check: .*: OK$"
}

# ---- start_fork ---------------------------------------------------------------
start_fork_checks() {
    run_impl "$1" $CH start_fork -n 4
    assert_success
    # The parent changed the global before it forked: every child sees it.
    assert_before '^parent +[0-9]+ +setting = 2 now' '^child '
    assert_count 4 "^child [1-4] +[0-9]+ +setting = 2 \\(the parent's change IS here: I am its copy\\)$"
    answers_checks parent 4 2
    assert_count 4 '^parent +[0-9]+ +child [1-4] \([0-9]+\): .*, it saw setting = 2$'
}

@test "start_fork: every child sees the global the parent changed before fork(), and answers right" { start_fork_checks c; }
@test "start_fork.py: every child sees the global the parent changed before the start, and answers right" { start_fork_checks py; }

# ---- start_spawn ----------------------------------------------------------------
start_spawn_checks() {
    run_impl "$1" $CH start_spawn -n 4
    assert_success
    # A fresh program: the parent's change is not there, though it was made
    # before the start; the task arrived all the same.
    assert_before '^parent +[0-9]+ +setting = 2 now' '^child '
    assert_count 4 '^child [1-4] +[0-9]+ +started afresh.*; setting = 1 \(from the program file\)$'
    answers_checks parent 4 1
    assert_count 4 '^parent +[0-9]+ +child [1-4] \([0-9]+\): .*, it saw setting = 1$'
}

@test "start_spawn: every fresh child sees the global as in the program file, not the parent's change" {
    start_spawn_checks c
    local k
    for k in 1 2 3 4; do
        assert_count 1 "^child $k +[0-9]+ +started afresh, task \"square $k\" received; "
    done
}

@test "start_spawn.py: every child sees the global as in the file; a local function cannot be pickled" {
    start_spawn_checks py
    # The module is imported anew, as __mp_main__: the __main__ guard.
    assert_count 4 "^child [1-4] +[0-9]+ +started afresh as module '__mp_main__'; "
    # The real failure, caught: 3.11 and 3.12 say pickle, 3.13 get.
    assert_line --regexp '^parent +[0-9]+ +start\(\) refused in the parent, (AttributeError|PicklingError):$'
    assert_line --regexp "^parent +[0-9]+ +Can't (pickle|get) local object 'main\\.<locals>\\.local_square'$"
}

# ---- start_forkserver -------------------------------------------------------------
# The server's pid: C's server says it, the twin reads Python's (private)
# record of it. Every child's parent is the server, never the requester.
start_forkserver_checks() {
    local server requester
    run_impl "$1" $CH start_forkserver -n 4
    assert_success
    if [ "$1" = c ]; then
        server=$(capture '^server +([0-9]+) +fork server started: ')
        assert_count 4 "^server +$server +request [1-4]: a descriptor came with it \\(SCM_RIGHTS\\); forked child [0-9]+$"
        assert_count 4 '^requester +[0-9]+ +server reports: child [0-9]+ ended, exitcode 0$'
    else
        server=$(capture '^requester +[0-9]+ +the fork server is ([0-9]+)$')
    fi
    requester=$(capture '^requester +([0-9]+) ')
    [ "$server" != "$requester" ] || fail_run "the server is the requester?"
    assert_count 4 "^child [1-4] +[0-9]+ +my parent is $server; setting = 1$"
    refute_line --regexp "^child .*my parent is $requester;"
    answers_checks requester 4 1
    assert_count 4 "^requester +$requester +child [1-4] \\([0-9]+\\): .*; its parent: $server(;|$)"
    assert_line --regexp "^requester +$requester +self-check: 4/4 children of server $server, 4/4 right answers.*: OK$"
}

@test "start_forkserver: the children are the server's, not the requester's, and answer right" { start_forkserver_checks c; }
@test "start_forkserver.py: the children are the fork server's, not the requester's, and answer right" { start_forkserver_checks py; }

# ---- fork_threads -------------------------------------------------------------------
# -m deadlock: the thread holds the lock when the parent forks (it says so
# before the fork); the child takes it and never gets it. The parent's wait
# is bounded, whatever the scheduler does: the hang itself is certain, so
# a short limit decides nothing. The child is gone afterwards.
fork_threads_deadlock_checks() {
    local child
    run_impl "$1" $CH fork_threads -t 0.5
    assert_success
    assert_before '^thread +[0-9]+ +holds the lock$' '^parent +[0-9]+ +forked child '
    child=$(capture '^parent +[0-9]+ +forked child ([0-9]+); waiting for it, at most 0.5 s$')
    assert_line --regexp "^child +$child +taking the lock\\.\\.\\.$"
    refute_line --regexp '^child .*got the lock'
    assert_line --regexp "^parent +[0-9]+ +child $child has not ended after 0.5 s: deadlocked in "
    assert_line --regexp "^parent +[0-9]+ +child $child (reaped|joined): exitcode -9 \\(killed by SIGKILL\\)$"
    assert_line --regexp '^parent +[0-9]+ +self-check: the child deadlocked, was killed and (reaped|joined): OK$'
    ! kill -0 "$child" 2>/dev/null || fail_run "child $child is still running"
}

@test "fork_threads: a lock held by a thread at fork() deadlocks the child; reported, killed, reaped" { fork_threads_deadlock_checks c; }
@test "fork_threads.py: a lock held by a thread at fork() deadlocks the child; reported, killed, joined" { fork_threads_deadlock_checks py; }

# -m atfork: the handlers take the lock for the fork, so the child gets it.
# A generous limit: the child's end must not race the parent's patience.
fork_threads_atfork_checks() {
    run_impl "$1" $CH fork_threads -m atfork -t 20
    assert_success
    assert_before '^thread +[0-9]+ +lets go of the lock' '^child +[0-9]+ +got the lock$'
    assert_before '^child +[0-9]+ +taking the lock\.\.\.$' '^child +[0-9]+ +got the lock$'
    refute_line --regexp 'has not ended after'
    assert_line --regexp '^parent +[0-9]+ +child [0-9]+ (reaped|joined): exitcode 0$'
    assert_line --regexp '^parent +[0-9]+ +self-check: with (pthread_atfork|register_at_fork) the child got the lock and ended: OK$'
}

@test "fork_threads -m atfork: pthread_atfork handlers: the child gets the lock" {
    fork_threads_atfork_checks c
    # The prepare handler takes the lock only once the thread has let go.
    assert_before '^thread +[0-9]+ +lets go of the lock' '^parent +[0-9]+ +atfork prepare: lock taken'
}
@test "fork_threads.py -m atfork: os.register_at_fork handlers: the child gets the lock" { fork_threads_atfork_checks py; }

# The twin reports the DeprecationWarning of 3.12 and later, and says that
# 3.11 has none.
warning_checks() {
    if "$1" -S -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then
        assert_line --regexp '^parent +[0-9]+ +DeprecationWarning from os\.fork\(\):$'
        assert_line --regexp '^parent +[0-9]+ +This process \(pid=[0-9]+\) is multi-threaded,$'
        assert_line --regexp '^parent +[0-9]+ +use of fork\(\) may lead to deadlocks in the child\.$'
    else
        assert_line --regexp '^parent +[0-9]+ +no DeprecationWarning: Python 3\.[0-9]+ has none \(3\.12 and later warn\)$'
    fi
}

@test "fork_threads.py: the fork with a thread running warns on 3.12 and later (and 3.11 says it does not)" {
    run_py $CH fork_threads -t 0.5
    assert_success
    warning_checks "$WB_PYTHON"
}

# ---- the twins under Python 3.12 and 3.13 (other_python: test_helper) -------------------
# Every twin but the warning demo runs with DeprecationWarning as an error
# and prints nothing on stderr; the warning demo reports its warning.
other_python_checks() {
    local py prog
    other_python "$1"
    py=$WB_OTHER
    for prog in start_fork start_spawn start_forkserver; do
        run_limited "$py" -S -W error::DeprecationWarning "$WB_ROOT/chapters/$CH/$prog.py" -n 2
        assert_success
        [ -z "$stderr" ] || fail_run "$prog.py under Python $1: nothing expected on stderr"
        assert_line --regexp '^(parent|requester) +[0-9]+ +self-check: .*: OK$'
    done
    run_limited "$py" -S "$WB_ROOT/chapters/$CH/fork_threads.py" -t 0.5
    assert_success
    warning_checks "$py"
    assert_line --regexp '^parent +[0-9]+ +self-check: the child deadlocked, was killed and joined: OK$'
}

@test "13-start-methods twins under Python 3.12: no DeprecationWarning but the lesson's" { other_python_checks 3.12; }
@test "13-start-methods twins under Python 3.13: no DeprecationWarning but the lesson's" { other_python_checks 3.13; }

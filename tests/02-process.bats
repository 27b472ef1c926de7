#!/usr/bin/env bats
# Chapter 02: Process. start, join, is_alive, exitcode, terminate, daemon.

load test_helper

# ---- process_demo ----------------------------------------------------------
process_demo_checks() {
    run_impl "$1" 02-process process_demo
    assert_success
    assert_count 4 '.'
    [[ ${lines[0]} =~ ^Parent\ process\ [0-9]+\.$ ]] || fail_run "the parent's line comes first"
    # join: the child's line is guaranteed before "Child process end."
    assert_before '^Run child process test \([0-9]+\)\.\.\.$' '^Child process end\.$'
}

@test "process_demo: with join, the child's line comes before the end" { process_demo_checks c; }
@test "process_demo.py: with join, the child's line comes before the end" { process_demo_checks py; }

# Without join the order is racy: assert only that both lines come (whether
# the child is reaped is not visible here; the hygiene checks of make check
# see it).
process_demo_nojoin() {
    run_impl "$1" 02-process process_demo -J
    assert_success
    assert_count 1 '^Run child process test \([0-9]+\)\.\.\.$'
    assert_count 1 '^Child process end\.$'
    assert_before '^Child process will start\.$' '^Child process end\.$'
}

@test "process_demo -J: both lines come, in either order" { process_demo_nojoin c; }
@test "process_demo.py -J: both lines come, in either order" { process_demo_nojoin py; }

# ---- process_workers -------------------------------------------------------
process_workers_checks() {
    run_impl "$1" 02-process process_workers -n 4 -c 5
    assert_success
    local i
    for i in 1 2 3 4; do
        assert_count 5 "^Process-$i +\([0-9]+\): count [1-5]/5$"
        assert_before "^Process-$i +\([0-9]+\): count 5/5$" "^main .*: joined Process-$i: is_alive = false, exitcode = 0$"
    done
    assert_count 4 ': joined Process-[1-4]: is_alive = false, exitcode = 0$'
    [[ ${lines[0]} =~ ^main\ +\([0-9]+\):\ [0-9]+\ CPUs\ online,\ starting\ 4\ workers$ ]] || fail_run "first line"
}

@test "process_workers: every worker counts in full; not alive after join" { process_workers_checks c; }
@test "process_workers.py: every worker counts in full; not alive after join" { process_workers_checks py; }

# ---- process_class ---------------------------------------------------------
process_class_checks() {
    run_impl "$1" 02-process process_class -c 2
    assert_success
    local main child
    main=$(capture '^main: pid ([0-9]+)$')
    child=$(capture '^main: joined child ([0-9]+), exitcode 0$')
    [ "$main" != "$child" ] || fail_run "the child has its own pid"
    assert_count 2 "^ClockProcess\.run\(\): tick [12]/2 in pid $main$"
    assert_count 2 "^ClockProcess\.run\(\): tick [12]/2 in pid $child$"
    assert_before "in pid $main$" '^main: calling start\(\)'
    assert_before '^main: calling start\(\)' "in pid $child$"
    assert_before "in pid $child$" '^main: joined child'
}

@test "process_class: run() runs in the child after start(), in the parent if called" { process_class_checks c; }
@test "process_class.py: run() runs in the child after start(), in the parent if called" { process_class_checks py; }

# ---- process_lifecycle -----------------------------------------------------
process_lifecycle_checks() {
    run_impl "$1" 02-process process_lifecycle
    assert_success
    assert_line --regexp '^sleeper +before start\(\): +pid = None +exitcode = None +daemon = false +is_alive = false$'
    assert_line --regexp '^sleeper +after start\(\): +pid = [0-9]+ +exitcode = None +daemon = false +is_alive = true$'
    # join(timeout) returns while the sleeper is still alive
    assert_line --regexp '^sleeper +after join\(timeout=1\): +pid = [0-9]+ +exitcode = None +daemon = false +is_alive = true$'
    assert_line --regexp '^sleeper +after terminate\(\), join\(\): +pid = [0-9]+ +exitcode = -15 +daemon = false +is_alive = false$'
    assert_line --regexp '^worker +after join\(\): +pid = [0-9]+ +exitcode = 0 +daemon = false +is_alive = false$'
    assert_line --regexp '^failer +after join\(\): +pid = [0-9]+ +exitcode = 5 +daemon = false +is_alive = false$'
    # terminate() skips the child's cleanup; a normal end runs it
    refute_line --regexp '^sleeper +\([0-9]+\): cleanup ran$'
    assert_before '^worker +\([0-9]+\): cleanup ran$' '^worker +after join'
    assert_before '^failer +\([0-9]+\): cleanup ran$' '^failer +after join'
}

@test "process_lifecycle: join(timeout), terminate, exitcodes" {
    process_lifecycle_checks c
    assert_line --regexp '^zombie +ended, not yet reaped: +kill\(pid, 0\) = 0: it would look alive$'
    assert_line --regexp '^zombie +is_alive\(\) by waitpid: +pid = [0-9]+ +exitcode = 0 +daemon = false +is_alive = false$'
}
@test "process_lifecycle.py: join(timeout), terminate, exitcodes" { process_lifecycle_checks py; }

@test "process_lifecycle: join(timeout) at a real pace still returns with the sleeper alive" {
    WORKBOOK_PACE=0.2 run_c 02-process process_lifecycle -t 1
    assert_success
    assert_line --regexp '^sleeper +after join\(timeout=1\): .*is_alive = true$'
}

# ---- daemon_demo -----------------------------------------------------------
daemon_demo_checks() {
    run_impl "$1" 02-process daemon_demo -c 3
    assert_success
    assert_count 3 '^worker \([0-9]+\): step [1-3]/3$'
    assert_count 1 '^worker \([0-9]+\): finished$'
    refute_line --regexp '^daemon .*last line'
}

@test "daemon_demo: the daemon is stopped, the worker finishes" {
    daemon_demo_checks c
    assert_before '^worker \([0-9]+\): finished$' '^main +\([0-9]+\): exit$'
    assert_before '^main .*terminating daemon' '^main .*joining worker'
    [[ ${lines[-1]} =~ ^main\ +\([0-9]+\):\ exit$ ]] || fail_run "main's exit is the last line"
}
@test "daemon_demo.py: the daemon is stopped, the worker finishes" { daemon_demo_checks py; }

# -k: the parent dies by SIGKILL. Nobody stops the daemon: orphaned, it
# sees EOF on the parent's pipe and prints its last line. The capture ends
# only when the daemon and the worker have closed stdout, i.e. have ended.
daemon_demo_crash() {
    run_impl "$1" 02-process daemon_demo -c 2 -k
    assert_failure 137
    assert_count 1 '^daemon \([0-9]+\): last line: my parent is gone and nobody stopped me$'
    assert_count 1 '^worker \([0-9]+\): finished$'
    assert_before '^main .*crashing with SIGKILL' '^daemon .*last line'
}

@test "daemon_demo -k: a killed parent leaves its daemon running" { daemon_demo_crash c; }
@test "daemon_demo.py -k: a killed parent leaves its daemon running" { daemon_demo_crash py; }

#!/usr/bin/env bats
# Chapter 06: lock. What a Lock guarantees: one holder at a time, so each
# holder's lines are contiguous and no increment is lost. Nothing is
# asserted about the runs WITHOUT the lock: how they interleave is racy.

load test_helper

# writer_runs: the number of runs of file lines ("  | LABEL (pid): ...")
# from one writer, as lock_demo prints the file.
writer_runs() {
    local line label last="" runs=0
    for line in "${lines[@]}"; do
        [[ $line =~ ^\ \ \|\ ([a-z]+)\ +\( ]] || continue
        label=${BASH_REMATCH[1]}
        if [ "$label" != "$last" ]; then
            runs=$((runs + 1))
            last=$label
        fi
    done
    echo "$runs"
}

# ---- lock_demo -------------------------------------------------------------
lock_demo_checks() {
    run_impl "$1" 06-lock lock_demo -n 5
    assert_success
    assert_line --regexp '^main +\([0-9]+\): two writers append 5 lines each to one file, each holding the lock while it writes$'
    assert_count 5 '^  \| with +\([0-9]+\): line [1-5] of 5$'
    assert_count 5 '^  \| acquire +\([0-9]+\): line [1-5] of 5$'
    assert_count 10 '^  \| '
    [ "$(writer_runs)" -eq 2 ] || fail_run "each holder's lines should be contiguous (2 runs), found $(writer_runs) runs"
    assert_line --regexp "^main +\([0-9]+\): 2 runs of lines: each writer's lines are contiguous$"
}

@test "lock_demo: with the lock, each holder's lines are contiguous" { lock_demo_checks c; }
@test "lock_demo.py: with the lock, each holder's lines are contiguous" { lock_demo_checks py; }

# With a little pace the writers overlap in time, so the lock really has to
# keep them apart; the guarantee is the same.
lock_demo_paced_checks() {
    WORKBOOK_PACE=0.02 run_impl "$1" 06-lock lock_demo -n 4
    assert_success
    assert_count 8 '^  \| '
    [ "$(writer_runs)" -eq 2 ] || fail_run "each holder's lines should be contiguous (2 runs), found $(writer_runs) runs"
}

@test "lock_demo: writers that overlap in time still keep their lines together" { lock_demo_paced_checks c; }
@test "lock_demo.py: writers that overlap in time still keep their lines together" { lock_demo_paced_checks py; }

# Without the lock: every line is written, whole; the interleaving is racy.
lock_demo_unlocked_checks() {
    run_impl "$1" 06-lock lock_demo -u -n 3
    assert_success
    assert_line --regexp '^main +\([0-9]+\): two writers append 3 lines each to one file, WITHOUT the lock \(-u\)$'
    assert_count 3 '^  \| with +\([0-9]+\): line [1-3] of 3$'
    assert_count 3 '^  \| acquire +\([0-9]+\): line [1-3] of 3$'
    assert_count 6 '^  \| '
    assert_count 1 '^main +\([0-9]+\): [0-9]+ runs of lines: '
}

@test "lock_demo -u: every line arrives whole (order not asserted)" { lock_demo_unlocked_checks c; }
@test "lock_demo.py -u: every line arrives whole (order not asserted)" { lock_demo_unlocked_checks py; }

lock_demo_bad_usage() {
    assert_common_bad_usage "$1" 06-lock lock_demo
    bad_usage "$1" 06-lock lock_demo -n
    bad_usage "$1" 06-lock lock_demo -n abc
    bad_usage "$1" 06-lock lock_demo -n 0
    bad_usage "$1" 06-lock lock_demo -n -1
    bad_usage "$1" 06-lock lock_demo -n 101
    bad_usage "$1" 06-lock lock_demo -n 99999999999999999999
}

@test "lock_demo: bad usage gets one line and status 2" { lock_demo_bad_usage c; }
@test "lock_demo.py: bad usage gets status 2" { lock_demo_bad_usage py; }

# ---- lock_counter ------------------------------------------------------------
lock_counter_checks() {
    run_impl "$1" 06-lock lock_counter -n 4 -c 100000
    assert_success
    assert_line --regexp '^main +\([0-9]+\): 4 processes add 1 to a shared counter 100000 times each, holding the lock$'
    assert_line --regexp '^main +\([0-9]+\): counter = 400000 \(expected 400000\)$'
    assert_line --regexp '^main +\([0-9]+\): exact: no update lost$'
}

@test "lock_counter: with the lock, 4 x 100000 increments give exactly 400000" { lock_counter_checks c; }
@test "lock_counter.py: with the lock, 4 x 100000 increments give exactly 400000" { lock_counter_checks py; }

# The default run is long enough for the processes to overlap for sure: a
# lock that did not work would lose updates here.
@test "lock_counter: by default, 4 x 1000000 increments give exactly 4000000" {
    run_c 06-lock lock_counter
    assert_success
    assert_line --regexp '^main +\([0-9]+\): counter = 4000000 \(expected 4000000\)$'
    assert_line --regexp '^main +\([0-9]+\): exact: no update lost$'
}

# Without the lock the total is at most the expected one; how much is lost
# (perhaps nothing) is racy.
lock_counter_unlocked_checks() {
    local counter
    run_impl "$1" 06-lock lock_counter -u -n 3 -c 20000
    assert_success
    counter=$(capture '^main +\([0-9]+\): counter = ([0-9]+) \(expected 60000\)$')
    [ "$counter" -le 60000 ] || fail_run "counter $counter is more than 60000"
    assert_count 1 '^main +\([0-9]+\): (exact this time, but only by luck|[0-9]+ updates lost)$'
}

@test "lock_counter -u: the total is reported, never above the expected" { lock_counter_unlocked_checks c; }
@test "lock_counter.py -u: the total is reported, never above the expected" { lock_counter_unlocked_checks py; }

lock_counter_bad_usage() {
    assert_common_bad_usage "$1" 06-lock lock_counter
    bad_usage "$1" 06-lock lock_counter -n
    bad_usage "$1" 06-lock lock_counter -n abc
    bad_usage "$1" 06-lock lock_counter -n 0
    bad_usage "$1" 06-lock lock_counter -n 65
    bad_usage "$1" 06-lock lock_counter -c
    bad_usage "$1" 06-lock lock_counter -c 1x
    bad_usage "$1" 06-lock lock_counter -c 0
    bad_usage "$1" 06-lock lock_counter -c -5
    bad_usage "$1" 06-lock lock_counter -c 99999999999999999999
}

@test "lock_counter: bad usage gets one line and status 2" { lock_counter_bad_usage c; }
@test "lock_counter.py: bad usage gets status 2" { lock_counter_bad_usage py; }

# ---- lock_robust (C only: Python has no robust lock) ---------------------------
@test "lock_robust: a semaphore held by a dead process would hang forever" {
    run_c 06-lock lock_robust -k sem
    assert_success
    assert_before '^holder +\([0-9]+\): holds the sem lock' '^main +\([0-9]+\): holder [0-9]+ killed by SIGKILL while holding the lock$'
    assert_line --regexp '^survivor +\([0-9]+\): still not free after 0 s: it would hang forever$'
    assert_line --regexp '^survivor +\([0-9]+\): a = 90, b = 0, moving = 10: a \+ b = 90, HALF-UPDATED$'
}

@test "lock_robust: a plain mutex held by a dead process would hang forever" {
    run_c 06-lock lock_robust -k plain
    assert_success
    assert_line --regexp '^survivor +\([0-9]+\): still not free after 0 s: it would hang forever$'
    assert_line --regexp '^survivor +\([0-9]+\): a = 90, b = 0, moving = 10: a \+ b = 90, HALF-UPDATED$'
}

@test "lock_robust: a robust mutex reports EOWNERDEAD, the survivor repairs and goes on" {
    run_c 06-lock lock_robust -k robust
    assert_success
    assert_before '^main +\([0-9]+\): holder [0-9]+ killed by SIGKILL' '^survivor +\([0-9]+\): pthread_mutex_lock: EOWNERDEAD: we hold it, and its last owner died$'
    assert_before 'EOWNERDEAD' '^survivor +\([0-9]+\): a = 90, b = 10, moving = 0: a \+ b = 100, as it should be$'
    assert_line --regexp '^survivor +\([0-9]+\): marked it consistent; it locks normally again: the program goes on$'
    refute_line --regexp 'hang forever'
}

@test "lock_robust: the kernel releases a dead holder's file lock at once" {
    run_c 06-lock lock_robust -k fcntl
    assert_success
    assert_line --regexp '^survivor +\([0-9]+\): got it at once: the kernel released it when the holder died$'
    assert_line --regexp '^survivor +\([0-9]+\): a = 90, b = 10, moving = 0: a \+ b = 100, as it should be$'
}

@test "lock_robust: by default it runs the four cases in order" {
    run_c 06-lock lock_robust
    assert_success
    assert_count 4 '^--- (sem|plain|robust|fcntl): '
    assert_before '^--- sem: ' '^--- plain: '
    assert_before '^--- plain: ' '^--- robust: '
    assert_before '^--- robust: ' '^--- fcntl: '
    assert_count 2 'it would hang forever$'
    assert_count 4 '^main +\([0-9]+\): holder [0-9]+ killed by SIGKILL while holding the lock$'
}

@test "lock_robust: bad usage gets one line and status 2" {
    assert_common_bad_usage c 06-lock lock_robust
    bad_usage c 06-lock lock_robust -k
    bad_usage c 06-lock lock_robust -k spin
    bad_usage c 06-lock lock_robust -k ''
}

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
# With a little pace the writers overlap in time, so the lock really has to
# keep them apart (without it the first writer may be done before the
# second starts); the guarantee is the same.
lock_demo_checks() {
    WORKBOOK_PACE=0.02 run_impl "$1" 06-lock lock_demo -c 5
    assert_success
    assert_line --regexp '^main +\([0-9]+\): two writers append 5 lines each to one file, one at a time, holding the lock$'
    assert_count 5 '^  \| with +\([0-9]+\): line [1-5] of 5$'
    assert_count 5 '^  \| acquire +\([0-9]+\): line [1-5] of 5$'
    assert_count 10 '^  \| '
    [ "$(writer_runs)" -eq 2 ] || fail_run "each holder's lines should be contiguous (2 runs), found $(writer_runs) runs"
    assert_line --regexp "^main +\([0-9]+\): 2 runs of lines: each writer's lines are contiguous$"
}

@test "lock_demo: with the lock, each holder's lines are contiguous, writers overlapping in time" { lock_demo_checks c; }
@test "lock_demo.py: with the lock, each holder's lines are contiguous, writers overlapping in time" { lock_demo_checks py; }

# Without the lock: every line is written, whole; the interleaving is racy.
lock_demo_unlocked_checks() {
    run_impl "$1" 06-lock lock_demo -u -c 3
    assert_success
    assert_line --regexp '^main +\([0-9]+\): two writers append 3 lines each to one file, WITHOUT the lock \(-u\)$'
    assert_count 3 '^  \| with +\([0-9]+\): line [1-3] of 3$'
    assert_count 3 '^  \| acquire +\([0-9]+\): line [1-3] of 3$'
    assert_count 6 '^  \| '
    assert_count 1 '^main +\([0-9]+\): [0-9]+ runs of lines: '
}

@test "lock_demo -u: every line arrives whole (order not asserted)" { lock_demo_unlocked_checks c; }
@test "lock_demo.py -u: every line arrives whole (order not asserted)" { lock_demo_unlocked_checks py; }

# ---- lock_counter ------------------------------------------------------------
# The processes start together (a start gate) and run long enough to
# overlap for sure: a lock that did not work would lose updates here. (The
# C default, 4 x 1000000; the twin is slower, and 20000 each already lose
# updates without the lock, as its -u run below shows.)
# lock_counter_checks COUNT TOTAL: the run's header, and the exact total.
lock_counter_checks() {
    local count=$1 total=$2
    assert_success
    assert_line --regexp "^main +\\([0-9]+\\): 4 processes add 1 to a shared counter $count times each, holding the lock\$"
    assert_line --regexp "^main +\\([0-9]+\\): counter = $total \\(expected $total\\)\$"
    assert_line --regexp '^main +\([0-9]+\): exact: no update lost$'
}

@test "lock_counter: with the lock, by default 4 x 1000000 increments give exactly 4000000" {
    run_c 06-lock lock_counter
    lock_counter_checks 1000000 4000000
}

@test "lock_counter.py: with the lock, 4 x 20000 increments give exactly 80000" {
    run_py 06-lock lock_counter -n 4 -c 20000
    lock_counter_checks 20000 80000
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

# ---- lock_robust (C only: Python has no robust lock) ---------------------------
# By default it runs the four cases in order, each with its own lock and
# its own "---" heading: one run, in setup_file, and each test reads the
# part of the output under one heading.
setup_file() {
    local dir=$BATS_FILE_TMPDIR
    # run_c refuses a hang or a sanitizer report with fail: in a subshell
    # of its own, so that the refusal is these tests' (robust_run reports
    # it), not the whole file's.
    set +e
    (
        set -e
        run_c 06-lock lock_robust
        printf '%s\n' "$status" >"$dir/robust.status"
        printf '%s\n' "$output" >"$dir/robust.out"
        printf '%s\n' "$stderr" >"$dir/robust.err"
    ) 2>"$dir/robust.refused"
    set -e
}

# robust_run [CASE]: status, output, lines and stderr of that run, as run_c
# leaves them; with a CASE, only the lines under its heading.
robust_run() {
    local dir=$BATS_FILE_TMPDIR
    [ -f "$dir/robust.out" ] || fail "lock_robust, run once for these tests: $(cat "$dir/robust.refused" 2>/dev/null)"
    status=$(<"$dir/robust.status")
    stderr=$(<"$dir/robust.err")
    if [ -n "${1:-}" ]; then
        output=$(awk -v c="$1" '/^--- / { on = ($2 == c ":") } on' "$dir/robust.out")
    else
        output=$(<"$dir/robust.out")
    fi
    mapfile -t lines <<<"$output"
}

@test "lock_robust: a semaphore held by a dead process would hang forever" {
    robust_run sem
    assert_success
    assert_before '^holder +\([0-9]+\): holds the sem lock' '^main +\([0-9]+\): holder [0-9]+ killed by SIGKILL while holding the lock$'
    assert_line --regexp '^survivor +\([0-9]+\): still not free after 0 s: it would hang forever$'
    assert_line --regexp '^survivor +\([0-9]+\): a = 90, b = 0, moving = 10: a \+ b = 90, HALF-UPDATED$'
}

@test "lock_robust: a plain mutex held by a dead process would hang forever" {
    robust_run plain
    assert_success
    assert_line --regexp '^survivor +\([0-9]+\): still not free after 0 s: it would hang forever$'
    assert_line --regexp '^survivor +\([0-9]+\): a = 90, b = 0, moving = 10: a \+ b = 90, HALF-UPDATED$'
}

@test "lock_robust: a robust mutex reports EOWNERDEAD, the survivor repairs and goes on" {
    robust_run robust
    assert_success
    assert_before '^main +\([0-9]+\): holder [0-9]+ killed by SIGKILL' '^survivor +\([0-9]+\): pthread_mutex_lock: EOWNERDEAD: we hold it, and its last owner died$'
    assert_before 'EOWNERDEAD' '^survivor +\([0-9]+\): a = 90, b = 10, moving = 0: a \+ b = 100, as it should be$'
    assert_line --regexp '^survivor +\([0-9]+\): marked it consistent; it locks normally again: the program goes on$'
    refute_line --regexp 'hang forever'
}

@test "lock_robust: the kernel releases a dead holder's file lock at once" {
    robust_run fcntl
    assert_success
    assert_line --regexp '^survivor +\([0-9]+\): got it at once: the kernel released it when the holder died$'
    assert_line --regexp '^survivor +\([0-9]+\): a = 90, b = 10, moving = 0: a \+ b = 100, as it should be$'
}

@test "lock_robust: by default it runs the four cases in order" {
    robust_run
    assert_success
    # The headings, in the order of the output: these four, in this order.
    assert_equal "$(printf '%s\n' "$output" | awk '/^--- / { print $2 }' | tr '\n' ' ')" 'sem: plain: robust: fcntl: '
    assert_count 2 'it would hang forever$'
    assert_count 4 '^main +\([0-9]+\): holder [0-9]+ killed by SIGKILL while holding the lock$'
}

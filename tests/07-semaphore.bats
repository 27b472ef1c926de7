#!/usr/bin/env bats
# Chapter 07: semaphore. Semaphore(n) lets at most n holders in at once,
# counted over the output as acquires minus releases; and a named semaphore
# is unlinked however the program ends. Who gets in first is racy.

load test_helper

# Every worker acquires once, then releases once; never more than $1 inside.
holders_checks() {
    local slots=$1 workers=$2 n pid most
    assert_max_overlap "$slots" '^Process-[0-9]+ +\([0-9]+\): acquire$' '^Process-[0-9]+ +\([0-9]+\): release$'
    assert_count "$workers" '^Process-[0-9]+ +\([0-9]+\): acquire$'
    assert_count "$workers" '^Process-[0-9]+ +\([0-9]+\): release$'
    for n in $(seq "$workers"); do
        pid=$(capture "^Process-$n +\(([0-9]+)\): acquire$")
        assert_before "^Process-$n +\($pid\): acquire$" "^Process-$n +\($pid\): release$"
    done
    most=$(capture '^main +\([0-9]+\): most workers inside at once: ([0-9]+) \(the limit is '"$slots"'\)$')
    [ "$most" -ge 1 ] && [ "$most" -le "$slots" ] || fail_run "the self-check says $most inside at once"
}

# ---- semaphore_demo ------------------------------------------------------------
# A little pace, so that the workers overlap and the semaphore really has
# to hold some back.
semaphore_demo_checks() {
    WORKBOOK_PACE=0.01 run_impl "$1" 07-semaphore semaphore_demo
    assert_success
    holders_checks 2 5
}

@test "semaphore_demo: never more than 2 holders" { semaphore_demo_checks c; }
@test "semaphore_demo.py: never more than 2 holders" { semaphore_demo_checks py; }

# With a little pace the workers really overlap, so the semaphore has to
# hold them back; other sizes obey their own bound.
semaphore_demo_sizes_checks() {
    WORKBOOK_PACE=0.01 run_impl "$1" 07-semaphore semaphore_demo -n 6
    assert_success
    holders_checks 2 6
    WORKBOOK_PACE=0.01 run_impl "$1" 07-semaphore semaphore_demo -n 4 -s 1
    assert_success
    holders_checks 1 4
    run_impl "$1" 07-semaphore semaphore_demo -n 8 -s 3
    assert_success
    holders_checks 3 8
}

@test "semaphore_demo: Semaphore(n) never lets more than n in" { semaphore_demo_sizes_checks c; }
@test "semaphore_demo.py: Semaphore(n) never lets more than n in" { semaphore_demo_sizes_checks py; }

@test "semaphore_demo -k unnamed: never more than 2 holders" {
    WORKBOOK_PACE=0.01 run_c 07-semaphore semaphore_demo -k unnamed
    assert_success
    assert_line --regexp '^main +\([0-9]+\): unnamed semaphore created in shared memory with value 2$'
    holders_checks 2 5
}

# The name a run used, and whether it is left in the file system.
shm_path_of() {
    echo "/dev/shm/sem.semaphore_demo-$1"
}

@test "semaphore_demo: the named semaphore is unlinked at the end" {
    local pid
    run_c 07-semaphore semaphore_demo -n 2
    assert_success
    pid=$(capture '^main +\(([0-9]+)\): named semaphore /semaphore_demo-[0-9]+ created with value 2$')
    assert_line --regexp "^main +\\($pid\\): named semaphore /semaphore_demo-$pid created with value 2$"
    assert_line --regexp "^main +\\($pid\\): semaphore /semaphore_demo-$pid unlinked$"
    [ -d /dev/shm ] || skip "no /dev/shm here: where a named semaphore lives is not checked"
    [ ! -e "$(shm_path_of "$pid")" ] || fail_run "$(shm_path_of "$pid") is left behind"
}

# Start the program slowly in the background, wait until a worker holds the
# semaphore (so the name surely exists), send the signal, and check that it
# died of it, having stopped its workers and unlinked the name.
interrupted_checks() {
    local sig=$1 code=$2 out="$BATS_TEST_TMPDIR/out" err="$BATS_TEST_TMPDIR/err"
    local bin="$WB_BIN_ROOT/chapters/07-semaphore/semaphore_demo" limit tries pid job_status
    limit=$(awk -v t="$WB_TIMEOUT" -v s="$WB_TIMEOUT_SCALE" 'BEGIN { printf "%d", t * s }')
    # shellcheck disable=SC2086  # WB_WRAP is a command line of its own
    WORKBOOK_PACE=2 timeout -k 5 "$limit" $WB_WRAP "$bin" >"$out" 2>"$err" &
    local job=$!
    tries=$((limit * 10))
    until grep -q ': acquire$' "$out" 2>/dev/null; do
        tries=$((tries - 1))
        if [ "$tries" -le 0 ]; then
            kill -KILL "$job" 2>/dev/null
            output=$(cat "$out"); stderr=$(cat "$err")
            fail_run "no worker ever acquired the semaphore"
        fi
        sleep 0.1               # polling the output, bounded: not synchronisation
    done
    pid=$(sed -n 's/^main *(\([0-9]*\)): named semaphore .*/\1/p' "$out")
    [ -n "$pid" ] || fail_run "no creation line"
    # The workers alive now, those still blocked in sem_wait included: they
    # have printed nothing, and are the likeliest to be left behind.
    local kids
    kids=$(pgrep -P "$pid" || true)
    kill "-$sig" "$pid"
    job_status=0
    wait "$job" || job_status=$?
    status=$job_status
    output=$(cat "$out")
    stderr=$(cat "$err")
    mapfile -t lines <"$out"
    [ "$job_status" -eq "$code" ] || fail_run "expected to die of SIG$sig (status $code), got $job_status"
    assert_line --regexp "^main +\\($pid\\): stopped by SIG$sig: workers ended, semaphore unlinked$"
    refute_line --regexp '^main +\([0-9]+\): most workers inside'
    [ -z "$stderr" ] || fail_run "nothing expected on stderr"
    # Every worker, whether it spoke or not, is gone: the program reaped them.
    local w
    for w in $kids $(sed -n 's/^Process-[0-9]* *(\([0-9]*\)).*/\1/p' "$out" | sort -u); do
        ! kill -0 "$w" 2>/dev/null || fail_run "worker $w is still running"
    done
    [ -n "$kids" ] || fail_run "no worker was alive when the signal was sent"
    [ -d /dev/shm ] || skip "no /dev/shm here: where a named semaphore lives is not checked"
    [ ! -e "$(shm_path_of "$pid")" ] || fail_run "$(shm_path_of "$pid") is left behind"
}

@test "semaphore_demo: interrupted by SIGINT, it unlinks the name and dies of the signal" {
    interrupted_checks INT 130
}

@test "semaphore_demo: stopped by SIGTERM, it unlinks the name and dies of the signal" {
    interrupted_checks TERM 143
}

semaphore_demo_bad_usage() {
    assert_common_bad_usage "$1" 07-semaphore semaphore_demo
    bad_usage "$1" 07-semaphore semaphore_demo -n
    bad_usage "$1" 07-semaphore semaphore_demo -n abc
    bad_usage "$1" 07-semaphore semaphore_demo -n 0
    bad_usage "$1" 07-semaphore semaphore_demo -n 65
    bad_usage "$1" 07-semaphore semaphore_demo -s
    bad_usage "$1" 07-semaphore semaphore_demo -s 2.5
    bad_usage "$1" 07-semaphore semaphore_demo -s 0
    bad_usage "$1" 07-semaphore semaphore_demo -s -2
    bad_usage "$1" 07-semaphore semaphore_demo -s 99999999999999999999
}

@test "semaphore_demo: bad usage gets one line and status 2" {
    semaphore_demo_bad_usage c
    bad_usage c 07-semaphore semaphore_demo -k
    bad_usage c 07-semaphore semaphore_demo -k shared
}
@test "semaphore_demo.py: bad usage gets status 2" { semaphore_demo_bad_usage py; }

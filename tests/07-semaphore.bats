#!/usr/bin/env bats
# Chapter 07: semaphore. Semaphore(n) lets at most n holders in at once,
# counted over the output as acquires minus releases; and a named semaphore
# is unlinked however the program ends. Who gets in first is racy.

load test_helper

# Every worker acquires once, then releases once, under one pid; never
# more than $1 inside. One awk walks the output for the per-worker part
# and prints "ok" when it finds nothing wrong.
holders_checks() {
    local slots=$1 workers=$2 most problem
    assert_max_overlap "$slots" '^Process-[0-9]+ +\([0-9]+\): acquire$' '^Process-[0-9]+ +\([0-9]+\): release$'
    problem=$(printf '%s\n' "$output" | awk -v w="$workers" '
        /^Process-[0-9]+ +\([0-9]+\): (acquire|release)$/ {
            n = substr($1, 9) + 0
            pid = $2
            gsub(/[():]/, "", pid)
            if (n < 1 || n > w) { print "Process-" n ": no such worker"; bad = 1; exit }
            if ($3 == "acquire") {
                if (n in acq) { print "Process-" n " acquired twice"; bad = 1; exit }
                acq[n] = pid
            } else {
                if (!(n in acq)) { print "Process-" n " released before it acquired"; bad = 1; exit }
                if (acq[n] != pid) { print "Process-" n " acquired as " acq[n] " and released as " pid; bad = 1; exit }
                if (n in rel) { print "Process-" n " released twice"; bad = 1; exit }
                rel[n] = pid
            }
        }
        END {
            if (bad) exit
            for (n = 1; n <= w; n++)
                if (!(n in acq) || !(n in rel)) { print "Process-" n " did not acquire and release"; exit }
            print "ok"
        }')
    [ "$problem" = ok ] || fail_run "${problem:-the walk over the output failed} ($workers workers)"
    most=$(capture '^main +\([0-9]+\): most workers inside at once: ([0-9]+) \(the limit is '"$slots"'\)$')
    [ "$most" -ge 1 ] && [ "$most" -le "$slots" ] || fail_run "the self-check says $most inside at once"
}

# ---- semaphore_demo ------------------------------------------------------------
# The name a run used, and whether it is left in the file system.
shm_path_of() {
    echo "/dev/shm/sem.semaphore_demo-$1"
}

# A little pace, so that the workers overlap and the semaphore really has
# to hold some back. The default run uses a named semaphore: it is created
# with the name of main's pid, and unlinked at the end.
@test "semaphore_demo: never more than 2 holders; the named semaphore is unlinked at the end" {
    local pid
    WORKBOOK_PACE=0.01 run_c 07-semaphore semaphore_demo
    assert_success
    holders_checks 2 5
    pid=$(capture '^main +\(([0-9]+)\): named semaphore /semaphore_demo-[0-9]+ created with value 2$')
    assert_line --regexp "^main +\\($pid\\): named semaphore /semaphore_demo-$pid created with value 2\$"
    assert_line --regexp "^main +\\($pid\\): semaphore /semaphore_demo-$pid unlinked\$"
    [ -d /dev/shm ] || skip "no /dev/shm here: where a named semaphore lives is not checked"
    [ ! -e "$(shm_path_of "$pid")" ] || fail_run "$(shm_path_of "$pid") is left behind"
}

@test "semaphore_demo.py: never more than 2 holders" {
    WORKBOOK_PACE=0.01 run_py 07-semaphore semaphore_demo
    assert_success
    holders_checks 2 5
}

# Other sizes obey their own bound: one slot (paced, so that the workers
# really queue), and three (unpaced).
semaphore_demo_sizes_checks() {
    WORKBOOK_PACE=0.01 run_impl "$1" 07-semaphore semaphore_demo -n 4 -s 1
    assert_success
    holders_checks 1 4
    run_impl "$1" 07-semaphore semaphore_demo -n 8 -s 3
    assert_success
    holders_checks 3 8
}

@test "semaphore_demo: Semaphore(n) never lets more than n in" { semaphore_demo_sizes_checks c; }
@test "semaphore_demo.py: Semaphore(n) never lets more than n in" { semaphore_demo_sizes_checks py; }

@test "semaphore_demo -m unnamed: never more than 2 holders" {
    WORKBOOK_PACE=0.01 run_c 07-semaphore semaphore_demo -m unnamed
    assert_success
    assert_line --regexp '^main +\([0-9]+\): unnamed semaphore created in shared memory with value 2$'
    holders_checks 2 5
}

# The twin takes -m as the C program does, but Python has no unnamed
# semaphore: it refuses -m unnamed, as a usage error.
@test "semaphore_demo.py -m unnamed: refused, Python has only named semaphores" {
    run_py 07-semaphore semaphore_demo -m unnamed
    assert_usage_error py
    [[ $stderr == *"-m unnamed: Python has only named semaphores"* ]] || fail_run "expected the reason on stderr"
}

# Start the program slowly in the background, wait until a worker holds the
# semaphore (so the name surely exists), send the signal, and check that it
# died of it, having stopped its workers and unlinked the name.
interrupted_checks() {
    local sig=$1 code=$2 out="$BATS_TEST_TMPDIR/out" err="$BATS_TEST_TMPDIR/err"
    local bin="$WB_BIN_ROOT/chapters/07-semaphore/semaphore_demo" limit tries pid job_status
    time_limit limit
    # shellcheck disable=SC2086  # WB_WRAP is a command line of its own
    WORKBOOK_PACE=2 timeout -k 5 "$limit" $WB_WRAP "$bin" >"$out" 2>"$err" &
    local job=$!
    tries=$((limit * 50))
    until grep -q ': acquire$' "$out" 2>/dev/null; do
        tries=$((tries - 1))
        if [ "$tries" -le 0 ]; then
            kill -KILL "$job" 2>/dev/null
            output=$(cat "$out"); stderr=$(cat "$err")
            fail_run "no worker ever acquired the semaphore"
        fi
        sleep 0.02              # polling the output, bounded: not synchronisation
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

#!/usr/bin/env bats
# Chapter 12: shared memory. With the lock held around `+= 1` (or one
# atomic add) the total is exact; every element of a shared array is seen
# after join; a named segment, opened by a process that inherited nothing,
# reads what the creator wrote; and /dev/shm has nothing new afterwards,
# however the program ended. How many updates the unlocked ways lose is
# racy (perhaps none), and so are the false-sharing times: never asserted.

load test_helper

# ---- shared_value -------------------------------------------------------------
# Every worker of each way reports once; the locked total is exact; the
# self-check says OK. The totals of raw and value are printed, not checked.
shared_value_checks() {
    local impl=$1 way
    run_impl "$impl" 12-shared-memory shared_value -n 4 -c 20000
    assert_success
    for way in raw value locked; do
        assert_count 4 "^worker [1-4] +\\([0-9]+\\): $way +added 1, 20000 times\$"
        assert_line --regexp "^main +\\([0-9]+\\): $way .*: [0-9]+ \\(expected 80000\\): (exact|[0-9]+ lost)\$"
    done
    assert_line --regexp '^main +\([0-9]+\): locked with v\.get_lock\(\): v\.value \+= 1: 80000 \(expected 80000\): exact$'
    assert_line --regexp '^main +\([0-9]+\): self-check: lock held around \+=.*: total 80000: OK$'
    # join is the happens-before: every worker's line comes before the total.
    assert_before '^worker .* locked +added' '^main .*: locked with'
}

@test "shared_value: with the lock held around v.value += 1, the total is exact" { shared_value_checks c; }
@test "shared_value.py: with the lock held around v.value += 1, the total is exact" { shared_value_checks py; }

@test "shared_value -m atomic: atomic_fetch_add is exact without a lock" {
    run_c 12-shared-memory shared_value -m atomic -n 3 -c 30000
    assert_success
    assert_count 3 '^worker [1-3] +\([0-9]+\): atomic added 1, 30000 times$'
    assert_line --regexp '^main +\([0-9]+\): atomic atomic_fetch_add .*: 90000 \(expected 90000\): exact$'
    assert_line --regexp ': self-check: .*: total 90000: OK$'
}

@test "shared_value.py -m atomic: refused, Python has no atomic add for a Value" {
    run_py 12-shared-memory shared_value -m atomic
    assert_usage_error py
    [[ $stderr == *"no atomic add"* ]] || fail_run "expected the reason on stderr"
}

# ---- shared_array --------------------------------------------------------------
shared_array_checks() {
    run_impl "$1" 12-shared-memory shared_array -n 3 -s 1000
    assert_success
    assert_count 1 '^worker 1 +\([0-9]+\): wrote a\[0:333\]$'
    assert_count 1 '^worker 2 +\([0-9]+\): wrote a\[333:666\]$'
    assert_count 1 '^worker 3 +\([0-9]+\): wrote a\[666:1000\]$'
    assert_before '^worker ' '^main +\([0-9]+\): after join'
    assert_line --regexp '^main +\([0-9]+\): after join: a\[0\] = 0\.5, a\[999\] = 999\.5$'
    assert_line --regexp '^main +\([0-9]+\): each copied into the kernel and out; here: 0 bytes, 0 copies$'
    assert_line --regexp '^main +\([0-9]+\): self-check: all 1000 elements as the workers wrote them: OK$'
}

@test "shared_array: every element the workers wrote is seen after join" { shared_array_checks c; }
@test "shared_array.py: every element the workers wrote is seen after join" { shared_array_checks py; }

# The times are the lesson's and the machine's: only the counts are checked.
sharing_checks() {
    run_impl "$1" 12-shared-memory shared_array -m sharing -c 5000
    assert_success
    assert_line --regexp '^main +\([0-9]+\): counters +8 bytes apart \(one cache line\): +[0-9.]+ s$'
    assert_line --regexp '^main +\([0-9]+\): counters 128 bytes apart \(two cache lines\): [0-9.]+ s$'
    assert_line --regexp '^main +\([0-9]+\): self-check: each counter = 5000 in both runs: OK$'
}

@test "shared_array -m sharing: each counter holds its count, adjacent or apart" { sharing_checks c; }
@test "shared_array.py -m sharing: each counter holds its count, adjacent or apart" { sharing_checks py; }

# ---- shm_named -----------------------------------------------------------------
# The name a run used (C: /wb-shm-PID; Python: wb-shm-PID, its '/' added by
# SharedMemory) and where Linux shows it.
shm_file() {
    echo "/dev/shm/wb-shm-$1"
}

refute_shm_left() {
    [ -d /dev/shm ] || return 0     # elsewhere the objects are not files to look at
    [ ! -e "$(shm_file "$1")" ] || fail_run "$(shm_file "$1") is left behind"
}

shm_named_checks() {
    local pid apid
    run_impl "$1" 12-shared-memory shm_named
    assert_success
    pid=$(capture '^creator +\(([0-9]+)\): created /?wb-shm-[0-9]+, 4096 bytes')
    assert_line --regexp "^creator +\\($pid\\): created /?wb-shm-$pid, 4096 bytes"
    apid=$(capture "^attacher +\\(([0-9]+)\\): attached /?wb-shm-$pid by name, 4096 bytes")
    [ "$apid" != "$pid" ] || fail_run "the attacher is the creator"
    assert_line "$(printf 'attacher (%s): read '\''hello from the creator, pid %s'\''' "$apid" "$pid")"
    assert_line --regexp "^creator +\\($pid\\): the answer: 'attacher $apid read: hello from the creator, pid $pid'\$"
    assert_line --regexp "^creator +\\($pid\\): self-check: the attacher read what was written, answered, name removed: OK\$"
    refute_shm_left "$pid"
}

@test "shm_named: an unrelated process attaches by name and reads what the creator wrote; nothing left" {
    shm_named_checks c
    assert_line --regexp '^creator +\([0-9]+\): shm_open /wb-shm-[0-9]+ now fails: ENOENT$'
}
@test "shm_named.py: an unrelated process attaches by name and reads what the creator wrote; nothing left" {
    shm_named_checks py
}

leak_checks() {
    local pid
    run_impl "$1" 12-shared-memory shm_named -m leak
    assert_success
    pid=$(capture '^main +\(([0-9]+)\): self-check: .*: OK$')
    refute_shm_left "$pid"
}

@test "shm_named -m leak: the segment outlives its creator, and is removed" {
    leak_checks c
    assert_line --regexp "^main +\\([0-9]+\\): and still reads 'written by pid [0-9]+, which is gone'\$"
}
@test "shm_named.py -m leak: the resource_tracker warns and unlinks; nothing left" {
    leak_checks py
    assert_line --regexp '^main +\([0-9]+\): its resource_tracker warned: There appear to be 1 leaked shared_memory objects$'
    assert_line --regexp '^main +\([0-9]+\): wb-shm-[0-9]+ is gone: the tracker unlinked it$'
}

# Start it slowly in the background, wait until the attacher has read the
# greeting (so the name surely exists and the attacher is alive), send the
# signal to the creator, and check that it died of it, with its attacher
# reaped and the name removed.
interrupted_checks() {
    local impl=$1 sig=$2 code=$3 out="$BATS_TEST_TMPDIR/out" err="$BATS_TEST_TMPDIR/err"
    local limit tries pid apid job_status
    [ "$impl" = c ] || need_python
    program_command "$impl" 12-shared-memory shm_named
    time_limit limit
    WORKBOOK_PACE=5 timeout -k 5 "$limit" "${WB_CMD[@]}" >"$out" 2>"$err" &
    local job=$!
    tries=$((limit * 50))
    until grep -q "^attacher .*: read '" "$out" 2>/dev/null; do
        tries=$((tries - 1))
        if [ "$tries" -le 0 ]; then
            kill -KILL "$job" 2>/dev/null
            output=$(cat "$out"); stderr=$(cat "$err")
            fail_run "the attacher never read the greeting"
        fi
        sleep 0.02              # polling the output, bounded: not synchronisation
    done
    pid=$(sed -n 's/^creator *(\([0-9]*\)): created .*/\1/p' "$out")
    apid=$(sed -n "s/^attacher *(\\([0-9]*\\)): read '.*/\\1/p" "$out")
    [ -n "$pid" ] && [ -n "$apid" ] || fail_run "no creation or attach line"
    kill "-$sig" "$pid"
    job_status=0
    wait "$job" || job_status=$?
    status=$job_status
    output=$(cat "$out")
    stderr=$(cat "$err")
    mapfile -t lines <"$out"
    [ "$job_status" -eq "$code" ] || fail_run "expected to die of SIG$sig (status $code), got $job_status"
    assert_line --regexp "^creator +\\($pid\\): stopped by SIG$sig: /?wb-shm-$pid unlinked\$"
    refute_line --regexp 'self-check'
    [ -z "$stderr" ] || fail_run "nothing expected on stderr"
    ! kill -0 "$apid" 2>/dev/null || fail_run "attacher $apid is still running"
    refute_shm_left "$pid"
}

@test "shm_named: interrupted by SIGINT, it removes the name and dies of the signal" {
    interrupted_checks c INT 130
}
@test "shm_named: stopped by SIGTERM, it removes the name and dies of the signal" {
    interrupted_checks c TERM 143
}
@test "shm_named.py: interrupted by SIGINT, it unlinks the name and dies of the signal" {
    interrupted_checks py INT 130
}
@test "shm_named.py: stopped by SIGTERM, it unlinks the name and dies of the signal" {
    interrupted_checks py TERM 143
}

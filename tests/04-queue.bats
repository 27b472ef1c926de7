#!/usr/bin/env bats
# Chapter 04: queue. FIFO, clean stops, Full and Empty, and every message
# delivered exactly once, whole, in its producer's order.

load test_helper

# ---- queue_demo --------------------------------------------------------------
queue_demo_checks() {
    local impl=$1 n=$2 i letter prev=''
    run_impl "$impl" 04-queue queue_demo -n "$n"
    assert_success
    assert_count "$n" '^writer \([0-9]+\): Put [A-Z] to queue\.\.\.$'
    assert_count "$n" '^reader \([0-9]+\): Get [A-Z] from queue\.$'
    for ((i = 0; i < n; i++)); do
        letter=$(printf "\\x$(printf %x $((65 + i)))")
        # A letter is got only after it was put ...
        assert_before "^writer \([0-9]+\): Put $letter to queue" "^reader \([0-9]+\): Get $letter from queue"
        # ... and the letters come out in the order they went in (FIFO).
        [ -z "$prev" ] || assert_before "^reader \([0-9]+\): Get $prev from" "^reader \([0-9]+\): Get $letter from"
        prev=$letter
    done
    # The reader stops on the sentinel, which comes after the last letter.
    assert_before "^reader \([0-9]+\): Get $prev from" '^reader \([0-9]+\): got the sentinel: stopping$'
    assert_before '^main   \([0-9]+\): writer joined, exitcode 0; putting the sentinel$' '^reader \([0-9]+\): got the sentinel'
    [[ ${lines[-1]} =~ ^main\ \ \ \([0-9]+\):\ reader\ joined,\ exitcode\ 0$ ]] || fail_run "the reader is joined last, cleanly"
}

@test "queue_demo: FIFO; the reader stops cleanly on the sentinel" { queue_demo_checks c 3; queue_demo_checks c 26; }
@test "queue_demo.py: FIFO; the reader stops cleanly on the sentinel" { queue_demo_checks py 3; }

# Running: the process is alive and not a zombie (an orphan's zombie waits
# for whichever process adopted it to reap it).
running() {
    local st
    st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    [[ $st != Z* ]]
}

# A killed main puts no sentinel: the reader must see that it was orphaned
# and leave by itself (queue_get_unless_orphaned), and the writer ends once
# its letters are in. The C program only: the twin's reader would wait for
# ever, and its README says so.
@test "queue_demo: main killed by SIGKILL, no child is left running" {
    local out="$BATS_TEST_TMPDIR/out" bin="$WB_BIN_ROOT/chapters/04-queue/queue_demo"
    local tries reader writer main limit
    limit=$(awk -v t="$WB_TIMEOUT" -v s="$WB_TIMEOUT_SCALE" 'BEGIN { printf "%d", t * s }')
    # Three letters a second apart: main is still waiting for the writer
    # when it is killed.
    # shellcheck disable=SC2086  # WB_WRAP is a command line of its own
    WORKBOOK_PACE=2 $WB_WRAP "$bin" -n 3 >"$out" 2>&1 3>&- &
    tries=$((limit * 10))
    until grep -q '^reader ([0-9]*): Process to read$' "$out" &&
          grep -q '^writer ([0-9]*): Process to write$' "$out"; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || { kill -KILL $! 2>/dev/null; output=$(cat "$out"); fail_run "the children never started"; }
        sleep 0.1               # polling the output, bounded: not synchronisation
    done
    reader=$(sed -n 's/^reader (\([0-9]*\)): Process to read$/\1/p' "$out")
    writer=$(sed -n 's/^writer (\([0-9]*\)): Process to write$/\1/p' "$out")
    main=$(ps -o ppid= -p "$reader" | tr -d ' ')
    [ -n "$main" ] && [ "$main" != 1 ] || fail_run "the reader's parent is not main"
    kill -KILL "$main"
    wait $! || true
    # Both children end by themselves; wait for that, within the time limit.
    tries=$((limit * 10))
    while running "$reader" || running "$writer"; do
        tries=$((tries - 1))
        if [ "$tries" -le 0 ]; then
            output=$(cat "$out")
            running "$reader" && kill -KILL "$reader"
            running "$writer" && kill -KILL "$writer"
            fail_run "a child of the killed main is still running after ${limit}s"
        fi
        sleep 0.1               # polling, bounded: not synchronisation
    done
    output=$(cat "$out")
    mapfile -t lines <"$out"
    assert_line --regexp '^reader \([0-9]+\): Process to read$'
    refute_line --regexp '^reader \([0-9]+\): got the sentinel'
    refute_line --regexp '^main '
}

queue_demo_bad_usage() {
    assert_common_bad_usage "$1" 04-queue queue_demo
    bad_usage "$1" 04-queue queue_demo -n
    bad_usage "$1" 04-queue queue_demo -n x
    bad_usage "$1" 04-queue queue_demo -n 0
    bad_usage "$1" 04-queue queue_demo -n 27
    bad_usage "$1" 04-queue queue_demo -n 99999999999999999999
}

@test "queue_demo: bad usage" { queue_demo_bad_usage c; }
@test "queue_demo.py: bad usage" { queue_demo_bad_usage py; }

# ---- queue_nonblock ----------------------------------------------------------
queue_nonblock_checks() {
    local impl=$1 n=$2 i
    run_impl "$impl" 04-queue queue_nonblock -n "$n"
    assert_success
    assert_count 1 '^main   \([0-9]+\): a new Queue\(maxsize\): qsize\(\) = 0, empty\(\) = true, full\(\) = false$'
    assert_count 1 "^main   \([0-9]+\): writer joined: qsize\(\) = $n, empty\(\) = false, full\(\) = true$"
    # The reader starts after the writer was joined: it gets every item, in
    # order, and Empty only after the last.
    assert_before '^main   \([0-9]+\): writer joined, exitcode 0$' '^reader '
    assert_count "$n" '^reader \([0-9]+\): get\(block=False\) -> [0-9]+$'
    for ((i = 1; i < n; i++)); do
        assert_before "^reader \([0-9]+\): get\(block=False\) -> $i$" "^reader \([0-9]+\): get\(block=False\) -> $((i + 1))$"
    done
    assert_before "^reader \([0-9]+\): get\(block=False\) -> $n$" "^reader \([0-9]+\): get\(block=False\) -> Empty, after $n items$"
    assert_count 1 '^main   \([0-9]+\): at the end: qsize\(\) = 0, empty\(\) = true, full\(\) = false$'
}

@test "queue_nonblock: Empty only after all items; qsize/empty/full" { queue_nonblock_checks c 3; queue_nonblock_checks c 20; }
@test "queue_nonblock.py: Empty only after all items; qsize/empty/full" { queue_nonblock_checks py 3; }

# -r races the reader against the writer: how many the reader gets is not
# asserted, only that reader and parent together get each item once, in order.
queue_nonblock_racy() {
    local impl=$1 got left values
    run_impl "$impl" 04-queue queue_nonblock -r -n 5
    assert_success
    got=$(capture '^reader \([0-9]+\): get\(block=False\) -> Empty, after ([0-9]+) items?$')
    left=$(capture '^main   \([0-9]+\): ([0-9]+) items were left for the parent$')
    [ $((got + left)) -eq 5 ] || fail_run "reader $got + parent $left should be 5"
    values=$(printf '%s\n' "${lines[@]}" | sed -n 's/^\(reader\|main  \) ([0-9]*): get(block=False) -> \([0-9]*\)$/\2/p' | tr '\n' ' ')
    [ "$values" = "1 2 3 4 5 " ] || fail_run "each item once, in order: got '$values'"
    assert_count 1 '^main   \([0-9]+\): at the end: qsize\(\) = 0, empty\(\) = true, full\(\) = false$'
}

@test "queue_nonblock -r: the racy reader loses nothing" { queue_nonblock_racy c; }
@test "queue_nonblock.py -r: the racy reader loses nothing" { queue_nonblock_racy py; }

queue_nonblock_bad_usage() {
    assert_common_bad_usage "$1" 04-queue queue_nonblock
    bad_usage "$1" 04-queue queue_nonblock -n
    bad_usage "$1" 04-queue queue_nonblock -n 0
    bad_usage "$1" 04-queue queue_nonblock -n -3
    bad_usage "$1" 04-queue queue_nonblock -n 1001
    bad_usage "$1" 04-queue queue_nonblock -n three
}

@test "queue_nonblock: bad usage" { queue_nonblock_bad_usage c; }
@test "queue_nonblock.py: bad usage" { queue_nonblock_bad_usage py; }

# ---- queue_timeout -----------------------------------------------------------
# at_least T X: X >= T, allowing for the two decimals X is printed with.
at_least() {
    awk -v t="$1" -v x="$2" 'BEGIN { exit !(x + 0.005 >= t) }' || fail_run "waited $2 s, less than the timeout $1 s"
}

queue_timeout_checks() {
    local impl=$1 m=$2 t=$3 i took
    run_impl "$impl" 04-queue queue_timeout -m "$m" -t "$t"
    assert_success
    for ((i = 1; i <= m; i++)); do
        assert_count 1 "^producer \([0-9]+\): put\($i, timeout=$t\) -> OK$"
    done
    # Full on a full queue: after the timeout, or at once without blocking.
    took=$(capture "^producer \([0-9]+\): put\($((m + 1)), timeout=$t\) -> Full after ([0-9.]+) s$")
    at_least "$t" "$took"
    assert_count 1 "^producer \([0-9]+\): put\($((m + 2)), block=False\) -> Full after [0-9.]+ s$"
    assert_count 1 "^main     \([0-9]+\): producer joined, exitcode 0: qsize\(\) = $m, full\(\) = true$"
    for ((i = 1; i <= m; i++)); do
        assert_count 1 "^main     \([0-9]+\): get\(timeout=$t\) -> $i$"
        [ "$i" -eq 1 ] || assert_before "get\(timeout=$t\) -> $((i - 1))$" "get\(timeout=$t\) -> $i$"
    done
    # Empty on an empty queue: likewise.
    took=$(capture "^main     \([0-9]+\): get\(timeout=$t\) -> Empty after ([0-9.]+) s$")
    at_least "$t" "$took"
    [[ ${lines[-1]} =~ ^main\ +\([0-9]+\):\ get\(block=False\)\ -\>\ Empty\ after\ [0-9.]+\ s$ ]] || fail_run "get(block=False) on an empty queue: Empty"
}

@test "queue_timeout: Full on a full queue, Empty on an empty one, after the timeout" {
    queue_timeout_checks c 3 0.2
    queue_timeout_checks c 1 0.1
}
@test "queue_timeout.py: Full on a full queue, Empty on an empty one, after the timeout" { queue_timeout_checks py 3 0.2; }

queue_timeout_bad_usage() {
    assert_common_bad_usage "$1" 04-queue queue_timeout
    bad_usage "$1" 04-queue queue_timeout -m
    bad_usage "$1" 04-queue queue_timeout -m 0
    bad_usage "$1" 04-queue queue_timeout -m 1001
    bad_usage "$1" 04-queue queue_timeout -t
    bad_usage "$1" 04-queue queue_timeout -t 0
    bad_usage "$1" 04-queue queue_timeout -t -1
    bad_usage "$1" 04-queue queue_timeout -t 61
    bad_usage "$1" 04-queue queue_timeout -t later
    bad_usage "$1" 04-queue queue_timeout -t nan
}

@test "queue_timeout: bad usage" { queue_timeout_bad_usage c; }
@test "queue_timeout.py: bad usage" { queue_timeout_bad_usage py; }

# ---- queue_workers -----------------------------------------------------------
queue_workers_checks() {
    local impl=$1
    run_impl "$impl" 04-queue queue_workers
    assert_success
    assert_count 10 '^producer [01] \([0-9]+\): put p[01] #[1-5] \(5 bytes, crc [0-9a-f]{8}\)$'
    assert_count 10 '^consumer [01] \([0-9]+\): got p[01] #[1-5] \(5 bytes, crc [0-9a-f]{8}\)$'
    assert_count 2 '^consumer [01] \([0-9]+\): got the sentinel after [0-9]+ items, 0 bad$'
    assert_before '^main +\([0-9]+\): producers joined; putting 2 sentinels$' '^consumer [01] \([0-9]+\): got the sentinel'
    assert_count 1 '^main +\([0-9]+\): consumers joined: 10 items got \(expected 10\), 0 bad; qsize\(\) = 0$'
    [[ ${lines[-1]} =~ self-check:\ OK$ ]] || fail_run "self-check"
}

@test "queue_workers: two producers, two consumers, stopped by sentinels" { queue_workers_checks c; }
@test "queue_workers.py: two producers, two consumers, stopped by sentinels" { queue_workers_checks py; }

@test "queue_workers: a message larger than the largest is refused with EMSGSIZE" {
    run_c 04-queue queue_workers -b 1024 -d 0
    assert_success
    assert_count 1 '^main +\([0-9]+\): 2 producers x 5 items, 2 consumers; largest message 1020 bytes$'
    assert_count 1 '^main +\([0-9]+\): put\(1021 bytes\) -> error EMSGSIZE \(Message too long\)$'
}

# The big one: 4 producers and 4 consumers move 100000 messages of mixed
# sizes, one in eight within 16 bytes of the largest (1020 bytes). The test
# checks the program's output itself, not its self-check line:
#  - 100000 distinct messages put: p0..p3, each numbered 1..25000;
#  - each got exactly once, with the length and CRC-32 its producer put;
#  - within each consumer, each producer's numbers strictly increase.
# The output (200000 lines) goes to a file and is checked with awk.
queue_workers_100k() {
    local impl=$1 out="$BATS_TEST_TMPDIR/workers.txt" cmd report
    if [ "$impl" = c ]; then
        cmd="$WB_WRAP $WB_BIN_ROOT/chapters/04-queue/queue_workers"
    else
        need_python
        cmd="$WB_PYTHON $WB_ROOT/chapters/04-queue/queue_workers.py"
    fi
    # 200000 lines of output take a few seconds: more than the usual limit
    # on a busy machine.
    WB_TIMEOUT=60 run_limited sh -c "$cmd -p 4 -c 4 -n 25000 -b 1024 -S -d 0 > '$out'"
    assert_success
    report=$(awk '
        $1 == "producer" && $4 == "put" {
            key = $5 " " $6; puts++
            if (key in sent) { print "put twice: " key; bad++ }
            sent[key] = $7 " " $10
            p = substr($5, 2); n = substr($6, 2) + 0
            if (p !~ /^[0-3]$/ || n < 1 || n > 25000) { print "unexpected message: " key; bad++ }
            if (substr($7, 2) + 0 >= 1005) near++
            next
        }
        $1 == "consumer" && $4 == "got" && $5 != "the" {
            key = $5 " " $6; gots++
            if (key in got) { print "got twice: " key; bad++ }
            got[key] = $7 " " $10
            # per consumer, per producer: numbers strictly increase
            c = $2; p = $5; n = substr($6, 2) + 0
            if ((c, p) in last && n <= last[c, p]) { print "out of order at consumer " c ": " key " after #" last[c, p]; bad++ }
            last[c, p] = n
            next
        }
        END {
            for (key in sent) {
                if (!(key in got)) { print "never got: " key; bad++ }
                else if (got[key] != sent[key]) { print "changed on the way: " key ": put " sent[key] ", got " got[key]; bad++ }
            }
            print "puts " puts " gots " gots " near-largest " (near + 0) " bad " (bad + 0)
        }' "$out" | tail -n 20)
    [[ $report =~ puts\ 100000\ gots\ 100000\ near-largest\ [0-9]+\ bad\ 0$ ]] || fail_run "$report"
    [[ $report =~ near-largest\ ([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge 1000 ] || fail_run "too few messages near the largest size: $report"
    grep -q '^main .*: consumers joined: 100000 items got (expected 100000), 0 bad; qsize() = 0$' "$out" || fail_run "the summary line"
}

@test "queue_workers: 4x4, 100000 mixed-size messages, each once, intact, in producer order" { queue_workers_100k c; }
@test "queue_workers.py: 4x4, 100000 mixed-size messages, each once, intact, in producer order" { queue_workers_100k py; }

queue_workers_bad_usage() {
    assert_common_bad_usage "$1" 04-queue queue_workers
    bad_usage "$1" 04-queue queue_workers -p
    bad_usage "$1" 04-queue queue_workers -p 0
    bad_usage "$1" 04-queue queue_workers -p 17
    bad_usage "$1" 04-queue queue_workers -c 0
    bad_usage "$1" 04-queue queue_workers -c many
    bad_usage "$1" 04-queue queue_workers -n 0
    bad_usage "$1" 04-queue queue_workers -n 10000001
    bad_usage "$1" 04-queue queue_workers -b 63
    bad_usage "$1" 04-queue queue_workers -b 16777217
    bad_usage "$1" 04-queue queue_workers -d -1
    bad_usage "$1" 04-queue queue_workers -d 11
    bad_usage "$1" 04-queue queue_workers -d soon
}

@test "queue_workers: bad usage" { queue_workers_bad_usage c; }
@test "queue_workers.py: bad usage" { queue_workers_bad_usage py; }

# ---- queue_terminate ---------------------------------------------------------
# Where the reader dies is the race the program is about: assert only that
# it ends, that each attempt has one of the two outcomes, and that the
# summary agrees with them.
queue_terminate_checks() {
    local impl=$1 max=$2 attempts held
    run_impl "$impl" 04-queue queue_terminate -a "$max" -s 262144
    assert_success
    attempts=$(count_lines '^main \([0-9]+\): attempt [0-9]+: reader [0-9]+ terminated \(exitcode -15\), writer joined \(0\)$')
    [ "$attempts" -ge 1 ] && [ "$attempts" -le "$max" ] || fail_run "1 to $max attempts"
    held=$(count_lines "^main \([0-9]+\): attempt [0-9]+: the reader died holding the queue's lock$")
    assert_count $((attempts - held)) '^main \([0-9]+\): attempt [0-9]+: the reader died outside the lock; the queue still works$'
    if [ "$held" -eq 1 ]; then
        [[ ${lines[-1]} =~ ^main\ \([0-9]+\):\ saw\ a\ reader\ die\ holding\ the\ lock\ after\ $attempts\ attempts?$ ]] || fail_run "summary"
        if [ "$1" = c ]; then
            assert_count 1 '^main \([0-9]+\):   get\(timeout=0\.5\) -> error EOWNERDEAD: '
            assert_count 1 '^main \([0-9]+\):   put\(block=False\) -> error ENOTRECOVERABLE: the queue refuses all further use$'
        else
            assert_count 1 '^main \([0-9]+\):   get\(timeout=0\.5\) -> Empty, yet qsize\(\) = [1-9][0-9]*: '
        fi
    else
        [ "$held" -eq 0 ] && [ "$attempts" -eq "$max" ] || fail_run "stops at the first death inside the lock"
        [[ ${lines[-1]} =~ ^main\ \([0-9]+\):\ never\ saw\ a\ reader\ die\ holding\ the\ lock\ after\ $max\ attempts?$ ]] || fail_run "summary"
    fi
}

@test "queue_terminate: a terminated reader is reported, whichever way it died; the program ends" { queue_terminate_checks c 5; }
@test "queue_terminate.py: a terminated reader is reported, whichever way it died; the program ends" { queue_terminate_checks py 3; }

queue_terminate_bad_usage() {
    assert_common_bad_usage "$1" 04-queue queue_terminate
    bad_usage "$1" 04-queue queue_terminate -a
    bad_usage "$1" 04-queue queue_terminate -a 0
    bad_usage "$1" 04-queue queue_terminate -a 1001
    bad_usage "$1" 04-queue queue_terminate -s 0
    bad_usage "$1" 04-queue queue_terminate -s big
    bad_usage "$1" 04-queue queue_terminate -s 4194305
}

@test "queue_terminate: bad usage" { queue_terminate_bad_usage c; }
@test "queue_terminate.py: bad usage" { queue_terminate_bad_usage py; }

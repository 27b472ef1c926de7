#!/usr/bin/env bats
# Chapter 04: queue. FIFO, clean stops, Full and Empty, and every message
# delivered exactly once, whole, in its producer's order.

load test_helper

# sequence RE [GROUP]: that group (the first by default) of each line that
# matches RE (anchored at both ends), in output order, one space between
# them: a list to compare whole (each once, in this order).
sequence() {
    values "$1" "\\${2:-1}" || return
    echo "${WB_VALUES[*]}"
}

# ---- queue_demo --------------------------------------------------------------
queue_demo_checks() {
    local impl=$1 n=$2 letters last early
    run_impl "$impl" 04-queue queue_demo -c "$n"
    assert_success
    letters=$(printf '%s\n' {A..Z} | head -n "$n" | paste -sd ' ' -)
    last=${letters: -1}
    assert_count "$n" '^writer \([0-9]+\): Put [A-Z] to queue\.\.\.$'
    assert_count "$n" '^reader \([0-9]+\): Get [A-Z] from queue\.$'
    # The letters come out in the order they went in (FIFO), each once ...
    assert_equal "$(sequence '^reader \([0-9]+\): Get ([A-Z]) from queue\.$')" "$letters"
    # ... and each only after it was put.
    early=$(print_lines | awk '$1 == "writer" && $3 == "Put" { put[$4] }
                               $1 == "reader" && $3 == "Get" && !($4 in put) { print $4 }')
    [ -z "$early" ] || fail_run "got before it was put: $early"
    # The reader stops on the sentinel, which comes after the last letter.
    assert_before "^reader \([0-9]+\): Get $last from" '^reader \([0-9]+\): got the sentinel: stopping$'
    assert_before '^main   \([0-9]+\): writer joined, exitcode 0; putting the sentinel$' '^reader \([0-9]+\): got the sentinel'
    [[ ${lines[-1]} =~ ^main\ \ \ \([0-9]+\):\ reader\ joined,\ exitcode\ 0$ ]] || fail_run "the reader is joined last, cleanly"
}

@test "queue_demo: FIFO; the reader stops cleanly on the sentinel" { queue_demo_checks c 26; }
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
    time_limit limit
    # Two letters a second apart: the writer runs for 2 s, so main is still
    # waiting for it when it is killed (a margin of nearly 2 s).
    # shellcheck disable=SC2086  # WB_WRAP is a command line of its own
    WORKBOOK_PACE=2 $WB_WRAP "$bin" -c 2 >"$out" 2>&1 3>&- &
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

# ---- queue_nonblock ----------------------------------------------------------
queue_nonblock_checks() {
    local impl=$1 n=$2
    run_impl "$impl" 04-queue queue_nonblock -c "$n"
    assert_success
    assert_count 1 '^main   \([0-9]+\): a new Queue\(maxsize\): qsize\(\) = 0, empty\(\) = true, full\(\) = false$'
    assert_count 1 "^main   \([0-9]+\): writer joined: qsize\(\) = $n, empty\(\) = false, full\(\) = true$"
    # The reader starts after the writer was joined: it gets every item, in
    # order, and Empty only after the last.
    assert_before '^main   \([0-9]+\): writer joined, exitcode 0$' '^reader '
    assert_count "$n" '^reader \([0-9]+\): get\(block=False\) -> [0-9]+$'
    assert_equal "$(sequence '^reader \([0-9]+\): get\(block=False\) -> ([0-9]+|Empty, after [0-9]+ items)$')" \
                 "$(seq -s ' ' 1 "$n") Empty, after $n items"
    assert_count 1 '^main   \([0-9]+\): at the end: qsize\(\) = 0, empty\(\) = true, full\(\) = false$'
}

@test "queue_nonblock: Empty only after all items; qsize/empty/full" { queue_nonblock_checks c 20; }
@test "queue_nonblock.py: Empty only after all items; qsize/empty/full" { queue_nonblock_checks py 3; }

# -r races the reader against the writer: how many the reader gets is not
# asserted, only that reader and parent together get each item once, in order.
queue_nonblock_racy() {
    local impl=$1 got left
    run_impl "$impl" 04-queue queue_nonblock -r -c 5
    assert_success
    got=$(capture '^reader \([0-9]+\): get\(block=False\) -> Empty, after ([0-9]+) items?$')
    left=$(capture '^main   \([0-9]+\): ([0-9]+) items were left for the parent$')
    [ $((got + left)) -eq 5 ] || fail_run "reader $got + parent $left should be 5"
    assert_equal "$(sequence '^(reader|main  ) \([0-9]+\): get\(block=False\) -> ([0-9]+)$' 2)" "1 2 3 4 5"
    assert_count 1 '^main   \([0-9]+\): at the end: qsize\(\) = 0, empty\(\) = true, full\(\) = false$'
}

@test "queue_nonblock -r: the racy reader loses nothing" { queue_nonblock_racy c; }
@test "queue_nonblock.py -r: the racy reader loses nothing" { queue_nonblock_racy py; }

# ---- queue_timeout -----------------------------------------------------------
# at_least T X: X >= T, allowing for the two decimals X is printed with.
at_least() {
    awk -v t="$1" -v x="$2" 'BEGIN { exit !(x + 0.005 >= t) }' || fail_run "waited $2 s, less than the timeout $1 s"
}

# Nothing else uses the queue while the program waits: Full and Empty come
# whatever the load, so the timeouts can be short (only "at least" is
# checked, never "at most").
queue_timeout_checks() {
    local impl=$1 m=$2 t=$3 took
    run_impl "$impl" 04-queue queue_timeout -s "$m" -t "$t"
    assert_success
    assert_equal "$(sequence "^producer \([0-9]+\): put\(([0-9]+), timeout=$t\) -> OK$")" "$(seq -s ' ' 1 "$m")"
    # Full on a full queue: after the timeout, or at once without blocking.
    took=$(capture "^producer \([0-9]+\): put\($((m + 1)), timeout=$t\) -> Full after ([0-9.]+) s$")
    at_least "$t" "$took"
    assert_count 1 "^producer \([0-9]+\): put\($((m + 2)), block=False\) -> Full after [0-9.]+ s$"
    assert_count 1 "^main     \([0-9]+\): producer joined, exitcode 0: qsize\(\) = $m, full\(\) = true$"
    # Each item got once, in order.
    assert_equal "$(sequence "^main     \([0-9]+\): get\(timeout=$t\) -> ([0-9]+)$")" "$(seq -s ' ' 1 "$m")"
    # Empty on an empty queue: likewise.
    took=$(capture "^main     \([0-9]+\): get\(timeout=$t\) -> Empty after ([0-9.]+) s$")
    at_least "$t" "$took"
    [[ ${lines[-1]} =~ ^main\ +\([0-9]+\):\ get\(block=False\)\ -\>\ Empty\ after\ [0-9.]+\ s$ ]] || fail_run "get(block=False) on an empty queue: Empty"
}

@test "queue_timeout: Full on a full queue, Empty on an empty one, after the timeout" {
    queue_timeout_checks c 3 0.1
    queue_timeout_checks c 1 0.05
}
@test "queue_timeout.py: Full on a full queue, Empty on an empty one, after the timeout" { queue_timeout_checks py 3 0.1; }

# ---- queue_workers -----------------------------------------------------------
@test "queue_workers: two producers, two consumers, stopped by sentinels" {
    run_c 04-queue queue_workers
    assert_success
    assert_count 10 '^producer [01] \([0-9]+\): put p[01] #[1-5] \(5 bytes, crc [0-9a-f]{8}\)$'
    assert_count 10 '^consumer [01] \([0-9]+\): got p[01] #[1-5] \(5 bytes, crc [0-9a-f]{8}\)$'
    assert_count 2 '^consumer [01] \([0-9]+\): got the sentinel after [0-9]+ items?, 0 bad$'
    assert_before '^main +\([0-9]+\): producers joined; putting 2 sentinels$' '^consumer [01] \([0-9]+\): got the sentinel'
    assert_count 1 '^main +\([0-9]+\): consumers joined: 10 items got \(expected 10\), 0 bad; qsize\(\) = 0$'
    [[ ${lines[-1]} =~ self-check:\ OK$ ]] || fail_run "self-check"
}

# The big one: 4 producers and 4 consumers move 5000 messages of mixed
# sizes through a small ring (1024 bytes: it wraps hundreds of times), one
# in eight within 16 bytes of the largest (1020 bytes). The test checks the
# program's output itself, not its self-check line:
#  - 5000 distinct messages put: p0..p3, each numbered 1..1250;
#  - each got exactly once, with the length and CRC-32 its producer put;
#  - within each consumer, each producer's numbers strictly increase;
#  - the consumers stop on sentinels put after the producers were joined.
# The C program also refuses a message one byte larger than the largest
# (EMSGSIZE); Python's Queue has no largest message.
# The output (10000 lines) goes to a file and is checked with awk.
queue_workers_mixed() {
    local impl=$1 out="$BATS_TEST_TMPDIR/workers.txt" cmd report
    if [ "$impl" = c ]; then
        cmd="$WB_WRAP $WB_BIN_ROOT/chapters/04-queue/queue_workers"
    else
        need_python
        cmd="$WB_PYTHON -S $WB_ROOT/chapters/04-queue/queue_workers.py"
    fi
    run_limited sh -c "$cmd -p 4 -n 4 -c 1250 -s 1024 -v -t 0 > '$out'"
    assert_success
    report=$(awk '
        $1 == "producer" && $4 == "put" {
            key = $5 " " $6; puts++
            if (key in sent) { print "put twice: " key; bad++ }
            sent[key] = $7 " " $10
            p = substr($5, 2); n = substr($6, 2) + 0
            if (p !~ /^[0-3]$/ || n < 1 || n > 1250) { print "unexpected message: " key; bad++ }
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
    [[ $report =~ puts\ 5000\ gots\ 5000\ near-largest\ [0-9]+\ bad\ 0$ ]] || fail_run "$report"
    # 730 of the 5000 sizes are near the largest (a hash of producer and
    # number decides); one in ten at least, or the largest sizes go untested.
    [[ $report =~ near-largest\ ([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge 500 ] || fail_run "too few messages near the largest size: $report"
    # The few lines that are not messages, checked as a run's output is.
    mapfile -t lines < <(grep -v '^producer [0-9]* ([0-9]*): put p\|^consumer [0-9]* ([0-9]*): got p' "$out")
    output=$(print_lines)
    assert_count 1 '^main +\([0-9]+\): 4 producers x 1250 items, 4 consumers; largest message 1020 bytes$'
    # The errno's name is checked, not strerror's text: each C library
    # words it its own way ("Message too long", musl's "Message too large").
    [ "$impl" = py ] || assert_count 1 '^main +\([0-9]+\): put\(1021 bytes\) -> error EMSGSIZE \([^)]+\)$'
    assert_count 4 '^consumer [0-3] \([0-9]+\): got the sentinel after [0-9]+ items?, 0 bad$'
    assert_before '^main +\([0-9]+\): producers joined; putting 4 sentinels$' '^consumer [0-3] \([0-9]+\): got the sentinel'
    assert_count 1 '^main +\([0-9]+\): consumers joined: 5000 items got \(expected 5000\), 0 bad; qsize\(\) = 0$'
    [[ ${lines[-1]} =~ self-check:\ OK$ ]] || fail_run "self-check"
}

@test "queue_workers: 4x4, 5000 mixed-size messages through a small ring, each once, intact, in producer order; stopped by sentinels; a message larger than the largest is refused with EMSGSIZE" { queue_workers_mixed c; }
@test "queue_workers.py: 4x4, 5000 mixed-size messages, each once, intact, in producer order; stopped by sentinels" { queue_workers_mixed py; }

# ---- queue_terminate ---------------------------------------------------------
# Where the reader dies is the race the program is about: assert only that
# it ends, that each attempt has one of the two outcomes, and that the
# summary agrees with them.
queue_terminate_checks() {
    local impl=$1 max=$2 attempts held
    run_impl "$impl" 04-queue queue_terminate -c "$max" -s 262144
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

# ---- queue_joinable ----------------------------------------------------------
# joinable_items RE: the item numbers (the first group of RE) of the lines
# that match RE, sorted: compared with 1..ITEMS, each must come once.
joinable_items() {
    values "$1" '\1' || return
    numbers "${WB_VALUES[@]}"
}

# What every mode guarantees: each item got once and worked on once; one
# sentinel per consumer, each got once, after main put them; and the last
# line, written once every consumer was joined with exit code 0 (else the
# status is 1), counts what stays unfinished for ever.
joinable_common() {
    local n=$1 c=$2 unfinished=$3
    assert_equal "$(joinable_items '^consumer [0-9]+ \([0-9]+\): got item ([0-9]+)$')" "$(seq -s ' ' 1 "$c")"
    assert_equal "$(joinable_items '^consumer [0-9]+ \([0-9]+\): done with item ([0-9]+)(: task_done\(\)|, and forgot task_done\(\))$')" \
                 "$(seq -s ' ' 1 "$c")"
    assert_equal "$(joinable_items '^consumer ([0-9]+) \([0-9]+\): got the sentinel: task_done\(\), and stop$')" \
                 "$(seq -s ' ' 0 $((n - 1)))"
    assert_before "^main +\([0-9]+\): putting $n sentinels$" '^consumer [0-9]+ \([0-9]+\): got the sentinel'
    if [ "$unfinished" -eq 0 ]; then
        [[ ${lines[-1]} =~ ^main\ +\([0-9]+\):\ consumers\ joined:\ 0\ tasks\ never\ marked\ done\ \(expected\ 0\)$ ]] ||
            fail_run "nothing unfinished, said last"
    else
        [[ ${lines[-1]} =~ ^main\ +\([0-9]+\):\ join\(\)\ would\ wait\ for\ ever:\ $unfinished\ tasks?\ never\ marked\ done\ \(expected\ $unfinished\)$ ]] ||
            fail_run "$unfinished tasks never marked done, said last"
    fi
}

# -m ok: join() returns only once the count is 0, that is after the last
# task_done(); each consumer says "done" BEFORE it calls task_done(), so
# every "done" line comes before main's "join() returned".
queue_joinable_ok() {
    local impl=$1 n=$2 c=$3
    run_impl "$impl" 04-queue queue_joinable -n "$n" -c "$c"
    assert_success
    joinable_common "$n" "$c" 0
    assert_count "$c" '^consumer [0-9]+ \([0-9]+\): done with item [0-9]+: task_done\(\)$'
    assert_count 1 '^main +\([0-9]+\): join\(\) returned: the count of unfinished tasks came down to 0$'
    assert_before '^consumer [0-9]+ \([0-9]+\): done with item' '^main +\([0-9]+\): join\(\) returned'
    assert_before '^main +\([0-9]+\): join\(\) returned' '^main +\([0-9]+\): putting [0-9]+ sentinels$'
    refute_line --regexp 'too many times|forgot|giving up'
}

@test "queue_joinable: join() returns after every task_done(); each item once; sentinels marked done too" {
    queue_joinable_ok c 3 40
    queue_joinable_ok c 1 3
}
@test "queue_joinable.py: join() returns after every task_done(); each item once; sentinels marked done too" {
    queue_joinable_ok py 2 8
}

# -m forget: every 4th item is never marked done, so the count never comes
# down to 0 once item 4 is put: the bounded join() gives up, whatever the
# timing (a short -t is safe). Once the consumers are joined the count is
# exact: ITEMS / 4, and the program still ends with every child reaped
# (status 0: each consumer ended with 0).
queue_joinable_forget() {
    local impl=$1 c=$2
    run_impl "$impl" 04-queue queue_joinable -m forget -n 2 -c "$c" -t 0.2
    assert_success
    joinable_common 2 "$c" $((c / 4))
    assert_equal "$(joinable_items '^consumer [0-9]+ \([0-9]+\): done with item ([0-9]+), and forgot task_done\(\)$')" \
                 "$(seq -s ' ' 4 4 "$c")"
    assert_count 1 '^main +\([0-9]+\): join\(\) still waiting after 0\.2 s: giving up$'
    refute_line --regexp 'join\(\) returned|too many times'
}

@test "queue_joinable -m forget: the bounded join() gives up; exactly ITEMS/4 tasks never marked done; all reaped" {
    queue_joinable_forget c 10
    queue_joinable_forget c 4
}
@test "queue_joinable.py -m forget: the bounded join() gives up; exactly ITEMS/4 tasks never marked done; all reaped" {
    queue_joinable_forget py 8
}

# -m extra: every 4th item is marked done twice. Which call finds the count
# at 0 is racy (the extra call itself, or a later one, in any consumer,
# the sentinels' included), and join() may return before the last "done"
# line; but the number of failed calls is exact: every put comes before
# its own task_done(), so the count ends at 0, and the calls beyond the
# puts, ITEMS / 4 of them, are the ones that failed.
queue_joinable_extra() {
    local impl=$1 n=$2 c=$3
    run_impl "$impl" 04-queue queue_joinable -m extra -n "$n" -c "$c"
    assert_success
    joinable_common "$n" "$c" 0
    assert_equal "$(joinable_items '^consumer [0-9]+ \([0-9]+\): task_done\(\) again for item ([0-9]+), by mistake$')" \
                 "$(seq -s ' ' 4 4 "$c")"
    assert_count $((c / 4)) '^consumer [0-9]+ \([0-9]+\): task_done\(\) for (item [0-9]+|the sentinel) -> (error EINVAL: called too many times|ValueError: task_done\(\) called too many times)$'
    assert_count 1 '^main +\([0-9]+\): join\(\) returned: the count of unfinished tasks came down to 0$'
}

@test "queue_joinable -m extra: task_done() more often than put() fails with EINVAL, exactly once per extra call" {
    queue_joinable_extra c 3 20
    queue_joinable_extra c 1 4
}
@test "queue_joinable.py -m extra: task_done() more often than put() raises ValueError, exactly once per extra call" {
    queue_joinable_extra py 2 8
}

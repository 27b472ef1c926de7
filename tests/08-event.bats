#!/usr/bin/env bats
# Chapter 08: event, condition, barrier. What each guarantees: a blocked
# waiter wakes only after set() and sees the event set; a timed waiter that
# ends before set() reports False; a consumer takes an item only after it
# was produced; nobody passes a barrier before the last one has arrived.

load test_helper

# ---- event_demo ----------------------------------------------------------------
# With some pace the timed waiter really waits out its timeout (2 s times
# the pace) and the others really block; the order below does not depend
# on it: the setter waits for the timed waiter's own event.
event_demo_checks() {
    WORKBOOK_PACE=0.05 run_impl "$1" 08-event event_demo -n 3
    assert_success
    assert_line --regexp '^main +\([0-9]+\): starting 3 blocked waiters, 1 timed waiter and 1 setter$'
    assert_count 3 '^block +\([0-9]+\): wait_for_event: starting$'
    assert_count 1 '^non-block +\([0-9]+\): wait_for_event_timeout: starting, timeout 0\.1 s$'
    # The timed waiter gave up with the event clear, before it was set.
    assert_count 1 '^non-block +\([0-9]+\): wait_for_event_timeout: e\.wait\(0\.1\) -> False, e\.is_set\(\) -> False$'
    assert_before '^non-block .*-> False, e\.is_set\(\) -> False$' '^setter +\([0-9]+\): the timed waiter has given up; e\.is_set\(\) -> False$'
    assert_before '^setter +\([0-9]+\): the timed waiter has given up' '^setter +\([0-9]+\): setting the event$'
    # Every blocked waiter woke after the set, and saw it set.
    assert_count 3 '^block +\([0-9]+\): wait_for_event: e\.is_set\(\) -> True$'
    assert_before '^setter +\([0-9]+\): setting the event$' '-> True$'
    # And clear() made it false again, after everybody had ended.
    [[ ${lines[-1]} =~ ^main\ +\([0-9]+\):\ every\ process\ has\ ended\;\ after\ e\.clear\(\),\ e\.is_set\(\)\ -\>\ False$ ]] || fail_run "the last line reports the clear"
    assert_count 12 '.'
}

@test "event_demo: blocked waiters wake after set and see it set; the timed one reports False" { event_demo_checks c; }
@test "event_demo.py: blocked waiters wake after set and see it set; the timed one reports False" { event_demo_checks py; }

# ---- condition_demo ----------------------------------------------------------------
# Items 1..ITEMS each produced once and consumed once, the consumption after
# the production, in FIFO order, never more than SLOTS in the buffer; the
# producer's "no more items" once, before any consumer leaves; each consumer
# leaves once, and together they took ITEMS. One awk walks the output, as
# a running history of the buffer, and prints "ok" or the first problem.
condition_checks() {
    local consumers=$1 items=$2 slots=$3 problem
    assert_success
    assert_line --regexp "^main +\\([0-9]+\\): 1 producer makes $items items for $consumers consumers?, through $slots slots$"
    problem=$(printf '%s\n' "$output" | awk -v consumers="$consumers" -v items="$items" -v slots="$slots" '
        function bad(why) { print why; failed = 1; exit }
        BEGIN { due = 1 }
        /^producer +\([0-9]+\): produced item [0-9]+ \([0-9]+ in the buffer\)$/ {
            k = $5 + 0
            if (k in made) bad("item " k " produced twice")
            made[k] = 1
            produced++
            if (++inside > most) most = inside
            next
        }
        /^consumer [0-9]+ +\([0-9]+\): consumed item [0-9]+ \([0-9]+ in the buffer\)$/ {
            k = $6 + 0
            if (!(k in made)) bad("item " k " consumed before it was produced")
            if (k != due) bad("item " k " consumed where item " due " was due (FIFO)")
            due++
            inside--
            next
        }
        /^producer +\([0-9]+\): no more items$/ {
            if (left_any) bad("the producer says \"no more items\" after a consumer left")
            done++
        }
        /leaving, after [0-9]+ items?$/ {
            if (!done) bad("a consumer left before the producer said \"no more items\"")
            left_any = 1
            total += $(NF - 1)
        }
        /^consumer [0-9]+ +\([0-9]+\): the buffer is empty and the producer is done: leaving, after [0-9]+ items?$/ { left++ }
        END {
            if (failed) exit
            if (produced != items) bad(produced + 0 " items produced, not " items)
            if (due != items + 1) bad(due - 1 " items consumed, not " items)
            if (most > slots) bad(most " items in the buffer at once, more than " slots)
            if (done != 1) bad(done + 0 " lines \"no more items\", not 1")
            if (left != consumers) bad(left + 0 " consumers left, not " consumers)
            if (total != items) bad("the consumers say they took " total + 0 " items, not " items)
            print "ok"
        }')
    [ "$problem" = ok ] || fail_run "${problem:-the walk over the output failed}"
    assert_line --regexp "^main +\\([0-9]+\\): $items items consumed \\(expected $items\\)$"
}

# The default run paced, so that the consumers (1 s an item, times the
# pace) are slower than the producer (0.2 s) and the buffer really fills
# up; other sizes unpaced.
condition_demo_checks() {
    WORKBOOK_PACE=0.02 run_impl "$1" 08-event condition_demo
    condition_checks 2 6 2
    run_impl "$1" 08-event condition_demo -n 3 -c 20 -s 1
    condition_checks 3 20 1
    run_impl "$1" 08-event condition_demo -n 1 -c 15 -s 4
    condition_checks 1 15 4
}

@test "condition_demo: no item is consumed before it was produced; FIFO; never over SLOTS" { condition_demo_checks c; }
@test "condition_demo.py: no item is consumed before it was produced; FIFO; never over SLOTS" { condition_demo_checks py; }

# ---- barrier_demo ----------------------------------------------------------------
# One walk over the output: a "passed" line of round R only once all
# WORKERS have said "arrived" in round R (and passed round R - 1); each
# round has WORKERS arrivals, WORKERS passes, exactly one of them chosen;
# and no other line but main's two. One awk, which prints "ok" or the
# first problem.
barrier_checks() {
    local workers=$1 rounds=$2 problem
    assert_success
    problem=$(printf '%s\n' "$output" | awk -v workers="$workers" -v rounds="$rounds" '
        function bad(why) { print why; failed = 1; exit }
        BEGIN { passed[0] = workers }
        /./ { nonempty++ }
        /^worker [0-9]+ +\([0-9]+\): round [0-9]+: arrived$/ {
            arrived[$5 + 0]++
        }
        /^worker [0-9]+ +\([0-9]+\): round [0-9]+: passed( \(chosen\))?$/ {
            r = $5 + 0
            if (arrived[r] != workers) bad("a worker passed round " r " when only " arrived[r] + 0 " of " workers " had arrived")
            if (passed[r - 1] != workers) bad("a worker passed round " r " before all had passed round " r - 1)
            passed[r]++
            if ($NF == "(chosen)") chosen[r]++
        }
        END {
            if (failed) exit
            for (r = 1; r <= rounds; r++) {
                if (arrived[r] != workers) bad("round " r ": " arrived[r] + 0 " arrivals, not " workers)
                if (passed[r] != workers) bad("round " r ": " passed[r] + 0 " passes, not " workers)
                if (chosen[r] != 1) bad("round " r ": " chosen[r] + 0 " chosen, not 1")
            }
            if (nonempty != 2 * workers * rounds + 2) bad(nonempty + 0 " lines, not " 2 * workers * rounds + 2)
            print "ok"
        }')
    [ "$problem" = ok ] || fail_run "${problem:-the walk over the output failed}"
    assert_line --regexp "^main +\\([0-9]+\\): all $workers workers finished $rounds rounds$"
}

# The default run paced, so that the workers arrive at different times and
# the early ones really wait; a larger one unpaced.
barrier_demo_checks() {
    WORKBOOK_PACE=0.01 run_impl "$1" 08-event barrier_demo
    barrier_checks 3 2
    run_impl "$1" 08-event barrier_demo -n 6 -c 5
    barrier_checks 6 5
}

@test "barrier_demo: nobody passes before the last one arrived; one chosen per round" { barrier_demo_checks c; }
@test "barrier_demo.py: nobody passes before the last one arrived; one chosen per round" { barrier_demo_checks py; }

# ---- a child that dies: the parent stops and reaps the others ---------------
# kill_one_checks PROGRAM ARGS...: once the program's first worker line is
# out, SIGKILL that worker. The others wait for it (the barrier's next round;
# the items it would have taken): main must see the death, stop and reap
# them, and end with 1. ARGS make the run far longer than the test's wait
# (100 rounds, 100 items, paced), so the worker is still needed.
kill_one_checks() {
    local impl=$1 program=$2 out=$BATS_TEST_TMPDIR/out main victim tries
    shift 2
    [ "$impl" = c ] || need_python
    program_command "$impl" 08-event "$program"
    WORKBOOK_PACE=1 "${WB_CMD[@]}" "$@" >"$out" 2>&1 3>&- &
    main=$!
    tries=$((WB_TIMEOUT * 10))
    until victim=$(sed -nE 's/^(worker 1|consumer 1) +\(([0-9]+)\): .*/\2/p' "$out" | head -n 1) && [ -n "$victim" ]; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || { kill -KILL "$main"; output=$(cat "$out"); fail_run "no worker line"; }
        sleep 0.1               # polling the output, bounded: not synchronisation
    done
    kill -KILL "$victim"
    tries=$((WB_TIMEOUT * 10))
    while kill -0 "$main" 2>/dev/null; do
        tries=$((tries - 1))
        if [ "$tries" -le 0 ]; then
            pkill -KILL -f -- "chapters/08-event/$program"
            output=$(cat "$out")
            fail_run "main did not end within ${WB_TIMEOUT}s of the worker's death"
        fi
        sleep 0.1               # polling, bounded: not synchronisation
    done
    status=0
    wait "$main" || status=$?
    output=$(cat "$out")
    [ -z "$(pgrep -f -- "chapters/08-event/$program")" ] || { pkill -KILL -f -- "chapters/08-event/$program"; fail_run "processes left"; }
    [ "$status" -eq 1 ] || fail_run "main should end with 1 after a worker died"
    [[ $output == *"failed: the others were stopped and joined"* ]] || fail_run "main should say so"
}

@test "barrier_demo: a worker killed: main stops and reaps the others, ends with 1" {
    kill_one_checks c barrier_demo -n 3 -c 100
}
@test "barrier_demo.py: a worker killed: main stops and joins the others, ends with 1" {
    kill_one_checks py barrier_demo -n 3 -c 100
}
@test "condition_demo: a consumer killed: main stops and reaps the others, ends with 1" {
    kill_one_checks c condition_demo -n 2 -c 100
}
@test "condition_demo.py: a consumer killed: main stops and joins the others, ends with 1" {
    kill_one_checks py condition_demo -n 2 -c 100
}

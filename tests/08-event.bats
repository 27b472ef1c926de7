#!/usr/bin/env bats
# Chapter 08: event, condition, barrier. What each guarantees: a blocked
# waiter wakes only after set() and sees the event set; a timed waiter that
# ends before set() reports False; a consumer takes an item only after it
# was produced; nobody passes a barrier before the last one has arrived.

load test_helper

# ---- event_demo ----------------------------------------------------------------
event_demo_checks() {
    run_impl "$1" 08-event event_demo -n 3
    assert_success
    assert_line --regexp '^main +\([0-9]+\): starting 3 blocked waiters, 1 timed waiter and 1 setter$'
    assert_count 3 '^block +\([0-9]+\): wait_for_event: starting$'
    assert_count 1 '^non-block +\([0-9]+\): wait_for_event_timeout: starting, timeout [0-9.]+ s$'
    # The timed waiter gave up with the event clear, before it was set.
    assert_count 1 '^non-block +\([0-9]+\): wait_for_event_timeout: e\.wait\([0-9.]+\) -> False, e\.is_set\(\) -> False$'
    assert_before '^non-block .*-> False, e\.is_set\(\) -> False$' '^setter +\([0-9]+\): the timed waiter has given up; e\.is_set\(\) -> False$'
    assert_before '^setter +\([0-9]+\): the timed waiter has given up' '^setter +\([0-9]+\): setting the event$'
    # Every blocked waiter woke after the set, and saw it set.
    assert_count 3 '^block +\([0-9]+\): wait_for_event: e\.is_set\(\) -> True$'
    assert_before '^setter +\([0-9]+\): setting the event$' '^block +\([0-9]+\): wait_for_event: e\.is_set\(\) -> True$'
    # And clear() made it false again, after everybody had ended.
    [[ ${lines[-1]} =~ ^main\ +\([0-9]+\):\ every\ process\ has\ ended\;\ after\ e\.clear\(\),\ e\.is_set\(\)\ -\>\ False$ ]] || fail_run "the last line reports the clear"
    assert_count 12 '.'
}

@test "event_demo: blocked waiters wake after set and see it set; the timed one reports False" { event_demo_checks c; }
@test "event_demo.py: blocked waiters wake after set and see it set; the timed one reports False" { event_demo_checks py; }

# With some pace the timed waiter really waits out its timeout and the
# others really block: the same lines, in the same guaranteed places.
event_demo_paced_checks() {
    WORKBOOK_PACE=0.05 run_impl "$1" 08-event event_demo
    assert_success
    assert_line --regexp '^non-block +\([0-9]+\): wait_for_event_timeout: e\.wait\(0\.1\) -> False, e\.is_set\(\) -> False$'
    assert_before '^non-block .*-> False$' '^setter +\([0-9]+\): setting the event$'
    assert_count 2 '^block +\([0-9]+\): wait_for_event: e\.is_set\(\) -> True$'
    assert_before '^setter +\([0-9]+\): setting the event$' '-> True$'
}

@test "event_demo: the same guarantees when the waits take real time" { event_demo_paced_checks c; }
@test "event_demo.py: the same guarantees when the waits take real time" { event_demo_paced_checks py; }

event_demo_bad_usage() {
    assert_common_bad_usage "$1" 08-event event_demo
    bad_usage "$1" 08-event event_demo -n
    bad_usage "$1" 08-event event_demo -n abc
    bad_usage "$1" 08-event event_demo -n 0
    bad_usage "$1" 08-event event_demo -n 17
    bad_usage "$1" 08-event event_demo -n 99999999999999999999
}

@test "event_demo: bad usage gets one line and status 2" { event_demo_bad_usage c; }
@test "event_demo.py: bad usage gets status 2" { event_demo_bad_usage py; }

# ---- condition_demo ----------------------------------------------------------------
# Items 1..ITEMS each produced once and consumed once, the consumption after
# the production, in FIFO order, never more than SLOTS in the buffer. One
# walk over the output checks it all, as a running history of the buffer.
condition_checks() {
    local consumers=$1 items=$2 slots=$3 line k inside=0 most=0 next=1 total=0
    local -a produced=()
    assert_success
    assert_line --regexp "^main +\\([0-9]+\\): 1 producer makes $items items for $consumers consumers?, through $slots slots$"
    for line in "${lines[@]}"; do
        if [[ $line =~ ^producer\ +\([0-9]+\):\ produced\ item\ ([0-9]+)\ \([0-9]+\ in\ the\ buffer\)$ ]]; then
            k=${BASH_REMATCH[1]}
            [ -z "${produced[k]:-}" ] || fail_run "item $k produced twice"
            produced[k]=1
            inside=$((inside + 1))
            [ "$inside" -gt "$most" ] && most=$inside
        elif [[ $line =~ ^consumer\ [0-9]+\ +\([0-9]+\):\ consumed\ item\ ([0-9]+)\ \([0-9]+\ in\ the\ buffer\)$ ]]; then
            k=${BASH_REMATCH[1]}
            [ -n "${produced[k]:-}" ] || fail_run "item $k consumed before it was produced"
            [ "$k" -eq "$next" ] || fail_run "item $k consumed where item $next was due (FIFO)"
            next=$((next + 1))
            inside=$((inside - 1))
        elif [[ $line =~ leaving,\ after\ ([0-9]+)\ items$ ]]; then
            total=$((total + BASH_REMATCH[1]))
        fi
    done
    [ "${#produced[@]}" -eq "$items" ] || fail_run "${#produced[@]} items produced, not $items"
    [ "$next" -eq $((items + 1)) ] || fail_run "$((next - 1)) items consumed, not $items"
    [ "$most" -le "$slots" ] || fail_run "$most items in the buffer at once, more than $slots"
    assert_count 1 '^producer +\([0-9]+\): no more items$'
    assert_count "$consumers" '^consumer [0-9]+ +\([0-9]+\): the buffer is empty and the producer is done: leaving, after [0-9]+ items$'
    assert_before '^producer +\([0-9]+\): no more items$' 'leaving, after [0-9]+ items$'
    [ "$total" -eq "$items" ] || fail_run "the consumers say they took $total items, not $items"
    assert_line --regexp "^main +\\([0-9]+\\): $items items consumed \\(expected $items\\)$"
}

condition_demo_checks() {
    run_impl "$1" 08-event condition_demo
    condition_checks 2 6 2
    run_impl "$1" 08-event condition_demo -n 3 -c 20 -s 1
    condition_checks 3 20 1
    run_impl "$1" 08-event condition_demo -n 1 -c 15 -s 4
    condition_checks 1 15 4
}

@test "condition_demo: no item is consumed before it was produced; FIFO; never over SLOTS" { condition_demo_checks c; }
@test "condition_demo.py: no item is consumed before it was produced; FIFO; never over SLOTS" { condition_demo_checks py; }

condition_demo_paced_checks() {
    WORKBOOK_PACE=0.02 run_impl "$1" 08-event condition_demo -c 8
    condition_checks 2 8 2
}

@test "condition_demo: the same guarantees when the buffer really fills up" { condition_demo_paced_checks c; }
@test "condition_demo.py: the same guarantees when the buffer really fills up" { condition_demo_paced_checks py; }

condition_demo_bad_usage() {
    assert_common_bad_usage "$1" 08-event condition_demo
    bad_usage "$1" 08-event condition_demo -n
    bad_usage "$1" 08-event condition_demo -n 0
    bad_usage "$1" 08-event condition_demo -n 17
    bad_usage "$1" 08-event condition_demo -c
    bad_usage "$1" 08-event condition_demo -c many
    bad_usage "$1" 08-event condition_demo -c 0
    bad_usage "$1" 08-event condition_demo -c 1001
    bad_usage "$1" 08-event condition_demo -s
    bad_usage "$1" 08-event condition_demo -s 0
    bad_usage "$1" 08-event condition_demo -s -1
    bad_usage "$1" 08-event condition_demo -s 99999999999999999999
}

@test "condition_demo: bad usage gets one line and status 2" { condition_demo_bad_usage c; }
@test "condition_demo.py: bad usage gets status 2" { condition_demo_bad_usage py; }

# ---- barrier_demo ----------------------------------------------------------------
# One walk over the output: a "passed" line of round R only once all
# WORKERS have said "arrived" in round R (and passed round R - 1); each
# round has WORKERS arrivals, WORKERS passes, exactly one of them chosen.
barrier_checks() {
    local workers=$1 rounds=$2 line r
    local -a arrived=() passed=() chosen=()
    assert_success
    for r in $(seq 0 "$rounds"); do
        arrived[r]=0 passed[r]=0 chosen[r]=0
    done
    passed[0]=$workers
    for line in "${lines[@]}"; do
        if [[ $line =~ ^worker\ [0-9]+\ +\([0-9]+\):\ round\ ([0-9]+):\ arrived$ ]]; then
            r=${BASH_REMATCH[1]}
            arrived[r]=$((arrived[r] + 1))
        elif [[ $line =~ ^worker\ [0-9]+\ +\([0-9]+\):\ round\ ([0-9]+):\ passed(\ \(chosen\))?$ ]]; then
            r=${BASH_REMATCH[1]}
            [ "${arrived[r]}" -eq "$workers" ] || fail_run "a worker passed round $r when only ${arrived[r]} of $workers had arrived"
            [ "${passed[r - 1]}" -eq "$workers" ] || fail_run "a worker passed round $r before all had passed round $((r - 1))"
            passed[r]=$((passed[r] + 1))
            [ -z "${BASH_REMATCH[2]}" ] || chosen[r]=$((chosen[r] + 1))
        fi
    done
    for r in $(seq "$rounds"); do
        [ "${arrived[r]}" -eq "$workers" ] || fail_run "round $r: ${arrived[r]} arrivals, not $workers"
        [ "${passed[r]}" -eq "$workers" ] || fail_run "round $r: ${passed[r]} passes, not $workers"
        [ "${chosen[r]}" -eq 1 ] || fail_run "round $r: ${chosen[r]} chosen, not 1"
    done
    assert_count $((2 * workers * rounds + 2)) '.'
    assert_line --regexp "^main +\\([0-9]+\\): all $workers workers finished $rounds rounds$"
}

barrier_demo_checks() {
    run_impl "$1" 08-event barrier_demo
    barrier_checks 3 2
    run_impl "$1" 08-event barrier_demo -n 6 -r 5
    barrier_checks 6 5
    WORKBOOK_PACE=0.01 run_impl "$1" 08-event barrier_demo -n 4 -r 3
    barrier_checks 4 3
}

@test "barrier_demo: nobody passes before the last one arrived; one chosen per round" { barrier_demo_checks c; }
@test "barrier_demo.py: nobody passes before the last one arrived; one chosen per round" { barrier_demo_checks py; }

barrier_demo_bad_usage() {
    assert_common_bad_usage "$1" 08-event barrier_demo
    bad_usage "$1" 08-event barrier_demo -n
    bad_usage "$1" 08-event barrier_demo -n 0
    bad_usage "$1" 08-event barrier_demo -n 17
    bad_usage "$1" 08-event barrier_demo -n x
    bad_usage "$1" 08-event barrier_demo -r
    bad_usage "$1" 08-event barrier_demo -r 0
    bad_usage "$1" 08-event barrier_demo -r 101
    bad_usage "$1" 08-event barrier_demo -r 99999999999999999999
}

@test "barrier_demo: bad usage gets one line and status 2" { barrier_demo_bad_usage c; }
@test "barrier_demo.py: bad usage gets status 2" { barrier_demo_bad_usage py; }

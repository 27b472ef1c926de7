#!/usr/bin/env bats
# Chapter 05: pool, Ctrl-C in a Pool (pool_interrupt). A file of its own:
# its tests wait on the clock (each task works 2 s at WORKBOOK_PACE=1, for
# a whole task of margin around the signal), so they run beside the
# chapter's others, not after them.

load test_helper

# ---- pool_interrupt ------------------------------------------------------
# interrupted IMPL SIGNAL LINE TARGET ARGS...: run pool_interrupt under
# tests/check/wbrun, which starts it in a session of its own and sends
# SIGNAL (a number) after LINE lines of output, to the process group (as
# Ctrl-C does: TARGET group) or to the parent alone (TARGET parent). Each
# task works -t SECONDS at WORKBOOK_PACE=1: the arguments are chosen so
# that the program is still working when the signal comes, by a margin of
# a whole task (2 s), however the lines interleave. Then: it died of the
# signal (or exited 128+N), within 10 s of it, leaving no process behind;
# no worker spoke after the parent's terminate() line; and every task it
# lists as finished printed its "done" line first. Leaves the report in
# $report and the program's output in $output and ${lines[@]}.
interrupted() {
    local impl=$1 sig=$2 line=$3 target=$4 limit group=
    shift 4
    [ "$target" = group ] && group=-G
    wbrun_built
    program_command "$impl" 05-pool pool_interrupt
    time_limit limit
    WORKBOOK_PACE=1 run_limited "$WB_WBRUN" -t "$limit" -g 5 -k "$sig" -n "$line" $group -w 10 \
        -o "$BATS_TEST_TMPDIR/out" -e "$BATS_TEST_TMPDIR/err" -- "${WB_CMD[@]}" "$@"
    report=$output
    output=$(cat "$BATS_TEST_TMPDIR/out")
    stderr=$(cat "$BATS_TEST_TMPDIR/err")
    mapfile -t lines <"$BATS_TEST_TMPDIR/out"
    [[ $report == *$'\n'"status=signal:$sig"$'\n'* || $report == *$'\n'"status=exit:$((128 + sig))"$'\n'* ]] ||
        fail_run "not ended by signal $sig nor with $((128 + sig)): $report"
    [[ $report == *$'\n'"late=0"$'\n'* ]] || fail_run "not ended within 10 s of the signal: $report"
    [[ $report == *$'\n'"leftovers=0"* ]] || fail_run "processes left behind: $report"
    local name
    name=$(kill -l "$sig")
    # (The naive twin's terminate() may hang, bpo-8296: then it says so,
    # and kills and reaps the workers itself after a few seconds.)
    assert_line --regexp "^parent +[0-9]+ +got SIG$name; terminate\(\)(: no more tasks, SIGTERM to the workers, all reaped| HANGS: .*)$"
    # Every worker has been reaped before that line: none speaks after it.
    assert_before '^worker ' "^parent +[0-9]+ +got SIG$name; terminate"
    assert_before "^parent +[0-9]+ +got SIG$name; terminate" "^parent +[0-9]+ +all workers reaped; now dying of SIG$name, as the shell expects \($((128 + sig))\)$"
    # Finished means a result in hand: its task printed "done" first.
    local finished task
    finished=$(capture "^parent +[0-9]+ +finished \(result in hand\):(( [0-9]+)+| none)$")
    for task in ${finished/none/}; do
        assert_count 1 "^worker +[0-9]+ +task $task  done -> $((task * task))$"
    done
    refute_line --regexp 'no Ctrl-C'
}

# interrupted_c_account: the C pool knows each task's fate: finished, cut
# off (it was handed to a worker), or never started; together, all $TASKS.
interrupted_c_account() {
    local finished cut unstarted
    finished=$(capture "^parent +[0-9]+ +finished \(result in hand\):(( [0-9]+)+| none)$")
    finished=$(wc -w <<<"${finished/none/}")
    cut=$(count_lines '^parent +[0-9]+ +task [0-9]+  cut off: ')
    unstarted=$(capture "^parent +[0-9]+ +never started: ([0-9]+) tasks?; replaced workers: [0-9]+$")
    [ $((finished + cut + unstarted)) -eq "$TASKS" ] ||
        fail_run "finished ($finished) + cut off ($cut) + never started ($unstarted) is not $TASKS"
}

# The margins: 4 tasks of 2 s on 2 workers. Line 2 is the first task's
# start line; after line 5 at least one task is done and two more run or
# are about to; after line 7 the last two have started (2 s to go).
@test "pool_interrupt: Ctrl-C (SIGINT to the group) after the first task's line: dies of SIGINT, nothing left" {
    TASKS=4
    interrupted c 2 2 group -n 2 -c 4 -t 2
    interrupted_c_account
}
@test "pool_interrupt: Ctrl-C in the middle: only tasks that printed done are listed as finished" {
    TASKS=4
    interrupted c 2 5 group -n 2 -c 4 -t 2
    interrupted_c_account
}
@test "pool_interrupt: Ctrl-C near the end, the last tasks running" {
    TASKS=4
    interrupted c 2 7 group -n 2 -c 4 -t 2
    interrupted_c_account
}
@test "pool_interrupt: SIGINT to the parent alone: the same clean end" {
    TASKS=4
    interrupted c 2 5 parent -n 2 -c 4 -t 2
    interrupted_c_account
}
@test "pool_interrupt: SIGTERM to the parent alone: reaped, then dies of SIGTERM (143)" {
    TASKS=4
    interrupted c 15 5 parent -n 2 -c 4 -t 2
    interrupted_c_account
}
@test "pool_interrupt -m naive: Ctrl-C kills the workers mid-task; still a clean end" {
    TASKS=4
    interrupted c 2 5 group -n 2 -c 4 -t 2 -m naive
    interrupted_c_account
}
@test "pool_interrupt.py: Ctrl-C after the first task's line: dies of SIGINT, nothing left" {
    need_python
    interrupted py 2 2 group -n 2 -c 4 -t 2
}
@test "pool_interrupt.py: Ctrl-C in the middle: only tasks that printed done are listed as finished" {
    need_python
    interrupted py 2 5 group -n 2 -c 4 -t 2
}
@test "pool_interrupt.py: SIGTERM to the parent alone: reaped, then dies of SIGTERM" {
    need_python
    interrupted py 15 7 parent -n 2 -c 4 -t 2
}
@test "pool_interrupt.py -m naive: each worker gets KeyboardInterrupt; still a clean end" {
    need_python
    interrupted py 2 5 group -n 2 -c 4 -t 2 -m naive
}

# Without a signal: every task finishes, in both modes.
pool_interrupt_checks() {
    run_impl "$1" 05-pool pool_interrupt -n 3 -c 7 "${@:2}"
    assert_success
    assert_count 7 '^worker +[0-9]+ +task [0-6]  start$'
    assert_line --regexp '^parent +[0-9]+ +no Ctrl-C: finished: 0 1 2 3 4 5 6$'
    assert_line --regexp '^parent +[0-9]+ +failed: none; join\(\) returned (0|None)$'
    assert_before '^worker ' '^parent +[0-9]+ +no Ctrl-C'
}
@test "pool_interrupt: no Ctrl-C: every task finishes" { pool_interrupt_checks c; pool_interrupt_checks c -m naive; }
@test "pool_interrupt.py: no Ctrl-C: every task finishes" { pool_interrupt_checks py; }

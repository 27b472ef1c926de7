#!/usr/bin/env bats
# Chapter 11: costs. The figures themselves change from run to run and from
# machine to machine: nothing here checks them. What is checked: every
# program runs (at a tiny size), prints every row it promises, in its
# documented shape, with positive finite figures; the fast builds print only
# their own figures; tools/costs.py prints the whole table, its TSV form and
# every promise of docs/costs.md; bad usage is refused.

load test_helper

# Tiny: every count scaled down to a handful of operations.
TINY=0.001

# assert_figure ROW IMPL UNIT: exactly one line "ROW IMPL VALUE UNIT what"
# with VALUE a positive number.
# (Positive: a digit other than 0 in it. No awk: a fork a figure adds up.)
assert_figure() {
    local row=$1 impl=$2 unit=$3 re
    re="^$row +$impl +([0-9]+\.[0-9]{4}) $unit +[^ ].*$"
    assert_count 1 "$re"
    [[ ${lines[WB_MATCH[0]]} =~ $re && ${BASH_REMATCH[1]} == *[1-9]* ]] ||
        fail_run "$row $impl: ${BASH_REMATCH[1]-} is not a positive figure"
}

# figures IMPL ROW:UNIT...: for C, the floor and C lines of each row; for
# Python, its one line. A row may say which implementations it has:
# ROW:UNIT:floor (floor only), ROW:UNIT:C (C only).
figures() {
    local impl=$1 spec row unit only
    shift
    for spec in "$@"; do
        IFS=: read -r row unit only <<<"$spec"
        if [ "$impl" = py ]; then
            assert_figure "$row" Python "$unit"
        else
            [ "$only" = C ] || assert_figure "$row" floor "$unit"
            [ "$only" = floor ] || assert_figure "$row" C "$unit"
        fi
    done
}

can_pin() {
    [ -r /proc/self/status ] && grep -q '^Cpus_allowed_list:' /proc/self/status
}

# Two CPUs that this test may use. Under `taskset -c 0` (make stress pins the
# suite so) there is one: the table's "on two CPUs" row is then n/a, as it
# should be. nproc counts the CPUs the affinity mask allows.
can_apart() {
    can_pin && [ "$(nproc)" -ge 2 ]
}

# ---- cost_spawn --------------------------------------------------------------
SPAWN_ROWS=(fork:us fork_16m:us fork_256m:us spawn:us spawn_256m:us command:us)

cost_spawn_checks() {
    run_impl "$1" 11-costs cost_spawn -s $TINY
    assert_success
    figures "$1" "${SPAWN_ROWS[@]}"
    assert_count $([ "$1" = py ] && echo 6 || echo 12) '.'
    # Every row fits 100 columns (the reader-goes table runs the fork row only).
    printf '%s\n' "${lines[@]}" | awk 'length > 100 { exit 1 }' || fail_run "a line over 100 columns"
}

@test "cost_spawn: every row, positive figures" { cost_spawn_checks c; }
@test "cost_spawn.py: every row, positive figures" { cost_spawn_checks py; }

# ---- cost_start --------------------------------------------------------------
# spawn has a floor (posix_spawn of the program alone), the fork server none.
cost_start_checks() {
    run_impl "$1" 11-costs cost_start -s $TINY
    assert_success
    figures "$1" start_spawn:us start_forkserver:us:C
    assert_count $([ "$1" = py ] && echo 2 || echo 3) '.'
    run_impl "$1" 11-costs cost_start -s $TINY -r start_forkserver
    assert_success
    figures "$1" start_forkserver:us:C
    assert_count 1 '.'
}

@test "cost_start: every row, positive figures; one row" { cost_start_checks c; }
@test "cost_start.py: every row, positive figures; one row" { cost_start_checks py; }

# ---- cost_shm ----------------------------------------------------------------
# mib_shm has no floor (a copy and two semaphores are all it is).
cost_shm_checks() {
    run_impl "$1" 11-costs cost_shm -s $TINY
    assert_success
    figures "$1" mib_queue:us mib_shm:us:C value_inc:ns
    assert_count $([ "$1" = py ] && echo 3 || echo 5) '.'
    if can_pin; then
        run_impl "$1" 11-costs cost_shm -s $TINY -r mib_shm -a
        assert_success
        figures "$1" mib_shm:us:C
        assert_count 1 '.'
    fi
}

@test "cost_shm: every row, positive figures; one row, apart" { cost_shm_checks c; }
@test "cost_shm.py: every row, positive figures; one row, apart" { cost_shm_checks py; }

# ---- cost_ipc ----------------------------------------------------------------
cost_ipc_checks() {
    run_impl "$1" 11-costs cost_ipc -s $TINY
    assert_success
    figures "$1" pipe_rt:us sock_rt:us pipe_bulk:MiB/s
    # One row alone, on one CPU, then apart.
    run_impl "$1" 11-costs cost_ipc -s $TINY -r sock_rt
    assert_success
    figures "$1" sock_rt:us
    refute_line --regexp '^pipe_'
    if can_pin; then
        run_impl "$1" 11-costs cost_ipc -s $TINY -r pipe_rt -p
        assert_success
        figures "$1" pipe_rt:us
        run_impl "$1" 11-costs cost_ipc -s $TINY -r pipe_rt -a
        assert_success
        figures "$1" pipe_rt:us
    fi
}

@test "cost_ipc: every row, one row, one CPU, two CPUs" { cost_ipc_checks c; }
@test "cost_ipc.py: every row, one row, one CPU, two CPUs" { cost_ipc_checks py; }

# ---- cost_pipeline -----------------------------------------------------------
# No floor: three processes against one. A stage (-R) runs only between
# pipes: reading /dev/null, it is refused.
cost_pipeline_checks() {
    run_impl "$1" 11-costs cost_pipeline -s $TINY
    assert_success
    figures "$1" pipeline_3p:MiB/s:C pipeline_1p:MiB/s:C
    assert_count 2 '.'
    if can_pin; then
        run_impl "$1" 11-costs cost_pipeline -s $TINY -r pipeline_3p -a
        assert_success
        figures "$1" pipeline_3p:MiB/s:C
        assert_count 1 '.'
    fi
    run_impl "$1" 11-costs cost_pipeline -s $TINY -R filter </dev/null
    assert_usage_error "$1"
}

@test "cost_pipeline: every row, positive figures; one row, apart; a stage alone refused" { cost_pipeline_checks c; }
@test "cost_pipeline.py: every row, positive figures; one row, apart; a stage alone refused" { cost_pipeline_checks py; }

# ---- cost_pool ---------------------------------------------------------------
cost_pool_checks() {
    run_impl "$1" 11-costs cost_pool -s $TINY
    assert_success
    figures "$1" apply_rt:us map_1:k/s:C map_chunks:k/s:C imap_1:k/s:C imap_first:us:C
    # One imap gives both of its rows; either alone is measured the same way.
    run_impl "$1" 11-costs cost_pool -s $TINY -r imap_first
    assert_success
    figures "$1" imap_first:us:C
    assert_count 1 '.'
}

@test "cost_pool: every row, positive figures" { cost_pool_checks c; }

# The fast builds (chapter 11's fast/): the same rows, their own figures
# only: the floor is the same system calls either way, measured once.
@test "cost_pool_fast, cost_queue_fast: every row, fast figures only" {
    run_c 11-costs cost_pool_fast -s $TINY
    assert_success
    assert_figure apply_rt fast us
    assert_figure map_1 fast k/s
    assert_figure map_chunks fast k/s
    assert_figure imap_1 fast k/s
    assert_figure imap_first fast us
    assert_count 5 '.'
    run_c 11-costs cost_queue_fast -s $TINY
    assert_success
    assert_figure queue_1x1 fast k/s
    assert_figure queue_2x2 fast k/s
    assert_count 2 '.'
}
@test "cost_pool.py: every row, positive figures" { cost_pool_checks py; }

# ---- cost_sync ---------------------------------------------------------------
cost_sync_checks() {
    run_impl "$1" 11-costs cost_sync -s $TINY
    assert_success
    figures "$1" lock:ns lock_2:ns sem:ns sem_2:ns event_rt:us
    if can_pin; then
        run_impl "$1" 11-costs cost_sync -s $TINY -r event_rt -p
        assert_success
        figures "$1" event_rt:us
    fi
}

@test "cost_sync: every row, positive figures" { cost_sync_checks c; }
@test "cost_sync.py: every row, positive figures" { cost_sync_checks py; }

# ---- cost_queue --------------------------------------------------------------
cost_queue_checks() {
    run_impl "$1" 11-costs cost_queue -s $TINY
    assert_success
    figures "$1" queue_1x1:k/s queue_2x2:k/s
}

@test "cost_queue: every row, positive figures" { cost_queue_checks c; }
@test "cost_queue.py: every row, positive figures" { cost_queue_checks py; }

# ---- cost_manager ------------------------------------------------------------
cost_manager_checks() {
    run_impl "$1" 11-costs cost_manager -s $TINY
    assert_success
    figures "$1" dict_set:us
    if can_pin; then
        run_impl "$1" 11-costs cost_manager -s $TINY -p
        assert_success
        figures "$1" dict_set:us
    fi
}

@test "cost_manager: the row, positive figures, also on one CPU" { cost_manager_checks c; }
@test "cost_manager.py: the row, positive figures, also on one CPU" { cost_manager_checks py; }

# ---- interrupted: nothing left behind ---------------------------------------
# SIGTERM once a measurement has begun: the program kills and reaps its
# children before it dies, so when it is gone none of them is left. Its
# children are forked, not executed, so they carry its command line: a
# scale made of this shell's pid makes that line unique to this run of
# this test, and two processes with it mean a child is running.
unique_scale() {
    echo "90.$$"
}
assert_no_process_left() {
    local left
    left=$(pgrep -f -- "$1" || true)
    [ -z "$left" ] || { pkill -KILL -f -- "$1"; fail_run "processes left behind: $left"; }
}

# term_while_measuring PATTERN CMD...: start CMD, wait until two processes
# match PATTERN, send CMD SIGTERM and wait for it; status is its status.
term_while_measuring() {
    local pattern=$1 pid deadline
    shift
    "$@" </dev/null >/dev/null 2>&1 3>&- &
    pid=$!
    deadline=$((SECONDS + WB_TIMEOUT))
    until [ "$(pgrep -c -f -- "$pattern")" -ge 2 ]; do
        if ! kill -0 "$pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
            kill -KILL "$pid" 2>/dev/null
            wait "$pid"
            fail "no measurement was seen to begin: $*"
            return
        fi
        sleep 0.01
    done
    kill -TERM "$pid"
    status=0
    wait "$pid" || status=$?
}

interrupted_checks() {
    local impl=$1 prog=$2 row=$3 scale pattern
    scale=$(unique_scale)
    pattern="$prog(\.py)? -r $row -s $scale"
    [ "$impl" = c ] || need_python
    program_command "$impl" 11-costs "$prog"
    term_while_measuring "$pattern" "${WB_CMD[@]}" -r "$row" -s "$scale"
    [ "$status" -eq 143 ] || fail_run "expected death by SIGTERM (143), status $status"
    assert_no_process_left "$pattern"
}

@test "cost_sync: SIGTERM while two processes ping-pong leaves none behind" { interrupted_checks c cost_sync event_rt; }
@test "cost_sync.py: SIGTERM while two processes ping-pong leaves none behind" { interrupted_checks py cost_sync event_rt; }
@test "cost_queue: SIGTERM while four processes pass messages leaves none behind" { interrupted_checks c cost_queue queue_2x2; }
@test "cost_queue.py: SIGTERM while four processes pass messages leaves none behind" { interrupted_checks py cost_queue queue_2x2; }
# The fork server and its children are forked: they carry the command line.
@test "cost_start: SIGTERM while the fork server forks leaves none behind" { interrupted_checks c cost_start start_forkserver; }
@test "cost_shm: SIGTERM while 1 MiB goes through shared memory leaves none behind" { interrupted_checks c cost_shm mib_shm; }
@test "cost_shm.py: SIGTERM while 1 MiB goes through shared memory leaves none behind" { interrupted_checks py cost_shm mib_shm; }

@test "tools/costs.py: SIGTERM stops the program measuring, and its children" {
    local scale pattern
    scale=$(unique_scale)
    pattern="cost_sync -r event_rt -s $scale"
    term_while_measuring "$pattern" "$WB_PYTHON" -S "$WB_ROOT/tools/costs.py" -b "$WB_BIN_ROOT/chapters/11-costs" \
        -o event_rt -s "$scale" -c
    [ "$status" -eq 143 ] || fail_run "expected death by SIGTERM (143), status $status"
    assert_no_process_left "$pattern"
}

# ---- tools/costs.py: the table ----------------------------------------------
# Every row the table promises, by its label.
TABLE_ROWS=(
    'Process start \+ join \(fork\)' '  \.\.\. parent holds 16 MiB' '  \.\.\. parent holds 256 MiB'
    'Spawn: start \+ join' 'Forkserver: start \+ join'
    'posix_spawn \+ wait \(true\)' '  \.\.\. parent holds 256 MiB' 'run a trivial command \(true\)'
    'pipe round trip' '  \.\.\. both on one CPU' '  \.\.\. on two CPUs'
    'socketpair round trip' '  \.\.\. both on one CPU' 'pipe bulk, 64 KiB writes'
    'Pipeline, 3 processes, 2 pipes' '  \.\.\. one process, no pipe'
    'Queue, 1 producer 1 consumer' 'Queue, 2 producers 2 consumers'
    'Pool apply_async round trip' '  \.\.\. all on one CPU'
    'Pool map, 1 task per message' 'Pool map, default chunks'
    'Pool imap, 1 task per message' '  \.\.\. until its first result'
    'Lock acquire \+ release' '  \.\.\. 2 processes contend'
    'Semaphore acquire \+ release' '  \.\.\. 2 processes contend'
    'Event round trip' '  \.\.\. both on one CPU'
    'Manager dict operation' '  \.\.\. all on one CPU'
    '1 MiB to parent, Queue' '1 MiB to parent, shared memory' 'Value \+= 1 with get_lock\(\)'
)
# The rows with a fast column (chapter 11's fast Queue and Pool), by index.
FAST_ROWS=' 16 17 18 19 20 21 22 23 '
# A cell: a positive figure with its spread, or a word saying why not.
FIG='([0-9]+(\.[0-9]+)? ±[0-9]+%|-|n/a|no python3|not asked)'
RATIO='([0-9]+\.[0-9]{2}|-)'

# The tool runs wherever python3 does (make check too, with -c).
need_python_tool() {
    command -v "$WB_PYTHON" >/dev/null 2>&1 || skip "python3 is not installed: tools/costs.py needs it"
}
# The tool, on this run's binaries (a sanitizer build under make check).
run_costs() {
    run_limited "$WB_PYTHON" -S "$WB_ROOT/tools/costs.py" -b "$WB_BIN_ROOT/chapters/11-costs" "$@"
}
# The promises docs/costs.md lists, one per table row under its heading.
count_promises() {
    awk '/^## / { inside = ($0 == "## The promises") } inside && /^\| `[a-z0-9_]+` \|/ { n++ } END { print n + 0 }' \
        "$WB_ROOT/docs/costs.md"
}

@test "tools/costs.py: the whole table, every row with figures, every promise" {
    need_python_tool
    # Every row, C only: the twins' figures are each twin's own tests, and
    # the Python column's test is the next one.
    WB_TIMEOUT=120 run_costs -n 1 -s $TINY -c
    assert_success
    [ -z "$stderr" ] || fail_run "stderr: $stderr"
    assert_line --regexp '^costs: each figure is the median of 1 run'
    assert_line --regexp '^machine: .+, [0-9]+ CPUs'
    assert_line --regexp '^operation +unit +floor +C +C fast +Python +Py/C +Py/fast$'
    # The rows, in order, right after the header line; a figure in the fast
    # column exactly for the Queue and Pool rows.
    local header i line
    header=$(line_numbers '^operation ')
    for i in "${!TABLE_ROWS[@]}"; do
        line=${lines[$((header + 1 + i))]}
        [[ $line =~ ^${TABLE_ROWS[$i]}\ +([a-zA-Z/]+|-)\ +$FIG\ +$FIG\ +$FIG\ +$FIG\ +$RATIO\ +$RATIO$ ]] \
            || fail_run "row $i should be /${TABLE_ROWS[$i]}/ with six cells: $line"
        local plain=${line//±/+}        # LC_ALL=C counts bytes: ± is two
        [ "${#plain}" -le 100 ] || fail_run "row $i is wider than 100 columns"
        # BASH_REMATCH: 1 the unit, 2 4 6 8 the four cells, 10 11 the ratios.
        if [[ $FAST_ROWS == *" $i "* ]]; then
            [[ ${BASH_REMATCH[6]} =~ ±|^n/a$ ]] || fail_run "row $i should have a fast figure: $line"
        else
            # No fast version: "-", or "n/a" in a row no column could measure.
            [ "${BASH_REMATCH[6]}" = - ] || [ "${BASH_REMATCH[4]}${BASH_REMATCH[6]}" = n/an/a ] ||
                fail_run "row $i has no fast version: $line"
        fi
    done
    [[ ${lines[$((header + 1 + ${#TABLE_ROWS[@]}))]} == C:* ]] || fail_run "a row too many"
    # Every line fits a projector: 100 columns.
    printf '%s\n' "${lines[@]}" | sed 's/±/+/g' | awk 'length > 100 { print; bad = 1 } END { exit bad }' \
        || fail_run "lines wider than 100 columns"
    # A row is n/a only where it cannot be measured: apart, on one CPU.
    assert_count "$(can_apart && echo 0 || echo 1)" ' - +n/a +n/a +n/a +n/a +- +-$'
    refute_line --regexp 'failed|not built|nan|inf'
    # Every promise of docs/costs.md, each with its verdict.
    assert_count "$(count_promises)" '^promise: .+ +(met|MISSED|not measured)( \((Py/C|Py/fast|C/floor) [0-9.]+\))?$'
    [ "$(count_promises)" -ge 10 ] || fail_run "docs/costs.md lists only $(count_promises) promises"
    assert_line --regexp '^promise: fast Queue 1 -> 1: at least 10x .+(met|MISSED|not measured)'
    assert_line --regexp '^promise: Lock acquire \+ release: within 1\.5x .+ (met|MISSED) \(C/floor [0-9.]+\)$'
    assert_line --regexp '^python: +not asked for'
}

@test "tools/costs.py: with Python, the Python column and both ratios" {
    need_python
    WB_TIMEOUT=60 run_costs -n 1 -s $TINY -o queue -P "$WB_PYTHON"
    assert_success
    assert_line --regexp '^python: +3\.'
    assert_count 2 "^Queue, . producers? . consumers? +k/s( +$FIG){3} +[0-9.]+ ±[0-9]+% +[0-9]+\\.[0-9]{2} +[0-9]+\\.[0-9]{2}$"
    assert_count 3 '^promise: (fast|simple) Queue .+ (met|MISSED) \(Py/(C|fast) [0-9.]+\)$'
}

# The TSV lines come from the same loop over the rows as the table's (whose
# test above sees every row): the Queue rows show it here, with the fast
# column; the test below shows the pipe rows', with the Python column NA.
@test "tools/costs.py --tsv: a header and one line of 14 fields per row, C only" {
    need_python_tool
    WB_TIMEOUT=60 run_costs -n 1 -s $TINY --tsv -c -o queue
    assert_success
    [ "${lines[0]}" = "$(printf 'row\toperation\tunit\tfloor\tfloor_spread_pct\tc\tc_spread_pct\tfast\tfast_spread_pct\tpython\tpython_spread_pct\tc_over_floor\tpython_over_c\tpython_over_fast')" ] \
        || fail_run "the TSV header"
    # Every cell a number or NA; a C and a fast figure, no Python one.
    printf '%s\n' "${lines[@]:1}" | awk -F '\t' '
        NF != 14 { print "fields: " $0; bad = 1; next }
        { for (i = 4; i <= 14; i++) if ($i != "NA" && !($i ~ /^[0-9]+(\.[0-9]+)?(e[-+][0-9]+)?$/)) { print "cell " i ": " $0; bad = 1 } }
        ($6 == "NA" || $8 == "NA") { print "no C or no fast: " $0; bad = 1 }
        ($10 != "NA") { print "Python with -c: " $0; bad = 1 }
        END { exit bad }' || fail_run "bad TSV lines"
    assert_count 1 '^queue_1x1	Queue, 1 producer 1 consumer	k/s	'
    assert_count 1 '^queue_2x2	Queue, 2 producers 2 consumers	k/s	'
    assert_count 3 '.'
}

@test "tools/costs.py: without Python, the Python column says so" {
    need_python_tool
    WB_TIMEOUT=60 run_costs -n 1 -s $TINY -o pipe_rt -P /nonexistent/python3
    assert_success
    assert_line --regexp '^python: +not found'
    # Three pipe_rt rows; the one on two CPUs is n/a where one CPU may be used.
    local measured
    measured=$(can_apart && echo 3 || echo 2)
    assert_count "$measured" ' - +no python3 +- +-$'
    WB_TIMEOUT=60 run_costs -n 1 -s $TINY -o pipe_rt -t -P /nonexistent/python3
    assert_success
    assert_count "$measured" '	NA	NA	NA	NA	[0-9.]+	NA	NA$'
}

@test "tools/costs.py: -o picks rows by the start of their name" {
    need_python_tool
    WB_TIMEOUT=60 run_costs -n 1 -s $TINY -o sock -c
    assert_success
    assert_count 1 '^socketpair round trip '
    assert_count 1 '^  \.\.\. both on one CPU '
    refute_line --regexp '^pipe '
    refute_line --regexp '^promise: '
}

@test "tools/costs.py | head: ends by SIGPIPE, nothing left running" {
    need_python_tool
    local scale
    scale=$(unique_scale | sed 's/^90/0/')
    # A reader that has gone before the first line: the read end is closed
    # before the tool starts, so its first write meets a closed pipe on
    # every run (-13: death by SIGPIPE, as a shell's 141).
    run "$WB_PYTHON" -S -c 'import os, subprocess, sys
r, w = os.pipe(); os.close(r)
print(subprocess.run(sys.argv[1:], stdout=w).returncode)' \
        "$WB_PYTHON" -S "$WB_ROOT/tools/costs.py" -b "$WB_BIN_ROOT/chapters/11-costs" -n 1 -s "$scale" -o lock -c
    assert_success
    [ "$output" = -13 ] || fail_run "expected death by SIGPIPE (-13), got: $output"
    assert_no_process_left "cost_sync -r lock -s $scale"
}

@test "tools/costs.py: bad usage gets one line and status 2" {
    need_python_tool
    local args
    for args in "-Z" "extra" "-n 52" "-s 1e999" "-o no_such_row" "-P ''"; do
        eval "run_costs $args"
        assert_usage_error c
    done
    run_costs -h
    assert_success
    assert_line --regexp '^usage: costs.py '
}

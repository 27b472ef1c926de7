#!/usr/bin/env bats
# shellcheck disable=SC2016  # each_task's templates expand in each_task
# Chapter 05: pool. What a Pool guarantees: every task runs once, at most n
# at once, on workers started up front; each result goes back to the task
# that made it; a failing task or a dying worker fails that task only.

load test_helper

START='^worker +[0-9]+ +task +[0-9]+ +start '
END='^worker +[0-9]+ +task +[0-9]+ +end '

# sorted RE REPLACEMENT: values, sorted by number as sort -n does (by the
# leading number, then byte by byte), one space between them: a list to
# compare whole (each once).
sorted() {
    [[ $- != *T* ]] || { local -; set +T; sorted "$@"; return; }
    local i j v key
    values "$1" "$2" || return
    # Insertion sort: a few dozen values.
    for ((i = 1; i < ${#WB_VALUES[@]}; i++)); do
        v=${WB_VALUES[i]} key=${v%%[!0-9]*}
        for ((j = i - 1; j >= 0; j--)); do
            local k=${WB_VALUES[j]%%[!0-9]*}
            if ((10#${k:-0} > 10#${key:-0})) || { ((10#${k:-0} == 10#${key:-0})) && [[ ${WB_VALUES[j]} > $v ]]; }; then
                WB_VALUES[j + 1]=${WB_VALUES[j]}
            else
                break
            fi
        done
        WB_VALUES[j + 1]=$v
    done
    echo "${WB_VALUES[*]}"
}

# each_task N TEMPLATE: TEMPLATE for each task i from 0 to N - 1, with $i
# and $((...)) expanded, one space between them (each_task 3
# '$i:$((i * i))' is "0:0 1:1 2:4").
each_task() {
    [[ $- != *T* ]] || { local -; set +T; each_task "$@"; return; }
    local i v
    WB_EACH=()
    for ((i = 0; i < $1; i++)); do
        eval "v=\"$2\""
        WB_EACH+=("$v")
    done
    echo "${WB_EACH[*]}"
}

# assert_tasks N TEMPLATE RE REPLACEMENT: sorted RE REPLACEMENT is exactly
# each_task N TEMPLATE: one value for each task, once, and no other. (No
# $(...): each would be a fork.)
assert_tasks() {
    [[ $- != *T* ]] || { local -; set +T; assert_tasks "$@"; return; }
    local want got
    each_task "$1" "$2" >/dev/null
    want=${WB_EACH[*]}
    sorted "$3" "$4" >/dev/null || return
    got=${WB_VALUES[*]}
    [ "$got" = "$want" ] || fail_run "for each task, /$3/ as '$4': expected '$want', got '$got'"
}

# ---- pool_demo -------------------------------------------------------------
# pool_demo_checks IMPL WORKERS TASKS [PACE]
pool_demo_checks() {
    local impl=$1 workers=$2 tasks=$3
    WORKBOOK_PACE=${4:-0} run_impl "$impl" 05-pool pool_demo -n "$workers" -c "$tasks"
    assert_success
    # The workers are started up front, before any task...
    local started
    started=$(capture "^parent +[0-9]+ +Pool\($workers\) started its workers up front:((  *[0-9]+){$workers})$")
    assert_before "^parent +[0-9]+ +Pool\($workers\) started" "$START"
    # ...and reused: every task runs on one of them.
    local pid
    values '^worker ([0-9]+) ' '\1'
    for pid in "${WB_VALUES[@]}"; do
        [[ " $started " == *" $pid "* ]] || fail_run "task ran on $pid, not a worker started up front ($started)"
    done
    # Each task starts once and ends once with its own result; never more
    # than WORKERS at once.
    assert_count "$tasks" "$START"
    assert_count "$tasks" "$END"
    assert_tasks "$tasks" '$i' '^worker +[0-9]+ +task +([0-9]+)  start .*$' '\1'
    assert_tasks "$tasks" '$i:$((i * i))' '^worker +[0-9]+ +task +([0-9]+)  end .* -> ([0-9]+)$' '\1:\2'
    # The parent gets each task's own result back, as a value.
    assert_tasks "$tasks" '$i:$((i * i)):$((i * i))' \
        '^parent +[0-9]+ +task +([0-9]+)  result +([0-9]+) \(expected ([0-9]+)\)$' '\1:\2:\3'
    assert_max_overlap "$workers" "$START" "$END"
    # The parent's account of who ran what names every task exactly once.
    assert_count "$workers" "^parent +[0-9]+ +worker [0-9]+ ran tasks:"
    local ran
    values '^parent .* ran tasks:(.*)$' '\1'
    # shellcheck disable=SC2086  # split into words on purpose
    numbers ${WB_VALUES[*]} >/dev/null
    ran=${WB_NUMBERS[*]}
    each_task "$tasks" '$i' >/dev/null
    [ "$ran" = "${WB_EACH[*]}" ] || fail_run "tasks run, by worker: $ran"
    refute_line --regexp 'WRONG|FAILED|object at 0x'
    assert_line --regexp "^parent +[0-9]+ +self-check: $tasks tasks, each result back once and matching its task: OK$"
    assert_line --regexp "^parent +[0-9]+ +self-check: at most [0-9]+ ran at once \(limit $workers\): OK$"
}

@test "pool_demo: Pool(4), 10 tasks: each once, at most 4 at once, results match" { pool_demo_checks c 4 10; }
@test "pool_demo: Pool(1) runs its tasks one at a time" { pool_demo_checks c 1 5; }
@test "pool_demo.py: Pool(1) runs its tasks one at a time" { pool_demo_checks py 1 5; }
# With time passing the tasks really overlap, so the bound has to hold. The
# twin runs this case and Pool(1): a Pool(4) of instant tasks would check
# nothing more of it.
@test "pool_demo: Pool(3), 40 tasks, with time passing" { pool_demo_checks c 3 40 0.01; }
@test "pool_demo.py: Pool(3), 40 tasks, with time passing: each once, at most 3 at once, results match" { pool_demo_checks py 3 40 0.01; }

# ---- pool_errors -----------------------------------------------------------
pool_errors_checks() {
    local impl=$1
    run_impl "$impl" 05-pool pool_errors
    assert_success
    local i
    for i in 0 1 2 4 7; do
        assert_count 1 "^parent +[0-9]+ +task $i  result $((i * i)) \(expected $((i * i))\)$"
    done
    assert_count 9 "^worker +[0-9]+ +task [0-7]  start$"    # part 2 runs task 3 again
    local pid5 pid6
    pid5=$(capture "^worker +([0-9]+) +task 5  start$")
    pid6=$(capture "^worker +([0-9]+) +task 6  start$")
    if [ "$impl" = c ]; then
        # Each failure is THAT task's error, naming the worker that ran it.
        # (strerror's words are the C library's own: not checked.)
        assert_count 1 "^parent +[0-9]+ +task 3  FAILED: open /nonexistent/input-3: [^:]+$"
        assert_count 1 "^parent +[0-9]+ +task 5  FAILED: worker $pid5 was killed by SIGKILL while running this task$"
        assert_count 1 "^parent +[0-9]+ +task 6  FAILED: worker $pid6 exited with status 3 while running this task$"
        assert_line --regexp "^parent +[0-9]+ +8 tasks: 5 results, 3 failed, each reported for its own task$"
        assert_line --regexp "^parent +[0-9]+ +2 workers replaced; join\(\) returned 0$"
        # An error nobody fetched is counted by join().
        assert_line --regexp "^parent +[0-9]+ +join\(\) returned 1: 1 failed task whose error nobody fetched$"
        assert_line --regexp "^parent +[0-9]+ +long task  pool terminated while this task was running$"
        assert_line --regexp "^parent +[0-9]+ +next task  pool terminated before this task started$"
    else
        # Python re-raises the task's exception, but loses the tasks whose
        # workers died, and an error nobody fetched.
        assert_count 1 "^parent +[0-9]+ +task 3  FAILED: FileNotFoundError: .*/nonexistent/input-3"
        assert_count 1 "^parent +[0-9]+ +task 5  LOST: "
        assert_count 1 "^parent +[0-9]+ +task 6  LOST: "
        assert_line --regexp "^parent +[0-9]+ +join\(\) returned None: "
        assert_line --regexp "^parent +[0-9]+ +long task  no result: "
        assert_line --regexp "^parent +[0-9]+ +next task  no result: "
    fi
    assert_before "^parent +[0-9]+ +task 7  result" "^--- 2\."
    assert_before "^--- 2\." "^--- 3\."
    assert_line --regexp "^parent +[0-9]+ +self-check: .*: OK$"
}

@test "pool_errors: a failed task and dead workers are reported for their own task; the pool goes on" { pool_errors_checks c; }
@test "pool_errors.py: Python re-raises a task's error but loses tasks whose worker died" { pool_errors_checks py; }

# ---- pool_apply ------------------------------------------------------------
pool_apply_checks() {
    local impl=$1 tasks=4 steps
    run_impl "$impl" 05-pool pool_apply -n 3 -c $tasks
    assert_success
    # apply blocks: each task starts, ends and its value is back in the
    # parent before the parent gives the next one.
    steps=$(print_lines | sed -nE \
        -e 's/^worker +[0-9]+ +apply task ([0-9]+)  start$/start:\1/p' \
        -e 's/^worker +[0-9]+ +apply task ([0-9]+)  end +-> ([0-9]+)$/end:\1:\2/p' \
        -e 's/^parent +[0-9]+ +apply\(task ([0-9]+)\) returned ([0-9]+) after .*/returned:\1:\2/p' |
        paste -sd ' ' -)
    assert_equal "$steps" "$(each_task $tasks 'start:$i end:$i:$((10 * i)) returned:$i:$((10 * i))')"
    assert_tasks $tasks '$i' '^worker +[0-9]+ +async task ([0-9]+)  start$' '\1'
    # Each get() returns its own task's value.
    assert_tasks $tasks '$i:$((10 * i))' '^parent +[0-9]+ +get\(\) of task ([0-9]+) -> ([0-9]+)$' '\1:\2'
    # apply's tasks never overlap: each ends before the next starts.
    assert_max_overlap 1 '^worker +[0-9]+ +apply task [0-9]+  start$' '^worker +[0-9]+ +apply task [0-9]+  end '
    assert_max_overlap 3 '^worker +[0-9]+ +async task [0-9]+  start$' '^worker +[0-9]+ +async task [0-9]+  end '
    # Part 3: nothing can finish the slow task before the go.
    assert_line --regexp "^parent +[0-9]+ +ready\(\) -> false$"
    assert_line --regexp "^parent +[0-9]+ +get\(timeout=0\.00 s\) -> timed out: the task still runs$"
    assert_before "^parent +[0-9]+ +go!$" "^worker +[0-9]+ +slow task  end +-> 42$"
    assert_line --regexp "^parent +[0-9]+ +get\(\) -> 42; ready\(\) -> true$"
    assert_line --regexp "^parent +[0-9]+ +self-check: .*: OK$"
}

@test "pool_apply: apply blocks (its tasks never overlap); apply_async, get(timeout), ready" { pool_apply_checks c; }
@test "pool_apply.py: apply blocks (its tasks never overlap); apply_async, get(timeout), ready" { pool_apply_checks py; }

# ---- pool_map --------------------------------------------------------------
# The slice lines of one run, without the pids.
slice_rows() {
    printf '%s\n' "${lines[@]}" | sed -n 's/^parent *[0-9]* *\(slices .*\)/\1/p'
}

pool_map_checks() {
    local impl=$1
    # pi(10000) = 1229: an answer known independently of both programs.
    run_impl "$impl" 05-pool pool_map -n 3 -s 10000 -c 13
    assert_success
    assert_line --regexp "^parent +[0-9]+ +counting the primes below 10000 in 13 slices, serially and with Pool\(3\)\.map$"
    assert_line --regexp "^parent +[0-9]+ +Pool\(3\)\.map, chunksize 2: +[0-9.]+ s +\(speed-up [0-9.]+x with 3 workers\)$"
    assert_line --regexp "^parent +[0-9]+ +total: 1229 primes below 10000$"
    assert_line --regexp "^parent +[0-9]+ +self-check: Pool\.map's 13 results equal the serial ones, in order: OK$"
    assert_count 2 "^parent +[0-9]+ +slices "
    local three
    three=$(slice_rows)
    # One worker, one item per chunk: the same results, in the same order.
    run_impl "$impl" 05-pool pool_map -n 1 -s 10000 -c 13 -k 1
    assert_success
    assert_line --regexp "^parent +[0-9]+ +Pool\(1\)\.map, chunksize 1: .*with 1 worker\)$"
    [ "$(slice_rows)" = "$three" ] || fail_run "Pool(1) and Pool(3) gave different results"
    run_impl "$impl" 05-pool pool_map -n 2 -s 10000 -c 1
    assert_success
    assert_line --regexp "^parent +[0-9]+ +slices +0 to +0: 1229$"
    assert_line --regexp "^parent +[0-9]+ +self-check: .*: OK$"
}

@test "pool_map: map returns the serial results, in order" { pool_map_checks c; }
@test "pool_map.py: map returns the serial results, in order" { pool_map_checks py; }

# ---- pool_files ------------------------------------------------------------
# A small tree: an empty file, text, a file larger than one read, a nested
# folder, a name with spaces, and a symbolic link that must not be followed.
make_tree() {
    local top=$1
    mkdir -p "$top/sub/deeper"
    : > "$top/empty"
    printf 'hello, pool\n' > "$top/hello.txt"
    awk 'BEGIN { for (i = 0; i < 30000; i++) printf "%d line of data %d\n", i, i * 7 }' > "$top/sub/big.txt"
    printf 'x' > "$top/sub/deeper/one byte"
    printf 'abc' > "$top/sub/deeper/abc"
    ln -s ../hello.txt "$top/sub/link-to-hello"
}

pool_files_checks() {
    local impl=$1
    command -v cksum >/dev/null || skip "no cksum command to compare with"
    local top="$BATS_TEST_TMPDIR/tree"
    make_tree "$top"
    run_impl "$impl" 05-pool pool_files -d "$top" -n 3
    assert_success
    # The system's cksum is the independent check: the same lines.
    local want got
    want=$(cd / && find "$top" -type f | LC_ALL=C sort | while IFS= read -r f; do cksum "$f"; done)
    got=$(printf '%s\n' "${lines[@]}" | grep -v '^parent ')
    [ "$got" = "$want" ] || fail_run "digests differ from cksum's:
$want"
    assert_line --regexp "^parent +[0-9]+ +5 files, [0-9]+ bytes under $top$"
    assert_line --regexp "^parent +[0-9]+ +Pool\(3\) [0-9.]+ s, serial [0-9.]+ s \(speed-up [0-9.]+x\)$"
    assert_line --regexp "^parent +[0-9]+ +self-check: the pool's answers for 5 files equal the serial ones: OK$"
    refute_line --regexp "link-to-hello"
}

@test "pool_files: the same digests as the system's cksum, and as serial" { pool_files_checks c; }
@test "pool_files.py: the same digests as the system's cksum, and as serial" { pool_files_checks py; }

pool_files_unreadable() {
    local impl=$1
    [ "$(id -u)" -ne 0 ] || skip "root reads every file: no unreadable file to show"
    local top="$BATS_TEST_TMPDIR/tree"
    make_tree "$top"
    chmod 000 "$top/hello.txt"
    run_impl "$impl" 05-pool pool_files -d "$top" -n 2
    assert_failure 1
    assert_count 1 "^parent +[0-9]+ +FAILED: .*$top/hello.txt"
    assert_count 4 "^[0-9]+ [0-9]+ $top/"
    assert_line --regexp "^parent +[0-9]+ +1 file could not be read; "
    assert_line --regexp "^parent +[0-9]+ +self-check: .*: OK$"
}

@test "pool_files: an unreadable file is reported for that file; the rest are done" { pool_files_unreadable c; }
@test "pool_files.py: an unreadable file is reported for that file; the rest are done" { pool_files_unreadable py; }

pool_files_default() {
    # With no option it checksums the current folder. (Not the chapter's
    # own: a build running meanwhile would change files between the pool's
    # pass and the serial one.)
    make_tree "$BATS_TEST_TMPDIR/tree"
    cd "$BATS_TEST_TMPDIR/tree"
    run_impl "$1" 05-pool pool_files
    assert_success
    assert_line --regexp "^1219131554 3 \./sub/deeper/abc$"    # printf abc | cksum
    assert_line --regexp "^parent +[0-9]+ +5 files, [0-9]+ bytes under \.$"
    assert_line --regexp "^parent +[0-9]+ +self-check: .*: OK$"
}

@test "pool_files: by default, the current folder" { pool_files_default c; }
@test "pool_files.py: by default, the current folder" { pool_files_default py; }

# ---- pool_recycle ------------------------------------------------------------
# What maxtasksperchild and the initializer guarantee, whoever runs what:
# each task once; no worker over MAXTASKS tasks, counted 1, 2, 3 on each;
# each worker's initializer line before its first task; one initializer
# line per worker started (up front and in place of others), and every
# worker that ran a task reaped.
INIT='^worker +[0-9]+ +initializer\(256\): a fresh worker, its cache empty$'
RECYCLED='^worker +([0-9]+) +task +([0-9]+)  \(its task ([0-9]+)\)  cache now ([0-9]+) KiB$'

# pool_recycle_checks IMPL WORKERS TASKS MAXTASKS [PACE]
pool_recycle_checks() {
    local impl=$1 workers=$2 tasks=$3 max=$4
    WORKBOOK_PACE=${5:-0} run_impl "$impl" 05-pool pool_recycle -n "$workers" -c "$tasks" -r "$max"
    assert_success
    assert_before "^parent +[0-9]+ +Pool\($workers, maxtasksperchild=" "$INIT"
    assert_count "$tasks" "$RECYCLED"
    assert_tasks "$tasks" '$i' "$RECYCLED" '\2'
    # Per worker: an initializer line first, then its tasks numbered 1, 2,
    # ... (its own global), never past max, the cache one block a task.
    local bad
    bad=$(print_lines | awk -v max="$max" '
        /^worker +[0-9]+ +initializer\(/ { if (init[$2]++) print "two initializers: " $2; next }
        /^worker +[0-9]+ +task / {
            pid = $2; n = substr($7, 1, length($7) - 1) + 0; kib = $10
            if (!init[pid]) print "task before initializer: " $0
            if (n != ++ran[pid]) print "not its task " ran[pid] ": " $0
            if (max > 0 && n > max) print "over " max ": " $0
            if (kib != 256 * n) print "cache not one block a task: " $0
        }')
    [ -z "$bad" ] || fail_run "$bad"
    # One initializer line per worker started; as many up front as asked.
    local up more total
    up=$(capture "^parent +[0-9]+ +workers started: ([0-9]+) up front \+ [0-9]+ in place of others = [0-9]+$")
    more=$(capture "^parent +[0-9]+ +workers started: [0-9]+ up front \+ ([0-9]+) in place of others = [0-9]+$")
    total=$(capture "^parent +[0-9]+ +workers started: [0-9]+ up front \+ [0-9]+ in place of others = ([0-9]+)$")
    assert_equal "$up" "$workers"
    assert_equal "$total" "$((up + more))"
    assert_count "$total" "$INIT"
    assert_before "$INIT" "^parent +[0-9]+ +workers started:"
    if [ "$max" -eq 0 ]; then
        assert_equal "$more" 0
    else        # at least enough workers for the tasks, MAX each
        [ "$total" -ge $(((tasks + max - 1) / max)) ] || fail_run "too few workers for $tasks tasks"
    fi
    # The parent's account: each worker that ran tasks, reaped.
    values '^parent +[0-9]+ +worker [0-9]+ ran [0-9]+ tasks?:(.*); reaped$' '\1'
    # shellcheck disable=SC2086  # split into words on purpose
    numbers ${WB_VALUES[*]} >/dev/null
    each_task "$tasks" '$i' >/dev/null
    assert_equal "${WB_NUMBERS[*]}" "${WB_EACH[*]}"
    refute_line --regexp 'NOT REAPED|FAILED'
    assert_line --regexp "^parent +[0-9]+ +self-check: $tasks tasks once each; .*; every worker reaped: OK$"
}

@test "pool_recycle: maxtasksperchild=3: no worker runs more than 3 tasks; one initializer per worker started" { pool_recycle_checks c 2 10 3; }
@test "pool_recycle.py: maxtasksperchild=3: no worker runs more than 3 tasks; one initializer per worker started" { pool_recycle_checks py 2 10 3; }
@test "pool_recycle: maxtasksperchild=1: a new worker for every task" { pool_recycle_checks c 2 6 1; }
@test "pool_recycle.py: maxtasksperchild=1: a new worker for every task" { pool_recycle_checks py 2 6 1; }
@test "pool_recycle: no limit (-r 0): no replacement, the caches grow" { pool_recycle_checks c 2 10 0; }
@test "pool_recycle: Pool(3), 30 tasks, maxtasksperchild=2, with time passing" { pool_recycle_checks c 3 30 2 0.01; }

# ---- pool_callbacks ----------------------------------------------------------
# Where and when a callback runs: in the parent (its pid on every callback
# line, never a worker's), after its task's end line, before join returns;
# the error callback gets the failing task's message; map_async's callback
# the whole list, after every item. In C, only inside a pool call: none
# before the parent's "busy" line, task 0's inside get(task 0).
CALLBACK='^parent +[0-9]+ +(callback|error_callback|map callback) '

pool_callbacks_checks() {
    local impl=$1 workers=$2 parent i
    run_impl "$impl" 05-pool pool_callbacks -n "$workers"
    assert_success
    parent=$(capture "^parent +([0-9]+) +Pool\($workers\): 6 tasks with callbacks")
    assert_count 8 "$CALLBACK"                  # 7 callbacks, one of them slow
    assert_count 8 "^parent +$parent +(callback|error_callback|map callback) "
    for i in 0 1 2 4 5; do
        assert_count 1 "^parent +$parent +callback +task $i -> $((i * i))  \("
        assert_before "^worker +[0-9]+ +task $i  end +-> $((i * i))$" "^parent +[0-9]+ +callback +task $i -> "
    done
    assert_before "^parent +[0-9]+ +callback +task 1 -> 1  " "^parent +[0-9]+ +callback +task 1 is slow"
    assert_count 1 "^parent +$parent +error_callback  (ValueError: )?no input for task 3  \("
    assert_before "^worker +[0-9]+ +task 3  end +\(failed\)$" "^parent +[0-9]+ +error_callback "
    assert_count 1 "^parent +$parent +map callback +\[0, 1, 4, 9\]  \("
    assert_count 4 "^worker +[0-9]+ +map item [0-3]  end "
    assert_before "^worker +[0-9]+ +map item [0-3]  end " "^parent +[0-9]+ +map callback "
    assert_before "$CALLBACK" "^parent +[0-9]+ +join\(\) returned"
    if [ "$impl" = c ]; then
        # No thread: a callback runs only inside a pool call of the parent.
        assert_before "^parent +[0-9]+ +busy elsewhere" "$CALLBACK"
        assert_line --regexp "^parent +$parent +callback +task 0 -> 0  \(inside get\(task 0\)\)$"
        assert_count 7 "${CALLBACK}.*  \(inside (get\(task 0\)|join)\)$"
        assert_line --regexp "^parent +[0-9]+ +join\(\) returned 0: every callback has run, 7 in all$"
    else
        # The result handler, a thread of the parent.
        assert_count 7 "${CALLBACK}.*  \(Thread-[0-9]+ \(_handle_results\)\)$"
    fi
    assert_line --regexp "^parent +$parent +self-check: 7 callbacks, all in the parent $parent, before join\(\) returned: OK$"
}

@test "pool_callbacks: callbacks run in the parent, inside its pool calls, after their task, before join returns" { pool_callbacks_checks c 2; }
@test "pool_callbacks: Pool(1) and Pool(4): the same guarantees" { pool_callbacks_checks c 1; pool_callbacks_checks c 4; }
@test "pool_callbacks.py: callbacks run in the parent's result-handler thread, after their task, before join returns" { pool_callbacks_checks py 2; }

# ---- pool_imap -------------------------------------------------------------
# imap_results_ok MODE: walk the output: each result line comes after the
# "done" line of its task and, for imap, of every task before it.
imap_results_ok() {
    local bad
    bad=$(print_lines | awk -v ordered="$([ "$1" = imap ] && echo 1 || echo 0)" '
        /^worker +[0-9]+ +task +[0-9]+  done$/ { done[$4] = 1 }
        /^parent +[0-9]+ +imap(_unordered)? +task +[0-9]+ -> / {
            i = $5
            for (j = ordered ? 0 : i; j <= i; j++)
                if (!done[j]) { print "result of task " i " before task " j " was done"; exit }
        }')
    [ -z "$bad" ] || fail_run "$bad"
}

# pool_imap_checks IMPL MODE WORKERS TASKS SLOTS [PACE]
pool_imap_checks() {
    local impl=$1 mode=$2 workers=$3 tasks=$4 slots=$5 name=imap
    [ "$mode" = unordered ] && name=imap_unordered
    WORKBOOK_PACE=${6:-0} run_impl "$impl" 05-pool pool_imap -m "$mode" -n "$workers" -c "$tasks" -s "$slots"
    assert_success
    local result="^parent +[0-9]+ +$name +task +[0-9]+ -> "
    assert_count "$tasks" '^worker +[0-9]+ +task +[0-9]+  start '
    assert_count "$tasks" "$result"
    # Each task's own result, once.
    assert_tasks "$tasks" '$i:$((i * i))' "^parent +[0-9]+ +$name +task +([0-9]+) -> +([0-9]+)  at .*$" '\1:\2'
    if [ "$mode" = imap ]; then         # in task order
        assert_equal "$(print_lines | sed -nE "s/^parent +[0-9]+ +imap +task +([0-9]+) -> .*/\1/p" | paste -sd ' ' -)" \
                     "$(each_task "$tasks" '$i')"
    fi
    imap_results_ok "$mode"
    # The window: never more than SLOTS tasks started and not yet taken...
    assert_max_overlap "$slots" '^worker +[0-9]+ +task +[0-9]+  start ' "$result"
    # ...so the first result comes out before the last task has started.
    local first last
    first=$(line_numbers "$result" | head -n 1)
    last=$(line_numbers "^worker +[0-9]+ +task +$((tasks - 1))  start ")
    [ "$first" -lt "$last" ] || fail_run "the first result (line $first) came after the last task started (line $last)"
    assert_line --regexp "^parent +[0-9]+ +$name: $tasks results in (task|completion) order in [0-9.]+ s; "
    assert_line --regexp "^parent +[0-9]+ +self-check: every result once, matching its task.*: OK$"
}

@test "pool_imap: imap gives results in task order, each after its task and those before it are done" { pool_imap_checks c imap 2 10 3; }
@test "pool_imap: imap_unordered gives each result once, after its task is done" { pool_imap_checks c unordered 2 10 3; }
@test "pool_imap: a window of 1: one task at a time" { pool_imap_checks c imap 3 5 1; pool_imap_checks c unordered 3 5 1; }
@test "pool_imap: with time passing (task 0 slow), a window of 4" { pool_imap_checks c imap 2 12 4 0.05; pool_imap_checks c unordered 2 12 4 0.05; }
@test "pool_imap.py: imap in task order, imap_unordered once each, within the window" { pool_imap_checks py imap 2 10 3; pool_imap_checks py unordered 2 10 3; }
@test "pool_imap.py: with time passing (task 0 slow), a window of 4" { pool_imap_checks py imap 2 12 4 0.05; pool_imap_checks py unordered 2 12 4 0.05; }
@test "pool_imap: the default run does both, imap first" {
    run_c 05-pool pool_imap
    assert_success
    assert_before '^parent +[0-9]+ +imap +task' '^parent +[0-9]+ +imap_unordered +task'
    assert_line --regexp '^parent +[0-9]+ +self-check: every result once, matching its task, imap.s in task order: OK$'
}

# ---- pool_futures ------------------------------------------------------------
# pool_futures_checks IMPL WORKERS
pool_futures_checks() {
    local impl=$1 workers=$2 i
    run_impl "$impl" 05-pool pool_futures -n "$workers"
    assert_success
    assert_before '^--- 1\. ' '^--- 2\. '
    assert_before '^--- 2\. ' '^--- 3\. '
    # 1. as_completed: each future once, with its own result, after its task is done.
    assert_tasks 6 '$i:$((i * i))' '^parent +[0-9]+ +as_completed: task ([0-5]) -> ([0-9]+)$' '\1:\2'
    for i in 0 1 2 3 4 5; do
        assert_before "^worker +[0-9]+ +task $i  done$" "^parent +[0-9]+ +as_completed: task $i -> "
    done
    # 2. FIRST_COMPLETED returns the quick task alone: the others wait for the go.
    assert_line --regexp '^parent +[0-9]+ +wait\(FIRST_COMPLETED\) -> done: 10; not done: 11 12$'
    assert_before '^parent +[0-9]+ +wait\(FIRST_COMPLETED\)' '^parent +[0-9]+ +go! then wait\(ALL_COMPLETED\)$'
    assert_before '^parent +[0-9]+ +go! ' '^worker +[0-9]+ +task 1[12]  done$'
    assert_count 2 '^worker +[0-9]+ +task 1[12]  done$'
    assert_line --regexp '^parent +[0-9]+ +wait\(ALL_COMPLETED\) -> done: 10 11 12; not done: none$'
    # 3. Tasks done before the death keep their results; then every pending
    # future fails with BrokenProcessPool, and submit() is refused.
    assert_line --regexp '^parent +[0-9]+ +as_completed: task 20 -> 400$'
    assert_line --regexp '^parent +[0-9]+ +as_completed: task 21 -> 441$'
    assert_before '^parent +[0-9]+ +all submitted: the word to task 22$' '^parent +[0-9]+ +as_completed: task 2[2-9]  BrokenProcessPool: '
    assert_tasks $((workers + 1)) '$((i + 22))' '^parent +[0-9]+ +as_completed: task (2[2-9])  BrokenProcessPool: .*$' '\1'
    refute_line --regexp '^worker +[0-9]+ +task 2[2-9]  done$'
    assert_line --regexp '^parent +[0-9]+ +submit\(\) after that: refused: BrokenProcessPool$'
    assert_line --regexp '^parent +[0-9]+ +self-check: as_completed, FIRST_COMPLETED, BrokenProcessPool as expected: OK$'
}

@test "pool_futures: as_completed, wait(FIRST_COMPLETED), and one dead worker breaks the executor" { pool_futures_checks c 2; }
@test "pool_futures: with 3 workers, and with time passing" {
    pool_futures_checks c 3
    WORKBOOK_PACE=0.05 pool_futures_checks c 2
}
@test "pool_futures.py: ProcessPoolExecutor: as_completed, wait(FIRST_COMPLETED), BrokenProcessPool" { pool_futures_checks py 2; }

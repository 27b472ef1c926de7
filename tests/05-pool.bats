#!/usr/bin/env bats
# Chapter 05: pool. What a Pool guarantees: every task runs once, at most n
# at once, on workers started up front; each result goes back to the task
# that made it; a failing task or a dying worker fails that task only.

load test_helper

START='^worker +[0-9]+ +task +[0-9]+ +start '
END='^worker +[0-9]+ +task +[0-9]+ +end '

# sorted RE REPLACEMENT: each line that matches RE (anchored at both ends),
# rewritten as REPLACEMENT (sed's \1, \2 for RE's groups), sorted by number,
# one space between them: a list to compare whole (each once).
sorted() {
    print_lines | sed -nE "s/$1/$2/p" | sort -n | paste -sd ' ' -
}

# each_task N EXPR: awk's EXPR for each task i from 0 to N - 1, one space
# between them (each_task 3 'i ":" i * i' is "0:0 1:1 2:4").
each_task() {
    awk -v n="$1" "BEGIN { for (i = 0; i < n; i++) printf \"%s%s\", (i ? \" \" : \"\"), $2 }"
}

# ---- usage ------------------------------------------------------------------
# Besides what -h and the ranges tell: pool_map refuses more slices than
# numbers, and pool_files a folder that is not there or is a file.
@test "05-pool: every program and twin answers -h and refuses bad usage" {
    usage_table 05-pool 'pool_map -s 10 -c 11' 'pool_files -d /nonexistent/folder' 'pool_files -d /etc/passwd'
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
    for pid in $(print_lines | sed -n 's/^worker \([0-9]*\) .*/\1/p' | sort -u); do
        [[ " $started " == *" $pid "* ]] || fail_run "task ran on $pid, not a worker started up front ($started)"
    done
    # Each task starts once and ends once with its own result; never more
    # than WORKERS at once.
    assert_count "$tasks" "$START"
    assert_count "$tasks" "$END"
    assert_equal "$(sorted '^worker +[0-9]+ +task +([0-9]+)  start .*$' '\1')" "$(each_task "$tasks" i)"
    assert_equal "$(sorted '^worker +[0-9]+ +task +([0-9]+)  end .* -> ([0-9]+)$' '\1:\2')" "$(each_task "$tasks" 'i ":" i * i')"
    # The parent gets each task's own result back, as a value.
    assert_equal "$(sorted '^parent +[0-9]+ +task +([0-9]+)  result +([0-9]+) \(expected ([0-9]+)\)$' '\1:\2:\3')" \
                 "$(each_task "$tasks" 'i ":" i * i ":" i * i')"
    assert_max_overlap "$workers" "$START" "$END"
    # The parent's account of who ran what names every task exactly once.
    assert_count "$workers" "^parent +[0-9]+ +worker [0-9]+ ran tasks:"
    local ran
    ran=$(print_lines | sed -n 's/^parent .* ran tasks://p' | tr ' ' '\n' | grep -v '^$\|none' | sort -n | paste -sd ' ' -)
    [ "$ran" = "$(each_task "$tasks" i)" ] || fail_run "tasks run, by worker: $ran"
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
    assert_equal "$steps" "$(each_task $tasks '"start:" i " end:" i ":" 10 * i " returned:" i ":" 10 * i')"
    assert_equal "$(sorted '^worker +[0-9]+ +async task ([0-9]+)  start$' '\1')" "$(each_task $tasks i)"
    # Each get() returns its own task's value.
    assert_equal "$(sorted '^parent +[0-9]+ +get\(\) of task ([0-9]+) -> ([0-9]+)$' '\1:\2')" "$(each_task $tasks 'i ":" 10 * i')"
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

# ---- a reader that goes (./demo | head) -------------------------------------
# The lesson's sizes are not what this tests: pool_map a smaller limit,
# pool_files a small folder (by default it reads every file under ".").
@test "05-pool: every program and twin ends cleanly when its reader goes (| head -n 1, -n 3), and prints no line over 100 characters" {
    head_table 05-pool 'pool_map -s 2000' "pool_files -d $WB_ROOT/common"
}

#!/usr/bin/env bats
# Chapter 01: fork. What the OS guarantees about fork, wait and exit status.

load test_helper

# ---- fork_demo -----------------------------------------------------------
fork_demo_checks() {
    run_impl "$1" 01-fork fork_demo -n 3
    assert_success
    [[ ${lines[0]} =~ ^Process\ \(([0-9]+)\)\ start\.\.\.$ ]] || fail_run "the start line comes first"
    local parent=${BASH_REMATCH[1]}
    assert_count 3 "^I am child process \([0-9]+\) and my parent is $parent\.$"
    assert_count 3 "^I \($parent\) just created a child process \([0-9]+\)\.$"
    assert_count 7 '.'
    # Each child the parent reports is a child that reported itself.
    local pid
    for pid in $(printf '%s\n' "${lines[@]}" | sed -n 's/^I ([0-9]*) just created a child process (\([0-9]*\))\.$/\1/p'); do
        assert_count 1 "^I am child process \($pid\) and my parent is $parent\.$"
    done
}

@test "fork_demo: each side names the other's pid correctly" { fork_demo_checks c; }
@test "fork_demo.py: each side names the other's pid correctly" { fork_demo_checks py; }

# ---- fork_isolation --------------------------------------------------------
# fork_isolation_checks IMPL AGE [ARGS...]: the parent's age stays AGE, the
# child's copy becomes AGE + 1.
fork_isolation_checks() {
    local impl=$1 age=$2
    shift 2
    run_impl "$impl" 01-fork fork_isolation "$@"
    assert_success
    assert_count 4 '.'
    assert_count 1 "^child  \([0-9]+\): age = $((age + 1)) at "
    assert_count 3 "^parent \([0-9]+\): age = $age at "
    # The parent's last line waits for the child: guaranteed after it.
    assert_before "^child  .*age = $((age + 1))" "^parent .*age = $age .*after the child ended\$"
    assert_before '^parent .*before fork$' '^child '
}

@test "fork_isolation: the child's change is not seen by the parent; the same virtual address holds two values" {
    fork_isolation_checks c 40 -a 40
    # The default: 22 and 23, each line with the same address.
    fork_isolation_checks c 22
    local addresses
    [ "$(printf '%s\n' "${lines[@]}" | grep -c ' at 0x[0-9a-f]*,')" -eq 4 ] || fail_run "4 lines, each with an address"
    addresses=$(printf '%s\n' "${lines[@]}" | sed -n 's/.* at \(0x[0-9a-f]*\),.*/\1/p' | sort -u)
    [ "$(printf '%s\n' "$addresses" | wc -l)" -eq 1 ] || fail_run "expected one address, got: $addresses"
}
@test "fork_isolation.py: the child's change is not seen by the parent" { fork_isolation_checks py 40 -a 40; }

# ---- fork_buffering --------------------------------------------------------
# Through a pipe (bats reads output through one) and into a file, stdio is
# fully buffered: the broken mode prints its first line twice, every time.
fork_buffering_checks() {
    local impl=$1 mode out="$BATS_TEST_TMPDIR/out.txt" cmd
    run_impl "$impl" 01-fork fork_buffering -m broken
    assert_success
    assert_count 2 '^printed once, before fork \(pid [0-9]+\)$'
    for mode in flush write; do
        run_impl "$impl" 01-fork fork_buffering -m "$mode"
        assert_success
        assert_count 1 '^printed once, before fork \(pid [0-9]+\)$'
        assert_count 3 '.'
        assert_before '^printed once' '^child '
        assert_before '^child ' '^parent '
    done
    # The same into a file.
    if [ "$impl" = c ]; then
        cmd="$WB_WRAP $WB_BIN_ROOT/chapters/01-fork/fork_buffering"
    else
        cmd="$WB_PYTHON -S $WB_ROOT/chapters/01-fork/fork_buffering.py"
    fi
    run_limited sh -c "$cmd -m broken > '$out'"
    assert_success
    [ "$(grep -c '^printed once, before fork' "$out")" -eq 2 ] || fail_run "broken into a file: expected the line twice"
    run_limited sh -c "$cmd -m write > '$out'"
    assert_success
    [ "$(grep -c '^printed once, before fork' "$out")" -eq 1 ] || fail_run "write into a file: expected the line once"
}

@test "fork_buffering: a buffered line is duplicated by fork, through a pipe and into a file; flush or write fix it" { fork_buffering_checks c; }
@test "fork_buffering.py: a buffered line is duplicated by fork, through a pipe and into a file; flush or write fix it" { fork_buffering_checks py; }

@test "fork_buffering.py: PYTHONUNBUFFERED hides the duplication" {
    PYTHONUNBUFFERED=1 run_py 01-fork fork_buffering -m broken
    assert_success
    assert_count 1 '^printed once, before fork'
}

# ---- wait_status -----------------------------------------------------------
wait_status_checks() {
    run_impl "$1" 01-fork wait_status
    assert_success
    assert_count 6 '.'
    [[ ${lines[1]} =~ exitcode\ +0$ ]] || fail_run "case 1: exitcode 0"
    [[ ${lines[2]} =~ exitcode\ +3$ ]] || fail_run "case 2: exitcode 3"
    [[ ${lines[3]} =~ exitcode\ +1$ ]] || fail_run "case 3: exitcode 1"
    [[ ${lines[4]} =~ exitcode\ -15\ +\(SIGTERM\)$ ]] || fail_run "case 4: exitcode -15"
    [[ ${lines[5]} =~ exitcode\ +-9\ +\(SIGKILL\)$ ]] || fail_run "case 5: exitcode -9"
}

@test "wait_status: each ending decoded" {
    wait_status_checks c
    [[ ${lines[2]} =~ WIFEXITED\ +WEXITSTATUS\ +=\ +3 ]] || fail_run "exit 3 decoded"
    [[ ${lines[4]} =~ WIFSIGNALED\ +WTERMSIG\ +=\ 15 ]] || fail_run "SIGTERM decoded"
}
@test "wait_status.py: each ending's exitcode" { wait_status_checks py; }

# ---- zombie_orphan ---------------------------------------------------------
zombie_orphan_checks() {
    run_impl "$1" 01-fork zombie_orphan -t 0
    assert_success
    local child middle
    child=$(capture '^zombie: child ([0-9]+) has exited with status 7; not reaped yet$')
    assert_before "^zombie: kill\($child, 0\) succeeds" "^zombie: reaped child $child "
    if [ -d /proc/self ]; then
        assert_before "^zombie: its state in /proc/$child/stat is Z \(zombie\)$" "^zombie: reaped child $child "
    fi
    middle=$(capture '^orphan: middle ([0-9]+) exits, leaving its child [0-9]+ behind$')
    local orphan first now
    orphan=$(capture '^orphan: pid ([0-9]+), parent was [0-9]+, is now [0-9]+ ')
    first=$(capture '^orphan: pid [0-9]+, parent was ([0-9]+), is now [0-9]+ ')
    now=$(capture '^orphan: pid [0-9]+, parent was [0-9]+, is now ([0-9]+) ')
    [ "$first" = "$middle" ] || fail_run "the orphan's first parent is the middle process"
    [ "$now" != "$middle" ] || fail_run "the orphan's parent changed"
    [[ ${lines[-1]} =~ ^orphan:\ $orphan\ has\ ended ]] || fail_run "the program ends after the orphan"
}

@test "zombie_orphan: zombie until reaped; the orphan is re-parented" { zombie_orphan_checks c; }
@test "zombie_orphan.py: zombie until reaped; the orphan is re-parented" { zombie_orphan_checks py; }

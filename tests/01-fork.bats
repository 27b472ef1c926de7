#!/usr/bin/env bats
# Chapter 01: fork. What the OS guarantees about fork, wait and exit status.

load test_helper

# ---- fork_demo -----------------------------------------------------------
fork_demo_checks() {
    run_impl "$1" 01-fork fork_demo -n 3
    assert_success
    [[ ${lines[0]} =~ ^Process\ \(([0-9]+)\)\ start\.\.\.$ ]] || flunk "the start line comes first"
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

fork_demo_bad_usage() {
    assert_common_bad_usage "$1" 01-fork fork_demo
    bad_usage "$1" 01-fork fork_demo -n
    bad_usage "$1" 01-fork fork_demo -n abc
    bad_usage "$1" 01-fork fork_demo -n 0
    bad_usage "$1" 01-fork fork_demo -n -1
    bad_usage "$1" 01-fork fork_demo -n 99999999999999999999
}

@test "fork_demo: bad usage gets one line and status 2" { fork_demo_bad_usage c; }
@test "fork_demo.py: bad usage gets status 2" { fork_demo_bad_usage py; }

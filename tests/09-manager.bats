#!/usr/bin/env bats
# Chapter 09: manager. A server process owns the data; proxies send requests.

load test_helper

# ---- manager_demo ----------------------------------------------------------
manager_demo_checks() {
    local workers=${2:-10}
    run_impl "$1" 09-manager manager_demo -n "$workers"
    assert_success
    assert_count $((workers + 6)) '.'
    local main address
    main=$(capture '^main +\(([0-9]+)\): manager server [0-9]+ at /')
    address=$(capture '^main +\([0-9]+\): manager server [0-9]+ at (/.*)$')

    # Each worker's plain list holds its own pid only.
    assert_count "$workers" '^worker +[0-9]+ \(([0-9]+)\): l = \[0, 1, 2, 3, 4(, [0-9]+)+\], plain = \[[0-9]+\]$'
    local pids=() line
    for line in "${lines[@]}"; do
        if [[ $line =~ ^worker\ +[0-9]+\ \(([0-9]+)\):\ .*plain\ =\ \[([0-9]+)\]$ ]]; then
            [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] || flunk "a worker's plain list holds its own pid"
            pids+=("${BASH_REMATCH[1]}")
        fi
    done

    # The final state, exactly: l = 0..4, then each worker's pid once.
    assert_count 1 "^main +\($main\): d = \{1: '1', '2': 2, 0\.25: None\}$"
    local list
    list=$(capture "^main +\($main\): l = \[(.*)\]$")
    [ "$(printf '%s\n' "$list" | tr -d ' ' | tr ',' '\n' | head -n 5 | tr '\n' ' ')" = "0 1 2 3 4 " ] \
        || flunk "l starts with 0..4"
    [ "$(printf '%s\n' "$list" | tr -d ' ' | tr ',' '\n' | tail -n +6 | sort -n | tr '\n' ' ')" \
        = "$(printf '%s\n' "${pids[@]}" | sort -n | tr '\n' ' ')" ] \
        || flunk "l ends with the $workers workers' pids, each once"
    assert_count 1 "^main +\($main\): plain = \[\] \(each worker appended to its own copy\)$"
    assert_count 1 "^main +\($main\): manager stopped \(exitcode 0\)$"
    [[ ${lines[-1]} =~ ^main\ +\($main\):\ check:\ .*:\ OK$ ]] || flunk "the self-check passes, last"

    # Joined before they are read: every worker's line comes before d's.
    assert_before '^worker ' '^main +\([0-9]+\): d = '
    # The manager removed its socket and its private directory.
    [ ! -e "$address" ] || flunk "the socket $address is left behind"
    [ ! -e "$(dirname "$address")" ] || flunk "the directory of $address is left behind"
}

@test "manager_demo: l = 0..4 + the 10 workers' pids, d has 3 keys, plain is empty" { manager_demo_checks c; }
@test "manager_demo.py: l = 0..4 + the 10 workers' pids, d has 3 keys, plain is empty" { manager_demo_checks py; }
@test "manager_demo -n 32: the same with 32 workers" { manager_demo_checks c 32; }
@test "manager_demo.py -n 32: the same with 32 workers" { manager_demo_checks py 32; }

manager_demo_bad_usage() {
    assert_common_bad_usage "$1" 09-manager manager_demo
    bad_usage "$1" 09-manager manager_demo -n
    bad_usage "$1" 09-manager manager_demo -n ten
    bad_usage "$1" 09-manager manager_demo -n 0
    bad_usage "$1" 09-manager manager_demo -n -3
    bad_usage "$1" 09-manager manager_demo -n 33
    bad_usage "$1" 09-manager manager_demo -n 99999999999999999999
}

@test "manager_demo: bad usage" { manager_demo_bad_usage c; }
@test "manager_demo.py: bad usage" { manager_demo_bad_usage py; }

#!/usr/bin/env bats
# Chapter 09: manager. A server process owns the data; proxies send requests.

load test_helper

# manager_probe is a test of the wire protocol, not a lesson: its source is
# tests/probe/manager_probe.c. Built here, with the manager's sources by the
# chapters' own rules (tests/probe/Makefile), beside the build the suite
# runs against (build/probe for the programs beside their sources): make
# builds it once and finds it up to date on the next runs. With the
# sanitizers when the suite runs against the sanitizer build (make check),
# and for valgrind against that.
setup_file() {
    local flags=(CFLAGS='-O2 -g')
    case $WB_BIN_ROOT in
        */asan) flags=(CFLAGS='-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined'
                       LDFLAGS='-fsanitize=address,undefined') ;;
        */valgrind) flags=(CFLAGS='-O2 -gdwarf-4') ;;
    esac
    PROBE_ROOT=$WB_BIN_ROOT/probe
    [ "$WB_BIN_ROOT" != "$WB_ROOT" ] || PROBE_ROOT=$WB_ROOT/build/probe
    export PROBE_ROOT
    make -s -j4 -C "$WB_ROOT/tests/probe" BUILD_ROOT="$PROBE_ROOT" "${flags[@]}" >&2
}

# run_probe ARGS...: run_c for the probe.
run_probe() { WB_BIN_ROOT=$PROBE_ROOT run_c probe manager_probe "$@"; }

# ---- usage of the probe --------------------------------------------------------
# The chapter's programs and twins are make check's (tests/check/tables.bats
# and its bad-input part). The probe is not a program of the chapter, and
# make check does not run it: its -h line, its refusals and its -c range
# are tried here.
@test "manager_probe: answers -h and refuses bad usage" {
    WB_BIN_ROOT=$PROBE_ROOT USAGE_PROGRAMS=manager_probe usage_table probe \
        'manager_probe -c lots' 'manager_probe -c -1' 'manager_probe -c 100001'
}

# ---- manager_demo ----------------------------------------------------------
# manager_demo_checks IMPL WORKERS [ARGS...]: one run with ARGS, which ask
# for WORKERS workers, and its final state checked.
manager_demo_checks() {
    local impl=$1 workers=$2
    shift 2
    run_impl "$impl" 09-manager manager_demo "$@"
    assert_success
    # l's 5 + WORKERS items take a line for each 5.
    assert_count $((workers + 5 + (5 + workers + 4) / 5)) '.'
    local main address
    main=$(capture '^main +\(([0-9]+)\): manager server [0-9]+ at /')
    address=$(capture '^main +\([0-9]+\): manager server [0-9]+ at (/.*)$')

    # Each worker's plain list holds its own pid only, and l holds at
    # least 0..4 and the worker's own pid, at most all. (sed, not a bash
    # loop over the lines: see print_lines in test_helper.bash.)
    assert_count "$workers" '^worker +[0-9]+ \(([0-9]+)\): len\(l\) = [0-9]+, plain = \[[0-9]+\]$'
    local pids
    pids=$(print_lines | sed -nE 's/^worker +[0-9]+ \(([0-9]+)\): len\(l\) = ([0-9]+), plain = \[([0-9]+)\]$/\1 \3 \2/p')
    [ -z "$(awk '$1 != $2' <<<"$pids")" ] || fail_run "a worker's plain list holds its own pid"
    [ -z "$(awk -v most=$((5 + workers)) '$3 < 6 || $3 > most' <<<"$pids")" ] \
        || fail_run "each worker sees l with 6 to $((5 + workers)) items"

    # The final state, exactly: l = 0..4, then each worker's pid once.
    assert_count 1 "^main +\($main\): d = \{1: '1', '2': 2, 0\.25: None\}$"
    # l, 5 items a line, the rows in order: l[0:5], l[5:10], ..., each
    # with its 5 items but the last. The rows, joined, are the list.
    local list
    list=$(print_lines | awk -v who="($main):" -v total=$((5 + workers)) '
        $1 == "main" && $2 == who && $3 ~ /^l\[[0-9]+:[0-9]+\]$/ {
            split(substr($3, 3, length($3) - 3), ends, ":")
            row = $0
            sub(/^[^[]*\[[^[]*\[/, "", row)
            sub(/\]$/, "", row)
            n = split(row, items, ", ")
            if (ends[1] != seen || ends[2] != seen + 5 || n != (total - seen < 5 ? total - seen : 5)) {
                print "bad row " $3 " of " n " items"
                failed = 1
                exit
            }
            seen += n
            all = all (all == "" ? "" : ", ") row
        }
        END { if (!failed) print all }')
    [[ $list != bad* ]] || fail_run "l is shown in rows of 5, in order: $list"
    [ "$(printf '%s\n' "$list" | tr -d ' ' | tr ',' '\n' | head -n 5 | tr '\n' ' ')" = "0 1 2 3 4 " ] \
        || fail_run "l starts with 0..4"
    [ "$(printf '%s\n' "$list" | tr -d ' ' | tr ',' '\n' | tail -n +6 | sort -n | tr '\n' ' ')" \
        = "$(awk '{ print $1 }' <<<"$pids" | sort -n | tr '\n' ' ')" ] \
        || fail_run "l ends with the $workers workers' pids, each once"
    assert_count 1 "^main +\($main\): plain = \[\] \(each worker appended to its own copy\)$"
    if [ "$impl" = py ]; then
        # Python's shutdown waits 1 s for the server, then terminates it: a
        # margin of 1 s, so on a loaded machine -15 is a clean stop too.
        assert_count 1 "^main +\($main\): manager stopped \(exitcode (0|-15)\)$"
    else
        assert_count 1 "^main +\($main\): manager stopped \(exitcode 0\)$"
    fi
    [[ ${lines[-1]} =~ ^main\ +\($main\):\ check:\ .*:\ OK$ ]] || fail_run "the self-check passes, last"

    # Joined before they are read: every worker's line comes before d's.
    assert_before '^worker ' '^main +\([0-9]+\): d = '
    # The manager removed its socket and its private directory.
    [ ! -e "$address" ] || fail_run "the socket $address is left behind"
    [ ! -e "$(dirname "$address")" ] || fail_run "the directory of $address is left behind"
}

# C: the default, 10 workers, and the most, 32, which fill the program's
# fixed-size arrays. The twin's lists have no fixed size: one run with the
# most workers, so the most requests at once, shows the same final state.
@test "manager_demo, and -n 32: l = 0..4 + each worker's pid once, d has 3 keys, plain is empty" {
    manager_demo_checks c 10
    manager_demo_checks c 32 -n 32
}
@test "manager_demo.py -n 32: l = 0..4 + each of the 32 workers' pids once, d has 3 keys, plain is empty" {
    manager_demo_checks py 32 -n 32
}

# ---- manager_queue_pool ------------------------------------------------------
manager_queue_pool_checks() {
    local items=$2
    run_impl "$1" 09-manager manager_queue_pool -c "$items"
    assert_success
    local address
    address=$(capture '^main +\([0-9]+\): manager server [0-9]+ at (/.*)$')
    assert_count 1 '^main +\([0-9]+\): q = manager\.Queue\(\): queue id [0-9a-f]+$'
    assert_count $((2 * items + 8)) '.'
    # The reader's lines, in order: exactly what the writer put.
    local got
    got=$(print_lines | sed -nE 's/^reader \([0-9]+\): got ([0-9]+)$/\1/p' | paste -sd ' ' -)
    [ "$got" = "$(seq -s ' ' 1 "$items")" ] || fail_run "the reader got 1..$items in order, got: $got"
    assert_count "$items" '^writer \([0-9]+\): put [0-9]+$'
    assert_count 1 '^writer \([0-9]+\): put None: no more items$'
    assert_count 1 "^reader \([0-9]+\): got None: $items items$"
    assert_count 1 "^main +\([0-9]+\): the writer put $items items$"
    if [ "$items" -le 20 ]; then
        assert_count 1 "^main +\([0-9]+\): the reader got \[$(seq -s ', ' 1 "$items")\]$"
    else    # a long list is cut to fit a line
        assert_count 1 '^main +\([0-9]+\): the reader got \[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51\.\.\.\]$'
    fi
    # The writer's own order, and the end marker after the last item.
    assert_before "^writer \([0-9]+\): put $items$" '^writer \([0-9]+\): put None'
    assert_before "^reader \([0-9]+\): got $items$" '^reader \([0-9]+\): got None'
    [[ ${lines[-1]} =~ ^main\ +\([0-9]+\):\ check:\ .*:\ OK$ ]] || fail_run "the self-check passes, last"
    # The reader and the writer ran in the pool's two workers.
    local workers
    workers=$(capture '^main +\([0-9]+\): Pool\(2\) started: workers ([0-9]+ and [0-9]+)$')
    local r w
    r=$(capture '^reader \(([0-9]+)\): got None')
    w=$(capture '^writer \(([0-9]+)\): put None')
    [[ " ${workers/ and / } " == *" $r "* && " ${workers/ and / } " == *" $w "* && $r != "$w" ]] \
        || fail_run "the reader ($r) and the writer ($w) are the two workers ($workers)"
    [ ! -e "$(dirname "$address")" ] || fail_run "the manager's directory is left behind"
}

# 3 items: the reader's whole list is shown; 200: the list is cut to fit.
manager_queue_pool_sizes() {
    manager_queue_pool_checks "$1" 3
    manager_queue_pool_checks "$1" 200
}

@test "manager_queue_pool, and -c 200: the reader gets everything the writer put, in order" { manager_queue_pool_sizes c; }
@test "manager_queue_pool.py, and -c 200: the reader gets everything the writer put, in order" { manager_queue_pool_sizes py; }

# ---- manager_probe (C only: the wire protocol is the workbook's own) --------
# (the probe: tests/probe/manager_probe.c, built by setup_file above)
@test "manager_probe, and -c 0: each bad request gets an error or a closed connection; others are served" {
    run_probe -c 500
    assert_success
    local address
    address=$(capture '^probe \([0-9]+\): manager server [0-9]+ at (/.*)$')
    # Every case's outcome is the one expected.
    local line cases=0
    for line in "${lines[@]}"; do
        if [[ $line =~ ^probe:\ .*\ -\>\ (.*)\ \(expected\ (.*)\)$ ]]; then
            cases=$((cases + 1))
            [[ ${BASH_REMATCH[1]} == "${BASH_REMATCH[2]}"* ]] || fail_run "case not as expected: $line"
        fi
    done
    [ "$cases" -eq 20 ] || fail_run "20 cases with an expected outcome, found $cases"
    assert_count 1 '^probe: an unknown operation .* -> BadRequest: unknown operation '
    assert_count 1 '^probe: a string whose length lies .* -> BadRequest: malformed or truncated value '
    assert_count 1 '^probe: a frame announcing 1 GiB .* -> TooLarge: '
    assert_count 1 '^probe: half a frame, then end-of-file .* -> connection closed '
    assert_count 1 '^probe: another client, while one stalls .* -> served in [0-9]+ ms meanwhile$'
    assert_count 1 '^probe: the stalled client, completed .* -> OK '
    assert_count 1 '^probe: a client that never reads replies .* -> [0-9]+ requests sent, none read; others still served$'
    assert_count 1 '^probe: connection 65, with 64 open .* -> Refused: too many clients \(at most 64\) '
    assert_count 1 '^probe: a copy of 4000 strings \(820 KB\) .* -> OK '
    assert_count 1 '^probe: item 10001 of a list .* -> MemoryError: '
    assert_count 1 '^probe: a copy of 10000 strings \(2 MB\) .* -> TooLarge: '
    assert_count 1 '^probe: random requests .* -> 500 replies \([0-9]+ OK, [0-9]+ errors\), connection open '
    refute_line --regexp 'NOT served'
    assert_count 1 '^probe \([0-9]+\): manager stopped \(exitcode 0\)$'
    [[ ${lines[-1]} =~ ^probe\ \([0-9]+\):\ check:\ .*:\ OK$ ]] || fail_run "the self-check passes, last"
    [ ! -e "$(dirname "$address")" ] || fail_run "the manager's directory is left behind"

    # -r 0: no random requests, every other case.
    run_probe -c 0
    assert_success
    assert_count 1 '^probe: random requests .* -> 0 replies '
    [[ ${lines[-1]} =~ :\ OK$ ]] || fail_run "the self-check passes"
}

# ---- manager_crash ------------------------------------------------------------
# The owner ends without shutting its manager down. C: the server sees
# end-of-file on its lifeline, removes its socket and directory, and ends.
manager_crash_common() {
    local how=$2 code=$3
    run_impl "$1" 09-manager manager_crash -m "$how"
    assert_success
    # Not local: the callers check more with them.
    owner='' server='' address=''
    owner=$(capture '^main +\([0-9]+\): started owner ([0-9]+)$')
    server=$(capture "^owner +\($owner\): manager server ([0-9]+) at /")
    address=$(capture "^owner +\($owner\): manager server [0-9]+ at (/.*)$")
    assert_count 1 "^owner +\($owner\): d\['alive'\] = 1 is stored in the server$"
    assert_count 1 "^main +\([0-9]+\): owner $owner ended \(exitcode $code\)$"
    assert_before "^owner +\($owner\): ending by " "^main +\([0-9]+\): owner $owner ended"
    # Whatever happened, nothing is left once the program has ended.
    [ ! -e "$address" ] || fail_run "the socket $address is left behind"
    [ ! -e "$(dirname "$address")" ] || fail_run "the directory of $address is left behind"
    ! still_running "$server" || fail_run "the server $server still runs"
}

# still_running PID: alive and not a zombie. (kill -0 succeeds on a zombie,
# and an orphan's zombie waits for its new parent to reap it.)
still_running() {
    local state
    state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    [[ -n $state && $state != Z* ]]
}

manager_crash_c() {
    local how=$1 code=$2
    manager_crash_common c "$how" "$code"
    assert_count 1 "^manager \($server\): stopping: the owner is gone \(end-of-file on the lifeline\)$"
    assert_count 1 "^manager \($server\): removed $address and its directory$"
    assert_before "^manager \($server\): stopping: " "^manager \($server\): removed "
    # Not asserted: main's "owner ended" and the server's "stopping" both
    # follow the owner's death, in either order.
    assert_before "^manager \($server\): removed " "^main +\([0-9]+\): every holder of the witness pipe has ended: server $server too$"
    assert_count 1 "^main +\([0-9]+\): $address: removed$"
    assert_count 1 "^main +\([0-9]+\): $(dirname "$address"): removed$"
    [[ ${lines[-1]} =~ ^main\ +\([0-9]+\):\ check:\ the\ server\ did\ not\ outlive\ its\ owner\ and\ left\ nothing:\ OK$ ]] \
        || fail_run "the self-check passes, last"
}

@test "manager_crash, -m term, -m exit: owner killed by SIGKILL, by SIGTERM, or exits without shutdown; the server notices, cleans up, ends" {
    manager_crash_c kill -9
    manager_crash_c term -15
    manager_crash_c exit 0
}

# Python's manager has no lifeline: after SIGKILL its server still runs,
# orphaned, with its socket; the twin stops it and cleans up by hand. A
# normal exit runs Python's exit handlers, which shut the manager down.
@test "manager_crash.py, and -m exit: Python's server outlives an owner killed by SIGKILL; exit handlers shut it down" {
    manager_crash_common py kill -9
    assert_count 1 "^main +\([0-9]+\): server $server is still running, orphaned; its socket is still there$"
    assert_count 1 "^main +\([0-9]+\): removed $(dirname "$address") by hand$"
    [[ ${lines[-1]} =~ check:\ the\ server\ outlived\ its\ owner ]] || fail_run "the twin says so, last"

    manager_crash_common py exit 0
    assert_count 1 "^main +\([0-9]+\): every holder of the witness pipe has ended: server $server too$"
    [[ ${lines[-1]} =~ :\ OK$ ]] || fail_run "the self-check passes"
}

# ---- manager_auth --------------------------------------------------------------
# The same user is served; another user is kept out by the directory (mode
# 0700) and, with the directory opened for the demonstration, refused by
# the server's credential check (C) or served because it knows the authkey
# (Python, which never asks who the user is).
manager_auth_common() {
    # Under /tmp: nobody must be able to pass the folders above the
    # manager's own, or those would keep it out before the server could.
    TMPDIR=/tmp run_impl "$1" 09-manager manager_auth
    assert_success
    local address
    address=$(capture '^auth +\([0-9]+\): manager server [0-9]+ at (/.*)$')
    assert_count 1 "^auth +\([0-9]+\): its directory: mode 0700, owner uid $(id -u): only that user may enter$"
    assert_count 1 "^same +\([0-9]+\): uid $(id -u): connected and served: d\['who'\] = 'same user'$"
    [ ! -e "$(dirname "$address")" ] || fail_run "the manager's directory is left behind"
    [[ ${lines[-1]} =~ ^auth\ +\([0-9]+\):\ check:\ .*:\ OK$ ]] || fail_run "the self-check passes, last"
}

teardown() {
    if [ -n "${NOBODY_TMP:-}" ]; then
        rm -rf "$NOBODY_TMP"
    fi
}

need_root() {
    [ "$(id -u)" -eq 0 ] || skip "only root can run a client as another user (run the suite as root to test it)"
    id nobody >/dev/null 2>&1 || skip "no user 'nobody' to run a client as"
}

# valgrind's gdb server makes FIFOs in /tmp that a child which has dropped
# its privileges cannot remove at exit: --vgdb=no for this program.
no_vgdb() {
    if [[ $WB_WRAP == *valgrind* && $WB_WRAP != *--vgdb=* ]]; then
        WB_WRAP=${WB_WRAP/valgrind /valgrind --vgdb=no }
    fi
}

@test "manager_auth: another user is kept out by the directory, then refused by the server" {
    need_root
    no_vgdb
    manager_auth_common c
    local nobody
    nobody=$(id -u nobody)
    assert_count 1 "^other +\([0-9]+\): uid $nobody: connect: EACCES \([^)]+\): the directory keeps it out$"
    assert_count 1 "^other +\([0-9]+\): uid $nobody: connected \(the directory is open\)$"
    assert_count 1 "^other +\([0-9]+\): uid $nobody: the server says: Refused: uid $nobody is not the manager's uid 0$"
    # The server's own word, before the client hears it.
    assert_before "^manager \([0-9]+\): refused a client of uid $nobody \(not uid 0\)$" \
        "^other +\([0-9]+\): uid $nobody: the server says: Refused"
    assert_before '^auth .*: opening the directory' '^other .*: connected \(the directory is open\)$'
    assert_before '^other .*: connected \(the directory is open\)$' '^other .*: the server says: Refused'
    assert_before '^other .*: the directory keeps it out$' '^auth .*: opening the directory'
    assert_count 1 '^auth +\([0-9]+\): the server learns who connects with: (SO_PEERCRED|getpeereid)$'
    refute_line --regexp 'SERVED'
}

@test "manager_auth.py: another user is kept out by the directory, then served with the authkey" {
    need_root
    manager_auth_common py
    local nobody
    nobody=$(id -u nobody)
    assert_count 1 "^other +\([0-9]+\): uid $nobody: connect: EACCES \([^)]+\): the directory keeps it out$"
    assert_count 1 "^other +\([0-9]+\): uid $nobody: with the authkey: SERVED: Python checks the key, not the user$"
    assert_count 1 "^other +\([0-9]+\): uid $nobody: with a wrong key: AuthenticationError: "
}

# As another user than root, the program cannot switch users: it says so
# and still shows the same-user case. Tested by running it as nobody.
@test "manager_auth: run by a user who is not root, another user is not tried" {
    need_root
    command -v setpriv >/dev/null 2>&1 || skip "setpriv is not installed"
    local bin="$WB_BIN_ROOT/chapters/09-manager/manager_auth"
    # nobody must be able to reach the binary and a TMPDIR of its own.
    su -s /bin/sh nobody -c "test -x '$bin'" 2>/dev/null || skip "nobody cannot run $bin here"
    no_vgdb
    # (bats's own temporary folders are root's, mode 0700.)
    NOBODY_TMP=$(mktemp -d /tmp/wb09-nobody.XXXXXX)
    local tmp=$NOBODY_TMP
    chown nobody "$tmp"
    # shellcheck disable=SC2086
    TMPDIR=$tmp run_limited setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups $WB_WRAP "$bin" -u root
    assert_success
    assert_count 1 "^same +\([0-9]+\): uid $(id -u nobody): connected and served: d\['who'\] = 'same user'$"
    assert_count 1 '^other +: uid 0 \(root\): not tried: only root can act as another user$'
    [[ ${lines[-1]} =~ another\ user\ not\ tried\ \(not\ root\):\ OK$ ]] || fail_run "the self-check says so"
    [ -z "$(ls -A "$tmp")" ] || fail_run "something was left in TMPDIR: $(ls -A "$tmp")"
}

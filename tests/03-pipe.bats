#!/usr/bin/env bats
# Chapter 03: pipe. Messages arrive whole; frames keep their boundaries;
# end of file comes only when every write end is closed; small pipe writes
# are atomic.

load test_helper

# without_pids: the output with every "(1234)" made "(PID)", for checks of
# a whole conversation whose order is guaranteed.
without_pids() {
    printf '%s\n' "$output" | sed -E 's/\([0-9]+\)/(PID)/g'
}

# ---- runs in the background -------------------------------------------------
# A run of pipe_oneway with a forgotten close waits -t seconds for an end of
# file that never comes (2 s: see pipe_oneway below), so its four runs (C
# and twin, parent and child) would wait 8 s one after the other.
# setup_file starts them together in the background, the tests of the
# other programs run meanwhile, and the tests that read them, at the end
# of this file, wait for them to end (wait_run).
setup_file() {
    local impl who
    FORGET_SECONDS=$(awk -v s="$WB_TIMEOUT_SCALE" 'BEGIN { print 2 * s }')
    export FORGET_SECONDS
    for impl in c py; do
        [ "$impl" = c ] || twins_checked || continue
        for who in parent child; do
            start_run "oneway-$impl-$who" "$impl" pipe_oneway -m "$who" -t "$FORGET_SECONDS"
        done
    done
}

# Nothing is left running when the file ends, whichever tests ran.
teardown_file() {
    [ "${#BACKGROUND_RUNS[@]}" -eq 0 ] || wait "${BACKGROUND_RUNS[@]}" || true
}

# start_run NAME IMPL PROGRAM ARGS...: in setup_file, start this chapter's
# C program or twin in the background, under run_limited's time limit; its
# stdout, stderr and, when it has ended, "STATUS SECONDS" go to files NAME.*
# under $BATS_FILE_TMPDIR. (Its descriptors are files, and it closes bats'
# fd 3, so that bats never waits for it.)
BACKGROUND_RUNS=()
start_run() {
    local file=$BATS_FILE_TMPDIR/$1 impl=$2 program=$3 limit
    shift 3
    program_command "$impl" 03-pipe "$program"
    set -- "${WB_CMD[@]}" "$@"
    time_limit limit
    printf '%s\n' "$*" >"$file.cmd"
    {
        started=$SECONDS run_status=0
        timeout -k 5 "$limit" "$@" >"$file.out" 2>"$file.err" || run_status=$?
        echo "$run_status $((SECONDS - started))" >"$file.ending"
        mv "$file.ending" "$file.status"
    } </dev/null >/dev/null 2>&1 3>&- &
    BACKGROUND_RUNS+=("$!")
}

# wait_run NAME: wait until start_run's run NAME has ended, then set status,
# output, lines, stderr and stderr_lines as run_c and run_py do, and
# refuse_bad_end.
wait_run() {
    local file=$BATS_FILE_TMPDIR/$1 limit deadline run_status elapsed
    time_limit limit
    deadline=$((SECONDS + limit + 10))
    until [ -e "$file.status" ]; do
        [ "$SECONDS" -lt "$deadline" ] || fail "never ended: $(cat "$file.cmd")"
        sleep 0.05
    done
    read -r run_status elapsed <"$file.status"
    run --separate-stderr sh -c 'cat "$1"; cat "$2" >&2; exit "$3"' sh "$file.out" "$file.err" "$run_status"
    refuse_bad_end "$limit" "$elapsed" "$(cat "$file.cmd")"
}

# ---- pipe_demo ---------------------------------------------------------------
pipe_demo_checks() {
    local impl=$1
    run_impl "$impl" 03-pipe pipe_demo
    assert_success
    assert_count 4 '.'
    [[ ${lines[0]} =~ ^parent\ \(([0-9]+)\):\ sending\ \'hello\ from\ the\ parent\'\ \(21\ bytes\),\ prefixed\ by\ its\ length\ 00\ 00\ 00\ 15$ ]] \
        || fail_run "the parent announces the message and its 4-byte length first"
    local parent=${BASH_REMATCH[1]}
    [[ ${lines[1]} =~ ^child\ \ \(([0-9]+)\):\ read\ the\ length\ prefix\ 00\ 00\ 00\ 15\ =\ 21\ bytes\ to\ follow$ ]] \
        || fail_run "the child reads the same prefix"
    local child=${BASH_REMATCH[1]}
    [[ ${lines[2]} =~ ^child\ \ \($child\):\ received\ \'hello\ from\ the\ parent\'\ \(21\ bytes\),\ in\ 1\ read$ ]] \
        || fail_run "the child receives the message intact"
    [ "${lines[3]}" = "parent ($parent): child $child exited with 0" ] || fail_run "the parent joins the child last"

    run_impl "$impl" 03-pipe pipe_demo -w 'A message, with punctuation: ok?'
    assert_success
    assert_count 1 "^child  \([0-9]+\): received 'A message, with punctuation: ok\?' \(32 bytes\), in 1 read$"
    assert_count 1 '^child  \([0-9]+\): read the length prefix 00 00 00 20 = 32 bytes to follow$'

    run_impl "$impl" 03-pipe pipe_demo -w ''
    assert_success
    assert_count 1 "^child  \([0-9]+\): received '' \(0 bytes\), in 0 reads$"
}

@test "pipe_demo: the message and its length prefix arrive intact" { pipe_demo_checks c; }
@test "pipe_demo.py: the message and its length prefix arrive intact" { pipe_demo_checks py; }

pipe_demo_large() {
    local impl=$1 sent got
    run_impl "$impl" 03-pipe pipe_demo -s 1000000
    assert_success
    sent=$(capture '^parent \([0-9]+\): sending 1000000 bytes, checksum ([0-9a-f]{8}), prefixed by its length 00 0f 42 40$')
    got=$(capture '^child  \([0-9]+\): received 1000000 bytes, checksum ([0-9a-f]{8}), in [0-9]+ reads?$')
    [ "$sent" = "$got" ] || fail_run "checksum sent $sent, received $got"
    # How many reads it took is racy: not asserted.
}

@test "pipe_demo: a 1 MB message arrives intact, whatever the number of reads" { pipe_demo_large c; }
@test "pipe_demo.py: a 1 MB message arrives intact, whatever the number of reads" { pipe_demo_large py; }

# ---- pipe_duplex -------------------------------------------------------------
# Each side waits for the other's message before it prints again, so the
# whole conversation has one order: compare it all.
pipe_duplex_checks() {
    local impl=$1
    run_impl "$impl" 03-pipe pipe_duplex
    assert_success
    diff -u <(cat <<'EOF'
parent (PID): part 1, request and reply
parent (PID): sending request 1: 'apple' (5 bytes)
child  (PID): got request 1:   'apple' (5 bytes)
child  (PID): sending reply 1:  'APPLE'
parent (PID): got reply 1:      'APPLE' (5 bytes)
parent (PID): sending request 2: 'banana split' (12 bytes)
child  (PID): got request 2:   'banana split' (12 bytes)
child  (PID): sending reply 2:  'BANANA SPLIT'
parent (PID): got reply 2:      'BANANA SPLIT' (12 bytes)
parent (PID): sending request 3: '' (0 bytes)
child  (PID): got request 3:   '' (0 bytes)
child  (PID): sending reply 3:  ''
parent (PID): got reply 3:      '' (0 bytes)
parent (PID): part 2, boundaries: asking for three messages in a row
child  (PID): sending 'one' (3 bytes) as a frame
child  (PID): sending 'two' (3 bytes) as a frame
child  (PID): sending 'three' (5 bytes) as a frame
parent (PID): the child exited with 0; all it sent is waiting: reading
parent (PID): got message 1 of the burst: 'one' (3 bytes)
parent (PID): got message 2 of the burst: 'two' (3 bytes)
parent (PID): got message 3 of the burst: 'three' (5 bytes)
parent (PID): end of file after 3 messages (expected 3)
EOF
) <(without_pids) >&2 || fail_run "the conversation differs from the expected one"
    # Two pids only: one parent, one child.
    [ "$(printf '%s\n' "$output" | sed -E 's/^[a-z]+ +\(([0-9]+)\).*/\1/' | sort -u | wc -l)" -eq 2 ] \
        || fail_run "expected exactly two processes"
}

@test "pipe_duplex: request/reply in order; three frames come back as three" { pipe_duplex_checks c; }
@test "pipe_duplex.py: request/reply in order; three frames come back as three" { pipe_duplex_checks py; }

pipe_duplex_raw() {
    local impl=$1
    run_impl "$impl" 03-pipe pipe_duplex -m raw -c 5
    assert_success
    assert_count 5 '^parent \([0-9]+\): sending request [1-5]: '
    assert_count 1 "^parent \([0-9]+\): got reply 4:      'CHERRY' \(6 bytes\)$"
    assert_count 1 "^parent \([0-9]+\): got reply 5:      'A RATHER LONGER REQUEST, TO VARY THE LENGTH' \(43 bytes\)$"
    assert_count 3 "^child  \([0-9]+\): sending '[a-z]+' \([0-9] bytes\) with a plain write\(\)$"
    # Without frames, what arrives is the bytes run together: all of them,
    # in order, in one read (the sender has exited: they all wait at once).
    [[ ${lines[-1]} =~ ^parent\ \([0-9]+\):\ one\ read\(\)\ returned\ 11\ bytes:\ \'onetwothree\':\ where\ did\ each\ message\ end\?$ ]] \
        || fail_run "one read returns the three messages run together"
    refute_line --regexp 'got message'
}

@test "pipe_duplex -m raw: without frames three messages arrive as one lump" { pipe_duplex_raw c; }
@test "pipe_duplex.py -m raw: without frames three messages arrive as one lump" { pipe_duplex_raw py; }

# ---- pipe_atomic -------------------------------------------------------------
# every_byte_arrived: each "writer X: N bytes arrived (expected M)" has N = M.
every_byte_arrived() {
    local want=$1 bad
    assert_count "$want" '^reader \([0-9]+\): writer [A-H]: [0-9]+ bytes arrived \(expected [0-9]+\)$'
    bad=$(printf '%s\n' "$output" | awk '/ bytes arrived \(expected / {
        n = $5; m = $9; sub(/\)/, "", m); if (n != m) print }')
    [ -z "$bad" ] || fail_run "bytes lost: $bad"
}

pipe_atomic_checks() {
    local impl=$1
    run_impl "$impl" 03-pipe pipe_atomic
    assert_success
    assert_count 1 '^reader \([0-9]+\): PIPE_BUF is [0-9]+ bytes here$'
    assert_count 1 '^reader \([0-9]+\): [0-9]+ records read, 0 torn \(expected 0: guaranteed\)$'
    # Above PIPE_BUF tearing is allowed, not promised: only its line is checked.
    assert_count 1 "^reader \([0-9]+\): [0-9]+ records' worth read, [0-9]+ torn \(any number is allowed\)$"
    every_byte_arrived 8
    [[ ${lines[-1]} =~ self-check:\ no\ small\ write\ torn,\ every\ byte\ arrived$ ]] || fail_run "self-check"

    # Eight writers of small records: still never torn.
    run_impl "$impl" 03-pipe pipe_atomic -n 8 -s 100 -c 2000
    assert_success
    assert_count 1 '^reader \([0-9]+\): 16000 records read, 0 torn \(expected 0: guaranteed\)$'
    every_byte_arrived 8

    run_impl "$impl" 03-pipe pipe_atomic -n 2 -s 4097 -c 100
    assert_success
    every_byte_arrived 2
}

@test "pipe_atomic: writes up to PIPE_BUF never tear; every byte arrives" { pipe_atomic_checks c; }
@test "pipe_atomic.py: writes up to PIPE_BUF never tear; every byte arrives" { pipe_atomic_checks py; }

# ---- pipe_oneway -------------------------------------------------------------
pipe_oneway_checks() {
    local impl=$1
    # A generous timeout: end of file comes at once, so it costs nothing,
    # and a slow machine (valgrind) never mistakes a pause for "no EOF".
    run_impl "$impl" 03-pipe pipe_oneway -t 30
    assert_success
    assert_before "^child  \([0-9]+\): got 'message 1'$" "^child  \([0-9]+\): got 'message 2'$"
    assert_before "^child  \([0-9]+\): got 'message 2'$" "^child  \([0-9]+\): got 'message 3'$"
    assert_before "^child  \([0-9]+\): got 'message 3'$" '^child  \([0-9]+\): end of file after 3 messages'
    assert_before '^parent \([0-9]+\): closes its write end' '^child  \([0-9]+\): end of file after 3 messages: every write end is closed \(Python: EOFError\)$'
    assert_before '^child  \([0-9]+\): end of file' '^parent \([0-9]+\): the child exited with 0$'
    refute_line --regexp 'no end of file'
    assert_count 9 '.'

    run_impl "$impl" 03-pipe pipe_oneway -c 0 -t 30
    assert_success
    assert_count 1 '^child  \([0-9]+\): end of file after 0 messages: every write end is closed'
}

@test "pipe_oneway: end of file after the last message, once every write end is closed" { pipe_oneway_checks c; }
@test "pipe_oneway.py: EOFError after the last message, once every write end is closed" { pipe_oneway_checks py; }

# pipe_oneway_forgotten IMPL WHO: the run in which WHO forgets to close its
# write end (started by setup_file). The reader gives up after t seconds of
# silence. Each message, and the parent's line, must come within t of the
# last: 2 s (more under valgrind) is a margin no scheduler delay on a
# loaded machine reaches, where 0.4 s was not.
pipe_oneway_forgotten() {
    local impl=$1 who=$2 t=$FORGET_SECONDS
    [ "$impl" = c ] || need_python
    wait_run "oneway-$impl-$who"
    assert_success
    assert_count 3 "^child  \([0-9]+\): got 'message [1-3]'$"
    refute_line --regexp '\): end of file after'
    if [ "$who" = parent ]; then
        assert_before '^parent \([0-9]+\): forgets to close its write end' \
            "^child  \([0-9]+\): no end of file after $t s: a write end is still open \(the parent's\)$"
    else
        assert_count 1 '^child  \([0-9]+\): forgets to close its copy of the write end$'
        assert_before '^parent \([0-9]+\): closes its write end' \
            "^child  \([0-9]+\): no end of file after $t s: a write end is still open \(this reader's own copy, from fork\(\)\)$"
    fi
    [[ ${lines[-1]} =~ ^parent\ \([0-9]+\):\ the\ child\ exited\ with\ 0$ ]] || fail_run "the demo ends: the parent joins the child"
}

@test "pipe_oneway -m: a forgotten close means no end of file; the demo still ends" {
    pipe_oneway_forgotten c parent
    pipe_oneway_forgotten c child
}
@test "pipe_oneway.py -m: a forgotten close means no EOFError; the demo still ends" {
    pipe_oneway_forgotten py parent
    pipe_oneway_forgotten py child
}

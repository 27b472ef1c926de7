#!/usr/bin/env bats
# Chapter 10: subprocess. Running other programs: exit codes, captured
# output, input and output at once, timeouts, and the shell.

load test_helper

CH=10-subprocess

# The probe every "what did the command inherit" test runs as the command.
probe() {
    echo "$WB_BIN_ROOT/chapters/$CH/inherit_report"
}

# An executable's path is not enough for a test of "cannot run": this file
# exists and is not executable (mode 644), so exec fails with EACCES.
not_executable() {
    local f="$BATS_TEST_TMPDIR/not-executable"
    printf 'echo should never run\n' > "$f"
    chmod 644 "$f"
    echo "$f"
}

# run_failing IMPL PROGRAM ARGS...: run_impl for a run that must fail,
# often with status 127 ("not found", as a shell says). bats warns (BW01)
# about any run ending with 127 unless told what to expect, as `run -127`
# or `run !` (any failure), which run_limited in test_helper.bash does not
# pass: these few lines do what it does, with `run !`. Check the exact
# status afterwards.
run_failing() {
    local impl=$1 program=$2 limit started
    shift 2
    [ "$impl" = c ] || need_python
    program_command "$impl" "$CH" "$program"
    local -a cmd=("${WB_CMD[@]}")
    time_limit limit
    started=$SECONDS
    run ! --separate-stderr timeout -k 5 "$limit" "${cmd[@]}" "$@"
    refuse_bad_end "$limit" $((SECONDS - started)) "${cmd[@]}" "$@"
}

# The command saw descriptors 0, 1 and 2 only, no SIGPIPE ignored and no
# signal blocked. $1: the text holding the probe's report.
assert_clean_inheritance() {
    [[ $1 == *"open file descriptors: 0 1 2"$'\n'* ]] || fail_run "the command got descriptors beyond 0 1 2: $1"
    [[ $1 == *"blocked signals: none"* ]] || fail_run "the command started with signals blocked: $1"
    [[ $1 == *"ignored signals:"* ]] || fail_run "no report of ignored signals: $1"
    [[ $1 != *SIGPIPE* ]] || fail_run "the command inherited SIGPIPE ignored: $1"
}

# ---- inherit_report (the probe) ---------------------------------------------
@test "inherit_report: sees the descriptors it is given, and an ignored SIGPIPE (the probe is not blind)" {
    run_c $CH inherit_report 5</dev/null 7>/dev/null
    assert_success
    assert_count 3 '.'
    assert_line --regexp '^open file descriptors: 0 1 2( [0-9]+)* 5( [0-9]+)* 7( [0-9]+)*$'
    assert_line --regexp '^blocked signals: none$'

    run_limited sh -c "trap '' PIPE; exec $WB_WRAP $(probe)"
    assert_success
    assert_line --regexp '^ignored signals:.* SIGPIPE( .*)?$'
}

# ---- subprocess_call ----------------------------------------------------------
# $1 impl, $2 mode, $3 expected exit code line, $4 expected status, command...
call_expect() {
    local impl=$1 mode=$2 line=$3 want=$4
    shift 4
    run_impl "$impl" $CH subprocess_call -m "$mode" -- "$@"
    assert_equal "$status" "$want"
    [ "${lines[-1]}" = "$line" ] || fail_run "expected the last line: $line"
    [ "${lines[0]}" = "Running $(py_list "$@") with $( [ "$mode" = fork ] && echo 'fork + exec' || echo posix_spawnp)" ] || fail_run "the Running line"
}

# Python's repr of a list of simple words (no quotes inside).
py_list() {
    local out="[" sep="" w
    for w in "$@"; do
        out+="$sep'$w'"
        sep=", "
    done
    echo "$out]"
}

subprocess_call_codes() {
    local impl=$1 mode
    run_impl "$impl" $CH subprocess_call
    assert_success
    [ "${lines[0]}" = "Running ['ls', '-l', '/'] with fork + exec" ] || fail_run "the Running line comes first"
    [ "${lines[-1]}" = "Exit code: 0" ] || fail_run "the exit code comes last"
    assert_line --regexp ' usr$'          # ls -l / ran, and its output came through
    for mode in fork spawn; do
        # Exit code 0 from the probe, which says what it inherited. The test
        # holds descriptors 5 and 7 open (and bats holds its own): the
        # command must get none of them, nor an ignored SIGPIPE.
        call_expect "$impl" $mode "Exit code: 0" 0 "$(probe)" 5</dev/null 7>/dev/null
        assert_clean_inheritance "$output"$'\n'
        call_expect "$impl" $mode "Exit code: 1" 1 false
        call_expect "$impl" $mode "Exit code: 3" 3 sh -c 'exit 3'
        call_expect "$impl" $mode "Exit code: 255" 255 sh -c 'exit 255'
        call_expect "$impl" $mode "Exit code: -15 (SIGTERM)" 143 sh -c 'kill -TERM $$'
        call_expect "$impl" $mode "Exit code: -9 (SIGKILL)" 137 sh -c 'kill -KILL $$'
    done
}

@test "subprocess_call: runs ls -l /; exit codes and deaths by signal passed through, fds 0 1 2 only, both ways" { subprocess_call_codes c; }
@test "subprocess_call.py: runs ls -l /; exit codes and deaths by signal passed through, fds 0 1 2 only, both ways" { subprocess_call_codes py; }

# Not found: 127; found but not executable: 126, as a shell says. With
# fork + exec the errno comes back through the close-on-exec pipe and is
# reported by name. posix_spawnp may report it either way (POSIX allows
# exit status 127 instead of an error return): accept both there.
subprocess_call_cannot_run() {
    local impl=$1 nx
    nx=$(not_executable)
    run_failing "$impl" subprocess_call -- no-such-command-wb10
    assert_failure 127
    assert_count 1 '.'                  # the Running line only: nothing ran
    [[ $stderr =~ ^subprocess_call(\.py)?:\ cannot\ run\ \[\'no-such-command-wb10\'\]:\ ENOENT\ \(No\ such\ file\ or\ directory\)$ ]] || fail_run "not found: named as such"
    run_impl "$impl" $CH subprocess_call -- "$nx"
    assert_failure 126
    [[ $stderr =~ cannot\ run\ \[\'$nx\'\]:\ EACCES\ \(Permission\ denied\)$ ]] || fail_run "not executable: named as such"
    run_impl "$impl" $CH subprocess_call -- /
    assert_failure 126
    [[ $stderr =~ cannot\ run\ \[\'/\'\]:\ EACCES ]] || fail_run "a directory cannot be run"
    run_failing "$impl" subprocess_call -m spawn -- no-such-command-wb10
    assert_failure 127
    [[ $stderr == *"cannot run ['no-such-command-wb10']: ENOENT"* || ${lines[-1]} == "Exit code: 127" ]] || fail_run "spawn: not found reported"
    # Reported as an error: 126. Reported only by the child's exit
    # status: 127 for every failure (glibc under valgrind, whose
    # emulated vfork hides the error the child leaves in shared memory).
    run_failing "$impl" subprocess_call -m spawn -- "$nx"
    if [ "$status" -eq 126 ]; then
        [[ $stderr == *"cannot run ['$nx']: EACCES"* ]] || fail_run "spawn: EACCES reported"
    else
        assert_failure 127
        [ "${lines[-1]}" = "Exit code: 127" ] || fail_run "spawn: exit status 127"
    fi
}

@test "subprocess_call: a command that cannot be run gives 127 or 126, with the reason" { subprocess_call_cannot_run c; }
@test "subprocess_call.py: a command that cannot be run gives 127 or 126, with the reason" { subprocess_call_cannot_run py; }

# ---- subprocess_output ------------------------------------------------------------
# The captured lines, without their "| " prefix.
captured() {
    printf '%s\n' "$output" | sed -n 's/^| //p'
}

# One run for a text with awkward lines and, after it, more than a pipe
# holds (288 KB): read before wait, or this would hang.
subprocess_output_exact() {
    local impl=$1 f="$BATS_TEST_TMPDIR/text" big="$BATS_TEST_TMPDIR/big" long
    printf '%s\n' 'first line' '  leading spaces' 'trailing spaces  ' '' 'a	tab' \
        'back\slash and \n' "quotes ' and \"" '| a bar' > "$f"
    long=$(printf 'x%.0s' $(seq 2000))
    printf '%s\n' "$long" 'after the long line' >> "$f"
    seq 1 50000 > "$big"
    run_impl "$impl" $CH subprocess_output -- cat "$f" "$big"
    assert_success
    [ "${lines[0]}" = "Capturing the output of ['cat', '$f', '$big']" ] || fail_run "the header"
    [ "$(captured)" = "$(cat "$f" "$big")" ] || fail_run "captured text differs from the files"
    # (lines[-2] and assert_count, not assert_line or refute_line: their
    # bash loop over 50000 lines is slow)
    [ "${lines[-2]}" = "Captured $(cat "$f" "$big" | wc -c | tr -d ' ') bytes in $(cat "$f" "$big" | wc -l | tr -d ' ') lines." ] \
        || fail_run "the counts"
    [ "${lines[-1]}" = "Exit code: 0" ] || fail_run "the exit code comes last"
    assert_count 0 '^\(no newline'

    # No newline at the end; stderr is not captured unless -e: it reaches
    # our stderr instead; the command's exit code.
    run_impl "$impl" $CH subprocess_output -- sh -c 'printf "one\ntwo"; echo err >&2; exit 4'
    assert_failure 4
    [ "$(captured)" = $'one\ntwo' ] || fail_run "two lines, only stdout captured"
    assert_before '^\| two$' '^\(no newline at the end\)$'
    assert_line --regexp '^Captured 7 bytes in 2 lines\.$'
    [ "$stderr" = err ] || fail_run "stderr passed through"
    [ "${lines[-1]}" = "Exit code: 4" ] || fail_run "exit code 4"

    run_impl "$impl" $CH subprocess_output -- true
    assert_success
    assert_line --regexp '^Captured 0 bytes in 0 lines\.$'
    refute_line --regexp '^\| '

    run_impl "$impl" $CH subprocess_output -e -- sh -c 'echo out; echo err >&2'
    assert_success
    [ "$(captured)" = $'out\nerr' ] || fail_run "-e captures both, in order"
    [ -z "$stderr" ] || fail_run "-e: nothing left on stderr"
    assert_line --regexp '^Captured 8 bytes in 2 lines\.$'
}

@test "subprocess_output: the output captured exactly, more than a pipe holds too; no final newline, nothing at all, stderr with and without -e" { subprocess_output_exact c; }
@test "subprocess_output.py: the output captured exactly, more than a pipe holds too; no final newline, nothing at all, stderr with and without -e" { subprocess_output_exact py; }

# A command that could not be run, started with posix_spawnp (every C
# program but subprocess_call -m fork and subprocess_timeout): glibc
# returns the errno, and the program names it. POSIX also allows the other
# answer, a child that exits with 127, which glibc gives under valgrind
# (its emulated vfork hides the errno the child leaves in shared memory):
# accepted there only. assert_cannot_run IMPL STATUS TEXT, after a run:
# TEXT is what follows "cannot run ", the command's repr and the errno.
assert_cannot_run() {
    local impl=$1 want=$2 reason=$3
    if [ "$impl" = c ] && [[ $WB_WRAP == *valgrind* ]] && [ "$status" -eq 127 ] \
        && [ "${lines[-1]}" = "Exit code: 127" ]; then
        return 0
    fi
    assert_equal "$status" "$want"
    [[ ${stderr-$output} == *"cannot run $reason"* ]] || fail_run "cannot run $reason"
}

subprocess_output_others() {
    local impl=$1
    local nx
    nx=$(not_executable)
    run_failing "$impl" subprocess_output -- no-such-command-wb10
    assert_cannot_run "$impl" 127 "['no-such-command-wb10']: ENOENT"
    run_failing "$impl" subprocess_output -- "$nx"
    assert_cannot_run "$impl" 126 "['$nx']: EACCES"
    run_impl "$impl" $CH subprocess_output -- "$(probe)" 5</dev/null 7>/dev/null
    assert_success
    assert_clean_inheritance "$(captured)"$'\n'
    run_impl "$impl" $CH subprocess_output
    assert_success
    [ "${lines[0]}" = "Capturing the output of ['ls', '/']" ] || fail_run "default: ls /"
    assert_line --regexp '^\| usr$'
}

@test "subprocess_output: cannot run, inheritance, the default" { subprocess_output_others c; }
@test "subprocess_output.py: cannot run, inheritance, the default" { subprocess_output_others py; }

# ---- subprocess_communicate -------------------------------------------------------
# The default: 1 MiB of generated lines through cat and back (-o keeps what
# came back, which is what was generated: the twin's is the C program's).
# Then the test makes the data and checks the result with cksum: 1 MiB of
# random bytes through cat, and over 1 MiB of lines through sort.
subprocess_communicate_files() {
    local impl=$1 in="$BATS_TEST_TMPDIR/in" out="$BATS_TEST_TMPDIR/out"
    run_impl "$impl" $CH subprocess_communicate -o "$BATS_TEST_TMPDIR/$impl"
    assert_success
    [ "${lines[0]}" = "Feeding 1048576 bytes to ['cat'] while reading its output (poll)" ] || fail_run "header"
    assert_line --regexp '^Received 1048576 bytes\.$'
    assert_line --regexp '^Output identical to input: yes$'
    [ "${lines[-1]}" = "Exit code: 0" ] || fail_run "exit code last"
    if [ "$impl" = py ]; then
        run_c $CH subprocess_communicate -o "$BATS_TEST_TMPDIR/c"
        assert_success
        cmp "$BATS_TEST_TMPDIR/c" "$BATS_TEST_TMPDIR/py" || fail_run "the generated input differs from the C program's"
    fi

    head -c 1048576 /dev/urandom > "$in"
    run_impl "$impl" $CH subprocess_communicate -i "$in" -o "$out" -- cat
    assert_success
    assert_line --regexp '^Received 1048576 bytes\.$'
    [ "$(cksum < "$out")" = "$(cksum < "$in")" ] || fail_run "cat: the output's checksum differs"

    awk 'BEGIN { srand(42); for (i = 0; i < 70000; i++) printf "%09d %d\n", int(rand() * 1e9), i }' > "$in"
    [ "$(wc -c < "$in")" -gt 1048576 ] || fail_run "test data too small"
    run_impl "$impl" $CH subprocess_communicate -i "$in" -o "$out" -- sort
    assert_success
    [ "$(cksum < "$out")" = "$(sort < "$in" | cksum)" ] || fail_run "sort: the output's checksum differs"
    assert_line --regexp '^Output identical to input: no$'

    run_impl "$impl" $CH subprocess_communicate -s 2048 -- cat
    assert_success
    assert_line --regexp '^Received 2097152 bytes\.$'
    assert_line --regexp '^Output identical to input: yes$'
}

@test "subprocess_communicate: 1 MiB of lines through cat and back, identical; over 1 MiB in and out through cat and sort, checksums equal" { subprocess_communicate_files c; }
@test "subprocess_communicate.py: 1 MiB of lines through cat and back, identical, the C program's bytes; over 1 MiB in and out through cat and sort, checksums equal" { subprocess_communicate_files py; }

# All the input first, then the output: cat fills its stdout pipe, stops
# reading, and both sides block. The watchdog reports it, kills, reaps.
subprocess_communicate_deadlock() {
    local impl=$1
    # The watchdog's default 1 s: cat, slowed down by a loaded machine,
    # still has a second to fill its stdout pipe before anything is called
    # a deadlock.
    run_impl "$impl" $CH subprocess_communicate -m naive
    assert_failure 1
    [ "${lines[0]}" = "Feeding 1048576 bytes to ['cat'] first, then reading its output (naive)" ] || fail_run "header"
    assert_line --regexp "^Stuck for 1 s after sending [0-9]+ of 1048576 bytes: we are blocked writing the command's stdin, and it is not reading\.$"
    assert_line --regexp '^Deadlocked: the command is blocked writing its stdout, which we will not read until all is written\.$'
    assert_before '^Deadlocked' '^Killed the command with SIGTERM and reaped it\.$'
    [ "${lines[-1]}" = "Exit code: -15 (SIGTERM)" ] || fail_run "killed by SIGTERM, reaped"
    refute_line --regexp '^Received'

    # sort reads everything before it writes: the naive order works there.
    run_impl "$impl" $CH subprocess_communicate -m naive -t 10 -- sort
    assert_success
    assert_line --regexp '^Received 1048576 bytes\.$'
    refute_line --regexp '^(Stuck|Deadlocked)'
}

@test "subprocess_communicate -m naive: the deadlock, reported, killed and reaped; not with sort" { subprocess_communicate_deadlock c; }
@test "subprocess_communicate.py -m naive: the deadlock, reported, killed and reaped; not with sort" { subprocess_communicate_deadlock py; }

# A command that stops reading early: EPIPE, not death by SIGPIPE. (Python's
# communicate() swallows the EPIPE: only the C program and the naive modes
# report it.)
subprocess_communicate_epipe() {
    local impl=$1
    run_impl "$impl" $CH subprocess_communicate -- head -c 10
    assert_success
    assert_line --regexp '^Received 10 bytes\.$'
    [ "${lines[-1]}" = "Exit code: 0" ] || fail_run "head ended well"
    if [ "$impl" = c ]; then
        assert_line --regexp '^EPIPE: the command stopped reading after [0-9]+ of 1048576 bytes; SIGPIPE is ignored, so write\(\) said so instead of killing us$'
    fi
    run_impl "$impl" $CH subprocess_communicate -m naive -- head -c 10
    assert_success
    assert_line --regexp '^EPIPE: the command stopped reading after [0-9]+ of 1048576 bytes'
    assert_line --regexp '^Received 10 bytes\.$'
}

@test "subprocess_communicate: a command that stops reading gives EPIPE, handled" { subprocess_communicate_epipe c; }
@test "subprocess_communicate.py: a command that stops reading gives EPIPE, handled" { subprocess_communicate_epipe py; }

# The parent ignores SIGPIPE; the command must not inherit that, nor fds.
subprocess_communicate_inheritance() {
    local impl=$1 out="$BATS_TEST_TMPDIR/report"
    run_impl "$impl" $CH subprocess_communicate -i /dev/null -o "$out" -- "$(probe)" 5</dev/null 7>/dev/null
    assert_success
    assert_clean_inheritance "$(cat "$out")"$'\n'
    run_failing "$impl" subprocess_communicate -- no-such-command-wb10
    assert_failure 127
    run_impl "$impl" $CH subprocess_communicate -i "$BATS_TEST_TMPDIR/no-such-file"
    assert_failure 1
    [[ $stderr =~ ^subprocess_communicate(\.py)?:\ open\ .*/no-such-file:\ ENOENT\ \(No\ such\ file\ or\ directory\)$ ]] || fail_run "a missing input file: one line"
}

@test "subprocess_communicate: fds 0 1 2 only, SIGPIPE not ignored; errors" { subprocess_communicate_inheritance c; }
@test "subprocess_communicate.py: fds 0 1 2 only, SIGPIPE not ignored; errors" { subprocess_communicate_inheritance py; }

# ---- subprocess_timeout -----------------------------------------------------------
# Killed, reported, reaped: the pid it names is gone when it returns.
subprocess_timeout_default() {
    local impl=$1 pid
    # -g 5: a grace of 5 s for sleep to die of SIGTERM, so that no SIGKILL
    # is ever needed, however loaded the machine (the default grace is 1 s).
    run_impl "$impl" $CH subprocess_timeout -g 5
    assert_failure 1                     # it had to be killed
    [ "${lines[0]}" = "Running ['sleep', '3'] with a timeout of 1 seconds" ] || fail_run "header"
    pid=$(capture '^Started pid ([0-9]+), the leader of its own process group$')
    assert_before '^Started pid' "^Command '\['sleep', '3'\]' timed out after 1 seconds$"
    assert_before "timed out after" "^Sent SIGTERM to process group $pid$"
    assert_before "^Sent SIGTERM" "^Reaped pid $pid$"
    refute_line --regexp 'SIGKILL'
    [ "${lines[-1]}" = "Exit code: -15 (SIGTERM)" ] || fail_run "killed by SIGTERM"
    ! kill -0 "$pid" 2>/dev/null || fail_run "pid $pid still exists"
}

@test "subprocess_timeout: sleep 3 killed after 1 s, reported, reaped" { subprocess_timeout_default c; }
@test "subprocess_timeout.py: sleep 3 killed after 1 s, reported, reaped" { subprocess_timeout_default py; }

# A shell that ignores SIGTERM, with a sleep of its own: SIGKILL after the
# grace period, to the whole group. Were the sleep left alive, it would
# hold our stdout open for 30 s and the run would time out. The shell has
# the 1 s before the deadline to set its trap; the grace is short, since
# both ignore SIGTERM and no margin helps them.
subprocess_timeout_kill() {
    local impl=$1 pid
    run_impl "$impl" $CH subprocess_timeout -t 1 -g 0.1 -- sh -c 'trap "" TERM; sleep 30; echo never'
    assert_failure 1
    pid=$(capture '^Started pid ([0-9]+), ')
    assert_line --regexp "^Command '.*' timed out after 1 seconds$"
    assert_before "^Sent SIGTERM to process group $pid$" "^Still running 0\.1 s after SIGTERM: sent SIGKILL to process group $pid$"
    assert_before "^Still running" "^Reaped pid $pid$"
    [ "${lines[-1]}" = "Exit code: -9 (SIGKILL)" ] || fail_run "killed by SIGKILL"
    refute_line --regexp "^never$"
    ! kill -0 "$pid" 2>/dev/null || fail_run "pid $pid still exists"

    # The plain case: the shell's background sleep dies with the group.
    run_impl "$impl" $CH subprocess_timeout -t 0.5 -- sh -c 'sleep 30 & wait; echo never'
    assert_failure 1
    [ "${lines[-1]}" = "Exit code: -15 (SIGTERM)" ] || fail_run "killed by SIGTERM"
    refute_line --regexp "^never$"
}

@test "subprocess_timeout: SIGTERM ignored: SIGKILL to the group, children included" { subprocess_timeout_kill c; }
@test "subprocess_timeout.py: SIGTERM ignored: SIGKILL to the group, children included" { subprocess_timeout_kill py; }

subprocess_timeout_in_time() {
    local impl=$1
    run_impl "$impl" $CH subprocess_timeout -t 30 -- sh -c 'exit 5'
    assert_failure 5
    [ "${lines[-1]}" = "Exit code: 5" ] || fail_run "exit code 5"
    refute_line --regexp 'timed out|^Sent'
    run_impl "$impl" $CH subprocess_timeout -t 30 -- "$(probe)" 5</dev/null 7>/dev/null
    assert_success
    assert_clean_inheritance "$output"$'\n'
    run_failing "$impl" subprocess_timeout -- no-such-command-wb10
    assert_failure 127
    [[ $stderr =~ cannot\ run\ \[\'no-such-command-wb10\'\]:\ ENOENT ]] || fail_run "not found"
}

@test "subprocess_timeout: in time: its exit code; fds; cannot run" { subprocess_timeout_in_time c; }
@test "subprocess_timeout.py: in time: its exit code; fds; cannot run" { subprocess_timeout_in_time py; }

# SIGTERM to the program itself: passed on to the command's group, which
# is reaped; then the program dies of SIGTERM too (status 143).
subprocess_timeout_forward() {
    local impl=$1 fifo="$BATS_TEST_TMPDIR/fifo" line pid child rest st=0
    [ "$impl" = c ] || need_python
    program_command "$impl" "$CH" subprocess_timeout
    local -a cmd=("${WB_CMD[@]}")
    mkfifo "$fifo"
    "${cmd[@]}" -t 60 -- sh -c 'sleep 60; echo never' > "$fifo" 2>&1 &
    pid=$!
    exec 8< "$fifo"
    read -r -t 20 line <&8 || fail_run "no Running line"
    read -r -t 20 line <&8 || fail_run "no Started line"
    [[ $line =~ ^Started\ pid\ ([0-9]+), ]] || { exec 8<&-; kill "$pid"; fail_run "unexpected: $line"; }
    child=${BASH_REMATCH[1]}
    kill -TERM "$pid"
    rest=$(timeout 20 cat <&8)
    exec 8<&-
    wait "$pid" || st=$?
    output=$rest
    status=$st
    [ "$st" -eq 143 ] || fail_run "expected to die of SIGTERM (143), got $st: $rest"
    [[ $rest == *"Got SIGTERM: passing it on"* ]] || fail_run "the signal reported"
    [[ $rest == *"Sent SIGTERM to process group $child"* ]] || fail_run "passed on to the group"
    [[ $rest == *"Reaped pid $child"* ]] || fail_run "the command reaped"
    [[ $rest == *"Exit code: -15 (SIGTERM)" ]] || fail_run "the command died of SIGTERM"
    [[ $rest != *never* ]] || fail_run "the command ran on"
    ! kill -0 "$child" 2>/dev/null || fail_run "pid $child still exists"
}

@test "subprocess_timeout: SIGTERM to it is passed on, the command reaped, then it dies" { subprocess_timeout_forward c; }
@test "subprocess_timeout.py: SIGTERM to it is passed on, the command reaped, then it dies" { subprocess_timeout_forward py; }

# ---- subprocess_shell -------------------------------------------------------------
subprocess_shell_checks() {
    run_impl "$1" $CH subprocess_shell
    assert_success
    local expected
    expected=$(cat <<'EOF'
The text: 'hello; echo INJECTED'
1. argument vector, no shell:
   argv: ['echo', 'hello; echo INJECTED']
   | hello; echo INJECTED
   -> exit code 0: the text stayed data
2. the text pasted into a shell command line:
   argv: ['/bin/sh', '-c', 'echo hello; echo INJECTED']
   | hello
   | INJECTED
   -> exit code 0: the shell treated the text as code
3. a fixed shell script, the text as "$1":
   argv: ['/bin/sh', '-c', 'printf \'%s\\n\' "$1"', 'sh', 'hello; echo INJECTED']
   | hello; echo INJECTED
   -> exit code 0: the text stayed data
4. a list with shell=True (the tutorial's mistake):
   argv: ['/bin/sh', '-c', 'echo', 'hello; echo INJECTED']
   | 
   -> exit code 0: the text was not used: the list's other items became $0, $1...
EOF
)
    [ "$output" = "$expected" ] || fail_run "the output differs from the expected one: $(diff <(echo "$expected") <(echo "$output"))"
    # Spelled out: INJECTED ran as a command in case 2, and only there.
    assert_count 1 '^   \| INJECTED$'
    assert_before '^2\. ' '^   \| INJECTED$'
    assert_before '^   \| INJECTED$' '^3\. '
    assert_count 2 '^   \| hello; echo INJECTED$'

    # Command substitution and a lone quote, in each form.
    run_impl "$1" $CH subprocess_shell -w 'today is $(echo SUBSTITUTED)'
    assert_success
    assert_count 2 '^   \| today is \$\(echo SUBSTITUTED\)$'
    assert_count 1 '^   \| today is SUBSTITUTED$'
    assert_before '^2\. ' '^   \| today is SUBSTITUTED$'
    assert_before '^   \| today is SUBSTITUTED$' '^3\. '
    assert_count 2 'the text stayed data$'
    run_impl "$1" $CH subprocess_shell -w "it's"
    assert_success
    assert_count 2 "^   \\| it's$"
    assert_line --regexp '^   -> exit code 2: the shell treated the text as code$'
}

@test "subprocess_shell: the payload stays data in an argv, runs in a shell string; command substitution and a lone quote" { subprocess_shell_checks c; }
@test "subprocess_shell.py: the payload stays data in an argv, runs in a shell string; command substitution and a lone quote" { subprocess_shell_checks py; }

# ---- subprocess_pipeline (issue 19) ------------------------------------------------
# Each child's pid from its "Started" line; after the run, neither may exist.
pipeline_pids() {
    WRITER=$(capture '^Started the writer, pid ([0-9]+): ')
    READER=$(capture '^Started the reader, pid ([0-9]+): ')
}

assert_pipeline_gone() {
    ! kill -0 "$WRITER" 2>/dev/null || fail_run "the writer, pid $WRITER, still exists"
    ! kill -0 "$READER" 2>/dev/null || fail_run "the reader, pid $READER, still exists"
}

# The reader sees every line (wc -l counts them: 5, then more than a pipe
# holds), both exit codes come after the output, the reader's is ours.
subprocess_pipeline_close() {
    local impl=$1
    run_impl "$impl" $CH subprocess_pipeline
    assert_success
    [ "${lines[0]}" = "Pipeline: ['awk', 'BEGIN { for (i = 1; i <= 5; i++) print \"line \" i }'] | ['wc', '-l']" ] || fail_run "the Pipeline line first"
    pipeline_pids
    assert_before '^Started the writer' '^Started the reader'
    assert_before '^Started the reader' '^Closed our copies of both ends of the pipe$'
    assert_before '^Closed our copies' '^\| *5$'
    assert_before '^\| *5$' "^writer, pid $WRITER: exit code 0$"
    [ "${lines[-1]}" = "reader, pid $READER: exit code 0" ] || fail_run "the reader's exit code last"
    assert_count 1 '^\| '
    assert_pipeline_gone

    run_impl "$impl" $CH subprocess_pipeline -c 100000
    assert_success
    assert_line --regexp '^\| *100000$'
    run_impl "$impl" $CH subprocess_pipeline -- sh -c 'echo one; echo two; exit 3' '|' sh -c 'cat; exit 4'
    assert_failure 4
    assert_lines_any_order '| one' '| two'
    assert_line --regexp '^writer, pid [0-9]+: exit code 3$'
    assert_line --regexp '^reader, pid [0-9]+: exit code 4$'
}

@test "subprocess_pipeline: the reader sees every line of the writer (5, then 100000); both exit codes, reaped" { subprocess_pipeline_close c; }
@test "subprocess_pipeline.py: the reader sees every line of the writer (5, then 100000); both exit codes, reaped" { subprocess_pipeline_close py; }

# yes | head -n 3: head ends, and yes dies of SIGPIPE at its next write
# (every read end is closed): -13, which a shell shows as 141. Also when
# the program was started with SIGPIPE ignored: the command gets it back.
subprocess_pipeline_sigpipe() {
    local impl=$1
    run_impl "$impl" $CH subprocess_pipeline -- yes '|' head -n 3
    assert_success
    assert_count 3 '^\| y$'
    assert_line --regexp '^writer, pid [0-9]+: exit code -13 \(SIGPIPE; a shell would show 141\)$'
    assert_line --regexp '^reader, pid [0-9]+: exit code 0$'
    pipeline_pids
    assert_pipeline_gone
    program_command "$impl" "$CH" subprocess_pipeline
    run_limited sh -c 'trap "" PIPE; exec "$@" -- yes "|" head -n 1' sh "${WB_CMD[@]}"
    assert_success
    assert_line --regexp '^writer, pid [0-9]+: exit code -13 \(SIGPIPE; a shell would show 141\)$'
}

@test "subprocess_pipeline: yes | head -n 3: yes dies of SIGPIPE (-13), also when we were started with it ignored" { subprocess_pipeline_sigpipe c; }
@test "subprocess_pipeline.py: yes | head -n 3: yes dies of SIGPIPE (-13), also when we were started with it ignored" { subprocess_pipeline_sigpipe py; }

# -m leak: our copy of the write end keeps wc from seeing end of file, and
# our copy of the read end keeps yes from getting SIGPIPE; each is reported
# after the timeout, then the copies are closed and everything is reaped.
subprocess_pipeline_leak() {
    local impl=$1
    run_impl "$impl" $CH subprocess_pipeline -m leak
    assert_failure 1
    pipeline_pids
    assert_before '^Kept our copies of both ends of the pipe \(the mistake\)$' \
        '^After 1 s the reader still runs: it never saw end of file, as we hold a copy of the write end$'
    assert_before '^After 1 s the reader' '^Closed our copies of both ends of the pipe: now it ends$'
    assert_before '^Closed our copies' '^\| *5$'
    refute_line --regexp '^After .* the writer'
    assert_line "writer, pid $WRITER: exit code 0"
    [ "${lines[-1]}" = "reader, pid $READER: exit code 0" ] || fail_run "the reader's exit code last"
    assert_pipeline_gone

    run_impl "$impl" $CH subprocess_pipeline -m leak -t 2 -- yes '|' head -n 3
    assert_failure 1
    pipeline_pids
    assert_before '^After 2 s the writer runs on, its reader gone: no SIGPIPE, as we hold a copy of the read end$' \
        '^Closed our copies of both ends of the pipe: now it ends$'
    assert_before '^Closed our copies' "^writer, pid $WRITER: exit code -13 \\(SIGPIPE"
    assert_count 3 '^\| y$'
    assert_pipeline_gone
}

@test "subprocess_pipeline -m leak: the reader never sees EOF, the writer never gets SIGPIPE; reported after the timeout, all reaped" { subprocess_pipeline_leak c; }
@test "subprocess_pipeline.py -m leak: the reader never sees EOF, the writer never gets SIGPIPE; reported after the timeout, all reaped" { subprocess_pipeline_leak py; }

# SIGTERM to the program while it waits (-m leak, a long timeout): passed
# on to both commands, both reaped, then it dies of SIGTERM (143).
subprocess_pipeline_sigterm() {
    local impl=$1 fifo="$BATS_TEST_TMPDIR/fifo" line pid rest st=0
    [ "$impl" = c ] || need_python
    program_command "$impl" "$CH" subprocess_pipeline
    mkfifo "$fifo"
    "${WB_CMD[@]}" -m leak -t 60 > "$fifo" 2>&1 &
    pid=$!
    exec 8< "$fifo"
    rest=
    while read -r -t 20 line <&8; do
        rest+=$line$'\n'
        [[ $line != "Kept our copies"* ]] || break
    done
    [[ $line == "Kept our copies"* ]] || { exec 8<&-; kill "$pid"; output=$rest; fail_run "no Kept line"; }
    kill -TERM "$pid"
    rest+=$(timeout 20 cat <&8)
    exec 8<&-
    wait "$pid" || st=$?
    output=$rest status=$st
    mapfile -t lines <<<"$rest"
    [ "$st" -eq 143 ] || fail_run "expected to die of SIGTERM (143)"
    pipeline_pids
    assert_before '^Got SIGTERM: stopping the pipeline$' '^Reaped the writer and the reader$'
    refute_line --regexp '^After '
    assert_pipeline_gone
}

@test "subprocess_pipeline: SIGTERM to it stops and reaps both commands, then it dies of SIGTERM" { subprocess_pipeline_sigterm c; }
@test "subprocess_pipeline.py: SIGTERM to it stops and reaps both commands, then it dies of SIGTERM" { subprocess_pipeline_sigterm py; }

# ---- subprocess_check (issue 19) ---------------------------------------------------
# The whole default run: nothing in it depends on timing or pids.
subprocess_check_default() {
    local expected
    run_impl "$1" $CH subprocess_check
    assert_success
    expected=$(cat <<'EOF2'
1. check=True, capture_output=True: a command that fails raises CalledProcessError
   argv: ['sh', '-c', 'echo "disk full" >&2; exit 3']
   CalledProcessError:
   Command '['sh', '-c', 'echo "disk full" >&2; exit 3']' returned non-zero exit status 3.
   returncode = 3, stdout = '', stderr = 'disk full\n'
2. env= and cwd=: the child's environment and working folder, not ours
   argv: ['sh', '-c', 'echo "WB_GREETING=$WB_GREETING, in $(pwd)"']
   env: a copy of ours plus WB_GREETING='hello'; cwd='/'
   | WB_GREETING=hello, in /
   parent: WB_GREETING not set, working folder unchanged: yes
3. stdout=DEVNULL: what the command prints goes nowhere
   argv: ['sh', '-c', 'echo nobody will read this']
   exit code 0; nothing came to us (its stdout was /dev/null)
4. stdout=PIPE, stderr=PIPE: two pipes, read together with poll (communicate)
   awk writes 20000 lines to each, in turn
   stdout: 20000 lines, 188894 bytes; stderr: 20000 lines, 188894 bytes; exit code 0
EOF2
)
    [ "$output" = "$expected" ] || fail_run "the output differs from the expected one: $(diff <(echo "$expected") <(echo "$output"))"
    [ -z "$stderr" ] || fail_run "nothing on stderr: the command's went into the pipe"
}

@test "subprocess_check: CalledProcessError with status and stderr; env= and cwd= seen by the child only; DEVNULL; both pipes read at once" { subprocess_check_default c; }
@test "subprocess_check.py: CalledProcessError with status and stderr; env= and cwd= seen by the child only; DEVNULL; both pipes read at once" { subprocess_check_default py; }

# check=True with other endings: another status with output on both
# streams, a death by signal (Python's message names the signal), success.
# env=: the parent's own WB_GREETING stays its own. Part 4 with 100000
# lines on each stream: 600 KiB apiece, many pipefuls, nothing lost.
subprocess_check_more() {
    local impl=$1 bytes
    run_impl "$impl" $CH subprocess_check -c 100000 -- sh -c 'echo out; echo err >&2; exit 5'
    assert_success
    assert_line "   Command '['sh', '-c', 'echo out; echo err >&2; exit 5']' returned non-zero exit status 5."
    assert_line "   returncode = 5, stdout = 'out\\n', stderr = 'err\\n'"
    bytes=$(awk 'BEGIN { for (i = 1; i <= 100000; i++) n += length("out " i) + 1; print n }')
    assert_line "   stdout: 100000 lines, $bytes bytes; stderr: 100000 lines, $bytes bytes; exit code 0"

    run_impl "$impl" $CH subprocess_check -c 1 -- sh -c 'kill -TERM $$'
    assert_success
    assert_line "   Command '['sh', '-c', 'kill -TERM \$\$']' died with <Signals.SIGTERM: 15>."
    assert_line --regexp '^   returncode = -15, '

    WB_GREETING=outer run_impl "$impl" $CH subprocess_check -c 1 -- true
    assert_success
    assert_line '   returned 0: no exception, a CompletedProcess'
    refute_line --regexp 'CalledProcessError:$'
    assert_line '   | WB_GREETING=hello, in /'
    assert_line "   parent: WB_GREETING = 'outer', working folder unchanged: yes"

    run_failing "$impl" subprocess_check -- no-such-command-wb10
    assert_failure 127
    [[ $stderr == *"cannot run ['no-such-command-wb10']: ENOENT"* ]] || fail_run "not found: named as such"
}

@test "subprocess_check: other statuses, a signal, success; the parent's own variable; 100000 lines on each stream; cannot run" { subprocess_check_more c; }
@test "subprocess_check.py: other statuses, a signal, success; the parent's own variable; 100000 lines on each stream; cannot run" { subprocess_check_more py; }

# ---- subprocess_group (issue 19) ---------------------------------------------------
# assert_tree_gone PID...: none of them is running once the program has
# ended. The orphaned sleeps are not the program's to reap: whoever adopted
# them (init, a subreaper) may leave them zombies, which have ended. End
# of file told the program that each had closed its files, which a process
# does while it exits: the test waits, bounded, for the last steps.
assert_tree_gone() {
    local pid state tries=100 running
    while :; do
        running=
        for pid in "$@"; do
            kill -0 "$pid" 2>/dev/null || continue
            state=$(ps -o stat= -p "$pid" 2>/dev/null) || continue
            [[ $state == Z* ]] || running+=" $pid ($state)"
        done
        [ -n "$running" ] || return 0
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || fail_run "still running:$running"
        sleep 0.05
    done
}

# Every pid the run printed: the two shells and their four sleeps.
group_pids() {
    printf '%s\n' "$output" | sed -nE 's/^   sh, pid ([0-9]+):.*/\1/p; s/^   its children: sleep ([0-9]+), sleep ([0-9]+)$/\1 \2/p'
}

subprocess_group_default() {
    local impl=$1 sh1 sh2 s1 s2 pids
    run_impl "$impl" $CH subprocess_group
    assert_success
    [ "${lines[0]}" = "Command: ['sh', '-c', 'sleep 30 & echo \$!; sleep 30 & echo \$!; wait']" ] || fail_run "the command first"
    sh1=$(capture '^   sh, pid ([0-9]+): process group [0-9]+ \(ours: [0-9]+\), session ')
    # Part 1: its own group (its pid), our session.
    assert_line --regexp "^   sh, pid $sh1: process group $sh1 \\(ours: [0-9]+\\), session ([0-9]+) \\(ours: \\1\\)$"
    [[ $(capture '^   (its children: .*)$') =~ sleep\ ([0-9]+),\ sleep\ ([0-9]+) ]] || fail_run "the children line"
    s1=${BASH_REMATCH[1]} s2=${BASH_REMATCH[2]}
    assert_before '^1\. process_group=0' "^   its children: sleep $s1, sleep $s2$"
    assert_before "^   its children: sleep $s1," "^   kill\\($sh1, SIGTERM\\), the shell alone: exit code -15 \\(SIGTERM\\), reaped$"
    assert_before "^   kill\\($sh1, " "^   sleep $s1: still running, an orphan now$"
    assert_before "^   sleep $s1: still running" "^   sleep $s2: still running, an orphan now$"
    assert_before "^   sleep $s2: still running" "^   kill\\(-$sh1, SIGTERM\\), the whole group \\(os\\.killpg\\): the rest of it$"
    assert_before "^   kill\\(-$sh1, " '^   end of file on their stdout: every process of the tree has ended$'
    assert_before '^   end of file' '^2\. start_new_session=True'
    # Part 2: its own session too.
    sh2=$(printf '%s\n' "$output" | sed -nE 's/^   sh, pid ([0-9]+):.*/\1/p' | tail -n 1)
    [ "$sh2" != "$sh1" ] || fail_run "two shells"
    assert_line --regexp "^   sh, pid $sh2: process group $sh2 \\(ours: [0-9]+\\), session $sh2 \\(ours: [0-9]+\\)$"
    assert_before '^2\. ' "^   kill\\(-$sh2, SIGTERM\\), the whole group: sh and both sleeps at once$"
    [ "${lines[-1]}" = "   sh: exit code -15 (SIGTERM), reaped; end of file: every process of the tree has ended" ] || fail_run "the end"
    pids=$(group_pids)
    [ "$(echo $pids | wc -w)" -eq 6 ] || fail_run "six pids: $pids"
    # shellcheck disable=SC2086
    assert_tree_gone $pids
}

@test "subprocess_group: kill() of the shell leaves its sleeps running; the group's kill ends them all; setsid: a session of its own; nothing left" { subprocess_group_default c; }
@test "subprocess_group.py: kill() of the shell leaves its sleeps running; the group's kill ends them all; setsid: a session of its own; nothing left" { subprocess_group_default py; }

# A signal to the program alone (SIGTERM, or SIGINT as a kill(1) would send
# it; make check sends SIGINT to its group too), once the first tree is up,
# and again in part 2: SIGKILL to the command's group, every process of it
# gone, then the program dies of the same signal (128 + N).
subprocess_group_signal() {
    local impl=$1 sig=$2 after=$3 want=$4 fifo="$BATS_TEST_TMPDIR/fifo.$2.$3" line pid rest n=0 st=0
    [ "$impl" = c ] || need_python
    program_command "$impl" "$CH" subprocess_group
    mkfifo "$fifo"
    WORKBOOK_PACE=1 "${WB_CMD[@]}" > "$fifo" 2>&1 &
    pid=$!
    exec 8< "$fifo"
    rest=
    while read -r -t 20 line <&8; do
        rest+=$line$'\n'
        [[ $line != "its children:"* ]] || { n=$((n + 1)); [ "$n" -lt "$after" ] || break; }
    done
    [ "$n" -eq "$after" ] || { exec 8<&-; kill "$pid"; output=$rest; fail_run "no children line $after"; }
    kill -"$sig" "$pid"
    rest+=$(timeout 20 cat <&8)
    exec 8<&-
    wait "$pid" || st=$?
    output=$rest status=$st
    [ "$st" -eq "$want" ] || fail_run "expected to die of SIG$sig ($want)"
    [[ $rest == *"Got SIG$sig: SIGKILL to the command's process group"$'\n'"Nothing of the tree is left; reaped the shell"* ]] || fail_run "reported, in order"
    # shellcheck disable=SC2046
    assert_tree_gone $(printf '%s\n' "$rest" | sed -nE 's/^sh, pid ([0-9]+):.*/\1/p; s/^its children: sleep ([0-9]+), sleep ([0-9]+)$/\1 \2/p')
}

@test "subprocess_group: SIGTERM or SIGINT to it: the tree killed, nothing left, then it dies of the signal" {
    subprocess_group_signal c TERM 1 143
    subprocess_group_signal c INT 2 130
}
@test "subprocess_group.py: SIGTERM or SIGINT to it: the tree killed, nothing left, then it dies of the signal" {
    subprocess_group_signal py TERM 1 143
    subprocess_group_signal py INT 2 130
}

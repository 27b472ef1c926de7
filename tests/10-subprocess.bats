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
    run_failing "$impl" $CH subprocess_call -- no-such-command-wb10
    assert_failure 127
    assert_count 1 '.'                  # the Running line only: nothing ran
    [[ $stderr =~ ^subprocess_call(\.py)?:\ cannot\ run\ \[\'no-such-command-wb10\'\]:\ ENOENT\ \(No\ such\ file\ or\ directory\)$ ]] || fail_run "not found: named as such"
    run_impl "$impl" $CH subprocess_call -- "$nx"
    assert_failure 126
    [[ $stderr =~ cannot\ run\ \[\'$nx\'\]:\ EACCES\ \(Permission\ denied\)$ ]] || fail_run "not executable: named as such"
    run_impl "$impl" $CH subprocess_call -- /
    assert_failure 126
    [[ $stderr =~ cannot\ run\ \[\'/\'\]:\ EACCES ]] || fail_run "a directory cannot be run"
    run_failing "$impl" $CH subprocess_call -m spawn -- no-such-command-wb10
    assert_failure 127
    [[ $stderr == *"cannot run ['no-such-command-wb10']: ENOENT"* || ${lines[-1]} == "Exit code: 127" ]] || fail_run "spawn: not found reported"
    # Reported as an error: 126. Reported only by the child's exit
    # status: 127 for every failure (glibc under valgrind, whose
    # emulated vfork hides the error the child leaves in shared memory).
    run_failing "$impl" $CH subprocess_call -m spawn -- "$nx"
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
    run_failing "$impl" $CH subprocess_output -- no-such-command-wb10
    assert_cannot_run "$impl" 127 "['no-such-command-wb10']: ENOENT"
    run_failing "$impl" $CH subprocess_output -- "$nx"
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
    run_failing "$impl" $CH subprocess_communicate -- no-such-command-wb10
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
    run_failing "$impl" $CH subprocess_timeout -- no-such-command-wb10
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

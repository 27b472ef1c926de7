#!/usr/bin/env bats
# Chapter 10: subprocess, the second part: pipelines and SIGPIPE, run()'s
# check=True and keywords, killing a whole process tree. A file of its own
# so that it runs beside the first part (tests/10-subprocess.bats).

load test_helper

CH=10-subprocess

# ---- subprocess_pipeline ---------------------------------------------------
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

# ---- subprocess_check ------------------------------------------------------
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

    run_failing "$impl" $CH subprocess_check -- no-such-command-wb10
    assert_failure 127
    [[ $stderr == *"cannot run ['no-such-command-wb10']: ENOENT"* ]] || fail_run "not found: named as such"
}

@test "subprocess_check: other statuses, a signal, success; the parent's own variable; 100000 lines on each stream; cannot run" { subprocess_check_more c; }
@test "subprocess_check.py: other statuses, a signal, success; the parent's own variable; 100000 lines on each stream; cannot run" { subprocess_check_more py; }

# ---- subprocess_group ------------------------------------------------------
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

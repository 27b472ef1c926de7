#!/usr/bin/env bats
# make check's own tools, and the fuzz targets' inputs replayed without
# libFuzzer: every seed of tests/fuzz/corpus/NAME and every input of
# tests/fuzz/regress/NAME (inputs that once broke something) must pass, on
# every run of the suite, under valgrind and the sanitizers too.

load test_helper

setup_file() {
    export TOOLS="$BATS_FILE_TMPDIR/tools"
    mkdir -p "$TOOLS"
}

# build_replay NAME INCLUDE-DIR SOURCES...: the target NAME with the replay
# driver, built with the suite's compiler; with the sanitizers when the
# suite runs against the sanitizer build (WB_BIN_ROOT set elsewhere).
build_replay() {
    local name=$1 inc=$2 flags=(-std=c11 -g -O1 -Wall -Wextra)
    shift 2
    [ "$WB_BIN_ROOT" = "$WB_ROOT" ] || [ -n "$WB_WRAP" ] || flags+=(-fsanitize=address,undefined -fno-sanitize-recover=undefined)
    local src=()
    for s in "$@"; do src+=("$WB_ROOT/$s"); done
    "${CC:-cc}" "${flags[@]}" -I"$WB_ROOT/$inc" -o "$TOOLS/$name" \
        "$WB_ROOT/tests/fuzz/${name}_fuzz.c" "$WB_ROOT/tests/fuzz/replay.c" "${src[@]}" -lm \
        || fail_run "cannot build the $name fuzz target's replay driver"
}

replay_inputs() {
    local name=$1 inputs=()
    for f in "$WB_ROOT/tests/fuzz/corpus/$name"/* "$WB_ROOT/tests/fuzz/regress/$name"/*; do
        [ -f "$f" ] && inputs+=("$f")
    done
    [ "${#inputs[@]}" -gt 0 ] || fail_run "no inputs for $name"
    # shellcheck disable=SC2086  # WB_WRAP is a command line of its own
    run_limited $WB_WRAP "$TOOLS/$name" "${inputs[@]}"
    assert_success
    [ "${lines[0]}" = "replayed ${#inputs[@]} inputs" ] || fail_run "expected ${#inputs[@]} inputs replayed"
}

@test "fuzz regression: the frame decoder passes every seed and regression input" {
    build_replay frame common common/frame.c common/say.c
    replay_inputs frame
}

@test "fuzz regression: the manager's request parser passes every seed and regression input" {
    build_replay request chapters/09-manager chapters/09-manager/protocol.c chapters/09-manager/repr.c
    replay_inputs request
}

# ---- the checker's runner: it must see what it is there to see ------------
build_wbrun() {
    wbrun_built
    "${CC:-cc}" -std=c11 -O1 -g -Wall -Wextra -o "$TOOLS/fdshim" "$WB_ROOT/tests/check/fdshim.c" \
        || fail_run "cannot build fdshim"
}

@test "wbrun: a clean program leaves nothing, and the signal comes after the line asked for" {
    build_wbrun
    run_limited "$WB_WBRUN" -g 2 -k 15 -n 2 -- sh -c 'echo one; echo two; exec sleep 5'
    assert_success
    assert_line --regexp '^leftovers=0$'
    assert_line --regexp '^lines=2$'
    assert_line --regexp '^status=signal:15$'
    assert_line --regexp '^late=0$'
}

@test "wbrun -H: the pipe is closed after the lines asked for, as head does" {
    build_wbrun
    # A writer that never stops: it ends only when its reader has gone.
    run_limited "$WB_WBRUN" -H 2 -o "$BATS_TEST_TMPDIR/out" -- sh -c 'echo one; echo two; while :; do echo more; done'
    assert_success
    assert_line 'status=signal:13'
    assert_line 'leftovers=0'
    [ "$(cat "$BATS_TEST_TMPDIR/out")" = $'one\ntwo' ] || fail_run "kept: $(cat "$BATS_TEST_TMPDIR/out")"
}

@test "wbrun: a process left behind is found, killed and reported" {
    build_wbrun
    run_limited "$WB_WBRUN" -g 0.3 -- sh -c 'sleep 30 & exit 0'
    assert_success
    assert_line --regexp '^leftovers=1$'
    assert_line --regexp '^leftover [0-9]+ . sleep$'
}

@test "wbrun: a process that escaped the session by setsid is still found" {
    command -v setsid >/dev/null || skip "no setsid command"
    [ -d /proc/self ] || skip "wbrun finds escaped processes through /proc (Linux)"
    build_wbrun
    run_limited "$WB_WBRUN" -g 0.3 -- sh -c 'setsid sleep 30 & sleep 0.2; exit 0'
    assert_success
    assert_line --regexp '^leftover [0-9]+ . sleep$'
}

@test "fdshim: a descriptor inherited by an executed command is reported" {
    build_wbrun
    mkdir -p "$TOOLS/shims"
    ln -sf "$TOOLS/fdshim" "$TOOLS/shims/cat"
    # Under wbrun: it hands the shell only 0, 1 and 2 (bats holds others).
    WB_FDLOG=$BATS_TEST_TMPDIR/fdlog WB_SHIM_DIR=$TOOLS/shims PATH="$TOOLS/shims:$PATH" \
        run_limited "$WB_WBRUN" -- sh -c 'cat </dev/null; exec 7</dev/null; cat </dev/null'
    assert_success
    run cat "$BATS_TEST_TMPDIR/fdlog"
    [ "${lines[0]}" = "cat ok" ] || fail_run "first cat: no descriptor beyond 2"
    [ "${lines[1]}" = "cat leaked 7" ] || fail_run "second cat: descriptor 7"
}

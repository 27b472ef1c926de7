# tests/test_helper.bash - shared by every tests/NN-topic.bats.
#
# The common assertions come from bats-assert and bats-support, loaded
# below (assert_success, assert_failure, assert_equal, assert_output,
# assert_line, refute_line, fail: see their READMEs). This file adds only
# what no library has:
# Running:   run_c CHAPTER PROGRAM [ARGS...]      the C program
#            run_py CHAPTER PROGRAM [ARGS...]     its Python twin (skipped
#                                                 without python3)
#            run_impl c|py CHAPTER PROGRAM ...    either, for shared checks
#   Each runs under a time limit with WORKBOOK_PACE=0 (set it in the test to
#   let time pass), and leaves $status, $output, ${lines[@]}, $stderr.
# Ordering:  assert_before A B           every line matching A comes before
#                                        every line matching B
#            assert_lines_any_order L... each exact line present, any order
#            assert_count N RE           exactly N lines match RE
#            max_overlap START END       largest number of intervals open at
#                                        once, counting START lines up, END down
#            values RE REPLACEMENT       each matching line rewritten (\1...)
#            numbers WORDS...            the numbers among them, sorted
# Usage:     assert_usage_error, usage_table: refused arguments
# Head:      head_table: every program ends cleanly when its reader goes;
#            no line over 100 characters
#   (usage_table and head_table serve make check's tables part,
#   tests/check/tables.bats, one test per chapter each.)
# Patterns are extended regular expressions (bash =~), matched against a
# whole line unless they say otherwise: anchor with ^ and $ as needed.

bats_require_minimum_version 1.5.0

# bats-support and bats-assert: Debian's packages (bats-support,
# bats-assert) put them in /usr/lib/bats; tests/bats-run installs pinned
# copies from the npm registry into tests/node_modules where they are not.
# Each library's load.bash only sources its src/*.bash, each through a
# $(dirname ...) that forks, and bats loads them again for every test: the
# files sourced directly cost a few milliseconds a test instead of 150.
#
# Untraced. bats runs a DEBUG trap before each command of a test (it notes
# where a failing test failed); with functrace on (set -T, as bats runs a
# test) also before each command of every function the test calls: about a
# third of a millisecond each on a small machine, so a helper that loops
# over 100 lines cost tens of milliseconds. So the helpers here, and
# bats-assert's, begin with
#     [[ $- != *T* ]] || { local -; set +T; NAME "$@"; return; }
# which calls the helper again with functrace off (`local -` turns it back
# on when the helper returns): the trap still runs for each line of the
# test, which is where a failure is reported, and not for the commands of
# the helpers it calls. (bats-assert's files are given that line once per
# run of bats, into one file that each test then sources, below.)
#
# The folder of this file (tests/): test files load it from there and from
# tests/check/ (make check's tables.bats).
WB_TESTS=${BASH_SOURCE[0]%/*}
wb_libs=${BATS_RUN_TMPDIR:-${BATS_TMPDIR:-/tmp}}/wb-bats-libs.bash
if [ ! -f "$wb_libs" ]; then
    for wb_lib in bats-support bats-assert; do
        for wb_dir in "/usr/lib/bats/$wb_lib" "$WB_TESTS/node_modules/$wb_lib" ""; do
            [ -z "$wb_dir" ] || [ -f "$wb_dir/load.bash" ] && break
        done
        [ -n "$wb_dir" ] || { echo "$wb_lib not found: run the suite with tests/bats-run" >&2; return 1; }
        for wb_src in "$wb_dir"/src/*.bash; do
            wb_text=
            IFS= read -rd '' wb_text <"$wb_src" || true
            # Each file of bats-assert defines the function it is named after.
            wb_name=${wb_src##*/} wb_name=${wb_name%.bash}
            if [ "$wb_lib" = bats-assert ]; then
                wb_line="[[ \$- != *T* ]] || { local -; set +T; $wb_name \"\$@\"; return; }"
                wb_text=${wb_text/$'\n'"$wb_name() {"$'\n'/$'\n'"$wb_name() {"$'\n'"  $wb_line"$'\n'}
            fi
            printf '%s\n' "$wb_text"
        done
    done >"$wb_libs.$$" && mv -f "$wb_libs.$$" "$wb_libs"
    unset wb_lib wb_dir wb_src wb_text wb_name wb_line
fi
# shellcheck disable=SC1090  # the libraries, as written above
source "$wb_libs"
unset wb_libs

# The workbook's top folder, with no fork where this file's path says it.
case $WB_TESTS in
    /*/tests) WB_ROOT=${WB_TESTS%/tests} ;;
    /*/tests/check/..) WB_ROOT=${WB_TESTS%/tests/check/..} ;;
    *) WB_ROOT=$(cd "$WB_TESTS/.." && pwd) ;;
esac
WB_BIN_ROOT=${WB_BIN_ROOT:-$WB_ROOT}
WB_TIMEOUT_SCALE=${WB_TIMEOUT_SCALE:-1}
WB_TIMEOUT=${WB_TIMEOUT:-20}
WB_WRAP=${WB_WRAP:-}
# The Python that runs the twins: setup_suite.bash finds python3's own path.
# The suite starts it with -S (no site module): the twins and the tools use
# the standard library alone, and site-packages is then neither searched nor
# run. (A .pth file there runs code at every start: on the machine this was
# measured on, one imported a third-party package, 50 of a start's 70 ms.)
WB_PYTHON=${WB_PYTHON:-python3}

# The sanitizer build reports through these; a report fails the test.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:exitcode=86:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=87}
export WORKBOOK_PACE=0
export PYTHONDONTWRITEBYTECODE=1
# Python buffers stdout into a pipe unless this is set: the twins are tested
# as a student runs them, with the default buffering.
unset PYTHONUNBUFFERED
export LC_ALL=C

# The wrong output is the best diagnosis: print it when a check fails.
# fail_run MESSAGE: bats-support's fail, with what the last run printed
# (stdout and stderr apart): the wrong output is the best diagnosis.
fail_run() {
    [[ $- != *T* ]] || { local -; set +T; fail_run "$@"; return; }
    fail "$(printf '%s\n--- status: %s\n--- stdout:\n%s\n--- stderr:\n%s' \
        "$*" "${status-}" "${output-}" "${stderr-}")"
}

# time_limit NAME [FACTOR]: sets NAME to a run's time limit in whole
# seconds: FACTOR (1 by default) x WB_TIMEOUT x WB_TIMEOUT_SCALE. No fork
# when both factors are 1.
time_limit() {
    [[ $- != *T* ]] || { local -; set +T; time_limit "$@"; return; }
    if [ "${2:-1}" = 1 ] && [ "$WB_TIMEOUT_SCALE" = 1 ]; then
        printf -v "$1" '%s' "$WB_TIMEOUT"
    else
        printf -v "$1" '%s' "$(awk -v f="${2:-1}" -v t="$WB_TIMEOUT" -v s="$WB_TIMEOUT_SCALE" \
            'BEGIN { printf "%d", f * t * s }')"
    fi
}

# What a sanitizer or valgrind prints when it finds something: a run that
# printed it fails, whatever its status (here, in tests/usage-table and in
# tests/head-table, which get it from run_table).
WB_REPORT_RE='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|==[0-9]+== '

# refuse_bad_end LIMIT ELAPSED CMD...: after a run of CMD under `timeout`
# (status and stderr set), refuse a hang, a sanitizer report or a valgrind
# error whatever the test expects of the status. (timeout's own status 137
# is also what a program killed by SIGKILL returns: the clock tells the two
# apart.)
refuse_bad_end() {
    [[ $- != *T* ]] || { local -; set +T; refuse_bad_end "$@"; return; }
    local limit=$1 elapsed=$2
    shift 2
    if [ "$status" -eq 124 ] || { [ "$status" -eq 137 ] && [ "$elapsed" -ge "$limit" ]; }; then
        fail_run "timed out after ${limit}s: $*"
    fi
    if [[ ${stderr-} =~ $WB_REPORT_RE ]]; then
        fail_run "sanitizer or valgrind report from: $*"
    fi
}

# run_limited [!] CMD...: run under `timeout`, stdout and stderr apart, then
# refuse_bad_end. With !, the run must fail (bats' `run !`).
run_limited() {
    [[ $- != *T* ]] || { local -; set +T; run_limited "$@"; return; }
    local limit started expect=()
    if [ "$1" = '!' ]; then expect=('!'); shift; fi
    time_limit limit
    started=$SECONDS
    run "${expect[@]}" --separate-stderr timeout -k 5 "$limit" "$@"
    refuse_bad_end "$limit" $((SECONDS - started)) "$@"
}

run_c() {
    [[ $- != *T* ]] || { local -; set +T; run_c "$@"; return; }
    local chapter=$1 program=$2
    shift 2
    local path="$WB_BIN_ROOT/chapters/$chapter/$program"
    [ -x "$path" ] || fail_run "not built: $path (run make first)"
    # shellcheck disable=SC2086  # WB_WRAP is a command line of its own
    run_limited $WB_WRAP "$path" "$@"
}

# program_command c|py CHAPTER PROGRAM: sets the array WB_CMD to the command
# that runs the C program (under WB_WRAP) or its twin, for a test that
# starts it itself (in the background, or with a time limit of its own).
program_command() {
    if [ "$1" = py ]; then
        WB_CMD=("$WB_PYTHON" -S "$WB_ROOT/chapters/$2/$3.py")
    else
        read -ra WB_CMD <<<"$WB_WRAP"
        WB_CMD+=("$WB_BIN_ROOT/chapters/$2/$3")
    fi
}

# twins_checked: the twins are checked (python3 is there, make test runs
# them); need_python skips a test, saying which is not so.
twins_checked() {
    [ "${WB_TWINS:-}" != skip ] && command -v "$WB_PYTHON" >/dev/null 2>&1
}

need_python() {
    [ "${WB_TWINS:-}" != skip ] || skip "Python twins are checked by make test, not here"
    command -v "$WB_PYTHON" >/dev/null 2>&1 || skip "python3 is not installed: the Python twins are not checked"
}

# other_python V: sets WB_OTHER to a Python V that runs (python3.12 in the
# PATH, or the one WB_PYTHON312 names), or skips the test: the twins are
# checked under the Pythons students have, where this machine has them.
other_python() {
    local var="WB_PYTHON${1//./}"
    need_python
    WB_OTHER=${!var:-python$1}
    "$WB_OTHER" -S -c "import sys; sys.exit('%d.%d' % sys.version_info[:2] != '$1')" 2>/dev/null ||
        skip "no Python $1 runs here (python$1 in the PATH, or set $var): not checked"
}

run_py() {
    [[ $- != *T* ]] || { local -; set +T; run_py "$@"; return; }
    local chapter=$1 program=$2
    shift 2
    need_python
    run_limited "$WB_PYTHON" -S "$WB_ROOT/chapters/$chapter/$program.py" "$@"
}

run_impl() {
    [[ $- != *T* ]] || { local -; set +T; run_impl "$@"; return; }
    local impl=$1
    shift
    case $impl in
        c) run_c "$@" ;;
        py) run_py "$@" ;;
        *) fail_run "run_impl: c or py, not '$impl'" ;;
    esac
}

# run_failing IMPL CHAPTER PROGRAM ARGS...: run_impl for a run that must fail,
# often with status 127 ("not found", as a shell says). bats warns (BW01)
# about any run ending with 127 unless told what to expect, as `run -127`
# or `run !` (any failure): this passes `!` to run_limited. Check the exact
# status afterwards.
run_failing() {
    [[ $- != *T* ]] || { local -; set +T; run_failing "$@"; return; }
    [ "$1" = c ] || need_python
    program_command "$1" "$2" "$3"
    shift 3
    run_limited ! "${WB_CMD[@]}" "$@"
}

# ---- the line helpers --------------------------------------------------------
# Each runs untraced (see "untraced" above). Untraced, a bash loop over the
# lines costs microseconds a line, where a grep costs a fork and an exec,
# milliseconds on a small machine: the helpers loop in bash over up to
# WB_GREP_FROM lines, and hand more to one grep, which reads them from a
# file (lines_file; a pipe from printf would be one more fork). grep -E and
# bash's =~ both take a POSIX extended regular expression (the C library's,
# here in the C locale), matched anywhere in a line; a bad one fails the
# check that uses it.
WB_GREP_FROM=1000

# print_lines: ${lines[@]}, one per line (bats leaves out empty lines), or
# nothing at all when there is none (printf alone would print an empty one).
print_lines() {
    [ "${#lines[@]}" -eq 0 ] || printf '%s\n' "${lines[@]}"
}

# lines_file: print_lines into the file $WB_LINES, for grep to read.
lines_file() {
    WB_LINES=$BATS_TEST_TMPDIR/lines
    print_lines >"$WB_LINES"
}

# matching RE: sets the array WB_MATCH to the indexes into ${lines[@]} of
# the lines that match RE, in order; fails the test if RE is not one.
matching() {
    [[ $- != *T* ]] || { local -; set +T; matching "$@"; return; }
    local i n s=0
    WB_MATCH=()
    # shellcheck disable=SC2319  # the status of [[ ]]: 2 for a bad RE
    [[ '' =~ $1 ]] || s=$?
    [ "$s" -ne 2 ] || { fail_run "not an extended regular expression: /$1/"; return 1; }
    if [ "${#lines[@]}" -le "$WB_GREP_FROM" ]; then
        for ((i = 0; i < ${#lines[@]}; i++)); do
            if [[ ${lines[i]} =~ $1 ]]; then WB_MATCH+=("$i"); fi
        done
        return 0
    fi
    lines_file
    s=0
    grep -anE -- "$1" "$WB_LINES" >"$WB_LINES.match" || s=$?
    [ "$s" -le 1 ] || { fail_run "grep -E failed on /$1/"; return 1; }
    mapfile -t WB_MATCH <"$WB_LINES.match"
    for ((i = 0; i < ${#WB_MATCH[@]}; i++)); do
        n=${WB_MATCH[i]%%:*}
        WB_MATCH[i]=$((n - 1))
    done
}

# line_numbers RE: the indexes into ${lines[@]} of the lines that match RE.
line_numbers() {
    [[ $- != *T* ]] || { local -; set +T; line_numbers "$@"; return; }
    matching "$1" || return
    [ "${#WB_MATCH[@]}" -eq 0 ] || printf '%s\n' "${WB_MATCH[@]}"
}

# count_lines RE: how many lines match RE.
count_lines() {
    [[ $- != *T* ]] || { local -; set +T; count_lines "$@"; return; }
    matching "$1" || return
    echo "${#WB_MATCH[@]}"
}

assert_count() {
    [[ $- != *T* ]] || { local -; set +T; assert_count "$@"; return; }
    matching "$2" || return
    [ "${#WB_MATCH[@]}" -eq "$1" ] || fail_run "expected $1 lines matching /$2/, found ${#WB_MATCH[@]}"
}

assert_before() {
    [[ $- != *T* ]] || { local -; set +T; assert_before "$@"; return; }
    local last_a first_b
    matching "$1" || return
    [ "${#WB_MATCH[@]}" -gt 0 ] || { fail_run "no line matches /$1/"; return; }
    last_a=${WB_MATCH[-1]}
    matching "$2" || return
    [ "${#WB_MATCH[@]}" -gt 0 ] || { fail_run "no line matches /$2/"; return; }
    first_b=${WB_MATCH[0]}
    [ "$last_a" -lt "$first_b" ] || fail_run "/$1/ (line $last_a) should come before /$2/ (line $first_b)"
}

assert_lines_any_order() {
    [[ $- != *T* ]] || { local -; set +T; assert_lines_any_order "$@"; return; }
    local want line found
    for want in "$@"; do
        found=
        for line in "${lines[@]}"; do
            if [ "$line" = "$want" ]; then found=1; break; fi
        done
        [ -n "$found" ] || fail_run "missing line: $want"
    done
}

# max_overlap START END: walk the output counting +1 for a START line and -1
# for an END line (a line that matches both is a START); print the largest
# count reached. A count that goes below zero (an END with no START) prints
# -1, which no bound accepts.
max_overlap() {
    [[ $- != *T* ]] || { local -; set +T; max_overlap "$@"; return; }
    overlap "$1" "$2" || return
    echo "$WB_MOST"
}

assert_max_overlap() {
    [[ $- != *T* ]] || { local -; set +T; assert_max_overlap "$@"; return; }
    overlap "$2" "$3" || return
    [ "$WB_MOST" -ge 1 ] && [ "$WB_MOST" -le "$1" ] || fail_run "at most $1 open at once expected between /$2/ and /$3/, found $WB_MOST"
}

# overlap START END: max_overlap's count, in WB_MOST. Each matching line's
# step (+1 or -1) goes into a sparse array by its index, which bash walks
# in index order: output order.
overlap() {
    local i open=0 starts step=()
    WB_MOST=0
    matching "$1" || return
    starts=("${WB_MATCH[@]}")
    matching "$2" || return
    for i in "${WB_MATCH[@]}"; do step[i]=-1; done
    for i in "${starts[@]}"; do step[i]=1; done       # a line that matches both: a START
    for i in "${!step[@]}"; do
        open=$((open + step[i]))
        [ "$open" -ge 0 ] || { WB_MOST=-1; return 0; }
        [ "$open" -le "$WB_MOST" ] || WB_MOST=$open
    done
}

# values RE REPLACEMENT: each line that matches RE, rewritten as
# REPLACEMENT (sed's \1, \2 for RE's groups), in output order, into the
# array WB_VALUES (RE anchored at both ends: the whole line is replaced).
values() {
    [[ $- != *T* ]] || { local -; set +T; values "$@"; return; }
    local i n out
    WB_VALUES=()
    matching "$1" || return
    for i in "${WB_MATCH[@]}"; do
        [[ ${lines[i]} =~ $1 ]] || continue
        out=$2
        for n in 1 2 3 4 5 6 7 8 9; do out=${out//\\$n/${BASH_REMATCH[n]-}}; done
        WB_VALUES+=("$out")
    done
}

# numbers WORDS...: the words that are numbers, sorted, into the array
# WB_NUMBERS (a number there twice is there twice), and printed, one space
# between them.
numbers() {
    [[ $- != *T* ]] || { local -; set +T; numbers "$@"; return; }
    local w n k count=()
    WB_NUMBERS=()
    for w in "$@"; do
        if [[ $w =~ ^[0-9]+$ ]]; then count[10#$w]=$((${count[10#$w]:-0} + 1)); fi
    done
    for n in "${!count[@]}"; do
        for ((k = 0; k < count[n]; k++)); do WB_NUMBERS+=("$n"); done
    done
    echo "${WB_NUMBERS[*]}"
}

# capture RE: the first line matching RE, its first group printed.
capture() {
    [[ $- != *T* ]] || { local -; set +T; capture "$@"; return; }
    matching "$1" || return
    if [ "${#WB_MATCH[@]}" -gt 0 ] && [[ ${lines[WB_MATCH[0]]} =~ $1 ]]; then
        echo "${BASH_REMATCH[1]}"
        return 0
    fi
    fail_run "no line matches /$1/"
}

# assert_usage_error: exit status 2, nothing on stdout, and for C programs
# exactly one line on stderr that carries the usage. (A Python twin's
# argparse prints two lines, its usage and the error, also with status 2.)
assert_usage_error() {
    local impl=${1:-c}
    [ "$status" -eq 2 ] || fail_run "expected exit status 2 for bad usage"
    [ -z "$output" ] || fail_run "expected nothing on stdout for bad usage"
    [[ ${stderr-} == *usage:* ]] || fail_run "expected the usage on stderr"
    if [ "$impl" = c ]; then
        [ "${#stderr_lines[@]}" -eq 1 ] || fail_run "expected exactly one line on stderr"
    fi
}

# ---- tables: calls made outside bats -------------------------------------
# run_table SCRIPT CALL_LIMIT ARGS...: run tests/SCRIPT with the suite's
# settings in its environment (each of its calls limited to CALL_LIMIT
# seconds, the whole to 10 time limits). Outside bats, a call costs a fork
# and exec or two; inside a test, every command also runs bats' trap.
run_table() {
    local script=$1 call_limit=$2 limit
    shift 2
    time_limit limit 10
    run timeout -k 5 "$limit" env WB_ROOT="$WB_ROOT" WB_BIN_ROOT="$WB_BIN_ROOT" WB_WRAP="$WB_WRAP" \
        WB_PYTHON="$WB_PYTHON" WB_TWINS="${WB_TWINS:-}" WB_TIMEOUT="$call_limit" \
        WB_WBRUN="${WB_WBRUN:-}" WB_REPORT_RE="$WB_REPORT_RE" "$WB_ROOT/tests/$script" "$@"
}

# wbrun_built: WB_WBRUN is tests/check/wbrun, built into build/tools (again
# only when its source is newer; parallel test files may race to build it,
# and each moves its own finished copy into place).
wbrun_built() {
    local src=$WB_ROOT/tests/check/wbrun.c
    WB_WBRUN=$WB_ROOT/build/tools/wbrun
    [ "$WB_WBRUN" -nt "$src" ] && return 0
    mkdir -p "${WB_WBRUN%/*}" &&
        "${CC:-cc}" -O1 -g -Wall -Wextra -o "$WB_WBRUN.$$" "$src" && mv -f "$WB_WBRUN.$$" "$WB_WBRUN" ||
        fail "cannot build $src"
}

# ---- usage: one table per chapter ---------------------------------------
# usage_table CHAPTER ['PROGRAM ARGS...'...]: every program of the chapter
# (each *.c with a main, each name of its Makefile's EXTRA_PROGRAMS, or the
# names in USAGE_PROGRAMS) and each Python twin beside it answers -h with
# its usage on stdout, status 0, and refuses an unknown option and a bad
# WORKBOOK_PACE; the C program also an operand and, for each option its -h
# line shows with a value, that option with no value. Each further
# argument is one more bad call, for the C program and its twin (what -h
# cannot tell: an option that excludes another, a folder that is a file).
# A value outside an option's range, and the other cases that depend on
# the option (make check's bad-input part reads ranges and choices from the
# programs' own messages), are make check's, for the C programs; the twins
# share workbook.py's range checks, which 00-workbook.bats tests once.
# The calls are made outside bats, by tests/usage-table and, for the twins,
# tests/usage-twins.py (see there why).
usage_table() {
    run_table usage-table "$WB_TIMEOUT" "$@"
    [ "$status" -eq 0 ] || fail "bad usage not refused as it should be (status $status):"$'\n'"$output"
}


# ---- a reader that goes: one table per chapter ------------------------------
# head_table CHAPTER ['PROGRAM ARGS...' | 'PROGRAM =STATUS'...]: every
# program of the chapter and its twin, read by `head -n 1` and `head -n 3`
# (tests/check/wbrun -H, which closes the pipe after those lines), ends in
# time, with nothing left running and no BrokenPipeError; read to the end,
# it prints no line over 100 characters: see tests/head-table.
head_table() {
    local run_limit
    wbrun_built
    time_limit run_limit
    run_table head-table "$run_limit" "$@"
    [ "$status" -eq 0 ] || fail "not a clean end when the reader went (status $status):"$'\n'"$output"
}

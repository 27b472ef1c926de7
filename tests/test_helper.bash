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
# Usage:     assert_usage_error, usage_table: refused arguments
# Head:      head_table: every program ends cleanly when its reader goes;
#            no line over 100 characters
# Patterns are extended regular expressions (bash =~), matched against a
# whole line unless they say otherwise: anchor with ^ and $ as needed.

bats_require_minimum_version 1.5.0

# bats-support and bats-assert: Debian's packages (bats-support,
# bats-assert) put them in /usr/lib/bats; tests/bats-run installs pinned
# copies from the npm registry into tests/node_modules where they are not.
# Each library's load.bash only sources its src/*.bash, each through a
# $(dirname ...) that forks, and bats loads them again for every test: the
# files sourced directly cost a few milliseconds a test instead of 150.
for wb_lib in bats-support bats-assert; do
    for wb_dir in "/usr/lib/bats/$wb_lib" "$BATS_TEST_DIRNAME/node_modules/$wb_lib" ""; do
        [ -z "$wb_dir" ] || [ -f "$wb_dir/load.bash" ] && break
    done
    [ -n "$wb_dir" ] || { echo "$wb_lib not found: run the suite with tests/bats-run" >&2; return 1; }
    for wb_src in "$wb_dir"/src/*.bash; do
        # shellcheck disable=SC1090  # the library's own files
        source "$wb_src"
    done
done
unset wb_lib wb_dir wb_src

WB_ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
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
    fail "$(printf '%s\n--- status: %s\n--- stdout:\n%s\n--- stderr:\n%s' \
        "$*" "${status-}" "${output-}" "${stderr-}")"
}

# time_limit NAME [FACTOR]: sets NAME to a run's time limit in whole
# seconds: FACTOR (1 by default) x WB_TIMEOUT x WB_TIMEOUT_SCALE. No fork
# when both factors are 1.
time_limit() {
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
    local limit=$1 elapsed=$2
    shift 2
    if [ "$status" -eq 124 ] || { [ "$status" -eq 137 ] && [ "$elapsed" -ge "$limit" ]; }; then
        fail_run "timed out after ${limit}s: $*"
    fi
    if [[ ${stderr-} =~ $WB_REPORT_RE ]]; then
        fail_run "sanitizer or valgrind report from: $*"
    fi
}

# run_limited CMD...: run under `timeout`, stdout and stderr apart, then
# refuse_bad_end.
run_limited() {
    local limit started
    time_limit limit
    started=$SECONDS
    run --separate-stderr timeout -k 5 "$limit" "$@"
    refuse_bad_end "$limit" $((SECONDS - started)) "$@"
}

run_c() {
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
    local chapter=$1 program=$2
    shift 2
    need_python
    run_limited "$WB_PYTHON" -S "$WB_ROOT/chapters/$chapter/$program.py" "$@"
}

run_impl() {
    local impl=$1
    shift
    case $impl in
        c) run_c "$@" ;;
        py) run_py "$@" ;;
        *) fail_run "run_impl: c or py, not '$impl'" ;;
    esac
}

# The line helpers below hand the lines to one grep each and never loop over
# them in bash: bats runs its DEBUG trap before every command of a test, so a
# bash loop costs about half a millisecond a line. (pool_demo's 40-task test
# counts 127 lines 120 times: 16 s as a loop, 2 s with grep; and make stress
# runs the suite on one busy CPU.) The grep reads the lines from a file
# (lines_file), not from a pipe: a pipe from printf is one more fork, and a
# fork costs milliseconds on a small machine. grep -E and bash's =~ both
# take a POSIX extended regular expression, here in the C locale; a bad one
# is an error (grep's status 2), which fails the check that uses it.

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

# line_numbers RE: the indexes into ${lines[@]} of the lines that match RE.
line_numbers() {
    lines_file
    grep -anE -- "$1" "$WB_LINES" | awk -F: '{ print $1 - 1 }'
    return 0
}

# count_lines RE: how many lines match RE (nothing printed for a bad RE).
count_lines() {
    lines_file
    grep -acE -- "$1" "$WB_LINES" || true
}

assert_count() {
    local n
    lines_file
    n=$(grep -acE -- "$2" "$WB_LINES") || true
    [ "$n" -eq "$1" ] || fail_run "expected $1 lines matching /$2/, found $n"
}

assert_before() {
    local last_a first_b
    lines_file
    last_a=$(grep -anE -- "$1" "$WB_LINES") || { fail_run "no line matches /$1/"; return; }
    first_b=$(grep -anE -m 1 -- "$2" "$WB_LINES") || { fail_run "no line matches /$2/"; return; }
    last_a=${last_a##*$'\n'} first_b=${first_b%%:*}
    last_a=$((${last_a%%:*} - 1)) first_b=$((first_b - 1))
    [ "$last_a" -lt "$first_b" ] || fail_run "/$1/ (line $last_a) should come before /$2/ (line $first_b)"
}

assert_lines_any_order() {
    local want
    lines_file
    for want in "$@"; do
        grep -aqxF -- "$want" "$WB_LINES" || fail_run "missing line: $want"
    done
}

# max_overlap START END: walk the output counting +1 for a START line and -1
# for an END line (a line that matches both is a START); print the largest
# count reached. A count that goes below zero (an END with no START) prints
# -1, which no bound accepts. grep finds the two kinds of line, sort puts
# them back in output order, and awk keeps the count.
max_overlap() {
    lines_file
    {
        grep -anE -- "$1" "$WB_LINES" | sed 's/:.*/ +/'
        grep -anE -- "$2" "$WB_LINES" | sed 's/:.*/ -/'
    } | sort -s -n -k1,1 | awk '
        $1 == last { next }
        { last = $1; open += ($2 == "+") ? 1 : -1 }
        open < 0 { below = 1; exit }
        open > most { most = open }
        END { print below ? -1 : most + 0 }'
}

assert_max_overlap() {
    local most
    most=$(max_overlap "$2" "$3")
    [ "$most" -ge 1 ] && [ "$most" -le "$1" ] || fail_run "at most $1 open at once expected between /$2/ and /$3/, found $most"
}

# capture RE: the first line matching RE, its first group printed.
capture() {
    local line
    lines_file
    line=$(grep -aE -m 1 -- "$1" "$WB_LINES") || true
    if [ -n "$line" ] && [[ $line =~ $1 ]]; then
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

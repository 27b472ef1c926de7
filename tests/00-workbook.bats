#!/usr/bin/env bats
# The workbook as a whole: lessons name real programs, programs carry their
# header comments, nothing built is tracked.

load test_helper

chapter_dirs() {
    local d
    for d in "$WB_ROOT"/chapters/[0-9][0-9]-*/; do
        [ -f "$d/Makefile" ] && echo "${d%/}"
    done
}

# The programs of a chapter: every *.c with a main().
chapter_programs() {
    grep -l '^int main(' "$1"/*.c 2>/dev/null | sed 's|.*/||; s|\.c$||'
    return 0
}

@test "every program a lesson names (as ./name) exists and is built" {
    local dir name chapter missing=""
    local -A home=()            # program -> the chapter whose folder builds it
    for dir in $(chapter_dirs); do
        for name in $(chapter_programs "$dir") \
                    $(sed -n 's/^EXTRA_PROGRAMS[[:space:]]*:*=//p' "$dir/Makefile"); do
            home[$name]=${home[$name]:-${dir##*/}}
        done
    done
    for dir in $(chapter_dirs); do
        [ -f "$dir/README.md" ] || { missing+=" ${dir##*/}/README.md"; continue; }
        # ./name, but not the end of a path such as ../../tools/costs.py. A
        # program named in a lesson lives in that chapter, or in an earlier
        # one that the lesson refers back to.
        for name in $(grep -oE '(^|[^./[:alnum:]_])\./[a-z][a-z0-9_]*' "$dir/README.md" |
                      sed 's|^.*\./||' | sort -u); do
            chapter=${home[$name]:-}
            [ -f "$dir/$name.c" ] && chapter=${dir##*/}
            if [ -z "$chapter" ]; then
                missing+=" ${dir##*/}/README.md:./$name(no source)"
            elif [ ! -x "$WB_BIN_ROOT/chapters/$chapter/$name" ]; then
                missing+=" $chapter/$name(not built)"
            fi
        done
    done
    [ -z "$missing" ] || fail_run "lessons name programs that do not exist or did not build:$missing"
}

@test "every chapter has a lesson, a test file and programs" {
    local dir num missing=""
    for dir in $(chapter_dirs); do
        num=${dir##*/} num=${num%%-*}
        [ -f "$dir/README.md" ] || missing+=" ${dir##*/}/README.md"
        compgen -G "$WB_ROOT/tests/$num-*.bats" >/dev/null || missing+=" tests/$num-*.bats"
        [ -n "$(chapter_programs "$dir")" ] || missing+=" ${dir##*/}:no-programs"
    done
    [ -z "$missing" ] || fail_run "missing:$missing"
}

@test "every program has its header comment: Usage, what to look for, licence" {
    local dir name bad
    local -a srcs=()
    for dir in $(chapter_dirs); do
        for name in $(chapter_programs "$dir"); do
            srcs+=("$dir/$name.c")
        done
    done
    # One awk over every program: its first line names it, and somewhere in
    # it come "Usage:" and the licence tag.
    bad=$(awk 'FNR == 1 { if (f) check(); f = FILENAME; name = f; sub(/.*\//, "", name); sub(/\.c$/, "", name)
                          first = index($0, "/* " name ".c - ") == 1; usage = spdx = 0 }
               /Usage:/ { usage = 1 }
               /SPDX-License-Identifier:/ { spdx = 1 }
               function check() { if (!first) printf " %s(first line)", name
                                  if (!usage) printf " %s(Usage)", name
                                  if (!spdx) printf " %s(SPDX)", name }
               END { if (f) check() }' "${srcs[@]}")
    [ -z "$bad" ] || fail_run "header comments missing:$bad"
}

@test "one sitting per file: chapters' .c/.h at most 350 lines, common's at most 200" {
    local bad
    bad=$(cd "$WB_ROOT" && {
        wc -l chapters/*/*.[ch] chapters/*/*/*.[ch] 2>/dev/null | awk '$2 != "total" && $1 > 350'
        wc -l common/*.[ch] | awk '$2 != "total" && $1 > 200'
    })
    [ -z "$bad" ] || fail_run "too long to read in one sitting: $bad"
}

@test "every chapter is in the top README's chapter table" {
    local dir bad=""
    for dir in $(chapter_dirs); do
        grep -q "chapters/${dir##*/}/README.md" "$WB_ROOT/README.md" || bad+=" ${dir##*/}"
    done
    [ -z "$bad" ] || fail_run "not linked from README.md:$bad"
}

@test "no built binary is tracked by git" {
    command -v git >/dev/null && git -C "$WB_ROOT" rev-parse >/dev/null 2>&1 || skip "not a git checkout"
    command -v file >/dev/null || skip "the file command is not installed"
    local tracked
    tracked=$(git -C "$WB_ROOT" ls-files -z | (cd "$WB_ROOT" && xargs -0 -r file) | grep -E 'ELF|Mach-O|current ar archive' || true)
    [ -z "$tracked" ] || fail_run "binaries tracked: $tracked"
}

# ---- the line helpers of test_helper.bash --------------------------------
# Every ordering test stands on them, so each is shown to fail where it must.
# given LINE...: the lines a helper sees, as if a program had printed them.
given() { lines=("$@"); }

# refuses CMD...: the check fails (run replaces $lines, so given comes first).
refuses() {
    run "$@"
    [ "$status" -ne 0 ] || { echo "should have failed: $*" >&2; return 1; }
}

@test "helpers: counts and matches are line by line, by extended regex" {
    given 'worker 12 task 1  start' 'parent 10 task 1  result 1' 'worker 13 task 2  start'
    assert_count 2 '^worker +[0-9]+ +task [0-9]  start$'
    [ "$(count_lines 'task')" -eq 3 ]
    [ "$(count_lines '^task')" -eq 0 ]
    assert_line --regexp 'result 1$'
    refute_line --regexp 'FAILED'
    given 'worker 12 task 1  start' 'parent 10 task 1  result 1' 'worker 13 task 2  start'
    refuses assert_count 1 '^worker '
    given 'a' 'b'
    refuses assert_line --regexp 'c'
    given 'a' 'b'
    refuses refute_line --regexp 'b'
    # A bad regular expression fails whatever asked, never passes unseen.
    given 'a (b' 'c'
    refuses assert_line --regexp '(b'
    given 'a (b' 'c'
    refuses refute_line --regexp '(b'
    # No lines at all: even a pattern for the empty line matches nothing.
    given
    [ "$(count_lines '^$')" -eq 0 ]
    [ "$(count_lines '.*')" -eq 0 ]
    [ -z "$(line_numbers '.*')" ]
}

@test "helpers: line_numbers are indexes into lines; assert_before sees order" {
    given 'start 1' 'end 1' 'start 2' 'end 2'
    [ "$(line_numbers '^end ' | tr '\n' ' ')" = "1 3 " ]
    assert_before '^start 1$' '^end '
    given 'start 1' 'end 1' 'start 2' 'end 2'
    refuses assert_before '^start ' '^end '      # start 2 comes after end 1
    given 'start 1' 'end 1'
    refuses assert_before '^start ' '^nothing'
    given 'start 1' 'end 1'
    refuses assert_before '^nothing' '^end '
}

@test "helpers: max_overlap counts what is open at once, in output order" {
    given 'S a' 'S b' 'E a' 'S c' 'E b' 'E c'
    [ "$(max_overlap '^S ' '^E ')" -eq 2 ]
    given 'S a' 'E a' 'S b' 'E b'
    [ "$(max_overlap '^S ' '^E ')" -eq 1 ]
    assert_max_overlap 1 '^S ' '^E '
    given 'S a' 'S b' 'S c' 'E a' 'E b' 'E c'
    [ "$(max_overlap '^S ' '^E ')" -eq 3 ]
    refuses assert_max_overlap 2 '^S ' '^E '
    # An end before any start, or no start at all, is refused.
    given 'E a' 'S a'
    [ "$(max_overlap '^S ' '^E ')" -eq -1 ]
    refuses assert_max_overlap 2 '^S ' '^E '
    given 'x' 'y'
    refuses assert_max_overlap 2 '^S ' '^E '
    # A line that matches both patterns counts as a start only.
    given 'S E' 'S E' 'E x'
    [ "$(max_overlap '^S' 'E')" -eq 2 ]
}

# Over WB_GREP_FROM lines the helpers hand the lines to grep, under it they
# loop in bash: the same answers either way, and a bad pattern fails both.
@test "helpers: the same answers from grep, over more lines than the bash loop takes" {
    local i many=()
    for ((i = 0; i < WB_GREP_FROM + 5; i++)); do many+=("S $i" "E $i"); done
    given "${many[@]}" 'x (y'
    assert_count $((WB_GREP_FROM + 5)) '^S [0-9]+$'
    [ "$(line_numbers '^E (0|7)$' | tr '\n' ' ')" = "1 15 " ]
    assert_before '^S 0$' '^E '
    [ "$(max_overlap '^S ' '^E ')" -eq 1 ]
    refuses assert_before '^S ' '^E '
    given "${many[@]}" 'x (y'
    [ "$(capture '^E (1[0-9])$')" = 10 ]
    given "${many[@]}" 'x (y'
    refuses assert_count 1 '(y'
    given 'x (y'
    refuses assert_count 1 '(y'
}

@test "helpers: capture prints the first match's group; assert_lines_any_order is exact" {
    given 'pid 10' 'child 11 exited' 'child 12 exited'
    [ "$(capture '^child ([0-9]+) exited$')" = 11 ]
    given 'pid 10'
    refuses capture '^child ([0-9]+)'
    given 'b c' 'a.c'
    assert_lines_any_order 'a.c' 'b c'
    given 'b c' 'abc'
    refuses assert_lines_any_order 'a.c'       # a fixed string, not a pattern
    given 'b c' 'a.c'
    refuses assert_lines_any_order 'b'         # the whole line
}

# The twins refuse values out of range through workbook.py's int_in and
# float_in (each chapter's usage table checks the rest of their refusals,
# and make check the C programs' ranges): checked here once, in one start.
@test "workbook.py: int_in, float_in and pace_factor refuse what the C helpers refuse" {
    run "$WB_PYTHON" -S -c '
import argparse, sys
sys.path.insert(0, sys.argv[1])
import workbook
whole, number = workbook.int_in(1, 16), workbook.float_in(0.0, 60.0)
for kind, bad in ((whole, ["0", "17", "-1", "many", "1.5", ""]),
                  (number, ["-0.1", "60.5", "nan", "inf", "soon", ""])):
    for text in bad:
        try:
            kind(text)
            print("accepted", repr(text))
        except argparse.ArgumentTypeError:
            pass
print(whole("1"), whole("16"), number("0"), number("60"), number("2.5"))
import os
for pace in ["-1", "", "101", "nan", "inf", "1e0", " 1", "1x"]:
    os.environ["WORKBOOK_PACE"] = pace
    try:
        workbook.pace_factor()
        print("pace accepted", repr(pace))
    except ValueError:
        pass
os.environ["WORKBOOK_PACE"] = "0.5"
print(workbook.pace_factor())
' "$WB_ROOT/common"
    assert_success
    assert_output "1 16 0.0 60.0 2.5
0.5"
}

# Colour (common/say.c, workbook.py): on a terminal, each process's lines
# in the colour its pid picks; none with NO_COLOR, none into a pipe. fork_demo
# shows it in C (say) and in Python (print, through parse_args' stdout): the
# first pid in brackets on each of its lines is the pid of the writer.
@test "say() and print() in a twin colour each process's lines on a terminal, and only there" {
    command -v script >/dev/null || skip "script(1), which gives a program a terminal, is not installed"
    local impl line pid esc=$'\e' colours=(36 32 33 35 34)
    for impl in c py; do
        [ "$impl" = c ] || twins_checked || continue
        program_command "$impl" 01-fork fork_demo
        run_limited script -qec "$(printf '%q ' "${WB_CMD[@]}") -n 3" /dev/null
        assert_success
        [ "${#lines[@]}" -eq 7 ] || fail "$impl: expected 7 lines, got: $output"
        for line in "${lines[@]}"; do
            line=${line%$'\r'}
            [[ $line =~ ^$esc\[(3[2-6])m[^\(]*\(([0-9]+)\).*$esc\[0m$ ]] ||
                fail "$impl: a line not in one colour: $(printf %q "$line")"
            pid=${BASH_REMATCH[2]}
            [ "${BASH_REMATCH[1]}" = "${colours[pid % 5]}" ] ||
                fail "$impl: pid $pid's line in colour ${BASH_REMATCH[1]}, not ${colours[pid % 5]}"
        done
        NO_COLOR=1 run_limited script -qec "$(printf '%q ' "${WB_CMD[@]}") -n 3" /dev/null
        assert_success
        [[ $output != *$esc* ]] || fail "$impl: colour with NO_COLOR set: $output"
        run_limited "${WB_CMD[@]}" -n 3
        assert_success
        [[ $output != *$esc* ]] || fail "$impl: colour into a pipe: $output"
    done
}

# The twins under Python 3.12 and 3.13, where those run here (other_python):
# each twin's default run (a smaller size for the benchmarks and pool_map)
# ends with the status it has under the suite's Python, and prints no
# DeprecationWarning, each one shown (-W always: 3.12 warns of a fork() in
# a process with threads, and under -W error one raised in a thread of the
# Pool would be swallowed, unseen). fork_threads.py's warning is its
# lesson: chapter 13's tests check it there.
twins_under() {
    local path prog want args
    other_python "$1"
    for path in "$WB_ROOT"/chapters/*/*.py; do
        prog=${path##*/} prog=${prog%.py}
        [ -f "${path%.py}.c" ] && [ "$prog" != fork_threads ] || continue
        case $prog in
            cost_spawn) args=(-r fork -s 0.001) ;;
            cost_*) args=(-s 0.001) ;;
            pool_map) args=(-s 2000) ;;
            pool_files) args=(-d "$WB_ROOT/common") ;;
            *) args=() ;;
        esac
        run_limited "$WB_PYTHON" -S "$path" "${args[@]}"
        want=$status
        run_limited "$WB_OTHER" -S -W always::DeprecationWarning "$path" "${args[@]}"
        [ "$status" -eq "$want" ] ||
            fail_run "$prog.py: status $status under Python $1, $want under $WB_PYTHON"
        [[ $stderr != *DeprecationWarning* ]] ||
            fail_run "$prog.py under Python $1: a DeprecationWarning"
    done
}

@test "every twin runs under Python 3.12 as under the suite's, with no DeprecationWarning" { twins_under 3.12; }
@test "every twin runs under Python 3.13 as under the suite's, with no DeprecationWarning" { twins_under 3.13; }

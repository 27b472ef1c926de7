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
    local f
    for f in "$1"/*.c; do
        [ -e "$f" ] || continue
        grep -Eq '^int main\(' "$f" && basename "$f" .c
    done
    return 0
}

@test "every program a lesson names (as ./name) exists and is built" {
    local dir name missing=""
    for dir in $(chapter_dirs); do
        [ -f "$dir/README.md" ] || { missing+=" $(basename "$dir")/README.md"; continue; }
        for name in $(grep -oE '\./[a-z][a-z0-9_]*' "$dir/README.md" | sed 's|^\./||' | sort -u); do
            # A program named in a lesson lives in that chapter, or in an
            # earlier one that the lesson refers back to.
            local found=""
            for src in "$dir/$name.c" "$WB_ROOT"/chapters/*/"$name.c"; do
                [ -f "$src" ] && { found=$src; break; }
            done
            if [ -z "$found" ]; then
                missing+=" $(basename "$dir")/README.md:./$name(no source)"
                continue
            fi
            local chapter
            chapter=$(basename "$(dirname "$found")")
            [ -x "$WB_BIN_ROOT/chapters/$chapter/$name" ] || missing+=" $chapter/$name(not built)"
        done
    done
    [ -z "$missing" ] || flunk "lessons name programs that do not exist or did not build:$missing"
}

@test "every chapter has a lesson, a test file and programs" {
    local dir num missing=""
    for dir in $(chapter_dirs); do
        num=$(basename "$dir" | cut -d- -f1)
        [ -f "$dir/README.md" ] || missing+=" $(basename "$dir")/README.md"
        compgen -G "$WB_ROOT/tests/$num-*.bats" >/dev/null || missing+=" tests/$num-*.bats"
        [ -n "$(chapter_programs "$dir")" ] || missing+=" $(basename "$dir"):no-programs"
    done
    [ -z "$missing" ] || flunk "missing:$missing"
}

@test "every program has its header comment: Usage, what to look for, licence" {
    local dir name bad=""
    for dir in $(chapter_dirs); do
        for name in $(chapter_programs "$dir"); do
            local src="$dir/$name.c"
            head -n 1 "$src" | grep -q "^/\* $name\.c - " || bad+=" $name(first line)"
            grep -q 'Usage:' "$src" || bad+=" $name(Usage)"
            grep -q 'SPDX-License-Identifier:' "$src" || bad+=" $name(SPDX)"
        done
    done
    [ -z "$bad" ] || flunk "header comments missing:$bad"
}

@test "every chapter is in the top README's chapter table" {
    local dir bad=""
    for dir in $(chapter_dirs); do
        grep -q "chapters/$(basename "$dir")/README.md" "$WB_ROOT/README.md" || bad+=" $(basename "$dir")"
    done
    [ -z "$bad" ] || flunk "not linked from README.md:$bad"
}

@test "no built binary is tracked by git" {
    command -v git >/dev/null && git -C "$WB_ROOT" rev-parse >/dev/null 2>&1 || skip "not a git checkout"
    command -v file >/dev/null || skip "the file command is not installed"
    local tracked
    tracked=$(git -C "$WB_ROOT" ls-files -z | (cd "$WB_ROOT" && xargs -0 -r file) | grep -E 'ELF|Mach-O|current ar archive' || true)
    [ -z "$tracked" ] || flunk "binaries tracked: $tracked"
}

#!/usr/bin/env bats
# tests/check/tables.bats - make check's tables (its part "tables"), one
# test per chapter each: what holds for every program and twin of the
# chapter alike, checked over them all at once.
#
# usage: every program and twin answers -h with its usage, a line for each
# option (with its default) and a line naming the Python it mirrors, the
# twin's option lines the C program's; each refuses an unknown option, an
# operand, a bad WORKBOOK_PACE and an option without its value (ranges and
# the rest: the bad-input part, tests/check/run); each further argument is
# one more bad call, for the C program and its twin: what the -h line and
# the ranges cannot tell. See tests/usage-table.
#
# head: every program and twin, read by `head -n 1` and `head -n 3`, ends
# cleanly and in time, leaving nothing; read to the end, it prints no line
# over 100 characters (what a projector shows). See tests/head-table.
#
# These ran in the suite until they took a third of its time: they are
# properties of every program alike, like the other parts of make check,
# not one lesson's guarantee. Run them alone with `make check-tables`, or
# `tests/bats-run tests/check/tables.bats`.
#
# SPDX-License-Identifier: MIT

load ../test_helper

# ---- usage -------------------------------------------------------------------

# Every option of this chapter is a number in a range or a choice: -h and
# the ranges (make check) tell them all, for the C programs and for the
# twins that take their ranges from workbook.py. zombie_orphan.py checks
# its -t range itself, not through workbook.py: the two ends of that range
# are the extra cases, since nothing else tries them on the twin.
@test "01-fork: every program and twin answers -h and refuses bad usage" {
    usage_table 01-fork 'zombie_orphan -t -1' 'zombie_orphan -t 61'
}

# Every option of this chapter is a number in a range or a flag: -h and the
# ranges (make check) tell them all, for the C programs and for the twins
# that take their ranges from workbook.py. process_lifecycle.py checks its
# -t range itself, not through workbook.py: the two ends of that range are
# the extra cases, since nothing else tries them on the twin.
@test "02-process: every program and twin answers -h and refuses bad usage" {
    usage_table 02-process 'process_lifecycle -t -1' 'process_lifecycle -t 61'
}

# The options of this chapter are numbers in a range and choices: -h and the
# ranges (make check) tell them all, but pipe_demo's -w, which takes any
# text (make check tries only a missing value): its length limit is the
# extra case.
@test "03-pipe: every program and twin answers -h and refuses bad usage" {
    usage_table 03-pipe "pipe_demo -w $(printf '%0201d' 0)"
}

# Every option of this chapter is a number in a range or a flag: -h and the
# ranges tell them all, so the table needs no extra case.
@test "04-queue: every program and twin answers -h and refuses bad usage" { usage_table 04-queue; }

# Besides what -h and the ranges tell: pool_map refuses more slices than
# numbers, and pool_files a folder that is not there or is a file.
@test "05-pool: every program and twin answers -h and refuses bad usage" {
    usage_table 05-pool 'pool_map -s 10 -c 11' 'pool_files -d /nonexistent/folder' 'pool_files -d /etc/passwd'
}

# Every option of this chapter is a number in a range, a flag or a choice:
# -h and the ranges tell them all, so the table needs no extra case.
@test "06-lock: every program and twin answers -h and refuses bad usage" { usage_table 06-lock; }

# Every option is a number in a range or a choice: -h and the ranges tell
# them all, so the table needs no extra case.
@test "07-semaphore: every program and twin answers -h and refuses bad usage" { usage_table 07-semaphore; }

# Every option is a number in a range: -h and the ranges tell them all, so
# the table needs no extra case.
@test "08-event: every program and twin answers -h and refuses bad usage" { usage_table 08-event; }

# -h and the ranges (make check) tell every option of this chapter but one:
# manager_auth's -u names a user, and a user who does not exist is refused,
# and so is the user running it (the lesson needs another one). (Its probe
# is tried by the suite: tests/09-manager.bats.)
@test "09-manager: every program and twin answers -h and refuses bad usage" {
    usage_table 09-manager 'manager_auth -u no-such-user-here' "manager_auth -u $(id -un)"
}

# What -h and the ranges (make check) cannot tell: "--" with no command
# after it; an operand before "--" (the command comes after it); a text
# longer than subprocess_shell takes. The twins of subprocess_communicate
# (-t) and subprocess_timeout (-t, -g) check those ranges with code of
# their own, not workbook.py's: the two ends of each, and nan (which no
# comparison refuses unless it is written for it), are tried here, since
# nothing else tries them on the twins. (A word where a number goes is
# argparse's to refuse: a type that raises ValueError is refused by it.)
@test "10-subprocess: every program and twin answers -h and refuses bad usage" {
    local long
    long=$(printf 'x%.0s' $(seq 201))
    usage_table 10-subprocess 'subprocess_call --' 'subprocess_call ls -- ls' 'subprocess_output --' \
        'subprocess_communicate --' 'subprocess_communicate -t 0' 'subprocess_communicate -t 61' \
        'subprocess_communicate -t nan' \
        'subprocess_timeout --' 'subprocess_timeout -t -1' 'subprocess_timeout -t 3601' \
        'subprocess_timeout -t nan' 'subprocess_timeout -g -0.5' 'subprocess_timeout -g 61' \
        "subprocess_shell -w $long" \
        'subprocess_pipeline -- yes' 'subprocess_pipeline -- yes |' 'subprocess_pipeline -- | wc' \
        'subprocess_pipeline -m nosuch' 'subprocess_pipeline -t 0' \
        'subprocess_check --' 'subprocess_check -c 0' 'subprocess_group -t 0' 'subprocess_group -- sh'
}

# The options every cost_* program shares (bench.c, bench.py): -p and -a
# exclude each other; -r names one of the program's own rows. cost_start's
# -R child is for a copy it starts itself, with a socket as its stdin: from
# /dev/null it is refused; the twin refuses it always (chapter 13's
# start_spawn -r child does the same).
@test "11-costs: every program and twin answers -h and refuses bad usage" {
    usage_table 11-costs 'cost_ipc -p -a' 'cost_ipc -r no_such_row' 'cost_queue_fast -r apply_rt' \
        'cost_start -R child'
}

@test "12-shared-memory: every program and twin answers -h and refuses bad usage" {
    usage_table 12-shared-memory
}

# -r child is for a copy that start_spawn starts itself, with a socket as
# its stdin: from a terminal (here /dev/null) it is refused; the twin
# refuses it always (Python's spawn starts its children its own way).
@test "13-start-methods: every program and twin answers -h and refuses bad usage" {
    usage_table 13-start-methods 'start_spawn -r child'
}

# ---- a reader that goes (./demo | head) ----------------------------------------

@test "01-fork: every program and twin ends cleanly when its reader goes (| head -n 1, -n 3), and prints no line over 100 characters" {
    head_table 01-fork
}

@test "02-process: every program and twin ends cleanly when its reader goes (| head -n 1, -n 3), and prints no line over 100 characters" {
    head_table 02-process
}

@test "03-pipe: every program and twin ends cleanly when its reader goes (| head -n 1, -n 3), and prints no line over 100 characters" {
    head_table 03-pipe
}

@test "04-queue: every program and twin ends cleanly when its reader goes (| head -n 1, -n 3), and prints no line over 100 characters" {
    head_table 04-queue
}

# The lesson's sizes are not what this tests: pool_map a smaller limit,
# pool_files a small folder (by default it reads every file under ".").
@test "05-pool: every program and twin ends cleanly when its reader goes (| head -n 1, -n 3), and prints no line over 100 characters" {
    head_table 05-pool 'pool_map -s 2000' "pool_files -d $WB_ROOT/common"
}

# lock_counter's lesson size (-c) is not what this tests: a smaller one.
@test "06-lock: every program and twin ends cleanly when its reader goes (| head -n 1, -n 3), and prints no line over 100 characters" {
    head_table 06-lock 'lock_counter -c 10000'
}

@test "07-semaphore: every program and twin ends cleanly when its reader goes (| head -n 1, -n 3), and prints no line over 100 characters" {
    head_table 07-semaphore
}

@test "08-event: every program and twin ends cleanly when its reader goes (| head -n 1, -n 3), and prints no line over 100 characters" {
    head_table 08-event
}

@test "09-manager: every program and twin ends cleanly when its reader goes (| head -n 1, -n 3), and prints no line over 100 characters" {
    head_table 09-manager
}

# subprocess_timeout's default run ends with 1: it had to kill its command.
@test "10-subprocess: every program and twin ends cleanly when its reader goes (| head -n 1, -n 3), and prints no line over 100 characters" {
    head_table 10-subprocess 'subprocess_timeout =exit:1'
}

# At a tiny scale, and cost_spawn without its two 256 MiB rows (a second of
# page faults each): the figures are not what this tests.
@test "11-costs: every program and twin ends cleanly when its reader goes (| head -n 1, -n 3), and prints no line over 100 characters" {
    head_table 11-costs 'cost_spawn -s 0.001 -r fork' 'cost_ipc -s 0.001' 'cost_pool -s 0.001' 'cost_sync -s 0.001' 'cost_queue -s 0.001' 'cost_manager -s 0.001' 'cost_pool_fast -s 0.001' 'cost_queue_fast -s 0.001' \
        'cost_start -s 0.001' 'cost_shm -s 0.001' 'cost_pipeline -s 0.001'
}

@test "12-shared-memory: every program and twin ends cleanly when its reader goes (| head -n 1, -n 3), and prints no line over 100 characters" {
    head_table 12-shared-memory
}

@test "13-start-methods: every program and twin ends cleanly when its reader goes (| head -n 1, -n 3), and prints no line over 100 characters" {
    head_table 13-start-methods
}

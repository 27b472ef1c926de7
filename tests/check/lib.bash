# tests/check/lib.bash - what the parts of tests/check/run share: finding the
# programs, reading their options from their own usage line, running one
# program under wbrun, and judging what it left behind.
# shellcheck shell=bash

# ---- finding the programs ---------------------------------------------------
# Every chapters/*/NAME.c with a main() is a program; its binary is NAME in
# the same folder (or under a BUILD_ROOT copy). So is every name in a
# chapter Makefile's EXTRA_PROGRAMS line (a second build of one source with
# other helpers: chapter 11's cost_queue_fast). Prints chapters/NN-x/NAME,
# for every chapter or for the one named (discover_programs 05-pool).
discover_programs() {
    local src mk name chapter=${1:-*}
    # shellcheck disable=SC2086  # $chapter may be the pattern *
    for src in "$TOP"/chapters/$chapter/*.c; do
        [ -f "$src" ] || continue
        grep -Eq '^[[:space:]]*int[[:space:]]+main[[:space:]]*\(' "$src" || continue
        src=${src%.c}
        echo "${src#"$TOP"/}"
    done
    # shellcheck disable=SC2086
    for mk in "$TOP"/chapters/$chapter/Makefile; do
        [ -f "$mk" ] || continue
        for name in $(sed -n 's/^EXTRA_PROGRAMS[[:space:]]*:*=//p' "$mk"); do
            echo "chapters/$(basename "$(dirname "$mk")")/$name"
        done
    done
}

# ---- the hand-kept table (tests/check/options.tbl) -------------------------
# table_get PROGRAM KEY: the rest of the table line "PROGRAM KEY ...", if any.
table_get() {
    awk -v p="$1" -v k="$2" '$1 == p && $2 == k { $1 = ""; $2 = ""; sub(/^  */, ""); print; found = 1; exit }
                               END { exit !found }' "$CHECK_DIR/options.tbl"
}

# ---- options, read from the program's usage line ----------------------------
# parse_usage PROGRAM_PATH: sets
#   U_NAME        the name the usage line gives
#   U_FLAGS       option letters that take no value
#   U_VALUES      option letters that take a value
#   U_META[x]     the value's placeholder (WORKERS, broken|flush|write)
#   U_COMMAND     1 when it runs a command given after -- ([-- COMMAND [ARG...]])
#   U_ERROR       why the usage line could not be read (empty when it could)
# The usage line is `usage: NAME [-n WORKERS] [-J] [-p | -a] [-m a|b|c]`.
declare -A U_META
parse_usage() {
    local bin=$1 line rest group part letter meta
    U_NAME='' U_FLAGS='' U_VALUES='' U_ERROR=''
    U_META=()
    line=$( (unset WORKBOOK_PACE; probe_run "$bin" -h) 2>/dev/null | head -n 1)
    if [[ ! $line =~ ^usage:\ ([^ ]+)(.*)$ ]]; then
        U_ERROR="-h printed no usage line: '$line'"
        return 1
    fi
    U_NAME=${BASH_REMATCH[1]}
    rest=${BASH_REMATCH[2]}
    U_COMMAND=0
    # [-- COMMAND [ARG...]] at the end: the program runs a command of the
    # caller's, given after "--".
    local command_re='^(.*)\[-- [A-Z][^][]*(\[[^]]*\])?\] *$'
    if [[ $rest =~ $command_re ]]; then
        U_COMMAND=1
        rest=${BASH_REMATCH[1]}
    fi
    while [[ $rest =~ ^[[:space:]]*\[([^]]*)\](.*)$ ]]; do
        group=${BASH_REMATCH[1]}
        rest=${BASH_REMATCH[2]}
        # [-p | -a]: alternative flags; [-n WORKERS]: an option with a value.
        IFS='|' read -r -a parts <<<"$group"
        if [[ $group =~ ^-[A-Za-z0-9]\ +[^-|\ ] ]]; then
            parts=("$group")     # [-m a|b|c]: the bars belong to the value
        fi
        for part in "${parts[@]}"; do
            part=$(printf '%s\n' "$part" | sed 's/^ *//; s/ *$//')
            if [[ $part == -h ]]; then
                :       # -h is every program's help, not one of its options
            elif [[ $part =~ ^-([A-Za-z0-9])$ ]]; then
                U_FLAGS+=${BASH_REMATCH[1]}
            elif [[ $part =~ ^--[a-z][-a-z0-9]*$ ]]; then
                :       # [-t | --tsv]: a long spelling of a flag beside it
            elif [[ $part =~ ^-([A-Za-z0-9])\ +([^ ].*)$ ]]; then
                letter=${BASH_REMATCH[1]}
                meta=${BASH_REMATCH[2]}
                U_VALUES+=$letter
                U_META[$letter]=$meta
            else
                U_ERROR="cannot read '[$group]' in: $line"
                return 1
            fi
        done
    done
    if [[ -n ${rest// /} ]]; then
        U_ERROR="operands or unbracketed text '$rest' in: $line (say what they are in tests/check/options.tbl)"
        return 1
    fi
    return 0
}

# probe_run PROGRAM ARGS...: a quick question to a program (its usage, its
# message for a bad value), asked in a scratch folder: a value it takes
# as a file name must not land in the working tree.
probe_run() {
    local dir=$WORK_TOP/probe
    rm -rf "$dir"
    mkdir -p "$dir"
    (cd "$dir" && TMPDIR=$dir exec timeout -k 1 10 "$@" </dev/null)
}

# probe_option PROGRAM_PATH LETTER: what kind of value -LETTER takes, from
# the program's own error messages (common/args.c words them):
#   O_KIND   int | double | enum | free
#   O_MIN, O_MAX   the range, for int and double
#   O_ENUM   the allowed words, for enum (from the usage placeholder a|b|c)
#   O_ERROR  why the kind could not be told
probe_option() {
    local bin=$1 letter=$2 meta=${U_META[$2]} msg
    O_KIND='' O_MIN='' O_MAX='' O_ENUM='' O_ERROR=''
    if [[ $meta == *'|'* ]]; then
        O_KIND=enum
        O_ENUM=${meta//|/ }
        return 0
    fi
    msg=$(WORKBOOK_PACE=0 probe_run "$bin" "-$letter" 'not-a-value' 2>&1 >/dev/null)
    case $msg in
    *"wants one of "*)
        # "-r wants one of pipe_rt, sock_rt, not '...'": words to choose from
        O_KIND=enum
        O_ENUM=$(echo "$msg" | sed -E 's/.*wants one of (.*), not .*/\1/; s/,//g')
        return 0
        ;;
    *"wants a whole number"*) O_KIND=int ;;
    *"wants a number"*) O_KIND=double ;;
    *)
        if table_get "$U_NAME" "-$letter" >/dev/null; then
            O_KIND=free
            return 0
        fi
        O_ERROR="-$letter $meta: 'not-a-value' got '$msg'; if it takes free text, say so in tests/check/options.tbl"
        return 1
        ;;
    esac
    # A value far outside any sensible range makes arg_long/arg_double state it.
    msg=$(WORKBOOK_PACE=0 probe_run "$bin" "-$letter" '-99999999999' 2>&1 >/dev/null)
    if [[ $msg =~ must\ be\ from\ ([-0-9.e+]+)\ to\ ([-0-9.e+]+) ]]; then
        O_MIN=${BASH_REMATCH[1]}
        O_MAX=${BASH_REMATCH[2]}
        return 0
    fi
    msg=$(WORKBOOK_PACE=0 probe_run "$bin" "-$letter" '99999999999' 2>&1 >/dev/null)
    if [[ $msg =~ must\ be\ from\ ([-0-9.e+]+)\ to\ ([-0-9.e+]+) ]]; then
        O_MIN=${BASH_REMATCH[1]}
        O_MAX=${BASH_REMATCH[2]}
        return 0
    fi
    O_ERROR="-$letter $meta: no 'must be from MIN to MAX' message for -99999999999 or 99999999999"
    return 1
}

# ---- one run under wbrun, and what it left ---------------------------------
# Each run gets its own empty working directory and TMPDIR, and a PATH whose
# first folder holds the fd shims. Everything about the run is kept in
# $RUN (a folder): report, out, err, times, fdlog. Few processes per run:
# a check runs a few thousand of them.
RUN_SEQ=0
new_run() {
    RUN_SEQ=$((RUN_SEQ + 1))
    RUN=$WORK/run-$RUN_SEQ
    mkdir -p "$RUN/cwd" "$RUN/tmp"
}

# wb_run [WBRUN_OPTIONS] -- PROGRAM ARGS...: run in $RUN (see new_run) with
# the environment the caller set up (WORKBOOK_PACE...), then read wbrun's
# report into R_STATUS, R_ELAPSED, R_LINES, R_SENT, R_AFTER, R_LATE and
# R_LEFT (what was left: "process PID STATE COMM", "shm PATH", "tmp PATH",
# "file PATH"). wbrun watches the folders where a program could leave a
# named thing: POSIX shared memory and named semaphores (/dev/shm on
# Linux), /tmp (sockets, FIFOs, files; not the checker's own folder), and
# the run's own TMPDIR and working folder.
wb_run() {
    local opts=() line
    while [ "$1" != -- ]; do
        opts+=("$1")
        shift
    done
    shift
    printf -v R_CMD '%q ' "$@"
    [ -d /dev/shm ] && opts+=(-W shm:/dev/shm)
    WB_FDLOG=$RUN/fdlog WB_SHIM_DIR=$SHIMS PATH="$SHIMS:$PATH" TMPDIR=$RUN/tmp \
        "$TOOLS/wbrun" -t "$RUN_LIMIT" -g "$GRACE" "${opts[@]}" \
        -W tmp:/tmp -X "$WORK_TOP" -W "file:$RUN/tmp" -W "file:$RUN/cwd" \
        -o "$RUN/out" -e "$RUN/err" -T "$RUN/times" -C "$RUN/cwd" -- "$@" >"$RUN/report"
    R_STATUS='' R_ELAPSED=0 R_LINES=0 R_SENT='' R_AFTER='' R_LATE=0 R_LEFT=()
    while IFS= read -r line; do
        case $line in
        status=*) R_STATUS=${line#*=} ;;
        elapsed=*) R_ELAPSED=${line#*=} ;;
        lines=*) R_LINES=${line#*=} ;;
        sent=*) R_SENT=${line#*=} ;;
        exit_after=*) R_AFTER=${line#*=} ;;
        late=*) R_LATE=${line#*=} ;;
        leftover\ *) R_LEFT+=("process ${line#leftover }") ;;
        new\ *) R_LEFT+=("${line#new }") ;;
        esac
    done <"$RUN/report"
    [ -n "$R_STATUS" ] || R_STATUS="no report (wbrun failed)"
}

# leftovers_of_run PROG: print one line per thing the last run left behind
# (and remove it, so that the next run starts clean). Named things that the
# lesson documents are printed with "documented" in front when
# $ALLOW_DOCUMENTED (after SIGKILL, where no handler could remove them).
leftovers_of_run() {
    local prog=$1 item kind path base readme line
    readme=$TOP/${prog%/*}/README.md
    for item in "${R_LEFT[@]}"; do
        kind=${item%% *}
        path=${item#* }
        if [ "$kind" != process ] && [ "${ALLOW_DOCUMENTED:-0}" = 1 ]; then
            base=${path##*/}
            if named_in_lesson "${base#sem.}" "$readme"; then
                item="documented $item"
            fi
        fi
        echo "$item"
        case $kind in
        shm | tmp) rm -rf "$path" ;;
        esac
    done
    if [ -s "$RUN/fdlog" ]; then
        while IFS= read -r line; do
            [[ $line == *' leaked '* ]] && echo "fd-leak exec of $line"
        done <"$RUN/fdlog"
    fi
    return 0
}

# named_in_lesson NAME README: the lesson names the object, pids, counters
# and mkstemp's random letters aside: sem.wb-lock-12345 is documented by
# "wb-lock", wb-manager-4DOqEk by "wb-manager".
named_in_lesson() {
    local stem
    [ -f "$2" ] || return 1
    for stem in "$1" \
        "$(printf '%s\n' "$1" | sed -E 's/[-_.]?[0-9]+$//; s/[-_.]?[0-9]+$//')" \
        "$(printf '%s\n' "$1" | sed -E 's/[-_.][A-Za-z0-9]{6}$//')"; do
        [ "${#stem}" -ge 3 ] && grep -qF -- "$stem" "$2" && return 0
    done
    return 1
}

# ---- figures -----------------------------------------------------------------
# Each part writes "key value" lines to $FIGURES/PART; the summary adds them.
declare -A FIG
fig_add() {
    FIG[$1]=$((${FIG[$1]:-0} + ${2:-1}))
}
fig_write() {
    local part=$1 k
    mkdir -p "$FIGURES"
    : >"$FIGURES/$part"
    for k in "${!FIG[@]}"; do
        echo "$k ${FIG[$k]}" >>"$FIGURES/$part"
    done
}

# problem TEXT...: one failure, to the terminal and the part's log.
problem() {
    echo "  FAIL: $*" | tee -a "$LOG" >&2
}
note() {
    echo "$*" >>"$LOG"
}

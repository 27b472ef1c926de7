# tests/check/check.mk - make check, make check-PART and make stress, included
# by the top Makefile (from the top folder: paths are relative to it).
#
# make check: the reliability checks of tests/check/run, over every program
# of every chapter (found anew each time): the suite against an
# AddressSanitizer + UndefinedBehaviorSanitizer build (build/asan); under
# valgrind following children (build/valgrind, DWARF 4: valgrind 3.19
# cannot read clang 14's default DWARF 5) each program's normal runs;
# each chapter's usage and head tables (tests/check/tables.bats); hygiene
# after a normal run, SIGINT/SIGTERM/SIGKILL during one, a table of bad
# arguments and random argument vectors; the fuzz targets of tests/fuzz
# for FUZZ_TIME seconds each (the suite under valgrind: make check-valgrind,
# not part of make check). It ends with one line of figures and fails if
# any figure that must be zero is not. The in-place binaries are not
# touched. make check-PART runs one part (see CHECK_PARTS).
# make check-macos-subset: the README's macOS claim, without a Mac (see its
# rule below).
# make stress [N=20]: the suite N times under a CPU load, then N times pinned
# to one CPU; every flake reported with its test and output. STRESS_MODES=
# load or pinned runs one round; STRESS_CPU=1 pins to CPU 1 instead of 0.

SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=undefined
# No quotes in VALGRIND: the suite splits WB_WRAP into words without
# removing quotes, and a quoted pattern would never match.
VALGRIND  := valgrind -q --vgdb=no --trace-children=yes \
             --trace-children-skip=/bin/*,/usr/bin/*,/usr/local/bin/*,*python* \
             --error-exitcode=99 --leak-check=full \
             --show-leak-kinds=definite,indirect \
             --errors-for-leak-kinds=definite,indirect

FUZZ_TIME    ?= 60
CHECK_RANDOM ?= 15
CHECK_PACE   ?= 0.2
N            ?= 20
CHECK_PARTS  := suite-asan tables memcheck hygiene interrupt bad-input \
                random-argv fuzz suite-valgrind
CHECK_RUN     = ASAN_ROOT=$(CURDIR)/build/asan \
                VALGRIND_ROOT=$(CURDIR)/build/valgrind WB_VALGRIND="$(VALGRIND)" \
                FUZZ_TIME=$(FUZZ_TIME) CHECK_RANDOM=$(CHECK_RANDOM) \
                CHECK_PACE=$(CHECK_PACE) tests/check/run

.PHONY: check check-asan check-valgrind check-builds check-asan-build \
        check-valgrind-build check-macos-subset stress \
        $(addprefix check-,$(CHECK_PARTS))
check: all check-builds
	$(CHECK_RUN) all

# The whole suite under valgrind takes longer than CI allows make check as
# the chapters grow (every test's program runs twenty times slower), so
# make check runs each program under valgrind (the memcheck part) and the
# suite against the sanitizers; make check-valgrind runs the suite under
# valgrind as well, on demand.

check-builds: check-asan-build check-valgrind-build

check-asan-build: lib
	+$(MAKE) BUILD_ROOT=$(CURDIR)/build/asan CFLAGS='$(SAN_FLAGS)' \
	        LDFLAGS='-fsanitize=address,undefined' all

check-valgrind-build: lib
	+$(MAKE) BUILD_ROOT=$(CURDIR)/build/valgrind CFLAGS='-O2 -gdwarf-4' all

check-asan: check-suite-asan
check-valgrind: check-suite-valgrind

check-suite-asan check-random-argv: check-asan-build
check-suite-valgrind check-memcheck: check-valgrind-build
check-tables check-hygiene check-interrupt check-bad-input: all
$(addprefix check-,$(CHECK_PARTS)):
	$(CHECK_RUN) $(patsubst check-%,%,$@)

stress: all
	N=$(N) tests/check/stress

# make check-macos-subset: every program built as macOS would build it (the
# calls macOS lacks are compile errors), under build/macos: those not in
# their chapter's NOT_ON_MACOS must build, those in it must not. The
# README's table of where the workbook runs comes from it.
check-macos-subset:
	tests/check/macos-subset

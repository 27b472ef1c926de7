# Multiprocessing in C - top-level Makefile.
#   make              build every chapter (binaries sit beside their sources)
#   make chapter-05   build one chapter (works inside chapters/05-pool/ too)
#   make test         build everything and run the whole bats suite
#   make check        sanitizers, valgrind, leftovers, signals, bad input, fuzzing
#   make stress       the suite N times (N=20) under load and on one CPU
#   make bench        what each primitive costs, C and Python (BENCH_FLAGS=--tsv)
#   make clean        remove everything built
#   make help         this list
# The build rules themselves live in common/rules.mk.

CHAPTER_DIRS := $(sort $(patsubst %/Makefile,%,$(wildcard chapters/*/Makefile)))
chapter_num   = $(firstword $(subst -, ,$(notdir $(1))))
CHAPTERS     := $(foreach d,$(CHAPTER_DIRS),chapter-$(call chapter_num,$(d)))

SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=undefined
# No quotes in VALGRIND: the suite splits WB_WRAP into words without
# removing quotes, and a quoted pattern would never match.
VALGRIND  := valgrind -q --vgdb=no --trace-children=yes \
             --trace-children-skip=/bin/*,/usr/bin/*,/usr/local/bin/*,*python* \
             --error-exitcode=99 --leak-check=full \
             --show-leak-kinds=definite,indirect \
             --errors-for-leak-kinds=definite,indirect

.PHONY: all bench lib test check check-asan check-valgrind clean help $(CHAPTERS)
all: $(CHAPTERS)

# The library first, once: chapters built in parallel (make -j) then only
# read it.
lib:
	+$(MAKE) -C common

define chapter_rule
$(2): lib
	+$$(MAKE) -C $(1) all
endef
$(foreach d,$(CHAPTER_DIRS),$(eval $(call chapter_rule,$(d),chapter-$(call chapter_num,$(d)))))

# make test: the suite, then chapters 04 and 05's tests once more on chapter
# 11's fast Queue and Pool (tests/fast/run), which keep the same guarantees.
test: all
	tests/bats-run tests
	tests/fast/run

# make check: the reliability checks of tests/check/run, over every program
# of every chapter (found anew each time): the suite against an
# AddressSanitizer + UndefinedBehaviorSanitizer build (build/asan); under
# valgrind following children (build/valgrind, DWARF 4: valgrind 3.19
# cannot read clang 14's default DWARF 5) each program's normal runs;
# hygiene after a normal run, SIGINT/SIGTERM/SIGKILL during one, a table of
# bad arguments and random argument vectors; the fuzz targets of tests/fuzz
# for FUZZ_TIME seconds each (the suite under valgrind: make check-valgrind,
# not part of make check). It ends with one line of figures and fails if
# any figure that must be zero is not. The in-place binaries are not
# touched. make check-PART runs one part (see CHECK_PARTS).
# make stress [N=20]: the suite N times under a CPU load, then N times pinned
# to one CPU; every flake reported with its test and output. STRESS_MODES=
# load or pinned runs one round; STRESS_CPU=1 pins to CPU 1 instead of 0.
FUZZ_TIME    ?= 60
CHECK_RANDOM ?= 15
CHECK_PACE   ?= 0.2
N            ?= 20
CHECK_PARTS  := suite-asan memcheck hygiene interrupt bad-input \
                random-argv fuzz suite-valgrind
CHECK_RUN     = ASAN_ROOT=$(CURDIR)/build/asan \
                VALGRIND_ROOT=$(CURDIR)/build/valgrind WB_VALGRIND="$(VALGRIND)" \
                FUZZ_TIME=$(FUZZ_TIME) CHECK_RANDOM=$(CHECK_RANDOM) \
                CHECK_PACE=$(CHECK_PACE) tests/check/run

.PHONY: check-builds check-asan-build check-valgrind-build stress \
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
check-hygiene check-interrupt check-bad-input: all
$(addprefix check-,$(CHECK_PARTS)):
	$(CHECK_RUN) $(patsubst check-%,%,$@)

stress: all
	N=$(N) tests/check/stress

# The costs table of chapter 11 (its README explains it): each figure the
# median of 5 runs, taking turns; a few minutes. tools/costs.py puts it
# together and checks the promises of docs/costs.md. Extra flags in
# BENCH_FLAGS, e.g. BENCH_FLAGS=--tsv or '-o pipe -n 9'.
bench: chapter-11
	python3 tools/costs.py $(BENCH_FLAGS)

# Each chapter folder, and common/, cleans itself, so that a
# make clean in the top folder cleans exactly what a chapter's would.
clean:
	+$(MAKE) -C common clean
	+for d in $(CHAPTER_DIRS); do $(MAKE) -C $$d clean || exit 1; done
	rm -rf build

help:
	@sed -n '2,9s/^# //p' Makefile
	@echo 'Chapters: $(CHAPTERS)'

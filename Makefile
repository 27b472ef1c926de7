# Multiprocessing in C - top-level Makefile.
#   make              build every chapter (binaries sit beside their sources)
#   make chapter-05   build one chapter (works inside chapters/05-pool/ too)
#   make test         build everything and run the whole bats suite
#   make check        sanitizers, valgrind, leftovers, signals, bad input, fuzzing
#   make check-macos-subset   which programs build on macOS, proved on Linux
#   make stress       the suite N times (N=20) under load and on one CPU
#   make bench        what each primitive costs, C and Python (BENCH_FLAGS=--tsv)
#   make clean        remove everything built
#   make help         this list
# The build rules themselves live in common/rules.mk.

CHAPTER_DIRS := $(sort $(patsubst %/Makefile,%,$(wildcard chapters/*/Makefile)))
chapter_num   = $(firstword $(subst -, ,$(notdir $(1))))
CHAPTERS     := $(foreach d,$(CHAPTER_DIRS),chapter-$(call chapter_num,$(d)))

.PHONY: all bench lib test clean help $(CHAPTERS)
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
	CC="$(CC)" tests/fast/run

# make check, its parts (make check-PART) and make stress: their rules live
# in tests/check/check.mk, since they are the maintainers' plumbing.
include tests/check/check.mk

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
	@sed -n '2,10s/^# //p' Makefile
	@echo 'Chapters: $(CHAPTERS)'

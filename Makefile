# Multiprocessing in C - top-level Makefile.
#   make              build every chapter (binaries sit beside their sources)
#   make chapter-05   build one chapter (works inside chapters/05-pool/ too)
#   make test         build everything and run the whole bats suite
#   make check        the suite against a sanitizer build, then under valgrind
#   make clean        remove everything built
#   make help         this list
# The build rules themselves live in common/rules.mk.

CHAPTER_DIRS := $(sort $(patsubst %/Makefile,%,$(wildcard chapters/*/Makefile)))
chapter_num   = $(firstword $(subst -, ,$(notdir $(1))))
CHAPTERS     := $(foreach d,$(CHAPTER_DIRS),chapter-$(call chapter_num,$(d)))

SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=undefined
VALGRIND  := valgrind -q --trace-children=yes \
             --trace-children-skip='/bin/*,/usr/bin/*,/usr/local/bin/*,*python*' \
             --error-exitcode=99 --leak-check=full \
             --show-leak-kinds=definite,indirect \
             --errors-for-leak-kinds=definite,indirect

.PHONY: all lib test check check-asan check-valgrind clean help $(CHAPTERS)
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

test: all
	tests/bats-run tests

# The same suite against an AddressSanitizer + UndefinedBehaviorSanitizer
# build kept in build/asan, then under valgrind memcheck, following
# children, against a build kept in build/valgrind with DWARF 4 debug
# information (valgrind 3.19 cannot read clang 14's default DWARF 5). The
# in-place binaries are not touched.
check: check-asan check-valgrind

check-asan:
	+$(MAKE) BUILD_ROOT=$(CURDIR)/build/asan CFLAGS='$(SAN_FLAGS)' \
	        LDFLAGS='-fsanitize=address,undefined' all
	WB_BIN_ROOT=$(CURDIR)/build/asan WB_TWINS=skip WB_TIMEOUT_SCALE=3 \
	        tests/bats-run tests

check-valgrind:
	+$(MAKE) BUILD_ROOT=$(CURDIR)/build/valgrind CFLAGS='-O2 -gdwarf-4' all
	WB_BIN_ROOT=$(CURDIR)/build/valgrind WB_WRAP="$(VALGRIND)" WB_TWINS=skip \
	        WB_TIMEOUT_SCALE=10 tests/bats-run tests

# Each chapter folder, and common/, cleans itself, so that a
# make clean in the top folder cleans exactly what a chapter's would.
clean:
	+$(MAKE) -C common clean
	+for d in $(CHAPTER_DIRS); do $(MAKE) -C $$d clean || exit 1; done
	rm -rf build

help:
	@sed -n '2,9s/^# //p' Makefile
	@echo 'Chapters: $(CHAPTERS)'

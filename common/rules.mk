# common/rules.mk - the workbook's one set of build rules.
#
# Every chapter Makefile is one line, `include ../../common/rules.mk`: each
# *.c file in the chapter folder is a program of the same name, built next
# to its source and linked with common/libcommon.a, which is built on demand.
# Override the usual way: make CC=clang, make CFLAGS='-O0 -g'.
# A copy can be built elsewhere (make check builds a sanitizer copy):
# BUILD_ROOT=/some/dir puts the library and binaries under that folder.

WB_TOP   := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
COMMON   := $(WB_TOP)/common

CFLAGS   ?= -O2 -g
WB_FLAGS := -std=c11 -Wall -Wextra -Wpedantic $(if $(WERROR),-Werror)
CPPFLAGS += -I$(COMMON)
# -pthread: process-shared mutexes and semaphores (glibc before 2.34 keeps
# them in libpthread); -lrt only where shm_open needs it (glibc before 2.34:
# a probe tries a link without it); macOS and musl have it in their libc,
# and macOS has no librt at all, so -lrt there would fail every link; -lm:
# isfinite and co.
HASH     := \#
LIBRT    := $(shell printf '%s\n' '$(HASH)include <sys/mman.h>' \
                    'int main(void) { return shm_open("/wb", 0, 0); }' | \
                    $(CC) -x c - -o /dev/null >/dev/null 2>&1 || echo -lrt)
LDLIBS   += -pthread $(LIBRT) -lm

ifdef BUILD_ROOT
LIBOUT   := $(BUILD_ROOT)/common
OUT      := $(BUILD_ROOT)/chapters/$(notdir $(CURDIR))
else
LIBOUT   := $(COMMON)
OUT      := .
endif
LIB      := $(LIBOUT)/libcommon.a
LIB_SRCS := $(wildcard $(COMMON)/*.c)
LIB_OBJS := $(LIB_SRCS:$(COMMON)/%.c=$(LIBOUT)/%.o)
HEADERS  := $(wildcard $(COMMON)/*.h)

.PHONY: all lib clean
.DEFAULT_GOAL := all
# make's built-in rules would link a program without LOCAL_SRCS: cancel them.
.SUFFIXES:
%: %.c
%: %.o

lib: $(LIB)

$(LIB): $(LIB_OBJS)
	$(AR) rcs $@ $^

$(LIBOUT)/%.o: $(COMMON)/%.c $(HEADERS) | $(LIBOUT)
	$(CC) $(WB_FLAGS) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIBOUT):
	mkdir -p $@

ifeq ($(notdir $(CURDIR)),common)
# In common/ itself: the library is all there is to build.
all: lib
clean:
	rm -f $(LIB) $(LIB_OBJS)
else
# In a chapter folder: every *.c is a program, except helper sources that
# are not programs. A chapter Makefile names them before the include:
#   LOCAL_SRCS := queue.c            linked into every program of the folder
#   manager_queue_pool_SRCS := ../05-pool/pool.c
#                                    linked into that one program only
#   EXTRA_PROGRAMS := cost_queue_fast
#   cost_queue_fast_MAIN := cost_queue.c
#                                    a second program from another's source,
#                                    linked with its own cost_queue_fast_SRCS
# A program gets -I for the folder of each helper it links, and no other: a
# header name ("queue.h") means the one its own helpers implement.
CHAPTER    := $(firstword $(subst -, ,$(notdir $(CURDIR))))
OUTP       := $(if $(BUILD_ROOT),$(OUT)/)
MAINS      := $(patsubst %.c,%,$(wildcard *.c))
ALL_SRCS   := $(sort $(LOCAL_SRCS) $(foreach p,$(MAINS) $(EXTRA_PROGRAMS),$($(p)_SRCS)))
PROGRAMS   := $(filter-out $(notdir $(ALL_SRCS:.c=)),$(MAINS)) $(EXTRA_PROGRAMS)
# macOS lacks some primitives that lessons are about (the README's table
# says which): a chapter Makefile names the programs it cannot build there
# in NOT_ON_MACOS, and what they need in NOT_ON_MACOS_WHY. On macOS (or
# with WB_MACOS=1, as make check-macos-subset builds) they are left out,
# with one line each, not a screen of compiler errors.
WB_MACOS   ?= $(if $(filter Darwin,$(shell uname -s)),1,0)
ifeq ($(WB_MACOS),1)
PROGRAMS   := $(filter-out $(NOT_ON_MACOS),$(PROGRAMS))
$(foreach p,$(NOT_ON_MACOS),$(info $(p): not built on macOS, which lacks $(NOT_ON_MACOS_WHY)))
endif
LOCAL_DIRS := $(filter-out ./,$(sort $(dir $(ALL_SRCS))))
objs_of     = $(addprefix $(OUTP),$(notdir $(1:.c=.o)))
incs_of     = $(addprefix -I,$(filter-out ./,$(sort $(dir $(1)))))
main_of     = $(or $($(1)_MAIN),$(1).c)
# Keep the helper objects: as intermediate files make would delete them
# after each build, and compile them again the next time.
.SECONDARY: $(call objs_of,$(ALL_SRCS))
vpath %.c $(LOCAL_DIRS)
vpath %.h $(LOCAL_DIRS)
BINARIES   := $(PROGRAMS:%=$(OUTP)%)
MKOUT      := $(if $(BUILD_ROOT),| $(OUT))
DEPS       := $(HEADERS) $(wildcard *.h $(addsuffix *.h,$(LOCAL_DIRS)))

.PHONY: chapter-$(CHAPTER) not-on-macos $(if $(BUILD_ROOT),$(PROGRAMS))
all chapter-$(CHAPTER): $(BINARIES)
not-on-macos:
	@echo $(NOT_ON_MACOS)

ifdef BUILD_ROOT
# `make process_demo` still names the program when building elsewhere.
$(PROGRAMS): %: $(OUT)/%
endif

# A helper object: a quoted #include finds its own folder's headers first,
# then those of the other helpers' folders (event.c uses chapter 06's lock.h).
$(OUTP)%.o: %.c $(DEPS) $(MKOUT)
	$(CC) $(WB_FLAGS) $(CPPFLAGS) $(call incs_of,$(ALL_SRCS)) $(CFLAGS) -c -o $@ $<

# One rule per program: its main source, and exactly the helpers it links.
define program_rule
$(OUTP)$(1): $(call main_of,$(1)) $(call objs_of,$(LOCAL_SRCS) $($(1)_SRCS)) $(LIB) $(DEPS) $(MKOUT)
	$$(CC) $$(WB_FLAGS) $$(CPPFLAGS) $(call incs_of,$(LOCAL_SRCS) $($(1)_SRCS)) $$(CFLAGS) $$(LDFLAGS) \
	    -o $$@ $$< $(call objs_of,$(LOCAL_SRCS) $($(1)_SRCS)) $$(LIB) $$(LDLIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rule,$(p))))

ifdef BUILD_ROOT
$(OUT):
	mkdir -p $@
endif

clean:
	rm -f $(PROGRAMS) $(notdir $(ALL_SRCS:.c=.o))
endif

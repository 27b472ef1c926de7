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
# them in libpthread); -lrt: shm_open on older glibc; -lm: isfinite and co.
LDLIBS   += -pthread -lrt -lm

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
# In a chapter folder: every *.c is a program, except the chapter's own
# helper sources, which a chapter Makefile may list in LOCAL_SRCS.
CHAPTER    := $(firstword $(subst -, ,$(notdir $(CURDIR))))
OUTP       := $(if $(BUILD_ROOT),$(OUT)/)
LOCAL_OBJS := $(LOCAL_SRCS:%.c=$(OUTP)%.o)
PROGRAMS   := $(patsubst %.c,%,$(filter-out $(LOCAL_SRCS),$(wildcard *.c)))
BINARIES   := $(PROGRAMS:%=$(OUTP)%)
MKOUT      := $(if $(BUILD_ROOT),| $(OUT))

.PHONY: chapter-$(CHAPTER) $(if $(BUILD_ROOT),$(PROGRAMS))
all chapter-$(CHAPTER): $(BINARIES)

ifdef BUILD_ROOT
# `make process_demo` still names the program when building elsewhere.
$(PROGRAMS): %: $(OUT)/%
endif

$(OUTP)%.o: %.c $(HEADERS) $(wildcard *.h) $(MKOUT)
	$(CC) $(WB_FLAGS) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(OUTP)%: %.c $(LOCAL_OBJS) $(LIB) $(HEADERS) $(wildcard *.h) $(MKOUT)
	$(CC) $(WB_FLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LOCAL_OBJS) $(LIB) $(LDLIBS)

ifdef BUILD_ROOT
$(OUT):
	mkdir -p $@
endif

clean:
	rm -f $(PROGRAMS) $(LOCAL_SRCS:%.c=%.o)
endif

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
# are not programs, which a chapter Makefile lists in LOCAL_SRCS before the
# include: its own (LOCAL_SRCS := queue.c) or an earlier chapter's
# (LOCAL_SRCS := ../04-queue/queue.c); they are linked into every program.
CHAPTER    := $(firstword $(subst -, ,$(notdir $(CURDIR))))
OUTP       := $(if $(BUILD_ROOT),$(OUT)/)
LOCAL_DIRS := $(filter-out ./,$(sort $(dir $(LOCAL_SRCS))))
LOCAL_OBJS := $(addprefix $(OUTP),$(notdir $(LOCAL_SRCS:.c=.o)))
PROGRAMS   := $(patsubst %.c,%,$(filter-out $(notdir $(LOCAL_SRCS)),$(wildcard *.c)))
CPPFLAGS   += $(addprefix -I,$(LOCAL_DIRS))
# Keep the helper objects: as intermediate files make would delete them
# after each build, and compile them again the next time.
.SECONDARY: $(LOCAL_OBJS)
vpath %.c $(LOCAL_DIRS)
vpath %.h $(LOCAL_DIRS)
BINARIES   := $(PROGRAMS:%=$(OUTP)%)
MKOUT      := $(if $(BUILD_ROOT),| $(OUT))

.PHONY: chapter-$(CHAPTER) $(if $(BUILD_ROOT),$(PROGRAMS))
all chapter-$(CHAPTER): $(BINARIES)

ifdef BUILD_ROOT
# `make process_demo` still names the program when building elsewhere.
$(PROGRAMS): %: $(OUT)/%
endif

$(OUTP)%.o: %.c $(HEADERS) $(wildcard *.h $(addsuffix *.h,$(LOCAL_DIRS))) $(MKOUT)
	$(CC) $(WB_FLAGS) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(OUTP)%: %.c $(LOCAL_OBJS) $(LIB) $(HEADERS) $(wildcard *.h $(addsuffix *.h,$(LOCAL_DIRS))) $(MKOUT)
	$(CC) $(WB_FLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LOCAL_OBJS) $(LIB) $(LDLIBS)

ifdef BUILD_ROOT
$(OUT):
	mkdir -p $@
endif

clean:
	rm -f $(PROGRAMS) $(notdir $(LOCAL_SRCS:.c=.o))
endif

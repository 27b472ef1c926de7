/* tests/check/macos/sys/prctl.h - macOS has no <sys/prctl.h>: for make
 * check-macos-subset, this empty file stands in front of Linux's, so that
 * a program that includes it if it exists takes its fallback (no
 * PR_SET_PDEATHSIG), as it would on macOS. SPDX-License-Identifier: MIT */

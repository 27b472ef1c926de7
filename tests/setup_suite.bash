# tests/setup_suite.bash - run once by bats (1.7.0 or later) before the suite.
#
# The twins run under the python3 on PATH. Where that is a wrapper script
# (pyenv's shim is one: a shell script that picks a version, then execs it),
# each start costs about 0.1 s more than the interpreter itself, and the
# suite starts python3 nearly 800 times. So the suite asks python3 once for
# the interpreter it is (sys.executable) and runs that: the same Python, with
# no wrapper around each start. test_helper.bash falls back to python3.
#
# SPDX-License-Identifier: MIT

setup_suite() {
    if [ -z "${WB_PYTHON:-}" ] && command -v python3 >/dev/null 2>&1; then
        WB_PYTHON=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || WB_PYTHON=
        [ -x "$WB_PYTHON" ] || WB_PYTHON=python3
        export WB_PYTHON
    fi
}

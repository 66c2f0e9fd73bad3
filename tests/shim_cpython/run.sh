#!/bin/bash
# CPython's socket tests (libpython3.11-testsuite) under the LD_PRELOAD shim,
# against ringstackd; expectations.txt lists every test that fails, with
# its reason. Fails on an unexpected failure and on an unexpected pass.
#   RS_BUILD=build tests/shim_cpython/run.sh [MODULE...]
# default modules: test_socket test_selectors test_epoll test_poll
# (several minutes: not part of scripts/test.sh).
. "$(dirname "$0")/../integration/_init.sh"
SHIM=$RS_BUILD/lib/preload/libringsock_preload.so
HERE=$RS_ROOT/tests/shim_cpython
[ -f /usr/lib/python3.11/test/test_socket.py ] || fail "libpython3.11-testsuite not installed"
[ $# -gt 0 ] || set -- test_socket test_selectors test_epoll test_poll
rs_peer p1 10.0.0.2/24
rs_start
ringctl addr add 10.0.0.1/24 dev port0
cd "$RS_TMP"
LD_PRELOAD=$SHIM $PY "$HERE/runner.py" "$HERE/expectations.txt" "$@" 2>"$RS_TMP/unittest.log" |
	tee "$RS_TMP/runner.out" || { tail -50 "$RS_TMP/unittest.log" >&2; fail "unexpected results"; }
ok "$(grep '^summary' "$RS_TMP/runner.out")"

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Differential UDP tests: tests/diff/udp_diff.c runs twice, as udp_diff_linux
# on Linux kernel sockets and as udp_diff_rs on libringsock, in the same
# topology (the program at 10.0.0.1, a Linux peer at 10.0.0.2/24 running
# tests/diff/peer.py), and the outputs are compared case by case.
#
#   Linux run:     netns dl (10.0.0.1) --veth-- netns dlp (10.0.0.2, peer.py)
#   ringstack run: ringstackd port0 (10.0.0.1) --veth-- netns p1 (10.0.0.2, peer.py)
#
# A case whose lines differ must be listed in docs/divergences.md (a line
# "- id: CASE"); an unlisted difference fails, and so does a listed case that
# turns out equal (the entry is stale). RS_DIFF_OUT=DIR keeps both outputs;
# RS_DIVERGENCES=FILE reads the list from FILE instead.
#
# Cases whose name starts with a prefix in RS_DIFF_SKIP (space-separated;
# none by default) run on both sides but are not compared.
. "$(dirname "$0")/../integration/_init.sh"

BIN=$RS_BUILD/tests/diff
RS_NAME=udp_diff
DIV=${RS_DIVERGENCES:-$RS_ROOT/docs/divergences.md}
SKIP=${RS_DIFF_SKIP-}
SHIM=$RS_BUILD/lib/preload/libringsock_preload.so
[ -f "$SHIM" ] || fail "$SHIM not built"
for b in udp_diff_linux udp_diff_rs tcp_diff_linux tcp_diff_rs conf_diff_linux conf_diff_rs; do
	[ -x "$BIN/$b" ] || fail "$BIN/$b not built"
done
[ -f "$DIV" ] || fail "$DIV missing"

# start_peer NS: peer.py in namespace NS, ICMP errors not rate-limited
start_peer() {
	in_ns "$1" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=100000
	in_ns "$1" $PY "$RS_ROOT/tests/diff/peer.py" >"$RS_TMP/$1.ready" 2>"$RS_TMP/$1.err" &
	wait_for 10 grep -q ready "$RS_TMP/$1.ready" || fail "peer.py in $1 did not start: $(cat "$RS_TMP/$1.err")"
}

# Linux side: two namespaces and a veth
ip netns add dl
ip netns add dlp
ip link add dl-a type veth peer name dlp-a
ip link set dl-a netns dl
ip link set dlp-a netns dlp
for ns in dl dlp; do
	in_ns $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	in_ns $ns ip link set lo up
done
# IPv6 on dl's loopback only (::1, for the udp6_/tcp6_ cases of conf_diff)
in_ns dl sysctl -qw net.ipv6.conf.lo.disable_ipv6=0
in_ns dl ip addr add 10.0.0.1/24 dev dl-a
in_ns dlp ip addr add 10.0.0.2/24 dev dlp-a
in_ns dl ip link set dl-a up
in_ns dlp ip link set dlp-a up
start_peer dlp

# ringstack side
rs_peer p1 10.0.0.2/24
rs_peer_quiet p1
rs_start
ringctl addr add 10.0.0.1/24 dev port0
start_peer p1

# both locals reachable (and neighbours resolved) before the programs run
wait_for 10 in_ns dlp ping -c1 -W1 10.0.0.1 || fail "Linux local side unreachable"
wait_for 10 in_ns p1 ping -c1 -W1 10.0.0.1 || fail "ringstack unreachable from the peer"

# udp_diff, tcp_diff (its cases are named tcp_*), then conf_diff, each
# side's outputs in one file
in_ns dl bash -c "timeout 40 '$BIN/udp_diff_linux' && timeout 40 '$BIN/tcp_diff_linux' &&
	timeout 60 '$BIN/conf_diff_linux'" >"$RS_TMP/linux.out" 2>"$RS_TMP/linux.err" &
lx=$!
# (libringsock has no select: conf_diff's select_ cases run on ringstack
# through the LD_PRELOAD shim, as unmodified programs call it; so does
# tcp_diff's tcp_urgent_shim, for glibc's sockatmark)
bash -c "timeout 40 '$BIN/udp_diff_rs' && timeout 40 '$BIN/tcp_diff_rs' &&
	timeout 20 env LD_PRELOAD='$SHIM' '$BIN/tcp_diff_linux' urgent_shim &&
	timeout 60 '$BIN/conf_diff_rs' &&
	timeout 30 env LD_PRELOAD='$SHIM' '$BIN/conf_diff_linux' select" >"$RS_TMP/rs.out" 2>"$RS_TMP/rs.err" &
rx=$!
lrc=0 rrc=0
wait $lx || lrc=$?
wait $rx || rrc=$?
# RS_DIFF_KEEP=DIR keeps both sides' outputs (to read a case whole)
[ -z "${RS_DIFF_KEEP:-}" ] || cp "$RS_TMP/linux.out" "$RS_TMP/rs.out" "$RS_DIFF_KEEP"/
[ $lrc -eq 0 ] || fail "udp_diff_linux exited $lrc: $(tail -3 "$RS_TMP/linux.err")"
if [ -n "${RS_DIFF_OUT:-}" ]; then
	mkdir -p "$RS_DIFF_OUT"
	cp "$RS_TMP/linux.out" "$RS_TMP/rs.out" "$RS_DIFF_OUT/"
fi

rc=0
$PY "$RS_ROOT/tests/compare_cases.py" --skip "$SKIP" --bad "$RS_TMP/unexpected" \
	--summary "diff: {compared} compared, {equal} equal, {listed} divergent (listed), {unexpected} unexpected, {skipped} skipped ({skip})" \
	"$RS_TMP/linux.out" "$RS_TMP/rs.out" "$DIV" || rc=$?
[ $rrc -eq 0 ] || echo "note: udp_diff_rs exited $rrc"
[ $rrc -eq 0 ] || { echo "udp_diff_rs stderr:" >&2; tail -5 "$RS_TMP/rs.err" >&2; }
[ $rc -eq 0 ] || fail "unexpected differences: $(head -c 1500 "$RS_TMP/unexpected")"
ok "differential tests: Linux and libringsock agree except for the listed divergences"

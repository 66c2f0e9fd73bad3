#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Wire-level TCP tests, gVisor packetimpact's method: every script in
# tests/wire/t_*.py sends and expects segments with scapy and drives the
# device under test's (DUT) socket calls through wire_dut; it runs once with
# Linux kernel sockets as the DUT and once with ringstack (ringstackd on the
# veth, calls through libringsock), both at the same time on their own veths:
#
#   Linux:     netns wl (tester, scapy from 10.0.0.3) --veth-- netns wd (DUT 10.0.0.1)
#   ringstack: netns p1 (tester, scapy from 10.0.0.3) --veth-- ringstackd port0 (DUT 10.0.0.1)
#
# Each script prints one line per observed case; the two outputs are
# compared case by case. A difference must be listed in
# tests/wire/expectations.md ("- id: SCRIPT/CASE" with its reason); an
# unlisted difference fails, and so does a listed one that no longer
# differs. A script that dies is a case SCRIPT/exit of its own.
#   tests/wire/run.sh [SCRIPT...]   (names without t_ and .py; default all)
# RS_WIRE_OUT=DIR keeps both outputs of every script.
. "$(dirname "$0")/../integration/_init.sh"

BIN=$RS_BUILD/tests/wire
RS_NAME=wire
EXP=${RS_WIRE_EXPECT:-$RS_ROOT/tests/wire/expectations.md}
for b in wire_dut_linux wire_dut_rs; do
	[ -x "$BIN/$b" ] || fail "$BIN/$b not built"
done
[ -f "$EXP" ] || fail "$EXP missing"
scripts=()
if [ $# -gt 0 ]; then
	for s in "$@"; do scripts+=("$RS_ROOT/tests/wire/t_$s.py"); done
else
	scripts=("$RS_ROOT"/tests/wire/t_*.py)
fi

# Linux DUT: namespace wd, its tester wl
ip netns add wl
ip netns add wd
ip link add wl-t type veth peer name wd-d
ip link set wl-t netns wl
ip link set wd-d netns wd
for ns in wl wd; do
	in_ns $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	in_ns $ns ip link set lo up
done
in_ns wl ethtool -K wl-t tx off tso off gso off gro off >/dev/null 2>&1 || true
in_ns wd ethtool -K wd-d tx off tso off gso off gro off >/dev/null 2>&1 || true
in_ns wd ip addr add 10.0.0.1/24 dev wd-d
in_ns wl ip link set wl-t up
in_ns wd ip link set wd-d up
WL_MAC=$(mac_of wl wl-t)
WD_MAC=$(mac_of wd wd-d)
# Linux 6.x retries SYNs at linear intervals first (tcp_syn_linear_timeouts,
# default 4); the comparison is with its RFC 6298 backoff, as ringstack has
in_ns wd sysctl -qw net.ipv4.tcp_syn_linear_timeouts=0 2>/dev/null || true
in_ns wd ip neigh replace 10.0.0.3 lladdr "$WL_MAC" dev wd-d nud permanent

# ringstack DUT: port0, its tester p1
rs_peer p1 10.0.0.2/24
rs_peer_quiet p1
rs_start
ringctl addr add 10.0.0.1/24 dev port0
RS_MAC=$(rs_link_mac port0)
ringctl neigh add 10.0.0.3 lladdr "$(mac_of p1 p1-l)" dev port0

# run_one SIDE SCRIPT: the script against one DUT; its lines, then
# "SCRIPT/exit rc" if it died
run_one() {
	local side=$1 script=$2 name
	name=$(basename "$script" .py)
	name=${name#t_}
	local rc=0
	if [ "$side" = linux ]; then
		in_ns wl env WIRE_IFACE=wl-t WIRE_DMAC="$WD_MAC" WIRE_SRC=10.0.0.3 WIRE_DST=10.0.0.1 \
			WIRE_DUT="ip netns exec wd $BIN/wire_dut_linux" \
			timeout 90 $PY "$script" >"$RS_TMP/$name.$side.raw" 2>"$RS_TMP/$name.$side.err" || rc=$?
	else
		in_ns p1 env WIRE_IFACE=p1-l WIRE_DMAC="$RS_MAC" WIRE_SRC=10.0.0.3 WIRE_DST=10.0.0.1 \
			WIRE_DUT="$BIN/wire_dut_rs" RINGSTACK_CTL="$RS_SOCK" \
			timeout 90 $PY "$script" >"$RS_TMP/$name.$side.raw" 2>"$RS_TMP/$name.$side.err" || rc=$?
	fi
	sed "s|^|$name/|" "$RS_TMP/$name.$side.raw" >"$RS_TMP/$name.$side"
	if [ $rc -ne 0 ]; then
		echo "$name/exit rc=$rc $(tail -1 "$RS_TMP/$name.$side.err")" >>"$RS_TMP/$name.$side"
	fi
}

t0=$SECONDS
: >"$RS_TMP/all.linux"
: >"$RS_TMP/all.rs"
for s in "${scripts[@]}"; do
	[ -f "$s" ] || fail "no script $s"
	st=$SECONDS
	run_one linux "$s" &
	lx=$!
	run_one rs "$s" &
	rx=$!
	wait $lx $rx
	name=$(basename "$s" .py)
	name=${name#t_}
	echo "ran $name ($((SECONDS - st)) s)"
	cat "$RS_TMP/$name.linux" >>"$RS_TMP/all.linux"
	cat "$RS_TMP/$name.rs" >>"$RS_TMP/all.rs"
	if [ -n "${RS_WIRE_OUT:-}" ]; then
		mkdir -p "$RS_WIRE_OUT"
		cp "$RS_TMP/$name".* "$RS_WIRE_OUT/"
	fi
done

rc=0
$PY "$RS_ROOT/tests/compare_cases.py" --table $([ $# -eq 0 ] || echo --subset) \
	--summary "wire: {compared} cases, {unexpected} unexpected" \
	"$RS_TMP/all.linux" "$RS_TMP/all.rs" "$EXP" || rc=$?
echo "wire: $((SECONDS - t0)) s for ${#scripts[@]} scripts"
[ $rc -eq 0 ] || fail "unexpected results (see above); RS_WIRE_OUT=DIR keeps the outputs"
ok "wire-level TCP: Linux and ringstack agree except for the listed differences"

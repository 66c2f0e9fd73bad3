# SPDX-License-Identifier: BSD-3-Clause
# Sourced by every integration test. The test re-executes itself under
# unshare: a new network namespace (its links and peer namespaces vanish with
# it), a new mount namespace (private /run and /var/run for DPDK's runtime
# files and ip-netns), and a new PID namespace (every process it started dies
# with it). So cleanup happens even when a test fails or is killed.
#
# Environment: RS_BUILD (build dir, default ./build), RS_PMD (af_xdp |
# af_packet, default af_xdp: DPDK 22.11's af_packet joins a PACKET_FANOUT group
# with the DEFRAG flag, so the kernel reassembles fragments before we see
# them), RS_KEEP_LOG=1 prints the daemon log even on success, RS_EAL_MEM the
# EAL memory options of rs_start (default --no-huge -m 512).
set -euo pipefail

RS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export RS_ROOT
: "${RS_BUILD:=$RS_ROOT/build}"
export RS_BUILD
PY=/usr/bin/python3

if [ -z "${RS_IN_NS:-}" ]; then
	export RS_IN_NS=1
	exec unshare --net --mount --pid --fork --mount-proc --propagation private "$0" "$@"
fi

mount -t tmpfs rs-run /run
mkdir -p /run/netns /var/run
[ -L /var/run ] || mount -t tmpfs rs-varrun /var/run
mount -t bpf bpf /sys/fs/bpf 2>/dev/null || true
ip link set lo up

RS_TMP=$(mktemp -d /tmp/rs-test.XXXXXX)
RS_SOCK=$RS_TMP/ctl.sock
RS_LOG=$RS_TMP/ringstackd.log
RS_PID=
RS_LINKS=()
RS_NAME=$(basename "$0" .sh)
: "${RS_PMD:=af_xdp}"
export RINGSTACK_CTL=$RS_SOCK

rs_cleanup() {
	local rc=$?
	if [ $rc -ne 0 ] && [ -n "$RS_PID" ] && [ -S "$RS_SOCK" ]; then
		echo "---- ringctl stats at failure ($RS_NAME) ----" >&2
		timeout 5 "$RS_BUILD/app/ringctl" -s "$RS_SOCK" stats >&2 2>&1 || true
		echo "---- ringctl sock show at failure ($RS_NAME) ----" >&2
		timeout 5 "$RS_BUILD/app/ringctl" -s "$RS_SOCK" sock show 2>&1 | head -n 20 >&2 || true
		local l
		for l in "${RS_LINKS[@]}"; do
			# the Linux peer's view of its TCP connections (a stall shows
			# as unacknowledged data, a zero window, a backed-off RTO)
			echo "---- ss -tni in ${l%-rs} ----" >&2
			timeout 5 ip netns exec "${l%-rs}" ss -tni 2>&1 | head -n 20 >&2 || true
		done
	fi
	if [ -n "$RS_PID" ] && kill -0 "$RS_PID" 2>/dev/null; then
		kill -TERM "$RS_PID" 2>/dev/null || true
		wait "$RS_PID" 2>/dev/null || true
	fi
	if [ $rc -ne 0 ] || [ -n "${RS_KEEP_LOG:-}" ]; then
		echo "---- ringstackd log ($RS_NAME) ----" >&2
		grep -v "skipping unrec" "$RS_LOG" | tail -n 40 >&2 2>/dev/null || true
	fi
	rm -rf "$RS_TMP"
	exit $rc
}
trap rs_cleanup EXIT

fail() {
	echo "FAIL: $RS_NAME: $*" >&2
	exit 1
}

ok() { echo "ok: $RS_NAME: $*"; }

# rs_peer NAME CIDR: a veth whose far end lives in namespace NAME with
# address CIDR; the near end (NAME-rs) becomes a ringstackd port, in the order
# peers are created (port0, port1, ...).
rs_peer() {
	local name=$1 cidr=$2
	ip netns add "$name"
	ip link add "$name-rs" type veth peer name "$name-l"
	ip link set "$name-l" netns "$name"
	sysctl -qw "net.ipv6.conf.$name-rs.disable_ipv6=1"
	ethtool -K "$name-rs" tx off tso off gso off gro off >/dev/null 2>&1 || true
	ip link set "$name-rs" up
	ip netns exec "$name" ip link set lo up
	ip netns exec "$name" ethtool -K "$name-l" tx off tso off gso off gro off >/dev/null 2>&1 || true
	ip netns exec "$name" ip addr add "$cidr" dev "$name-l"
	ip netns exec "$name" ip link set "$name-l" up
	RS_LINKS+=("$name-rs")
}

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

rs_vdevs() {
	local i=0 l
	for l in "${RS_LINKS[@]}"; do
		case $RS_PMD in
		af_xdp) echo "--vdev=net_af_xdp$i,iface=$l" ;;
		af_packet) echo "--vdev=net_af_packet$i,iface=$l" ;;
		*) fail "unknown RS_PMD $RS_PMD" ;;
		esac
		i=$((i + 1))
	done
}

# rs_start [daemon options...]: starts ringstackd on every rs_peer link and
# waits for its control socket.
rs_start() {
	local vdevs
	mapfile -t vdevs < <(rs_vdevs)
	# AF_XDP pins the packet pool as UMEM: the default 8 MiB memlock is too small
	ulimit -l unlimited 2>/dev/null || true
	# shellcheck disable=SC2086 # RS_EAL_MEM is a list of EAL options
	"$RS_BUILD/app/ringstackd" -l 0,1 ${RS_EAL_MEM:---no-huge -m 512} --no-pci \
		--file-prefix "rs$$" --log-level=*:warning "${vdevs[@]}" -- \
		--ctl "$RS_SOCK" --idle-sleep 20 "$@" >"$RS_LOG" 2>&1 &
	RS_PID=$!
	wait_for 30 test -S "$RS_SOCK" || fail "ringstackd did not start: $(tail -3 "$RS_LOG")"
}

rs_stop() {
	kill -TERM "$RS_PID"
	local rc=0
	wait "$RS_PID" || rc=$?
	RS_PID=
	return $rc
}

ringctl() { "$RS_BUILD/app/ringctl" -s "$RS_SOCK" "$@"; }

# wait_for SECONDS CMD...: until CMD succeeds (polled every 50 ms).
wait_for() {
	local t=$1; shift
	local end=$((SECONDS + t))
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.05
	done
	return 0
}

# listening ERRFILE: waits until the tcpdump whose stderr goes to ERRFILE
# has its capture open (it says "listening on" then), instead of a sleep.
listening() { wait_for 20 grep -q "listening on" "$1"; }

# cap_start NS DEV FILTER / cap_show: a headers-only capture on the Linux
# side while a step runs; cap_show stops it and prints its last 40
# segments (to stderr, before a failure's other dumps): a stall then shows
# which side stopped sending or acknowledging. cap_stop ends it quietly.
cap_start() {
	ip netns exec "$1" tcpdump -i "$2" -nn -U -s 128 -w "$RS_TMP/cap_step.pcap" "$3" \
		2>"$RS_TMP/cap_step.err" &
	RS_CAP=$!
	wait_for 20 grep -q "listening on" "$RS_TMP/cap_step.err" || true
}
cap_stop() {
	[ -n "${RS_CAP:-}" ] || return 0
	kill "$RS_CAP" 2>/dev/null || true
	wait "$RS_CAP" 2>/dev/null || true
	RS_CAP=
}
cap_show() {
	cap_stop
	echo "---- the last segments the Linux side saw ($RS_NAME) ----" >&2
	tcpdump -nn -tt -r "$RS_TMP/cap_step.pcap" 2>/dev/null | tail -n 40 >&2 || true
}

# drops REASON: the count of one drop reason.
drops() { ringctl -j stats | jq -r ".drops.$1"; }
# node_pkts NODE: packets a graph node processed.
node_pkts() { ringctl -j stats | jq -r ".nodes[] | select(.name == \"$1\") | .packets"; }
# drops_reach REASON N: the reason's count is at least N.
drops_reach() { [ "$(drops "$1")" -ge "$2" ]; }

# mac_of NS DEV
mac_of() { ip netns exec "$1" cat "/sys/class/net/$2/address"; }
rs_mac() { cat "/sys/class/net/$1/address"; }

# rs_peer_quiet NAME: no IPv6 in peer namespace NAME, so that its kernel
# sends nothing on its own (router solicitations, MLD, DAD) that would move
# our counters.
rs_peer_quiet() {
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 "net.ipv6.conf.$1-l.disable_ipv6=1"
}

# rs_link_mac LINK: the MAC address of one of our links (port0, ...).
rs_link_mac() { ringctl -j link show | jq -r ".[] | select(.name == \"$1\") | .lladdr"; }

# rs_daemon_fg [daemon options...]: runs ringstackd in the foreground on every
# rs_peer link with rs_start's EAL arguments, and returns its exit status, or
# 124 if it still runs after RS_FG_TIMEOUT seconds (default 20). For tests of
# start-up failures; the caller redirects its output.
rs_daemon_fg() {
	local vdevs
	mapfile -t vdevs < <(rs_vdevs)
	timeout "${RS_FG_TIMEOUT:-20}" "$RS_BUILD/app/ringstackd" -l 0,1 --no-huge --no-pci -m 512 \
		--file-prefix "rsfg$$" --log-level=*:warning "${vdevs[@]}" -- \
		--ctl "$RS_SOCK" --idle-sleep 20 "$@"
}

#!/bin/bash
# IPv6 vs IPv4 forwarding of ringstackd, side by side in one run: one worker
# core, net_pcap (infinite_rx, 64-byte IPv4/UDP or 78-byte IPv6/UDP frames,
# 256 flows) -> net_null, packets/s leaving port1 over SECONDS (default 5),
# and the ratio. Uses the build in RS_BUILD (default build/; build-rel/ for
# release numbers). Runs in private namespaces; needs root.
#   perf/fwd6_ratio.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
secs=${1:-5}
: "${RS_BUILD:=$ROOT/build}"
if [ -z "${RS_BENCH_NS:-}" ]; then
	export RS_BENCH_NS=1 RS_BUILD
	exec unshare --net --mount --pid --fork --mount-proc --propagation private "$0" "$@"
fi
mount -t tmpfs rs-run /run
[ -L /var/run ] || mount -t tmpfs rs-varrun /var/run
PY=/usr/bin/python3
T=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$T"' EXIT

$PY perf/genpcap.py "$T/v4.pcap" 1024 60
$PY - "$T/v6.pcap" <<'PY'
import sys
from scapy.all import Ether, IPv6, UDP, wrpcap
wrpcap(sys.argv[1], [Ether(dst="02:00:00:00:00:01", src="02:00:00:00:00:02") /
                     IPv6(src="2001:db8:18::%x" % (2 + i % 250), dst="2001:db8:19::%x" % (i % 256), hlim=64) /
                     UDP(sport=1024 + i % 4096, dport=9) for i in range(1024)])
PY
cat >"$T/common.conf" <<CONF
link set port0 address 02:00:00:00:00:01
link set port1 forwarding on
link set port0 forwarding on
CONF
cat "$T/common.conf" - >"$T/v4.conf" <<CONF
addr add 198.18.0.1/24 dev port0
addr add 10.1.0.1/24 dev port1
neigh add 10.1.0.2 lladdr 02:00:00:00:00:03 dev port1
route add 198.18.1.0/24 via 10.1.0.2
CONF
cat "$T/common.conf" - >"$T/v6.conf" <<CONF
addr add 2001:db8:18::1/64 dev port0
addr add 2001:db8:1::1/64 dev port1
neigh add 2001:db8:1::2 lladdr 02:00:00:00:00:03 dev port1
route add 2001:db8:19::/64 via 2001:db8:1::2
CONF

opackets() { $PY perf/telemetry.py "$1" "/ethdev/stats,1" --wait 30 | jq .opackets; }
run() { # FAMILY: packets/s leaving port1
	local f=$1
	"$RS_BUILD/app/ringstackd" -l 0,1 --no-huge -m 1024 --no-pci --file-prefix "b$f" \
		--log-level='*:error' --vdev "net_pcap0,rx_pcap=$T/$f.pcap,infinite_rx=1" \
		--vdev "net_null0,no-rx=1" -- --ctl "$T/$f.sock" --config "$T/$f.conf" \
		>"$T/$f.log" 2>&1 &
	local pid=$!
	pids+=($pid)
	for _ in $(seq 600); do [ -S "$T/$f.sock" ] && break; sleep 0.1; done
	sleep 2 # DAD of the addresses; forwarding needs none of them
	local a b
	a=$(opackets "b$f")
	sleep "$secs"
	b=$(opackets "b$f")
	"$RS_BUILD/app/ringctl" -s "$T/$f.sock" stats >&2
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	echo $(((b - a) / secs))
}
v4=$(run v4)
v6=$(run v6)
echo "forwarding, one worker, pcap -> null, ${secs}s: IPv4 $v4 pps, IPv6 $v6 pps, IPv6/IPv4 $(echo "scale=2; $v6 / $v4" | bc)"

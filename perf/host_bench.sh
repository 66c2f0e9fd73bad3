#!/bin/bash
# Host-path benchmark (the foundation's measurements), side by side:
#   1. ping round trip to ringstackd (net_af_xdp on a veth) vs to the Linux
#      kernel on the same kind of veth, from a Linux namespace;
#   2. packets per second through the L2/L3 input path on one worker:
#      net_pcap replaying ICMP echo requests to our address (each answered)
#      and UDP datagrams to a closed port (dropped after validation), the
#      replies going to a sink.
# Writes perf/out/host.json.   perf/host_bench.sh [--seconds N]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
secs=5
args=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) secs=$2; shift ;;
	-h|--help) sed -n 2,11p "$0"; exit 0 ;;
	*) echo "host_bench: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
. "$ROOT/perf/_bench_init.sh"
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$T"' EXIT

# -- 1. ping RTT
for n in peer lx; do ip netns add $n; done
ip link add p0 type veth peer name r0
ip link set p0 netns peer
ip link add p1 type veth peer name l1
ip link set p1 netns peer
ip link set l1 netns lx
for x in "peer:p0" "peer:p1" "lx:l1" ":r0"; do
	ns=${x%%:*}; dev=${x#*:}
	ex=(); [ -n "$ns" ] && ex=(ip netns exec "$ns")
	"${ex[@]}" ethtool -K "$dev" tx off tso off gso off gro off >/dev/null 2>&1 || true
	"${ex[@]}" ip link set "$dev" up
done
ip netns exec peer ip addr add 10.0.0.2/24 dev p0
ip netns exec peer ip addr add 10.9.0.2/24 dev p1
ip netns exec lx ip addr add 10.9.0.1/24 dev l1
sysctl -qw net.ipv6.conf.r0.disable_ipv6=1
"$RSD" -l 0,1 --no-huge -m 512 --no-pci --file-prefix rsh --log-level='*:error' \
	--vdev net_af_xdp0,iface=r0 -- --ctl "$T/rsh.sock" >"$T/rsh.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do [ -S "$T/rsh.sock" ] && break; sleep 0.1; done
$RCTL -s "$T/rsh.sock" addr add 10.0.0.1/24 dev port0
ip netns exec peer ping -c 3 -W 2 10.0.0.1 >/dev/null
ip netns exec peer ping -c 3 -W 2 10.9.0.1 >/dev/null
rtt() { ip netns exec peer ping -q -c 500 -i 0.002 "$1" | awk -F/ '/rtt/ {print $5}'; }
rs_rtt=$(rtt 10.0.0.1)
lx_rtt=$(rtt 10.9.0.1)
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
echo "  ping RTT (avg of 500): ringstackd ${rs_rtt} ms, Linux ${lx_rtt} ms (busy-polling worker)"

# -- 2. input path pps
$PY - "$T" <<'PYEOF'
import sys
from scapy.all import Ether, IP, UDP, ICMP, Raw, wrpcap
t = sys.argv[1]
mk = lambda l4: Ether(dst="02:00:00:00:00:01", src="02:00:00:00:00:02") / IP(src="198.18.0.2", dst="198.18.0.1") / l4
wrpcap(t + "/echo.pcap", [mk(ICMP(id=1, seq=i) / Raw(b"x" * 18)) for i in range(1024)])
wrpcap(t + "/udp.pcap", [mk(UDP(sport=1024 + i, dport=9) / Raw(b"x" * 18)) for i in range(1024)])
PYEOF
cat >"$T/h.conf" <<CONF
link set port0 address 02:00:00:00:00:01
addr add 198.18.0.1/24 dev port0
neigh add 198.18.0.2 lladdr 02:00:00:00:00:02 dev port0
CONF
input_rate() { # input_rate PCAP NODE: packets/s that NODE handles
	"$RSD" -l 0,1 --no-huge -m 1024 --no-pci --file-prefix rsi --log-level='*:error' \
		--vdev "net_pcap0,rx_pcap=$1,infinite_rx=1" -- --ctl "$T/rsi.sock" \
		--config "$T/h.conf" --icmp-rate 1000 >"$T/rsi.log" 2>&1 &
	local p=$!
	for _ in $(seq 300); do [ -S "$T/rsi.sock" ] && break; sleep 0.1; done
	sleep 1
	local a b
	a=$($RCTL -s "$T/rsi.sock" -j stats | jq ".nodes[] | select(.name==\"$2\") | .packets")
	sleep "$secs"
	b=$($RCTL -s "$T/rsi.sock" -j stats | jq ".nodes[] | select(.name==\"$2\") | .packets")
	kill $p; wait $p 2>/dev/null || true
	echo $(((b - a) / secs))
}
echo_pps=$(input_rate "$T/echo.pcap" icmp4_input)
udp_pps=$(input_rate "$T/udp.pcap" udp_input)
echo "  input path, one worker: ICMP echo answered $echo_pps/s, UDP to a closed port $udp_pps/s"
$PY - "$OUT" <<PYEOF
import json, sys
r = {"ping_rtt_ms": {"ringstackd_af_xdp": float("$rs_rtt"), "linux": float("$lx_rtt")},
     "input_pps_one_worker": {"icmp_echo_answered": $echo_pps, "udp_closed_port_dropped": $udp_pps}}
json.dump(r, open(sys.argv[1] + "/host.json", "w"), indent=2)
print(json.dumps(r, indent=2))
PYEOF

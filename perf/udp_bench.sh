#!/bin/bash
# UDP app-to-app benchmark, side by side in one run: the same echo server
# program (perf/udp_perf.c) on ringstack (libringsock, ringstackd on a veth
# through AF_XDP) and on Linux kernel sockets (in a namespace behind a veth);
# the same Linux client drives both from a peer namespace. Reports echoes per
# second (64 and 1400 bytes, 32 in flight) and request/response latency
# (p50, p99), and with --callgrind the worker's instructions per datagram
# (all of its walks, and beyond what the same walks cost idle).
# --workers 2 runs two workers on a two-queue veth (net_af_packet, qpairs=2:
# the kernel's fanout spreads the client's flows over both queues).
# Writes perf/out/udp.json (udp_w2.json with --workers 2).
#   perf/udp_bench.sh [--seconds N] [--callgrind] [--workers 1|2]
# RS_DAEMON_ARGS: more ringstackd options (after --), e.g. "--idle-sleep 20".
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
secs=5 callgrind=0 workers=1
args=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) secs=$2; shift ;;
	--callgrind) callgrind=1 ;;
	--workers) workers=$2; shift ;;
	-h|--help) sed -n 2,13p "$0"; exit 0 ;;
	*) echo "udp_bench: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
. "$ROOT/perf/_bench_init.sh"
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$T"' EXIT
UL=$ROOT/build-rel/perf/udp_perf_linux
UR=$ROOT/build-rel/perf/udp_perf_rs

for n in c1 c2 lsrv; do ip netns add $n; ip netns exec $n ip link set lo up; done
if [ "$workers" = 2 ]; then
	# two queues each way, so af_packet's fanout has two to spread over
	ip link add c1a numtxqueues 2 numrxqueues 2 type veth peer name rs0 numtxqueues 2 numrxqueues 2
	ip link set c1a netns c1
	for x in "c1:c1a" ":rs0"; do
		ns=${x%%:*} dev=${x#*:} ex=()
		[ -n "$ns" ] && ex=(ip netns exec "$ns")
		"${ex[@]}" ethtool -K "$dev" tx off tso off gso off gro off >/dev/null 2>&1 || true
		"${ex[@]}" ip link set "$dev" up
	done
	lcores=(--lcores "0@0,1@0,2@1")
	vdev=net_af_packet0,iface=rs0,qpairs=2
else
	veth c1 c1a "" rs0          # client 1 <-> ringstackd
	lcores=(-l 0,1)
	vdev=net_af_xdp0,iface=rs0
fi
veth c2 c2a lsrv ls0        # client 2 <-> Linux server
sysctl -qw net.ipv6.conf.rs0.disable_ipv6=1
ip netns exec c1 ip addr add 10.0.0.2/24 dev c1a
ip netns exec c2 ip addr add 10.1.0.2/24 dev c2a
ip netns exec lsrv ip addr add 10.1.0.1/24 dev ls0

vg=()
# counted only inside the worker's graph walks (not the control thread's
# housekeeping, whose share per datagram would depend on the rate)
[ $callgrind -eq 1 ] && vg=(valgrind --tool=callgrind --fair-sched=yes --instr-atstart=no
	--toggle-collect=rs_worker_poll_once --callgrind-out-file="$T/cg.%p")
"${vg[@]}" "$RSD" "${lcores[@]}" --no-huge -m 512 --no-pci --file-prefix rsu --log-level='*:error' \
	--vdev "$vdev" -- --ctl "$T/rsu.sock" ${RS_DAEMON_ARGS:-} >"$T/rsu.log" 2>&1 &
rsd=$!; pids+=($rsd)
for _ in $(seq 600); do [ -S "$T/rsu.sock" ] && break; sleep 0.1; done
$RCTL -s "$T/rsu.sock" addr add 10.0.0.1/24 dev port0
export RINGSTACK_CTL=$T/rsu.sock
# a daemon under valgrind answers the attach slowly
[ $callgrind -eq 1 ] && export RINGSTACK_ATTACH_TIMEOUT=300
"$UR" echo 7 >"$T/rs_srv.log" 2>&1 &
pids+=($!)
ip netns exec lsrv "$UL" echo 7 >"$T/l_srv.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q ready "$T/rs_srv.log" "$T/l_srv.log" 2>/dev/null &&
	[ "$(grep -c ready "$T/rs_srv.log" "$T/l_srv.log" | grep -c ':1')" -eq 2 ] && break; sleep 0.1; done
ip netns exec c1 "$UL" rr 10.0.0.1 7 64 100 >/dev/null || { $RCTL -s "$T/rsu.sock" stats; $RCTL -s "$T/rsu.sock" sock show; $RCTL -s "$T/rsu.sock" neigh show; cat "$T/rs_srv.log"; exit 1; }
ip netns exec c2 "$UL" rr 10.1.0.1 7 64 100 >/dev/null

declare -A R
for size in 64 1400; do
	R[rs_flood_$size]=$(ip netns exec c1 "$UL" flood 10.0.0.1 7 $size "$secs" 32 | awk '{print $2}')
	R[lx_flood_$size]=$(ip netns exec c2 "$UL" flood 10.1.0.1 7 $size "$secs" 32 | awk '{print $2}')
done
read -r _ rs_p50 _ rs_p99 < <(ip netns exec c1 "$UL" rr 10.0.0.1 7 64 5000)
read -r _ lx_p50 _ lx_p99 < <(ip netns exec c2 "$UL" rr 10.1.0.1 7 64 5000)
echo "  echoes/s  64 B: ringstack ${R[rs_flood_64]}, Linux ${R[lx_flood_64]}"
echo "  echoes/s 1400 B: ringstack ${R[rs_flood_1400]}, Linux ${R[lx_flood_1400]}"
echo "  RTT 64 B p50/p99 us: ringstack $rs_p50/$rs_p99, Linux $lx_p50/$lx_p99"

ipd=null ipm=null
if [ $callgrind -eq 1 ]; then
	cgpid=$rsd # valgrind runs the daemon in its own process (cg.PID)
	node() { $RCTL -s "$T/rsu.sock" -j stats | jq ".nodes[] | select(.name==\"$1\") | .$2"; }
	cgir() { callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",","",$1); print $1; exit}'; }
	# an idle window first: what a walk costs with nothing to do
	w0=$(node port_rx calls)
	callgrind_control -i on "$cgpid" >/dev/null
	sleep 3
	callgrind_control -i off "$cgpid" >/dev/null
	w1=$(node port_rx calls)
	callgrind_control -d "$cgpid" >/dev/null
	a=$(node udp_input packets)
	callgrind_control -i on "$cgpid" >/dev/null
	ip netns exec c1 "$UL" flood 10.0.0.1 7 64 10 32 >/dev/null
	callgrind_control -i off "$cgpid" >/dev/null
	b=$(node udp_input packets)
	w2=$(node port_rx calls)
	callgrind_control -d "$cgpid" >/dev/null
	idle=$(cgir "$T/cg.$cgpid.1") ir=$(cgir "$T/cg.$cgpid.2")
	# each echo is one datagram in and one out; the marginal figure takes
	# away what the walks of the window would have cost with no datagram
	read -r ipd ipm < <($PY -c "
idle, walks_idle, ir, walks, n = $idle, $w1 - $w0, $ir, $w2 - $w1, 2 * ($b - $a)
per_walk = idle / max(walks_idle, 1)
print(round(ir / n), round((ir - walks * per_walk) / n))")
	callgrind_annotate --inclusive=no "$T/cg.$cgpid.2" 2>/dev/null | sed -n '/file:function/,$p' | head -25 >"$OUT/callgrind_udp.txt"
	echo "  worker instructions per datagram (in or out): $ipd; beyond an idle walk's: $ipm"
fi
$PY - "$OUT" <<PYEOF
import json, sys
r = {"workers": $workers, "echoes_per_s": {"ringstack_64": ${R[rs_flood_64]}, "linux_64": ${R[lx_flood_64]},
                      "ringstack_1400": ${R[rs_flood_1400]}, "linux_1400": ${R[lx_flood_1400]}},
     "rtt_us_64": {"ringstack_p50": $rs_p50, "ringstack_p99": $rs_p99,
                   "linux_p50": $lx_p50, "linux_p99": $lx_p99},
     "worker_instructions_per_datagram": json.loads("$ipd"),
     "worker_instructions_per_datagram_beyond_idle": json.loads("$ipm")}
json.dump(r, open(sys.argv[1] + ("/udp.json" if $workers == 1 else "/udp_w$workers.json"), "w"), indent=2)
print(json.dumps(r, indent=2))
PYEOF

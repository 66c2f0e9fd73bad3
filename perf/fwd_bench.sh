#!/bin/bash
# Forwarding benchmark, side by side in one run:
#   1. ringstackd vs DPDK's l3fwd on one worker core, net_pcap (infinite_rx,
#      64-byte UDP) -> net_null: Mpps and, with --callgrind, instructions per
#      packet (valgrind --tool=callgrind over a steady-state window);
#   2. the Linux kernel forwarding between namespaces on veth vs ringstackd on
#      the same veth topology (net_af_xdp), traffic from perf/rs_pktgen;
#   3. route-table scale: load time of 1,000,000 routes (ringctl -b),
#      forwarding rate with them, and route updates per second while
#      forwarding.
# Writes perf/out/fwd.json and perf/out/fwd.png, prints a table.
#
#   perf/fwd_bench.sh [--seconds N] [--callgrind] [--no-linux] [--no-scale]
#                     [--huge] [--smoke]
# --smoke: 1-second windows, ringstackd and l3fwd only (CI runs this).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
secs=5 callgrind=0 linux=1 scale=1 huge=0 smoke=0
args=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) secs=$2; shift ;;
	--callgrind) callgrind=1 ;;
	--no-linux) linux=0 ;;
	--no-scale) scale=0 ;;
	--huge) huge=1 ;;
	--smoke) smoke=1 secs=1 linux=0 scale=0 callgrind=0 ;;
	-h|--help) sed -n 2,16p "$0"; exit 0 ;;
	*) echo "fwd_bench: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

RS_BENCH_L3FWD=1
. "$ROOT/perf/_bench_init.sh"
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ $huge -eq 1 ]; then echo 0 >/proc/sys/vm/nr_hugepages; fi
	rm -rf "$T"
}
trap cleanup EXIT

mem=(--no-huge -m 2048)
if [ $huge -eq 1 ]; then
	echo 1024 >/proc/sys/vm/nr_hugepages
	mkdir -p /dev/hugepages
	mountpoint -q /dev/hugepages || mount -t hugetlbfs none /dev/hugepages
	mem=(-m 1024)
fi

tel() { $PY "$ROOT/perf/telemetry.py" "$1" "$2" --wait 30; }
opackets() { tel "$1" "/ethdev/stats,$2" | jq .opackets; }

# rate PREFIX PORT SECONDS: packets/s leaving PORT over a window
rate() {
	local a b
	a=$(opackets "$1" "$2")
	sleep "$3"
	b=$(opackets "$1" "$2")
	echo $(((b - a) / $3))
}

$PY perf/genpcap.py "$T/64.pcap" 1024 60
cat >"$T/rs.conf" <<CONF
link set port0 address 02:00:00:00:00:01
addr add 198.18.0.1/24 dev port0
addr add 10.1.0.1/24 dev port1
neigh add 10.1.0.2 lladdr 02:00:00:00:00:03 dev port1
route add 198.18.1.0/24 via 10.1.0.2
CONF
src=(--vdev "net_pcap0,rx_pcap=$T/64.pcap,infinite_rx=1" --vdev "net_null0,no-rx=1")

# start_rs PREFIX [valgrind...]: ringstackd on one worker (lcore 1)
start_rs() {
	local prefix=$1; shift
	"$@" "$RSD" -l 0,1 "${mem[@]}" --no-pci --file-prefix "$prefix" --log-level='*:error' "${src[@]}" \
		-- --ctl "$T/$prefix.sock" --config "$T/rs.conf" --fib-max-routes 1100000 \
		--fib-max-tbl8 8192 >"$T/$prefix.log" 2>&1 &
	pids+=($!)
	# the control socket appears once --config is applied
	for _ in $(seq 600); do [ -S "$T/$prefix.sock" ] && break; sleep 0.1; done
	echo $!
}
start_l3fwd() {
	local prefix=$1; shift
	"$@" "$L3FWD" -l 1 "${mem[@]}" --no-pci --file-prefix "$prefix" --log-level='*:error' "${src[@]}" \
		-- -p 0x3 --config="(0,0,1),(1,0,1)" --parse-ptype >"$T/$prefix.log" 2>&1 &
	pids+=($!)
	echo $!
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# callgrind_ipp PREFIX PID: instructions per forwarded packet in a window
callgrind_ipp() {
	local prefix=$1 pid=$2 a b ir
	sleep 20 # warm-up under valgrind
	a=$(opackets "$prefix" 1)
	callgrind_control -i on "$pid" >/dev/null
	sleep 20
	callgrind_control -i off "$pid" >/dev/null
	b=$(opackets "$prefix" 1)
	callgrind_control -d "$pid" >/dev/null
	stop "$pid"
	local f="$T/callgrind.out.$pid.1" # the dump of the window
	ir=$(callgrind_annotate "$f" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",","",$1); print $1; exit}')
	echo $((ir / (b - a)))
	callgrind_annotate --inclusive=no "$f" 2>/dev/null | sed -n '/file:function/,$p' | head -30 >"$OUT/callgrind_$prefix.txt"
}

echo "fwd_bench: pcap -> null, one worker core, ${secs}s windows"
pid=$(start_rs rsb)
tel rsb /ethdev/list >/dev/null
sleep 1
rs_pps=$(rate rsb 1 "$secs")
$RCTL -s "$T/rsb.sock" stats >"$OUT/ringstackd_stats.txt"
stop "$pid"
pid=$(start_l3fwd l3b)
tel l3b /ethdev/list >/dev/null
sleep 1
l3_pps=$(rate l3b 1 "$secs")
stop "$pid"
echo "  ringstackd $rs_pps pps, l3fwd $l3_pps pps"

rs_ipp=null l3_ipp=null
if [ $callgrind -eq 1 ]; then
	vg=(valgrind --tool=callgrind --fair-sched=yes --instr-atstart=no --callgrind-out-file="$T/callgrind.out.%p")
	pid=$(start_rs rsv "${vg[@]}")
	rs_ipp=$(callgrind_ipp rsv "$pid")
	pid=$(start_l3fwd l3v "${vg[@]}")
	l3_ipp=$(callgrind_ipp l3v "$pid")
	echo "  instructions/packet: ringstackd $rs_ipp, l3fwd $l3_ipp"
fi

linux_pps=null linux_cores=null rsveth_pps=null rsveth_cores=null
if [ $linux -eq 1 ]; then
	# gen (rs_pktgen, AF_PACKET) -> [router] -> sink; the sink drops it (blackhole route)
	veth() { # veth NS_A A NS_B B
		ip link add "$2" type veth peer name "$4"
		ip link set "$2" netns "$1"; ip link set "$4" netns "$3"
		for x in "$1:$2" "$3:$4"; do
			ip netns exec "${x%%:*}" ethtool -K "${x#*:}" tx off tso off gso off gro off >/dev/null 2>&1 || true
			ip netns exec "${x%%:*}" ip link set "${x#*:}" up
		done
	}
	softirq() { awk '/^cpu /{print $7+$8}' /proc/stat; } # irq+softirq jiffies
	for n in gen rtr sink; do ip netns add $n; ip netns exec $n ip link set lo up; done
	veth gen g0 rtr r0
	veth rtr r1 sink s0
	ip netns exec gen ip addr add 198.18.0.2/24 dev g0
	ip netns exec sink ip addr add 10.1.0.2/24 dev s0
	gmac=$(ip netns exec gen cat /sys/class/net/g0/address)
	run_gen() { # run_gen DST_MAC: rs_pktgen, 64-byte UDP, 198.18.0.2 -> 198.18.1.1
		ip netns exec gen "$ROOT/build-rel/perf/rs_pktgen" -l 0 --no-huge -m 256 --no-pci \
			--file-prefix gen --log-level='*:error' --vdev "net_af_packet0,iface=g0" -- \
			--dst-mac "$1" --src-ip 198.18.0.2 --dst-ip 198.18.1.1 --size 60 \
			</dev/null >"$T/gen.log" 2>&1 &
		pids+=($!)
		echo $!
	}
	sink_rx() { ip netns exec sink cat /sys/class/net/s0/statistics/rx_packets; }
	measure() { # measure: pps at the sink and cores of irq+softirq time used
		local a b sa sb
		sleep 2
		a=$(sink_rx); sa=$(softirq)
		sleep "$secs"
		b=$(sink_rx); sb=$(softirq)
		echo "$(((b - a) / secs)) $(echo "($sb - $sa) / ($secs * $(getconf CLK_TCK))" | bc -l)"
	}
	# Linux as the router
	ip netns exec rtr ip addr add 198.18.0.1/24 dev r0
	ip netns exec rtr ip addr add 10.1.0.1/24 dev r1
	ip netns exec rtr sysctl -qw net.ipv4.ip_forward=1
	ip netns exec rtr ip route add 198.18.1.0/24 via 10.1.0.2
	ip netns exec sink ip route add blackhole 198.18.1.0/24
	rmac=$(ip netns exec rtr cat /sys/class/net/r0/address)
	gp=$(run_gen "$rmac")
	read -r linux_pps linux_cores < <(measure)
	stop "$gp"
	ip netns exec rtr ip addr flush dev r0
	ip netns exec rtr ip addr flush dev r1
	ip netns exec rtr sysctl -qw net.ipv4.ip_forward=0
	# ringstackd as the router on the same veths (AF_XDP), worker on lcore 1
	ip netns exec rtr "$RSD" -l 0,1 --no-huge -m 1024 --no-pci --file-prefix rsv2 --log-level='*:error' \
		--vdev net_af_xdp0,iface=r0 --vdev net_af_xdp1,iface=r1 -- --ctl "$T/rsv2.sock" >"$T/rsv2.log" 2>&1 &
	rp=$!; pids+=($rp)
	for _ in $(seq 300); do [ -S "$T/rsv2.sock" ] && break; sleep 0.1; done
	smac=$(ip netns exec sink cat /sys/class/net/s0/address)
	$RCTL -s "$T/rsv2.sock" -b - <<CONF
addr add 198.18.0.1/24 dev port0
addr add 10.1.0.1/24 dev port1
neigh add 10.1.0.2 lladdr $smac dev port1
neigh add 198.18.0.2 lladdr $gmac dev port0
route add 198.18.1.0/24 via 10.1.0.2
CONF
	rsmac=$($RCTL -s "$T/rsv2.sock" -j link show port0 | jq -r '.[0].lladdr' | tr A-F a-f)
	gp=$(run_gen "$rsmac")
	read -r rsveth_pps rsveth_cores < <(measure)
	stop "$gp"
	stop "$rp"
	echo "  veth: Linux $linux_pps pps (softirq cores $linux_cores), ringstackd/af_xdp $rsveth_pps pps"
fi

load_s=null routes=0 scale_pps=null upd_rate=null
if [ $scale -eq 1 ]; then
	routes=1000000
	# 1M /24s in 16.0.0.0/4 via the next hop, plus the benchmark's own route
	$PY - "$T/routes" <<'PYEOF'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(1000000):
        a = 16 + (i >> 16)
        f.write("route add %d.%d.%d.0/24 via 10.1.0.2\n" % (a, (i >> 8) & 255, i & 255))
PYEOF
	awk 'NR % 10 == 1 {sub(/route add/, "route replace"); print}' "$T/routes" | head -100000 >"$T/updates"
	# traffic spread over the table: destinations in 16.0.0.0/4
	$PY - "$T/scale.pcap" <<'PYEOF'
import random, sys
from scapy.all import Ether, IP, UDP, Raw, wrpcap
random.seed(1)
pk = []
for i in range(4096):
    d = "%d.%d.%d.%d" % (16 + random.randrange(16), random.randrange(256), random.randrange(256), 1 + random.randrange(250))
    p = Ether(dst="02:00:00:00:00:01", src="02:00:00:00:00:02") / IP(src="198.18.0.2", dst=d) / UDP(sport=1024 + i, dport=9)
    pk.append(p / Raw(b"\0" * (60 - len(p))))
wrpcap(sys.argv[1], pk)
PYEOF
	src=(--vdev "net_pcap0,rx_pcap=$T/scale.pcap,infinite_rx=1" --vdev "net_null0,no-rx=1")
	pid=$(start_rs rss)
	tel rss /ethdev/list >/dev/null
	for _ in $(seq 300); do [ -S "$T/rss.sock" ] && break; sleep 0.1; done
	t0=$(date +%s.%N)
	$RCTL -s "$T/rss.sock" -b "$T/routes" >/dev/null
	t1=$(date +%s.%N)
	load_s=$(echo "$t1 - $t0" | bc -l)
	n=$($RCTL -s "$T/rss.sock" -j route show | jq length)
	[ "$n" -ge $routes ] || { echo "fwd_bench: only $n routes loaded" >&2; exit 1; }
	scale_pps=$(rate rss 1 "$secs")
	t0=$(date +%s.%N)
	$RCTL -s "$T/rss.sock" -b "$T/updates" >/dev/null
	t1=$(date +%s.%N)
	upd_rate=$(echo "100000 / ($t1 - $t0)" | bc -l)
	stop "$pid"
	printf '  %d routes loaded in %.1f s; %s pps over them; %.0f updates/s while forwarding\n' \
		"$routes" "$load_s" "$scale_pps" "$upd_rate"
fi

$PY - "$OUT" <<PYEOF
import json, sys
out = sys.argv[1]
def n(x):
    return None if x == "null" else float(x)
r = {
    "setup": {"seconds": $secs, "hugepages": bool($huge), "frame_bytes": 64, "worker_cores": 1},
    "pcap_to_null": {"ringstackd_pps": n("$rs_pps"), "l3fwd_pps": n("$l3_pps"),
                      "ratio": n("$rs_pps") / n("$l3_pps"),
                      "ringstackd_instr_per_pkt": n("$rs_ipp"), "l3fwd_instr_per_pkt": n("$l3_ipp")},
    "veth": {"linux_pps": n("$linux_pps"), "linux_softirq_cores": n("$linux_cores"),
             "ringstackd_af_xdp_pps": n("$rsveth_pps"), "ringstackd_softirq_cores": n("$rsveth_cores")},
    "scale": {"routes": $routes, "load_seconds": n("$load_s"), "pps_with_routes": n("$scale_pps"),
              "updates_per_second_while_forwarding": n("$upd_rate")},
}
json.dump(r, open(out + "/fwd.json", "w"), indent=2)
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    labels, vals = [], []
    for k, v in [("ringstackd\npcap->null", r["pcap_to_null"]["ringstackd_pps"]),
                 ("l3fwd\npcap->null", r["pcap_to_null"]["l3fwd_pps"]),
                 ("ringstackd\n1M routes", r["scale"]["pps_with_routes"]),
                 ("ringstackd\nveth af_xdp", r["veth"]["ringstackd_af_xdp_pps"]),
                 ("Linux\nveth", r["veth"]["linux_pps"])]:
        if v is not None:
            labels.append(k); vals.append(v / 1e6)
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.bar(labels, vals, color=["#2a6", "#888", "#2a6", "#6a2", "#a62"][:len(vals)])
    ax.set_ylabel("Mpps (64-byte frames, one core)")
    ax.set_title("IPv4 forwarding")
    for i, v in enumerate(vals):
        ax.text(i, v, "%.2f" % v, ha="center", va="bottom")
    fig.tight_layout()
    fig.savefig(out + "/fwd.png", dpi=100)
except ImportError:
    print("fwd_bench: matplotlib missing, no plot")
print(json.dumps(r, indent=2))
PYEOF

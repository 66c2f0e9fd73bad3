#!/bin/bash
# Forwarding benchmark, side by side in one run:
#   1. ringstackd vs DPDK's l3fwd on one worker core, net_pcap (infinite_rx,
#      64-byte UDP) -> net_null, in alternating rounds (the machine is
#      shared: ratios within a round are what counts): Mpps per round, the
#      ratio to l3fwd, and with --callgrind the instructions per forwarded
#      packet of the worker thread (valgrind --tool=callgrind over a
#      steady-state window), in total and "own" (without the PMDs: net_pcap,
#      net_null, libpcap, and the TLS look-ups their shared objects make);
#      without hugepages, with 2 MiB hugepages (--huge), or both (--both);
#      --general adds ringstackd --no-fastpath (the general path) to each
#      round, or with RS_BASE_RSD=PATH set, that ringstackd binary (another
#      build, e.g. before a change) as it is;
#   2. the Linux kernel forwarding between namespaces on veth vs ringstackd on
#      the same veth topology (net_af_xdp), traffic from perf/rs_pktgen;
#   3. route-table scale: load time of 1,000,000 routes (ringctl -b),
#      forwarding rate with them, and route updates per second while
#      forwarding, and the packets dropped meanwhile (ringctl stats: every
#      named drop and the ports' rx drops; every destination has a route
#      all along, so any is a packet lost to the updates). The CPU time
#      the load took (ringstackd's control thread, and ringctl) is printed
#      beside the wall time: on a shared machine the wall time mostly
#      measures the others' load (the control thread and ringctl run at
#      nice -10 for the load and updates). With RS_BASE_RSD set, that binary's load
#      and updates are measured too, right after, with the same files.
# --ip6 adds IPv6 beside IPv4: in 1, each round also runs ringstackd and
# l3fwd (its LPM mode with its own IPv6 routes: 2001:200::/64 on port 0,
# 2001:200:0:1::/64 on port 1; ringstackd gets the same two) on 62-byte
# IPv6/UDP frames, with the IPv6/IPv4 ratio and, with --callgrind, their
# instructions per packet; in 3, the same for 200,000 IPv6 routes shaped as
# the Internet's table, mostly /48 (perf/fib6_routes.py; a table that fills
# up first is measured as far as it loaded, and says so: "routes" beside
# "routes_asked" in the JSON). Part 3 also gives the daemon's resident
# memory grown by the load ("table_rss_mib": route store and FIB).
# Writes perf/out/fwd.json and perf/out/fwd.png, prints a table.
#
#   perf/fwd_bench.sh [--seconds N] [--rounds N] [--callgrind [--cache-sim]] [--general]
#                     [--huge | --both] [--no-linux] [--no-scale] [--smoke]
#                     [--scale-only] [--ip6] [--workers N]
# --workers N: part 1 with N workers on N RX queues of each port (and l3fwd
# on N lcores, one queue each), lcores spread over the CPUs (worker i on CPU
# i mod CPUs; ringstackd's control thread shares CPU 0): compare with a run
# of --workers 1 for the rate per worker. Not with --callgrind.
# --scale-only: part 3 alone (no l3fwd build or rounds, no veth), written
# to perf/out/fwd_scale.json; fwd.json is left as it was.
# --cache-sim: callgrind also simulates the caches (valgrind's model: L1
# and last level, no TLB) and prints the worker's data-cache misses per
# forwarded packet, L1 and last level, for each contender.
# --smoke: 1-second windows, one round, ringstackd and l3fwd only (CI runs this).
# Hugepages: 1024 more 2 MiB pages are reserved while the hugepage rounds
# run and given back after (the count others reserved is left as it was).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
cachesim=0 secs=5 rounds=3 callgrind=0 linux=1 scale=1 modes=nohuge smoke=0 general=0 scale_only=0 ip6=0
workers=1
args=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) secs=$2; shift ;;
	--rounds) rounds=$2; shift ;;
	--callgrind) callgrind=1 ;;
	--general) general=1 ;;
	--no-linux) linux=0 ;;
	--no-scale) scale=0 ;;
	--cache-sim) cachesim=1 ;;
	--huge) modes=huge ;;
	--both) modes="nohuge huge" ;;
	--smoke) smoke=1 secs=1 rounds=1 linux=0 scale=0 callgrind=0 ;;
	--scale-only) scale_only=1 ;;
	--ip6) ip6=1 ;;
	--workers) workers=$2; shift ;;
	-h|--help) sed -n '2,/^set -euo/{/^#/p}' "$0"; exit 0 ;;
	*) echo "fwd_bench: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

if [ $scale_only -eq 1 ]; then modes="" linux=0 scale=1 callgrind=0; fi
if [ "$workers" -gt 1 ] && [ $callgrind -eq 1 ]; then
	echo "fwd_bench: --workers is not for --callgrind (one worker thread is measured)" >&2
	exit 2
fi
RS_BENCH_L3FWD=$((1 - scale_only))
. "$ROOT/perf/_bench_init.sh"
HUGE_PAGES=1024
huge_old=""
huge_reserve() {
	huge_old=$(cat /proc/sys/vm/nr_hugepages)
	echo $((huge_old + HUGE_PAGES)) >/proc/sys/vm/nr_hugepages
	mkdir -p /dev/hugepages
	mountpoint -q /dev/hugepages || mount -t hugetlbfs none /dev/hugepages
}
huge_release() {
	[ -n "$huge_old" ] || return 0
	local cur
	cur=$(cat /proc/sys/vm/nr_hugepages)
	# give back ours only: whatever others changed meanwhile stays
	if [ "$cur" -ge "$HUGE_PAGES" ]; then echo $((cur - HUGE_PAGES)) >/proc/sys/vm/nr_hugepages; fi
	huge_old=""
}
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	huge_release
	rm -rf "$T"
}
trap cleanup EXIT

mem=(--no-huge -m 2048)
set_mem() { # set_mem nohuge|huge
	if [ "$1" = huge ]; then
		[ -n "$huge_old" ] || huge_reserve
		mem=(-m 1024)
	else
		mem=(--no-huge -m 2048)
	fi
}

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
neigh add 10.1.0.3 lladdr 02:00:00:00:00:04 dev port1
route add 198.18.1.0/24 via 10.1.0.2
CONF
# pcap_src FILE: the ports of part 1, with one RX queue per worker (and as
# many TX queues on net_pcap0, which sends nothing here: /dev/null)
pcap_src() {
	local a="net_pcap0" i
	for i in $(seq "$workers"); do a+=",rx_pcap=$1"; done
	[ "$workers" -eq 1 ] || for i in $(seq "$workers"); do a+=",tx_pcap=/dev/null"; done
	src=(--vdev "$a,infinite_rx=1" --vdev "net_null0,no-rx=1")
}
# the lcores: ringstackd's control thread (lcore 0) and workers 1..N,
# l3fwd's lcores 1..N, each polling queue i-1 of both ports
rs_lc=(-l 0,1) l3_lc=(-l 1) l3cfg="(0,0,1),(1,0,1)"
if [ "$workers" -gt 1 ]; then
	ncpu=$(nproc) m="0@0" l3m="" l3cfg=""
	for w in $(seq "$workers"); do
		m+=",$w@$((w % ncpu))" l3m+="${l3m:+,}$w@$((w % ncpu))"
		l3cfg+="${l3cfg:+,}(0,$((w - 1)),$w),(1,$((w - 1)),$w)"
	done
	rs_lc=(--lcores "$m") l3_lc=(--lcores "$l3m")
fi
pcap_src "$T/64.pcap"
if [ $ip6 -eq 1 ]; then
	# IPv6: the routes l3fwd's LPM mode has built in for ports 0 and 1
	$PY perf/genpcap.py "$T/v6.pcap" 1024 62 --ip6
	cat >"$T/rs6.conf" <<CONF
link set port0 address 02:00:00:00:00:01
addr add 2001:200::1/64 dev port0
addr add 2001:db8:1::1/64 dev port1
neigh add 2001:db8:1::2 lladdr 02:00:00:00:00:03 dev port1
route add 2001:200:0:1::/64 via 2001:db8:1::2
CONF
fi
# as6 CMD...: CMD with the IPv6 traffic and configuration
as6() {
	local s4=("${src[@]}") rc
	pcap_src "$T/v6.pcap"; rs_conf=rs6.conf
	rc=0; "$@" || rc=$?
	src=("${s4[@]}") rs_conf=""
	return $rc
}

# start_rs PREFIX [valgrind...]: ringstackd on the lcores of rs_lc (one worker
# by default, lcore 1), with
# the daemon options in rs_extra
rs_extra=()
start_rs() {
	local prefix=$1; shift
	"$@" "${rs_bin:-$RSD}" "${rs_lc[@]}" "${mem[@]}" --no-pci --file-prefix "$prefix" --log-level='*:error' "${src[@]}" \
		-- --ctl "$T/$prefix.sock" --config "$T/${rs_conf:-rs.conf}" --fib-max-routes 1100000 \
		--fib-max-tbl8 8192 "${rs_extra[@]}" >"$T/$prefix.log" 2>&1 &
	pids+=($!)
	# the control socket appears once --config is applied
	for _ in $(seq 600); do [ -S "$T/$prefix.sock" ] && break; sleep 0.1; done
	echo $!
}
start_l3fwd() {
	local prefix=$1; shift
	"$@" "$L3FWD" "${l3_lc[@]}" "${mem[@]}" --no-pci --file-prefix "$prefix" --log-level='*:error' "${src[@]}" \
		-- -p 0x3 --config="$l3cfg" --parse-ptype >"$T/$prefix.log" 2>&1 &
	pids+=($!)
	echo $!
}
# stop PID: SIGTERM, then wait until it is gone (it may not be our child)
stop() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$1" 2>/dev/null || true
}

# callgrind_ipp PREFIX PID: "TOTAL OWN" instructions per forwarded packet
# of the worker thread over a steady-state window
callgrind_ipp() {
	local prefix=$1 pid=$2 a b f best=0 bestf="" ir drv
	sleep 20 # warm-up under valgrind
	# packets counted from outside: only a cross-check of the exact count
	# cg_packets.py takes from the dump itself
	a=$(opackets "$prefix" 1)
	callgrind_control -i on "$pid" >/dev/null 2>&1
	sleep 20
	callgrind_control -i off "$pid" >/dev/null 2>&1
	b=$(opackets "$prefix" 1)
	callgrind_control -d "$pid" >/dev/null 2>&1
	stop "$pid"
	# one dump per thread: the worker is the one that ran the most
	for f in "$T"/callgrind.out."$pid".1-*; do
		ir=$(awk '/^totals:/ {print $2; exit}' "$f")
		if [ "${ir:-0}" -gt "$best" ]; then best=$ir bestf=$f; fi
	done
	if [ $cachesim -eq 1 ]; then
		# D1mr D1mw DLmr DLmw of the worker thread, per packet
		read -r n _ < <($PY "$ROOT/perf/cg_packets.py" "$bestf")
		awk -v n="$n" -v who="$prefix" '/^events:/ {for (i = 2; i <= NF; i++) ev[$i] = i}
			/^totals:/ {printf "callgrind %s: data-cache misses per packet: L1 %.2f (read %.2f, write %.2f), last level %.3f\n",
				who, ($ev["D1mr"] + $ev["D1mw"]) / n, $ev["D1mr"] / n, $ev["D1mw"] / n, ($ev["DLmr"] + $ev["DLmw"]) / n}' "$bestf" >&2
	fi
	callgrind_annotate --show=Ir --inclusive=no --threshold=100 "$bestf" 2>/dev/null |
		sed -n '/file:function/,$p' >"$T/cg_$prefix.txt"
	head -32 "$T/cg_$prefix.txt" >"$OUT/callgrind_$prefix.txt"
	# the PMDs' share: net_pcap, net_null, libpcap, and the TLS look-ups
	# (__tls_get_addr) their shared objects make for rte_lcore_id()
	drv=$(awk '/^ *[0-9,]+ / && /pmds-|libpcap|ld-linux/ {gsub(",","",$1); s+=$1} END {printf "%.0f", s}' "$T/cg_$prefix.txt")
	local n
	read -r n _ < <($PY "$ROOT/perf/cg_packets.py" "$bestf")
	echo "callgrind $prefix: $n packets in the window (about $((b - a)) by telemetry)" >&2
	echo "$((best / n)) $(((best - drv) / n))"
}

med() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
mpps() { echo "$1 / 1000000" | bc -l; }
json_mode() { # json_mode MODE: this mode's results, one JSON object a line
	printf '{"mode": "%s", "rs": [%s], "l3": [%s], "gen": [%s], "rs_ipp": %s, "rs_own_ipp": %s, "l3_ipp": %s, "l3_own_ipp": %s, "gen_ipp": %s, "gen_own_ipp": %s}\n' \
		"$1" "$(IFS=,; echo "${rs_r[*]}")" "$(IFS=,; echo "${l3_r[*]}")" "$(IFS=,; echo "${gen_r[*]-}")" \
		"$rs_ipp" "$rs_own" "$l3_ipp" "$l3_own" "$gen_ipp" "$gen_own" >>"$T/modes.json"
}
# measure_l3 PREFIX: pps of l3fwd over a window
measure_l3() {
	local pid pps
	pid=$(start_l3fwd "$1")
	tel "$1" /ethdev/list >/dev/null
	sleep 1
	pps=$(rate "$1" 1 "$secs")
	stop "$pid"
	echo "$pps"
}
json_mode6() { # json_mode6 MODE: the IPv6 results of this mode, one JSON object a line
	printf '{"mode": "%s", "rs": [%s], "l3": [%s], "rs_ipp": %s, "rs_own_ipp": %s, "l3_ipp": %s, "l3_own_ipp": %s}\n' \
		"$1" "$(IFS=,; echo "${rs6_r[*]}")" "$(IFS=,; echo "${l36_r[*]}")" \
		"$rs6_ipp" "$rs6_own" "$l36_ipp" "$l36_own" >>"$T/modes6.json"
}
# the third contender: --no-fastpath, or RS_BASE_RSD's binary
general_on() { if [ -n "${RS_BASE_RSD:-}" ]; then rs_bin=$RS_BASE_RSD; else rs_extra=(--no-fastpath); fi; }
general_off() { rs_bin="" rs_extra=(); }
glabel="general path (--no-fastpath)"
[ -z "${RS_BASE_RSD:-}" ] || glabel="base ($RS_BASE_RSD)"
# measure_rs PREFIX: pps of ringstackd (options in rs_extra) over a window
measure_rs() {
	local pid pps
	pid=$(start_rs "$1")
	tel "$1" /ethdev/list >/dev/null
	sleep 1
	pps=$(rate "$1" 1 "$secs")
	$RCTL -s "$T/$1.sock" stats >"$OUT/stats_$1_$mode.txt"
	stop "$pid"
	echo "$pps"
}

: >"$T/modes.json"
: >"$T/modes6.json"
for mode in $modes; do
	set_mem "$mode"
	echo "fwd_bench: pcap -> null, $workers worker core(s), $mode, $rounds alternating rounds of ${secs}s windows"
	rs_r=() l3_r=() gen_r=() ratios=() gratios=()
	rs6_r=() l36_r=() ratios6=() v6v4=()
	for r in $(seq "$rounds"); do
		rs_extra=()
		rs_pps=$(measure_rs rsb)
		g=""
		if [ $general -eq 1 ]; then
			general_on
			g=$(measure_rs rsg)
			general_off
			gen_r+=("$g")
		fi
		pid=$(start_l3fwd l3b)
		tel l3b /ethdev/list >/dev/null
		sleep 1
		l3_pps=$(rate l3b 1 "$secs")
		stop "$pid"
		rs_r+=("$rs_pps") l3_r+=("$l3_pps")
		ratios+=("$(echo "$rs_pps / $l3_pps" | bc -l)")
		line=$(printf '  round %d: ringstackd %.2f Mpps, l3fwd %.2f Mpps, ratio %.2f' "$r" \
			"$(mpps "$rs_pps")" "$(mpps "$l3_pps")" "${ratios[-1]}")
		if [ -n "$g" ]; then
			gratios+=("$(echo "$g / $l3_pps" | bc -l)")
			line+=$(printf '; %s %.2f Mpps, ratio %.2f' "$glabel" "$(mpps "$g")" "${gratios[-1]}")
		fi
		echo "$line"
		if [ $ip6 -eq 1 ]; then
			rs6_pps=$(as6 measure_rs rsb6)
			l36_pps=$(as6 measure_l3 l3b6)
			rs6_r+=("$rs6_pps") l36_r+=("$l36_pps")
			ratios6+=("$(echo "$rs6_pps / $l36_pps" | bc -l)")
			v6v4+=("$(echo "$rs6_pps / $rs_pps" | bc -l)")
			printf '  round %d IPv6: ringstackd %.2f Mpps, l3fwd %.2f Mpps, ratio %.2f; ringstackd IPv6/IPv4 %.2f\n' \
				"$r" "$(mpps "$rs6_pps")" "$(mpps "$l36_pps")" "${ratios6[-1]}" "${v6v4[-1]}"
		fi
	done
	printf '  %s: ratio ringstackd / l3fwd, median of %d rounds %.2f (min %.2f, max %.2f)\n' "$mode" "$rounds" \
		"$(med "${ratios[@]}")" "$(printf '%s\n' "${ratios[@]}" | sort -g | head -1)" \
		"$(printf '%s\n' "${ratios[@]}" | sort -g | tail -1)"
	if [ $general -eq 1 ]; then
		printf '  %s: ratio %s / l3fwd, median %.2f\n' "$mode" "$glabel" "$(med "${gratios[@]}")"
	fi
	if [ $ip6 -eq 1 ]; then
		printf '  %s IPv6: ratio ringstackd / l3fwd, median of %d rounds %.2f (min %.2f, max %.2f); ringstackd IPv6/IPv4 median %.2f\n' \
			"$mode" "$rounds" "$(med "${ratios6[@]}")" "$(printf '%s\n' "${ratios6[@]}" | sort -g | head -1)" \
			"$(printf '%s\n' "${ratios6[@]}" | sort -g | tail -1)" "$(med "${v6v4[@]}")"
	fi

	rs_ipp=null rs_own=null l3_ipp=null l3_own=null gen_ipp=null gen_own=null
	if [ $callgrind -eq 1 ]; then
		vg=(valgrind --tool=callgrind --fair-sched=yes --instr-atstart=no --separate-threads=yes
			--callgrind-out-file="$T/callgrind.out.%p")
		[ $cachesim -eq 0 ] || vg+=(--cache-sim=yes)
		rs_extra=()
		pid=$(start_rs "rsv$mode" "${vg[@]}")
		read -r rs_ipp rs_own < <(callgrind_ipp "rsv$mode" "$pid")
		if [ $general -eq 1 ]; then
			general_on
			pid=$(start_rs "rgv$mode" "${vg[@]}")
			read -r gen_ipp gen_own < <(callgrind_ipp "rgv$mode" "$pid")
			general_off
		fi
		pid=$(start_l3fwd "l3v$mode" "${vg[@]}")
		read -r l3_ipp l3_own < <(callgrind_ipp "l3v$mode" "$pid")
		echo "  $mode: instructions/packet, total and own (without the PMDs): ringstackd $rs_ipp and $rs_own, l3fwd $l3_ipp and $l3_own"
		[ $general -eq 0 ] || echo "  $mode: $glabel: $gen_ipp and $gen_own"
	fi
	rs6_ipp=null rs6_own=null l36_ipp=null l36_own=null
	if [ $ip6 -eq 1 ] && [ $callgrind -eq 1 ]; then
		pid=$(as6 start_rs "rsv6$mode" "${vg[@]}")
		read -r rs6_ipp rs6_own < <(callgrind_ipp "rsv6$mode" "$pid")
		pid=$(as6 start_l3fwd "l3v6$mode" "${vg[@]}")
		read -r l36_ipp l36_own < <(callgrind_ipp "l3v6$mode" "$pid")
		echo "  $mode IPv6: instructions/packet, total and own (without the PMDs): ringstackd $rs6_ipp and $rs6_own, l3fwd $l36_ipp and $l36_own"
		if [ $general -eq 1 ]; then
			general_on
			pid=$(as6 start_rs "rgv6$mode" "${vg[@]}")
			read -r gen6_ipp gen6_own < <(callgrind_ipp "rgv6$mode" "$pid")
			general_off
			echo "  $mode IPv6: $glabel: $gen6_ipp and $gen6_own"
		fi
	fi
	json_mode "$mode"
	[ $ip6 -eq 0 ] || json_mode6 "$mode"
done
set_mem nohuge
huge_release

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

load_s=null routes=0 scale_pps=null upd_rate=null upd_lost=null mem_mib=null ctl_cpu=null rctl_cpu=null paced_rate=null paced_pps=null
bload_s=null bscale_pps=null bupd_rate=null bupd_lost=null bctl_cpu=null brctl_cpu=null
load6_s=null routes6=0 routes6_asked=0 scale6_pps=null upd6_rate=null upd6_lost=null mem6_mib=null
# scale_files4|6 N: $T/routes (N routes via the next hop), $T/updates (every
# tenth of them replaced) and $T/scale.pcap (traffic spread over the routes)
scale_files4() {
	# N /24s in 16.0.0.0/4 via the next hop, plus the benchmark's own route
	$PY - "$T/routes" "$1" <<'PYEOF'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        a = 16 + (i >> 16)
        f.write("route add %d.%d.%d.0/24 via 10.1.0.2\n" % (a, (i >> 8) & 255, i & 255))
PYEOF
	# traffic spread over the table: a destination in one of the routes
	$PY - "$T/scale.pcap" "$1" <<'PYEOF'
import random, sys
from scapy.all import Ether, IP, UDP, Raw, wrpcap
random.seed(1)
pk = []
for i in range(4096):
    r = random.randrange(int(sys.argv[2]))  # one of the routes: 31.66.0.0 and up has none
    d = "%d.%d.%d.%d" % (16 + (r >> 16), (r >> 8) & 255, r & 255, 1 + random.randrange(250))
    p = Ether(dst="02:00:00:00:00:01", src="02:00:00:00:00:02") / IP(src="198.18.0.2", dst=d) / UDP(sport=1024 + i, dport=9)
    pk.append(p / Raw(b"\0" * (60 - len(p))))
wrpcap(sys.argv[1], pk)
PYEOF
}
scale_files6() {
	# N routes shaped as the IPv6 Internet table is, mostly /48 (the mix:
	# perf/fib6_routes.py), via the next hop; traffic to random addresses
	# inside random routes. $T/scale6_mix gets the count per length.
	$PY perf/fib6_routes.py "$T/routes" "$1" "$T/scale.pcap" "$T/scale6_mix"
}
# thread_cpu PID: CPU seconds the process's main (control) thread used
thread_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/task/$1/stat"; }
# scale_run 4|6 N: load N routes of the family with ringctl -b, forward over
# them, then replace a tenth of them while forwarding; prints "ROUTES_LOADED
# LOAD_SECONDS PPS UPDATES_PER_SECOND PACKETS_LOST RSS_GROWTH_MIB
# CTL_CPU_SECONDS RINGCTL_CPU_SECONDS" (CPU: the load's; and a line for
# people on stderr); SUFFIX (optional third argument) keeps file prefixes
# apart. A table that fills up first (ringctl names the line) is measured
# as far as it was loaded: the traffic and updates then cover those routes.
scale_run() {
	local fam=$1 n_routes=$2 pid t0 t1 n nupd load pps upd lost d0 d1 tx0 tx1 p=rss$1${3:-} err full="" r0 r1
	local c0 c1 ctl_cpu rctl_cpu
	"scale_files$fam" "$n_routes"
	src=(--vdev "net_pcap0,rx_pcap=$T/scale.pcap,infinite_rx=1" --vdev "net_null0,no-rx=1")
	local ex=() cf=""
	# IPv6: groups are reserved, not touched, until a route needs them
	[ "$fam" = 4 ] || cf=rs6.conf ex=(--fib6-max-routes $((n_routes + 10000)) --fib6-max-tbl8 $((1 << 20)))
	# one worker, whatever --workers said for part 1
	pid=$(rs_conf=$cf; rs_extra=("${ex[@]}"); rs_lc=(-l 0,1); start_rs "$p")
	tel "$p" /ethdev/list >/dev/null
	for _ in $(seq 300); do [ -S "$T/$p.sock" ] && break; sleep 0.1; done
	rss() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }
	r0=$(rss)
	# the control thread (its tid is the pid) and ringctl at nice -10:
	# on a shared machine the others' builds otherwise decide the wall
	# time (a thread that computes for long stretches gets its 1/load
	# share of a core)
	renice -n -10 -p "$pid" >/dev/null
	c0=$(thread_cpu "$pid")
	t0=$(date +%s.%N)
	err=$(nice -n -10 /usr/bin/time -f "rctl_cpu %U %S" -o "$T/rctl_time" $RCTL -s "$T/$p.sock" -b "$T/routes" 2>&1 >/dev/null) || full=$err
	t1=$(date +%s.%N)
	c1=$(thread_cpu "$pid")
	load=$(printf %.6f "$(echo "$t1 - $t0" | bc -l)")
	ctl_cpu=$(printf %.2f "$(echo "$c1 - $c0" | bc -l)")
	rctl_cpu=$(awk '/^rctl_cpu/ {printf "%.2f", $2 + $3}' "$T/rctl_time")
	if [ -n "$full" ]; then
		# "ringctl: FILE:LINE: why": the routes before LINE are in
		n=$(echo "$full" | sed -n 's/^ringctl: [^:]*:\([0-9][0-9]*\): .*/\1/p' | head -1)
		[ -n "$n" ] && [ "$n" -gt 1 ] || { echo "fwd_bench: IPv$fam route load failed: $full" >&2; return 1; }
		echo "fwd_bench: IPv$fam table full after $((n - 1)) of $n_routes routes: $full" >&2
		n_routes=$((n - 1))
		# traffic to the loaded routes only (the file's first lines)
		"scale_files$fam" "$n_routes"
		stop "$pid"
		p=${p}b
		pid=$(rs_conf=$cf; rs_extra=("${ex[@]}"); rs_lc=(-l 0,1); start_rs "$p")
		tel "$p" /ethdev/list >/dev/null
		r0=$(rss)
		renice -n -10 -p "$pid" >/dev/null
		c0=$(thread_cpu "$pid")
		t0=$(date +%s.%N)
		nice -n -10 $RCTL -s "$T/$p.sock" -b "$T/routes" >/dev/null
		t1=$(date +%s.%N)
		c1=$(thread_cpu "$pid")
		load=$(printf %.6f "$(echo "$t1 - $t0" | bc -l)")
		ctl_cpu=$(printf %.2f "$(echo "$c1 - $c0" | bc -l)")
	fi
	r1=$(rss)
	awk 'NR % 10 == 1 {sub(/route add/, "route replace"); print}' "$T/routes" >"$T/updates"
	nupd=$(wc -l <"$T/updates")
	if [ "$fam" = 6 ]; then n=$($RCTL -s "$T/$p.sock" -j route -6 show | jq length)
	else n=$($RCTL -s "$T/$p.sock" -j route show | jq length); fi
	[ "$n" -ge "$n_routes" ] || { echo "fwd_bench: only $n IPv$fam routes loaded" >&2; return 1; }
	pps=$(rate "$p" 1 "$secs")
	drops() { $RCTL -s "$T/$p.sock" -j stats | jq '.total_drops + ([.ports[]?.rx_dropped] | add // 0)'; }
	d0=$(drops)
	$RCTL -s "$T/$p.sock" stats >"$OUT/stats_scale${fam/4/}_before_updates.txt"
	tx0=$(opackets "$p" 1)
	t0=$(date +%s.%N)
	nice -n -10 $RCTL -s "$T/$p.sock" -b "$T/updates" >/dev/null
	t1=$(date +%s.%N)
	tx1=$(opackets "$p" 1)
	d1=$(drops)
	upd=$(printf %.1f "$(echo "$nupd / ($t1 - $t0)" | bc -l)")
	lost=$((d1 - d0))
	# The issue's "same rate while 100,000 route updates per second are
	# applied": the same replaces, paced at 10,000 every 100 ms (one
	# ringctl -b each, slots at absolute times: perf/pace.py, which says
	# why not a shell loop) for the measuring window; the forwarding rate
	# over exactly that window beside the one without updates. ringctl
	# runs on the control thread's CPU (lcore 0 of rs_lc), off the
	# worker's, as management does on a router. IPv4: the chunks move
	# their routes to a second gateway, then back (a replace by the same
	# route leaves every FIB entry as it was; these rewrite them).
	local paced_pps paced_done paced_secs paced_tx
	if [ "$fam" = 4 ]; then
		sed 's/ via 10\.1\.0\.2$/ via 10.1.0.3/' "$T/updates" | split -l 10000 -d -a 3 - "$T/upd_chunk.a"
		split -l 10000 -d -a 3 "$T/updates" "$T/upd_chunk.b"
	else
		split -l 10000 -d -a 3 "$T/updates" "$T/upd_chunk."
	fi
	d0=$(drops)
	read -r paced_done paced_secs paced_tx < <(nice -n -10 $PY perf/pace.py "$secs" 0.1 0 "$p" 1 $RCTL "$T/$p.sock" "$T"/upd_chunk.*)
	[ -n "$paced_tx" ] || { echo "fwd_bench: paced updates failed" >&2; return 1; }
	paced_pps=$(printf %.0f "$(echo "$paced_tx / $paced_secs" | bc -l)")
	paced_rate=$(printf %.0f "$(echo "$paced_done / $paced_secs" | bc -l)")
	lost=$((lost + $(drops) - d0))
	rm -f "$T"/upd_chunk.*
	$RCTL -s "$T/$p.sock" stats >"$OUT/stats_scale${fam/4/}_after_updates.txt"
	stop "$pid"
	local mem
	mem=$(printf %.1f "$(echo "($r1 - $r0) / 1024" | bc -l)")
	printf '  %s: %d IPv%s routes loaded in %.2f s (+%s MiB resident; CPU: control thread %.2f s, ringctl %.2f s); %s pps over them; %.0f updates/s while forwarding; paced at %s updates/s for %s s: %s pps (%.3f of the rate without updates); %d packets dropped during the updates\n' \
		"${rs_bin:-$RSD}" "$n_routes" "$fam" "$load" "$mem" "$ctl_cpu" "$rctl_cpu" "$pps" "$upd" "$paced_rate" "$secs" "$paced_pps" "$(echo "$paced_pps / $pps" | bc -l)" "$lost" >&2
	[ "$fam" = 4 ] || echo "  IPv6 prefix lengths: $(cat "$T/scale6_mix")" >&2
	echo "$n_routes $load $pps $upd $lost $mem $ctl_cpu $rctl_cpu $paced_rate $paced_pps"
}
if [ $scale -eq 1 ]; then
	routes=1000000
	read -r routes load_s scale_pps upd_rate upd_lost mem_mib ctl_cpu rctl_cpu paced_rate paced_pps < <(scale_run 4 $routes) || exit 1
	if [ -n "${RS_BASE_RSD:-}" ]; then
		read -r _ bload_s bscale_pps bupd_rate bupd_lost _ bctl_cpu brctl_cpu _ _ < <(rs_bin=$RS_BASE_RSD scale_run 4 $routes b) || exit 1
	fi
	if [ $ip6 -eq 1 ]; then
		routes6_asked=200000
		read -r routes6 load6_s scale6_pps upd6_rate upd6_lost mem6_mib _ _ < <(scale_run 6 $routes6_asked) || exit 1
	fi
fi
if [ $scale_only -eq 1 ]; then
	ip6json=""
	[ $ip6 -eq 0 ] || ip6json=$(printf ', "ip6": {"routes_asked": %s, "routes": %s, "load_seconds": %s, "pps_with_routes": %s, "updates_per_second_while_forwarding": %s, "lost_during_updates": %s, "table_rss_mib": %s}' \
		"$routes6_asked" "$routes6" "$load6_s" "$scale6_pps" "$upd6_rate" "$upd6_lost" "$mem6_mib")
	basejson=""
	[ -z "${RS_BASE_RSD:-}" ] || basejson=$(printf ', "base": {"binary": "%s", "load_seconds": %s, "load_cpu_control_thread": %s, "load_cpu_ringctl": %s, "pps_with_routes": %s, "updates_per_second_while_forwarding": %s, "lost_during_updates": %s}' \
		"$RS_BASE_RSD" "$bload_s" "$bctl_cpu" "$brctl_cpu" "$bscale_pps" "$bupd_rate" "$bupd_lost")
	printf '{"routes": %s, "load_seconds": %s, "load_cpu_control_thread": %s, "load_cpu_ringctl": %s, "pps_with_routes": %s, "updates_per_second_while_forwarding": %s, "paced_updates_per_second": %s, "pps_during_paced_updates": %s, "lost_during_updates": %s, "table_rss_mib": %s%s%s}\n' \
		"$routes" "$load_s" "$ctl_cpu" "$rctl_cpu" "$scale_pps" "$upd_rate" "$paced_rate" "$paced_pps" "$upd_lost" "$mem_mib" "$basejson" "$ip6json" | tee "$OUT/fwd_scale.json"
	exit 0
fi

$PY - "$OUT" "$T/modes.json" "$T/modes6.json" <<PYEOF
import json, statistics, sys
out = sys.argv[1]
def n(x):
    return None if x == "null" else float(x)
modes = {}
for line in open(sys.argv[2]):
    m = json.loads(line)
    ratios = [a / b for a, b in zip(m["rs"], m["l3"])]
    gratios = [a / b for a, b in zip(m["gen"], m["l3"])]
    modes[m["mode"]] = {
        "rounds": [{"ringstackd_pps": a, "l3fwd_pps": b, "general_pps": (m["gen"][i] if m["gen"] else None)}
                   for i, (a, b) in enumerate(zip(m["rs"], m["l3"]))],
        "ringstackd_pps": statistics.median(m["rs"]), "l3fwd_pps": statistics.median(m["l3"]),
        "ratio": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
        "general_ratio": statistics.median(gratios) if gratios else None,
        "ringstackd_instr_per_pkt": m["rs_ipp"], "ringstackd_own_instr_per_pkt": m["rs_own_ipp"],
        "l3fwd_instr_per_pkt": m["l3_ipp"], "l3fwd_own_instr_per_pkt": m["l3_own_ipp"],
        "general_instr_per_pkt": m["gen_ipp"], "general_own_instr_per_pkt": m["gen_own_ipp"],
    }
first = modes[next(iter(modes))]
modes6 = {}
for line in open(sys.argv[3]):
    m = json.loads(line)
    ratios = [a / b for a, b in zip(m["rs"], m["l3"])]
    v6v4 = [a / b for a, b in zip(m["rs"], [r["ringstackd_pps"] for r in modes[m["mode"]]["rounds"]])]
    modes6[m["mode"]] = {
        "rounds": [{"ringstackd_pps": a, "l3fwd_pps": b} for a, b in zip(m["rs"], m["l3"])],
        "ringstackd_pps": statistics.median(m["rs"]), "l3fwd_pps": statistics.median(m["l3"]),
        "ratio": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
        "ringstackd_ip6_over_ip4": statistics.median(v6v4),
        "ringstackd_instr_per_pkt": m["rs_ipp"], "ringstackd_own_instr_per_pkt": m["rs_own_ipp"],
        "l3fwd_instr_per_pkt": m["l3_ipp"], "l3fwd_own_instr_per_pkt": m["l3_own_ipp"],
    }
r = {
    "setup": {"seconds": $secs, "rounds": $rounds, "modes": list(modes), "frame_bytes": 64, "worker_cores": $workers},
    "pcap_to_null": first,
    "pcap_to_null_by_mode": modes,
    "veth": {"linux_pps": n("$linux_pps"), "linux_softirq_cores": n("$linux_cores"),
             "ringstackd_af_xdp_pps": n("$rsveth_pps"), "ringstackd_softirq_cores": n("$rsveth_cores")},
    "scale": {"routes": $routes, "load_seconds": n("$load_s"), "pps_with_routes": n("$scale_pps"),
              "updates_per_second_while_forwarding": n("$upd_rate"), "table_rss_mib": n("$mem_mib"),
              "paced_updates_per_second": n("$paced_rate"), "pps_during_paced_updates": n("$paced_pps"),
              "load_cpu_control_thread": n("$ctl_cpu"), "load_cpu_ringctl": n("$rctl_cpu"),
              "base": {"load_seconds": n("$bload_s"), "load_cpu_control_thread": n("$bctl_cpu"),
                       "load_cpu_ringctl": n("$brctl_cpu"), "pps_with_routes": n("$bscale_pps"),
                       "updates_per_second_while_forwarding": n("$bupd_rate")}},
}
if modes6:
    r["ip6"] = {"frame_bytes": 62, "pcap_to_null": modes6[next(iter(modes6))], "pcap_to_null_by_mode": modes6}
if "$ip6" == "1" and "$scale" == "1":
    r["ip6_scale"] = {"routes_asked": $routes6_asked, "routes": $routes6, "load_seconds": n("$load6_s"), "pps_with_routes": n("$scale6_pps"),
                      "updates_per_second_while_forwarding": n("$upd6_rate"), "lost_during_updates": n("$upd6_lost"),
                      "table_rss_mib": n("$mem6_mib")}
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

#!/bin/bash
# TCP benchmark, side by side in one run: the same server program
# (perf/tcp_perf.c) on ringstack (libringsock, ringstackd on a veth through
# AF_XDP, one worker) and on Linux kernel sockets (in a namespace behind a
# veth); the same Linux client drives both from a peer namespace. Reports
# bulk throughput of one connection, 64-byte request/response rate and
# latency (p50, p99), connections per second, memory per idle connection
# (ringstack: daemon + server resident memory; Linux: kernel slab + server
# resident memory, over RS_TCP_IDLE connections, default 1000) and the CPU
# time each stack used in each of those runs, so that every result also
# reads per core: ringstack, the daemon (every thread: the worker
# busy-polls) + the server; Linux, the server process (user + system) + the
# machine's softirq time over the run (where the kernel's TCP receive work
# runs; it includes the client's and the veth's, and whatever else runs on
# the machine: an upper bound). "per core" = rate / (CPU s / wall s); the
# ratio of those is printed with the rates. For ringstack also
# the daemon's counts (ringctl -j stats), which the machine's load does not
# move as it moves times: wake-ups sent to the server per MB in bulk and per
# connection, and control-thread wake-ups per connection (its 1 ms tick
# included).
# Writes perf/out/tcp.json.   perf/tcp_bench.sh [--seconds N] [--callgrind]
#
# --callgrind: instead, ringstack alone, the daemon and the server under
# valgrind --tool=callgrind (instrumentation on only while the client
# runs): instructions per MB (bulk) and per request (64-byte RR), for the
# daemon (all threads, and less its worker's empty polls: the instructions
# of an idle graph walk, measured over an idle window, times the walks in
# the window) and for the server (all threads). The top functions go to
# perf/out/callgrind_tcp_{rsd,app}_{bulk,rr}.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
secs=5 callgrind=0
args=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) secs=$2; shift ;;
	--callgrind) callgrind=1 ;;
	-h|--help) sed -n 2,31p "$0"; exit 0 ;;
	*) echo "tcp_bench: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
. "$ROOT/perf/_bench_init.sh"
trap 'exec 9>&- 2>/dev/null || true; for p in "${pids[@]}"; do kill $p 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$T"' EXIT
TL=$ROOT/build-rel/perf/tcp_perf_linux
TR=$ROOT/build-rel/perf/tcp_perf_rs
NIDLE=${RS_TCP_IDLE:-1000}

two_paths

vg=() vga=()
if [ $callgrind -eq 1 ]; then
	vg=(valgrind --tool=callgrind --fair-sched=yes --instr-atstart=no --separate-threads=yes)
	vga=("${vg[@]}" --callgrind-out-file="$T/cg_app.%p")
	vg+=(--callgrind-out-file="$T/cg_rsd.%p")
	# a daemon under valgrind answers the attach slowly (main's libringsock
	# waits 5 s by default)
	export RINGSTACK_ATTACH_TIMEOUT=120
fi
"${vg[@]}" "$RSD" -l 0,1 --no-huge -m 512 --no-pci --file-prefix rst --log-level='*:error' \
	--vdev net_af_xdp0,iface=rs0 -- --ctl "$T/rst.sock" >"$T/rst.log" 2>&1 &
rsd=$!; pids+=($rsd)
for _ in $(seq 600); do [ -S "$T/rst.sock" ] && break; sleep 0.1; done
$RCTL -s "$T/rst.sock" addr add 10.0.0.1/24 dev port0
export RINGSTACK_CTL=$T/rst.sock
"${vga[@]}" "$TR" srv 5001 >"$T/rs_srv.log" 2>&1 &
rsrv=$!; pids+=($rsrv)
ip netns exec lsrv "$TL" srv 5001 >"$T/l_srv.log" 2>&1 &
lsrv=$!; pids+=($lsrv)
for _ in $(seq 600); do
	grep -q ready "$T/rs_srv.log" 2>/dev/null && grep -q ready "$T/l_srv.log" 2>/dev/null && break
	sleep 0.1
done
grep -q ready "$T/rs_srv.log" || { echo "tcp_bench: ringstack server: $(cat "$T/rs_srv.log")" >&2; exit 1; }

if [ $callgrind -eq 1 ]; then
	loops() { $RCTL -s "$T/rst.sock" -j stats | jq -r '.workers[0].loops'; }
		cgn=0
	cg_window() { # WHAT SECONDS [CLIENT...]: sets IR_RSD (worker) IR_CTL IR_APP LOOPS OUTPUT
		local l0 l1
		l0=$(loops)
		callgrind_control -i on "$rsd" >/dev/null; callgrind_control -i on "$rsrv" >/dev/null
		if [ $# -gt 2 ]; then OUTPUT=$(ip netns exec c1 "${@:3}"); else sleep "$2"; OUTPUT=""; fi
		callgrind_control -i off "$rsd" >/dev/null; callgrind_control -i off "$rsrv" >/dev/null
		l1=$(loops)
		cgn=$((cgn + 1))
		callgrind_control --dump="w$cgn" "$rsd" >/dev/null; callgrind_control --dump="w$cgn" "$rsrv" >/dev/null
		LOOPS=$((l1 - l0))
		# per thread: the daemon's worker is its busiest thread
		# (the control thread's ticks are per time, not per packet)
		local f x ir
		IR_RSD=0 IR_CTL=0 IR_APP=0
		for f in rsd app; do
			local pid=$rsd; [ $f = app ] && pid=$rsrv
			: >"$OUT/callgrind_tcp_${f}_$1.txt"
			for x in "$T"/cg_$f."$pid".*-*; do
				grep -q "^desc: Trigger:.*w$cgn\b" "$x" || continue
				ir=$(awk '/^totals:/ {print $2; exit}' "$x")
				if [ $f = app ]; then IR_APP=$((IR_APP + ir))
				elif [ "$ir" -gt "$IR_RSD" ]; then IR_CTL=$((IR_CTL + IR_RSD)); IR_RSD=$ir
				else IR_CTL=$((IR_CTL + ir)); fi
				{ echo "== $f thread ${x##*-}: $ir instructions"
				  callgrind_annotate --show=Ir --inclusive=no --threshold=99 "$x" 2>/dev/null |
					sed -n '/file:function/,/^$/p' | awk 'NR <= 40'; } >>"$OUT/callgrind_tcp_${f}_$1.txt"
			done
		done
	}
	sleep 10 # warm-up under valgrind
	cg_window idle "$secs"
	idle_per_loop=$(awk -v i="$IR_RSD" -v l="$LOOPS" 'BEGIN {printf "%.1f", (l > 0 ? i / l : 0)}')
	echo "  idle graph walk: $idle_per_loop instructions ($LOOPS walks in ${secs} s)"
	cg_window bulk "$secs" "$TL" bulk 10.0.0.1 5001 "$secs"
	bytes=$(awk -v r="$(echo "$OUTPUT" | awk '{print $2}')" -v s="$secs" 'BEGIN {printf "%.0f", r * s}')
	awk -v i="$IR_RSD" -v a="$IR_APP" -v c="$IR_CTL" -v l="$LOOPS" -v il="$idle_per_loop" -v b="$bytes" 'BEGIN {
		mb = b / 1e6; printf "  bulk: %.1f MB; per MB: worker %.0f (less empty walks %.0f), server %.0f, sum %.0f; per 1448-byte segment: worker %.0f, server %.0f; other daemon threads %.0f per MB\n",
		mb, i / mb, (i - l * il) / mb, a / mb, (i - l * il + a) / mb, (i - l * il) / (b / 1448), a / (b / 1448), c / mb}'
	cg_window rr "$secs" "$TL" rr 10.0.0.1 5001 "$secs"
	n=$(awk -v r="$(echo "$OUTPUT" | awk '{print $2}')" -v s="$secs" 'BEGIN {printf "%.0f", r * s}')
	awk -v i="$IR_RSD" -v a="$IR_APP" -v c="$IR_CTL" -v l="$LOOPS" -v il="$idle_per_loop" -v n="$n" 'BEGIN {
		printf "  rr: %d requests; per request: worker %.0f (less empty walks %.0f), server %.0f, sum %.0f; other daemon threads %.0f\n",
		n, i / n, (i - l * il) / n, a / n, (i - l * il + a) / n, c / n}'
	echo "  (top functions: $OUT/callgrind_tcp_*.txt)"
	exit 0
fi

# CPU seconds (user + system) of processes, from /proc/PID/stat
cpu() { local s=0 p; for p in "$@"; do s=$((s + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
	awk -v s="$s" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f\n", s / hz}'; }
# resident KiB of processes
rss() { local s=0 p; for p in "$@"; do s=$((s + $(awk '/^VmRSS/ {print $2}' "/proc/$p/status"))); done; echo $s; }
slab() { awk '/^Slab:/ {print $2}' /proc/meminfo; }
# the machine's softirq CPU seconds (/proc/stat, every CPU)
softirq() { awk -v hz="$(getconf CLK_TCK)" '/^cpu / {printf "%.2f\n", $8 / hz}' /proc/stat; }
# phase_cpu STACK: CPU seconds the stack used since the last call (and
# the machine's softirq seconds, counted for Linux only)
declare -A C0
phase_start() { C0[p]=$(cpu "${w[@]}"); C0[s]=$(softirq); C0[t]=$(date +%s.%N); }
phase_end() { # NAME: sets R[STACK_NAME_cpu] (CPU s per wall s)
	local c1 s1 t1; c1=$(cpu "${w[@]}"); s1=$(softirq); t1=$(date +%s.%N)
	R[${st}_$1_cpu]=$(awk -v st="$st" -v c0="${C0[p]}" -v c1="$c1" -v s0="${C0[s]}" -v s1="$s1" \
		-v t0="${C0[t]}" -v t1="$t1" 'BEGIN {c = c1 - c0; if (st == "lx") c += s1 - s0
		printf "%.3f", c / (t1 - t0)}')
}

# the daemon's counters: sock wake-ups sent, control-thread wake-ups
counts() { $RCTL -s "$T/rst.sock" -j stats | jq -r '"\(.sock.wakeups // 0) \(.ctl.wakeups // 0)"'; }
declare -A R
run() { # STACK CLIENT_NS IP
	local st=$1 ns=$2 ip=$3 c0 c1 w k0 k1 k2
	if [ "$st" = rs ]; then w=("$rsd" "$rsrv"); else w=("$lsrv"); fi
	c0=$(cpu "${w[@]}")
	[ "$st" = rs ] && k0=$(counts)
	phase_start
	R[${st}_bulk]=$(ip netns exec "$ns" "$TL" bulk "$ip" 5001 "$secs" | awk '{print $2}')
	phase_end bulk
	[ "$st" = rs ] && k1=$(counts)
	phase_start
	read -r _ R[${st}_rr] R[${st}_p50] R[${st}_p99] < <(ip netns exec "$ns" "$TL" rr "$ip" 5001 "$secs")
	phase_end rr
	[ "$st" = rs ] && k2=$(counts)
	phase_start
	R[${st}_cps]=$(ip netns exec "$ns" "$TL" cps "$ip" 5001 "$secs" | awk '{print $2}')
	phase_end cps
	if [ "$st" = rs ]; then
		local k3; k3=$(counts)
		read -r a0 _ <<<"$k0"; read -r a1 _ <<<"$k1"; read -r a2 b2 <<<"$k2"; read -r a3 b3 <<<"$k3"
		R[wk_mb]=$(awk -v w=$((a1 - a0)) -v b="${R[rs_bulk]}" -v s="$secs" 'BEGIN {printf "%.1f", (b > 0 ? w / (b * s / 1e6) : 0)}')
		R[wk_rr]=$(awk -v w=$((a2 - a1)) -v r="${R[rs_rr]}" -v s="$secs" 'BEGIN {printf "%.2f", (r > 0 ? w / (r * s) : 0)}')
		R[wk_conn]=$(awk -v w=$((a3 - a2)) -v c="${R[rs_cps]}" -v s="$secs" 'BEGIN {printf "%.2f", (c > 0 ? w / (c * s) : 0)}')
		R[ctl_conn]=$(awk -v w=$((b3 - b2)) -v c="${R[rs_cps]}" -v s="$secs" 'BEGIN {printf "%.2f", (c > 0 ? w / (c * s) : 0)}')
	fi
	c1=$(cpu "${w[@]}")
	R[${st}_cpu]=$(awk -v a="$c0" -v b="$c1" 'BEGIN {printf "%.2f\n", b - a}')
	# idle connections: what they cost
	local m0 m1 s0=0 s1=0
	m0=$(rss "${w[@]}")
	[ "$st" = lx ] && s0=$(slab)
	exec 9> >(ip netns exec "$ns" "$TL" idle "$ip" 5001 "$NIDLE" >"$T/idle_$st.log")
	for _ in $(seq 300); do grep -q idle "$T/idle_$st.log" 2>/dev/null && break; sleep 0.1; done
	sleep 1
	m1=$(rss "${w[@]}")
	[ "$st" = lx ] && s1=$(slab)
	exec 9>&-
	R[${st}_idle_b]=$(( ((m1 - m0) + (s1 - s0)) * 1024 / NIDLE ))
	sleep 1
}
run rs c1 10.0.0.1
run lx c2 10.1.0.1

ratio() { echo "scale=2; $1 / $2" | bc; }
# per core: rate / cores used, ringstack over Linux
pcr() { awk -v a="${R[rs_$1]}" -v b="${R[lx_$1]}" -v ca="${R[rs_$1_cpu]}" -v cb="${R[lx_$1_cpu]}" \
	'BEGIN {printf "%.2f", (ca > 0 && cb > 0 && b > 0) ? (a / ca) / (b / cb) : 0}'; }
cores() { echo "cores used: ringstack ${R[rs_$1_cpu]}, Linux ${R[lx_$1_cpu]}; per core ratio $(pcr "$1")"; }
echo "  bulk, one connection (MB/s):   ringstack $(echo "${R[rs_bulk]} / 1000000" | bc), Linux $(echo "${R[lx_bulk]} / 1000000" | bc)  (ratio $(ratio "${R[rs_bulk]}" "${R[lx_bulk]}"); $(cores bulk))"
echo "  64 B request/response (/s):    ringstack ${R[rs_rr]}, Linux ${R[lx_rr]}  (ratio $(ratio "${R[rs_rr]}" "${R[lx_rr]}"); $(cores rr))"
echo "  latency p50/p99 (us):          ringstack ${R[rs_p50]}/${R[rs_p99]}, Linux ${R[lx_p50]}/${R[lx_p99]}"
echo "  connections per second:        ringstack ${R[rs_cps]}, Linux ${R[lx_cps]}  (ratio $(ratio "${R[rs_cps]}" "${R[lx_cps]}"); $(cores cps))"
echo "  bytes per idle connection:     ringstack ${R[rs_idle_b]}, Linux ${R[lx_idle_b]}  ($NIDLE connections)"
echo "  CPU seconds over the runs:     ringstack ${R[rs_cpu]} (daemon + server), Linux ${R[lx_cpu]} (server process)"
echo "  ringstack counts:              ${R[wk_mb]} wake-ups per MB (bulk), ${R[wk_rr]} per request (RR), ${R[wk_conn]} wake-ups and ${R[ctl_conn]} control-thread wake-ups per connection (cps)"
$PY - "$OUT" <<PYEOF
import json, sys
def ratio(a, b):
    return round(a / b, 3) if b else None
r = {"seconds": $secs,
     "bulk_bytes_per_s": {"ringstack": ${R[rs_bulk]}, "linux": ${R[lx_bulk]}},
     "rr_64_per_s": {"ringstack": ${R[rs_rr]}, "linux": ${R[lx_rr]}},
     "rr_64_latency_us": {"ringstack_p50": ${R[rs_p50]}, "ringstack_p99": ${R[rs_p99]},
                          "linux_p50": ${R[lx_p50]}, "linux_p99": ${R[lx_p99]}},
     "connections_per_s": {"ringstack": ${R[rs_cps]}, "linux": ${R[lx_cps]}},
     "bytes_per_idle_connection": {"ringstack": ${R[rs_idle_b]}, "linux": ${R[lx_idle_b]},
                                   "connections": $NIDLE},
     "cores_used": {k: {"ringstack": float(v[0]), "linux": float(v[1])} for k, v in
                    {"bulk": ("${R[rs_bulk_cpu]}", "${R[lx_bulk_cpu]}"),
                     "rr": ("${R[rs_rr_cpu]}", "${R[lx_rr_cpu]}"),
                     "cps": ("${R[rs_cps_cpu]}", "${R[lx_cps_cpu]}")}.items()},
     "cpu_seconds": {"ringstack_daemon_and_server": ${R[rs_cpu]}, "linux_server_process": ${R[lx_cpu]}},
     "ringstack_counts": {"wakeups_per_mb_bulk": ${R[wk_mb]}, "wakeups_per_request_rr": ${R[wk_rr]}, "wakeups_per_connection": ${R[wk_conn]},
                          "ctl_wakeups_per_connection": ${R[ctl_conn]}}}
r["ratios_ringstack_over_linux"] = {
    "bulk": ratio(${R[rs_bulk]}, ${R[lx_bulk]}), "rr": ratio(${R[rs_rr]}, ${R[lx_rr]}),
    "cps": ratio(${R[rs_cps]}, ${R[lx_cps]})}
def per_core(k, rate):
    c = r["cores_used"][k]
    a, b = rate["ringstack"], rate["linux"]
    return round((a / c["ringstack"]) / (b / c["linux"]), 3) if c["ringstack"] and c["linux"] and b else None
r["per_core_ratios_ringstack_over_linux"] = {
    "bulk": per_core("bulk", r["bulk_bytes_per_s"]), "rr": per_core("rr", r["rr_64_per_s"]),
    "cps": per_core("cps", r["connections_per_s"])}
json.dump(r, open(sys.argv[1] + "/tcp.json", "w"), indent=2)
print(json.dumps(r["ratios_ringstack_over_linux"]), json.dumps(r["per_core_ratios_ringstack_over_linux"]))
PYEOF

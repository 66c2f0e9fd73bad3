#!/bin/bash
# TCP benchmark, side by side in one run: the same server program
# (perf/tcp_perf.c) on ringstack (libringsock, ringstackd on a veth through
# AF_XDP, one worker) and on Linux kernel sockets (in a namespace behind a
# veth); the same Linux client drives both from a peer namespace. Reports
# bulk throughput of one connection, 64-byte request/response rate and
# latency (p50, p99), connections per second, memory per idle connection
# (ringstack: daemon + server resident memory; Linux: kernel slab + server
# resident memory, over RS_TCP_IDLE connections, default 1000) and the CPU
# time each stack used over those runs (ringstack: daemon + server, the
# daemon's worker busy-polls; Linux: the server process, user + system; the
# kernel's softirq work done outside it is not counted). For ringstack also
# the daemon's counts (ringctl -j stats), which the machine's load does not
# move as it moves times: wake-ups sent to the server per MB in bulk and per
# connection, and control-thread wake-ups per connection (its 1 ms tick
# included).
# Writes perf/out/tcp.json.   perf/tcp_bench.sh [--seconds N]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
secs=5
args=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) secs=$2; shift ;;
	-h|--help) sed -n 2,13p "$0"; exit 0 ;;
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

"$RSD" -l 0,1 --no-huge -m 512 --no-pci --file-prefix rst --log-level='*:error' \
	--vdev net_af_xdp0,iface=rs0 -- --ctl "$T/rst.sock" >"$T/rst.log" 2>&1 &
rsd=$!; pids+=($rsd)
for _ in $(seq 600); do [ -S "$T/rst.sock" ] && break; sleep 0.1; done
$RCTL -s "$T/rst.sock" addr add 10.0.0.1/24 dev port0
export RINGSTACK_CTL=$T/rst.sock
"$TR" srv 5001 >"$T/rs_srv.log" 2>&1 &
rsrv=$!; pids+=($rsrv)
ip netns exec lsrv "$TL" srv 5001 >"$T/l_srv.log" 2>&1 &
lsrv=$!; pids+=($lsrv)
for _ in $(seq 100); do
	grep -q ready "$T/rs_srv.log" 2>/dev/null && grep -q ready "$T/l_srv.log" 2>/dev/null && break
	sleep 0.1
done
grep -q ready "$T/rs_srv.log" || { echo "tcp_bench: ringstack server: $(cat "$T/rs_srv.log")" >&2; exit 1; }

# CPU seconds (user + system) of processes, from /proc/PID/stat
cpu() { local s=0 p; for p in "$@"; do s=$((s + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
	awk -v s="$s" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f\n", s / hz}'; }
# resident KiB of processes
rss() { local s=0 p; for p in "$@"; do s=$((s + $(awk '/^VmRSS/ {print $2}' "/proc/$p/status"))); done; echo $s; }
slab() { awk '/^Slab:/ {print $2}' /proc/meminfo; }

# the daemon's counters: sock wake-ups sent, control-thread wake-ups
counts() { $RCTL -s "$T/rst.sock" -j stats | jq -r '"\(.sock.wakeups // 0) \(.ctl.wakeups // 0)"'; }
declare -A R
run() { # STACK CLIENT_NS IP
	local st=$1 ns=$2 ip=$3 c0 c1 w k0 k1 k2
	if [ "$st" = rs ]; then w=("$rsd" "$rsrv"); else w=("$lsrv"); fi
	c0=$(cpu "${w[@]}")
	[ "$st" = rs ] && k0=$(counts)
	R[${st}_bulk]=$(ip netns exec "$ns" "$TL" bulk "$ip" 5001 "$secs" | awk '{print $2}')
	[ "$st" = rs ] && k1=$(counts)
	read -r _ R[${st}_rr] R[${st}_p50] R[${st}_p99] < <(ip netns exec "$ns" "$TL" rr "$ip" 5001 "$secs")
	[ "$st" = rs ] && k2=$(counts)
	R[${st}_cps]=$(ip netns exec "$ns" "$TL" cps "$ip" 5001 "$secs" | awk '{print $2}')
	if [ "$st" = rs ]; then
		local k3; k3=$(counts)
		read -r a0 _ <<<"$k0"; read -r a1 _ <<<"$k1"; read -r a2 b2 <<<"$k2"; read -r a3 b3 <<<"$k3"
		R[wk_mb]=$(awk -v w=$((a1 - a0)) -v b="${R[rs_bulk]}" -v s="$secs" 'BEGIN {printf "%.1f", (b > 0 ? w / (b * s / 1e6) : 0)}')
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
echo "  bulk, one connection (MB/s):   ringstack $(echo "${R[rs_bulk]} / 1000000" | bc), Linux $(echo "${R[lx_bulk]} / 1000000" | bc)  (ratio $(ratio "${R[rs_bulk]}" "${R[lx_bulk]}"))"
echo "  64 B request/response (/s):    ringstack ${R[rs_rr]}, Linux ${R[lx_rr]}  (ratio $(ratio "${R[rs_rr]}" "${R[lx_rr]}"))"
echo "  latency p50/p99 (us):          ringstack ${R[rs_p50]}/${R[rs_p99]}, Linux ${R[lx_p50]}/${R[lx_p99]}"
echo "  connections per second:        ringstack ${R[rs_cps]}, Linux ${R[lx_cps]}  (ratio $(ratio "${R[rs_cps]}" "${R[lx_cps]}"))"
echo "  bytes per idle connection:     ringstack ${R[rs_idle_b]}, Linux ${R[lx_idle_b]}  ($NIDLE connections)"
echo "  CPU seconds over the runs:     ringstack ${R[rs_cpu]} (daemon + server), Linux ${R[lx_cpu]} (server process)"
echo "  ringstack counts:              ${R[wk_mb]} wake-ups per MB (bulk), ${R[wk_conn]} wake-ups and ${R[ctl_conn]} control-thread wake-ups per connection (cps)"
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
     "cpu_seconds": {"ringstack_daemon_and_server": ${R[rs_cpu]}, "linux_server_process": ${R[lx_cpu]}},
     "ringstack_counts": {"wakeups_per_mb_bulk": ${R[wk_mb]}, "wakeups_per_connection": ${R[wk_conn]},
                          "ctl_wakeups_per_connection": ${R[ctl_conn]}}}
r["ratios_ringstack_over_linux"] = {
    "bulk": ratio(${R[rs_bulk]}, ${R[lx_bulk]}), "rr": ratio(${R[rs_rr]}, ${R[lx_rr]}),
    "cps": ratio(${R[rs_cps]}, ${R[lx_cps]})}
json.dump(r, open(sys.argv[1] + "/tcp.json", "w"), indent=2)
print(json.dumps(r["ratios_ringstack_over_linux"]))
PYEOF

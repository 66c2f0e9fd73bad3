#!/bin/bash
# Unmodified programs, side by side in one run: each server program runs
# once on ringstack through the LD_PRELOAD shim (libringsock_preload.so,
# ringstackd on a veth through AF_XDP, one busy-polling worker) and once on
# Linux kernel sockets (in a namespace behind a veth); the same load
# generator drives both from a Linux peer namespace:
#  - nginx (one worker process, a 612-byte file, sendfile) <- wrk (one
#    thread, 16 connections): requests
#    per second on keep-alive connections and with a new connection per
#    request ("Connection: close")
#  - redis-server (no persistence) <- redis-benchmark: SET and GET per
#    second, one request in flight per connection and pipelined (-P 16)
#  - iperf3 -s <- iperf3 -c: TCP throughput to the server and (-R) from it
# with the CPU time (user + system, /proc/PID/stat) each stack used over each
# program's runs (ringstack: the server's processes + ringstackd, whose
# worker busy-polls, shown apart; Linux: the server's processes; the kernel's
# softirq work done outside them is not counted).
# What the shim costs: perf/shim_cost.c linked to libringsock (rs_* calls)
# and the same calls by their libc names under LD_PRELOAD, in ns per call
# (Linux kernel sockets for reference), and tcp_perf's 64-byte
# request/response rate with the server linked to libringsock and the plain
# server under the shim; both alternate 3 times and the best run of each
# counts (on a shared machine the others measure the neighbours).
# Writes perf/out/apps.json.
#   perf/apps_bench.sh [--seconds N] [--smoke] [--idle-sleep US]
#   --smoke: 1-second runs, fewer requests (a check that it all still runs)
#   --idle-sleep US: ringstackd's worker sleeps US microseconds when idle
#   (default 0: busy polling; on a machine with more busy threads than
#   cores a sleeping worker is scheduled sooner than a polling one)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
secs=5 smoke=0 idle_sleep=0
args=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) secs=$2; shift ;;
	--smoke) smoke=1 secs=1 ;;
	--idle-sleep) idle_sleep=$2; shift ;;
	-h|--help) sed -n 2,29p "$0"; exit 0 ;;
	*) echo "apps_bench: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
. "$ROOT/perf/_bench_init.sh"
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$T"' EXIT
SHIM=$ROOT/build-rel/lib/preload/libringsock_preload.so
for p in nginx wrk redis-server redis-benchmark iperf3; do
	command -v $p >/dev/null || { echo "apps_bench: $p not installed (scripts/deps.sh perf)" >&2; exit 1; }
done
NGINX=$(command -v nginx)
# redis-benchmark requests per run (-P 16: 10 times as many), shim_cost calls
# and how many times the shim-cost runs alternate (the best of them counts:
# on a shared machine the rest measure the neighbours)
if [ $smoke = 1 ]; then rn=1000 iters=20000 reps=1; else rn=$((secs * 20000)) iters=200000 reps=3; fi

two_paths

"$RSD" -l 0,1 --no-huge -m 512 --no-pci --file-prefix rsa --log-level='*:error' \
	--vdev net_af_xdp0,iface=rs0 -- --ctl "$T/rsa.sock" --idle-sleep "$idle_sleep" >"$T/rsa.log" 2>&1 &
rsd=$!; pids+=($rsd)
for _ in $(seq 600); do [ -S "$T/rsa.sock" ] && break; sleep 0.1; done
$RCTL -s "$T/rsa.sock" addr add 10.0.0.1/24 dev port0
export RINGSTACK_CTL=$T/rsa.sock

die() { echo "apps_bench: $*" >&2; exit 1; }
# wait_for SECONDS CMD...: until CMD succeeds (polled every 50 ms)
wait_for() {
	local end=$((SECONDS + $1)); shift
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.05
	done
}
# listening STACK PORT: the server's TCP listener is up
listening() {
	if [ "$1" = rs ]; then
		$RCTL -s "$RINGSTACK_CTL" -j sock show | jq -e ".[] | select(.local | endswith(\":$2\")) | select(.proto == \"tcp\")"
	else
		ip netns exec lsrv ss -Htln "sport = :$2" | grep -q .
	fi
}
# CPU jiffies (user + system) of processes, from /proc/PID/stat
jif() { local s=0 p; for p in "$@"; do s=$((s + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $s; }
secs_of() { awk -v j="$1" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f\n", j / hz}'; }
# start STACK CMD...: the server on ringstack (through the shim) or on Linux;
# sets spid
start() {
	local st=$1; shift
	if [ "$st" = rs ]; then
		LD_PRELOAD=$SHIM "$@" &
	else
		ip netns exec lsrv "$@" &
	fi
	spid=$!; pids+=($spid)
}
stop() { kill "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true; }
# the server's processes: spid and its children (nginx's worker)
procs() { echo "$spid" $(pgrep -P "$spid" || true); }
declare -A R
cpu_begin() { c_srv=$(jif $(procs)); c_rsd=$(jif $rsd); }
cpu_end() { # APP STACK
	R[$1_$2_cpu]=$(secs_of $(($(jif $(procs)) - c_srv)))
	[ "$2" = rs ] && R[$1_rs_cpu_daemon]=$(secs_of $(($(jif $rsd) - c_rsd)))
	return 0
}
ip_of() { [ "$1" = rs ] && echo 10.0.0.1 || echo 10.1.0.1; }
ns_of() { [ "$1" = rs ] && echo c1 || echo c2; }

# ---- nginx ----
D=$T/nginx
mkdir -p "$D/html" "$D/tmp" "$D/logs"
head -c 612 /dev/urandom | base64 -w 76 | head -c 612 >"$D/html/index.html"
cat >"$D/nginx.conf" <<CONF
user root;
worker_processes 1;
daemon off;
master_process on;
pid $D/nginx.pid;
error_log $D/logs/error.log error;
events {
	use epoll;
	worker_connections 1024;
}
http {
	access_log off;
	client_body_temp_path $D/tmp/body;
	proxy_temp_path $D/tmp/proxy;
	fastcgi_temp_path $D/tmp/fastcgi;
	uwsgi_temp_path $D/tmp/uwsgi;
	scgi_temp_path $D/tmp/scgi;
	sendfile on;
	tcp_nopush on;
	keepalive_timeout 65;
	keepalive_requests 1000000;
	server {
		listen 0.0.0.0:8088;
		root $D/html;
	}
}
CONF
# wrk_run NS URL [ARGS]: requests per second (fails on socket or HTTP errors
# beyond 1 % of the requests)
wrk_run() {
	local ns=$1 url=$2 out n rps bad; shift 2
	out=$(ip netns exec "$ns" wrk -t1 -c16 -d"${secs}s" "$@" "$url" 2>&1) || die "wrk $*: $out"
	n=$(echo "$out" | awk '/requests in/ {print $1}')
	rps=$(echo "$out" | awk '/^Requests\/sec:/ {printf "%d", $2}')
	bad=$(echo "$out" | awk '/Socket errors:/ {gsub(",", ""); s += $4 + $6 + $8 + $10} /Non-2xx/ {s += $NF} END {print s + 0}')
	[ -n "$n" ] && [ "$n" -gt 0 ] && [ $((bad * 100)) -le "$n" ] || die "wrk $* against $url: $out"
	echo "$rps"
}
for st in rs lx; do
	start $st "$NGINX" -p "$D" -c "$D/nginx.conf"
	wait_for 10 listening $st 8088 || die "nginx ($st) not listening: $(cat "$D/logs/error.log")"
	wait_for 10 bash -c "[ -n \"\$(pgrep -P $spid)\" ]" || die "nginx ($st): no worker"
	ip netns exec "$(ns_of $st)" curl -sS --fail -o /dev/null "http://$(ip_of $st):8088/" || die "nginx ($st): curl"
	cpu_begin
	R[nginx_ka_$st]=$(wrk_run "$(ns_of $st)" "http://$(ip_of $st):8088/")
	R[nginx_close_$st]=$(wrk_run "$(ns_of $st)" "http://$(ip_of $st):8088/" -H "Connection: close")
	cpu_end nginx $st
	kill -QUIT "$spid"; wait "$spid" 2>/dev/null || true
done

# ---- redis ----
# redis_run NS IP TEST [-P N]: requests per second
redis_run() {
	local ns=$1 ip=$2 t=$3 out v; shift 3
	local n=$rn
	[ $# -gt 0 ] && n=$((rn * 10))
	out=$(ip netns exec "$ns" timeout 120 redis-benchmark -h "$ip" -p 6379 -c 20 -n "$n" -t "$t" "$@" --csv 2>&1) ||
		die "redis-benchmark -t $t $*: $out"
	v=$(echo "$out" | awk -F, -v t="\"${t^^}\"" '$1 == t {gsub("\"", "", $2); printf "%d", $2}')
	[ -n "$v" ] && [ "$v" -gt 0 ] || die "redis-benchmark -t $t $*: $out"
	echo "$v"
}
mkdir -p "$T/redis"
for st in rs lx; do
	start $st redis-server --port 6379 --bind 0.0.0.0 --save "" --appendonly no \
		--protected-mode no --daemonize no --dir "$T/redis" --logfile "$T/redis/$st.log"
	wait_for 10 listening $st 6379 || die "redis-server ($st) not listening: $(tail -5 "$T/redis/$st.log")"
	cpu_begin
	for t in set get; do
		R[redis_${t}_$st]=$(redis_run "$(ns_of $st)" "$(ip_of $st)" $t)
		R[redis_${t}_p16_$st]=$(redis_run "$(ns_of $st)" "$(ip_of $st)" $t -P 16)
	done
	cpu_end redis $st
	stop
done

# ---- iperf3 ----
# iperf_run NS IP [-R]: bits per second received
iperf_run() {
	local ns=$1 ip=$2 out v; shift 2
	out=$(ip netns exec "$ns" timeout $((secs + 30)) iperf3 -c "$ip" -p 5201 -t "$secs" "$@" -J 2>&1) ||
		die "iperf3 -c $ip $*: $(echo "$out" | jq -r '.error // empty' 2>/dev/null || echo "$out")"
	v=$(echo "$out" | jq '.end.sum_received.bits_per_second | floor')
	[ -n "$v" ] && [ "$v" -gt 0 ] || die "iperf3 -c $ip $*: $v"
	echo "$v"
}
for st in rs lx; do
	start $st iperf3 -s -p 5201
	wait_for 10 listening $st 5201 || die "iperf3 -s ($st) not listening"
	cpu_begin
	R[iperf_up_$st]=$(iperf_run "$(ns_of $st)" "$(ip_of $st)")
	R[iperf_down_$st]=$(iperf_run "$(ns_of $st)" "$(ip_of $st)" -R)
	cpu_end iperf $st
	stop
done

# ---- the shim's cost ----
# tcp_perf rr: the server linked to libringsock, then the plain one under the shim
TL=$ROOT/build-rel/perf/tcp_perf_linux
for k in $(for _ in $(seq $reps); do echo rs shim; done); do
	if [ $k = rs ]; then
		"$ROOT/build-rel/perf/tcp_perf_rs" srv 5001 >"$T/tp_$k.log" 2>&1 &
	else
		LD_PRELOAD=$SHIM "$TL" srv 5001 >"$T/tp_$k.log" 2>&1 &
	fi
	spid=$!; pids+=($spid)
	wait_for 10 grep -q ready "$T/tp_$k.log" || die "tcp_perf srv ($k): $(cat "$T/tp_$k.log")"
	wait_for 10 ip netns exec c1 ping -c1 -W1 10.0.0.1 || die "10.0.0.1 unreachable from the client"
	read -r _ rate p50 p99 < <(ip netns exec c1 "$TL" rr 10.0.0.1 5001 "$secs")
	[ -n "${rate:-}" ] || die "tcp_perf rr against the $k server failed"
	R[rr_all_$k]="${R[rr_all_$k]:-}${R[rr_all_$k]:+, }$rate"
	if [ "$rate" -gt "${R[rr_$k]:-0}" ]; then R[rr_$k]=$rate R[rr_p50_$k]=$p50 R[rr_p99_$k]=$p99; fi
	stop
	wait_for 30 bash -c "! $RCTL -s $RINGSTACK_CTL -j sock show | jq -e '.[] | select(.state == \"LISTEN\" and (.local | endswith(\":5001\")))'" ||
		die "tcp_perf srv ($k): its listener stayed: $($RCTL -s "$RINGSTACK_CTL" sock show)"
done

# shim_cost: a receiver on each peer that never reads (a full buffer drops)
for x in c1:10.0.0.2 c2:10.1.0.2; do
	ip netns exec "${x%%:*}" $PY -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 9999)); print("ready", flush=True); time.sleep(3600)' "${x#*:}" >"$T/sink_${x%%:*}" &
	pids+=($!)
done
wait_for 10 grep -q ready "$T/sink_c1" "$T/sink_c2" || die "UDP sinks did not start"
declare -A SC
cost() { # KIND CMD...: the lowest ns per call of each op over the runs
	local k=$1 op ns n=0; shift
	while read -r op ns; do
		n=$((n + 1))
		if [ -z "${SC[${k}_$op]:-}" ] || awk -v a="$ns" -v b="${SC[${k}_$op]}" 'BEGIN {exit !(a < b)}'; then
			SC[${k}_$op]=$ns
		fi
	done < <("$@" || true)
	[ $n = 5 ] || die "shim_cost ($k) failed"
}
for _ in $(seq $reps); do
	cost rs "$ROOT/build-rel/perf/shim_cost_rs" 10.0.0.2 9999 $iters
	cost shim env LD_PRELOAD="$SHIM" "$ROOT/build-rel/perf/shim_cost_plain" 10.0.0.2 9999 $iters
	cost lx ip netns exec lsrv "$ROOT/build-rel/perf/shim_cost_plain" 10.1.0.2 9999 $iters
done
load=$(cut -d' ' -f1-3 /proc/loadavg)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "-"}'; }
row() { printf "  %-36s %14s %14s %7s\n" "$1" "$2" "$3" "$(ratio "$2" "$3")"; }
cpurow() { printf "  %-36s %14s %14s\n" "  CPU s: server (+ ringstackd)" "${R[$1_rs_cpu]} + ${R[$1_rs_cpu_daemon]}" "${R[$1_lx_cpu]}"; }
echo "  load average at the end: $load (2 cores here: figures from a loaded machine are not comparable)"
printf "  %-36s %14s %14s %7s\n" "$secs s runs" ringstack Linux ratio
row "nginx keep-alive (req/s)" "${R[nginx_ka_rs]}" "${R[nginx_ka_lx]}"
row "nginx connection per request (req/s)" "${R[nginx_close_rs]}" "${R[nginx_close_lx]}"
cpurow nginx
row "redis SET (req/s)" "${R[redis_set_rs]}" "${R[redis_set_lx]}"
row "redis GET (req/s)" "${R[redis_get_rs]}" "${R[redis_get_lx]}"
row "redis SET -P 16 (req/s)" "${R[redis_set_p16_rs]}" "${R[redis_set_p16_lx]}"
row "redis GET -P 16 (req/s)" "${R[redis_get_p16_rs]}" "${R[redis_get_p16_lx]}"
cpurow redis
row "iperf3 to the server (Mbit/s)" "$((R[iperf_up_rs] / 1000000))" "$((R[iperf_up_lx] / 1000000))"
row "iperf3 -R from the server (Mbit/s)" "$((R[iperf_down_rs] / 1000000))" "$((R[iperf_down_lx] / 1000000))"
cpurow iperf
echo "  the shim's cost, ns per call:        libringsock        shim   Linux"
for op in recv_eagain poll0 getsockopt send64 kernel_write; do
	printf "  %-36s %11s %11s %7s\n" "$op" "${SC[rs_$op]}" "${SC[shim_$op]}" "${SC[lx_$op]}"
done
echo "  tcp_perf 64 B request/response (/s): libringsock ${R[rr_rs]}, plain program under the shim ${R[rr_shim]} (ratio $(ratio "${R[rr_shim]}" "${R[rr_rs]}"); best of: ${R[rr_all_rs]} / ${R[rr_all_shim]})"
$PY - "$OUT" <<PYEOF
import json, sys
def pair(a, b):
    return {"ringstack": a, "linux": b, "ratio": round(a / b, 3) if b else None}
r = {"seconds": $secs, "smoke": bool($smoke), "ringstackd_idle_sleep_us": $idle_sleep, "loadavg_at_end": "$load", "cpus": $(nproc),
     "nginx_req_per_s": {"keepalive": pair(${R[nginx_ka_rs]}, ${R[nginx_ka_lx]}),
                         "connection_close": pair(${R[nginx_close_rs]}, ${R[nginx_close_lx]})},
     "redis_req_per_s": {"set": pair(${R[redis_set_rs]}, ${R[redis_set_lx]}),
                         "get": pair(${R[redis_get_rs]}, ${R[redis_get_lx]}),
                         "set_pipeline16": pair(${R[redis_set_p16_rs]}, ${R[redis_set_p16_lx]}),
                         "get_pipeline16": pair(${R[redis_get_p16_rs]}, ${R[redis_get_p16_lx]}),
                         "requests_per_run": $rn, "requests_per_pipelined_run": $((rn * 10))},
     "iperf3_bits_per_s": {"to_server": pair(${R[iperf_up_rs]}, ${R[iperf_up_lx]}),
                           "from_server": pair(${R[iperf_down_rs]}, ${R[iperf_down_lx]})},
     "cpu_seconds": {a: {"ringstack_server": float(s), "ringstack_daemon": float(d), "linux_server": float(l)}
                     for a, s, d, l in (("nginx", "${R[nginx_rs_cpu]}", "${R[nginx_rs_cpu_daemon]}", "${R[nginx_lx_cpu]}"),
                                        ("redis", "${R[redis_rs_cpu]}", "${R[redis_rs_cpu_daemon]}", "${R[redis_lx_cpu]}"),
                                        ("iperf3", "${R[iperf_rs_cpu]}", "${R[iperf_rs_cpu_daemon]}", "${R[iperf_lx_cpu]}"))},
     "shim_ns_per_call": {op: {"libringsock": float(a), "shim": float(b), "linux": float(c)}
                          for op, a, b, c in (("recv_eagain", "${SC[rs_recv_eagain]}", "${SC[shim_recv_eagain]}", "${SC[lx_recv_eagain]}"),
                                              ("poll0", "${SC[rs_poll0]}", "${SC[shim_poll0]}", "${SC[lx_poll0]}"),
                                              ("getsockopt", "${SC[rs_getsockopt]}", "${SC[shim_getsockopt]}", "${SC[lx_getsockopt]}"),
                                              ("send64", "${SC[rs_send64]}", "${SC[shim_send64]}", "${SC[lx_send64]}"),
                                              ("kernel_write", "${SC[rs_kernel_write]}", "${SC[shim_kernel_write]}", "${SC[lx_kernel_write]}"))},
     "shim_cost_calls_timed": $iters, "shim_cost_runs": $reps,
     "tcp_perf_rr_64_per_s": {"libringsock": ${R[rr_rs]}, "shim": ${R[rr_shim]},
                              "runs_libringsock": [${R[rr_all_rs]}], "runs_shim": [${R[rr_all_shim]}],
                              "p50_us": {"libringsock": ${R[rr_p50_rs]}, "shim": ${R[rr_p50_shim]}},
                              "p99_us": {"libringsock": ${R[rr_p99_rs]}, "shim": ${R[rr_p99_shim]}},
                              "shim_over_libringsock": round(${R[rr_shim]} / ${R[rr_rs]}, 3) if ${R[rr_rs]} else None}}
json.dump(r, open(sys.argv[1] + "/apps.json", "w"), indent=2)
PYEOF

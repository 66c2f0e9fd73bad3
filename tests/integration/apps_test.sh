#!/bin/bash
# More unmodified programs under the LD_PRELOAD shim against Linux peers
# (shim_test.sh has curl, python3 http.server, socat, dig and iperf3 TCP):
#  - wget on ringstack <- python3 http.server on Linux, and wget on Linux
#    <- python3 http.server on ringstack (sha256 compared)
#  - iperf3 UDP, both ways, either side the server
#  - redis-server on ringstack (no persistence) with redis-benchmark and
#    redis-cli from Linux; redis-cli on ringstack against a Linux
#    redis-server
. "$(dirname "$0")/_init.sh"

SHIM=$RS_BUILD/lib/preload/libringsock_preload.so
[ -f "$SHIM" ] || fail "shim not built ($SHIM)"
pre() { LD_PRELOAD=$SHIM "$@"; }
for p in wget iperf3 redis-server redis-cli redis-benchmark; do
	command -v $p >/dev/null || fail "$p not installed (scripts/deps.sh installs it)"
done

rs_peer p1 10.0.0.2/24
rs_start
ringctl addr add 10.0.0.1/24 dev port0
listening() { ringctl -j sock show | jq -e ".[] | select(.local | endswith(\":$1\")) | select(.proto == \"${2:-tcp}\")"; }

# ---- wget ----
mkdir -p "$RS_TMP/www"
head -c 2000000 /dev/urandom >"$RS_TMP/www/blob"
sum=$(sha256sum <"$RS_TMP/www/blob" | cut -d' ' -f1)
(cd "$RS_TMP/www" && exec ip netns exec p1 $PY -m http.server 8000 --bind 10.0.0.2) >"$RS_TMP/http_l.log" 2>&1 &
wait_for 10 bash -c "ip netns exec p1 ss -tln | grep -q ':8000'" || fail "Linux http.server did not start"
pre timeout 30 wget -q -O "$RS_TMP/got1" http://10.0.0.2:8000/blob || fail "wget on ringstack: exit $?"
[ "$(sha256sum <"$RS_TMP/got1" | cut -d' ' -f1)" = "$sum" ] || fail "wget on ringstack: sha256 differs"
ok "wget on ringstack <- python3 http.server on Linux: 2 MB, sha256 equal"

(cd "$RS_TMP/www" && LD_PRELOAD=$SHIM exec $PY -m http.server 8080 --bind 0.0.0.0) >"$RS_TMP/http_r.log" 2>&1 &
wait_for 10 listening 8080 || fail "http.server on ringstack not listening: $(cat "$RS_TMP/http_r.log")"
in_ns p1 timeout 30 wget -q -O "$RS_TMP/got2" http://10.0.0.1:8080/blob || fail "Linux wget: exit $?"
[ "$(sha256sum <"$RS_TMP/got2" | cut -d' ' -f1)" = "$sum" ] || fail "Linux wget: sha256 differs"
ok "python3 http.server on ringstack -> wget on Linux: 2 MB, sha256 equal"

# ---- iperf3 UDP (2 s, 20 Mbit/s; a test must not depend on this machine's load) ----
# iperf3_check JSON WHAT: no error, bytes received > 0
iperf3_check() {
	local err bytes
	err=$(jq -r '.error // empty' "$1")
	[ -z "$err" ] || fail "$2: $err"
	bytes=$(jq '.end.sum.bytes // 0' "$1")
	[ "$bytes" -gt 0 ] || fail "$2: $bytes bytes"
	ok "$2: $bytes bytes, $(jq '.end.sum.lost_percent' "$1" | cut -c1-5)% lost"
}
in_ns p1 iperf3 -s -B 10.0.0.2 -p 5201 >"$RS_TMP/iperf_l.log" 2>&1 &
wait_for 10 bash -c "ip netns exec p1 ss -tln | grep -q ':5201'" || fail "Linux iperf3 did not start"
for dir in "" -R; do
	pre timeout 30 iperf3 -u -b 20M -c 10.0.0.2 -p 5201 -t 2 $dir -J >"$RS_TMP/iperf.json" 2>&1 ||
		fail "iperf3 UDP client $dir on ringstack: $(tail -5 "$RS_TMP/iperf.json")"
	iperf3_check "$RS_TMP/iperf.json" "iperf3 UDP client on ringstack ${dir:+(reverse) }-> Linux server"
done
pre iperf3 -s -p 5202 >"$RS_TMP/iperf_r.log" 2>&1 &
wait_for 10 listening 5202 || fail "iperf3 server on ringstack not listening: $(cat "$RS_TMP/iperf_r.log")"
for dir in "" -R; do
	in_ns p1 timeout 30 iperf3 -u -b 20M -c 10.0.0.1 -p 5202 -t 2 $dir -J >"$RS_TMP/iperf.json" 2>&1 ||
		fail "Linux iperf3 UDP client $dir: $(tail -5 "$RS_TMP/iperf.json")"
	iperf3_check "$RS_TMP/iperf.json" "iperf3 UDP server on ringstack <- Linux client${dir:+ (reverse)}"
done

# ---- redis ----
RS_REDIS_DIR=$RS_TMP/redis
mkdir -p "$RS_REDIS_DIR/r" "$RS_REDIS_DIR/l"
(cd "$RS_REDIS_DIR/r" && LD_PRELOAD=$SHIM exec redis-server --port 6379 --bind 0.0.0.0 \
	--save "" --appendonly no --protected-mode no --daemonize no) >"$RS_TMP/redis_r.log" 2>&1 &
wait_for 10 listening 6379 || fail "redis-server on ringstack not listening: $(tail -5 "$RS_TMP/redis_r.log")"
out=$(in_ns p1 timeout 10 redis-cli -h 10.0.0.1 -p 6379 set k1 hello 2>&1) || fail "Linux redis-cli set: $out"
[ "$out" = OK ] || fail "Linux redis-cli set: $out"
out=$(in_ns p1 timeout 10 redis-cli -h 10.0.0.1 -p 6379 get k1 2>&1)
[ "$out" = hello ] || fail "Linux redis-cli get: $out"
head -c 300000 /dev/urandom | base64 -w0 >"$RS_TMP/big"
in_ns p1 timeout 10 redis-cli -h 10.0.0.1 -p 6379 -x set big <"$RS_TMP/big" >/dev/null || fail "set big"
in_ns p1 timeout 10 redis-cli -h 10.0.0.1 -p 6379 --raw get big | head -c -1 >"$RS_TMP/big.back"
cmp -s "$RS_TMP/big" "$RS_TMP/big.back" || fail "a 400 kB value came back different"
in_ns p1 timeout 60 redis-benchmark -h 10.0.0.1 -p 6379 -n 2000 -c 20 -t set,get,incr,lpush,lpop \
	--csv >"$RS_TMP/bench.csv" 2>"$RS_TMP/bench.err" || fail "redis-benchmark: $(cat "$RS_TMP/bench.err")"
[ "$(grep -c '^"[A-Z]' "$RS_TMP/bench.csv")" -ge 5 ] || fail "redis-benchmark: $(cat "$RS_TMP/bench.csv" "$RS_TMP/bench.err")"
rps=$(grep '^"[A-Z]' "$RS_TMP/bench.csv" | cut -d, -f1,2 | tr -d '"' | tr '\n' ' ')
out=$(in_ns p1 timeout 10 redis-cli -h 10.0.0.1 -p 6379 get counter:__rand_int__ 2>&1)
[ "$out" = 2000 ] || fail "after 2000 INCRs the counter reads: $out"
ok "redis-server on ringstack <- Linux redis-cli (set/get, 400 kB value) and redis-benchmark -n 2000 -c 20: $rps(req/s)"

in_ns p1 bash -c "cd $RS_REDIS_DIR/l && exec redis-server --port 6380 --bind 10.0.0.2 --save '' --appendonly no --protected-mode no --daemonize no" \
	>"$RS_TMP/redis_l.log" 2>&1 &
wait_for 10 bash -c "ip netns exec p1 ss -tln | grep -q ':6380'" || fail "Linux redis-server did not start"
out=$(pre timeout 10 redis-cli -h 10.0.0.2 -p 6380 set k2 world 2>&1) || fail "redis-cli on ringstack: $out"
[ "$out" = OK ] || fail "redis-cli on ringstack set: $out"
out=$(pre timeout 10 redis-cli -h 10.0.0.2 -p 6380 get k2 2>&1)
[ "$out" = world ] || fail "redis-cli on ringstack get: $out"
pre timeout 10 redis-cli -h 10.0.0.2 -p 6380 -x set big <"$RS_TMP/big" >/dev/null || fail "redis-cli on ringstack: set big"
pre timeout 10 redis-cli -h 10.0.0.2 -p 6380 --raw get big | head -c -1 >"$RS_TMP/big.back2"
cmp -s "$RS_TMP/big" "$RS_TMP/big.back2" || fail "redis-cli on ringstack: the 400 kB value came back different"
out=$(printf 'PING\r\nINCR c\r\nINCR c\r\nGET c\r\n' | pre timeout 10 redis-cli -h 10.0.0.2 -p 6380 2>&1 | tr '\n' ' ')
[ "$out" = "PONG 1 2 2 " ] || fail "redis-cli on ringstack, commands from stdin: $out"
ok "redis-cli on ringstack -> redis-server on Linux: set/get, 400 kB value, commands from stdin"

#!/bin/bash
# The LD_PRELOAD shim (libringsock_preload.so): unmodified programs with
# their AF_INET sockets on ringstack, against Linux peers in a namespace.
#  - no daemon: one line on stderr, EAFNOSUPPORT; RINGSOCK_FALLBACK=kernel
#  - python3: the shim's semantics (tests/integration/shim/checks.py), an
#    epoll echo server with a kernel pipe in its set
#  - socat both ways (UDP and TCP), dig against dnsmasq on the Linux side
#  - curl <-> python3 -m http.server both ways, iperf3 both directions
# Traffic is seen in ringstackd's counters and `ringctl sock show` (the
# Linux peer is reachable only through ringstack: the near end of the veth
# has no kernel address).
. "$(dirname "$0")/_init.sh"

SHIM=$RS_BUILD/lib/preload/libringsock_preload.so
[ -f "$SHIM" ] || fail "shim not built ($SHIM)"
HERE=$RS_ROOT/tests/integration/shim
pre() { LD_PRELOAD=$SHIM "$@"; }

# --- no daemon yet -------------------------------------------------------
out=$(RINGSTACK_CTL=$RS_TMP/none.sock pre $PY -c '
import errno, socket
a, b = socket.socketpair(); a.send(b"x"); assert b.recv(1) == b"x"
for i in range(3):
    try:
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM); print("created")
    except OSError as e:
        print("errno", errno.errorcode[e.errno])
' 2>"$RS_TMP/nodaemon.err") || fail "no daemon: $out $(cat "$RS_TMP/nodaemon.err")"
[ "$out" = "errno EAFNOSUPPORT
errno EAFNOSUPPORT
errno EAFNOSUPPORT" ] || fail "no daemon: expected EAFNOSUPPORT thrice, got: $out"
[ "$(grep -c 'ringstackd not reachable' "$RS_TMP/nodaemon.err")" = 1 ] ||
	fail "no daemon: expected one stderr line: $(cat "$RS_TMP/nodaemon.err")"
ok "no daemon: EAFNOSUPPORT, one line on stderr"

# laziness: a program without inet sockets says nothing
RINGSTACK_CTL=$RS_TMP/none.sock pre $PY -c 'import socket; socket.socketpair()' \
	2>"$RS_TMP/lazy.err" || fail "lazy run failed"
[ ! -s "$RS_TMP/lazy.err" ] || fail "no inet socket yet the shim spoke: $(cat "$RS_TMP/lazy.err")"
ok "lazy: no daemon contact without an inet socket"

$PY "$HERE/udp_echo_linux.py" 127.0.0.1 9100 &
wait_for 10 bash -c "ss -uln | grep -q '127.0.0.1:9100'" || fail "loopback echo did not start"
out=$(RINGSTACK_CTL=$RS_TMP/none.sock RINGSOCK_FALLBACK=kernel pre $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.sendto(b"fb", ("127.0.0.1", 9100)); print(s.recvfrom(10)[0].decode())
' 2>"$RS_TMP/fb.err") || fail "fallback: $(cat "$RS_TMP/fb.err")"
[ "$out" = fb ] || fail "fallback echo: $out"
grep -q 'RINGSOCK_FALLBACK=kernel' "$RS_TMP/fb.err" || fail "fallback: no notice"
ok "RINGSOCK_FALLBACK=kernel: sockets go to the kernel"

# --- with the daemon -----------------------------------------------------
rs_peer p1 10.0.0.2/24
rs_start
ringctl addr add 10.0.0.1/24 dev port0
# udp packets ringstack took in (all workers; checks.py alone echoes 400 from threads)
udp_in() { ringctl -j stats | jq '[.nodes[] | select(.name | test("udp")) | .packets] | add'; }

in_ns p1 $PY "$HERE/udp_echo_linux.py" 10.0.0.2 9000 &
wait_for 10 bash -c "ip netns exec p1 ss -uln | grep -q ':9000'" || fail "Linux echo did not start"

before=$(udp_in)
pre $PY "$HERE/checks.py" 10.0.0.2 9000 >"$RS_TMP/checks.out" 2>&1 ||
	fail "checks.py: $(cat "$RS_TMP/checks.out")"
grep -q "^all ok" "$RS_TMP/checks.out" || fail "checks.py: $(cat "$RS_TMP/checks.out")"
after=$(udp_in)
[ "$after" -ge $((before + 400)) ] || fail "udp counters moved only $before -> $after"
ok "python3 checks: $(grep -c '^ok' "$RS_TMP/checks.out") groups ($(grep '^ok' "$RS_TMP/checks.out" | cut -d' ' -f2 | tr '\n' ' ')); udp packets $before -> $after"

# send then close (or exit) at once: the datagrams still in the transmit
# ring go out before the daemon drops the socket, as Linux sends them
in_ns p1 $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.0.0.2", 9400))
# room for the whole burst however slowly this loop runs (SO_RCVBUFFORCE: root)
s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)
print("ready", flush=True); s.settimeout(3); n = 0
try:
    while True:
        s.recv(100); n += 1
except socket.timeout:
    print(n, flush=True)' >"$RS_TMP/count.out" &
cnt=$!
wait_for 10 grep -q ready "$RS_TMP/count.out" || fail "counter did not start"
pre $PY -c '
import socket
for i in range(20):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for j in range(20):
        s.sendto(b"%d-%d" % (i, j), ("10.0.0.2", 9400))
    s.close()' || fail "send-and-close program failed"
for i in $(seq 10); do
	echo "exit-$i" | pre socat -u - UDP4-SENDTO:10.0.0.2:9400 || fail "socat send-and-exit failed"
done
wait $cnt
[ "$(tail -1 "$RS_TMP/count.out")" = 410 ] ||
	fail "send then close/exit: $(tail -1 "$RS_TMP/count.out") of 410 datagrams arrived (Linux side: $(in_ns p1 grep '^Udp:' /proc/net/snmp | tail -1))"
ok "send then close or exit at once: 410 of 410 datagrams arrived"

# signals: SA_RESTART honoured, EINTR without it or with SO_RCVTIMEO, the
# same as on Linux sockets (the program run in the peer's namespace)
SIGR=$RS_BUILD/tests/integration/sig_restart
for mode in restart norestart timeout; do
	want=$(in_ns p1 timeout 10 "$SIGR" 10.0.0.2 9000 $mode)
	got=$(pre timeout 10 "$SIGR" 10.0.0.2 9000 $mode 2>&1)
	[ "$got" = "$want" ] || fail "signal $mode: Linux says '$want', the shim '$got'"
	ok "signal during a blocking recv ($mode): $got, as Linux"
done

# python3 epoll echo server on ringstack, Linux client
pre $PY "$HERE/udp_echo_server.py" 7007 >"$RS_TMP/srv.out" 2>&1 &
srv=$!
wait_for 10 grep -q ready "$RS_TMP/srv.out" || fail "server: $(cat "$RS_TMP/srv.out")"
ringctl -j sock show | jq -e '.[] | select(.local | endswith(":7007")) | select(.program | startswith("python"))' \
	>/dev/null || fail "server socket not in sock show: $(ringctl sock show)"
in_ns p1 $PY - <<'PYEOF' || fail "Linux client of the python server failed"
import os, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
for i in range(100):
    d = os.urandom(i * 13)
    s.sendto(d, ("10.0.0.1", 7007))
    assert s.recvfrom(70000)[0] == d, i
s.sendto(b"quit", ("10.0.0.1", 7007))
PYEOF
wait $srv || fail "server exit: $(cat "$RS_TMP/srv.out")"
grep -q "served 100" "$RS_TMP/srv.out" || fail "server: $(cat "$RS_TMP/srv.out")"
ok "python3 selectors (epoll, pipe + udp) server on ringstack, Linux client: 100 echoes"

# socat on ringstack as client, Linux socat echo server
in_ns p1 socat UDP4-RECVFROM:9200,fork PIPE &
wait_for 10 bash -c "ip netns exec p1 ss -uln | grep -q ':9200'" || fail "Linux socat did not start"
out=$(echo "hello from socat" | pre timeout 10 socat -t 3 - UDP4:10.0.0.2:9200 2>&1) ||
	fail "socat client: $out"
[ "$out" = "hello from socat" ] || fail "socat client got: $out"
ok "socat client on ringstack -> Linux socat"

# socat on ringstack as server, Linux client
pre timeout 20 socat UDP4-RECVFROM:7100 PIPE >"$RS_TMP/socat_srv.out" 2>&1 &
wait_for 10 bash -c "$RS_BUILD/app/ringctl -s $RS_SOCK -j sock show | jq -e '.[] | select(.local | endswith(\":7100\")) | select(.program == \"socat\")'" ||
	fail "socat server not in sock show: $(ringctl sock show) $(cat "$RS_TMP/socat_srv.out")"
out=$(echo "hello to socat" | in_ns p1 timeout 10 socat -t 3 - UDP4:10.0.0.1:7100 2>&1) ||
	fail "Linux socat client: $out"
[ "$out" = "hello to socat" ] || fail "Linux socat client got: $out"
ok "socat server on ringstack <- Linux socat"

# dig on ringstack against dnsmasq on the Linux side. libisc probes IPv4 with
# a SOCK_STREAM socket: dig needs TCP from libringsock.
stream=$(pre $PY -c '
import socket
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM); print("yes")
except OSError as e:
    print("no", e.strerror)')
if [ "${stream%% *}" != yes ]; then
	echo "skip: dig: libringsock serves no SOCK_STREAM yet ($stream)"
elif command -v dig >/dev/null && command -v dnsmasq >/dev/null; then
	in_ns p1 dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts \
		--listen-address=10.0.0.2 --bind-interfaces --port=53 \
		--address=/shim.test/10.9.8.7 --pid-file="$RS_TMP/dnsmasq.pid" \
		>"$RS_TMP/dnsmasq.log" 2>&1 &
	wait_for 10 bash -c "ip netns exec p1 ss -uln | grep -q '10.0.0.2:53 '" ||
		fail "dnsmasq did not start: $(cat "$RS_TMP/dnsmasq.log")"
	before=$(udp_in)
	out=$(pre timeout 20 dig -4 @10.0.0.2 shim.test A +short +tries=2 +time=3 2>&1) ||
		fail "dig: $out"
	[ "$out" = 10.9.8.7 ] || fail "dig answered: $out"
	after=$(udp_in)
	[ "$after" -gt "$before" ] || fail "dig: no udp packet through ringstack"
	ok "dig on ringstack -> dnsmasq on Linux: shim.test = $out"
else
	echo "skip: dig/dnsmasq not installed (scripts/deps.sh installs them)"
fi

# --- TCP -----------------------------------------------------------------
tcp_in() { ringctl -j stats | jq '[.nodes[] | select(.name | test("tcp_input")) | .packets] | add // 0'; }
tcp_before=$(tcp_in)

# socat: ringstack client -> Linux echo, Linux client -> ringstack echo
in_ns p1 socat TCP4-LISTEN:9300,fork,reuseaddr PIPE &
wait_for 10 bash -c "ip netns exec p1 ss -tln | grep -q ':9300'" || fail "Linux TCP socat did not start"
out=$(echo "tcp from socat" | pre timeout 10 socat -t 3 - TCP4:10.0.0.2:9300 2>&1) ||
	fail "socat TCP client: $out"
[ "$out" = "tcp from socat" ] || fail "socat TCP client got: $out"
ok "socat TCP client on ringstack -> Linux socat"

pre timeout 20 socat TCP4-LISTEN:7300,reuseaddr PIPE >"$RS_TMP/socat_tsrv.out" 2>&1 &
wait_for 10 bash -c "$RS_BUILD/app/ringctl -s $RS_SOCK -j sock show | jq -e '.[] | select(.local | endswith(\":7300\")) | select(.program == \"socat\")'" ||
	fail "socat TCP server not in sock show: $(ringctl sock show) $(cat "$RS_TMP/socat_tsrv.out")"
out=$(echo "tcp to socat" | in_ns p1 timeout 10 socat -t 3 - TCP4:10.0.0.1:7300 2>&1) ||
	fail "Linux socat TCP client: $out"
[ "$out" = "tcp to socat" ] || fail "Linux socat TCP client got: $out"
ok "socat TCP server on ringstack <- Linux socat"

# curl and python3 -m http.server, both ways, a 3 MB file
mkdir -p "$RS_TMP/www"
head -c 3000000 /dev/urandom >"$RS_TMP/www/blob"
sum=$(sha256sum <"$RS_TMP/www/blob" | cut -d' ' -f1)
(cd "$RS_TMP/www" && exec ip netns exec p1 $PY -m http.server 8000 --bind 10.0.0.2) >"$RS_TMP/http_l.log" 2>&1 &
wait_for 10 bash -c "ip netns exec p1 ss -tln | grep -q ':8000'" || fail "Linux http.server did not start"
got=$(pre timeout 30 curl -sS --fail http://10.0.0.2:8000/blob | sha256sum | cut -d' ' -f1)
[ "$got" = "$sum" ] || fail "curl on ringstack from Linux http.server: sha256 $got != $sum"
ok "curl on ringstack <- python3 http.server on Linux: 3 MB, sha256 equal"

(cd "$RS_TMP/www" && LD_PRELOAD=$SHIM exec $PY -m http.server 8080 --bind 0.0.0.0) >"$RS_TMP/http_r.log" 2>&1 &
wait_for 10 bash -c "$RS_BUILD/app/ringctl -s $RS_SOCK -j sock show | jq -e '.[] | select(.local | endswith(\":8080\"))'" ||
	fail "http.server on ringstack not listening: $(cat "$RS_TMP/http_r.log")"
got=$(in_ns p1 timeout 30 curl -sS --fail http://10.0.0.1:8080/blob | sha256sum | cut -d' ' -f1)
[ "$got" = "$sum" ] || fail "Linux curl from http.server on ringstack: sha256 $got != $sum"
ok "python3 http.server on ringstack -> curl on Linux: 3 MB, sha256 equal"

# iperf3: Linux server, ringstack client, both directions; then the reverse
in_ns p1 iperf3 -s -B 10.0.0.2 -p 5201 >"$RS_TMP/iperf_l.log" 2>&1 &
wait_for 10 bash -c "ip netns exec p1 ss -tln | grep -q ':5201'" || fail "Linux iperf3 did not start"
for dir in "" -R; do
	pre timeout 30 iperf3 -c 10.0.0.2 -p 5201 -t 2 $dir -J >"$RS_TMP/iperf.json" 2>&1 ||
		fail "iperf3 client $dir on ringstack: $(tail -5 "$RS_TMP/iperf.json")"
	bps=$(jq '.end.sum_received.bits_per_second' "$RS_TMP/iperf.json")
	[ "$(echo "$bps > 1000000" | bc)" = 1 ] || fail "iperf3 $dir: $bps bit/s"
	ok "iperf3 client on ringstack ${dir:+(reverse) }-> Linux server: $(echo "$bps / 1000000" | bc) Mbit/s"
done
pre iperf3 -s -p 5202 >"$RS_TMP/iperf_r.log" 2>&1 &
wait_for 10 bash -c "$RS_BUILD/app/ringctl -s $RS_SOCK -j sock show | jq -e '.[] | select(.local | endswith(\":5202\"))'" ||
	fail "iperf3 server on ringstack not listening: $(cat "$RS_TMP/iperf_r.log")"
for dir in "" -R; do
	in_ns p1 timeout 30 iperf3 -c 10.0.0.1 -p 5202 -t 2 $dir -J >"$RS_TMP/iperf.json" 2>&1 ||
		fail "Linux iperf3 client $dir: $(tail -5 "$RS_TMP/iperf.json")"
	bps=$(jq '.end.sum_received.bits_per_second' "$RS_TMP/iperf.json")
	[ "$(echo "$bps > 1000000" | bc)" = 1 ] || fail "iperf3 $dir: $bps bit/s"
	ok "iperf3 server on ringstack <- Linux client ${dir:+(reverse)}: $(echo "$bps / 1000000" | bc) Mbit/s"
done
tcp_after=$(tcp_in)
[ "$tcp_after" -gt $((tcp_before + 1000)) ] || fail "tcp counters moved only $tcp_before -> $tcp_after"
ok "TCP segments through ringstack: $tcp_before -> $tcp_after"

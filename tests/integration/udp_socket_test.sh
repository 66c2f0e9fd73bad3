#!/bin/bash
# UDP sockets through libringsock: an echo server on ringstack answers a
# Linux client at every size from 0 to 65507 bytes; a ringstack client talks
# to a Linux echo server; kill -9 of an application frees its port at once;
# ringctl sock show lists sockets.
. "$(dirname "$0")/_init.sh"

EX=$RS_BUILD/app/examples
[ -x "$EX/udp_echo_server" ] || fail "examples not built"
rs_peer p1 10.0.0.2/24
rs_start
ringctl addr add 10.0.0.1/24 dev port0

"$EX/udp_echo_server" 7007 >"$RS_TMP/srv.log" 2>&1 &
srv=$!
wait_for 10 bash -c "$RS_BUILD/app/ringctl -s $RS_SOCK sock show | grep -q ':7007'" ||
	fail "echo server's socket not listed: $(cat "$RS_TMP/srv.log")"

in_ns p1 $PY - <<'PYEOF' || fail "echo from a Linux client failed"
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
for size in (0, 1, 100, 1472, 1473, 3000, 8000, 65507):
    data = os.urandom(size)
    s.sendto(data, ("10.0.0.1", 7007))
    back, addr = s.recvfrom(70000)
    if back != data or addr != ("10.0.0.1", 7007):
        print("size", size, "mismatch", len(back), addr)
        sys.exit(1)
print("ok")
PYEOF
ok "echo server on ringstack answers a Linux client, 0 to 65507 bytes"

# many clients at once, each checking its own echoes
in_ns p1 $PY - <<'PYEOF' || fail "many clients: echo failed"
import os, socket, threading
errors = []
def client(k):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
    for i in range(200):
        d = b"%d-%d-" % (k, i) + os.urandom(k * 37 % 1400)
        s.sendto(d, ("10.0.0.1", 7007))
        if s.recvfrom(2048)[0] != d:
            errors.append((k, i)); return
ts = [threading.Thread(target=client, args=(k,)) for k in range(16)]
[t.start() for t in ts]; [t.join() for t in ts]
assert not errors, errors
PYEOF
ok "16 concurrent Linux clients, 200 echoes each"

# a ringstack client to a Linux echo server
in_ns p1 socat -T 5 UDP4-RECVFROM:9009,fork EXEC:cat >/dev/null 2>&1 &
wait_for 10 bash -c "ip netns exec p1 ss -uln | grep -q ':9009'" || fail "socat did not start"
"$EX/udp_echo_client" 10.0.0.2 9009 20 1000 >"$RS_TMP/cli.out" 2>&1 ||
	fail "ringstack client: $(cat "$RS_TMP/cli.out")"
grep -q "^ok 20" "$RS_TMP/cli.out" || fail "client output: $(cat "$RS_TMP/cli.out")"
ok "ringstack client gets 20 echoes from a Linux server"

# an ICMP port unreachable reaches the connected socket: ECONNREFUSED
if "$EX/udp_echo_client" 10.0.0.2 9999 1 10 >"$RS_TMP/cli2.out" 2>&1; then
	fail "a send to a closed port got an echo"
fi
grep -q "Connection refused" "$RS_TMP/cli2.out" || fail "no ECONNREFUSED: $(cat "$RS_TMP/cli2.out")"
ok "ICMP port unreachable -> ECONNREFUSED on the connected socket"

# kill -9: the port is free for the next application at once
kill -9 $srv
wait $srv 2>/dev/null || true
wait_for 10 bash -c "! $RS_BUILD/app/ringctl -s $RS_SOCK sock show | grep -q ':7007'" ||
	fail "socket of a killed application still listed"
"$EX/udp_echo_server" 7007 >"$RS_TMP/srv2.log" 2>&1 &
srv=$!
wait_for 10 bash -c "$RS_BUILD/app/ringctl -s $RS_SOCK sock show | grep -q ':7007'" ||
	fail "port 7007 not free after kill -9: $(cat "$RS_TMP/srv2.log")"
in_ns p1 $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.sendto(b"again", ("10.0.0.1", 7007)); assert s.recvfrom(100)[0] == b"again"' ||
	fail "re-bound server does not answer"
ringctl -j sock show | jq -e 'length >= 1 and .[0].proto == "udp"' >/dev/null || fail "sock show -j"
kill $srv
ok "kill -9 frees the port at once; sock show lists sockets"

# SO_REUSEPORT: two servers share a port; flows spread, each flow stays put
ECHO_REUSEPORT=1 "$EX/udp_echo_server" 7100 >"$RS_TMP/rp1.log" 2>&1 &
rp1=$!
wait_for 10 bash -c "[ \$($RS_BUILD/app/ringctl -s $RS_SOCK sock show | grep -c ':7100') -eq 1 ]" ||
	fail "first SO_REUSEPORT server did not bind"
ECHO_REUSEPORT=1 "$EX/udp_echo_server" 7100 >"$RS_TMP/rp2.log" 2>&1 &
rp2=$!
wait_for 10 bash -c "[ \$($RS_BUILD/app/ringctl -s $RS_SOCK sock show | grep -c ':7100') -eq 2 ]" ||
	fail "second SO_REUSEPORT server did not bind: $(cat "$RS_TMP/rp2.log")"
"$EX/udp_echo_server" 7100 >"$RS_TMP/rp3.log" 2>&1 && fail "a server without SO_REUSEPORT joined the group"
grep -q "Address already in use" "$RS_TMP/rp3.log" || fail "no EADDRINUSE: $(cat "$RS_TMP/rp3.log")"
in_ns p1 $PY - <<'PYEOF' || fail "echo through the SO_REUSEPORT group failed"
import socket
for sport in range(42000, 42032):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
    s.bind(("10.0.0.2", sport))
    for i in range(3):
        s.sendto(b"x%d" % i, ("10.0.0.1", 7100))
        assert s.recvfrom(100)[0] == b"x%d" % i
    s.close()
PYEOF
kill $rp1 $rp2
wait $rp1 $rp2 2>/dev/null || true
n1=$(awk '/echoed/ {print $2}' "$RS_TMP/rp1.log"); n2=$(awk '/echoed/ {print $2}' "$RS_TMP/rp2.log")
[ "$n1" -gt 0 ] && [ "$n2" -gt 0 ] && [ $((n1 + n2)) -eq 96 ] || fail "SO_REUSEPORT spread: $n1 + $n2 of 96"
[ $((n1 % 3)) -eq 0 ] && [ $((n2 % 3)) -eq 0 ] || fail "a flow was split between sockets ($n1/$n2)"
ok "SO_REUSEPORT: 32 flows spread over two servers ($n1/$n2 datagrams), none split"

#!/bin/bash
# Two workers, each polling its own queue of one link (net_af_packet with
# qpairs=2 on a two-queue veth: the kernel's fanout spreads flows over the
# queues). Many UDP flows to one socket: every datagram is echoed, the ones
# that arrived on the worker that does not own the socket were handed to the
# owner (the only producer of its receive ring, lib/sock/sock_handoff.c),
# and nothing is corrupt or dropped. Ping and a reassembled ping work on
# both.
. "$(dirname "$0")/_init.sh"

ip netns add p1
ip link add p1-rs numtxqueues 2 numrxqueues 2 type veth peer name p1-l numtxqueues 2 numrxqueues 2
ip link set p1-l netns p1
sysctl -qw net.ipv6.conf.p1-rs.disable_ipv6=1
ethtool -K p1-rs tx off tso off gso off gro off >/dev/null 2>&1 || true
ip link set p1-rs up
in_ns p1 ip link set lo up
in_ns p1 ethtool -K p1-l tx off tso off gso off gro off >/dev/null 2>&1 || true
in_ns p1 ip addr add 10.0.0.2/24 dev p1-l
in_ns p1 ip link set p1-l up

# lcore 0: control; lcores 1 and 2: workers, on different CPUs where there
# are two, so that they really run at once
cpus=$(nproc)
w2cpu=$((cpus > 1 ? 1 : 0))
"$RS_BUILD/app/ringstackd" --lcores "0@0,1@0,2@$w2cpu" --no-huge --no-pci -m 512 \
	--file-prefix "rs$$" --log-level=*:warning --vdev=net_af_packet0,iface=p1-rs,qpairs=2 -- \
	--ctl "$RS_SOCK" --idle-sleep 20 >"$RS_LOG" 2>&1 &
RS_PID=$!
wait_for 30 test -S "$RS_SOCK" || fail "ringstackd did not start: $(tail -3 "$RS_LOG")"
[ "$(ringctl -j stats | jq '.workers | length')" = 2 ] || fail "not two workers: $(ringctl -j stats | jq -c .workers)"
ringctl addr add 10.0.0.1/24 dev port0
ringctl link show | grep -q "queues 2" || fail "port0 has not two queues: $(ringctl link show)"

in_ns p1 ping -c 3 -i 0.2 -W 2 10.0.0.1 >"$RS_TMP/ping.out" || fail "ping: $(tail -2 "$RS_TMP/ping.out")"
ok "ping with two workers"

"$RS_BUILD/app/examples/udp_echo_server" 7007 >"$RS_TMP/srv.log" 2>&1 &
srv=$!
wait_for 10 bash -c "$RS_BUILD/app/ringctl -s $RS_SOCK sock show | grep -q ':7007'" ||
	fail "echo server did not bind: $(cat "$RS_TMP/srv.log")"
cat >"$RS_TMP/clients.py" <<'PY'
import socket, sys, threading
FLOWS, N = 32, 200
res = {}
def client(i):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.0.0.2", 41000 + i))
    s.settimeout(3)
    ok = lost = 0
    for k in range(N):
        m = (b"%d-%d|" % (i, k)) * (1 + (i * 7 + k) % 90)
        s.sendto(m, ("10.0.0.1", 7007))
        try:
            d, _ = s.recvfrom(4096)
        except socket.timeout:
            lost += 1
            if lost == 3:
                break  # broken: say so soon rather than after N timeouts
            continue
        ok += d == m
    res[i] = ok
ts = [threading.Thread(target=client, args=(i,)) for i in range(FLOWS)]
for t in ts: t.start()
for t in ts: t.join()
print(sum(res.values()), FLOWS * N)
PY
in_ns p1 "$PY" "$RS_TMP/clients.py" >"$RS_TMP/clients.out" 2>&1 || fail "clients: $(tail -3 "$RS_TMP/clients.out")"
read -r got want <"$RS_TMP/clients.out" || fail "clients printed nothing"
[ "$got" = "$want" ] || fail "echoed $got of $want datagrams"
ok "32 flows x 200 datagrams echoed, all intact"

handed=$(node_pkts sock_handoff)
[ "$handed" -gt 0 ] || fail "no datagram arrived on the other worker (sock_handoff saw none): fanout did not spread"
[ "$(node_pkts udp_input)" -ge "$want" ] || fail "udp_input saw $(node_pkts udp_input) of $want"
for r in sock_handoff_full sock_corrupt udp_rcvbuf_full; do
	[ "$(drops "$r")" = 0 ] || fail "$(drops "$r") drops under $r"
done
ok "$handed of $want datagrams came in on the other worker and were handed to the owner; no drops"
kill "$srv"
wait "$srv" 2>/dev/null || true

# ---- TCP over IPv6 with two workers: connections live on the worker their
# flow hashes to (RSS, or the software hash and a hand-off), both ways
SHIM=$RS_BUILD/lib/preload/libringsock_preload.so
in_ns p1 sysctl -qw net.ipv6.conf.p1-l.accept_ra=0
in_ns p1 ip -6 addr add 2001:db8::2/64 dev p1-l nodad
ringctl addr add 2001:db8::1/64 dev port0
usable6() {
	ringctl -j addr show dev port0 |
		jq -e '.[0].addrs[] | select(.local == "2001:db8::1" and (.tentative | not))'
}
wait_for 10 usable6 || fail "2001:db8::1 stays tentative"
LD_PRELOAD=$SHIM $PY - >"$RS_TMP/tsrv.log" 2>&1 <<'PYEOF' &
import hashlib, socket, threading
l = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
l.bind(("::", 8080)); l.listen(64); l.settimeout(60)
def serve(c):
    h = hashlib.sha256()
    while True:
        d = c.recv(1 << 16)
        if not d:
            break
        h.update(d)
    c.sendall(h.hexdigest().encode()); c.close()
print("ready", flush=True)
while True:
    c, _ = l.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PYEOF
tsrv=$!
wait_for 10 grep -q ready "$RS_TMP/tsrv.log" || fail "TCP server: $(cat "$RS_TMP/tsrv.log")"
handed0=$(node_pkts sock_handoff)
in_ns p1 $PY - <<'PYEOF' || fail "IPv6 TCP clients with two workers; server: $(cat "$RS_TMP/tsrv.log")"
import hashlib, os, socket, threading
bad = []
def client(i):
    try:
        data = os.urandom(256 << 10)
        s = socket.create_connection(("2001:db8::1", 8080), timeout=20)
        s.sendall(data); s.shutdown(socket.SHUT_WR)
        r = b""
        while True:
            d = s.recv(4096)
            if not d:
                break
            r += d
        if r.decode() != hashlib.sha256(data).hexdigest():
            bad.append(i)
    except Exception as e:
        bad.append((i, repr(e)))
ts = [threading.Thread(target=client, args=(i,)) for i in range(16)]
for t in ts: t.start()
for t in ts: t.join()
assert not bad, bad
PYEOF
handed=$(( $(node_pkts sock_handoff) - handed0 ))
[ "$handed" -gt 0 ] || fail "no IPv6 TCP segment was handed to its connection's worker"
in_ns p1 $PY - >"$RS_TMP/lsrv6.log" 2>&1 <<'PYEOF' &
import hashlib, socket, threading
l = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
l.bind(("::", 9090)); l.listen(16); l.settimeout(60)
def serve(c):
    h = hashlib.sha256()
    while True:
        d = c.recv(1 << 16)
        if not d:
            break
        h.update(d)
    c.sendall(h.hexdigest().encode()); c.close()
print("ready", flush=True)
while True:
    c, _ = l.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PYEOF
lsrv6=$!
wait_for 10 grep -q ready "$RS_TMP/lsrv6.log" || fail "Linux server: $(cat "$RS_TMP/lsrv6.log")"
LD_PRELOAD=$SHIM $PY - <<'PYEOF' || fail "ringstack IPv6 TCP clients with two workers"
import hashlib, os, socket
socks, data = [], os.urandom(128 << 10)
for i in range(8):
    s = socket.create_connection(("2001:db8::2", 9090), timeout=20)
    s.sendall(data); s.shutdown(socket.SHUT_WR)
    socks.append(s)
for s in socks:
    r = b""
    while True:
        d = s.recv(4096)
        if not d:
            break
        r += d
    assert r.decode() == hashlib.sha256(data).hexdigest()
PYEOF
ok "IPv6 TCP with two workers: 16 Linux clients and 8 ringstack clients, hashes intact, $handed segments handed to their connection's worker"
kill "$tsrv" "$lsrv6" 2>/dev/null || true

#!/bin/bash
# AF_INET6 UDP sockets through libringsock (run under the LD_PRELOAD shim)
# against a Linux peer: an echo server bound to :: answers Linux over IPv6
# and, dual-stack, over IPv4 (peers shown v4-mapped, as Linux does);
# IPV6_V6ONLY refuses IPv4; a ringstack client reaches a Linux server by
# its global and its link-local address (scope id); IPV6_UNICAST_HOPS and
# IPV6_TCLASS reach the wire; IPV6_RECVPKTINFO/RECVHOPLIMIT/RECVTCLASS come
# back as control messages; ::1 joins two ringstack applications; a closed
# port answers ICMPv6 Port Unreachable (ECONNREFUSED on a connected Linux
# socket); a zero UDP checksum over IPv6 is dropped (RFC 8200 §8.1).
. "$(dirname "$0")/_init.sh"

# RS_SHIM: a shim from a build without sanitizers (an ASan shim cannot load into python)
SHIM=${RS_SHIM:-$RS_BUILD/lib/preload/libringsock_preload.so}
[ -f "$SHIM" ] || fail "shim not built"
pre() { LD_PRELOAD=$SHIM "$@"; }

rs_peer p1 10.0.0.2/24
in_ns p1 sysctl -qw net.ipv6.conf.p1-l.accept_ra=0
in_ns p1 ip -6 addr add 2001:db8::2/64 dev p1-l nodad
rs_start
ringctl addr add 10.0.0.1/24 dev port0
ringctl addr add 2001:db8::1/64 dev port0
usable() {
	ringctl -j addr show dev port0 |
		jq -e --arg a "$1" '.[0].addrs[] | select(.local == $a and (.tentative | not))'
}
wait_for 10 usable 2001:db8::1 || fail "2001:db8::1 stays tentative"
peer_ll_ok() {
	in_ns p1 ip -j -6 addr show dev p1-l scope link |
		jq -e -r 'first(.[].addr_info[] | select(.local != null and (.tentative | not)) | .local)'
}
wait_for 10 peer_ll_ok || fail "peer has no link-local address"
peer_ll=$(peer_ll_ok | tr -d '"')

# --- an echo server on ringstack, dual-stack on port 7007, v6only on 7008
pre $PY - >"$RS_TMP/srv.log" 2>&1 <<'PYEOF' &
import socket, select
a = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
assert a.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 0
a.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
a.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
a.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVTCLASS, 1)
a.bind(("::", 7007))
b = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
b.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
b.bind(("::", 7008))
print("ready", flush=True)
while True:
    r, _, _ = select.select([a, b], [], [], 30)
    if not r:
        break
    for s in r:
        data, anc, _, peer = s.recvmsg(70000, 256)
        info = []
        for lvl, typ, val in anc:
            if typ == socket.IPV6_PKTINFO:
                info.append("dst=" + socket.inet_ntop(socket.AF_INET6, val[:16]))
            elif typ == socket.IPV6_HOPLIMIT:
                info.append("hlim=%d" % int.from_bytes(val[:4], "little"))
            elif typ == socket.IPV6_TCLASS:
                info.append("tclass=%d" % int.from_bytes(val[:4], "little"))
        if data == b"info":
            data = (" ".join(info) + " peer=" + peer[0]).encode()
        s.sendto(data, peer)
PYEOF
srv=$!
wait_for 10 grep -q ready "$RS_TMP/srv.log" || fail "server: $(cat "$RS_TMP/srv.log")"

in_ns p1 $PY - <<'PYEOF' || fail "Linux client over IPv6 and IPv4 (dual stack)"
import os, socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.settimeout(3)
for size in (0, 1, 1232, 1452, 3000, 65000):
    d = os.urandom(size)
    s.sendto(d, ("2001:db8::1", 7007))
    back, addr = s.recvfrom(70000)
    assert back == d and addr[:2] == ("2001:db8::1", 7007), (size, len(back), addr)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 9)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, 0x28)
s.sendto(b"info", ("2001:db8::1", 7007))
info = s.recvfrom(1000)[0].decode()
assert info == "dst=2001:db8::1 hlim=9 tclass=40 peer=2001:db8::2", info
s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s4.settimeout(3)
s4.sendto(b"info", ("10.0.0.1", 7007))
info, addr = s4.recvfrom(1000)
assert addr == ("10.0.0.1", 7007), addr
assert info.decode() == "dst=::ffff:10.0.0.1 peer=::ffff:10.0.0.2", info
s.sendto(b"v6only", ("2001:db8::1", 7008))
assert s.recvfrom(100)[0] == b"v6only"
c4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c4.settimeout(3)
c4.connect(("10.0.0.1", 7008)); c4.send(b"x")
try:
    c4.recv(10); sys.exit("v6only socket answered IPv4")
except ConnectionRefusedError:
    pass
c6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); c6.settimeout(3)
c6.connect(("2001:db8::1", 7999)); c6.send(b"x")
try:
    c6.recv(10); sys.exit("closed port answered")
except ConnectionRefusedError:
    pass
PYEOF
ok "Linux client: IPv6 echo up to 65000 bytes, dual-stack IPv4 (mapped), pktinfo/hoplimit/tclass, V6ONLY, port unreachable"

# --- a ringstack client to Linux servers: global and link-local
in_ns p1 $PY - >"$RS_TMP/lsrv.log" 2>&1 <<'PYEOF' &
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVTCLASS, 1)
s.bind(("::", 9009)); s.settimeout(30)
print("ready", flush=True)
while True:
    data, anc, _, peer = s.recvmsg(70000, 256)
    if data == b"info":
        v = {t: int.from_bytes(x[:4], "little") for _, t, x in anc}
        data = b"hlim=%d tclass=%d peer=%s" % (v.get(socket.IPV6_HOPLIMIT, -1),
                                               v.get(socket.IPV6_TCLASS, -1), peer[0].encode())
    s.sendto(data, peer)
PYEOF
wait_for 10 grep -q ready "$RS_TMP/lsrv.log" || fail "Linux server: $(cat "$RS_TMP/lsrv.log")"
echo "peer link-local: [$peer_ll]"
PEER_LL=$peer_ll pre $PY - <<'PYEOF' || fail "ringstack client"
import os, socket
ll = os.environ["PEER_LL"]
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.settimeout(3)
for size in (0, 100, 1452, 8000):
    d = os.urandom(size)
    s.sendto(d, ("2001:db8::2", 9009))
    back, addr = s.recvfrom(70000)
    assert back == d and addr[:2] == ("2001:db8::2", 9009), (size, addr)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 7)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, 0x20)
assert s.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS) == 7
s.sendto(b"info", ("2001:db8::2", 9009))
assert s.recvfrom(1000)[0] == b"hlim=7 tclass=32 peer=2001:db8::1", "hops/tclass"
# link-local: port0 is link 0, scope id 1
c = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); c.settimeout(3)
c.connect((ll, 9009, 0, 1))
c.send(b"hello")
back, addr = c.recvfrom(100)
assert back == b"hello" and addr[0] == ll and addr[3] == 1, addr
name = c.getsockname()
assert name[0].startswith("fe80::") and name[3] == 1, name
# ICMPv6 Port Unreachable from Linux reaches the connected socket
r = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); r.settimeout(3)
r.connect(("2001:db8::2", 9998))
r.send(b"x")
try:
    r.recv(10)
    raise SystemExit("no ECONNREFUSED")
except ConnectionRefusedError:
    pass
# a link-local destination without a scope is refused (Linux: EINVAL)
try:
    socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).connect((ll, 9009))
    raise SystemExit("link-local connect without scope id")
except OSError as e:
    assert e.errno == 22, e
PYEOF
ok "ringstack client: global and link-local (scope id) peers, IPV6_UNICAST_HOPS and IPV6_TCLASS on the wire, ICMPv6 port unreachable -> ECONNREFUSED"

# --- ::1 between two ringstack applications
pre $PY - <<'PYEOF' || fail "::1 between two applications"
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.settimeout(3)
s.sendto(b"loop", ("::1", 7007))
back, addr = s.recvfrom(100)
assert back == b"loop" and addr[:2] == ("::1", 7007), addr
s.connect(("::1", 7007))
assert s.getsockname()[0] == "::1", s.getsockname()
PYEOF
ok "::1 joins two ringstack applications"

# --- a zero UDP checksum over IPv6 is dropped (RFC 8200 §8.1)
before=$(drops udp_bad_checksum)
mac0=$(rs_link_mac port0)
in_ns p1 $PY - "$mac0" <<'PYEOF' || fail "scapy"
import sys
from scapy.all import Ether, IPv6, UDP, Raw, sendp, conf
conf.verb = 0
p = Ether(dst=sys.argv[1]) / IPv6(src="2001:db8::2", dst="2001:db8::1") / UDP(sport=5, dport=7007, chksum=0) / Raw(b"zero")
sendp(p, iface="p1-l")
PYEOF
wait_for 5 drops_reach udp_bad_checksum $((before + 1)) || fail "zero checksum not dropped"
ok "zero UDP checksum over IPv6 dropped (udp_bad_checksum)"
kill "$srv" 2>/dev/null || true

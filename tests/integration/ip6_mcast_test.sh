#!/bin/bash
# IPv6 multicast sockets (run under the LD_PRELOAD shim) against a Linux
# peer, with two workers: a ringstack application joins ff0e::123
# (IPV6_JOIN_GROUP) and ff02::123 (MCAST_JOIN_GROUP) and receives what
# Linux sends to them, on whichever worker it arrives; the options' errno
# cases are Linux's; MLDv2 state-change reports (RFC 3810 §6.1) go out on
# join and, when the application dies, on leave; a general query from Linux
# is answered with the joined groups; ringstack sends to groups Linux
# joined with IPV6_MULTICAST_HOPS and a scope id, loops its own multicast
# back to local listeners unless IPV6_MULTICAST_LOOP is off, and labels its
# flows (RFC 6437: non-zero, stable per flow).
. "$(dirname "$0")/_init.sh"

SHIM=${RS_SHIM:-$RS_BUILD/lib/preload/libringsock_preload.so}
[ -f "$SHIM" ] || fail "shim not built"
pre() { LD_PRELOAD=$SHIM "$@"; }

# a two-queue veth, two workers (as multi_worker_test)
ip netns add p1
ip link add p1-rs numtxqueues 2 numrxqueues 2 type veth peer name p1-l numtxqueues 2 numrxqueues 2
ip link set p1-l netns p1
sysctl -qw net.ipv6.conf.p1-rs.disable_ipv6=1
ethtool -K p1-rs tx off tso off gso off gro off >/dev/null 2>&1 || true
ip link set p1-rs up
in_ns p1 ip link set lo up
in_ns p1 ethtool -K p1-l tx off tso off gso off gro off >/dev/null 2>&1 || true
in_ns p1 sysctl -qw net.ipv6.conf.p1-l.accept_ra=0
in_ns p1 ip link set p1-l up
in_ns p1 ip -6 addr add 2001:db8::2/64 dev p1-l nodad
cpus=$(nproc)
w2cpu=$((cpus > 1 ? 1 : 0))
ulimit -l unlimited 2>/dev/null || true
"$RS_BUILD/app/ringstackd" --lcores "0@0,1@0,2@$w2cpu" --no-huge --no-pci -m 512 \
	--file-prefix "rs$$" --log-level=*:warning --vdev=net_af_packet0,iface=p1-rs,qpairs=2 -- \
	--ctl "$RS_SOCK" --idle-sleep 20 >"$RS_LOG" 2>&1 &
RS_PID=$!
wait_for 30 test -S "$RS_SOCK" || fail "ringstackd did not start: $(tail -3 "$RS_LOG")"
[ "$(ringctl -j stats | jq '.workers | length')" = 2 ] || fail "not two workers"
ringctl addr add 2001:db8::1/64 dev port0
usable() {
	ringctl -j addr show dev port0 |
		jq -e --arg a "$1" '.[0].addrs[] | select(.local == $a and (.tentative | not))'
}
wait_for 10 usable 2001:db8::1 || fail "2001:db8::1 stays tentative"
rs_ll_ok() {
	ringctl -j addr show dev port0 |
		jq -e -r 'first(.[0].addrs[] | select((.local | startswith("fe80:")) and (.tentative | not)) | .local)'
}
wait_for 10 rs_ll_ok || fail "no link-local address"
peer_ll_ok() {
	in_ns p1 ip -j -6 addr show dev p1-l scope link |
		jq -e -r 'first(.[].addr_info[] | select(.local != null and (.tentative | not)) | .local)'
}
wait_for 10 peer_ll_ok || fail "peer has no link-local address"
peer_ll=$(peer_ll_ok | tr -d '"')
mac0=$(rs_link_mac port0 | tr A-F a-f)

# MLD on the wire, from the peer's side (reports carry a Hop-by-Hop header:
# pcap's "icmp6" would miss them)
in_ns p1 tcpdump -i p1-l -U -w "$RS_TMP/mld.pcap" ip6 2>"$RS_TMP/tcpdump.err" &
tcpd=$!
listening "$RS_TMP/tcpdump.err" || fail "tcpdump"

# --- the ringstack receiver: options' errno, then an echo of what it gets
cat >"$RS_TMP/mc.py" <<'PYEOF'
import errno, socket, struct

IPV6_MULTICAST_ALL = 29
MCAST_JOIN_GROUP, MCAST_LEAVE_GROUP = 42, 45

def mreq(g, ifi):
    return socket.inet_pton(socket.AF_INET6, g) + struct.pack("@I", ifi)

def greq(g, ifi, fam=socket.AF_INET6):
    sin6 = struct.pack("@H", fam) + struct.pack("!HI", 0, 0) + \
        socket.inet_pton(socket.AF_INET6, g) + struct.pack("@I", 0)
    return struct.pack("@I4x", ifi) + sin6.ljust(128, b"\0")

def err(f, *a):
    try:
        f(*a)
    except OSError as e:
        return e.errno
    return 0
PYEOF

# (not through pre: $! must be python itself, killed below)
LD_PRELOAD=$SHIM $PY - "$RS_TMP/mc.py" >"$RS_TMP/srv.log" 2>&1 <<'PYEOF' &
import sys; exec(open(sys.argv[1]).read())
V6 = socket.IPPROTO_IPV6
a = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
a.setsockopt(V6, socket.IPV6_RECVPKTINFO, 1)
a.bind(("::", 5000))
so = lambda *x: a.setsockopt(V6, *x)
assert err(so, socket.IPV6_JOIN_GROUP, mreq("2001:db8::9", 1)) == errno.EINVAL
assert err(so, socket.IPV6_JOIN_GROUP, mreq("ff0e::123", 1)[:19]) == errno.EINVAL
assert err(so, socket.IPV6_JOIN_GROUP, mreq("ff0e::123", 77)) == errno.ENODEV
assert err(so, socket.IPV6_LEAVE_GROUP, mreq("ff0e::123", 0)) == errno.EADDRNOTAVAIL
so(socket.IPV6_JOIN_GROUP, mreq("ff0e::123", 1))
assert err(so, socket.IPV6_JOIN_GROUP, mreq("ff0e::123", 0)) == errno.EADDRINUSE
assert err(so, MCAST_JOIN_GROUP, greq("ff02::123", 1, socket.AF_INET)) == errno.EADDRNOTAVAIL
so(MCAST_JOIN_GROUP, greq("ff02::123", 1))
assert a.getsockopt(V6, socket.IPV6_MULTICAST_HOPS) == 1
assert a.getsockopt(V6, socket.IPV6_MULTICAST_LOOP) == 1
assert a.getsockopt(V6, socket.IPV6_MULTICAST_IF) == 0
assert a.getsockopt(V6, IPV6_MULTICAST_ALL) == 1
assert err(so, socket.IPV6_MULTICAST_HOPS, 256) == errno.EINVAL
assert err(so, socket.IPV6_MULTICAST_LOOP, 2) == errno.EINVAL
assert err(so, socket.IPV6_MULTICAST_IF, 77) == errno.ENODEV
t = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
assert err(t.setsockopt, V6, socket.IPV6_JOIN_GROUP, mreq("ff0e::123", 1)) == errno.EPROTO
assert err(t.setsockopt, V6, socket.IPV6_MULTICAST_HOPS, 3) == errno.ENOPROTOOPT
print("ready", flush=True)
while True:
    data, anc, _, peer = a.recvmsg(2000, 256)
    dst = [socket.inet_ntop(socket.AF_INET6, v[:16]) for _, t, v in anc if t == socket.IPV6_PKTINFO]
    if data == b"leave":
        so(socket.IPV6_LEAVE_GROUP, mreq("ff0e::123", 0))
    a.sendto(b"%s dst=%s" % (data, dst[0].encode() if dst else b"?"), peer)
PYEOF
srv=$!
wait_for 10 grep -q ready "$RS_TMP/srv.log" || fail "receiver: $(cat "$RS_TMP/srv.log")"
ok "IPV6_JOIN_GROUP, MCAST_JOIN_GROUP, IPV6_MULTICAST_* options and their errno as Linux"

# Linux sends to both groups from many source ports (flows land on both
# workers' queues); every datagram comes back, named by its group
in_ns p1 $PY - <<'PYEOF' || fail "Linux -> ringstack multicast"
import socket
ifi = socket.if_nametoindex("p1-l")
got = {}
for i in range(40):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.settimeout(3)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifi)
    g = "ff0e::123" if i % 2 else "ff02::123"
    s.sendto(b"m%d" % i, (g, 5000, 0, ifi))
    back, addr = s.recvfrom(200)
    assert back == b"m%d dst=%s" % (i, g.encode()), back
    assert addr[0] == "2001:db8::1" or addr[0].startswith("fe80::"), addr
    # a group nobody joined: not delivered
    s.sendto(b"no", ("ff0e::999", 5000, 0, ifi))
    s.settimeout(0.05)
    try:
        raise SystemExit("ff0e::999 answered: %r" % (s.recvfrom(200),))
    except socket.timeout:
        pass
PYEOF
ok "multicast from Linux to ff0e::123 and ff02::123 delivered (two workers); ff0e::999 not"

# SO_REUSEADDR twins on one port (the socket demux holds one of them): each
# gets the group it joined, as on Linux; a third socket that joined nothing
# gets it too (IPV6_MULTICAST_ALL), a fourth with it off does not
pre $PY - "$RS_TMP/mc.py" >"$RS_TMP/twins.log" 2>&1 <<'PYEOF' &
import sys, select; exec(open(sys.argv[1]).read())
V6 = socket.IPPROTO_IPV6
socks = []
for i in range(4):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", 5002))
    if i < 2:
        s.setsockopt(V6, socket.IPV6_JOIN_GROUP, mreq("ff0e::124", 1))
    if i == 3:
        s.setsockopt(V6, IPV6_MULTICAST_ALL, 0)
    socks.append(s)
print("ready", flush=True)
got = []
for i, s in enumerate(socks):
    s.settimeout(3 if i < 3 else 1)
    try:
        s.recv(100)
        got.append(i)
    except socket.timeout:
        pass
print("got", got, flush=True)
PYEOF
twins=$!
wait_for 10 grep -q ready "$RS_TMP/twins.log" || fail "twins: $(cat "$RS_TMP/twins.log")"
in_ns p1 $PY - <<'PYEOF'
import socket
ifi = socket.if_nametoindex("p1-l")
socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).sendto(b"t", ("ff0e::124", 5002, 0, ifi))
PYEOF
wait_for 15 grep -q "^got" "$RS_TMP/twins.log" || true
grep -qx "got \[0, 1, 2\]" "$RS_TMP/twins.log" || fail "SO_REUSEADDR twins: $(cat "$RS_TMP/twins.log")"
ok "SO_REUSEADDR twins each get the group they joined; IPV6_MULTICAST_ALL on and off"

# --- ringstack sends to groups Linux joined: hops, scope id, flow label
in_ns p1 $PY - >"$RS_TMP/lrecv.log" 2>&1 <<'PYEOF' &
import socket, struct
ifi = socket.if_nametoindex("p1-l")
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 6000))
for g in ("ff0e::456", "ff02::456"):
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
                 socket.inet_pton(socket.AF_INET6, g) + struct.pack("@I", ifi))
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
s.setsockopt(socket.IPPROTO_IPV6, 11, 1)  # IPV6_FLOWINFO
s.settimeout(20)
print("ready", flush=True)
while True:
    data, anc, _, peer = s.recvmsg(2000, 256)
    v = {}
    for _, t, x in anc:
        if t == socket.IPV6_PKTINFO:
            v["dst"] = socket.inet_ntop(socket.AF_INET6, x[:16])
        elif t == socket.IPV6_HOPLIMIT:
            v["hlim"] = int.from_bytes(x[:4], "little")
        elif t == 11:
            v["fl"] = int.from_bytes(x[:4], "big") & 0xfffff
    print(data.decode(), v.get("dst"), v.get("hlim"), v.get("fl"), peer[0], peer[1], flush=True)
PYEOF
wait_for 10 grep -q ready "$RS_TMP/lrecv.log" || fail "Linux receiver: $(cat "$RS_TMP/lrecv.log")"
pre $PY - "$RS_TMP/mc.py" <<'PYEOF' || fail "ringstack sender"
import sys; exec(open(sys.argv[1]).read())
V6 = socket.IPPROTO_IPV6
c = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); c.settimeout(3)
c.bind(("::", 0))
c.sendto(b"d1", ("ff0e::456", 6000))
c.sendto(b"d2", ("ff0e::456", 6000))
c.setsockopt(V6, socket.IPV6_MULTICAST_HOPS, 5)
c.setsockopt(V6, socket.IPV6_MULTICAST_IF, 1)
c.sendto(b"h5", ("ff0e::456", 6000))
c.sendto(b"ll", ("ff02::456", 6000, 0, 1))
# our own multicast loops back to the local receiver (it joined ff0e::123)
c.sendto(b"loop", ("ff0e::123", 5000))
back, peer = c.recvfrom(200)
assert back == b"loop dst=ff0e::123", back
c.setsockopt(V6, socket.IPV6_MULTICAST_LOOP, 0)
c.sendto(b"noloop", ("ff0e::123", 5000))
c.settimeout(0.5)
try:
    raise SystemExit("IPV6_MULTICAST_LOOP 0 looped: %r" % (c.recvfrom(200),))
except socket.timeout:
    pass
# connected to a global-scope group without naming a link (Linux routes it)
k = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
k.connect(("ff0e::456", 6000))
k.send(b"conn")
# interface-local scope (ff01::): looped back to a local member, never on the wire
r = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); r.settimeout(3)
r.bind(("::", 6001))
r.setsockopt(V6, socket.IPV6_JOIN_GROUP, mreq("ff01::77", 1))
r.setsockopt(V6, 11, 1)  # IPV6_FLOWINFO: traffic class and label come back
k2 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
k2.setsockopt(V6, socket.IPV6_TCLASS, 0x20)
k2.sendto(b"iflocal", ("ff01::77", 6001, 0, 1))
data, anc, _, _ = r.recvmsg(100, 100)
assert data == b"iflocal", data
fi = [int.from_bytes(v[:4], "big") for _, t, v in anc if t == 11]
assert fi and fi[0] >> 20 == 0x20 and fi[0] & 0xfffff != 0, (anc, fi)
PYEOF
wait_for 5 grep -q "^conn " "$RS_TMP/lrecv.log" || fail "Linux got: $(cat "$RS_TMP/lrecv.log")"
$PY - "$RS_TMP/lrecv.log" <<'PYEOF' || fail "Linux receiver saw: $(cat "$RS_TMP/lrecv.log")"
import sys
rows = {l.split()[0]: l.split() for l in open(sys.argv[1]) if l.split()[0] in ("d1", "d2", "h5", "ll", "noloop", "iflocal")}
d1, d2, h5, ll = rows["d1"], rows["d2"], rows["h5"], rows["ll"]
assert d1[1] == "ff0e::456" and d1[2] == "1" and d1[4] == "2001:db8::1", d1
assert h5[2] == "5", h5
assert ll[1] == "ff02::456" and ll[4].startswith("fe80::"), ll
fl = int(d1[3])
assert fl != 0 and d2[3] == d1[3] and h5[3] == d1[3], (d1, d2, h5)
assert "noloop" not in rows and "iflocal" not in rows
PYEOF
in_ns p1 tcpdump -nn -r "$RS_TMP/mld.pcap" "ip6 dst ff01::77" 2>/dev/null | grep -q . &&
	fail "interface-local ff01::77 left the node"
ok "ringstack -> Linux groups: hop limit 1 by default, IPV6_MULTICAST_HOPS, scope id, connected; loopback on and off; interface-local kept in; flow labels non-zero and stable per flow; IPV6_FLOWINFO on receive"

# --- MLD: a general query is answered with the joined groups
in_ns p1 $PY - "$mac0" "$peer_ll" <<'PYEOF' || fail "scapy query"
import sys
from scapy.all import Ether, IPv6, IPv6ExtHdrHopByHop, RouterAlert, ICMPv6MLQuery2, sendp, conf
conf.verb = 0
q = Ether(dst="33:33:00:00:00:01") / IPv6(src=sys.argv[2], dst="ff02::1", hlim=1) / \
    IPv6ExtHdrHopByHop(options=[RouterAlert()]) / ICMPv6MLQuery2()
sendp(q, iface="p1-l")
PYEOF
mld_recs() {
	# MLDv2 report records from our MAC, "is_ex|to_ex|to_in group" per line
	# (tcpdump reads a capture still being written; scapy nests records)
	tcpdump -nn -v -r "$RS_TMP/mld.pcap" "ether src $mac0" 2>/dev/null |
		grep -o "gaddr [^ ]* [a-z_]*" | awk '{ print $3, $2 }'
}
has_rec() { mld_recs 2>/dev/null | grep -qx "$1"; }
wait_for 5 has_rec "to_ex ff0e::123" || fail "no CHANGE_TO_EXCLUDE for ff0e::123: $(mld_recs)"
wait_for 5 has_rec "to_ex ff02::123" || fail "no CHANGE_TO_EXCLUDE for ff02::123: $(mld_recs)"
wait_for 5 has_rec "is_ex ff0e::123" || fail "query not answered with ff0e::123: $(mld_recs)"
wait_for 5 has_rec "is_ex ff02::123" || fail "query not answered with ff02::123: $(mld_recs)"
ok "MLDv2: state-change reports on join, the query answered with the joined groups"

# --- the application dies: its groups are left
kill -KILL "$srv"
wait "$srv" 2>/dev/null || true
wait_for 10 has_rec "to_in ff0e::123" || fail "no CHANGE_TO_INCLUDE for ff0e::123: $(mld_recs)"
wait_for 10 has_rec "to_in ff02::123" || fail "no CHANGE_TO_INCLUDE for ff02::123: $(mld_recs)"
before=$(drops not_for_us)
in_ns p1 $PY - <<'PYEOF'
import socket
ifi = socket.if_nametoindex("p1-l")
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.sendto(b"after", ("ff0e::123", 5000, 0, ifi))
PYEOF
wait_for 5 drops_reach not_for_us $((before + 1)) || fail "ff0e::123 still taken after the application died"
ok "the dead application's groups are left (CHANGE_TO_INCLUDE) and no longer received"
kill "$tcpd" 2>/dev/null || true

#!/bin/bash
# IPv4 multicast sockets (run under the LD_PRELOAD shim) against a Linux
# peer, with two workers: a ringstack application joins 239.1.2.3
# (IP_ADD_MEMBERSHIP, ip_mreqn) and 239.1.2.4 (MCAST_JOIN_GROUP) and
# receives what Linux sends to them, on whichever worker it arrives; the
# options' errno cases are Linux's; IGMPv3 state-change reports (RFC 3376
# §5.1) go out on join and leave, to 224.0.0.22 with TTL 1 and Router
# Alert; a general query is answered with the joined groups and a
# group-specific one with its group; ringstack sends to a group Linux
# joined with IP_MULTICAST_TTL/IF to 01:00:5e:..., loops its own multicast
# back unless IP_MULTICAST_LOOP is off; IP_MULTICAST_ALL on and off; leave
# stops delivery.
. "$(dirname "$0")/_init.sh"

SHIM=${RS_SHIM:-$RS_BUILD/lib/preload/libringsock_preload.so}
[ -f "$SHIM" ] || fail "shim not built"
pre() { LD_PRELOAD=$SHIM "$@"; }

# a two-queue veth, two workers (as ip6_mcast_test)
ip netns add p1
ip link add p1-rs numtxqueues 2 numrxqueues 2 type veth peer name p1-l numtxqueues 2 numrxqueues 2
ip link set p1-l netns p1
sysctl -qw net.ipv6.conf.p1-rs.disable_ipv6=1
ethtool -K p1-rs tx off tso off gso off gro off >/dev/null 2>&1 || true
ip link set p1-rs up
in_ns p1 ip link set lo up
in_ns p1 ethtool -K p1-l tx off tso off gso off gro off >/dev/null 2>&1 || true
in_ns p1 sysctl -qw net.ipv6.conf.p1-l.disable_ipv6=1
in_ns p1 ip link set p1-l up
in_ns p1 ip addr add 10.9.0.2/24 dev p1-l
cpus=$(nproc)
w2cpu=$((cpus > 1 ? 1 : 0))
ulimit -l unlimited 2>/dev/null || true
"$RS_BUILD/app/ringstackd" --lcores "0@0,1@0,2@$w2cpu" --no-huge --no-pci -m 512 \
	--file-prefix "rs$$" --log-level=*:warning --vdev=net_af_packet0,iface=p1-rs,qpairs=2 -- \
	--ctl "$RS_SOCK" --idle-sleep 20 >"$RS_LOG" 2>&1 &
RS_PID=$!
wait_for 30 test -S "$RS_SOCK" || fail "ringstackd did not start: $(tail -3 "$RS_LOG")"
[ "$(ringctl -j stats | jq '.workers | length')" = 2 ] || fail "not two workers"
ringctl addr add 10.9.0.1/24 dev port0
# a default route: a group sent to without IP_MULTICAST_IF goes its way (Linux)
ringctl route add 0.0.0.0/0 via 10.9.0.2 || fail "default route"
mac0=$(rs_link_mac port0 | tr A-F a-f)

# IGMP and multicast UDP on the wire, from the peer's side
in_ns p1 tcpdump -i p1-l -U -w "$RS_TMP/mc4.pcap" "igmp or (udp and ip multicast)" \
	2>"$RS_TMP/tcpdump.err" &
tcpd=$!
listening "$RS_TMP/tcpdump.err" || fail "tcpdump"

cat >"$RS_TMP/mc.py" <<'PYEOF'
import errno, socket, struct

IP_MULTICAST_ALL, IP_PKTINFO = 49, 8
MCAST_JOIN_GROUP, MCAST_LEAVE_GROUP = 42, 45

def mreq(g, a="0.0.0.0"):
    return socket.inet_aton(g) + socket.inet_aton(a)

def mreqn(g, ifi, a="0.0.0.0"):
    return socket.inet_aton(g) + socket.inet_aton(a) + struct.pack("@i", ifi)

def greq(g, ifi, fam=socket.AF_INET):
    sin = struct.pack("@H", fam) + struct.pack("!H", 0) + socket.inet_aton(g)
    return struct.pack("@I4x", ifi) + sin.ljust(128, b"\0")

def err(f, *a):
    try:
        f(*a)
    except OSError as e:
        return e.errno
    return 0
PYEOF

# --- the ringstack receiver: options' errno, then an echo of what it gets
# (not through pre: $! must be python itself, killed below)
LD_PRELOAD=$SHIM $PY - "$RS_TMP/mc.py" >"$RS_TMP/srv.log" 2>&1 <<'PYEOF' &
import sys; exec(open(sys.argv[1]).read())
IP = socket.IPPROTO_IP
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
a.setsockopt(IP, IP_PKTINFO, 1)
a.bind(("0.0.0.0", 5000))
so = lambda *x: a.setsockopt(IP, *x)
assert err(so, socket.IP_ADD_MEMBERSHIP, mreqn("10.9.0.9", 1)) == errno.EINVAL
assert err(so, socket.IP_ADD_MEMBERSHIP, mreq("239.1.2.3")[:7]) == errno.EINVAL
assert err(so, socket.IP_ADD_MEMBERSHIP, mreqn("239.1.2.3", 77)) == errno.ENODEV
assert err(so, socket.IP_ADD_MEMBERSHIP, mreq("239.1.2.3", "10.9.0.77")) == errno.ENODEV
assert err(so, socket.IP_DROP_MEMBERSHIP, mreqn("239.1.2.3", 1)) == errno.EADDRNOTAVAIL
so(socket.IP_ADD_MEMBERSHIP, mreqn("239.1.2.3", 1))
assert err(so, socket.IP_ADD_MEMBERSHIP, mreq("239.1.2.3", "10.9.0.1")) == errno.EADDRINUSE
assert err(so, MCAST_JOIN_GROUP, greq("239.1.2.4", 1, socket.AF_INET6)) == errno.EINVAL
so(MCAST_JOIN_GROUP, greq("239.1.2.4", 1))
assert a.getsockopt(IP, socket.IP_MULTICAST_TTL) == 1
assert a.getsockopt(IP, socket.IP_MULTICAST_LOOP) == 1
assert a.getsockopt(IP, IP_MULTICAST_ALL) == 1
assert a.getsockopt(IP, socket.IP_MULTICAST_IF) == 0
assert err(so, socket.IP_MULTICAST_TTL, 256) == errno.EINVAL
assert err(so, IP_MULTICAST_ALL, 2) == errno.EINVAL
assert err(so, socket.IP_MULTICAST_IF, mreqn("0.0.0.0", 77)) == errno.EADDRNOTAVAIL
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
assert err(t.setsockopt, IP, socket.IP_ADD_MEMBERSHIP, mreqn("239.1.2.3", 1)) == errno.EPROTO
assert err(t.setsockopt, IP, socket.IP_MULTICAST_TTL, 3) == errno.EINVAL
print("ready", flush=True)
while True:
    data, anc, _, peer = a.recvmsg(2000, 256)
    dst = [socket.inet_ntoa(v[8:12]) for _, t, v in anc if t == IP_PKTINFO]
    if data == b"leave":
        so(socket.IP_DROP_MEMBERSHIP, mreq("239.1.2.3"))
    a.sendto(b"%s dst=%s" % (data, dst[0].encode() if dst else b"?"), peer)
PYEOF
srv=$!
wait_for 10 grep -q ready "$RS_TMP/srv.log" || fail "receiver: $(cat "$RS_TMP/srv.log")"
ok "IP_ADD_MEMBERSHIP (ip_mreq, ip_mreqn), MCAST_JOIN_GROUP, IP_MULTICAST_* options and their errno as Linux"

# Linux sends to both groups from many source ports (flows land on both
# workers' queues); every datagram comes back, named by its group
before=$(drops not_for_us)
in_ns p1 $PY - <<'PYEOF' || fail "Linux -> ringstack multicast: $(tcpdump -nn -v -e -r "$RS_TMP/mc4.pcap" 2>&1 | head -30)"
import socket
for i in range(40):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("10.9.0.2"))
    g = "239.1.2.3" if i % 2 else "239.1.2.4"
    s.sendto(b"m%d" % i, (g, 5000))
    back, addr = s.recvfrom(200)
    assert back == b"m%d dst=%s" % (i, g.encode()), back
    assert addr[0] == "10.9.0.1", addr
    # a group nobody joined: not delivered
    s.sendto(b"no", ("239.1.2.99", 5000))
PYEOF
wait_for 5 drops_reach not_for_us $((before + 40)) || fail "239.1.2.99 not dropped as not_for_us"
ok "multicast from Linux to 239.1.2.3 and 239.1.2.4 delivered (two workers); 239.1.2.99 dropped (not_for_us)"

# IP_MULTICAST_ALL: three sockets on one port; one joined 239.1.2.6, one
# joined nothing (IP_MULTICAST_ALL on: any group the host joined on the
# link), one joined nothing with it off
pre $PY - "$RS_TMP/mc.py" >"$RS_TMP/all.log" 2>&1 <<'PYEOF' &
import sys; exec(open(sys.argv[1]).read())
socks = []
for i in range(3):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", 5002))
    if i == 0:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn("239.1.2.6", 1))
    if i == 2:
        s.setsockopt(socket.IPPROTO_IP, IP_MULTICAST_ALL, 0)
    socks.append(s)
print("ready", flush=True)
got = []
for i, s in enumerate(socks):
    s.settimeout(3 if i < 2 else 1)
    try:
        s.recv(100)
        got.append(i)
    except socket.timeout:
        pass
print("got", got, flush=True)
PYEOF
wait_for 10 grep -q ready "$RS_TMP/all.log" || fail "IP_MULTICAST_ALL: $(cat "$RS_TMP/all.log")"
in_ns p1 $PY - <<'PYEOF'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("10.9.0.2"))
s.sendto(b"t", ("239.1.2.6", 5002))
PYEOF
wait_for 15 grep -q "^got" "$RS_TMP/all.log" || true
grep -qx "got \[0, 1\]" "$RS_TMP/all.log" || fail "IP_MULTICAST_ALL: $(cat "$RS_TMP/all.log")"
ok "SO_REUSEADDR sockets: the member and an IP_MULTICAST_ALL one get the group, one with it off does not"

# --- ringstack sends to a group Linux joined: TTL, IP_MULTICAST_IF, MAC
in_ns p1 $PY - >"$RS_TMP/lrecv.log" 2>&1 <<'PYEOF' &
import socket
ifi = socket.if_nametoindex("p1-l")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 6000))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             socket.inet_aton("239.1.2.5") + socket.inet_aton("10.9.0.2"))
s.setsockopt(socket.IPPROTO_IP, 12, 1)  # IP_RECVTTL
s.setsockopt(socket.IPPROTO_IP, 8, 1)  # IP_PKTINFO
s.settimeout(20)
print("ready", flush=True)
while True:
    data, anc, _, peer = s.recvmsg(2000, 256)
    v = {}
    for _, t, x in anc:
        if t == 8:  # IP_PKTINFO
            v["dst"] = socket.inet_ntoa(x[8:12])
        elif t == socket.IP_TTL:
            v["ttl"] = int.from_bytes(x[:4], "little")
    print(data.decode(), v.get("dst"), v.get("ttl"), peer[0], flush=True)
PYEOF
wait_for 10 grep -q ready "$RS_TMP/lrecv.log" || fail "Linux receiver: $(cat "$RS_TMP/lrecv.log")"
pre $PY - "$RS_TMP/mc.py" <<'PYEOF' || fail "ringstack sender"
import sys; exec(open(sys.argv[1]).read())
IP = socket.IPPROTO_IP
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.settimeout(3)
c.bind(("0.0.0.0", 0))
c.sendto(b"d1", ("239.1.2.5", 6000))
c.setsockopt(IP, socket.IP_MULTICAST_TTL, 5)
c.setsockopt(IP, socket.IP_MULTICAST_IF, socket.inet_aton("10.9.0.1"))
assert c.getsockopt(IP, socket.IP_MULTICAST_IF, 4) == socket.inet_aton("10.9.0.1")
c.sendto(b"t5", ("239.1.2.5", 6000))
c.setsockopt(IP, socket.IP_MULTICAST_IF, mreqn("0.0.0.0", 1))
c.sendto(b"ifi", ("239.1.2.5", 6000))
# our own multicast loops back to the local receiver (it joined 239.1.2.4)
c.sendto(b"loop", ("239.1.2.4", 5000))
back, peer = c.recvfrom(200)
assert back == b"loop dst=239.1.2.4", back
c.setsockopt(IP, socket.IP_MULTICAST_LOOP, 0)
c.sendto(b"noloop", ("239.1.2.4", 5000))
c.settimeout(0.5)
try:
    raise SystemExit("IP_MULTICAST_LOOP 0 looped: %r" % (c.recvfrom(200),))
except socket.timeout:
    pass
# connected to the group
k = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
k.connect(("239.1.2.5", 6000))
k.send(b"conn")
PYEOF
wait_for 5 grep -q "^conn " "$RS_TMP/lrecv.log" || fail "Linux got: $(cat "$RS_TMP/lrecv.log")"
$PY - "$RS_TMP/lrecv.log" <<'PYEOF' || fail "Linux receiver saw: $(cat "$RS_TMP/lrecv.log")"
import sys
rows = {l.split()[0]: l.split() for l in open(sys.argv[1]) if l.split()[0] in ("d1", "t5", "ifi", "conn", "noloop", "loop")}
assert rows["d1"][1:] == ["239.1.2.5", "1", "10.9.0.1"], rows["d1"]
assert rows["t5"][1:] == ["239.1.2.5", "5", "10.9.0.1"], rows["t5"]
assert rows["ifi"][1:] == ["239.1.2.5", "5", "10.9.0.1"], rows["ifi"]
assert rows["conn"][1:] == ["239.1.2.5", "1", "10.9.0.1"], rows["conn"]
PYEOF
to_group() { tcpdump -nn -e -r "$RS_TMP/mc4.pcap" "udp and dst host 239.1.2.5" 2>/dev/null; }
wait_for 5 eval 'to_group | grep -q "$mac0 > 01:00:5e:01:02:05"' ||
	fail "not sent from $mac0 to 01:00:5e:01:02:05: $(to_group | head -3)"
ok "ringstack -> Linux group: TTL 1 by default, IP_MULTICAST_TTL, IP_MULTICAST_IF (address, ip_mreqn), connected, to 01:00:5e:01:02:05; loopback on and off"

# --- IGMPv3 on the wire
igmp_recs() {
	# "is_ex|to_ex|to_in group" per record of our reports to 224.0.0.22 with
	# TTL 1 and Router Alert (tcpdump reads a capture still being written)
	tcpdump -nn -v -r "$RS_TMP/mc4.pcap" "igmp and ether src $mac0 and dst host 224.0.0.22" 2>/dev/null |
		awk '/ttl 1,.*options \(RA\)/ { ok = 1; next } ok && /igmp v3 report/ { print } { ok = 0 }' |
		grep -o "gaddr [^ ]* [a-z_]*" | awk '{ print $3, $2 }'
}
has_rec() { igmp_recs 2>/dev/null | grep -qx "$1"; }
nrec() { igmp_recs 2>/dev/null | grep -cx "$1"; }
wait_for 5 has_rec "to_ex 239.1.2.3" || fail "no CHANGE_TO_EXCLUDE for 239.1.2.3: $(igmp_recs)"
wait_for 5 has_rec "to_ex 239.1.2.4" || fail "no CHANGE_TO_EXCLUDE for 239.1.2.4: $(igmp_recs)"
# repeated (Robustness Variable 2) within the Unsolicited Report Interval
wait_for 5 [ "$(nrec "to_ex 239.1.2.3")" -ge 2 ] || fail "CHANGE_TO_EXCLUDE for 239.1.2.3 not repeated"
has_rec "to_ex 224.0.0.1" && fail "224.0.0.1 reported"
ok "IGMPv3 state-change reports on join, repeated, to 224.0.0.22 with TTL 1 and Router Alert"

# a general query (v3, to 224.0.0.1), a group-specific one for 239.1.2.4
# and one for a group not joined
in_ns p1 $PY - "$mac0" <<'PYEOF' || fail "scapy query"
import sys, struct
import logging; logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import Ether, IP, IPOption_Router_Alert, Raw, sendp, conf, checksum
conf.verb = 0
def q(group):
    b = struct.pack("!BBH4sBBH", 0x11, 100, 0, __import__("socket").inet_aton(group), 2, 125, 0)
    return b[:2] + struct.pack("!H", checksum(b)) + b[4:]
for g, dst, mac in (("0.0.0.0", "224.0.0.1", "01:00:5e:00:00:01"),
                    ("239.1.2.4", "239.1.2.4", "01:00:5e:01:02:04"),
                    ("239.1.2.77", "239.1.2.77", "01:00:5e:01:02:4d")):
    sendp(Ether(dst=mac) / IP(src="10.9.0.2", dst=dst, ttl=1, proto=2,
                              options=[IPOption_Router_Alert()]) / Raw(q(g)), iface="p1-l")
PYEOF
wait_for 5 has_rec "is_ex 239.1.2.3" || fail "query not answered with 239.1.2.3: $(igmp_recs)"
wait_for 5 [ "$(nrec "is_ex 239.1.2.4")" -ge 2 ] || fail "239.1.2.4 not in the general answer and the group-specific one: $(igmp_recs)"
has_rec "is_ex 239.1.2.77" && fail "a group-specific query for a group not joined was answered"
ok "IGMPv3: a general query answered with every joined group, a group-specific one with its group only"

# --- leave stops delivery and is reported
in_ns p1 $PY - <<'PYEOF' || fail "leave"
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("10.9.0.2"))
s.sendto(b"leave", ("239.1.2.3", 5000))
assert s.recvfrom(200)[0] == b"leave dst=239.1.2.3"
s.sendto(b"after", ("239.1.2.3", 5000))
s.settimeout(0.5)
try:
    raise SystemExit("239.1.2.3 delivered after the leave: %r" % (s.recvfrom(200),))
except socket.timeout:
    pass
s.settimeout(3)
s.sendto(b"still", ("239.1.2.4", 5000))
assert s.recvfrom(200)[0] == b"still dst=239.1.2.4"
PYEOF
wait_for 5 has_rec "to_in 239.1.2.3" || fail "no CHANGE_TO_INCLUDE for 239.1.2.3: $(igmp_recs)"
ok "IP_DROP_MEMBERSHIP: 239.1.2.3 no longer delivered (239.1.2.4 still), CHANGE_TO_INCLUDE sent"

# --- the application dies: its groups are left
kill -KILL "$srv"
wait "$srv" 2>/dev/null || true
wait_for 10 has_rec "to_in 239.1.2.4" || fail "no CHANGE_TO_INCLUDE for 239.1.2.4: $(igmp_recs)"
ok "the dead application's group is left (CHANGE_TO_INCLUDE)"

# --- IGMPv2 compatibility (RFC 3376 §7.2.1): after a v2 query, reports
# are IGMPv2 membership reports to the group, a leave an IGMPv2 Leave
# Group to 224.0.0.2
pre $PY - "$RS_TMP/mc.py" "$RS_TMP/go" >"$RS_TMP/v2.log" 2>&1 <<'PYEOF' &
import sys, os, time; exec(open(sys.argv[1]).read())
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5003))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn("239.1.2.7", 1))
print("ready", flush=True)
for _ in range(400):
    if os.path.exists(sys.argv[2]):
        break
    time.sleep(0.05)
s.setsockopt(socket.IPPROTO_IP, socket.IP_DROP_MEMBERSHIP, mreqn("239.1.2.7", 1))
print("left", flush=True)
PYEOF
wait_for 10 grep -q ready "$RS_TMP/v2.log" || fail "v2 member: $(cat "$RS_TMP/v2.log")"
in_ns p1 $PY - <<'PYEOF' || fail "scapy v2 query"
import struct, logging; logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import Ether, IP, IPOption_Router_Alert, Raw, sendp, conf, checksum
conf.verb = 0
b = struct.pack("!BBH4s", 0x11, 100, 0, bytes(4))
b = b[:2] + struct.pack("!H", checksum(b)) + b[4:]
sendp(Ether(dst="01:00:5e:00:00:01") / IP(src="10.9.0.2", dst="224.0.0.1", ttl=1, proto=2,
      options=[IPOption_Router_Alert()]) / Raw(b), iface="p1-l")
PYEOF
v2msgs() {
	tcpdump -nn -v -r "$RS_TMP/mc4.pcap" "igmp and ether src $mac0" 2>/dev/null |
		awk '/ttl 1,.*options \(RA\)/ { ok = 1; next } ok { print } { ok = 0 }' |
		grep -E "igmp v2 report|igmp leave" | sed 's/^ *//'
}
wait_for 5 eval 'v2msgs | grep -q "10.9.0.1 > 239.1.2.7: igmp v2 report 239.1.2.7"' ||
	fail "no IGMPv2 report after a v2 query: $(v2msgs)"
touch "$RS_TMP/go"
wait_for 10 grep -q left "$RS_TMP/v2.log" || fail "v2 member: $(cat "$RS_TMP/v2.log")"
wait_for 5 eval 'v2msgs | grep -q "10.9.0.1 > 224.0.0.2: igmp leave 239.1.2.7"' ||
	fail "no IGMPv2 leave: $(v2msgs)"
ok "IGMPv2 compatibility: a v2 query is answered with v2 reports, a leave is a v2 Leave Group to 224.0.0.2"
kill "$tcpd" 2>/dev/null || true

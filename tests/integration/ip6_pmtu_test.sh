#!/bin/bash
# The path MTU cache (RFC 8201) against a Linux peer: one ICMPv6 Packet
# Too Big (MTU 1300) about a datagram to 2001:db8::2 lowers the path for
# every socket sending there: an unconnected UDP socket's 1400-byte
# datagram leaves in fragments of at most 1300 bytes, IPV6_MTU of a
# connected socket reads 1300, IPV6_MTU_DISCOVER=IPV6_PMTUDISC_DO and
# IPV6_DONTFRAG fail with EMSGSIZE above it (PMTUDISC_PROBE takes the link's
# 1500), a new TCP connection's SYN offers MSS 1240; a Packet Too Big below
# 1280 gives 1280, one quoting a packet that was not ours changes nothing,
# and the options' errno are Linux's.
. "$(dirname "$0")/_init.sh"

SHIM=${RS_SHIM:-$RS_BUILD/lib/preload/libringsock_preload.so}
[ -f "$SHIM" ] || fail "shim not built"
pre() { LD_PRELOAD=$SHIM "$@"; }

rs_peer p1 10.0.0.2/24
in_ns p1 sysctl -qw net.ipv6.conf.p1-l.accept_ra=0
in_ns p1 ip -6 addr add 2001:db8::2/64 dev p1-l nodad
in_ns p1 ip -6 addr add 2001:db8::3/64 dev p1-l nodad
rs_start
ringctl addr add 2001:db8::1/64 dev port0
usable() {
	ringctl -j addr show dev port0 |
		jq -e --arg a "$1" '.[0].addrs[] | select(.local == $a and (.tentative | not))'
}
wait_for 10 usable 2001:db8::1 || fail "2001:db8::1 stays tentative"
mac0=$(rs_link_mac port0)

in_ns p1 tcpdump -i p1-l -U -w "$RS_TMP/p.pcap" "ip6 and (udp or ip6[6] == 44 or tcp)" \
	2>"$RS_TMP/tcpdump.err" &
listening "$RS_TMP/tcpdump.err" || fail "tcpdump"
# a UDP sink and a TCP listener on Linux
in_ns p1 $PY - >"$RS_TMP/sink.log" 2>&1 <<'PYEOF' &
import socket, select
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.bind(("::", 9000))
t = socket.socket(socket.AF_INET6, socket.SOCK_STREAM); t.bind(("::", 9001)); t.listen(8)
print("ready", flush=True)
while True:
    r, _, _ = select.select([u, t], [], [], 30)
    if not r:
        break
    for s in r:
        if s is u:
            d, a = u.recvfrom(70000)
            print("got", len(d), a[0], flush=True)
        else:
            c, _ = t.accept()
            c.close()
PYEOF
wait_for 10 grep -q ready "$RS_TMP/sink.log" || fail "sink: $(cat "$RS_TMP/sink.log")"

ptb() { # ptb MTU QUOTED_SRC QUOTED_DST
	in_ns p1 $PY - "$mac0" "$@" <<'PYEOF'
import sys
from scapy.all import Ether, IPv6, ICMPv6PacketTooBig, UDP, Raw, sendp, conf
conf.verb = 0
mac, mtu, qs, qd = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
q = IPv6(src=qs, dst=qd) / UDP(sport=40000, dport=9000) / Raw(b"x" * 1400)
p = Ether(dst=mac) / IPv6(src="2001:db8::2", dst="2001:db8::1") / \
    ICMPv6PacketTooBig(mtu=mtu) / Raw(bytes(q)[:1232])
sendp(p, iface="p1-l")
PYEOF
}

# the options before anything was learnt
pre $PY - <<'PYEOF' || fail "options"
import errno, socket
IPV6_MTU_DISCOVER, IPV6_MTU, IPV6_DONTFRAG = 23, 24, 62
V6 = socket.IPPROTO_IPV6
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
assert s.getsockopt(V6, IPV6_MTU_DISCOVER) == 1
assert s.getsockopt(V6, IPV6_DONTFRAG) == 0
for bad, opt in ((6, IPV6_MTU_DISCOVER), (-1, IPV6_MTU_DISCOVER), (1279, IPV6_MTU)):
    try:
        s.setsockopt(V6, opt, bad); raise SystemExit("accepted %d" % bad)
    except OSError as e:
        assert e.errno == errno.EINVAL, e
try:
    s.getsockopt(V6, IPV6_MTU); raise SystemExit("IPV6_MTU unconnected")
except OSError as e:
    assert e.errno == errno.ENOTCONN, e
s.connect(("2001:db8::2", 9000))
assert s.getsockopt(V6, IPV6_MTU) == 1500
PYEOF
ok "IPV6_MTU_DISCOVER, IPV6_DONTFRAG, IPV6_MTU: defaults and errno as Linux, path MTU 1500 before"

# not about a packet of ours: ignored; then the real one
ptb 1300 2001:db8::77 2001:db8::2
ptb 1300 2001:db8::1 2001:db8::2
ptb 1000 2001:db8::1 2001:db8::3
pmtu_is() {
	pre $PY - "$1" "$2" <<'PYEOF'
import socket, sys
IPV6_MTU = 24
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.connect((sys.argv[1], 9000))
sys.exit(s.getsockopt(socket.IPPROTO_IPV6, IPV6_MTU) != int(sys.argv[2]))
PYEOF
}
wait_for 5 pmtu_is 2001:db8::2 1300 || fail "path MTU to 2001:db8::2 not 1300"
wait_for 5 pmtu_is 2001:db8::3 1280 || fail "path MTU to 2001:db8::3 not 1280 (RFC 8201 floor)"
ok "Packet Too Big learnt, shared by new sockets (IPV6_MTU 1300), 1000 raised to 1280"

pre $PY - <<'PYEOF' || fail "UDP under the learnt path MTU"
import errno, socket, time
IPV6_MTU_DISCOVER, IPV6_MTU, IPV6_DONTFRAG = 23, 24, 62
V6 = socket.IPPROTO_IPV6
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
u.sendto(b"a" * 1400, ("2001:db8::2", 9000))  # fragmented to the path
def emsgsize(s, n):
    s.send(b"b" * n)
    # the worker builds the datagram: its EMSGSIZE comes as the socket's error
    for _ in range(100):
        e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if e:
            return e == errno.EMSGSIZE
        time.sleep(0.02)
    return False
d = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); d.connect(("2001:db8::2", 9000))
d.setsockopt(V6, IPV6_MTU_DISCOVER, 2)
assert emsgsize(d, 1300 - 48 + 1), "PMTUDISC_DO over the path MTU"
assert not emsgsize(d, 1300 - 48), "PMTUDISC_DO at the path MTU"
f = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); f.connect(("2001:db8::2", 9000))
f.setsockopt(V6, IPV6_DONTFRAG, 1)
assert emsgsize(f, 1400), "IPV6_DONTFRAG"
p = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); p.connect(("2001:db8::2", 9000))
p.setsockopt(V6, IPV6_MTU_DISCOVER, 3)
assert not emsgsize(p, 1400), "PMTUDISC_PROBE takes the link's MTU"
t = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
t.connect(("2001:db8::2", 9001))
t.close()
PYEOF
wait_for 5 grep -q "got 1400" "$RS_TMP/sink.log" || fail "sink: $(cat "$RS_TMP/sink.log")"
check_pcap() {
	# the fragments of the 1400-byte datagram, and our SYN's MSS
	tcpdump -nn -v -r "$RS_TMP/p.pcap" "ether src $(echo "$mac0" | tr A-F a-f)" 2>/dev/null >"$RS_TMP/p.txt"
	grep -q ": frag (" "$RS_TMP/p.txt" && grep -q "mss 1240" "$RS_TMP/p.txt"
}
wait_for 5 check_pcap || fail "on the wire: $(grep -E 'frag|Flags \[S\]' "$RS_TMP/p.txt" | head)"
$PY - "$RS_TMP/p.txt" <<'PYEOF' || fail "fragment sizes: $(grep frag "$RS_TMP/p.txt" | head)"
import re, sys
sizes = [int(m.group(1)) for m in re.finditer(r"payload length: (\d+)\) 2001:db8::1 > 2001:db8::2: frag", open(sys.argv[1]).read())]
assert sizes and max(sizes) + 40 <= 1300, sizes
PYEOF
ok "UDP fragments fit the learnt 1300; PMTUDISC_DO and DONTFRAG give EMSGSIZE above it, PROBE does not; a new TCP SYN offers MSS 1240"

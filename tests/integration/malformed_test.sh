#!/bin/bash
# Malformed and unwanted input (RFC 1122, RFC 1812 §5.2.2, RFC 792, RFC 768,
# RFC 5722): scapy in the peer sends one kind of bad frame at a time; each
# must move exactly the right drop counter by exactly the right amount (and
# no other), and draw exactly the ICMP error the RFCs ask for, or none: no
# error about a broadcast, a non-first fragment or another ICMP error.
# Reassembly timeouts run with --reass-timeout 1000. A normal ping works at
# the end.
. "$(dirname "$0")/_init.sh"

rs_peer p1 10.0.0.2/24
rs_peer_quiet p1
rs_start --reass-timeout 1000
ringctl addr add 10.0.0.1/24 dev port0
OURMAC=$(rs_link_mac port0)
PEERMAC=$(mac_of p1 p1-l)
# static neighbors both ways: no ARP exchange can interleave with a case
ringctl neigh add 10.0.0.2 lladdr "$PEERMAC" dev port0
in_ns p1 ip neigh replace 10.0.0.1 lladdr "$OURMAC" dev p1-l nud permanent
in_ns p1 ping -c 1 -W 2 10.0.0.1 >/dev/null || fail "ping before the malformed input"

export OURMAC PEERMAC RS_SOCK RS_BUILD
in_ns p1 "$PY" - >"$RS_TMP/scapy.out" 2>&1 <<'EOF' || { cat "$RS_TMP/scapy.out"; fail "malformed cases failed"; }
import json, os, subprocess, sys, threading, time
from scapy.all import (AsyncSniffer, Dot1Q, Ether, ICMP, IP, IPerror, Raw, UDP,
                       UDPerror, checksum, conf, sendp)

conf.verb = 0
IFACE, US, PEER = "p1-l", "10.0.0.1", "10.0.0.2"
OURMAC, PEERMAC = os.environ["OURMAC"].lower(), os.environ["PEERMAC"].lower()
STATS = [os.environ["RS_BUILD"] + "/app/ringctl", "-s", os.environ["RS_SOCK"], "-j", "stats"]
GRACE = 0.25  # after the counters moved: window for an unexpected reply or drop


def drops():
    return json.loads(subprocess.check_output(STATS))["drops"]


got = []
started = threading.Event()
sniffer = AsyncSniffer(iface=IFACE, filter="ether src %s and icmp" % OURMAC,
                       prn=got.append, store=False, started_callback=started.set)
sniffer.start()
if not started.wait(10):
    sys.exit("sniffer did not start")

failed = []


def eth(dst=OURMAC):
    return Ether(dst=dst, src=PEERMAC)


def ip(**kw):
    kw.setdefault("src", PEER)
    kw.setdefault("dst", US)
    return IP(**kw)


def raw_ip(pkt, patch=None, fix_csum=False):
    """IPv4 bytes of pkt, optionally patched {offset: byte} (then with the
    header checksum recomputed when fix_csum), in a frame."""
    b = bytearray(bytes(pkt))
    for off, v in (patch or {}).items():
        b[off] = v
    if fix_csum:
        b[10:12] = b"\0\0"
        c = checksum(bytes(b[:(b[0] & 0xF) * 4]))
        b[10:12] = c.to_bytes(2, "big")
    return Ether(dst=OURMAC, src=PEERMAC, type=0x0800) / Raw(bytes(b))


def wrong(csum):
    return (csum + 1) & 0xFFFF or 1


def quote_of(reply):
    """The bytes an ICMP error quotes, from the raw frame."""
    b = reply.original
    ihl = (b[14] & 0xF) * 4
    return b[14 + ihl + 8:]


def check_icmp_error(reply, typ, code, orig):
    """Checks one ICMP error about orig (IPv4 bytes); returns a problem or None."""
    b = reply.original
    ihl = (b[14] & 0xF) * 4
    if reply[IP].src != US or reply[IP].dst != PEER:
        return "error from %s to %s" % (reply[IP].src, reply[IP].dst)
    if checksum(b[14:14 + ihl]) != 0:
        return "bad IP header checksum"
    if checksum(b[14 + ihl:]) != 0:
        return "bad ICMP checksum"
    if (b[14 + ihl], b[14 + ihl + 1]) != (typ, code):
        return "type %d code %d, expected %d/%d" % (b[14 + ihl], b[14 + ihl + 1], typ, code)
    q = quote_of(reply)
    need = (orig[0] & 0xF) * 4 + 8
    if len(q) < need or len(q) > len(orig) or q != orig[:len(q)]:
        return "quote is not the original header + 8 bytes: %s vs %s" % (q[:need].hex(), orig[:need].hex())
    if len(b) - 14 > 576:
        return "error longer than 576 bytes"
    return None


def case(name, frames, expect, icmp=None, timeout=3.0):
    """Sends frames; expect: {reason: exact delta} (every other reason must
    stay put); icmp: None for no ICMP back, or (type, code, original IPv4
    bytes) for exactly one ICMP error, or 'echo' for exactly one echo reply."""
    if not isinstance(frames, list):
        frames = [frames]
    before = drops()
    n0 = len(got)
    sendp(frames, iface=IFACE)
    end = time.time() + timeout
    while True:
        now = drops()
        if all(now.get(r, 0) - before.get(r, 0) >= d for r, d in expect.items()) and \
                (icmp is None or len(got) > n0):
            break
        if time.time() > end:
            break
        time.sleep(0.05)
    time.sleep(GRACE)
    now = drops()
    delta = {r: now[r] - before.get(r, 0) for r in now if now[r] != before.get(r, 0)}
    replies = got[n0:]
    problems = []
    if delta != expect:
        problems.append("drops %s, expected %s" % (delta, expect))
    if icmp is None:
        if replies:
            problems.append("unexpected ICMP: %s" % [r.summary() for r in replies])
    elif len(replies) != 1:
        problems.append("expected one ICMP message, got %s" % [r.summary() for r in replies])
    elif icmp == "echo":
        b = replies[0].original
        ihl = (b[14] & 0xF) * 4
        if replies[0][ICMP].type != 0:
            problems.append("expected an echo reply: %s" % replies[0].summary())
        elif checksum(b[14 + ihl:14 + replies[0][IP].len]) != 0:
            problems.append("echo reply with a bad ICMP checksum: %s" % b[14 + ihl:14 + ihl + 8].hex())
    else:
        p = check_icmp_error(replies[0], *icmp)
        if p:
            problems.append(p)
    if problems:
        failed.append(name)
        print("FAIL %s: %s" % (name, "; ".join(problems)))
    else:
        print("ok %s" % name)


echo = ICMP(type=8, id=0x5253, seq=1) / Raw(b"ringstack malformed test......!!")

# ---- sanity: a good echo request is answered, nothing dropped ----
case("valid echo request", eth() / ip() / echo, {}, "echo")
# id 0, sequence 0, no data: the reply's only valid checksum is ffff, which an
# incremental update (RFC 1624 eqn. 3) gets wrong as 0000
case("all-zero echo request", eth() / ip() / ICMP(type=8, id=0, seq=0), {}, "echo")

# ---- L2 ----
case("frame to another MAC", eth("02:00:00:00:00:01") / ip() / echo, {"other_host": 1})
# IPv4 multicast frames are taken since IPv4 multicast exists: an echo to
# all-hosts (a group every host is in) is ignored as Linux's
# icmp_echo_ignore_broadcasts does; a group nobody joined is not for us
case("echo to all-hosts (multicast MAC)", eth("01:00:5e:00:00:01") / ip(dst="224.0.0.1") / echo,
     {"icmp_bcast_echo": 1})
case("frame to a group not joined", eth("01:00:5e:01:02:03") / ip(dst="239.1.2.3") / echo,
     {"not_for_us": 1})
case("frame to a multicast MAC, IPv4 unicast inside", eth("01:00:5e:00:00:01") / ip() / echo,
     {"icmp_bcast_echo": 1})
case("VLAN-tagged frame", eth() / Dot1Q(vlan=5) / ip() / echo, {"vlan_unsupported": 1})
case("unknown ethertype", Ether(dst=OURMAC, src=PEERMAC, type=0x88B5) / Raw(b"x" * 46),
     {"unknown_ethertype": 1})

# ---- IPv4 header (RFC 1812 §5.2.2) ----
good = ip() / echo
c = IP(bytes(good)).chksum
case("bad IPv4 header checksum", eth() / ip(chksum=wrong(c)) / echo, {"ip4_bad_checksum": 1})
case("IHL 4 (< 5)", raw_ip(good, {0: 0x44}), {"ip4_bad_hdrlen": 1})
case("IHL 15 beyond the frame", raw_ip(ip() / ICMP(), {0: 0x4F}), {"ip4_bad_hdrlen": 1})
case("total length beyond the frame", eth() / ip(len=200) / echo, {"ip4_bad_length": 1})
case("total length below the header", eth() / ip(len=16) / echo, {"ip4_bad_length": 1})
case("truncated IPv4 header (10 bytes)", Ether(dst=OURMAC, src=PEERMAC, type=0x0800) /
     Raw(bytes(good)[:10]), {"ip4_truncated": 1})
case("IP version 6 in an IPv4 frame", raw_ip(good, {0: 0x65}), {"ip4_bad_version": 1})
case("martian source 127.0.0.1", eth() / ip(src="127.0.0.1") / echo, {"ip4_martian_src": 1})
case("our own address as source", eth() / ip(src=US) / echo, {"ip4_src_is_local": 1})
case("source 0.0.0.0", eth() / ip(src="0.0.0.0") / echo, {"ip4_martian_src": 1})
# a subnet broadcast address defines no single host: Linux drops it as a
# martian source (fib_validate_source), and RFC 1122 §3.2.2 forbids an ICMP
# error to it, which would go out as a link-layer broadcast
case("subnet broadcast as source", eth() / ip(src="10.0.0.255") / UDP(sport=40006, dport=9) /
     Raw(b"s" * 8), {"ip4_martian_src": 1})
case("option length beyond the header", raw_ip(IP(src=PEER, dst=US, options=b"\x07\x07\x04\x00\x00\x00\x00\x00") / echo,
     {21: 0x10}, fix_csum=True), {"ip4_bad_options": 1})
case("echo request with IP options (NOPs)", eth() / IP(src=PEER, dst=US, options=b"\x01\x01\x01\x00") / echo,
     {}, "echo")

# ---- UDP (RFC 768, RFC 1122 §4.1.3) ----
udp_trunc = ip(proto=17) / Raw(b"\x9c\x40\x00\x09")  # 4 bytes of UDP header
case("truncated UDP header", eth() / udp_trunc, {"udp_truncated": 1})
case("UDP length beyond the datagram", eth() / ip() / UDP(sport=40000, dport=9, len=100) / Raw(b"x" * 8),
     {"udp_truncated": 1})
u = ip() / UDP(sport=40000, dport=9) / Raw(b"x" * 24)
uc = IP(bytes(u))[UDP].chksum
case("bad UDP checksum", eth() / ip() / UDP(sport=40000, dport=9, chksum=wrong(uc)) / Raw(b"x" * 24),
     {"udp_bad_checksum": 1})
closed = bytes(ip(id=0x1001) / UDP(sport=40001, dport=9) / Raw(b"y" * 32))
case("UDP to a closed port", raw_ip(closed), {"udp_port_unreachable": 1}, (3, 3, closed))
nosum = bytes(ip(id=0x1002) / UDP(sport=40002, dport=9, chksum=0) / Raw(b"z" * 16))
case("UDP without checksum to a closed port", raw_ip(nosum), {"udp_port_unreachable": 1},
     (3, 3, nosum))
case("UDP to the subnet broadcast", eth("ff:ff:ff:ff:ff:ff") / ip(dst="10.0.0.255") /
     UDP(sport=40003, dport=9) / Raw(b"b" * 8), {"udp_port_unreachable": 1})
case("UDP to 255.255.255.255", eth("ff:ff:ff:ff:ff:ff") / ip(dst="255.255.255.255") /
     UDP(sport=40004, dport=9) / Raw(b"b" * 8), {"udp_port_unreachable": 1})
case("UDP to us in a link-layer broadcast", eth("ff:ff:ff:ff:ff:ff") / ip() /
     UDP(sport=40005, dport=9) / Raw(b"b" * 8), {"udp_port_unreachable": 1})

# ---- unknown protocol (RFC 1122 §3.2.2.1) ----
proto = bytes(ip(proto=253, id=0x1003) / Raw(b"unknown protocol payload"))
case("unknown IP protocol", raw_ip(proto), {"proto_unreachable": 1}, (3, 2, proto))
case("unknown IP protocol, broadcast", eth("ff:ff:ff:ff:ff:ff") / ip(dst="10.0.0.255", proto=253) /
     Raw(b"x" * 8), {"proto_unreachable": 1})

# ---- ICMP (RFC 792, RFC 1122 §3.2.2) ----
e = IP(bytes(ip() / echo))[ICMP].chksum
case("bad ICMP checksum", eth() / ip() / ICMP(type=8, id=0x5253, seq=2, chksum=wrong(e)) /
     Raw(b"ringstack malformed test......!!"), {"icmp_bad_checksum": 1})
case("truncated ICMP header", eth() / ip(proto=1) / Raw(b"\x08\x00\xf7\xff"), {"icmp_truncated": 1})
case("ICMP error sent to us", eth() / ip() / ICMP(type=3, code=3) / IPerror(src=US, dst=PEER) /
     UDPerror(sport=9, dport=40001), {"icmp_unhandled": 1})
case("unknown ICMP type", eth() / ip() / ICMP(type=42, code=0) / Raw(b"x" * 8), {"icmp_unhandled": 1})
case("echo request to the subnet broadcast", eth("ff:ff:ff:ff:ff:ff") / ip(dst="10.0.0.255") / echo,
     {"icmp_bcast_echo": 1})

# ---- fragments (RFC 791, RFC 5722, RFC 1122 §3.3.2) ----
payload = bytes(ICMP(type=8, id=0x5253, seq=3) / Raw(b"A" * 40))  # 48 bytes
case("overlapping fragments of an echo request",
     [eth() / ip(id=0x1111, flags="MF", frag=0, proto=1) / Raw(payload[:24]),
      eth() / ip(id=0x1111, frag=2, proto=1) / Raw(payload[16:])],  # bytes 16..23 twice
     {"reass_overlap": 2})
case("a duplicate fragment is dropped, the datagram still completes",
     [eth() / ip(id=0x1112, flags="MF", frag=0, proto=1) / Raw(payload[:24]),
      eth() / ip(id=0x1112, flags="MF", frag=0, proto=1) / Raw(payload[:24]),
      eth() / ip(id=0x1112, frag=3, proto=1) / Raw(payload[24:])],
     {"reass_dup": 1}, "echo")
frag0 = bytes(ip(id=0x2222, flags="MF", frag=0, proto=1) / Raw(payload[:16]))
err = bytes(ICMP(type=3, code=3) / IPerror(src=US, dst=PEER) / UDPerror(sport=9, dport=40001))
case("incomplete datagrams time out (Time Exceeded only with fragment 0, never about an error)",
     [raw_ip(frag0),                                                          # fragment 0 only
      eth() / ip(id=0x3333, frag=2, proto=1) / Raw(payload[16:]),             # no fragment 0
      eth() / ip(id=0x4444, flags="MF", frag=0, proto=1) / Raw(err[:16])],    # an ICMP error's
     {"reass_timeout": 3}, (11, 1, frag0), timeout=5)

sniffer.stop()
sys.exit(1 if failed else 0)
EOF
sed 's/^/    /' "$RS_TMP/scapy.out"
ok "every malformed frame dropped under its reason, with the right ICMP or none"

in_ns p1 ping -c 3 -i 0.2 -W 2 10.0.0.1 >"$RS_TMP/ping.out" || fail "ping after the malformed input: $(cat "$RS_TMP/ping.out")"
ok "ping still works"

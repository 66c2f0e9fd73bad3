#!/bin/bash
# Malformed and hostile IPv6 (RFC 8200, RFC 4443, RFC 4861, RFC 5095,
# RFC 6946): scapy in the peer sends one kind of packet at a time; each must
# move the named drop counter (or draw the echo reply it should) and draw
# exactly the ICMPv6 error the RFCs ask for, or none. An unsolicited NA
# flood must not grow the neighbour table.
. "$(dirname "$0")/_init.sh"

rs_peer p1 10.0.0.2/24
in_ns p1 sysctl -qw net.ipv6.conf.p1-l.accept_ra=0
in_ns p1 ip -6 addr add 2001:db8::2/64 dev p1-l nodad
# per-destination ICMP limit off: this test counts every error it draws
rs_start --icmp-ratelimit 0
ringctl addr add 2001:db8::1/64 dev port0
usable() { ringctl -j addr show dev port0 | jq -e '.[0].addrs[] | select(.local == "2001:db8::1" and (.tentative | not))'; }
wait_for 10 usable || fail "2001:db8::1 stays tentative"
OURMAC=$(rs_link_mac port0)
PEERMAC=$(mac_of p1 p1-l)
in_ns p1 ip -6 neigh replace 2001:db8::1 lladdr "$OURMAC" dev p1-l nud permanent
in_ns p1 ping -6 -c 1 -W 2 -I 2001:db8::2 2001:db8::1 >/dev/null || fail "ping6 before the malformed input"

export OURMAC PEERMAC RS_SOCK RS_BUILD
in_ns p1 "$PY" - >"$RS_TMP/scapy.out" 2>&1 <<'PYEOF' || { cat "$RS_TMP/scapy.out"; fail "malformed cases failed"; }
import json, os, subprocess, sys, threading, time
from scapy.all import (AsyncSniffer, Ether, IPv6, ICMPv6EchoRequest, ICMPv6EchoReply,
                       ICMPv6ParamProblem, ICMPv6DestUnreach, ICMPv6ND_NS, ICMPv6ND_NA,
                       ICMPv6ND_Redirect, ICMPv6ND_RS,
                       ICMPv6NDOptSrcLLAddr, ICMPv6NDOptDstLLAddr, IPv6ExtHdrHopByHop,
                       IPv6ExtHdrDestOpt, IPv6ExtHdrRouting, IPv6ExtHdrFragment,
                       HBHOptUnknown, PadN, UDP, Raw, conf, sendp)

conf.verb = 0
IFACE, US, PEER = "p1-l", "2001:db8::1", "2001:db8::2"
OURMAC, PEERMAC = os.environ["OURMAC"].lower(), os.environ["PEERMAC"].lower()
RC = [os.environ["RS_BUILD"] + "/app/ringctl", "-s", os.environ["RS_SOCK"], "-j"]

def drops():
    return json.loads(subprocess.check_output(RC + ["stats"]))["drops"]

got = []
started = threading.Event()
sniffer = AsyncSniffer(iface=IFACE, filter="ether src %s and icmp6" % OURMAC,
                       prn=got.append, store=False, started_callback=started.set)
sniffer.start()
if not started.wait(10):
    sys.exit("sniffer did not start")
# what the peer's own kernel sends meanwhile (MLD reports for its groups, to
# ff02::16, come at random times): each may move not_for_us on our side
peer_out = []
pstarted = threading.Event()
psniffer = AsyncSniffer(iface=IFACE, filter="ether src %s" % PEERMAC,
                        prn=peer_out.append, store=False, started_callback=pstarted.set)
psniffer.start()
if not pstarted.wait(10):
    sys.exit("peer sniffer did not start")
failed = []
ident = [0x100]

def eth(dst=OURMAC):
    return Ether(dst=dst, src=PEERMAC)

def echo():
    ident[0] += 1
    return ICMPv6EchoRequest(id=ident[0], seq=1, data=b"x" * 8)

def case(name, frame, reason=None, want=None, count=1):
    """want: None (no ICMPv6 back), "echo", or (type, code, pointer);
    count: by how much reason must move."""
    before = drops()
    del got[:]
    del peer_out[:]
    sendp(frame, iface=IFACE)
    end = time.time() + 3
    while time.time() < end:
        d = drops()
        moved = reason is None or d.get(reason, 0) >= before.get(reason, 0) + count
        answered = want is None or any(
            (want == "echo" and p.haslayer(ICMPv6EchoReply)) or
            (want != "echo" and IPv6 in p and p[IPv6].nh == 58 and
             bytes(p[IPv6].payload)[0] == want[0]) for p in got)
        if moved and answered:
            break
        time.sleep(0.05)
    time.sleep(0.2)
    d = drops()
    errs = []
    if reason is not None and d.get(reason, 0) != before.get(reason, 0) + count:
        errs.append("%s moved by %d" % (reason, d.get(reason, 0) - before.get(reason, 0)))
    other = {k: d[k] - before.get(k, 0) for k in d if k not in (reason, "total")
             and d[k] != before.get(k, 0)}
    ours = set(bytes(f) for f in (frame if isinstance(frame, list) else [frame]))
    kernel = sum(1 for f in list(peer_out) if bytes(f) not in ours)
    if reason != "not_for_us" and 0 < other.get("not_for_us", 0) <= kernel:
        del other["not_for_us"]  # the peer kernel's own multicast, not our frame
    if other:
        errs.append("other drops moved: %s" % other)
    # what the daemon sends on its own: ND, MLD reports, and the Router
    # Solicitations of a host link (RFC 4861 §6.3.7: the first seconds)
    replies = [p for p in got if not (p.haslayer(ICMPv6ND_NS) or p.haslayer(ICMPv6ND_NA)
                                      or p.haslayer(ICMPv6ND_RS)
                                      or (IPv6 in p and p[IPv6].dst.startswith("ff02::16")))]
    if want is None and replies:
        errs.append("unexpected reply: %s" % replies[0].summary())
    elif want == "echo" and not any(p.haslayer(ICMPv6EchoReply) for p in replies):
        errs.append("no echo reply")
    elif isinstance(want, tuple):
        pp = [p for p in replies if IPv6 in p and bytes(p[IPv6].payload)[:1] == bytes([want[0]])]
        if not pp:
            errs.append("no ICMPv6 type %d" % want[0])
        else:
            b = bytes(pp[0][IPv6].payload)
            code, ptr = b[1], int.from_bytes(b[4:8], "big")
            if (code, ptr) != (want[1], want[2]):
                errs.append("ICMPv6 %d code %d ptr %d, want code %d ptr %d" %
                            (want[0], code, ptr, want[1], want[2]))
    print(("FAIL " if errs else "ok ") + name + (": " + "; ".join(errs) if errs else ""))
    if errs:
        failed.append(name)

base = lambda **kw: IPv6(src=kw.pop("src", PEER), dst=kw.pop("dst", US), **kw)
opt = lambda t: IPv6ExtHdrHopByHop(options=[HBHOptUnknown(otype=t, optdata=b"\0\0")])

# RFC 8200 §3: fixed header
good = bytes(eth() / base() / echo())
case("payload length beyond the frame", Ether(good[:14 + 4] + b"\x04\x00" + good[20:]), "ip6_bad_length")
case("version 4 under the IPv6 ethertype", Ether(good[:14] + bytes([0x40]) + good[15:]), "ip6_bad_version")
case("truncated header", Ether(good[:14 + 30]), "ip6_truncated")
# RFC 4291: sources and destinations
case("multicast source", eth() / base(src="ff02::1") / echo(), "ip6_martian_src")
case("::1 source on the wire", eth() / base(src="::1") / echo(), "ip6_martian_src")
case("::1 destination on the wire", eth() / base(dst="::1") / echo(), "ip6_martian_dst")
case("our own address as source", eth() / base(src=US) / echo(), "ip6_src_is_local")
case("interface-local multicast", eth("33:33:00:00:00:01") / base(dst="ff01::1") / echo(), "ip6_martian_dst")
# RFC 8200 §4.2: unknown options by their action bits (pointer: 40 + 2)
case("option action 00: skipped", eth() / base() / opt(0x1e) / echo(), None, "echo")
case("option action 01: discard", eth() / base() / opt(0x5e) / echo(), "ip6_option_discard")
case("option action 10: parameter problem", eth() / base() / opt(0x9e) / echo(), "ip6_param_problem", (4, 2, 42))
case("option action 11: parameter problem", eth() / base() / opt(0xde) / echo(), "ip6_param_problem", (4, 2, 42))
case("option action 11 to multicast: silent", eth("33:33:00:00:00:01") / base(dst="ff02::1") / opt(0xde) / echo(), "ip6_option_discard")
case("option action 10 to multicast: parameter problem", eth("33:33:00:00:00:01") / base(dst="ff02::1") / opt(0x9e) / echo(), "ip6_param_problem", (4, 2, 42))
case("destination option action 10", eth() / base() / IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x9e, optdata=b"\0\0")]) / echo(), "ip6_param_problem", (4, 2, 42))
# RFC 8200 §4.3: Hop-by-Hop only first (pointer: the next header byte naming it, 40)
case("hop-by-hop after destination options", eth() / base() / IPv6ExtHdrDestOpt(nh=0) / IPv6ExtHdrHopByHop() / echo(), "ip6_param_problem", (4, 1, 40))
# RFC 5095 / RFC 8200 §4.4: RH0 is not processed (pointer: routing type, 42)
case("RH0 with segments left", eth() / base() / IPv6ExtHdrRouting(type=0, segleft=1, addresses=["2001:db8::2"]) / echo(), "ip6_param_problem", (4, 0, 42))
case("RH0 with no segments left: ignored", eth() / base() / IPv6ExtHdrRouting(type=0, segleft=0, addresses=["2001:db8::2"]) / echo(), None, "echo")
# RFC 8200 §4: unknown next header (pointer: the fixed header's, 6)
case("unknown next header", eth() / base(nh=253) / Raw(b"\0" * 8), "ip6_param_problem", (4, 1, 6))
case("no next header", eth() / base(nh=59), "ip6_no_next_header")
# RFC 6946: an atomic fragment is processed alone
case("atomic fragment", eth() / base() / IPv6ExtHdrFragment(offset=0, m=0, id=7) / echo(), None, "echo")
# RFC 8200 §4.5: fragments
case("non-last fragment not a multiple of 8", eth() / base() / IPv6ExtHdrFragment(offset=0, m=1, id=8) / echo() / Raw(b"y" * 3), "reass_bad", (4, 0, 4))
case("fragment beyond 65535 bytes", eth() / base() / IPv6ExtHdrFragment(offset=8190, m=0, id=9) / Raw(b"y" * 64), "reass_bad", (4, 0, 42))
# RFC 7112: the first fragment carries the whole chain (here a 16-byte
# Destination Options header of which 8 bytes came)
case("first fragment with half a header chain", eth() / base() / IPv6ExtHdrFragment(nh=60, offset=0, m=1, id=10) / Raw(b"\x11\x01" + b"\0" * 6), "reass_bad", (4, 3, 0))
# RFC 5722: an overlap drops the whole datagram
ov = echo() / Raw(b"z" * 64)
ovb = bytes(ov)
case("first of two overlapping fragments", eth() / base() / IPv6ExtHdrFragment(nh=58, offset=0, m=1, id=11) / Raw(ovb[:48]), None)
case("overlapping second fragment: both go", eth() / base() / IPv6ExtHdrFragment(nh=58, offset=4, m=0, id=11) / Raw(ovb[32:]), "reass_overlap", None, 2)
# RFC 4443
bad = bytes(eth() / base() / echo())
case("echo with a bad checksum", Ether(bad[:-1] + bytes([bad[-1] ^ 0xff])), "icmp6_bad_checksum")
case("UDP to a closed port", eth() / base() / UDP(sport=1234, dport=9), "udp_port_unreachable", (1, 4, 0))
# RFC 8200 §8.1: IPv6 has no "no checksum": a zero UDP checksum is discarded
case("UDP with a zero checksum", eth() / base() / UDP(sport=1234, dport=9, chksum=0), "udp_bad_checksum")
case("error about an ICMPv6 error: none", eth() / base() / ICMPv6DestUnreach() /
     IPv6(src=US, dst=PEER) / UDP(), "icmp6_unhandled")
# RFC 4443 §2.4 (e.1): an error we would send (option action 10) about an
# ICMPv6 error is not sent
case("parameter problem about an ICMPv6 error: none", eth() / base() / opt(0x9e) /
     ICMPv6DestUnreach() / IPv6(src=US, dst=PEER) / UDP(), "ip6_param_problem")
# RFC 4861 §7.1: ND validation
ns = lambda **kw: eth("33:33:ff:00:00:01") / IPv6(src=PEER, dst="ff02::1:ff00:1", **kw) / \
    ICMPv6ND_NS(tgt=US) / ICMPv6NDOptSrcLLAddr(lladdr=PEERMAC)
case("NS with hop limit 64", ns(hlim=64), "nd_hlim")
case("NS for someone else", eth("33:33:ff:00:00:09") / IPv6(src=PEER, dst="ff02::1:ff00:9", hlim=255) /
     ICMPv6ND_NS(tgt="2001:db8::9"), "not_for_us")
case("NS with a multicast target", eth() / IPv6(src=PEER, dst=US, hlim=255) / ICMPv6ND_NS(tgt="ff02::1"), "nd_bad")
case("NS option of length 0", eth() / IPv6(src=PEER, dst=US, hlim=255) / ICMPv6ND_NS(tgt=US) / Raw(b"\x01\x00" + b"\0" * 6), "nd_bad")
case("NA solicited to a group", eth("33:33:00:00:00:01") / IPv6(src=PEER, dst="ff02::1", hlim=255) /
     ICMPv6ND_NA(tgt=PEER, S=1, O=1) / ICMPv6NDOptDstLLAddr(lladdr=PEERMAC), "nd_bad")
# RFC 4861 §8.1: a Redirect is validated and never acted on (a router
# must not; as a host ringstack is Linux with accept_redirects 0)
PEERLL = "fe80::2"
def redirect(src=PEERLL, hlim=255, tgt="fe80::77", dst="2001:db8:5::1", tail=b""):
    return eth() / IPv6(src=src, dst=US, hlim=hlim) / \
        ICMPv6ND_Redirect(tgt=tgt, dst=dst) / Raw(tail)
case("Redirect, valid (to a router)", redirect(), "nd_redirect_ignored")
case("Redirect, valid (on-link destination)", redirect(tgt="2001:db8:5::1"), "nd_redirect_ignored")
case("Redirect, valid, with a Redirected Header option",
     redirect(tail=bytes([4, 2]) + b"\0" * 14), "nd_redirect_ignored")
case("Redirect with hop limit 64", redirect(hlim=64), "nd_hlim")
case("Redirect from a global source", redirect(src=PEER), "nd_bad")
case("Redirect for a multicast destination", redirect(dst="ff0e::1"), "nd_bad")
case("Redirect to a global target other than the destination", redirect(tgt="2001:db8::77"), "nd_bad")
case("Redirect option of length 0", redirect(tail=b"\x04\x00" + b"\0" * 6), "nd_bad")
case("Redirect option past the end", redirect(tail=b"\x04\x02" + b"\0" * 6), "nd_bad")

# NA floods with forged targets (RFC 4861 §7.2.5: an NA for an address
# with no entry is silently discarded): unsolicited to all-nodes, and
# "solicited" ones to us that answer nothing we asked; the table must not
# grow, and no forged target may appear in it
def neigh_ips():
    return {e.get("dst") for e in json.loads(subprocess.check_output(RC + ["neigh", "show"]))}
n0 = len(neigh_ips())
flood = [eth("33:33:00:00:00:01") / IPv6(src="fe80::%x" % (i + 1), dst="ff02::1", hlim=255) /
         ICMPv6ND_NA(tgt="2001:db8::%x" % (0x1000 + i), R=0, S=0, O=1) /
         ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:%02x:%02x" % (i >> 8, i & 0xff)) for i in range(2000)]
flood += [eth() / IPv6(src="fe80::%x" % (i + 1), dst=US, hlim=255) /
          ICMPv6ND_NA(tgt="2001:db8::%x" % (0x3000 + i), R=0, S=1, O=1) /
          ICMPv6NDOptDstLLAddr(lladdr="02:00:00:01:%02x:%02x" % (i >> 8, i & 0xff)) for i in range(2000)]
sendp(flood, iface=IFACE)
# a barrier instead of a sleep: an NS for us from a new source takes the
# same worker -> control ring after the flood and adds its sender (§7.2.3);
# once that entry shows, every NA before it has been handled
MARK = "2001:db8::99"
sendp(eth("33:33:ff:00:00:01") / IPv6(src=MARK, dst="ff02::1:ff00:1", hlim=255) /
      ICMPv6ND_NS(tgt=US) / ICMPv6NDOptSrcLLAddr(lladdr=PEERMAC), iface=IFACE)
deadline = time.time() + 20
while MARK not in neigh_ips() and time.time() < deadline:
    time.sleep(0.05)
ips = neigh_ips()
targets = {"2001:db8::%x" % (0x1000 + i) for i in range(2000)} | {"2001:db8::%x" % (0x3000 + i) for i in range(2000)}
forged = sorted(ips & targets)
n1 = len(ips - {MARK})
ok = MARK in ips and n1 <= n0 and not forged
print(("ok " if ok else "FAIL ") + "NA floods of 2x2000 forged targets: neighbours %d -> %d (barrier %s), forged entries %s"
      % (n0, n1, "seen" if MARK in ips else "NOT seen", forged[:3]))
if not ok:
    failed.append("na flood")
sniffer.stop()
psniffer.stop()
sys.exit(1 if failed else 0)
PYEOF
grep -q "^FAIL" "$RS_TMP/scapy.out" && { cat "$RS_TMP/scapy.out"; fail "a case failed"; }
cat "$RS_TMP/scapy.out"
ok "$(grep -c "^ok" "$RS_TMP/scapy.out") malformed IPv6 cases"
in_ns p1 ping -6 -c 2 -i 0.2 -W 2 -I 2001:db8::2 2001:db8::1 >/dev/null || fail "ping6 after the malformed input"
ok "ping6 still works"

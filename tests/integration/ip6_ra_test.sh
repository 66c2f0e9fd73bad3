#!/bin/bash
# Router Advertisements both ways:
#  - as a router (port0): "ringctl ra set" advertises a prefix and an RDNSS
#    server; the Linux host on that link configures an address by SLAAC and
#    a default route through our link-local address, and reaches us with it;
#  - as a host (port1, forwarding off): radvd in the peer advertises a
#    prefix; we configure a stable SLAAC address (RFC 4862, RFC 7217) and a
#    default route through the peer's link-local address, learn its RDNSS
#    server, and answer the peer on that address.
. "$(dirname "$0")/_init.sh"

rs_peer h 10.0.0.2/24
rs_peer r 10.0.1.2/24
in_ns h sysctl -qw net.ipv6.conf.h-l.accept_ra=1 net.ipv6.conf.h-l.autoconf=1
in_ns r sysctl -qw net.ipv6.conf.all.forwarding=1
in_ns r ip -6 addr add 2001:db8:6::2/64 dev r-l nodad
rs_start
ringctl link set port1 forwarding off

# ---- router side ----
ringctl addr add 2001:db8:5::1/64 dev port0
ringctl ra set port0 prefix 2001:db8:5::/64 valid 3600 preferred 1800 rdnss 2001:db8:5::53 interval 4
ringctl ra show | grep -q "prefix 2001:db8:5::/64 valid 3600 preferred 1800" || fail "ra show: $(ringctl ra show)"
h_slaac() { in_ns h ip -6 addr show dev h-l scope global | grep -q "inet6 2001:db8:5:.*dynamic"; }
wait_for 20 h_slaac || fail "the host made no SLAAC address: $(in_ns h ip -6 addr show dev h-l)"
ll0=$(ringctl -j addr show dev port0 | jq -r '.[0].addrs[] | select(.scope == "link") | .local')
h_route() { in_ns h ip -6 route show default | grep -q "via $ll0 dev h-l"; }
wait_for 10 h_route || fail "no default route via $ll0: $(in_ns h ip -6 route)"
h_onlink() { in_ns h ip -6 route show | grep -q "2001:db8:5::/64 dev h-l proto"; }
wait_for 10 h_onlink || fail "no on-link route from the prefix: $(in_ns h ip -6 route)"
in_ns h ping -6 -c 2 -i 0.2 -W 2 2001:db8:5::1 >/dev/null || fail "the host cannot ping us"
ok "Linux host configured itself from our RA (SLAAC address, default route via $ll0)"
# the host's solicitation is answered (an RS draws an RA within
# MIN_DELAY_BETWEEN_RAS, 3 s, not at the next periodic one): advertise every
# 60 s (16 s while the first three go out) so any RA after the RS is its answer
ringctl ra set port0 prefix 2001:db8:5::/64 valid 3600 preferred 1800 rdnss 2001:db8:5::53 interval 60
ra0() { ringctl -j ra show | jq ".[] | select(.dev == \"port0\") | .$1"; }
first_sent() { [ "$(ra0 sent)" -ge 1 ]; }
wait_for 5 first_sent || fail "no RA after ra set: $(ringctl ra show)"
sent=$(ra0 sent)
in_ns h sysctl -qw net.ipv6.conf.h-l.disable_ipv6=1
in_ns h sysctl -qw net.ipv6.conf.h-l.disable_ipv6=0
# Linux solicits once its link-local address passed DAD (about 1-2 s)
got_rs() { [ "$(ra0 solicitations)" -ge 1 ]; }
wait_for 10 got_rs || fail "the host's RS was not counted: $(ringctl ra show)"
more_sent() { [ "$(ra0 sent)" -gt "$sent" ]; }
wait_for 5 more_sent || fail "no RA in answer to the host's RS: $(ringctl ra show)"
ok "an RS is answered"

# ---- host side ----
# RFC 4861 §6.3.7: a link that becomes a host link solicits: link down and
# up again, and exactly three RSs (nobody answers yet) go to all-routers
# from our link-local address, Hop Limit 255, with our MAC in the source
# link-layer option, 4 s apart
ll1=$(ringctl -j addr show dev port1 | jq -r '.[0].addrs[] | select(.scope == "link") | .local')
mac1=$(ringctl -j link show port1 | jq -r 'if type == "array" then .[0].lladdr else .lladdr end')
in_ns r tcpdump -i r-l -nn -U -c 4 -w "$RS_TMP/rs.pcap" "icmp6 and ip6[40] == 133" \
	2>"$RS_TMP/rs.err" &
rs_cap=$!
listening "$RS_TMP/rs.err" || fail "tcpdump did not start: $(cat "$RS_TMP/rs.err")"
rs0=$(ringctl -j ra show | jq '[.[] | select(.dev == "port1") | .solicitations_sent] | add // 0')
ringctl link set port1 down
ringctl link set port1 up
three_sent() { [ "$(ringctl -j ra show | jq '[.[] | select(.dev == "port1") | .solicitations_sent] | add // 0')" -ge $((rs0 + 3)) ]; }
wait_for 25 three_sent || fail "no three solicitations: $(ringctl ra show)"
# a fourth would come 4 s after the third: wait for it to be due, as an
# event: the counter (the capture's fourth would end tcpdump)
fourth_due() { ! kill -0 "$rs_cap" 2>/dev/null; }
wait_for 6 fourth_due && fail "a fourth solicitation: $(tcpdump -nn -r "$RS_TMP/rs.pcap" 2>/dev/null)"
[ "$(ringctl -j ra show | jq '[.[] | select(.dev == "port1") | .solicitations_sent] | add // 0')" -eq $((rs0 + 3)) ] ||
	fail "solicitations_sent moved past three: $(ringctl ra show)"
kill "$rs_cap" 2>/dev/null || true
wait "$rs_cap" 2>/dev/null || true
"$PY" - "$RS_TMP/rs.pcap" "$ll1" "$mac1" <<'PYEOF' || fail "the solicitations on the wire: $(tcpdump -nn -v -r "$RS_TMP/rs.pcap" 2>&1 | head -20)"
import sys
from scapy.all import rdpcap, IPv6, ICMPv6ND_RS, ICMPv6NDOptSrcLLAddr
pk = rdpcap(sys.argv[1])
assert len(pk) == 3, "%d solicitations captured" % len(pk)
for p in pk:
    assert p[IPv6].src == sys.argv[2] and p[IPv6].dst == "ff02::2" and p[IPv6].hlim == 255, p.summary()
    assert p[ICMPv6ND_RS].code == 0
    assert p[ICMPv6NDOptSrcLLAddr].lladdr.lower() == sys.argv[3].lower(), p.summary()
gaps = [float(pk[i + 1].time - pk[i].time) for i in range(2)]
assert all(3.8 < g < 8 for g in gaps), gaps  # RTR_SOLICITATION_INTERVAL, plus scheduling
print("gaps", gaps)
PYEOF
ok "a host link solicits: three RSs from $ll1 to ff02::2, 4 s apart, and no more"

cat >"$RS_TMP/radvd.conf" <<CONF
interface r-l {
	AdvSendAdvert on;
	MinRtrAdvInterval 3;
	MaxRtrAdvInterval 4;
	prefix 2001:db8:6::/64 { AdvOnLink on; AdvAutonomous on; };
	RDNSS 2001:db8:6::53 { };
};
CONF
in_ns r radvd -C "$RS_TMP/radvd.conf" -p "$RS_TMP/radvd.pid" -m logfile -l "$RS_TMP/radvd.log"
slaac_addr() { ringctl -j addr show dev port1 | jq -r '.[0].addrs[] | select(.local | startswith("2001:db8:6:")) | select(.tentative | not) | .local'; }
have_slaac() { [ -n "$(slaac_addr)" ]; }
wait_for 20 have_slaac || fail "no SLAAC address from radvd's RA: $(ringctl addr show dev port1)"
a=$(slaac_addr)
r_ll=$(in_ns r ip -6 addr show dev r-l scope link | awk '/inet6/ {sub("/.*", "", $2); print $2; exit}')
ringctl route -6 show | grep -q "default via $r_ll dev port1" || fail "no default route via $r_ll: $(ringctl route -6 show)"
ringctl -j ra show | jq -e '.[] | select(.dev == "port1") | .learned_rdnss | index("2001:db8:6::53")' >/dev/null ||
	fail "RDNSS not learned: $(ringctl ra show)"
in_ns r ping -6 -c 2 -i 0.2 -W 2 "$a" >/dev/null || fail "radvd's host cannot ping our SLAAC address $a"
ok "SLAAC from radvd: $a, default route via $r_ll, RDNSS learned"
kill "$(cat "$RS_TMP/radvd.pid")" 2>/dev/null || true

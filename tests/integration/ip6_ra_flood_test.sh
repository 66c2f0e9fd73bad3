#!/bin/bash
# RA flood (RFC 4861 §6.3.4, RFC 4862 §5.5.3): the Linux peer sends
# thousands of Router Advertisements, each from its own forged link-local
# router with its own random autonomous /64 prefix, to a link where we are
# a host. Every RA is accounted for (an address made, a counted slaac_full,
# or a counted ctl_ring_full); the address table grows by at most the 32
# SLAAC addresses, the route table by their prefixes and one default route,
# and ping6 keeps working.
. "$(dirname "$0")/_init.sh"

N=2000
rs_peer p1 10.0.0.2/24
in_ns p1 sysctl -qw net.ipv6.conf.p1-l.accept_ra=0
in_ns p1 ip -6 addr add 2001:db8::2/64 dev p1-l nodad
rs_start
ringctl addr add 2001:db8::1/64 dev port0
usable() { ringctl -j addr show dev port0 | jq -e '.[0].addrs[] | select(.local == "2001:db8::1" and (.tentative | not))' >/dev/null; }
wait_for 10 usable || fail "2001:db8::1 stays tentative"
in_ns p1 ip -6 neigh replace 2001:db8::1 lladdr "$(rs_link_mac port0)" dev p1-l nud permanent
in_ns p1 ping -6 -c 1 -W 2 -I 2001:db8::2 2001:db8::1 >/dev/null || fail "ping6 before the flood"
ringctl -j link show | jq -e '.[] | select(.name == "port0") | .forwarding | not' >/dev/null ||
	fail "port0 forwards: RAs would be ignored, not tested"

naddr() { ringctl -j addr show dev port0 | jq '.[0].addrs | length'; }
nroute() { ringctl -j route -6 show | jq length; }
ndefault() { ringctl -j route -6 show | jq '[.[] | select(.dst == "default")] | length'; }
drop() { ringctl -j stats | jq ".drops.$1"; }
a0=$(naddr) r0=$(nroute) f0=$(drop slaac_full) q0=$(drop ctl_ring_full)

in_ns p1 "$PY" - "$N" <<'PYEOF' || fail "scapy could not send the flood"
import random, sys
from scapy.all import (Ether, IPv6, ICMPv6ND_RA, ICMPv6NDOptPrefixInfo, ICMPv6NDOptSrcLLAddr,
                       conf, sendp)
conf.verb = 0
random.seed(10)
pk = []
for i in range(int(sys.argv[1])):
    mac = "02:00:%02x:%02x:%02x:%02x" % (i >> 8 & 255, i & 255, random.randrange(256), random.randrange(256))
    pfx = "2001:db8:%x:%x::" % (1 + random.randrange(0xfffe), random.randrange(0x10000))
    pk.append(Ether(dst="33:33:00:00:00:01", src=mac) /
              IPv6(src="fe80::%x:%x" % (1 + (i >> 16), 1 + (i & 0xffff)), dst="ff02::1", hlim=255) /
              ICMPv6ND_RA(routerlifetime=1800) /
              ICMPv6NDOptPrefixInfo(prefix=pfx, prefixlen=64, L=1, A=1, validlifetime=3600,
                                    preferredlifetime=1800) /
              ICMPv6NDOptSrcLLAddr(lladdr=mac))
sendp(pk, iface="p1-l")
PYEOF

# every RA ends as an address, a slaac_full or a ctl_ring_full
accounted() {
	local made=$(($(naddr) - a0)) full=$(($(drop slaac_full) - f0)) ring=$(($(drop ctl_ring_full) - q0))
	[ $((made + full + ring)) -ge "$N" ]
}
wait_for 60 accounted || fail "not every RA was accounted for: $(($(naddr) - a0)) addresses made," \
	"$(($(drop slaac_full) - f0)) slaac_full, $(($(drop ctl_ring_full) - q0)) ctl_ring_full of $N"
a1=$(naddr) r1=$(nroute) f1=$(drop slaac_full) q1=$(drop ctl_ring_full)
[ $((a1 - a0)) -le 32 ] || fail "addresses grew from $a0 to $a1 (at most 32 SLAAC addresses)"
[ $((r1 - r0)) -le 33 ] || fail "IPv6 routes grew from $r0 to $r1 (at most 32 prefixes and a default route)"
[ "$(ndefault)" -le 1 ] || fail "$(ndefault) default routes: $(ringctl route -6 show)"
[ $((f1 - f0)) -gt 0 ] || fail "no slaac_full drop counted for $N prefixes"
in_ns p1 ping -6 -c 2 -i 0.2 -W 2 -I 2001:db8::2 2001:db8::1 >/dev/null || fail "ping6 after the flood"
ok "RA flood of $N: addresses $a0 -> $a1, IPv6 routes $r0 -> $r1, slaac_full $((f1 - f0)), ctl_ring_full $((q1 - q0)); ping6 works"

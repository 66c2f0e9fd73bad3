#!/bin/bash
# IPv6 host basics against a Linux peer: a global address added with
# iproute2's syntax, the stable link-local address every link gets, DAD
# (both the clean case and a conflict the peer defends), Neighbor Discovery
# both ways, ping6 of the global and the link-local address at several
# sizes, and ringctl's text and JSON views of all that.
. "$(dirname "$0")/_init.sh"

rs_peer p1 10.0.0.2/24
in_ns p1 sysctl -qw net.ipv6.conf.p1-l.accept_ra=0
in_ns p1 ip -6 addr add 2001:db8::2/64 dev p1-l nodad
in_ns p1 ip -6 addr add 2001:db8::3/64 dev p1-l nodad
# MLDv2 reports (RFC 3810) from us, captured from the start
in_ns p1 tcpdump -i p1-l -n -U -w "$RS_TMP/mld.pcap" 'ip6' >/dev/null 2>"$RS_TMP/tcpd.err" &
tcpd=$!
listening "$RS_TMP/tcpd.err" || fail "tcpdump: $(cat "$RS_TMP/tcpd.err")"
rs_start
ringctl addr add 2001:db8::1/64 dev port0

usable() { # ADDR: on port0 and no longer tentative
	ringctl -j addr show dev port0 |
		jq -e --arg a "$1" '.[0].addrs[] | select(.local == $a and (.tentative | not) and (.dadfailed | not))'
}
wait_for 10 usable 2001:db8::1 || fail "2001:db8::1 stays tentative: $(ringctl addr show dev port0)"
ll=$(ringctl -j addr show dev port0 | jq -r '.[0].addrs[] | select(.scope == "link") | .local')
case $ll in fe80::*) ;; *) fail "no link-local address on port0: $(ringctl addr show)" ;; esac
wait_for 10 usable "$ll" || fail "$ll stays tentative"
ringctl addr show dev port0 | grep -q "inet6 2001:db8::1/64 scope global" ||
	fail "addr show: $(ringctl addr show dev port0)"
ringctl addr show dev lo | grep -q "inet6 ::1/128 scope host" || fail "lo has no ::1"
ok "global and link-local ($ll) addresses usable after DAD"
# (tcpdump decodes MLDv2 records; scapy 2.5 shows only the first)
mac0=$(rs_link_mac port0 | tr A-F a-f)
mld_has() { # GROUP: a report from us, checksum right, names it
	tcpdump -v -n -r "$RS_TMP/mld.pcap" "ether src $mac0 and ip6[48] == 143" 2>/dev/null |
		grep "icmp6 sum ok" | grep -q "gaddr $1 is_ex"
}
wait_for 5 mld_has ff02::1:ff00:1 ||
	fail "no MLDv2 report for ff02::1:ff00:1: $(tcpdump -v -n -r "$RS_TMP/mld.pcap" 2>/dev/null | grep -i report | head -5)"
kill "$tcpd" 2>/dev/null || true
ok "MLDv2 reports for our solicited-node groups"

# One retry per size: once in about ten runs a fragmented reply that
# ringstack counted as sent (ip6_fragment, port tx) never reached the peer's
# ping (veth/AF_XDP on this noisy VM); a second loss in a row fails.
ping_size() {
	in_ns p1 ping -6 -I 2001:db8::2 -c 3 -i 0.2 -W 2 -s "$1" 2001:db8::1 >"$RS_TMP/ping.out" &&
		grep -q " 0% packet loss" "$RS_TMP/ping.out"
}
for size in 0 56 1000 1452 1453 3000 65000; do
	if ! ping_size $size; then
		echo "note: ping6 -s $size: $(tail -2 "$RS_TMP/ping.out" | head -1); once more" >&2
		ping_size $size || fail "ping6 -s $size: $(tail -2 "$RS_TMP/ping.out")"
	fi
	ok "ping6 -s $size 2001:db8::1"
done
in_ns p1 ping -6 -c 3 -i 0.2 -W 2 "$ll%p1-l" >"$RS_TMP/ping.out" ||
	fail "ping6 $ll: $(tail -2 "$RS_TMP/ping.out")"
ok "ping6 $ll%p1-l"
# a group we listen to: all-nodes
in_ns p1 ping -6 -c 2 -i 0.2 -W 2 "ff02::1%p1-l" >"$RS_TMP/ping.out" || true
grep -q "$ll" "$RS_TMP/ping.out" || fail "no answer to all-nodes: $(cat "$RS_TMP/ping.out")"
ok "answers echo to ff02::1"

# the peer resolved us (we answered its solicitation) and we learned it
peer_mac=$(mac_of p1 p1-l)
ringctl neigh show | grep -q "2001:db8::2 dev port0 lladdr $peer_mac" ||
	fail "peer not in the neighbour table: $(ringctl neigh show)"
ringctl -j neigh show | jq -e '.[] | select(.dst == "2001:db8::2")' >/dev/null ||
	fail "neigh JSON lacks the IPv6 neighbour"
our_mac=$(rs_link_mac port0 | tr A-F a-f)
peer_knows_us() { in_ns p1 ip -6 neigh show dev p1-l | grep -q "2001:db8::1 lladdr $our_mac"; }
wait_for 5 peer_knows_us || fail "the peer did not resolve us ($our_mac): $(in_ns p1 ip -6 neigh show)"
ok "neighbour discovery both ways"

# DAD conflict: the peer owns 2001:db8::3 and defends it
ringctl addr add 2001:db8::3/64 dev port0
dadfailed() { ringctl -j addr show dev port0 | jq -e '.[0].addrs[] | select(.local == "2001:db8::3" and .dadfailed)'; }
wait_for 10 dadfailed || fail "duplicate not detected: $(ringctl addr show dev port0)"
in_ns p1 ping -6 -c 1 -W 1 2001:db8::3 >/dev/null # still the peer's
ok "DAD conflict detected, address not used"

ringctl addr del 2001:db8::1/64 dev port0
ringctl addr show dev port0 | grep -q "2001:db8::1/" && fail "address not deleted"
in_ns p1 ping -6 -c 1 -W 1 2001:db8::1 >/dev/null 2>&1 && fail "deleted address still answers"
ok "addr del"

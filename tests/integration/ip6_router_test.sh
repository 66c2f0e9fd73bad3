#!/bin/bash
# IPv6 router between two Linux namespaces: forwarding (sizes up to the
# MTU), traceroute6 sees the router (Time Exceeded), Packet Too Big with the
# next link's MTU (never fragmenting), static routes via global and
# link-local gateways, ECMP, route types, and route changes under load
# without loss.
. "$(dirname "$0")/_init.sh"

rs_peer a 10.1.0.2/24
rs_peer b 10.2.0.2/24
for n in a b; do
	in_ns $n sysctl -qw net.ipv6.conf.$n-l.accept_ra=0
done
in_ns a ip -6 addr add 2001:db8:1::2/64 dev a-l nodad
in_ns b ip -6 addr add 2001:db8:2::2/64 dev b-l nodad
in_ns b ip -6 addr add 2001:db8:99::1/128 dev lo
in_ns a ip -6 route add default via 2001:db8:1::1
in_ns b ip -6 route add default via 2001:db8:2::1
rs_start
ringctl addr add 2001:db8:1::1/64 dev port0
ringctl addr add 2001:db8:2::1/64 dev port1
usable() {
	ringctl -j addr show | jq -e --arg a "$1" '.[].addrs[] | select(.local == $a and (.tentative | not))'
}
wait_for 10 usable 2001:db8:1::1 || fail "2001:db8:1::1 stays tentative"
wait_for 10 usable 2001:db8:2::1 || fail "2001:db8:2::1 stays tentative"
ringctl route -6 show | grep -q "2001:db8:1::/64 dev port0 proto kernel" ||
	fail "no connected route: $(ringctl route -6 show)"

# -- forwarding
for size in 56 1452; do
	in_ns a ping -6 -c 3 -i 0.2 -W 2 -s $size 2001:db8:2::2 >"$RS_TMP/p" ||
		fail "a cannot ping6 b (-s $size): $(tail -2 "$RS_TMP/p")"
done
# the echoes and replies crossed ip6_fastpath, not the general path (whose
# results it must give: tests/unit/dp/test_fastpath.c); the first of each
# direction may meet an unresolved neighbour, which the general path asks for
fp6=$(ringctl -j stats | jq '[.workers[].fastpath6_fast] | add')
[ "$fp6" -ge 8 ] || fail "ip6_fastpath forwarded $fp6 packets of the 12 pings and replies"
ok "forwarding a->b (56, 1452 bytes; $fp6 through ip6_fastpath)"

# -- Hop Limit: traceroute6 sees the router as hop 1
in_ns a traceroute6 -n -q 1 -w 2 -m 3 2001:db8:2::2 >"$RS_TMP/tr" 2>&1 || true
sed -n 2p "$RS_TMP/tr" | grep -q "2001:db8:1::1" || fail "hop 1 is not the router: $(cat "$RS_TMP/tr")"
sed -n 3p "$RS_TMP/tr" | grep -q "2001:db8:2::2" || fail "hop 2 is not b: $(cat "$RS_TMP/tr")"
[ "$(drops ip6_hlim_exceeded)" -ge 1 ] || fail "ip6_hlim_exceeded not counted"
ok "traceroute6 shows the router"

# -- Packet Too Big: port1 at the IPv6 minimum MTU; a bigger packet is
# never fragmented in transit
ringctl link set port1 mtu 1280
in_ns a ping -6 -c 2 -i 0.3 -W 2 -s 1400 -M do 2001:db8:2::2 >"$RS_TMP/p" 2>&1 || true
grep -qi "too big.*mtu.*1280\|mtu=1280" "$RS_TMP/p" || fail "no Packet Too Big with mtu 1280: $(cat "$RS_TMP/p")"
in_ns a ip -6 route get 2001:db8:2::2 | grep -q "mtu 1280" ||
	fail "the peer did not learn the path MTU: $(in_ns a ip -6 route get 2001:db8:2::2)"
in_ns a ping -6 -c 2 -i 0.2 -W 2 -s 1232 2001:db8:2::2 >/dev/null || fail "1280-byte packets do not pass"
[ "$(drops packet_too_big)" -ge 1 ] || fail "packet_too_big not counted"
ringctl link set port1 mtu 1500
ok "Packet Too Big with the next-hop MTU (1280)"

# -- no route: Destination Unreachable
in_ns a ping -6 -c 1 -W 2 2001:db8:77::1 >"$RS_TMP/p" 2>&1 && fail "ping to an unrouted address succeeded"
grep -qi "unreachable" "$RS_TMP/p" || fail "no unreachable for an unrouted destination: $(cat "$RS_TMP/p")"
ok "no route -> Destination Unreachable"

# -- static routes: via a global gateway, via a link-local one
ringctl route add 2001:db8:99::/64 via 2001:db8:2::2
in_ns a ping -6 -c 2 -i 0.2 -W 2 2001:db8:99::1 >/dev/null || fail "route via a global gateway"
b_ll=$(in_ns b ip -6 addr show dev b-l scope link | awk '/inet6/ {sub("/.*", "", $2); print $2; exit}')
[ -n "$b_ll" ] || fail "b has no link-local address"
ringctl route replace 2001:db8:99::/64 via "$b_ll" dev port1
ringctl route -6 show | grep -q "2001:db8:99::/64 via $b_ll dev port1" ||
	fail "replace: $(ringctl route -6 show)"
in_ns a ping -6 -c 2 -i 0.2 -W 2 2001:db8:99::1 >/dev/null || fail "route via a link-local gateway"
ringctl route get 2001:db8:99::1 | grep -q "via $b_ll" || fail "route get: $(ringctl route get 2001:db8:99::1)"
ok "static routes via global and link-local gateways"

# -- ECMP (both gateways are b's)
ringctl route add 2001:db8:97::/64 nexthop via 2001:db8:2::2 nexthop via "$b_ll" dev port1
ringctl -j route -6 show | jq -e '.[] | select(.dst == "2001:db8:97::/64") | .nexthops | length == 2' >/dev/null ||
	fail "ECMP route not shown: $(ringctl route -6 show)"
in_ns b ip -6 addr add 2001:db8:97::1/128 dev lo
in_ns a ping -6 -c 2 -i 0.2 -W 2 2001:db8:97::1 >/dev/null || fail "ping through an ECMP route"
ok "ECMP route"

# -- route types
ringctl route add blackhole 2001:db8:96::/64
ringctl route add unreachable 2001:db8:95::/64
ringctl route add prohibit 2001:db8:94::/64
bh=$(drops blackhole)
in_ns a ping -6 -c 1 -W 1 2001:db8:96::1 >/dev/null 2>&1 && fail "blackhole answered"
[ "$(drops blackhole)" -gt "$bh" ] || fail "blackhole drop not counted"
in_ns a ping -6 -c 1 -W 2 2001:db8:95::1 >"$RS_TMP/p" 2>&1 || true
grep -qi "unreachable" "$RS_TMP/p" || fail "unreachable route: $(cat "$RS_TMP/p")"
in_ns a ping -6 -c 1 -W 2 2001:db8:94::1 >"$RS_TMP/p" 2>&1 || true
grep -qi "prohibited\|unreachable" "$RS_TMP/p" || fail "prohibit route: $(cat "$RS_TMP/p")"
ok "blackhole, unreachable, prohibit"

# -- route changes under load: no loss
in_ns a ping -6 -c 300 -i 0.01 -W 2 2001:db8:99::1 >"$RS_TMP/load" 2>&1 &
pp=$!
for i in $(seq 1 30); do
	if [ $((i % 2)) = 0 ]; then
		ringctl route replace 2001:db8:99::/64 via 2001:db8:2::2
	else
		ringctl route replace 2001:db8:99::/64 via "$b_ll" dev port1
	fi
	sleep 0.05
done
wait $pp || fail "ping under route changes failed: $(tail -3 "$RS_TMP/load")"
grep -q " 0% packet loss" "$RS_TMP/load" || fail "loss under route changes: $(tail -2 "$RS_TMP/load")"
ok "30 route replacements under 100 pps: no loss"

ringctl route del 2001:db8:99::/64
in_ns a ping -6 -c 1 -W 1 2001:db8:99::1 >/dev/null 2>&1 && fail "deleted route still forwards"
ok "route del"

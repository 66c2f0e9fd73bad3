#!/bin/bash
# Loopback and locally originated routing: two applications on ringstack
# talk over 127.0.0.1, over another 127/8 address and over the daemon's own
# address, as on Linux (nothing reaches the wire); lo exists with
# 127.0.0.1/8 and cannot be removed; a ringstack application's traffic
# toward an ECMP route leaves (ip4_output resolves groups).
. "$(dirname "$0")/_init.sh"

EX=$RS_BUILD/app/examples
rs_peer p1 10.0.0.2/24
rs_peer p2 10.1.0.2/24
rs_start
ringctl addr add 10.0.0.1/24 dev port0
ringctl addr add 10.1.0.1/24 dev port1

ringctl -j link show lo | jq -e '.[0].name == "lo" and .[0].admin == "up"' >/dev/null ||
	fail "no lo link: $(ringctl link show)"
ringctl -j addr show dev lo | jq -e '[.. | strings] | any(. == "127.0.0.1/8" or . == "127.0.0.1")' >/dev/null ||
	fail "lo has no 127.0.0.1/8: $(ringctl addr show dev lo)"
ringctl link del lo 2>/dev/null && fail "lo was removed"
ringctl addr add 127.0.0.5/8 dev port0 2>/dev/null && fail "a loopback address on port0 was accepted"
ok "lo exists with 127.0.0.1/8 and stays"

"$EX/udp_echo_server" 7007 >"$RS_TMP/srv.log" 2>&1 &
srv=$!
wait_for 10 bash -c "$RS_BUILD/app/ringctl -s $RS_SOCK sock show | grep -q ':7007'" ||
	fail "echo server's socket not listed: $(cat "$RS_TMP/srv.log")"
tx0=$(ringctl -j stats | jq '[.ports[] | .tx_packets] | add')
for dst in 127.0.0.1 127.1.2.3 10.0.0.1 10.1.0.1; do
	"$EX/udp_echo_client" "$dst" 7007 50 1000 >"$RS_TMP/cli.out" 2>&1 ||
		fail "client to $dst: $(cat "$RS_TMP/cli.out")"
	grep -q "^ok 50" "$RS_TMP/cli.out" || fail "client to $dst: $(cat "$RS_TMP/cli.out")"
done
"$EX/udp_echo_client" 127.0.0.1 7007 5 65507 >"$RS_TMP/cli.out" 2>&1 ||
	fail "65507-byte datagrams over lo: $(cat "$RS_TMP/cli.out")"
tx1=$(ringctl -j stats | jq '[.ports[] | .tx_packets] | add')
[ "$tx1" -le $((tx0 + 10)) ] || fail "loopback traffic left on the wire ($tx0 -> $tx1 packets)"
ok "two ringstack applications talk over 127.0.0.1, 127.1.2.3 and our addresses, nothing on the wire"

# a closed port over loopback: ICMP port unreachable comes back, ECONNREFUSED
if "$EX/udp_echo_client" 127.0.0.1 9999 1 10 >"$RS_TMP/cli2.out" 2>&1; then
	fail "a send to a closed local port got an echo"
fi
grep -q "Connection refused" "$RS_TMP/cli2.out" || fail "no ECONNREFUSED over lo: $(cat "$RS_TMP/cli2.out")"
ok "ICMP port unreachable over loopback -> ECONNREFUSED"
kill $srv

# ECMP: a ringstack application's datagrams toward an ECMP route leave
in_ns p1 ip route add 10.9.0.0/16 via 10.0.0.1
in_ns p2 ip route add 10.9.0.0/16 via 10.1.0.1
for ns in p1 p2; do
	in_ns $ns ip addr add 10.9.9.9/32 dev lo
	in_ns $ns socat -T 10 UDP4-RECVFROM:9009,bind=10.9.9.9,fork EXEC:cat >/dev/null 2>&1 &
done
wait_for 10 bash -c "ip netns exec p1 ss -uln | grep -q ':9009' && ip netns exec p2 ss -uln | grep -q ':9009'" ||
	fail "socat did not start"
ringctl route add 10.9.9.9/32 nexthop via 10.0.0.2 nexthop via 10.1.0.2
nr0=$(drops no_route)
"$EX/udp_echo_client" 10.9.9.9 9009 20 100 >"$RS_TMP/cli3.out" 2>&1 ||
	fail "client toward an ECMP route: $(cat "$RS_TMP/cli3.out"); no_route drops $(drops no_route)"
[ "$(drops no_route)" = "$nr0" ] || fail "no_route drops grew toward an ECMP route"
ok "application traffic toward an ECMP route is sent and answered"

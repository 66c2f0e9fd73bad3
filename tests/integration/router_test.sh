#!/bin/bash
# Three Linux namespaces on three links through ringstack as a router:
# forwarding, TTL/traceroute, ICMP unreachable after route del, route types,
# MTU and DF, ECMP spreading and stickiness, link-down failover.
. "$(dirname "$0")/_init.sh"

rs_peer a 10.1.0.2/24
rs_peer b 10.2.0.2/24
rs_peer c 10.3.0.2/24
in_ns a ip route add default via 10.1.0.1
in_ns b ip route add default via 10.2.0.1
in_ns c ip route add default via 10.3.0.1
rs_start
ringctl addr add 10.1.0.1/24 dev port0
ringctl addr add 10.2.0.1/24 dev port1
ringctl addr add 10.3.0.1/24 dev port2
ringctl -j link show | jq -e 'all(.[] | select(.name != "lo"); .forwarding == true)' >/dev/null ||
	fail "forwarding is not on by default with three links"

# -- forwarding
in_ns a ping -c 3 -i 0.2 -W 2 10.2.0.2 >/dev/null || fail "a cannot ping b through the router"
in_ns a ping -c 2 -i 0.2 -W 2 -s 3000 10.3.0.2 >/dev/null || fail "fragmented ping a->c"
ok "forwarding a->b, a->c (3000 bytes)"

# -- TCP and UDP through the router (iperf3)
in_ns b iperf3 -s -1 -D -B 10.2.0.2 --logfile "$RS_TMP/iperf-s.log"
wait_for 10 bash -c "ip netns exec b ss -ltn | grep -q ':5201'" ||
	fail "iperf3 server did not start"
in_ns a iperf3 -c 10.2.0.2 -t 2 -J >"$RS_TMP/tcp.json" || fail "iperf3 TCP failed: $(tail -5 "$RS_TMP/tcp.json")"
tcp_bps=$(jq '.end.sum_received.bits_per_second' "$RS_TMP/tcp.json")
jq -e '.end.sum_received.bytes > 0' "$RS_TMP/tcp.json" >/dev/null || fail "iperf3 TCP moved nothing"
in_ns b iperf3 -s -1 -D -B 10.2.0.2 --logfile "$RS_TMP/iperf-s2.log"
wait_for 10 bash -c "ip netns exec b ss -ltn | grep -q ':5201'" || fail "iperf3 server did not restart"
in_ns a iperf3 -c 10.2.0.2 -u -b 20M -l 1200 -t 2 -J >"$RS_TMP/udp.json" || fail "iperf3 UDP failed"
lost=$(jq '.end.sum.lost_percent' "$RS_TMP/udp.json")
jq -e '.end.sum.packets > 1000' "$RS_TMP/udp.json" >/dev/null || fail "iperf3 UDP sent too little"
ok "iperf3 through the router: TCP $(echo "$tcp_bps / 1000000" | bc) Mbit/s, UDP 20 Mbit/s with ${lost}% loss"

# -- TTL: traceroute sees the router as hop 1
in_ns a traceroute -n -q 1 -w 2 -m 3 10.2.0.2 >"$RS_TMP/tr" 2>&1 || true
sed -n 2p "$RS_TMP/tr" | grep -q "10.1.0.1" || fail "traceroute hop 1 is not the router: $(cat "$RS_TMP/tr")"
sed -n 3p "$RS_TMP/tr" | grep -q "10.2.0.2" || fail "traceroute hop 2 is not b: $(cat "$RS_TMP/tr")"
[ "$(drops ttl_expired)" -ge 1 ] || fail "ttl_expired not counted"
ok "traceroute shows the router"

# -- no route: ICMP net unreachable
in_ns a ping -c 1 -W 2 192.0.2.1 >"$RS_TMP/p" 2>&1 && fail "ping to an unrouted address succeeded"
grep -qi "unreachable" "$RS_TMP/p" || fail "no ICMP unreachable for an unrouted destination: $(cat "$RS_TMP/p")"
ok "no route -> ICMP net unreachable"

# -- datagrams to forward that claim one of our addresses, or one of our
# subnet broadcasts, as source are dropped (ip4_forward's fast path asks the
# FIB only when a per-configuration filter of those addresses may match;
# the filter follows addresses added at runtime)
ringctl addr add 10.9.0.1/24 dev port2
spoof() { # SRC: one UDP datagram from SRC to b, sent by a
	in_ns a "$PY" -c "
from scapy.all import IP, UDP, conf, send
conf.verb = 0
send(IP(src='$1', dst='10.2.0.2') / UDP(sport=5555, dport=9), iface='a-l')"
}
local0=$(drops ip4_src_is_local) mart0=$(drops ip4_martian_src)
spoof 10.2.0.1
spoof 10.9.0.1
spoof 10.3.0.255
wait_for 10 bash -c "[ \$($RS_BUILD/app/ringctl -s $RS_SOCK -j stats | jq .drops.ip4_src_is_local) -ge $((local0 + 2)) ]" ||
	fail "forwarded datagrams with our own source: ip4_src_is_local $(drops ip4_src_is_local), expected $((local0 + 2))"
wait_for 10 bash -c "[ \$($RS_BUILD/app/ringctl -s $RS_SOCK -j stats | jq .drops.ip4_martian_src) -ge $((mart0 + 1)) ]" ||
	fail "forwarded a datagram from our subnet broadcast: ip4_martian_src $(drops ip4_martian_src)"
ringctl addr del 10.9.0.1/24 dev port2
ok "our own address (also one added at runtime) or subnet broadcast as source: not forwarded"

# -- neighbor resolution fails: ICMP host unreachable (RFC 1812 4.3.3.1)
in_ns a ping -c 1 -W 6 10.2.0.99 >"$RS_TMP/p" 2>&1 && fail "ping to an absent host succeeded"
grep -qi "Destination Host Unreachable" "$RS_TMP/p" || fail "no host unreachable: $(cat "$RS_TMP/p")"
[ "$(drops neigh_failed)" -ge 1 ] || fail "neigh_failed not counted"
ok "unresolvable next hop -> ICMP host unreachable"

# -- static route via b's host, then route del -> unreachable
in_ns b ip addr add 172.16.0.1/32 dev lo
ringctl route add 172.16.0.0/24 via 10.2.0.2
in_ns a ping -c 1 -W 2 172.16.0.1 >/dev/null || fail "static route not used"
ringctl route del 172.16.0.0/24
in_ns a ping -c 1 -W 5 172.16.0.1 >"$RS_TMP/p" 2>&1 && fail "deleted route still used"
grep -qi "unreachable" "$RS_TMP/p" ||
	fail "no ICMP after route del: $(tr '\n' ' ' <"$RS_TMP/p") workers: $(ringctl -j stats | jq -c '[.workers[] | {icmp_dest_limited, icmp_global_limited}]')"
ok "route add / del"

# -- route types
ringctl route add blackhole 198.51.100.0/24
ringctl route add unreachable 198.51.101.0/24
ringctl route add prohibit 198.51.102.0/24
before=$(drops blackhole)
in_ns a ping -c 1 -W 1 198.51.100.1 >"$RS_TMP/p" 2>&1 && fail "blackhole answered"
grep -qi "unreachable" "$RS_TMP/p" && fail "blackhole sent ICMP"
[ "$(drops blackhole)" -gt "$before" ] || fail "blackhole not counted"
in_ns a ping -c 1 -W 2 198.51.101.1 >"$RS_TMP/p" 2>&1 || true
grep -qi "Destination Host Unreachable" "$RS_TMP/p" || fail "unreachable route: $(cat "$RS_TMP/p")"
in_ns a ping -c 1 -W 2 198.51.102.1 >"$RS_TMP/p" 2>&1 || true
grep -qi "Packet filtered\|Prohibited" "$RS_TMP/p" || fail "prohibit route: $(cat "$RS_TMP/p")"
ok "blackhole / unreachable / prohibit"

# -- MTU and DF (both ends of a link agree on its MTU)
ringctl link set port1 mtu 1000
in_ns b ip link set b-l mtu 1000
in_ns a ping -c 1 -W 2 -s 1400 -M do 10.2.0.2 >"$RS_TMP/p" 2>&1 && fail "DF packet over the egress MTU was forwarded"
grep -q "mtu = 1000\|mtu=1000" "$RS_TMP/p" || fail "no fragmentation needed with mtu 1000: $(cat "$RS_TMP/p")"
in_ns a ip route flush cache
in_ns a ping -c 1 -W 2 -s 1400 -M dont 10.2.0.2 >/dev/null || fail "DF-clear packet was not fragmented"
ringctl link set port1 mtu 1500
in_ns b ip link set b-l mtu 1500
ok "MTU: DF -> frag needed (1000), no DF -> fragmented"

# -- ECMP: b and c both reach 172.20.0.1
in_ns b ip addr add 172.20.0.1/32 dev lo
in_ns c ip addr add 172.20.0.1/32 dev lo
ringctl route add 172.20.0.0/24 nexthop via 10.2.0.2 nexthop via 10.3.0.2
ringctl route show | grep -q "nexthop via 10.3.0.2 dev port2" || fail "ECMP route not shown"
rxb=$(ringctl -j stats | jq '.ports[] | select(.name=="port1") | .tx_packets')
rxc=$(ringctl -j stats | jq '.ports[] | select(.name=="port2") | .tx_packets')
# 32 flows (UDP source ports), 3 packets each; each flow must stay on one path
in_ns b tcpdump -i b-l -nn -l udp dst port 9 2>"$RS_TMP/capb.err" >"$RS_TMP/b.cap" &
capb=$!
in_ns c tcpdump -i c-l -nn -l udp dst port 9 2>"$RS_TMP/capc.err" >"$RS_TMP/c.cap" &
capc=$!
listening "$RS_TMP/capb.err" && listening "$RS_TMP/capc.err" || fail "tcpdump did not start"
in_ns a $PY - <<'PYEOF'
import socket
for sport in range(40000, 40032):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.1.0.2", sport))
    for _ in range(3):
        s.sendto(b"x", ("172.20.0.1", 9))
    s.close()
PYEOF
wait_for 10 bash -c "[ \$(cat $RS_TMP/b.cap $RS_TMP/c.cap | wc -l) -ge 96 ]" || fail "ECMP: not all 96 datagrams arrived"
kill $capb $capc
nb=$(wc -l <"$RS_TMP/b.cap"); nc=$(wc -l <"$RS_TMP/c.cap")
[ "$nb" -gt 0 ] && [ "$nc" -gt 0 ] || fail "ECMP did not spread: b=$nb c=$nc"
for sport in $(seq 40000 40031); do
	inb=$(grep -c "\.$sport >" "$RS_TMP/b.cap" || true)
	inc=$(grep -c "\.$sport >" "$RS_TMP/c.cap" || true)
	[ $((inb * inc)) -eq 0 ] || fail "flow $sport split over both paths ($inb/$inc)"
done
ok "ECMP spreads flows (b=$nb c=$nc) and keeps each on one path"

# -- link down shrinks the group / fails over to a backup route
ringctl link set port2 down
ringctl route show | grep -q "nexthop via 10.3.0.2 dev port2 linkdown" || fail "ECMP member not marked down"
in_ns a ping -c 2 -i 0.2 -W 2 172.20.0.1 >/dev/null || fail "ECMP group did not shrink to the live path"
ringctl link set port2 up
ringctl route add 172.21.0.0/24 via 10.3.0.2 metric 10
ringctl route add 172.21.0.0/24 via 10.2.0.2 metric 20
in_ns b ip addr add 172.21.0.1/32 dev lo
in_ns c ip addr add 172.21.0.1/32 dev lo
ringctl route get 172.21.0.1 | grep -q "via 10.3.0.2" || fail "best metric not chosen"
ringctl link set port2 down
ringctl route get 172.21.0.1 | grep -q "via 10.2.0.2" || fail "no failover to the backup route"
in_ns a ping -c 1 -W 2 172.21.0.1 >/dev/null || fail "backup route not used"
ringctl link set port2 up
ringctl route get 172.21.0.1 | grep -q "via 10.3.0.2" || fail "primary not restored after link up"
ok "link down: ECMP shrinks, backup route takes over, link up restores"

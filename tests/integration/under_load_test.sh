#!/bin/bash
# Changes under load (issue: "changing under load without loss"): a steady
# UDP stream a -> b through the router while thousands of unrelated routes
# are added and deleted, addresses are added on other links, the stream's
# own route is replaced with an identical one, and a link is hot-plugged
# and removed. Every datagram must arrive.
. "$(dirname "$0")/_init.sh"

rs_peer a 10.1.0.2/24
rs_peer b 10.2.0.2/24
rs_peer c 10.3.0.2/24
in_ns a ip route add default via 10.1.0.1
in_ns b ip route add default via 10.2.0.1
in_ns b ip addr add 172.30.0.1/32 dev lo
# a spare veth for hot-plug, its peer in namespace d
ip netns add d
ip link add d-rs type veth peer name d-l
ip link set d-l netns d
ethtool -K d-rs tx off tso off gso off gro off >/dev/null 2>&1 || true
sysctl -qw net.ipv6.conf.d-rs.disable_ipv6=1
ip link set d-rs up
in_ns d ip link set d-l up
in_ns d ip addr add 10.4.0.2/24 dev d-l

rs_start
ringctl addr add 10.1.0.1/24 dev port0
ringctl addr add 10.2.0.1/24 dev port1
ringctl addr add 10.3.0.1/24 dev port2
ringctl route add 172.30.0.0/24 via 10.2.0.2
# resolve both neighbors before the stream starts
in_ns a ping -c 1 -W 2 172.30.0.1 >/dev/null || fail "path a -> b not working"

count=6000
rate=1500
in_ns b $PY - "$count" >"$RS_TMP/recv" <<'PYEOF' &
import socket, sys, time
n = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind(("172.30.0.1", 5001))
s.settimeout(15)
seen = set()
print("ready", flush=True)
try:
    while len(seen) < n:
        d, _ = s.recvfrom(2048)
        seen.add(int(d[:8]))
except socket.timeout:
    pass
print(len(seen), flush=True)
PYEOF
recv=$!
wait_for 10 grep -q ready "$RS_TMP/recv" || fail "receiver did not start"
in_ns a $PY - "$count" "$rate" <<'PYEOF' &
import socket, sys, time
n, rate = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
t0 = time.monotonic()
for i in range(n):
    s.sendto(b"%08d" % i + b"x" * 56, ("172.30.0.1", 5001))
    delay = t0 + (i + 1) / rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
PYEOF
send=$!

# churn while the stream runs (~4 s)
for i in $(seq 0 19); do
	echo "route add 192.168.$i.0/24 via 10.3.0.2"
done >"$RS_TMP/add"
for i in $(seq 0 19); do echo "route del 192.168.$i.0/24"; done >"$RS_TMP/del"
for k in $(seq 0 99); do
	for j in $(seq 0 49); do echo "route add 100.$k.$j.0/24 via 10.3.0.2"; done
done >"$RS_TMP/bulk_add"
sed 's/route add \([^ ]*\) via.*/route del \1/' "$RS_TMP/bulk_add" >"$RS_TMP/bulk_del"
ringctl -b "$RS_TMP/bulk_add"
ringctl route replace 172.30.0.0/24 via 10.2.0.2
ringctl addr add 10.3.1.1/24 dev port2
ringctl route replace 172.30.0.0/24 via 10.2.0.2
ringctl link add hot0 devargs net_af_xdp9,iface=d-rs
ringctl addr add 10.4.0.1/24 dev hot0
in_ns d ping -c 1 -W 2 10.4.0.1 >/dev/null || fail "hot-plugged link does not answer"
ringctl route replace 172.30.0.0/24 via 10.2.0.2
ringctl -b "$RS_TMP/bulk_del"
ringctl link del hot0
ringctl addr del 10.3.1.1/24 dev port2
# again with another PMD (re-binding AF_XDP to a queue just released gets
# EBUSY with DPDK 22.11)
ringctl link add hot1 devargs net_af_packet9,iface=d-rs
ringctl addr add 10.4.0.1/24 dev hot1
in_ns d ping -c 1 -W 2 10.4.0.1 >/dev/null || fail "re-plugged link does not answer"
ringctl link del hot1
ringctl route replace 172.30.0.0/24 via 10.2.0.2

wait $send
wait $recv
got=$(tail -1 "$RS_TMP/recv")
[ "$got" = "$count" ] || fail "lost $((count - got)) of $count datagrams under configuration churn"
[ "$(ringctl route show | grep -c '^100\.')" -eq 0 ] || fail "bulk routes not all deleted"
ringctl link show | grep -q hot && fail "hot-plugged link still listed after link del"
ok "$count datagrams, none lost, through 5000 route adds/dels, replaces, address changes and hot-plug"

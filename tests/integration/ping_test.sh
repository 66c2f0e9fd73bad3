#!/bin/bash
# The peer pings the daemon at every size the foundation issue names,
# 65000 bytes included (reassembly on input, fragmentation on output).
. "$(dirname "$0")/_init.sh"

rs_peer p1 10.0.0.2/24
rs_start
ringctl addr add 10.0.0.1/24 dev port0

for size in 0 56 1472 3000 65000; do
	in_ns p1 ping -c 3 -i 0.2 -W 2 -s $size 10.0.0.1 >"$RS_TMP/ping.out" ||
		fail "ping -s $size: $(tail -2 "$RS_TMP/ping.out")"
	grep -q " 0% packet loss" "$RS_TMP/ping.out" || fail "ping -s $size lost packets"
	ok "ping -s $size"
done
# the neighbor was learned from the peer's request (STALE) or our resolution
ringctl neigh show | grep -q "10.0.0.2 dev port0 lladdr $(mac_of p1 p1-l)" ||
	fail "peer not in the neighbor table: $(ringctl neigh show)"
[ "$(node_pkts icmp4_input)" -ge 15 ] || fail "icmp4_input saw too few packets"
[ "$(node_pkts ip4_reass)" -gt 0 ] || fail "reassembly never ran"
ok "neighbor learned, reassembly used"

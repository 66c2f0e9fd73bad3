#!/bin/bash
# ARP flood (RFC 1122 §2.3.2.1: a bounded cache; RFC 826: only requests for
# us add their sender): with --neigh-max 64, 2000 requests for our address
# from 2000 forged senders and 2000 unsolicited replies from 2000 others
# leave at most 64 entries, none from a reply, the static entry in place, and
# the daemon answering ARP and ping.
. "$(dirname "$0")/_init.sh"

rs_peer p1 10.0.0.2/16
rs_peer_quiet p1
rs_start --neigh-max 64
ringctl addr add 10.0.0.1/16 dev port0
ringctl neigh add 10.0.0.77 lladdr 02:00:00:00:00:77 dev port0
OURMAC=$(rs_link_mac port0)
PEERMAC=$(mac_of p1 p1-l)
in_ns p1 ping -c 1 -W 2 10.0.0.1 >/dev/null || fail "ping before the flood"
ringctl stats clear

export OURMAC PEERMAC
in_ns p1 "$PY" - >"$RS_TMP/scapy.out" 2>&1 <<'EOF' || { cat "$RS_TMP/scapy.out"; fail "scapy flood"; }
import os
from scapy.all import ARP, Ether, conf, sendp

conf.verb = 0
us, peer_mac = os.environ["OURMAC"].lower(), os.environ["PEERMAC"].lower()
frames = []
for i in range(2000):
    # requests for 10.0.0.1 from 10.0.8.1 .. 10.0.15.250, each its own MAC
    ip = "10.0.%d.%d" % (8 + i // 250, 1 + i % 250)
    mac = "02:aa:00:00:%02x:%02x" % (i >> 8, i & 0xFF)
    frames.append(Ether(dst="ff:ff:ff:ff:ff:ff", src=mac) /
                  ARP(op=1, hwsrc=mac, psrc=ip, hwdst="00:00:00:00:00:00", pdst="10.0.0.1"))
for i in range(2000):
    # replies nobody asked for, addressed to us, from 10.0.32.1 .. 10.0.39.250
    ip = "10.0.%d.%d" % (32 + i // 250, 1 + i % 250)
    mac = "02:bb:00:00:%02x:%02x" % (i >> 8, i & 0xFF)
    frames.append(Ether(dst=us, src=mac) /
                  ARP(op=2, hwsrc=mac, psrc=ip, hwdst=us, pdst="10.0.0.1"))
sendp(frames, iface="p1-l")
print("sent", len(frames))
EOF

# every frame that reached the port went through arp_input
rx_port() { ringctl -j stats | jq -r '.ports[0].rx_packets'; }
all_seen() { [ "$(node_pkts arp_input)" -eq "$(rx_port)" ] && [ "$(rx_port)" -gt 0 ]; }
wait_for 10 all_seen || fail "arp_input saw $(node_pkts arp_input) of $(rx_port) frames"
rx=$(rx_port)
# frames the workers sent in answer to what arrived: the port's count less
# what the control plane originated (the link's MLD reports and DAD probes,
# injected through ctl_input, may still go out after the stats were cleared)
# and any IPv6 answer. One snapshot: with the counts read by separate
# calls, a report injected between them made 2000 answers read as 1999.
tx_port() {
	ringctl -j stats | jq -r '.ports[0].tx_packets
		- ([.nodes[] | select(.name == "ctl_input" or .name == "eth_output6") | .packets] | add // 0)'
}
echo "flood: $rx of 4000 frames received, $(tx_port) answers sent, ctl_ring_full $(drops ctl_ring_full)"
# every request for us that arrived is answered, nothing else is sent (when
# the kernel dropped none of the flood: then we know how many were requests)
if [ "$rx" -eq 4000 ]; then
	wait_for 5 test "$(tx_port)" -ge 2000 || fail "$(tx_port) ARP replies to 2000 requests"
	# equal once a control-plane frame counted by ctl_input has also left
	# the port (the two counters move one after the other)
	wait_for 5 test "$(tx_port)" -eq 2000 || fail "sent $(tx_port) frames for 2000 requests"
	ok "2000 requests for us answered, 2000 unsolicited replies ignored"
fi

# the daemon still answers, and the peer's own request finds room
in_ns p1 ip neigh flush dev p1-l
in_ns p1 ping -c 3 -i 0.2 -W 2 10.0.0.1 >"$RS_TMP/ping.out" ||
	fail "ping after the flood: $(cat "$RS_TMP/ping.out")"
ok "daemon answers ARP and ping after the flood"

ringctl -j neigh show >"$RS_TMP/neigh.json"
n=$(jq length "$RS_TMP/neigh.json")
[ "$n" -le 64 ] || fail "$n neighbor entries with --neigh-max 64"
[ "$(ringctl -j stats | jq .neighbors)" -le 64 ] || fail "stats: more than 64 neighbors"
jq -e '[.[] | select(.dst | startswith("10.0.3"))] | length == 0' "$RS_TMP/neigh.json" >/dev/null ||
	fail "unsolicited replies created entries: $(jq -c '[.[] | select(.dst | startswith("10.0.3")) | .dst]' "$RS_TMP/neigh.json")"
jq -e '[.[] | select(.dst | startswith("10.0.3") | not) | select(.dst != "10.0.0.77")]
	| all(.state == "STALE" or .state == "REACHABLE" or .state == "DELAY" or .state == "PROBE")' \
	"$RS_TMP/neigh.json" >/dev/null || fail "unexpected entries: $(cat "$RS_TMP/neigh.json")"
jq -e '.[] | select(.dst == "10.0.0.77") | .state == "PERMANENT" and .lladdr == "02:00:00:00:00:77"' \
	"$RS_TMP/neigh.json" >/dev/null || fail "the static entry was evicted: $(jq -c '[.[].dst]' "$RS_TMP/neigh.json")"
jq -e --arg m "$PEERMAC" '.[] | select(.dst == "10.0.0.2") | .lladdr == $m' "$RS_TMP/neigh.json" >/dev/null ||
	fail "the peer is not in the table: $(jq -c '[.[].dst]' "$RS_TMP/neigh.json")"
# the flood filled the table: learning from requests for us still works
[ "$n" -eq 64 ] || fail "expected a full table (64), got $n"
ok "$n entries (<= 64), none from unsolicited replies, static entry and peer present"

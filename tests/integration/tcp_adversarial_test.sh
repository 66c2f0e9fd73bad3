#!/bin/bash
# TCP under attack, against Linux peers on a veth:
#  (a) a SYN flood (tcp_synflood.c, AF_PACKET, spoofed source) at the rate
#      the veth carries, against a listener with a backlog of 64: SYN cookies
#      answer it (counters), a connection established before it keeps moving
#      (RS_ADV_BYTES, default 256 MB, hash checked, through an edge-triggered
#      epoll server) and a new connection still completes within 8 s (its
#      SYNs may be lost at the saturated link: Linux retries at 1 s and 3 s);
#  (b..d) wire-level checks with scapy (tcp_adv.py, see its header).
. "$(dirname "$0")/_init.sh"

BIN=$RS_BUILD/tests/integration
RS=$BIN/rs_tcp
LX=$BIN/rs_tcp_linux
FLOOD=$BIN/tcp_synflood
BYTES=${RS_ADV_BYTES:-268435456}
[ -x "$RS" ] && [ -x "$LX" ] && [ -x "$FLOOD" ] || fail "rs_tcp / rs_tcp_linux / tcp_synflood not built"

rs_peer p1 10.0.0.2/24
rs_peer_quiet p1
rs_start
ringctl addr add 10.0.0.1/24 dev port0
RS_MAC=$(rs_link_mac port0)
# the flood's spoofed source: its SYN-ACKs go to a MAC nobody has
ringctl neigh add 10.0.0.66 lladdr 02:00:00:00:00:66 dev port0

tcpstat() { ringctl -j stats | jq -r ".tcp.$1"; }
tcpstat_above() { [ "$(tcpstat "$1")" -gt "$2" ]; }
listening() { grep -q "^listening" "$RS_TMP/$1"; }

"$RS" echo 7300 0 >"$RS_TMP/echo.log" 2>&1 &
echo_pid=$!
wait_for 10 listening echo.log || fail "echo server: $(cat "$RS_TMP/echo.log")"

# ---- (a) SYN flood (RS_ADV_NOFLOOD=1 skips it, to look at the rest) ----
if [ -z "${RS_ADV_NOFLOOD:-}" ]; then
"$RS" etsink 8083 "$BYTES" >"$RS_TMP/et.log" 2>&1 &
et_pid=$!
wait_for 10 listening et.log || fail "etsink: $(cat "$RS_TMP/et.log")"
# the established connection: connected before the flood, sending through it
in_ns p1 timeout 60 "$LX" push 10.0.0.1 8083 "$BYTES" >"$RS_TMP/push.log" 2>&1 &
push_pid=$!
cookies0=$(tcpstat syncookies_sent)
in_ns p1 "$FLOOD" p1-l "$RS_MAC" 10.0.0.66 10.0.0.1 7300 4 >"$RS_TMP/flood.log" 2>&1 &
flood_pid=$!
wait_for 10 tcpstat_above syncookies_sent "$((cookies0 + 1000))" ||
	fail "no SYN cookies under a SYN flood: $(tcpstat syncookies_sent)"
# a new connection while the flood goes on
in_ns p1 $PY - >"$RS_TMP/newconn.log" 2>&1 <<'PYEOF' || fail "new connection under the flood: $(cat "$RS_TMP/newconn.log"); tcp: $(ringctl -j stats | jq -c .tcp)"
import socket, time
t0 = time.time()
s = socket.create_connection(("10.0.0.1", 7300), timeout=5)
s.sendall(b"hello under a flood")
got = b""
while len(got) < 19:
    d = s.recv(100)
    assert d, "EOF after %r" % got
    got += d
assert got == b"hello under a flood", got
print("%.3f" % (time.time() - t0))
PYEOF
newconn=$(cat "$RS_TMP/newconn.log")
wait "$flood_pid" || fail "flooder: $(cat "$RS_TMP/flood.log")"
wait "$push_pid" || fail "the established connection under the flood: $(cat "$RS_TMP/push.log"); server: $(cat "$RS_TMP/et.log")"
wait "$et_pid" || fail "etsink under the flood: $(cat "$RS_TMP/et.log")"
# the link is saturated: a SYN lost before the stack sees it costs Linux's
# retransmission (1 s, then 2 s more); a third try still counts
[ "$(echo "$newconn < 8" | bc)" = 1 ] || fail "the new connection took $newconn s"
cookies=$(( $(tcpstat syncookies_sent) - cookies0 ))
ok "SYN flood: $(cat "$RS_TMP/flood.log"), $cookies SYN cookies sent; established connection: $(grep -o '[0-9]* bytes, .*' "$RS_TMP/et.log"); new connection and echo in $newconn s"
fi

# ---- (b..d) scapy, from 10.0.0.3: an address p1's kernel does not own ----
P1_MAC=$(in_ns p1 cat /sys/class/net/p1-l/address 2>/dev/null || in_ns p1 ip -o link show p1-l | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
ringctl neigh add 10.0.0.3 lladdr "$P1_MAC" dev port0
ADV=$RS_ROOT/tests/integration/tcp_adv.py
adv() { in_ns p1 $PY "$ADV" "$1" p1-l "$RS_MAC" 10.0.0.3 10.0.0.1 "${2:-7301}"; }
# a listener of their own: the flooded one may still answer with cookies
"$RS" echo 7301 0 >"$RS_TMP/echo1.log" 2>&1 &
echo1=$!
wait_for 10 listening echo1.log || fail "echo server: $(cat "$RS_TMP/echo1.log")"

lim0=$(tcpstat challenge_acks_limited)
adv rfc5961 >"$RS_TMP/rfc5961.log" 2>&1 || fail "RFC 5961: $(cat "$RS_TMP/rfc5961.log")"
[ "$(tcpstat challenge_acks_limited)" -gt "$lim0" ] || fail "RFC 5961: challenge_acks_limited did not move"
ok "RFC 5961: $(grep -c '^ok' "$RS_TMP/rfc5961.log") checks (out-of-window RST dropped, in-window RST and SYN challenged, per-connection limit, exact RST resets); challenge_acks $(tcpstat challenge_acks), limited $(tcpstat challenge_acks_limited)"

free0=$(ringctl -j stats | jq -r .mbufs.free)
adv sack >"$RS_TMP/sack.log" 2>&1 || fail "SACK storm: $(cat "$RS_TMP/sack.log")"
free1=$(ringctl -j stats | jq -r .mbufs.free)
size=$(ringctl -j stats | jq -r .mbufs.size)
# what the storm leaves held: at most the connection's retransmit queue
[ $((free0 - free1)) -lt 256 ] || fail "SACK storm: $((free0 - free1)) of $size packet buffers still held"
ok "$(grep -o 'SACK storm.*' "$RS_TMP/sack.log"); buffers held after: $((free0 - free1)) of $size; sack_blocks_ignored $(tcpstat sack_blocks_ignored), retrans_segs $(tcpstat retrans_segs)"

# SYN option variants: ringstack against a Linux listener, from scapy in p1
ip netns add lx
ip link add lxa type veth peer name lxb
ip link set lxa netns p1
ip link set lxb netns lx
in_ns p1 ip link set lxa up
in_ns lx ip link set lo up
in_ns lx ip addr add 10.9.0.1/24 dev lxb
in_ns lx ip link set lxb up
in_ns p1 ethtool -K lxa tx off tso off gso off gro off >/dev/null 2>&1 || true
in_ns lx ethtool -K lxb tx off tso off gso off gro off >/dev/null 2>&1 || true
LXA_MAC=$(in_ns p1 ip -o link show lxa | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
LXB_MAC=$(in_ns lx ip -o link show lxb | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
in_ns lx ip neigh add 10.9.0.3 lladdr "$LXA_MAC" dev lxb
in_ns lx $PY -c 'import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 7400)); s.listen(128); print("listening", flush=True); time.sleep(60)' >"$RS_TMP/lxl.log" 2>&1 &
lxl=$!
"$RS" echo 7400 0 >"$RS_TMP/echo2.log" 2>&1 &
echo2=$!
wait_for 10 listening lxl.log || fail "Linux listener"
wait_for 10 listening echo2.log || fail "ringstack listener"
adv synopts 7400 >"$RS_TMP/opts_rs.log" 2>&1 || fail "SYN options against ringstack: $(cat "$RS_TMP/opts_rs.log")"
in_ns p1 $PY "$ADV" synopts lxa "$LXB_MAC" 10.9.0.3 10.9.0.1 7400 >"$RS_TMP/opts_lx.log" 2>&1 ||
	fail "SYN options against Linux: $(cat "$RS_TMP/opts_lx.log")"
kill "$lxl" "$echo2" 2>/dev/null || true
if ! diff "$RS_TMP/opts_lx.log" "$RS_TMP/opts_rs.log" >"$RS_TMP/opts.diff"; then
	fail "SYN option variants answered unlike Linux (< Linux, > ringstack): $(cat "$RS_TMP/opts.diff")"
fi
[ -n "${RS_ADV_SHOW:-}" ] && paste -d"|" "$RS_TMP/opts_rs.log" "$RS_TMP/opts_lx.log"
ok "$(wc -l <"$RS_TMP/opts_rs.log") SYN option variants (MSS/WS/SACK/TS combinations, odd and broken lengths) answered as Linux answers them"
kill "$echo_pid" "$echo1" 2>/dev/null || true

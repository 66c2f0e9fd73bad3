#!/bin/bash
# TCP under attack, against Linux peers on a veth:
#  (a) a SYN flood (tcp_synflood.c, AF_PACKET, spoofed source) at the rate
#      the veth carries, against a listener with a backlog of 64: SYN cookies
#      answer it (counters), a connection established before it keeps moving
#      (RS_ADV_BYTES, default 256 MB, hash checked, through an edge-triggered
#      epoll server) and a new connection still completes within 2 s;
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

# ---- (a) SYN flood ----
"$RS" echo 7300 0 >"$RS_TMP/echo.log" 2>&1 &
echo_pid=$!
"$RS" etsink 8083 "$BYTES" >"$RS_TMP/et.log" 2>&1 &
et_pid=$!
wait_for 10 listening echo.log || fail "echo server: $(cat "$RS_TMP/echo.log")"
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
in_ns p1 $PY - >"$RS_TMP/newconn.log" 2>&1 <<'PYEOF' || fail "new connection under the flood: $(cat "$RS_TMP/newconn.log")"
import socket, time
t0 = time.time()
s = socket.create_connection(("10.0.0.1", 7300), timeout=5)
s.sendall(b"hello under a flood")
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    d = s.recv(100)
    if not d:
        break
    got += d
assert got == b"hello under a flood", got
print("%.3f" % (time.time() - t0))
PYEOF
newconn=$(cat "$RS_TMP/newconn.log")
wait "$flood_pid" || fail "flooder: $(cat "$RS_TMP/flood.log")"
wait "$push_pid" || fail "the established connection under the flood: $(cat "$RS_TMP/push.log"); server: $(cat "$RS_TMP/et.log")"
wait "$et_pid" || fail "etsink under the flood: $(cat "$RS_TMP/et.log")"
[ "$(echo "$newconn < 2" | bc)" = 1 ] || fail "the new connection took $newconn s"
cookies=$(( $(tcpstat syncookies_sent) - cookies0 ))
ok "SYN flood: $(cat "$RS_TMP/flood.log"), $cookies SYN cookies sent; established connection: $(grep -o '[0-9]* bytes, .*' "$RS_TMP/et.log"); new connection and echo in $newconn s"

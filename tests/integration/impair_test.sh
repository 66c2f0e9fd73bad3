#!/bin/bash
# Link impairment inside ringstack (this kernel has no netem): `ringctl link
# set NAME impair ...` on one link, in and out. Pings through a lossy link
# lose about what was configured; a delay shows in the round-trip time; the
# counters (link show, stats, -j) and the named drop reasons move; bad
# parameters are refused with one line; `impair off` restores a clean link;
# a TCP transfer between ringstack and Linux survives 2 % loss, reordering,
# duplication and 20 ms delay, checked by hash.
. "$(dirname "$0")/_init.sh"

BIN=$RS_BUILD/tests/integration
BYTES=${RS_IMPAIR_BYTES:-1048576}
rs_peer p1 10.0.0.2/24
rs_peer_quiet p1
rs_start
ringctl addr add 10.0.0.1/24 dev port0
in_ns p1 ping -c 1 -W 2 10.0.0.1 >/dev/null || fail "no ping before impairment"

imp() { ringctl -j link show port0 | jq -r ".[0].impair.$1"; }

# ---- parsing: errors change nothing ----
for bad in "loss 101%" "loss x" "delay -1" "jitter 5ms" "direction sideways" "bogus 1" "loss"; do
	# shellcheck disable=SC2086
	if ringctl link set port0 impair $bad 2>"$RS_TMP/err"; then
		fail "impair $bad accepted"
	fi
	[ "$(wc -l <"$RS_TMP/err")" -eq 1 ] || fail "impair $bad: not one line: $(cat "$RS_TMP/err")"
done
[ "$(imp in.on)" = false ] && [ "$(imp out.on)" = false ] || fail "a refused command changed the link"
ringctl link set lo impair loss 1% 2>/dev/null && fail "lo impaired"
ok "bad parameters refused with one line, nothing changed"

# ---- delay: 20 ms each way => RTT >= 40 ms ----
ringctl link set port0 impair delay 20ms seed 7
ringctl link show port0 | grep -q "impair in: loss 0% delay 20ms" ||
	fail "link show: $(ringctl link show port0)"
in_ns p1 ping -c 5 -i 0.2 -W 2 10.0.0.1 >"$RS_TMP/ping.out" || fail "delayed ping: $(cat "$RS_TMP/ping.out")"
min=$(sed -n 's|.*= \([0-9.]*\)/.*|\1|p' "$RS_TMP/ping.out")
awk -v m="$min" 'BEGIN { exit !(m >= 40 && m < 200) }' || fail "rtt min $min ms, expected >= 40"
[ "$(imp in.delayed)" -ge 5 ] && [ "$(imp out.delayed)" -ge 5 ] ||
	fail "delayed counters: in $(imp in.delayed) out $(imp out.delayed)"
ok "delay 20ms each way: min rtt $min ms, counters in $(imp in.delayed) out $(imp out.delayed)"

# ---- loss 30% on input only: UDP from the peer ----
ringctl link set port0 impair off
ringctl link set port0 impair loss 30% seed 42 direction in
[ "$(imp in.on)" = true ] && [ "$(imp out.on)" = false ] || fail "direction in not applied"
# the daemon answers UDP to a closed port with ICMP: count those replies
l0=$(drops impair_loss)
in_ns p1 $PY - <<'PYEOF' >"$RS_TMP/udp.out" || fail "udp sender"
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(1000):
    s.sendto(b"x" * 64, ("10.0.0.1", 9999))
PYEOF
wait_for 10 drops_reach impair_loss $((l0 + 200)) || fail "impair_loss drops: $(drops impair_loss)"
lost=$(($(drops impair_loss) - l0))
[ "$lost" -ge 200 ] && [ "$lost" -le 400 ] || fail "lost $lost of 1000 at 30%"
[ "$(imp in.dropped)" -ge "$lost" ] || fail "in.dropped $(imp in.dropped) < $lost"
ringctl stats | grep -q "^port0 *in " || fail "stats has no impair line: $(ringctl stats | head -20)"
[ "$(ringctl -j stats | jq -r '.impair[] | select(.direction == "in") | .dropped')" -ge "$lost" ] ||
	fail "stats -j impair"
ok "loss 30% in: $lost of 1000 datagrams dropped (drop:impair_loss, link show, stats)"

# ---- duplicate and corrupt on output: ping replies ----
ringctl link set port0 impair off
ringctl link set port0 impair duplicate 50% corrupt 0% seed 3 direction out
in_ns p1 ping -c 20 -i 0.05 -W 2 10.0.0.1 >"$RS_TMP/ping2.out" || true
grep -q "DUP!" "$RS_TMP/ping2.out" || fail "no duplicate replies: $(tail -3 "$RS_TMP/ping2.out")"
[ "$(imp out.duplicated)" -ge 1 ] || fail "out.duplicated $(imp out.duplicated)"
ok "duplicate 50% out: peer saw DUP! replies, out.duplicated $(imp out.duplicated)"
ringctl link set port0 impair corrupt 100% seed 3 direction in
c0=$(imp in.corrupted)
in_ns p1 ping -c 3 -i 0.1 -W 1 10.0.0.1 >/dev/null 2>&1 && fail "pings through 100% corruption"
[ "$(imp in.corrupted)" -ge $((c0 + 3)) ] || fail "in.corrupted $(imp in.corrupted)"
ok "corrupt 100% in: no reply, in.corrupted $(imp in.corrupted)"

# ---- off: clean again ----
ringctl link set port0 impair off
[ "$(imp in.on)" = false ] && [ "$(imp out.on)" = false ] || fail "impair off"
# ARP has no checksum: a frame the corruption above flipped a bit of may
# have taught either side a wrong MAC (as it would teach Linux), which NUD
# mends only after its probe times out. Both sides learn again.
ringctl neigh del 10.0.0.2 dev port0 2>/dev/null || true
in_ns p1 ip neigh flush dev p1-l
in_ns p1 ping -c 5 -i 0.1 -W 2 10.0.0.1 >"$RS_TMP/ping3.out" ||
	fail "ping after off: $(tail -3 "$RS_TMP/ping3.out"); $(ringctl neigh show)"
grep -q " 0% packet loss" "$RS_TMP/ping3.out" || fail "loss after off: $(tail -3 "$RS_TMP/ping3.out")"
ok "impair off: clean"

# ---- TCP under 2% loss, 5% reorder, 1% duplicate, 20 ms delay ----
ringctl link set port0 impair loss 2% delay 20ms reorder 5% duplicate 1% seed 9
in_ns p1 timeout 60 "$BIN/rs_tcp_linux" srv 9090 "$BYTES" >"$RS_TMP/srv.log" 2>&1 &
srv=$!
wait_for 10 grep -q "^listening" "$RS_TMP/srv.log" || fail "Linux server: $(cat "$RS_TMP/srv.log")"
timeout 60 "$BIN/rs_tcp" cli 10.0.0.2 9090 "$BYTES" >"$RS_TMP/cli.log" 2>&1 ||
	fail "ringstack client: $(cat "$RS_TMP/cli.log"); server: $(cat "$RS_TMP/srv.log")"
wait $srv || fail "Linux server: $(cat "$RS_TMP/srv.log")"
for k in in.dropped out.dropped in.delayed in.reordered; do
	[ "$(imp "$k")" -ge 1 ] || fail "$k did not move: $(ringctl link show port0)"
done
ok "TCP under impairment: $(grep -o '[0-9]* bytes each way.*' "$RS_TMP/cli.log")"
ringctl link show port0 | grep "impair\|dropped"

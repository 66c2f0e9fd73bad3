#!/bin/bash
# 10,000 concurrent TCP connections between Linux and ringstack, both ways
# (issue 9): all open at once, a message echoed on each, all closed with
# FIN; the daemon's TCP table is empty afterwards (no connection or socket
# leaked, none reset). tests/integration/rs_conns.c is both sides: on
# libringsock (rs_conns) and on kernel sockets (rs_conns_linux).
# In the default run (README, "10,000 connections"; 3-30 s).
#   RS_CONNS=N   connections (default 10000)
#   RS_CONNS_WINDOW=W  handshakes, messages and shutdowns in flight per side
#                (default 512; a larger one sends bursts ringstack and the
#                veth do not absorb: see README)
#   RS_CONNS_STALL=MS  (a reproducer, not a check) stop the daemon for MS
#                milliseconds out of every MS+100 during the Linux-client
#                direction: a worker descheduled for longer than an RTO
#                retransmits FINs whose final ACK is in flight; the peer's
#                TIME-WAIT answers the copy and that ACK, for a connection
#                gone, draws a RST (tcp.syncookies_failed: it reaches the
#                listener). Rare even so: with 500, an equivalent loop
#                outside the tree failed 3 runs of 9, this one none of 10.
. "$(dirname "$0")/_init.sh"

N=${RS_CONNS:-10000}
T=$RS_BUILD/tests/integration
[ -x "$T/rs_conns" ] && [ -x "$T/rs_conns_linux" ] || fail "rs_conns not built"
# the daemon's end of every socket's wake pair, and each side's sockets
ulimit -Hn $((4 * N + 1024)) 2>/dev/null || true
ulimit -n $((4 * N + 1024)) 2>/dev/null || true

rs_peer p1 10.0.0.2/24
# one worker: its table must hold all N (default 8192 per worker)
rs_start --tcp-max-conns $((N + 2048))
ringctl addr add 10.0.0.1/24 dev port0
in_ns p1 sysctl -qw net.ipv4.ip_local_port_range="20000 60999" net.core.somaxconn=4096

tcp() { ringctl -j stats | jq -r ".tcp.$1"; }
# tcp_quiet: no connection left in ringstack's tables and no TCP socket in
# sock show
tcp_quiet() {
	[ "$(tcp conns)" -eq 0 ] &&
		[ "$(ringctl -j sock show | jq '[.[] | select(.proto == "tcp")] | length')" -eq 0 ]
}
# What must not move: connections reset, failed attempts, and RSTs other
# than those answering an ACK that reached only a listener and failed its
# SYN-cookie check (syncookies_failed). Those come from a FIN resent in
# LAST-ACK crossing the peer's final ACK (RS_CONNS_STALL below): the
# connection ends on the first ACK, the peer's TIME-WAIT ACKs the copy, and
# that ACK finds no connection; Linux answers it with a RST too.
resets() {
	ringctl -j stats | jq -r '.tcp | "\(.estab_resets) \(.out_rsts - .syncookies_failed) \(.attempt_fails)"'
}
# what a failed resets check reports: where RSTs came from
rst_why() {
	ringctl -j stats | jq -c '.tcp | {out_rsts, syncookies_failed, syncookies_sent, listen_overflows,
		timeouts, tlp_probes, retrans_segs, estab_resets, attempt_fails, no_stock, challenge_acks}'
}

# ---- Linux client -> ringstack server ----
if [ "${RS_CONNS_DIRS:-both}" != rs_cli ]; then
r0=$(resets)
p0=$(tcp passive_opens)
t0=$SECONDS
"$T/rs_conns" srv 8080 "$N" >"$RS_TMP/srv.log" 2>&1 &
srv=$!
wait_for 10 grep -q listening "$RS_TMP/srv.log" || fail "server: $(cat "$RS_TMP/srv.log")"
stall=
if [ -n "${RS_CONNS_STALL:-}" ]; then
	# a fixed rhythm on purpose: this knob reproduces a stall, it waits for nothing
	( while kill -0 $srv 2>/dev/null; do
		sleep 0.1
		kill -STOP "$RS_PID"
		sleep "$(awk "BEGIN { print $RS_CONNS_STALL / 1000 }")"
		kill -CONT "$RS_PID"
	done ) &
	stall=$!
fi
in_ns p1 "$T/rs_conns_linux" cli 10.0.0.1 8080 "$N" >"$RS_TMP/cli.log" 2>&1 ||
	fail "Linux client: $(tail -3 "$RS_TMP/cli.log"); server: $(tail -3 "$RS_TMP/srv.log")"
wait $srv || fail "ringstack server: $(tail -3 "$RS_TMP/srv.log")"
if [ -n "$stall" ]; then
	wait "$stall" || true
	kill -CONT "$RS_PID"
fi
grep -q "^served $N peak $N" "$RS_TMP/srv.log" || fail "server: $(cat "$RS_TMP/srv.log")"
p1=$(tcp passive_opens)
[ $((p1 - p0)) -eq "$N" ] || fail "passive opens moved $p0 -> $p1, not by $N"
wait_for 20 tcp_quiet || fail "after the server exited: tcp.conns $(tcp conns), sock show: $(ringctl sock show | head -5)"
[ "$(resets)" = "$r0" ] || fail "resets/RSTs/failed attempts moved: $r0 -> $(resets) ($(rst_why))"
ok "Linux client -> ringstack server: $N connections open at once, each echoed, closed by FIN ($(grep "^closed" "$RS_TMP/cli.log" | sed 's/.*(//;s/)//')); $((SECONDS - t0)) s; no connection left, no reset"

fi
# ---- ringstack client -> Linux server (the server closes first, so
# ringstack's side ends passively and leaves no TIME-WAIT) ----
r0=$(resets)
a0=$(tcp active_opens)
t0=$SECONDS
in_ns p1 "$T/rs_conns_linux" srv 9090 "$N" srvclose >"$RS_TMP/lsrv.log" 2>&1 &
lsrv=$!
wait_for 10 grep -q listening "$RS_TMP/lsrv.log" || fail "Linux server: $(cat "$RS_TMP/lsrv.log")"
"$T/rs_conns" cli 10.0.0.2 9090 "$N" srvclose >"$RS_TMP/rcli.log" 2>&1 ||
	fail "ringstack client: $(tail -3 "$RS_TMP/rcli.log"); Linux server: $(tail -3 "$RS_TMP/lsrv.log")"
wait $lsrv || fail "Linux server: $(tail -3 "$RS_TMP/lsrv.log")"
grep -q "^served $N peak $N" "$RS_TMP/lsrv.log" || fail "Linux server: $(cat "$RS_TMP/lsrv.log")"
a1=$(tcp active_opens)
[ $((a1 - a0)) -eq "$N" ] || fail "active opens moved $a0 -> $a1, not by $N"
if ! wait_for 20 tcp_quiet; then
	if [ -n "${RS_CONNS_DEBUG:-}" ]; then
		ringctl sock show | head -5 >&2 || true
		port=$(ringctl -j sock show | jq -r "[.[] | select(.proto == \"tcp\")][0].local" | cut -d: -f2)
		in_ns p1 ss -tanoi "( sport = :$port or dport = :$port )" >&2 || true
		in_ns p1 timeout 25 tcpdump -S -ni p1-l -c 6 "tcp port $port" >&2 2>&1 || true
		ringctl -j sock show | jq -c "[.[] | select(.local | endswith(\":$port\"))]" >&2 || true
		in_ns p1 ss -tan | awk '{print $1}' | sort | uniq -c >&2
		in_ns p1 nstat -az TcpExt* 2>/dev/null | grep -v " 0 " >&2 || true
	fi
	fail "after the client exited: tcp.conns $(tcp conns), sock show: $(ringctl sock show | head -5)"
fi
[ "$(resets)" = "$r0" ] || fail "resets/RSTs/failed attempts moved: $r0 -> $(resets) ($(rst_why))"
ok "ringstack client -> Linux server: $N connections open at once, each echoed, closed by FIN ($(grep "^closed" "$RS_TMP/rcli.log" | sed 's/.*(//;s/)//')); $((SECONDS - t0)) s; no connection left, no reset"

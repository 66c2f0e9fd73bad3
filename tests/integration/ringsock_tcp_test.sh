#!/bin/bash
# TCP through libringsock: real C programs (tests/integration/rs_tcp.c,
# built on libringsock as rs_tcp and on kernel sockets as rs_tcp_linux)
# against the daemon and Linux peers. A ringstack server and a Linux client,
# and the reverse, each sending RS_TCP_BYTES (default 64 MB) both ways at
# once with a half-close at the end, checked by hash; an edge-triggered epoll
# server reads RS_TCP_BYTES from Linux to the end; close with unread data
# sends RST (the Linux peer sees ECONNRESET) and the reverse, and so does
# close after SO_LINGER {1, 0}; a socket closed in TIME-WAIT goes at once;
# connect to a
# closed port gives ECONNREFUSED (blocking, and non-blocking through epoll
# and SO_ERROR) and ETIMEDOUT (TCP_USER_TIMEOUT, SYNs routed into a black
# hole); non-blocking connect, epoll readiness, MSG_PEEK,
# MSG_WAITALL, options and half-close against an echo server on Linux and
# on ringstack; SO_REUSEPORT listeners in two applications; two ringstack
# applications over 127.0.0.1 and over the daemon's own address.
. "$(dirname "$0")/_init.sh"

BIN=$RS_BUILD/tests/integration
RS=$BIN/rs_tcp
LX=$BIN/rs_tcp_linux
BYTES=${RS_TCP_BYTES:-67108864}
[ -x "$RS" ] && [ -x "$LX" ] || fail "rs_tcp / rs_tcp_linux not built"

rs_peer p1 10.0.0.2/24
rs_start
ringctl addr add 10.0.0.1/24 dev port0

# run_bg LOG CMD...: in the background, output to $RS_TMP/LOG
run_bg() { local log=$1; shift; "$@" >"$RS_TMP/$log" 2>&1 & }
listening() { grep -q "^listening" "$RS_TMP/$1"; }
# finish PID LOG: wait for PID; fail with its log if it failed
finish() { wait "$1" || fail "$2: $(cat "$RS_TMP/$2")"; }

# ---- bulk both ways, half-close, checked by hash ----
run_bg srv1.log timeout 60 "$RS" srv 8080 "$BYTES"
srv=$!
wait_for 10 listening srv1.log || fail "ringstack server: $(cat "$RS_TMP/srv1.log")"
in_ns p1 timeout 60 "$LX" cli 10.0.0.1 8080 "$BYTES" >"$RS_TMP/cli1.log" 2>&1 ||
	fail "Linux client: $(cat "$RS_TMP/cli1.log"); server: $(cat "$RS_TMP/srv1.log")"
finish $srv srv1.log
ok "ringstack server, Linux client: $(grep -o '[0-9]* bytes each way.*' "$RS_TMP/srv1.log")"

in_ns p1 timeout 60 "$LX" srv 9090 "$BYTES" >"$RS_TMP/srv2.log" 2>&1 &
srv=$!
wait_for 10 listening srv2.log || fail "Linux server: $(cat "$RS_TMP/srv2.log")"
timeout 60 "$RS" cli 10.0.0.2 9090 "$BYTES" >"$RS_TMP/cli2.log" 2>&1 ||
	fail "ringstack client: $(cat "$RS_TMP/cli2.log"); server: $(cat "$RS_TMP/srv2.log")"
finish $srv srv2.log
ok "ringstack client, Linux server: $(grep -o '[0-9]* bytes each way.*' "$RS_TMP/cli2.log")"

# ---- an edge-triggered epoll reader: every wake-up the daemon sends must
# be consumed, or the wake socket's queue fills, the daemon's next wake-ups
# are dropped and the server sleeps forever (it stalled after 1-3 MB) ----
run_bg et.log timeout 60 "$RS" etsink 8083 "$BYTES"
srv=$!
wait_for 10 listening et.log || fail "etsink: $(cat "$RS_TMP/et.log")"
in_ns p1 timeout 60 "$LX" push 10.0.0.1 8083 "$BYTES" >"$RS_TMP/push.log" 2>&1 ||
	fail "Linux client of an edge-triggered ringstack server: $(cat "$RS_TMP/push.log"); server: $(cat "$RS_TMP/et.log")"
finish $srv et.log
ok "edge-triggered epoll server, Linux client: $(grep -o '[0-9]* bytes, [0-9]* epoll waits' "$RS_TMP/et.log")"

# ---- close with unread data: RST ----
run_bg rst1.log timeout 20 "$RS" rstsrv 8081
srv=$!
wait_for 10 listening rst1.log || fail "rstsrv: $(cat "$RS_TMP/rst1.log")"
in_ns p1 timeout 20 "$LX" rstcli 10.0.0.1 8081 >"$RS_TMP/rstc1.log" 2>&1 ||
	fail "Linux peer of a ringstack close with unread data: $(cat "$RS_TMP/rstc1.log")"
finish $srv rst1.log
in_ns p1 timeout 20 "$LX" rstsrv 9091 >"$RS_TMP/rst2.log" 2>&1 &
srv=$!
wait_for 10 listening rst2.log || fail "Linux rstsrv: $(cat "$RS_TMP/rst2.log")"
timeout 20 "$RS" rstcli 10.0.0.2 9091 >"$RS_TMP/rstc2.log" 2>&1 ||
	fail "ringstack peer of a Linux close with unread data: $(cat "$RS_TMP/rstc2.log")"
finish $srv rst2.log
ok "close with unread data sends RST: ECONNRESET on Linux and on ringstack, then EPIPE"
run_bg lg.log timeout 20 "$RS" lingersrv 8082
srv=$!
wait_for 10 listening lg.log || fail "lingersrv: $(cat "$RS_TMP/lg.log")"
in_ns p1 timeout 20 "$LX" rstcli 10.0.0.1 8082 >"$RS_TMP/lgc.log" 2>&1 ||
	fail "Linux peer of a ringstack close with SO_LINGER {1, 0}: $(cat "$RS_TMP/lgc.log")"
finish $srv lg.log
ok "SO_LINGER {1, 0}: close resets, the Linux peer sees ECONNRESET"

# ---- close in TIME-WAIT: the socket goes at once (Linux hands the
# connection to a TIME-WAIT bucket), not after 2MSL ----
run_bg tw.log timeout 60 "$RS" twsrv 8083
srv=$!
wait_for 10 listening tw.log || fail "twsrv: $(cat "$RS_TMP/tw.log")"
in_ns p1 timeout 20 "$LX" eofcli 10.0.0.1 8083 >"$RS_TMP/twc.log" 2>&1 ||
	fail "Linux peer of a ringstack shutdown: $(cat "$RS_TMP/twc.log")"
wait_for 10 grep -q "^ok closed" "$RS_TMP/tw.log" || fail "twsrv: $(cat "$RS_TMP/tw.log")"
tw_gone() { ! ringctl sock show | grep -q ':8083 '; }
wait_for 5 tw_gone || fail "a socket closed in TIME-WAIT is still held: $(ringctl sock show)"
kill $srv
wait $srv 2>/dev/null || true
ok "close in TIME-WAIT (our FIN, then the peer's): the socket goes at once"

# ---- refused ----
timeout 20 "$RS" refused 10.0.0.2 9999 >"$RS_TMP/ref.log" 2>&1 || fail "$(cat "$RS_TMP/ref.log")"
ok "connect to a closed Linux port: ECONNREFUSED (blocking; non-blocking via epoll and SO_ERROR)"

# ---- timed out: SYNs into a black hole (routed to the peer, which does
# not forward and answers nothing) ----
ringctl route add 10.5.0.0/16 via 10.0.0.2
timeout 60 "$RS" timeout 10.5.0.1 80 >"$RS_TMP/to.log" 2>&1 || fail "$(cat "$RS_TMP/to.log")"
ok "connect whose SYNs go unanswered, TCP_USER_TIMEOUT 1.5 s: $(grep -o 'ETIMEDOUT after.*' "$RS_TMP/to.log"); non-blocking: SO_ERROR ETIMEDOUT"

# ---- the cases, against a Linux echo server and a ringstack one ----
in_ns p1 timeout 30 "$LX" echo 7000 1 >"$RS_TMP/lecho.log" 2>&1 &
srv=$!
wait_for 10 listening lecho.log || fail "Linux echo: $(cat "$RS_TMP/lecho.log")"
timeout 30 "$RS" cases 10.0.0.2 7000 >"$RS_TMP/cases1.log" 2>&1 ||
	fail "cases against a Linux echo server: $(cat "$RS_TMP/cases1.log")"
finish $srv lecho.log
ok "ringstack client against a Linux echo server: $(grep -c '^ok' "$RS_TMP/cases1.log") checks"
run_bg recho.log timeout 30 "$RS" echo 7001 1
srv=$!
wait_for 10 listening recho.log || fail "ringstack echo: $(cat "$RS_TMP/recho.log")"
cap_start p1 p1-l "tcp port 7001"
in_ns p1 timeout 30 "$LX" cases 10.0.0.1 7001 >"$RS_TMP/cases2.log" 2>&1 || {
	cap_show
	fail "Linux client against a ringstack echo server: $(cat "$RS_TMP/cases2.log"); server: $(cat "$RS_TMP/recho.log")"
}
cap_stop
finish $srv recho.log
ok "Linux client against a ringstack epoll echo server: $(grep -c '^ok' "$RS_TMP/cases2.log") checks"

# ---- SO_REUSEPORT: two ringstack applications share a listening port ----
RS_TCP_REUSEPORT=1 run_bg rp1.log timeout 60 "$RS" echo 7200 0
rp1=$!
wait_for 10 listening rp1.log || fail "reuseport server 1: $(cat "$RS_TMP/rp1.log")"
RS_TCP_REUSEPORT=1 run_bg rp2.log timeout 60 "$RS" echo 7200 0
rp2=$!
wait_for 10 listening rp2.log || fail "reuseport server 2: $(cat "$RS_TMP/rp2.log")"
in_ns p1 $PY - <<'PYEOF' || fail "Linux clients of the SO_REUSEPORT group"
import socket
for i in range(32):
    s = socket.create_connection(("10.0.0.1", 7200), timeout=10)
    s.sendall(b"ping %d" % i)
    s.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        d = s.recv(100)
        if not d:
            break
        got += d
    assert got == b"ping %d" % i, got
    s.close()
PYEOF
served() { grep -c '^served' "$RS_TMP/$1" || true; }
wait_for 10 bash -c "[ \$(( \$(grep -c '^served' $RS_TMP/rp1.log) + \$(grep -c '^served' $RS_TMP/rp2.log) )) -eq 32 ]" ||
	fail "SO_REUSEPORT: served $(served rp1.log) + $(served rp2.log) of 32"
n1=$(served rp1.log) n2=$(served rp2.log)
kill "$rp1" "$rp2"
wait "$rp1" "$rp2" 2>/dev/null || true
[ "$n1" -gt 0 ] && [ "$n2" -gt 0 ] || fail "SO_REUSEPORT: one listener took every connection ($n1 + $n2)"
ok "SO_REUSEPORT: 32 connections from Linux spread over two ringstack listeners ($n1 + $n2)"

# ---- two ringstack applications: loopback and our own address ----
for dst in 127.0.0.1 10.0.0.1; do
	run_bg lo_echo.log timeout 30 "$RS" echo 7100 1
	srv=$!
	wait_for 10 listening lo_echo.log || fail "ringstack echo: $(cat "$RS_TMP/lo_echo.log")"
	timeout 30 "$RS" cases $dst 7100 >"$RS_TMP/lo_cases.log" 2>&1 ||
		fail "cases over $dst: $(cat "$RS_TMP/lo_cases.log"); server: $(cat "$RS_TMP/lo_echo.log")"
	finish $srv lo_echo.log
	run_bg lo_srv.log timeout 30 "$RS" srv 7101 $((BYTES / 4))
	srv=$!
	wait_for 10 listening lo_srv.log || fail "ringstack srv: $(cat "$RS_TMP/lo_srv.log")"
	timeout 30 "$RS" cli $dst 7101 $((BYTES / 4)) >"$RS_TMP/lo_cli.log" 2>&1 ||
		fail "bulk over $dst: $(cat "$RS_TMP/lo_cli.log"); server: $(cat "$RS_TMP/lo_srv.log")"
	finish $srv lo_srv.log
	ok "two ringstack applications over $dst: cases, $(grep -o '[0-9]* bytes each way.*' "$RS_TMP/lo_cli.log")"
done

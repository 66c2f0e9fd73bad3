#!/bin/bash
# Many sockets and the quotas that bound them: one application opens tens of
# thousands of UDP sockets (each bound to its own port) and a Linux peer is
# answered on sockets across the range; --socks-per-app refuses the next one
# with EMFILE, --apps-per-uid refuses another application of the same user;
# a second daemon with those quotas keeps serving the applications within.
. "$(dirname "$0")/_init.sh"

T=$RS_BUILD/tests/integration
rs_peer p1 10.0.0.2/24
rs_start
ringctl addr add 10.0.0.1/24 dev port0

# as many as the descriptor limit allows this process (and its child), up to 20000
hard=$(ulimit -Hn)
n=20000
[ "$hard" != unlimited ] && [ "$hard" -lt $((n + 200)) ] && n=$((hard - 200))
"$T/rs_many" "$n" 20000 30 >"$RS_TMP/many.log" 2>&1 &
many=$!
wait_for 120 grep -q "^ready" "$RS_TMP/many.log" || fail "opening $n sockets: $(cat "$RS_TMP/many.log")"
cnt=$(ringctl -j sock show | jq 'length')
[ "$cnt" -ge "$n" ] || fail "sock show lists $cnt of $n sockets"
in_ns p1 $PY - "$n" <<'PYEOF' || fail "echo across $n sockets failed"
import random, socket, sys
n = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
random.seed(3)
for port in [20000, 20000 + n - 1] + random.sample(range(20000, 20000 + n), 40):
    d = b"p%d" % port
    s.sendto(d, ("10.0.0.1", port))
    back, addr = s.recvfrom(100)
    assert back == d and addr == ("10.0.0.1", port), (port, back, addr)
PYEOF
kill $many; wait $many 2>/dev/null || true
wait_for 30 bash -c "[ \$($RS_BUILD/app/ringctl -s $RS_SOCK -j sock show | jq length) -eq 0 ]" ||
	fail "sockets left after the app exited"
ok "one application with $n sockets: answered on 42 ports across the range; all freed at exit"

rs_stop
rs_start --socks-per-app 100 --apps-per-uid 2
ringctl addr add 10.0.0.1/24 dev port0
"$T/rs_many" 101 21000 1 >"$RS_TMP/q1.log" 2>&1 && fail "101 sockets under --socks-per-app 100"
grep -q "^opened 100" "$RS_TMP/q1.log" && grep -q "Too many open files" "$RS_TMP/q1.log" ||
	fail "quota: $(cat "$RS_TMP/q1.log")"
ok "--socks-per-app 100: the 101st socket fails with EMFILE"
# that application's quota share is given back once the daemon has released
# its sockets (after its hang-up, asynchronously): wait for it
gone() { [ "$(ringctl -j sock show | jq length)" -eq 0 ] && [ "$(ringctl -j stats | jq .ctl.apps)" -eq 0 ]; }
wait_for 20 gone || fail "the first application's sockets were not released: $(ringctl sock show | head -3)"
"$T/rs_many" 10 22000 20 >"$RS_TMP/a1.log" 2>&1 &
a1=$!
"$T/rs_many" 10 22100 20 >"$RS_TMP/a2.log" 2>&1 &
a2=$!
wait_for 20 grep -q "^ready" "$RS_TMP/a1.log" || fail "app 1: $(cat "$RS_TMP/a1.log")"
wait_for 20 grep -q "^ready" "$RS_TMP/a2.log" || fail "app 2: $(cat "$RS_TMP/a2.log")"
"$T/rs_many" 1 22200 1 >"$RS_TMP/a3.log" 2>&1 && fail "a third app of one uid under --apps-per-uid 2"
grep -q "Too many users" "$RS_TMP/a3.log" || fail "a3: $(cat "$RS_TMP/a3.log")"
in_ns p1 $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
for port in (22000, 22109):
    s.sendto(b"q", ("10.0.0.1", port)); assert s.recvfrom(10)[0] == b"q"' ||
	fail "apps within the quota stopped answering"
kill $a1 $a2; wait $a1 $a2 2>/dev/null || true
ok "--apps-per-uid 2: a third application fails with EUSERS; the two within keep working"

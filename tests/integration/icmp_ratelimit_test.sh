#!/bin/bash
# ICMP errors are limited per destination as on Linux (icmp_ratelimit: a
# burst of 6, then one a second), besides the per-worker global bucket: a
# burst of 200 probes to a closed UDP port from one peer address gets a
# handful of port unreachables, probing on gets about one a second, and a
# second address of the peer still gets its own.
. "$(dirname "$0")/_init.sh"

rs_peer p1 10.0.0.2/24
rs_peer_quiet p1
in_ns p1 ip addr add 10.0.0.3/24 dev p1-l
rs_start
ringctl addr add 10.0.0.1/24 dev port0
# both peer addresses resolved, so no error waits for ARP
wait_for 10 in_ns p1 ping -c1 -W1 -I 10.0.0.2 10.0.0.1 || fail "10.0.0.2 cannot reach us"
wait_for 10 in_ns p1 ping -c1 -W1 -I 10.0.0.3 10.0.0.1 || fail "10.0.0.3 cannot reach us"

# probe.py FROM BURST TRICKLE: BURST datagrams at once from FROM to
# 10.0.0.1:9 (closed), then TRICKLE more 100 ms apart. Prints the port
# unreachables FROM got back for the burst and for the trickle (told apart
# by the probe number each one quotes), and the seconds the burst took.
# Errors are collected until 1 s after the last probe.
cat >"$RS_TMP/probe.py" <<'PYEOF'
import socket, struct, sys, time
src, burst, trickle = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind((src, 0))
port = u.getsockname()[1]
t0 = time.monotonic()
for i in range(burst):
    u.sendto(b"probe %d." % i, ("10.0.0.1", 9))
took = time.monotonic() - t0
for i in range(burst, burst + trickle):
    time.sleep(0.1)
    u.sendto(b"probe %d." % i, ("10.0.0.1", 9))
end = time.monotonic() + 1.0
got = [0, 0]
raw.settimeout(0.1)
while time.monotonic() < end:
    try:
        p = raw.recv(2048)
    except socket.timeout:
        continue
    ihl = (p[0] & 15) * 4
    dst = socket.inet_ntoa(p[16:20])
    t, c = p[ihl], p[ihl + 1]
    q = p[ihl + 8:]
    if dst != src or t != 3 or c != 3 or len(q) < 28:
        continue
    qihl = (q[0] & 15) * 4
    if struct.unpack("!H", q[qihl:qihl + 2])[0] != port:
        continue
    n = int(q[qihl + 8:].split(b".")[0].split()[1])
    got[n >= burst] += 1
print(got[0], got[1], "%.2f" % took)
PYEOF

read -r n trickle took < <(in_ns p1 $PY "$RS_TMP/probe.py" 10.0.0.2 200 20)
# 6 at once; a slow sender earns one more per second it took
max=$((6 + $(printf '%.0f' "$(echo "$took + 0.5" | bc)")))
[ "$n" -ge 6 ] && [ "$n" -le "$max" ] ||
	fail "200 probes in ${took}s got $n port unreachables, want 6..$max"
ok "burst of 200 probes from one address: $n port unreachables"
# 20 more over 2 s: one about 1 s and one about 2 s after the burst
[ "$trickle" -ge 1 ] && [ "$trickle" -le 3 ] ||
	fail "20 probes over 2 s after the burst got $trickle port unreachables, want 1..3"
ok "then about one a second: $trickle for 20 probes over 2 s"

read -r n2 _ _ < <(in_ns p1 $PY "$RS_TMP/probe.py" 10.0.0.3 3 0)
[ "$n2" -eq 3 ] || fail "a second peer address got $n2 of 3 errors, want its own burst"
ok "a second address of the peer gets its own errors"

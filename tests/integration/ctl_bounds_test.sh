#!/bin/bash
# The management socket bounds what each peer can take (lib/ctl/ctl_server.h):
#  - a peer that floods requests and never reads its answers holds at most
#    about 1 MiB of them (backpressure), and others are still served;
#  - idle connections of ordinary users cannot lock out root (slots kept
#    for administrators) and one uid has a quota of connections;
#  - out of descriptors (RLIMIT_NOFILE reached), the control thread does
#    not spin on the listening socket, and recovers when descriptors free.
# Peers are a uid with no passwd entry (setpriv): nothing is added to the
# host's user database.
. "$(dirname "$0")/_init.sh"

chmod 0711 "$RS_TMP" # the socket lives here: other uids must reach it
rs_peer p1 10.0.0.2/24
# 80 connections in all, the last 16 for administrators; 40 per uid
rs_start --max-clients 80 --max-clients-per-uid 40
ringctl addr add 10.0.0.1/24 dev port0

as_uid() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --clear-groups "$@"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$RS_PID/status"; }
ctl_stat() { ringctl -j stats | jq -r ".ctl.$1"; }
ctl_stat_is() { [ "$(ctl_stat "$1")" = "$2" ]; }
# report_is NAME TEXT: peer NAME's report reads TEXT
report_is() { [ "$(cat "$RS_TMP/$1")" = "$2" ]; }
# peer NAME UID ARGS...: peer.py in the background as UID; its report goes
# to $RS_TMP/NAME, its pid to PEER_PID
peer() {
	local name=$1 uid=$2
	shift 2
	setpriv --reuid="$uid" --regid="$uid" --clear-groups $PY "$RS_TMP/peer.py" "$RS_SOCK" "$@" \
		>"$RS_TMP/$name" &
	PEER_PID=$!
	wait_for 30 grep -q . "$RS_TMP/$name" || fail "peer $name did not report"
}

# peer.py MODE ...: a client of the management socket in Python.
#   flood LIMIT: pipelines "route show" requests, never reads; stops writing
#     at LIMIT bytes or when the socket has not taken a byte for 0.5 s; prints
#     the bytes written, then holds the connection until killed
#   idle N: opens N connections and holds them until killed; every 50 ms
#     rewrites the report: how many the daemon closed (refused), how many
#     it kept
cat >"$RS_TMP/peer.py" <<'PYEOF'
import select, socket, struct, sys, time
path, mode, arg = sys.argv[1], sys.argv[2], int(sys.argv[3])
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s
if mode == "flood":
    words = [b"route", b"show"]
    body = struct.pack("<HH", 0, len(words)) + b"".join(struct.pack("<H", len(w)) + w for w in words)
    frame = struct.pack("<IHHII", 0x52534354, 1, 1, 7, len(body)) + body
    chunk = frame * (65536 // len(frame))
    s = conn()
    s.setblocking(False)
    sent, last = 0, time.monotonic()
    while sent < arg and time.monotonic() - last < 0.5:
        try:
            n = s.send(chunk[: arg - sent])
            sent += n
            last = time.monotonic()
        except BlockingIOError:
            select.select([], [s], [], 0.1)
    print(sent, flush=True)
    time.sleep(120)
else:
    import os
    socks = [conn() for _ in range(arg)]
    closed = set()
    out = sys.stdout.fileno()
    while True:
        r, _, _ = select.select([s for s in socks if s not in closed], [], [], 0.05)
        closed.update(s for s in r if s.recv(1) == b"")
        rep = b"%d %d\n" % (len(closed), arg - len(closed))
        os.ftruncate(out, 0)
        os.pwrite(out, rep, 0)
PYEOF
chmod 0644 "$RS_TMP/peer.py"

# -- a flood of requests from a peer that never reads: 1000 routes make
# each answer 40 KB, so the 64 KiB of requests one read takes would ask
# for 70 MB of answers
for i in $(seq 0 999); do echo "route add 10.$((100 + i / 250)).$((i % 250)).0/24 via 10.0.0.2"; done >"$RS_TMP/routes"
ringctl -b "$RS_TMP/routes"
rss0=$(rss_kb)
peer flood 12345 flood $((4 << 20))
flood_pid=$PEER_PID
read -r sent <"$RS_TMP/flood"
wait_for 10 ctl_stat_is throttled 1 || fail "the flooder is not throttled: $(ringctl -j stats | jq -c .ctl)"
out_max=$(ctl_stat out_max)
rss1=$(rss_kb)
[ "$out_max" -le $(((1 << 20) + 65536)) ] || fail "one peer holds $out_max bytes of unread answers"
[ "$(ringctl -j stats | jq .ctl.dropped)" = 0 ] || fail "the flooder was dropped: backpressure should hold it first"
[ $((rss1 - rss0)) -le 16384 ] || fail "the daemon grew by $((rss1 - rss0)) KiB under the flood"
timeout 5 "$RS_BUILD/app/ringctl" -s "$RS_SOCK" route show >/dev/null || fail "root not served during the flood"
timeout 5 setpriv --reuid=12346 --regid=12346 --clear-groups "$RS_BUILD/app/ringctl" -s "$RS_SOCK" stats >/dev/null ||
	fail "another user not served during the flood"
ok "a flooder that never reads ($sent bytes of requests taken) holds $out_max bytes of answers, RSS +$((rss1 - rss0)) KiB; others served"
kill "$flood_pid"
wait "$flood_pid" 2>/dev/null || true
wait_for 5 ctl_stat_is throttled 0 || fail "the flooder's connection outlived it"

# -- slots and quotas
peer idle_a 12345 idle 50
pid_a=$PEER_PID
wait_for 10 report_is idle_a "10 40" ||
	fail "uid 12345 with 50 connections: refused, kept: $(cat "$RS_TMP/idle_a"); want 10 40"
peer idle_b 12346 idle 50
pid_b=$PEER_PID
wait_for 10 report_is idle_b "26 24" ||
	fail "uid 12346 with 50 connections: refused, kept: $(cat "$RS_TMP/idle_b"); want 26 24"
ok "quota per uid (40) and slots for ordinary users (64 of 80) hold"
rc=0
timeout 5 setpriv --reuid=12347 --regid=12347 --clear-groups "$RS_BUILD/app/ringctl" -s "$RS_SOCK" route show >/dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "a third ordinary user got a reserved slot (exit $rc)"
timeout 5 "$RS_BUILD/app/ringctl" -s "$RS_SOCK" route add 10.5.0.0/16 dev port0 ||
	fail "root locked out by 64 idle connections of ordinary users"
[ "$(ctl_stat refused_uid)" = 10 ] && [ "$(ctl_stat refused_full)" = 27 ] ||
	fail "refusals not counted: $(ringctl -j stats | jq -c .ctl)"
ok "64 idle connections of ordinary users (and 37 refused) do not lock out root"
kill "$pid_a" "$pid_b"
wait "$pid_a" "$pid_b" 2>/dev/null || true
wait_for 5 ctl_stat_is clients 1 || fail "idle connections outlived their peers: $(ringctl -j stats | jq -c .ctl)"

# -- out of descriptors: no spinning, and recovery
w0=$(ctl_stat wakeups)
t0=$(date +%s%N)
nfd=$(ls "/proc/$RS_PID/fd" | wc -l)
prlimit --pid "$RS_PID" --nofile=$((nfd + 4)):$((nfd + 4))
cpu() { awk '{print $14 + $15}' "/proc/$RS_PID/task/$RS_PID/stat"; }
c0=$(cpu); sleep 1; c1=$(cpu)
base=$((c1 - c0))
peer idle_c 12345 idle 20
pid_c=$PEER_PID
wait_for 10 report_is idle_c "0 20" || fail "idle peer C: $(cat "$RS_TMP/idle_c")"
# the daemon takes what descriptors it has left, the others wait in the
# listen queue. Its first EMFILE is logged once: that is the event to wait
# for (counting /proc/PID/fd is not: other threads open and close
# descriptors of their own, so the count need not sit at the limit)
paused() { grep -q "accept: .*pausing" "$RS_LOG"; }
wait_for 10 paused ||
	{ ls -l "/proc/$RS_PID/fd" >&2; fail "the daemon did not run out of descriptors: $(ls "/proc/$RS_PID/fd" | wc -l) open, limit $((nfd + 4)); $(grep -i "open files" "/proc/$RS_PID/limits")"; }
c0=$(cpu); sleep 1; c1=$(cpu)
hz=$(getconf CLK_TCK)
used=$((c1 - c0))
kill "$pid_c"
wait "$pid_c" 2>/dev/null || true
wait_for 10 "$RS_BUILD/app/ringctl" -s "$RS_SOCK" stats || fail "no recovery once descriptors were free"
# The loop wakes for its 1 ms tick and the events it serves; spinning on the
# listener would wake it hundreds of thousands of times a second (on a busy
# machine the CPU time of a spin is only a share of a core, so the count is
# what is judged; the CPU time must merely stay near the idle figure).
w1=$(ctl_stat wakeups)
t1=$(date +%s%N)
rate=$(((w1 - w0) * 1000000000 / (t1 - t0)))
[ "$rate" -le 3000 ] || fail "control loop woke $rate times a second while out of descriptors"
[ "$used" -le $((base + hz / 2)) ] ||
	fail "control thread used $used/$hz s of CPU in 1 s out of descriptors (idle: $base)"
ok "out of descriptors: the loop woke $rate times a second, used $used/$hz s of CPU in a second (idle: $base/$hz)"
[ "$(ctl_stat accept_paused)" -ge 1 ] || fail "accept never paused: $(ringctl -j stats | jq -c .ctl)"
ok "recovered once descriptors were free (accept paused $(ctl_stat accept_paused) times)"

#!/bin/bash
# Hostile applications against the real daemon (tests/integration/rs_seg.py
# speaks the segment contract by hand). Each numbered case is a defect of
# the socket-layer issue; a well-behaved echo server must keep serving a
# Linux peer throughout, and the daemon must survive:
#  - garbage over ring indices and records: that application is disconnected;
#  - 1: the segment cannot be shrunk (sealed memfd), so no SIGBUS;
#  - 2: a descriptor is dead the moment it is closed, even within one batch;
#  - 3: a worker never blocks on an application's wake descriptor;
#  - 5: a record rewritten while the worker reads it never puts stale
#       memory on the wire;
#  - 6: an SO_REUSEPORT group belongs to one uid;
#  - 10: one application flooding its sockets cannot starve another;
#  - 11: TTL 0 (or > 255) written straight into the segment never leaves.
. "$(dirname "$0")/_init.sh"

EX=$RS_BUILD/app/examples
rs_peer p1 10.0.0.2/24
rs_start
ringctl addr add 10.0.0.1/24 dev port0
# apps of any user may attach (management needs more, see ctl_test)
chmod 0711 "$RS_TMP"
chmod 0666 "$RS_SOCK"
"$EX/udp_echo_server" 7007 >"$RS_TMP/srv.log" 2>&1 &
wait_for 10 bash -c "$RS_BUILD/app/ringctl -s $RS_SOCK sock show | grep -q ':7007'" ||
	fail "echo server did not start"
export PYTHONPATH=$RS_ROOT/tests/integration

echo_ok() {
	in_ns p1 $PY -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
for i in range(20):
    d = b"ping%d" % i
    s.sendto(d, ("10.0.0.1", 7007))
    if s.recvfrom(100)[0] != d: sys.exit(1)'
}
alive() {
	kill -0 "$RS_PID" 2>/dev/null || fail "ringstackd died ($1)"
	# a configuration change returns only after a grace period: every
	# worker passed a quiescent point (none is blocked)
	timeout 10 "$RS_BUILD/app/ringctl" -s "$RS_SOCK" route add 192.0.2.0/24 via 10.0.0.2 ||
		fail "ringctl route add does not return ($1): a worker is stuck"
	ringctl route del 192.0.2.0/24
	echo_ok || fail "echo server stopped answering ($1)"
}
echo_ok || fail "echo server does not answer before the attacks"

# ---- garbage: disconnected ----
$PY - "$RS_SOCK" >"$RS_TMP/garbage.log" 2>&1 <<'PYEOF' || fail "garbage: $(cat "$RS_TMP/garbage.log")"
import random, socket, struct, sys, time
from rs_seg import Seg
random.seed(7)

def hung_up(seg, kick=True):
    end = time.monotonic() + 3
    seg.s.settimeout(0.3)
    while time.monotonic() < end:
        try:
            if kick:
                seg.s.send(b"k")
            if not seg.s.recv(4096):
                return True
        except socket.timeout:
            pass
        except (BrokenPipeError, ConnectionResetError):
            return True
    return False

attacks = {
    "req_index": lambda g: g.req.set_prod(0x7fff0000),
    "req_header": lambda g: g.req.put_record(b"x" * 24, hdr_len=0xffffff00),
    "bell_index": lambda g: g.bells[0].set_prod(0x40000000),
}
for name, attack in attacks.items():
    g = Seg(sys.argv[1])
    attack(g)
    ok = hung_up(g, kick=(name != "bell_index"))
    print(name, "disconnected" if ok else "STILL CONNECTED")
    g.close()
    if not ok:
        sys.exit(1)

# well-formed requests with random fields: errors, never a crash
g = Seg(sys.argv[1])
for k in range(300):
    g.put_request(random.randrange(0, 14), random.randrange(-5, 80),
                  tuple(random.randrange(-2**31, 2**31) for _ in range(3)),
                  struct.pack("<HHII16s", random.choice([0, 2, 10, 65535]), random.randrange(65536),
                              0, random.randrange(2**32), bytes(random.randrange(256) for _ in range(16))),
                  bytes(random.randrange(256) for _ in range(random.randrange(300))))
    g.kick()
    try:
        ret, _, _, fd = g.wait_completion()
        if fd >= 0:
            import os; os.close(fd)
    except (socket.timeout, ConnectionResetError, RuntimeError) as e:
        print("random requests: stopped at", k, e); break
else:
    print("random requests: done")
g.close()
PYEOF
cat "$RS_TMP/garbage.log"
grep -q "random requests: done" "$RS_TMP/garbage.log" || fail "random requests: $(cat "$RS_TMP/garbage.log")"
alive garbage
ringctl -j sock show | jq -e 'all(.[]; .program != "hostile")' >/dev/null ||
	fail "hostile app's sockets remain: $(ringctl sock show)"
ok "garbage in a segment disconnects that app; the daemon and the other app keep working"

# ---- 1: the segment cannot shrink ----
$PY - "$RS_SOCK" >"$RS_TMP/seal.log" 2>&1 <<'PYEOF' || fail "seal: $(cat "$RS_TMP/seal.log")"
import os, sys
from rs_seg import Seg
g = Seg(sys.argv[1])
sd = g.socket()
for how in ("memfd", "map_files"):
    try:
        if how == "memfd":
            os.ftruncate(g.memfd, 0)
        else:
            # the way an app without the memfd would: reopen its mapping
            path = "/proc/self/map_files/%x-%x" % next(
                (int(a, 16), int(b, 16)) for a, b in
                (l.split()[0].split("-") for l in open("/proc/self/maps"))
                if os.path.exists("/proc/self/map_files/%s-%s" % (a, b)) and
                os.readlink("/proc/self/map_files/%s-%s" % (a, b)).startswith("/memfd:ringstack"))
            fd = os.open(path, os.O_RDWR)
            os.ftruncate(fd, 0)
        print(how, "TRUNCATED"); sys.exit(1)
    except PermissionError:
        print(how, "refused")
g.send_dgram(sd, "10.0.0.2", 9, b"after the attempt")
print("done")
PYEOF
grep -q "^memfd refused" "$RS_TMP/seal.log" && grep -q "^map_files refused" "$RS_TMP/seal.log" ||
	fail "seal: $(cat "$RS_TMP/seal.log")"
alive seal
ok "1: the segment is sealed: ftruncate (memfd or /proc/self/map_files) is refused"

# ---- 2: closed is closed, even later in the same batch ----
$PY - "$RS_SOCK" >"$RS_TMP/close.log" 2>&1 <<'PYEOF' || fail "close-then-bind: $(cat "$RS_TMP/close.log")"
import socket, struct, sys
from rs_seg import Seg, saddr4
g = Seg(sys.argv[1])
sd = g.socket()
g.put_request("CLOSE", sd)
g.put_request("BIND", sd, addr=saddr4("0.0.0.0", 7300))
g.kick(2)
r1 = g.wait_completion()
r2 = g.wait_completion()
print("close", r1[0], "bind", r2[0])
assert r1[0] == 0, r1
assert r2[0] == -9, "bind after close in one batch: %d, not EBADF" % r2[0]
g.close()
PYEOF
# the port was never bound: a datagram to it is refused, and nothing uses freed memory
in_ns p1 $PY -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.connect(("10.0.0.1", 7300))
try:
    for i in range(5):
        s.send(b"x")
        s.recv(10)
    sys.exit(1)
except ConnectionRefusedError:
    pass' || fail "port 7300 is bound by a closed descriptor"
alive close-then-bind
ok "2: a descriptor is dead the moment CLOSE is taken (EBADF later in the batch)"

# ---- 3: a worker never blocks on the application's wake descriptor ----
$PY - "$RS_SOCK" >"$RS_TMP/wake.log" 2>&1 <<'PYEOF' &
import fcntl, os, socket, struct, sys, time
from rs_seg import Seg, saddr4
g = Seg(sys.argv[1])
sd = g.socket()
assert g.op("BIND", sd, addr=saddr4("0.0.0.0", 7400))[0] == 0
wfd = g.fds[sd]
# everything an app can do to make a writer block: blocking mode, a tiny
# receive buffer, full of unread wake-ups, and app_wait set for ever
fl = fcntl.fcntl(wfd, fcntl.F_GETFL)
fcntl.fcntl(wfd, fcntl.F_SETFL, fl & ~os.O_NONBLOCK)
w = socket.socket(fileno=os.dup(wfd))
w.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
g.set_app_wait(sd, 1)
print("ready", flush=True)
time.sleep(20)
PYEOF
wake=$!
wait_for 10 grep -q ready "$RS_TMP/wake.log" || fail "wake attacker: $(cat "$RS_TMP/wake.log")"
in_ns p1 $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3000):
    s.sendto(b"wake up", ("10.0.0.1", 7400))'
alive wake
kill $wake 2>/dev/null || true; wait $wake 2>/dev/null || true
ok "3: 3000 wake-ups into a blocking, full wake descriptor: workers and grace periods go on"

# ---- 5: a record rewritten while the worker reads it ----
in_ns p1 tcpdump -n -i p1-l -U -w "$RS_TMP/len.pcap" 'udp port 7500 or (ip[6:2] & 0x1fff != 0)' 2>"$RS_TMP/td5.err" &
td5=$!
listening "$RS_TMP/td5.err" || fail "tcpdump did not start: $(cat "$RS_TMP/td5.err")"
$PY - "$RS_SOCK" >"$RS_TMP/len.log" 2>&1 <<'PYEOF' || fail "length flipper: $(cat "$RS_TMP/len.log")"
import struct, sys, threading
from rs_seg import Seg
g = Seg(sys.argv[1])
sd = g.socket()
flips = sent = 0
try:
    for k in range(300):
        size = 1000 + (k % 7) * 700
        tx, pos = g.send_dgram(sd, "10.0.0.2", 7500, b"\xab" * size, bell=False)
        sent += 1
        # rewrite the record's length while the worker may read it
        def flip():
            global flips
            for i in range(2000):
                struct.pack_into("<I", tx.m, tx.data + (pos % tx.size),
                                 size // 3 if i & 1 else size)
                flips += 1
            struct.pack_into("<I", tx.m, tx.data + (pos % tx.size), size)
        t = threading.Thread(target=flip); t.start()
        g.ring_bell(sd)
        t.join()
except BlockingIOError:
    pass  # the daemon found the ring corrupt and disconnected us: allowed
print("sent", sent, "flips", flips)
PYEOF
sleep 1
kill $td5 2>/dev/null || true; wait $td5 2>/dev/null || true
$PY - "$RS_TMP/len.pcap" >"$RS_TMP/recv5.log" 2>&1 <<'PYEOF' || fail "frames: $(cat "$RS_TMP/recv5.log")"
import sys
from scapy.all import rdpcap, IP, UDP, Raw
n = bad = 0
for f in rdpcap(sys.argv[1]):
    if IP not in f:
        continue
    n += 1
    ip = f[IP]
    wire = len(bytes(f))
    # the frame is exactly the IP datagram (the daemon does not pad short
    # frames; a padding peer would make it 60). A record rewritten during the
    # read can legitimately become a short datagram: say which, it is no error.
    if ip.len < 46:
        print("short", wire, "ip.len", ip.len, "flags", ip.flags, "frag", ip.frag)
    if wire not in (14 + ip.len, max(14 + ip.len, 60)):
        bad += 1; print("frame", wire, "ip.len", ip.len, ip.src, ">", ip.dst, "proto", ip.proto, "id", ip.id, "flags", ip.flags, "frag", ip.frag, bytes(ip)[:48].hex()); continue
    raw = bytes(ip)[ip.ihl * 4:ip.len]
    if ip.frag == 0 and not ip.flags.MF:
        raw = raw[8:]
    elif ip.frag == 0:
        raw = raw[8:]
    if raw.strip(b"\xab"):
        bad += 1; print("stale bytes in a datagram of", ip.len)
print("frames", n, "bad", bad)
sys.exit(1 if bad else 0)
PYEOF
alive length-flip
ok "5: lengths rewritten during the read never put stale memory on the wire ($(tail -1 "$RS_TMP/recv5.log"))"

# ---- 6: SO_REUSEPORT groups belong to one uid ----
ECHO_REUSEPORT=1 "$EX/udp_echo_server" 7600 >"$RS_TMP/rp.log" 2>&1 &
rp=$!
wait_for 10 bash -c "$RS_BUILD/app/ringctl -s $RS_SOCK sock show | grep -q ':7600'" ||
	fail "reuseport server did not start"
ECHO_REUSEPORT=1 setpriv --reuid=12345 --regid=12345 --clear-groups \
	env RINGSTACK_CTL="$RS_SOCK" "$EX/udp_echo_server" 7600 >"$RS_TMP/rp2.log" 2>&1 &&
	fail "another uid joined a root SO_REUSEPORT group"
grep -q "Address already in use" "$RS_TMP/rp2.log" || fail "rp2: $(cat "$RS_TMP/rp2.log")"
ECHO_REUSEPORT=1 "$EX/udp_echo_server" 7600 >"$RS_TMP/rp3.log" 2>&1 &
rp3=$!
wait_for 10 bash -c "[ \$($RS_BUILD/app/ringctl -s $RS_SOCK sock show | grep -c ':7600') -eq 2 ]" ||
	fail "the same uid could not join: $(cat "$RS_TMP/rp3.log")"
kill $rp $rp3
ok "6: an SO_REUSEPORT group takes members of its own uid only"

# ---- 10: one application cannot monopolise a worker ----
$PY - "$RS_SOCK" >"$RS_TMP/flood.log" 2>&1 <<'PYEOF' &
import sys, time
from rs_seg import Seg
g = Seg(sys.argv[1])
socks = [g.socket() for _ in range(32)]
print("ready", flush=True)
end = time.monotonic() + 15
while time.monotonic() < end:
    for sd in socks:
        try:
            while True:
                g.send_dgram(sd, "10.0.0.2", 9, b"\0" * 60000, bell=False)
        except BlockingIOError:
            pass
        g.ring_bell(sd)
PYEOF
flood=$!
wait_for 10 grep -q ready "$RS_TMP/flood.log" || fail "flooder: $(cat "$RS_TMP/flood.log")"
t0=$(date +%s%N)
in_ns p1 $PY -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
for i in range(50):
    d = b"fair%d" % i
    s.sendto(d, ("10.0.0.1", 7007))
    if s.recvfrom(100)[0] != d: sys.exit(1)' || fail "echo starved by a flooding app"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
kill $flood 2>/dev/null || true; wait $flood 2>/dev/null || true
[ $ms -lt 5000 ] || fail "50 echoes took $ms ms while another app flooded"
alive flood
ok "10: 50 echoes in $ms ms while another app floods 32 sockets with 60 KB datagrams"

# ---- 11: TTL 0 never leaves ----
in_ns p1 tcpdump -n -i p1-l -c 1 'udp port 7700 and ip[8] = 0' >"$RS_TMP/ttl0.pcap.txt" 2>"$RS_TMP/td.err" &
td=$!
in_ns p1 tcpdump -n -i p1-l -c 1 'udp port 7701' >"$RS_TMP/ttlok.txt" 2>"$RS_TMP/td2.err" &
td2=$!
listening "$RS_TMP/td.err" && listening "$RS_TMP/td2.err" || fail "tcpdump did not start"
$PY - "$RS_SOCK" >"$RS_TMP/ttl.log" 2>&1 <<'PYEOF' || fail "ttl: $(cat "$RS_TMP/ttl.log")"
import sys, time
from rs_seg import Seg
g = Seg(sys.argv[1])
sd = g.socket()
for ttl in (0, 256, 1000):
    g.send_dgram(sd, "10.0.0.2", 7700, b"bad ttl %d" % ttl, ttl=ttl)
tx, _ = g.send_dgram(sd, "10.0.0.2", 7701, b"good")
# Stay attached until the worker has taken every record, as libringsock's
# exit drain does: an application that hangs up first has its unsent
# datagrams dropped with its sockets (the first error alone used to end
# this app, sometimes before the good datagram was read).
deadline = time.monotonic() + 10
while (g.so_error(sd) == 0 or tx.cons() != tx.prod()) and time.monotonic() < deadline:
    time.sleep(0.01)
assert tx.cons() == tx.prod(), "the worker did not take the records"
print("so_error", g.so_error(sd))
assert g.so_error(sd) == 22, g.so_error(sd)
PYEOF
wait_for 5 grep -q "7701" "$RS_TMP/ttlok.txt" || fail "the good datagram did not arrive"
sleep 0.5
kill $td 2>/dev/null || true; wait $td 2>/dev/null || true
kill $td2 2>/dev/null || true; wait $td2 2>/dev/null || true
grep -q 7700 "$RS_TMP/ttl0.pcap.txt" && fail "a TTL-0 datagram left: $(cat "$RS_TMP/ttl0.pcap.txt")"
alive ttl
ok "11: TTL 0/256/1000 in the segment: EINVAL through SO_ERROR, nothing sent"

# ---- 12: app_close says only "the application closed its connection" ----
$PY - "$RS_SOCK" >"$RS_TMP/appclose.log" 2>&1 <<'PYEOF' &
import socket, struct, sys, time
from rs_seg import Seg, saddr4, SLOT_APP_CLOSE, SS
g = Seg(sys.argv[1])
def app_close(sd):
    struct.pack_into("<I", g.m, g.slot(sd) + SLOT_APP_CLOSE, 1)
    g.ring_bell(sd)
def until(what, cond):
    end = time.monotonic() + 10
    while not cond():
        assert time.monotonic() < end, what
        time.sleep(0.01)
ls = g.socket(socket.SOCK_STREAM)
assert g.op("BIND", ls, addr=saddr4("0.0.0.0", 7500))[0] == 0
assert g.op("LISTEN", ls, a=(8, 0, 0))[0] == 0
lone = g.socket(socket.SOCK_STREAM)
app_close(ls)    # a listener: it goes on listening
app_close(lone)  # never connected: nothing to close
print("ready", flush=True)
until("no connection to accept", lambda: g.accept_waiting(ls) > 0)
ret, _, _, fd = g.op("ACCEPT", ls)
assert ret >= 0, ret
g.fds[ret] = fd
# its connection, said closed without RS_SOP_CLOSE: the FIN goes now; the
# socket stays ours (TIME-WAIT after the peer's FIN) until we close it
app_close(ret)
until("the connection never ended", lambda: g.state(ret) & SS["CLOSED"])
assert g.op("CLOSE", ret)[0] == 0
assert g.op("CLOSE", lone)[0] == 0
print("done", flush=True)
time.sleep(30)
PYEOF
hp=$!
wait_for 10 grep -q ready "$RS_TMP/appclose.log" || fail "app_close: $(cat "$RS_TMP/appclose.log")"
in_ns p1 timeout 20 $PY -c '
import socket
s = socket.create_connection(("10.0.0.1", 7500), timeout=10)
assert s.recv(10) == b"", "data, not the FIN"
s.close()' || fail "app_close: the Linux peer saw no FIN: $(cat "$RS_TMP/appclose.log")"
wait_for 15 grep -q done "$RS_TMP/appclose.log" || fail "app_close: $(cat "$RS_TMP/appclose.log")"
conn_gone() { ! ringctl sock show | grep ':7500 ' | grep -q '10\.0\.0\.2'; }
wait_for 5 conn_gone || fail "app_close: the connection's socket is held after its close: $(ringctl sock show)"
ringctl sock show | grep ':7500 ' | grep -q LISTEN || fail "app_close: the listener stopped: $(ringctl sock show)"
alive app_close
kill $hp 2>/dev/null || true; wait $hp 2>/dev/null || true
ok "12: app_close on a listener or an unconnected socket does nothing; on a connection it sends the FIN, and the socket stays until its close"

#!/bin/bash
# TCP through the daemon, driven by a by-hand application (rs_seg.py) and
# Linux peers: a ringstack server echoes a Linux client (4 MB each way,
# checked by hash) and a ringstack client talks to a Linux server; a
# connection to a closed port is refused (ECONNREFUSED); a port nobody
# listens on answers RST; a closed listener frees its port at once; an
# application that dies resets its connections; ringctl sock show lists TCP
# sockets with their state.
. "$(dirname "$0")/_init.sh"

rs_peer p1 10.0.0.2/24
rs_start
ringctl addr add 10.0.0.1/24 dev port0
export PYTHONPATH=$RS_ROOT/tests/integration

# ---- a ringstack server, a Linux client ----
$PY - "$RS_SOCK" >"$RS_TMP/srv.log" 2>&1 <<'PYEOF' &
import socket, sys, time
from rs_seg import Seg, saddr4
g = Seg(sys.argv[1])
ls = g.socket(socket.SOCK_STREAM)
assert g.op("BIND", ls, addr=saddr4("0.0.0.0", 8080))[0] == 0
assert g.op("LISTEN", ls, a=(16, 0, 0))[0] == 0
print("listening", flush=True)
end = time.time() + 60
while g.accept_waiting(ls) == 0 and time.time() < end:
    time.sleep(0.002)
c, addr, _, fd = g.op("ACCEPT", ls)
assert c >= 0, c
print("accepted", c, "peer port", struct.unpack("<H", addr[2:4])[0] if False else "", flush=True)
pending = b""
total = 0
while time.time() < end:
    d = g.stream_read(c, 1 << 20)
    pending += d
    if pending:
        k = g.stream_write(c, pending)
        pending = pending[k:]
        total += k
    st = g.state(c)
    if (st & 0x02) and not d and not pending:
        break
    if not d:
        time.sleep(0.0005)
print("echoed", total, flush=True)
g.op("CLOSE", c)
time.sleep(1)
PYEOF
srv=$!
wait_for 10 grep -q listening "$RS_TMP/srv.log" || fail "server: $(cat "$RS_TMP/srv.log")"
in_ns p1 $PY - <<'PYEOF' || fail "Linux client: echo failed; server: $(cat "$RS_TMP/srv.log")"
import hashlib, os, socket, threading
data = os.urandom(4 << 20)
s = socket.create_connection(("10.0.0.1", 8080), timeout=20)
def send():
    s.sendall(data); s.shutdown(socket.SHUT_WR)
t = threading.Thread(target=send); t.start()
h = hashlib.sha256(); n = 0
while True:
    d = s.recv(1 << 16)
    if not d: break
    h.update(d); n += len(d)
t.join()
assert n == len(data) and h.digest() == hashlib.sha256(data).digest(), (n, len(data))
print("ok", n)
PYEOF
wait $srv || fail "server: $(cat "$RS_TMP/srv.log")"
ok "ringstack server echoes 4 MB to a Linux client, byte-exact, FIN both ways"

# ---- a ringstack client, a Linux server ----
in_ns p1 $PY -c '
import socket, hashlib
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("10.0.0.2", 9090)); l.listen(4)
print("listening", flush=True)
c, a = l.accept()
h = hashlib.sha256(); n = 0
while True:
    d = c.recv(1 << 16)
    if not d: break
    h.update(d); n += len(d)
c.sendall(h.hexdigest().encode())
c.close()' >"$RS_TMP/lsrv.log" 2>&1 &
lsrv=$!
wait_for 10 grep -q listening "$RS_TMP/lsrv.log" || fail "Linux server did not start"
$PY - "$RS_SOCK" >"$RS_TMP/cli.log" 2>&1 <<'PYEOF' || fail "ringstack client: $(cat "$RS_TMP/cli.log")"
import hashlib, os, socket, sys, time
from rs_seg import Seg, saddr4
g = Seg(sys.argv[1])
c = g.socket(socket.SOCK_STREAM)
r = g.op("CONNECT", c, addr=saddr4("10.0.0.2", 9090))[0]
assert r == 0, r
end = time.time() + 30
while not (g.state(c) & 0x01) and time.time() < end:
    assert not (g.state(c) & 0x08), "reset: so_error %d" % g.so_error(c)
    time.sleep(0.001)
assert g.state(c) & 0x01, "not connected: state %#x" % g.state(c)
data = os.urandom(2 << 20)
off = 0
while off < len(data) and time.time() < end:
    k = g.stream_write(c, data[off:off + (1 << 18)])
    off += k
    if k == 0:
        time.sleep(0.0005)
assert g.op("SHUTDOWN", c, a=(socket.SHUT_WR, 0, 0))[0] == 0
reply = b""
while time.time() < end:
    reply += g.stream_read(c)
    if g.state(c) & 0x02:
        reply += g.stream_read(c)
        break
    time.sleep(0.001)
assert reply.decode() == hashlib.sha256(data).hexdigest(), reply
print("ok", len(data))
g.op("CLOSE", c)
PYEOF
wait $lsrv || true
ok "ringstack client sends 2 MB to a Linux server, half-closes, reads its answer"

# ---- refused, and RST to a closed port ----
$PY - "$RS_SOCK" >"$RS_TMP/ref.log" 2>&1 <<'PYEOF' || fail "refused: $(cat "$RS_TMP/ref.log")"
import socket, sys, time
from rs_seg import Seg, saddr4
g = Seg(sys.argv[1])
c = g.socket(socket.SOCK_STREAM)
assert g.op("CONNECT", c, addr=saddr4("10.0.0.2", 9999))[0] == 0
end = time.time() + 10
while not (g.state(c) & 0x08) and time.time() < end:
    time.sleep(0.001)
assert g.so_error(c) == 111, "so_error %d state %#x" % (g.so_error(c), g.state(c))
print("ok")
PYEOF
in_ns p1 $PY -c '
import socket
try:
    socket.create_connection(("10.0.0.1", 7777), timeout=3)
    raise SystemExit("connected to a closed port")
except ConnectionRefusedError:
    pass' || fail "no RST from a closed port"
ok "connect to a closed Linux port: ECONNREFUSED; a closed ringstack port answers RST"

# ---- a dying application: its connections are reset, its port freed ----
$PY - "$RS_SOCK" >"$RS_TMP/die.log" 2>&1 <<'PYEOF' &
import socket, sys, time
from rs_seg import Seg, saddr4
g = Seg(sys.argv[1])
ls = g.socket(socket.SOCK_STREAM)
# as servers do, so that a restart binds over the dead one's TIME-WAITs
one = (1).to_bytes(4, "little")
assert g.op("SETSOCKOPT", ls, a=(socket.SOL_SOCKET, socket.SO_REUSEADDR, 0), opt=one)[0] == 0
assert g.op("BIND", ls, addr=saddr4("0.0.0.0", 8181))[0] == 0
assert g.op("LISTEN", ls, a=(16, 0, 0))[0] == 0
print("listening", flush=True)
while g.accept_waiting(ls) == 0:
    time.sleep(0.002)
c = g.op("ACCEPT", ls)[0]
while not g.stream_read(c):
    time.sleep(0.002)
print("got data", flush=True)
time.sleep(60)
PYEOF
die=$!
wait_for 10 grep -q listening "$RS_TMP/die.log" || fail "dying app did not listen"
in_ns p1 $PY - >"$RS_TMP/die_cli.log" 2>&1 <<'PYEOF' &
import socket, time
s = socket.create_connection(("10.0.0.1", 8181), timeout=10)
s.sendall(b"x" * 100)
try:
    d = s.recv(10)
    print("recv", d)
except ConnectionResetError:
    print("reset")
PYEOF
cli=$!
wait_for 10 grep -q "got data" "$RS_TMP/die.log" || fail "dying app got no data"
ringctl -j sock show | jq -e '[.[] | select(.proto == "tcp") | .state] | index("ESTABLISHED") != null' >/dev/null ||
	fail "sock show has no ESTABLISHED TCP socket: $(ringctl sock show)"
kill -9 $die
wait $cli || true
grep -q "reset\|recv b''" "$RS_TMP/die_cli.log" || fail "peer of a killed app: $(cat "$RS_TMP/die_cli.log")"
$PY - "$RS_SOCK" <<'PYEOF' || fail "port 8181 not free for SO_REUSEADDR after the app died"
import socket, sys, time
from rs_seg import Seg, saddr4
g = Seg(sys.argv[1])
ls = g.socket(socket.SOCK_STREAM)
one = (1).to_bytes(4, "little")
assert g.op("SETSOCKOPT", ls, a=(socket.SOL_SOCKET, socket.SO_REUSEADDR, 0), opt=one)[0] == 0
end = time.time() + 5
while True:
    r = g.op("BIND", ls, addr=saddr4("0.0.0.0", 8181))[0]
    if r == 0 or time.time() > end: break
    time.sleep(0.01)
assert r == 0, r
assert g.op("LISTEN", ls, a=(4, 0, 0))[0] == 0
PYEOF
ok "kill -9: the peer's connection ends ($(cat "$RS_TMP/die_cli.log")), the listening port is free again"

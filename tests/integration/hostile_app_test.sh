#!/bin/bash
# A hostile application attaches by hand, writes garbage over its whole
# segment (ring indices, record headers, socket slots) and kicks the daemon
# again and again, while a well-behaved echo server keeps serving a Linux
# peer. The daemon must disconnect the hostile one and keep running.
. "$(dirname "$0")/_init.sh"

EX=$RS_BUILD/app/examples
rs_peer p1 10.0.0.2/24
rs_start
ringctl addr add 10.0.0.1/24 dev port0
"$EX/udp_echo_server" 7007 >"$RS_TMP/srv.log" 2>&1 &
wait_for 10 bash -c "$RS_BUILD/app/ringctl -s $RS_SOCK sock show | grep -q ':7007'" ||
	fail "echo server did not start"

echo_ok() {
	in_ns p1 $PY -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
for i in range(20):
    d = b"ping%d" % i
    s.sendto(d, ("10.0.0.1", 7007))
    if s.recvfrom(100)[0] != d: sys.exit(1)'
}
echo_ok || fail "echo server does not answer before the attack"

# the segment contract's version, from the header both sides build with
shm_version=$(sed -n 's/^#define RS_SHM_VERSION \([0-9]*\).*/\1/p' "$RS_ROOT/lib/sock/sock_shm.h")
[ -n "$shm_version" ] || fail "RS_SHM_VERSION not found in lib/sock/sock_shm.h"
$PY - "$RS_SOCK" "$shm_version" >"$RS_TMP/hostile.log" 2>&1 <<'PYEOF' || fail "hostile app: $(cat "$RS_TMP/hostile.log")"
import mmap, os, random, socket, struct, sys, time
random.seed(7)

def attach(tag):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    body = struct.pack("<II32s", int(sys.argv[2]), os.getpid(), b"hostile")
    s.sendall(struct.pack("<IHHII", 0x52534354, 1, 3, tag, len(body)) + body)
    msg, anc, _, _ = s.recvmsg(64, socket.CMSG_SPACE(4))
    status, version, size = struct.unpack("<iIQ", msg[16:32])
    assert status == 0, status
    fd = struct.unpack("i", anc[0][2][:4])[0]
    m = mmap.mmap(fd, size)
    h = struct.unpack_from("<IIQII4I4I4I", m, 0)
    rings = {"req": h[5:9], "cpl": h[9:13], "bell": h[13:17]}
    s.settimeout(0.3)
    return s, m, rings

def hung_up(s, kick=True):
    end = time.monotonic() + 2
    while time.monotonic() < end:
        try:
            if kick:
                s.send(b"k")
            d = s.recv(4096)
            if not d:
                return True
        except socket.timeout:
            pass
        except (BrokenPipeError, ConnectionResetError):
            return True
    return False

def prod(rings, name):
    return rings[name][0]  # hdr_off: prod index at +0, cons at +64

attacks = {
    # the request ring's producer index far beyond one ring
    "req_index": lambda m, r: struct.pack_into("<I", m, prod(r, "req"), 0x7fff0000),
    # a published request whose header claims more bytes than published
    "req_header": lambda m, r: (struct.pack_into("<IIII", m, r["req"][1], 0xffffff00, 0, 0, 0),
                                struct.pack_into("<I", m, prod(r, "req"), 24)),
    # the doorbell ring (read by a worker, no kick needed)
    "bell_index": lambda m, r: struct.pack_into("<I", m, prod(r, "bell"), 0x40000000),
}
for i, (name, attack) in enumerate(attacks.items()):
    s, m, rings = attach(i)
    attack(m, rings)
    ok = hung_up(s, kick=(name != "bell_index"))
    print(name, "disconnected" if ok else "STILL CONNECTED")
    m.close(); s.close()
    if not ok:
        sys.exit(1)

# well-formed requests with random fields: errors, never a crash
s, m, rings = attach(9)
req_hdr, req_data, req_size = rings["req"][0], rings["req"][1], rings["req"][2]
cons = 0
for k in range(300):
    body = struct.pack("<IHHi3iHHII64s", k, random.randrange(0, 12), 0,
                       random.randrange(-5, 80), *[random.randrange(-2**31, 2**31) for _ in range(3)],
                       random.choice([0, 2, 10, 65535]), random.randrange(65536),
                       random.randrange(2**32), random.randrange(100), os.urandom(64))
    rec = struct.pack("<IIII", len(body), 0, 0, 0) + body
    rec += b"\0" * ((-len(rec)) % 8)
    p = struct.unpack_from("<I", m, req_hdr)[0]
    for j, b in enumerate(rec):
        m[req_data + ((p + j) % req_size)] = b
    struct.pack_into("<I", m, req_hdr, p + len(rec))
    s.send(b"k")
    try:
        if s.recv(1) == b"":
            print("random requests: disconnected at", k); break
    except socket.timeout:
        print("random requests: no answer at", k); break
print("random requests: done")
m.close(); s.close()
PYEOF
cat "$RS_TMP/hostile.log"
kill -0 "$RS_PID" || fail "ringstackd died"
grep -q "random requests: done" "$RS_TMP/hostile.log" || fail "random requests: $(cat "$RS_TMP/hostile.log")"
echo_ok || fail "echo server stopped answering after the attack"
ringctl -j sock show | jq -e 'all(.[]; .program != "hostile")' >/dev/null ||
	fail "hostile app's sockets remain: $(ringctl sock show)"
ok "garbage in a segment disconnects that app; the daemon and the other app keep working"

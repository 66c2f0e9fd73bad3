#!/bin/bash
# fork(), exec and daemon() under the LD_PRELOAD shim (docs/fork.md), with
# Linux clients in a namespace (tests/integration/shim/fork_serve.c):
#  - a listener shared by 4 children that each accept 5 connections while
#    the parent keeps its copy: 20 connections, every child serves its 5
#  - a connected socket handed to the child while the parent closes its
#    copy: the child talks on it and its close ends the connection
#  - exec: the socket (not close-on-exec) is closed in the new image
#    (the documented divergence) and the peer sees the connection end
#  - a child that ends with _exit() holding a connection: the parent's
#    close ends it (the dead holder is forgotten)
#  - a child killed by SIGKILL holding a connection alone: the connection
#    ends (FIN) while the parent polls the listener
#  - daemon(): the daemonised process accepts on the inherited listener
#  - python3: os.fork, the child echoes on an inherited UDP socket
. "$(dirname "$0")/_init.sh"

SHIM=$RS_BUILD/lib/preload/libringsock_preload.so
FS=$RS_BUILD/tests/integration/fork_serve
[ -f "$SHIM" ] || fail "shim not built ($SHIM)"
[ -x "$FS" ] || fail "fork_serve not built ($FS)"
pre() { LD_PRELOAD=$SHIM "$@"; }

rs_peer p1 10.0.0.2/24
rs_start
ringctl addr add 10.0.0.1/24 dev port0
# eof_client PORT N: N connections one after the other, each read to its
# end; prints what they got, newlines as spaces (a recv timeout: a holder
# that should be gone still keeps a connection open)
eof_client() {
	in_ns p1 timeout 30 $PY -c '
import socket, sys
data = b""
for i in range(int(sys.argv[2])):
    c = socket.create_connection(("10.0.0.1", int(sys.argv[1])), timeout=10)
    while True:
        d = c.recv(100)
        if not d:
            break
        data += d
    c.close()
print(data.decode().replace("\n", " ").strip())' "$1" "$2"
}
listening() { ringctl -j sock show | jq -e ".[] | select(.local | endswith(\":$1\"))" >/dev/null; }

# --- a shared listener, 4 accepting children ----------------------------
pre "$FS" serve 7400 4 5 >"$RS_TMP/serve.out" 2>&1 &
srv=$!
wait_for 10 grep -q ready "$RS_TMP/serve.out" || fail "serve: $(cat "$RS_TMP/serve.out")"
wait_for 10 listening 7400 || fail "serve: not listening: $(ringctl sock show)"
in_ns p1 timeout 60 $PY - >"$RS_TMP/serve.client" <<'PYEOF' || fail "serve client: $(cat "$RS_TMP/serve.client") $(cat "$RS_TMP/serve.out")"
import collections, socket
seen = collections.Counter()
for i in range(20):
    c = socket.create_connection(("10.0.0.1", 7400), timeout=20)
    data = b""
    while True:
        d = c.recv(100)
        if not d:
            break
        data += d
    c.close()
    assert data.startswith(b"child "), (i, data)
    seen[data.strip().decode()] += 1
print(sorted(seen.items()))
assert len(seen) == 4 and all(n == 5 for n in seen.values()), seen
PYEOF
timeout 10 tail --pid=$srv -f /dev/null || fail "serve: parent did not end"
wait $srv || fail "serve: a child failed: $(cat "$RS_TMP/serve.out")"
ok "shared listener: 20 connections, each of 4 children served 5 $(cat "$RS_TMP/serve.client")"

# --- a connected socket handed over; the parent closes its copy ----------
pre "$FS" handoff 7401 >"$RS_TMP/handoff.out" 2>&1 &
srv=$!
wait_for 10 grep -q ready "$RS_TMP/handoff.out" || fail "handoff: $(cat "$RS_TMP/handoff.out")"
out=$(in_ns p1 timeout 20 $PY - <<'PYEOF'
import socket
c = socket.create_connection(("10.0.0.1", 7401), timeout=10)
c.sendall(b"ping")
data = b""
while True:
    d = c.recv(100)      # a timeout here: the connection never ended
    if not d:
        break
    data += d
print(data.decode())
PYEOF
) || fail "handoff client: $out $(cat "$RS_TMP/handoff.out")"
[ "$out" = "pong from child" ] || fail "handoff: client got '$out' $(cat "$RS_TMP/handoff.out")"
wait $srv || fail "handoff: $(cat "$RS_TMP/handoff.out")"
ok "connected socket: parent closed its copy, the child answered and its close ended it"

# --- exec: the socket does not survive it (docs/fork.md) -----------------
pre "$FS" exec 7402 >"$RS_TMP/exec.out" 2>&1 &
srv=$!
wait_for 10 grep -q ready "$RS_TMP/exec.out" || fail "exec: $(cat "$RS_TMP/exec.out")"
out=$(in_ns p1 timeout 20 $PY - <<'PYEOF'
import socket
c = socket.create_connection(("10.0.0.1", 7402), timeout=10)
print("eof" if c.recv(100) == b"" else "data")   # a timeout: still open
PYEOF
) || fail "exec client: $out $(cat "$RS_TMP/exec.out")"
[ "$out" = eof ] || fail "exec: client got $out"
# the new image's report, then a connection that ends the server
wait_for 10 grep -q "^exec: " "$RS_TMP/exec.out" || fail "exec: no report: $(cat "$RS_TMP/exec.out")"
in_ns p1 $PY -c 'import socket; socket.create_connection(("10.0.0.1", 7402), timeout=10).close()' ||
	fail "exec: second connection"
wait $srv || fail "exec: $(cat "$RS_TMP/exec.out")"
grep -qx "exec: closed" "$RS_TMP/exec.out" || fail "exec: $(cat "$RS_TMP/exec.out")"
ok "exec: the socket is closed in the new image and the peer saw the end"

# --- a holder that died without closing ----------------------------------
pre "$FS" deadchild 7404 >"$RS_TMP/dead.out" 2>&1 &
srv=$!
wait_for 10 grep -q ready "$RS_TMP/dead.out" || fail "deadchild: $(cat "$RS_TMP/dead.out")"
out=$(eof_client 7404 1) || fail "deadchild client: $out $(cat "$RS_TMP/dead.out")"
[ "$out" = parent ] || fail "deadchild: client got '$out'"
wait $srv || fail "deadchild: $(cat "$RS_TMP/dead.out")"
ok "a child ended by _exit() holding the connection: the parent's close ended it"

# --- a holder killed by a signal -------------------------------------------
pre "$FS" killed 7405 >"$RS_TMP/killed.out" 2>&1 &
srv=$!
wait_for 10 grep -q ready "$RS_TMP/killed.out" || fail "killed: $(cat "$RS_TMP/killed.out")"
out=$(eof_client 7405 2) || fail "killed client: $out $(cat "$RS_TMP/killed.out")"
[ "$out" = "child parent" ] || fail "killed: client got '$out'"
wait $srv || fail "killed: $(cat "$RS_TMP/killed.out")"
ok "a child killed by SIGKILL holding a connection: the connection ended while the parent polled"

# --- daemon() -------------------------------------------------------------
pre "$FS" daemon 7403 "$RS_TMP/daemon.pid" >"$RS_TMP/daemon.out" 2>&1 ||
	fail "daemon: $(cat "$RS_TMP/daemon.out")"
wait_for 10 grep -q ready "$RS_TMP/daemon.out" || fail "daemon: $(cat "$RS_TMP/daemon.out")"
dpid=$(cat "$RS_TMP/daemon.pid")
out=$(in_ns p1 timeout 20 $PY -c '
import socket
c = socket.create_connection(("10.0.0.1", 7403), timeout=10)
data = b""
while True:
    d = c.recv(100)
    if not d:
        break
    data += d
print(data.decode().strip())') || fail "daemon client: $out $(cat "$RS_TMP/daemon.out")"
[ "$out" = daemon ] || fail "daemon: client got '$out'"
timeout 10 tail --pid="$dpid" -f /dev/null || fail "daemon: process $dpid did not end"
ok "daemon(): the daemonised process served on the inherited listener"

# --- python3: os.fork, echo on an inherited UDP socket -------------------
in_ns p1 $PY "$RS_ROOT/tests/integration/shim/udp_echo_linux.py" 10.0.0.2 9000 &
wait_for 10 bash -c "ip netns exec p1 ss -uln | grep -q ':9000'" || fail "Linux echo did not start"
pre timeout 20 $PY - <<'PYEOF' || fail "python fork"
import os, socket
peer = ("10.0.0.2", 9000)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
def echo(d):
    s.sendto(d, peer)
    assert s.recvfrom(100)[0] == d
echo(b"parent-1")
pid = os.fork()
if pid == 0:
    code = 1
    try:
        echo(b"child")
        s.close()
        code = 0
    finally:
        os._exit(code)
_, st = os.waitpid(pid, 0)
assert os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0, st
echo(b"parent-2")
PYEOF
ok "python3 os.fork: the child echoed on the inherited socket, the parent after it"

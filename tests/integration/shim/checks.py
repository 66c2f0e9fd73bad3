# Semantics of the shim, from an unmodified python3 under LD_PRELOAD:
#   python3 checks.py PEER PORT     (PEER:PORT is a Linux UDP echo server)
# Each check prints "ok NAME"; the first failure raises.
import errno, os, select, selectors, signal, socket, subprocess, sys, time

peer = (sys.argv[1], int(sys.argv[2]))

def ok(name):
    print("ok", name, flush=True)

def echo(s, data=b"ping"):
    s.sendto(data, peer)
    back, a = s.recvfrom(65535)
    assert back == data and a == peer, (back, a)

def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    return s

# 1. echo, getsockname, the socket is the shim's (SO_TYPE, SO_DOMAIN)
s = udp()
echo(s)
name = s.getsockname()
assert name[0] == "10.0.0.1" or name[0] == "0.0.0.0", name
assert s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) == socket.SOCK_DGRAM
ok("echo")

# 2. connect, send/recv, read/write through os (read(2)/write(2) on the fd)
s.connect(peer)
s.setblocking(True)   # os.read on a socket with a timeout is non-blocking
os.write(s.fileno(), b"via-write")
assert os.read(s.fileno(), 100) == b"via-write"
assert s.getpeername() == peer
ok("read_write")

# 3. sendmsg/recvmsg with several buffers, readv/writev
s.sendmsg([b"ab", b"cd", b"ef"])
data, anc, flags, addr = s.recvmsg(100)
assert data == b"abcdef", data
os.writev(s.fileno(), [b"12", b"34"])
b1, b2 = bytearray(3), bytearray(10)
n = os.readv(s.fileno(), [b1, b2])
assert n == 4 and bytes(b1) == b"123" and bytes(b2[:1]) == b"4", (n, b1, b2)
s.settimeout(5)
ok("msg_vec")

# 4. non-blocking: EAGAIN, FIONBIO through setblocking, F_GETFL
s.setblocking(False)
try:
    s.recv(10)
    raise AssertionError("recv on an empty non-blocking socket returned")
except BlockingIOError:
    pass
import fcntl
assert fcntl.fcntl(s.fileno(), fcntl.F_GETFL) & os.O_NONBLOCK
s.setblocking(True)
s.settimeout(5)
ok("nonblock")

# 5. one epoll set with a kernel pipe and the ringstack socket
sel = selectors.EpollSelector()
r, w = os.pipe()
sel.register(r, selectors.EVENT_READ, "pipe")
sel.register(s, selectors.EVENT_READ, "udp")
assert sel.select(0) == []
os.write(w, b"x")
ev = [k.data for k, _ in sel.select(2)]
assert ev == ["pipe"], ev
os.read(r, 1)
s.send(b"e1")
deadline = time.time() + 5
ev = []
while not ev and time.time() < deadline:
    ev = [k.data for k, _ in sel.select(1)]
assert ev == ["udp"], ev
assert s.recv(10) == b"e1"
os.write(w, b"y")
s.send(b"e2")
got = set()
deadline = time.time() + 5
while got != {"pipe", "udp"} and time.time() < deadline:
    got |= {k.data for k, _ in sel.select(1)}
assert got == {"pipe", "udp"}, got
os.read(r, 1); s.recv(10)
sel.close()
ok("epoll_mixed")

# 6. poll and select with both kinds
p = select.poll()
p.register(r, select.POLLIN)
p.register(s, select.POLLIN)
assert p.poll(0) == []
s.send(b"p1")
res = p.poll(5000)
assert res == [(s.fileno(), select.POLLIN)], res
s.recv(10)
os.write(w, b"z")
rr, ww, _ = select.select([r, s], [s], [], 5)
assert rr == [r] and ww == [s], (rr, ww)
os.read(r, 1)
s.send(b"s1")
rr, _, _ = select.select([r, s], [], [], 5)
assert rr == [s], rr
s.recv(10)
ok("poll_select")

# 7. dup: both names work, the socket lives until the last is closed
s2 = s.dup()
assert s2.fileno() != s.fileno()
s.close()
s2.settimeout(5)
s2.send(b"dup")
assert s2.recv(10) == b"dup"
os.dup2(s2.fileno(), 200)
s2.close()
d = socket.socket(fileno=200)
d.settimeout(5)
d.send(b"dup2")
assert d.recv(10) == b"dup2"
d.close()
try:
    os.fstat(200)
    raise AssertionError("fd 200 still open")
except OSError as e:
    assert e.errno == errno.EBADF
ok("dup")

# 8. EINTR: a signal whose handler raises interrupts a blocking recv
s = udp()
s.settimeout(None)
s.bind(("0.0.0.0", 0))
class Alarm(Exception):
    pass
def on_alarm(sig, frame):
    raise Alarm()
signal.signal(signal.SIGALRM, on_alarm)
signal.setitimer(signal.ITIMER_REAL, 0.3)
t0 = time.time()
try:
    s.recv(10)
    raise AssertionError("recv returned")
except Alarm:
    pass
assert time.time() - t0 < 5
# a handler that returns: PEP 475 retries, the recv keeps waiting for data
hits = []
signal.signal(signal.SIGALRM, lambda sig, f: hits.append(sig))
signal.setitimer(signal.ITIMER_REAL, 0.2)
s.settimeout(1.0)
try:
    s.recv(10)
    raise AssertionError("recv returned")
except socket.timeout:
    pass
assert hits == [signal.SIGALRM], hits
signal.signal(signal.SIGALRM, signal.SIG_DFL)
s.close()
ok("eintr")

# 9. fork: the child keeps the inherited sockets (docs/fork.md) and makes
# its own; closing its copy leaves the parent's open
s = udp()
echo(s, b"before-fork")
pid = os.fork()
if pid == 0:
    code = 0
    try:
        echo(s, b"child-inherited")
        c = udp()
        echo(c, b"child-own")
        c.close()
        s.close()
    except Exception as e:
        print("child:", repr(e), flush=True)
        code = 5
    os._exit(code)
_, status = os.waitpid(pid, 0)
assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
echo(s, b"after-fork")
ok("fork")

# 10. exec: ringstack sockets are always close-on-exec (divergence)
os.set_inheritable(s.fileno(), True)
assert not os.get_inheritable(s.fileno())
out = subprocess.run([sys.executable, "-c",
    "import os,sys; fd=int(sys.argv[1])\ntry:\n os.fstat(fd); print('open')\nexcept OSError: print('closed')",
    str(s.fileno())], close_fds=False, capture_output=True, text=True, check=True)
assert out.stdout.strip() == "closed", out.stdout
ok("exec_cloexec")

# 11. other families stay the kernel's
a, b = socket.socketpair()
a.send(b"unix")
assert b.recv(10) == b"unix"
u = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
u.close()
ok("other_families")

# 12. threads: concurrent echoes on their own sockets
import threading
errs = []
def worker(k):
    try:
        t = udp()
        for i in range(50):
            echo(t, b"%d-%d" % (k, i))
        t.close()
    except Exception as e:
        errs.append(repr(e))
ts = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
assert not errs, errs
ok("threads")
print("all ok", flush=True)

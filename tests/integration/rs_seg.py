# SPDX-License-Identifier: BSD-3-Clause
"""A by-hand client of the application segment (lib/sock/sock_shm.h,
version 5) for hostile-application tests: it attaches, issues requests and
writes records the way libringsock does, and lets a test break any rule
on purpose. Every offset here mirrors a struct in sock_shm.h; the
_check_layout() asserts keep them honest against the header's sizes."""
import mmap
import os
import socket
import struct
import time

CTL_MAGIC = 0x52534354
CTL_T_ATTACH = 3

SOP = dict(SOCKET=1, BIND=2, CONNECT=3, CLOSE=4, SETSOCKOPT=5, GETSOCKOPT=6,
           GETSOCKNAME=7, GETPEERNAME=8, LISTEN=9, ACCEPT=10, SHUTDOWN=11)

HDR_FMT = "<IIQIIQQ"            # magic version size max_socks nworkers socks_off addrs_off
DESC_FMT = "<QQII"              # hdr_off data_off size pad
SADDR_FMT = "<HHII16s"          # family port flowinfo scope addr
SREQ_FMT = "<IHHi3i" + SADDR_FMT[1:] + "I256s"
SCPL_FMT = "<Ii" + SADDR_FMT[1:] + "I256s"
TXMETA_FMT = "<" + SADDR_FMT[1:] + "16shhi"
RXMETA_FMT = "<" + SADDR_FMT[1:] + "16sHBB"
SLOT_SIZE = 768
SLOT_APP_WAIT = 128
SLOT_TX_ARMED = 132
SLOT_APP_WOKEN = 136
SLOT_APP_CLOSE = 164
SLOT_SO_ERROR = 48
SLOT_WORKER = 56


def _check_layout():
    assert struct.calcsize(SREQ_FMT) == 312, struct.calcsize(SREQ_FMT)
    assert struct.calcsize(SCPL_FMT) == 296, struct.calcsize(SCPL_FMT)
    assert struct.calcsize(TXMETA_FMT) == 52, struct.calcsize(TXMETA_FMT)
    assert struct.calcsize(RXMETA_FMT) == 48, struct.calcsize(RXMETA_FMT)


_check_layout()


def ip4(a):
    """An IPv4 address in the segment's form (IPv4-mapped, 16 bytes)."""
    return b"\0" * 10 + b"\xff\xff" + socket.inet_aton(a)


def saddr4(a, port):
    return struct.pack(SADDR_FMT, socket.AF_INET, port, 0, 0, ip4(a))


def ld32(m, off):
    """One 32-bit load: struct.unpack_from reads a byte at a time, and a
    word the daemon changes meanwhile would come out torn."""
    return int.from_bytes(m[off:off + 4], "little")


def st32(m, off, v):
    """One 32-bit store (mmap slice assignment is a memcpy of 4 bytes):
    struct.pack_into stores a byte at a time, lowest first, so a ring index
    crossing a byte boundary would briefly go backwards, which the daemon
    rightly takes for a hostile application."""
    m[off:off + 4] = (v & 0xffffffff).to_bytes(4, "little")


class Ring:
    def __init__(self, m, desc):
        self.m = m
        self.hdr, self.data, self.size, _ = desc

    def prod(self):
        return ld32(self.m, self.hdr)

    def cons(self):
        return ld32(self.m, self.hdr + 64)

    def set_prod(self, v):
        st32(self.m, self.hdr, v)

    def set_cons(self, v):
        st32(self.m, self.hdr + 64, v)

    def write_bytes(self, pos, b):
        off = pos % self.size
        first = min(len(b), self.size - off)
        self.m[self.data + off:self.data + off + first] = b[:first]
        if first < len(b):
            self.m[self.data:self.data + len(b) - first] = b[first:]

    def read_bytes(self, pos, n):
        off = pos % self.size
        first = min(n, self.size - off)
        out = self.m[self.data + off:self.data + off + first]
        if first < n:
            out += self.m[self.data:self.data + n - first]
        return bytes(out)

    def put_record(self, payload, meta=b"", publish=True, hdr_len=None):
        """Writes one record (shm_ring.h) at prod; returns its start."""
        p = self.prod()
        rec = struct.pack("<IIII", len(payload) if hdr_len is None else hdr_len,
                          len(meta), 0, 0) + meta + payload
        rec += b"\0" * ((-len(rec)) % 8)
        if len(rec) > self.size - (p - self.cons()):
            raise BlockingIOError("ring full")
        self.write_bytes(p, rec)
        if publish:
            self.set_prod(p + len(rec))
        return p

    def get_record(self):
        """(meta, payload) of the next record, consumed, or None."""
        c, p = self.cons(), self.prod()
        if c == p:
            return None
        ln, ml, _, _ = struct.unpack("<IIII", self.read_bytes(c, 16))
        body = self.read_bytes(c + 16, ml + ln)
        span = (16 + ml + ln + 7) & ~7
        self.set_cons(c + span)
        return body[:ml], body[ml:]


class Seg:
    """One attached application."""

    def __init__(self, ctl_path, version=5, name=b"hostile"):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(ctl_path)
        body = struct.pack("<II32s", version, os.getpid(), name)
        self.s.sendall(struct.pack("<IHHII", CTL_MAGIC, 1, CTL_T_ATTACH, 1, len(body)) + body)
        msg, anc, _, _ = self.s.recvmsg(64, socket.CMSG_SPACE(4))
        status, _, size = struct.unpack("<iIQ", msg[16:32])
        if status != 0:
            raise OSError(-status, os.strerror(-status))
        self.memfd = struct.unpack("i", anc[0][2][:4])[0]
        self.size = size
        self.m = mmap.mmap(self.memfd, size)
        h = struct.unpack_from(HDR_FMT, self.m, 0)
        (self.magic, self.version, _, self.max_socks, self.nworkers, self.socks_off,
         self.addrs_off) = h
        off = struct.calcsize(HDR_FMT)
        d = struct.calcsize(DESC_FMT)
        self.req = Ring(self.m, struct.unpack_from(DESC_FMT, self.m, off))
        self.cpl = Ring(self.m, struct.unpack_from(DESC_FMT, self.m, off + d))
        self.bells = [Ring(self.m, struct.unpack_from(DESC_FMT, self.m, off + (2 + w) * d))
                      for w in range(self.nworkers)]
        self.seq = 0
        self.fds = {}
        self.s.settimeout(5)

    # ---- control ----
    def kick(self, n=1):
        self.s.send(b"k" * n)

    def put_request(self, op, sd=-1, a=(0, 0, 0), addr=None, opt=b""):
        self.seq += 1
        if addr is None:
            addr = struct.pack(SADDR_FMT, 0, 0, 0, 0, b"\0" * 16)
        body = struct.pack("<IHHi3i", self.seq, SOP[op] if isinstance(op, str) else op, 0,
                           sd, *a) + addr + struct.pack("<I256s", len(opt), opt)
        self.req.put_record(body)
        return self.seq

    def wait_completion(self):
        """(ret, cpl addr bytes, opt, fd) of the next completion."""
        fds = []
        data, anc, _, _ = self.s.recvmsg(1, socket.CMSG_SPACE(4 * 4))
        if not data:
            raise ConnectionResetError("daemon hung up")
        for lvl, typ, b in anc:
            if lvl == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                fds += list(struct.unpack("%di" % (len(b) // 4), b[:len(b) - len(b) % 4]))
        rec = self.cpl.get_record()
        if rec is None:
            raise RuntimeError("kick without a completion")
        f = struct.unpack(SCPL_FMT, rec[1][:struct.calcsize(SCPL_FMT)])
        ret = f[1]
        addr = rec[1][8:8 + 28]
        optlen = f[7]
        return ret, addr, f[8][:optlen], (fds[0] if fds else -1)

    def op(self, op, sd=-1, a=(0, 0, 0), addr=None, opt=b""):
        self.put_request(op, sd, a, addr, opt)
        self.kick()
        return self.wait_completion()

    def socket(self, type_=socket.SOCK_DGRAM):
        ret, _, _, fd = self.op("SOCKET", a=(socket.AF_INET, type_, 0))
        if ret < 0:
            raise OSError(-ret, os.strerror(-ret))
        self.fds[ret] = fd
        return ret

    def slot(self, sd):
        return self.socks_off + sd * SLOT_SIZE

    def rings(self, sd):
        o = self.slot(sd)
        d = struct.calcsize(DESC_FMT)
        rx = Ring(self.m, struct.unpack_from(DESC_FMT, self.m, o))
        tx = Ring(self.m, struct.unpack_from(DESC_FMT, self.m, o + d))
        return rx, tx

    def worker_of(self, sd):
        return struct.unpack_from("<I", self.m, self.slot(sd) + SLOT_WORKER)[0]

    def set_app_wait(self, sd, v):
        """Arm (v != 0) or disarm: arming clears app_woken, as libringsock's
        rs_wait_enter does (the daemon sends one wake-up per arming)."""
        if v:
            struct.pack_into("<I", self.m, self.slot(sd) + SLOT_APP_WOKEN, 0)
        struct.pack_into("<I", self.m, self.slot(sd) + SLOT_APP_WAIT, v)

    def so_error(self, sd):
        return struct.unpack_from("<i", self.m, self.slot(sd) + SLOT_SO_ERROR)[0]

    def ring_bell(self, sd):
        """As libringsock's rs_doorbell: ring only when the worker has no
        doorbell of ours pending (it clears tx_armed, then looks at the ring
        again), and wait while the doorbell ring is full, not lose it."""
        o = self.slot(sd) + SLOT_TX_ARMED
        if ld32(self.m, o) != 0:
            return
        st32(self.m, o, 1)
        w = self.worker_of(sd) % self.nworkers
        end = time.monotonic() + 5
        while True:
            try:
                self.bells[w].put_record(struct.pack("<I", sd))
                return
            except BlockingIOError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.0005)

    def send_dgram(self, sd, dst, port, payload, ttl=-1, tos=-1, bell=True):
        _, tx = self.rings(sd)
        meta = struct.pack(TXMETA_FMT, socket.AF_INET, port, 0, 0, ip4(dst), b"\0" * 16,
                           tos, ttl, 0)
        pos = tx.put_record(payload, meta)
        if bell:
            self.ring_bell(sd)
        return tx, pos

    def close(self):
        self.m.close()
        os.close(self.memfd)
        for fd in self.fds.values():
            if fd >= 0:
                os.close(fd)
        self.s.close()


# ---- stream sockets (sock_shm.h "Stream sockets") ----
SLOT_STATE = 60
SLOT_ACCEPT_PROD = 512
SLOT_ACCEPT_CONS = 576
SS = dict(CONNECTED=0x01, RCV_EOF=0x02, SND_CLOSED=0x04, RESET=0x08, CLOSED=0x10, LISTEN=0x20,
          CONNECTING=0x40)


def _state(seg, sd):
    return ld32(seg.m, seg.slot(sd) + SLOT_STATE)


def _accept_waiting(seg, sd):
    o = seg.slot(sd)
    n = 0
    for w in range(seg.nworkers):
        p = ld32(seg.m, o + SLOT_ACCEPT_PROD + 4 * w)
        c = ld32(seg.m, o + SLOT_ACCEPT_CONS + 4 * w)
        n += (p - c) & 0xffffffff
    return n


def _stream_read(seg, sd, n=65536):
    rx, _ = seg.rings(sd)
    c, p = rx.cons(), rx.prod()
    k = min(n, (p - c) & 0xffffffff)
    data = rx.read_bytes(c, k)
    rx.set_cons(c + k)
    return data


def _stream_write(seg, sd, data, bell=True):
    _, tx = seg.rings(sd)
    p, c = tx.prod(), tx.cons()
    k = min(len(data), tx.size - ((p - c) & 0xffffffff))
    tx.write_bytes(p, data[:k])
    tx.set_prod(p + k)
    if bell:
        seg.ring_bell(sd)
    return k


Seg.state = _state
Seg.accept_waiting = _accept_waiting
Seg.stream_read = _stream_read
Seg.stream_write = _stream_write

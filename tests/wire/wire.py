# SPDX-License-Identifier: BSD-3-Clause
"""The tester's side of the wire tests (tests/wire/run.sh), gVisor
packetimpact's method: scapy sends and expects TCP segments on the veth from
an address the tester namespace's kernel does not own (so it answers nothing
on its own), and drives the device under test's (DUT) socket calls through
wire_dut (one line per call, see wire_dut.c).

A script prints one line per observation: "CASE key=value ...". The runner
runs each script against Linux and against ringstack and compares the lines
case by case. Observations are what a peer can see (flags, seq/ack relations,
options present, call results), and times only as classes ("in range" or
not) so that both runs can print the same line.

Environment (set by run.sh): WIRE_IFACE, WIRE_DMAC (the DUT's MAC), WIRE_SRC
(the tester's address), WIRE_DST (the DUT's), WIRE_DUT (the command that
starts wire_dut for this DUT).
"""
import os
import random
import select
import shlex
import subprocess
import sys
import time

from scapy.all import Ether, IP, TCP, Raw, conf, get_if_hwaddr

conf.verb = 0
IFACE = os.environ["WIRE_IFACE"]
DMAC = os.environ["WIRE_DMAC"]
SRC = os.environ["WIRE_SRC"]
DST = os.environ["WIRE_DST"]
M32 = 1 << 32
_sock = conf.L2socket(iface=IFACE)
_smac = get_if_hwaddr(IFACE)


def add(a, b):
    return (a + b) % M32


def diff(a, b):
    """a - b in sequence space, signed."""
    d = (a - b) % M32
    return d - M32 if d >= 1 << 31 else d


def out(case, **kv):
    print(case, " ".join("%s=%s" % (k, v) for k, v in kv.items()), flush=True)


def send(tcp):
    _sock.send(Ether(src=_smac, dst=DMAC) / IP(src=SRC, dst=DST) / tcp)


def flags(t):
    """Flags as a canonical string (order FSRPAUEC as scapy prints them)."""
    return str(t.flags) if t is not None else "none"


def plen(t):
    return len(bytes(t.payload)) if t is not None else 0


def optkinds(t):
    return sorted({o[0] for o in t.options if o[0] not in ("NOP", "EOL")})


def opt(t, kind):
    for o in t.options:
        if o[0] == kind:
            return o[1]
    return None


def expect(sport, timeout, want=None):
    """The next segment from the DUT to sport that want() accepts, or None.
    Segments it does not accept are dropped. Also returns its arrival time."""
    end = time.time() + timeout
    while True:
        left = end - time.time()
        if left <= 0:
            return None
        r, _, _ = select.select([_sock], [], [], left)
        if not r:
            return None
        p = _sock.recv()
        if p is None or IP not in p or TCP not in p:
            continue
        if p[IP].src != DST or p[IP].dst != SRC or p[TCP].dport != sport:
            continue
        t = p[TCP]
        t.rx_time = time.time()
        if want is None or want(t):
            return t


def collect(sport, duration, stop=None):
    """Every segment to sport within duration seconds (until stop(list))."""
    got = []
    end = time.time() + duration
    while time.time() < end:
        t = expect(sport, end - time.time())
        if t is None:
            break
        got.append(t)
        if stop is not None and stop(got):
            break
    return got


def drain(sport, quiet=0.05):
    while expect(sport, quiet) is not None:
        pass


class Dut:
    """wire_dut: call("listen 80 5") -> "ok 3" split as (True, "3")."""

    def __init__(self):
        self.p = subprocess.Popen(shlex.split(os.environ["WIRE_DUT"]), stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, bufsize=1)

    def call(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        r, _, _ = select.select([self.p.stdout], [], [], 20)
        if not r:
            raise RuntimeError("wire_dut did not answer %r" % line)
        a = self.p.stdout.readline().rstrip("\n")
        if not a:
            raise RuntimeError("wire_dut ended at %r" % line)
        k, _, v = a.partition(" ")
        return k == "ok", v

    def res(self, line):
        """The call's result: the value or the errno name."""
        return self.call(line)[1]

    def fd(self, line):
        ok, v = self.call(line)
        if not ok:
            raise RuntimeError("%s: %s" % (line, v))
        return int(v)

    def close(self):
        try:
            self.call("quit")
        except Exception:
            pass
        self.p.stdin.close()
        self.p.wait(5)


class Conn:
    """One connection seen from the tester: snd = our next sequence number,
    rcv = the DUT's next (what we acknowledge)."""

    def __init__(self, dut, sport, dport):
        self.dut, self.sport, self.dport = dut, sport, dport
        self.snd = self.rcv = 0
        self.fd = None
        self.synack = None

    def seg(self, fl="A", seq=None, ack=None, win=65535, data=b"", **kw):
        t = TCP(sport=self.sport, dport=self.dport, flags=fl,
                seq=self.snd if seq is None else seq,
                ack=(self.rcv if ack is None else ack) if "A" in fl else 0, window=win, **kw)
        send(t / Raw(data) if data else t)

    def expect(self, timeout=1.0, want=None):
        return expect(self.sport, timeout, want)

    def data(self, payload, fl="PA", **kw):
        self.seg(fl, data=payload, **kw)
        self.snd = add(self.snd, len(payload))

    def accept_syn(self, opts=None, iss=None, win=65535):
        """Tester -> SYN to a DUT listener; returns the SYN-ACK (or None)."""
        self.iss = random.randrange(M32) if iss is None else iss
        self.snd = self.iss
        t = TCP(sport=self.sport, dport=self.dport, flags="S", seq=self.iss, window=win,
                options=[("MSS", 1460), ("SAckOK", b"")] if opts is None else opts)
        send(t)
        self.snd = add(self.iss, 1)
        sa = self.expect(2, lambda t: "S" in flags(t) or "R" in flags(t))
        self.synack = sa
        if sa is not None and "S" in flags(sa):
            self.rcv = add(sa.seq, 1)
        return sa

    def passive(self, lfd, opts=None, win=65535, iss=None):
        """A full handshake into DUT listener lfd, accepted: self.fd."""
        sa = self.accept_syn(opts, iss, win)
        if sa is None or flags(sa) != "SA":
            raise RuntimeError("no SYN-ACK from port %d: %r" % (self.dport, sa))
        mine, theirs = _ts_of(opts), opt(sa, "Timestamp")
        if mine is not None and theirs is not None:
            self.seg("A", win=win, options=[("NOP", None), ("NOP", None), ("Timestamp", (mine, theirs[0]))])
        else:
            self.seg("A", win=win)
        self.fd = self.dut.fd("accept %d 2000" % lfd)
        return sa

    def active(self, opts=None, win=65535, rcvbuf=None):
        """DUT connects to the tester: returns the DUT's SYN; answers it with
        a SYN-ACK carrying opts and waits for the connect to complete."""
        self.fd = self.dut.fd("connect %s %d%s" % (SRC, self.sport, " %d" % rcvbuf if rcvbuf else ""))
        syn = self.expect(2, lambda t: "S" in flags(t))
        if syn is None:
            raise RuntimeError("no SYN from the DUT")
        self.dport = syn.sport
        self.rcv = add(syn.seq, 1)
        self.iss = random.randrange(M32)
        self.seg("SA", seq=self.iss, win=win,
                 options=[("MSS", 1460), ("SAckOK", b"")] if opts is None else opts)
        self.snd = add(self.iss, 1)
        ok, v = self.dut.call("connwait %d 2000" % self.fd)
        if not ok:
            raise RuntimeError("connect: %s" % v)
        return syn

    def reset(self):
        """Tear the connection down (RST at snd)."""
        self.seg("R", seq=self.snd)


def _ts_of(opts):
    for o in opts or []:
        if o[0] == "Timestamp":
            return o[1][0]
    return None


_port = random.randrange(20000, 60000)


def port():
    """A fresh tester port."""
    global _port
    _port += 1
    return _port


def run(main):
    dut = Dut()
    try:
        main(dut)
    finally:
        dut.close()


def collect_ports(ports, duration):
    """Every segment from the DUT to any of ports within duration seconds,
    as {port: [segments]}."""
    got = {p: [] for p in ports}
    end = time.time() + duration
    while True:
        left = end - time.time()
        if left <= 0:
            return got
        r, _, _ = select.select([_sock], [], [], left)
        if not r:
            return got
        p = _sock.recv()
        if p is None or IP not in p or TCP not in p:
            continue
        if p[IP].src != DST or p[IP].dst != SRC or p[TCP].dport not in got:
            continue
        t = p[TCP]
        t.rx_time = time.time()
        got[t.dport].append(t)


def backoff_class(times, lo=1.5, hi=2.6):
    """Intervals between times: each about twice the one before?"""
    iv = [b - a for a, b in zip(times, times[1:])]
    if len(iv) < 2:
        return "few(%d)" % len(times)
    rs = [b / a for a, b in zip(iv, iv[1:]) if a > 0]
    return "doubling" if all(lo <= r <= hi for r in rs) else "other"


def within(x, lo, hi):
    return x is not None and lo <= x <= hi

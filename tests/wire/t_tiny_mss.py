# SPDX-License-Identifier: BSD-3-Clause
"""Tiny and odd MSS values from the peer: what the DUT's segments carry
(Linux clamps to tcp_min_snd_mss, 48; an MSS of 0 means the default)."""
from wire import Conn, add, diff, flags, out, plen, port, run

N = 1000


def receive(c, una):
    """Acknowledge as segments come until N bytes arrived: their sizes."""
    sizes = {}
    while True:
        r = c.expect(1.0, lambda t: plen(t) > 0)
        if r is None:
            break
        off = diff(r.seq, una)
        if off not in sizes:
            sizes[off] = plen(r)
        got = 0
        while got in sizes:
            got += sizes[got]
        c.seg("A", ack=add(una, got))
        if got >= N:
            break
    return sizes


def main(dut):
    lfd = dut.fd("listen 7010 16")
    for name, opts in (
            ("mss88", [("MSS", 88)]),
            ("mss88_ts", [("MSS", 88), ("NOP", None), ("NOP", None), ("Timestamp", (1, 0))]),
            ("mss64", [("MSS", 64)]),
            ("mss40", [("MSS", 40)]),
            ("mss1", [("MSS", 1)]),
            ("mss0", [("MSS", 0)]),
            ("none", []),
    ):
        c = Conn(dut, port(), 7010)
        c.passive(lfd, opts=opts)
        una = c.rcv
        dut.call("set %d nodelay 1" % c.fd)
        dut.res("send %d %d" % (c.fd, N))
        sizes = receive(c, una)
        total = sum(sizes.values())
        out(name, total=total, max_payload=max(sizes.values()) if sizes else 0,
            segments=len(sizes))
        c.reset()
        dut.call("close %d" % c.fd)


run(main)

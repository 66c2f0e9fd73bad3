# SPDX-License-Identifier: BSD-3-Clause
"""RST, SYN, data and ACK in and out of the window on an established
connection (RFC 9293 3.10.7.4, RFC 5961), and the challenge ACK rate."""
import time

from wire import Conn, add, collect, flags, out, port, run


def conn(dut, lfd):
    c = Conn(dut, port(), 7002)
    c.passive(lfd)
    return c


def alive(c):
    """The connection still carries data both ways."""
    c.data(b"ping")
    r = c.dut.res("recv %d 100 1000" % c.fd)
    c.dut.call("send %d 3" % c.fd)
    d = c.expect(1, lambda t: len(bytes(t.payload)) > 0)
    if d is not None:
        c.rcv = add(d.seq, len(bytes(d.payload)))
        c.seg("A")
    return "%s/%s" % (r.split(" ")[0], len(bytes(d.payload)) if d is not None else 0)


def answer(c, r):
    """An answer as flags and its seq/ack relative to the connection."""
    if r is None:
        return "none"
    return "%s,seq%+d,ack%+d" % (flags(r), (r.seq - c.rcv + (1 << 31)) % (1 << 32) - (1 << 31),
                                 (r.ack - c.snd + (1 << 31)) % (1 << 32) - (1 << 31))


def main(dut):
    lfd = dut.fd("listen 7002 16")
    cases = [
        ("rst_out_of_window", "R", 1 << 30, b""),
        ("rst_below_window", "R", -1000, b""),
        ("rst_in_window", "R", 100, b""),
        ("rst_ack_in_window", "RA", 100, b""),
        ("syn_in_window", "S", 10, b""),
        ("syn_out_of_window", "S", 1 << 30, b""),
        ("synack_in_window", "SA", 10, b""),
        ("data_out_of_window", "PA", 1 << 20, b"zz"),
        ("data_old", "PA", -100, b"zz"),
        ("ack_old_seq", "A", -(1 << 20), b""),
    ]
    for name, fl, off, data in cases:
        c = conn(dut, lfd)
        c.seg(fl, seq=add(c.snd, off), data=data)
        r = c.expect(0.4)
        out(name, answer=answer(c, r), alive=alive(c), recv_after=dut.res("recv %d 100 0" % c.fd))
        c.reset()
        dut.call("close %d" % c.fd)

    # an ACK for data never sent
    c = conn(dut, lfd)
    c.seg("A", ack=add(c.rcv, 1 << 20))
    r = c.expect(0.4)
    out("ack_unsent", answer=answer(c, r), alive=alive(c))
    c.reset()
    dut.call("close %d" % c.fd)

    # an exact RST: the connection is gone, the call says so
    c = conn(dut, lfd)
    c.seg("R")
    r = c.expect(0.3)
    out("rst_exact", answer=answer(c, r), recv=dut.res("recv %d 100 500" % c.fd),
        recv_again=dut.res("recv %d 100 0" % c.fd), send=dut.res("send %d 10" % c.fd))
    c.data(b"late")
    r = c.expect(0.5)
    out("after_rst", answer=flags(r), seq_is_ack=(r is not None and r.seq == c.rcv))
    dut.call("close %d" % c.fd)

    # RST with data in it: in window and exact resets too
    c = conn(dut, lfd)
    c.seg("RA", data=b"bye")
    out("rst_with_data", answer=answer(c, c.expect(0.3)), recv=dut.res("recv %d 100 500" % c.fd))
    dut.call("close %d" % c.fd)

    # challenge ACK rate: a burst of in-window RSTs, then one after 0.6 s
    c = conn(dut, lfd)
    for i in range(10):
        c.seg("R", seq=add(c.snd, 100 + i))
    burst = [r for r in collect(c.sport, 0.4) if "A" in flags(r)]
    time.sleep(0.6)
    c.seg("R", seq=add(c.snd, 300))
    later = c.expect(0.5)
    for i in range(10):
        c.seg("S", seq=add(c.snd, 500 + i))
    syns = [r for r in collect(c.sport, 0.4) if "A" in flags(r)]
    out("challenge_rate", burst_of_10_rst=len(burst), after_600ms=flags(later),
        burst_of_10_syn=len(syns), alive=alive(c))
    c.reset()
    dut.call("close %d" % c.fd)


run(main)

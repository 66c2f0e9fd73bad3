# SPDX-License-Identifier: BSD-3-Clause
"""TIME-WAIT after the DUT's active close (RFC 9293 3.10.7.4, RFC 6191,
RFC 1337): a retransmitted FIN and old data are acknowledged again, a RST
ends it (Linux's default, tcp_rfc1337=0), a new SYN above the old sequence
space opens a new connection, one below it gets an ACK."""
from wire import Conn, add, diff, flags, opt, out, plen, port, run


def ans(c, r):
    if r is None:
        return "none"
    return "%s,seq%+d,ack%+d" % (flags(r), diff(r.seq, c.rcv), diff(r.ack, c.snd))


def time_wait(dut, lfd, opts=None):
    """A connection the DUT closed first, now in TIME-WAIT."""
    c = Conn(dut, port(), 7008)
    c.passive(lfd, opts=opts)
    dut.call("close %d" % c.fd)
    f = c.expect(1, lambda t: "F" in flags(t))
    if f is None:
        raise RuntimeError("no FIN from the DUT")
    c.rcv = add(f.seq, plen(f) + 1)
    c.seg("FA")
    c.snd = add(c.snd, 1)
    a = c.expect(1)
    return c, a


def main(dut):
    lfd = dut.fd("listen 7008 16")

    c, a = time_wait(dut, lfd)
    out("enter", last_ack=ans(c, a))
    c.seg("FA", seq=add(c.snd, -1))
    out("fin_again", answer=ans(c, c.expect(1)))
    c.seg("PA", seq=add(c.snd, -1000), data=b"old")
    out("old_data", answer=ans(c, c.expect(1)))
    c.seg("PA", data=b"new")  # new data after the FIN: not acceptable
    out("data_after_fin", answer=ans(c, c.expect(1)))

    c, a = time_wait(dut, lfd)
    c.seg("R")
    out("rst", answer=ans(c, c.expect(0.3)))
    # the 4-tuple is free again: a SYN opens a new connection
    c.seg("S", seq=add(c.snd, 5), options=[("MSS", 1460)])
    r = c.expect(1)
    out("syn_after_rst", answer=flags(r))
    if r is not None and "S" in flags(r):
        c.seg("R", seq=add(c.snd, 6))

    c, a = time_wait(dut, lfd)
    old_snd = c.rcv
    c.seg("S", seq=add(c.snd, 100000), options=[("MSS", 1460)])
    r = c.expect(1)
    out("syn_above", answer=flags(r), ack_is_seq1=(r is not None and r.ack == add(c.snd, 100001)),
        isn_ahead=(r is not None and 0 < diff(r.seq, old_snd) < (1 << 30)))
    if r is not None and "S" in flags(r):
        c.seg("A", seq=add(c.snd, 100001), ack=add(r.seq, 1))
        fd = dut.res("accept %d 1000" % lfd)
        out("syn_above_accept", accepted=fd.isdigit())
        c.seg("R", seq=add(c.snd, 100001))

    c, a = time_wait(dut, lfd)
    c.seg("S", seq=add(c.snd, -100000), options=[("MSS", 1460)])
    out("syn_below", answer=ans(c, c.expect(1)))

    # with timestamps: a SYN with a newer timestamp opens even below
    ts = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1000, 0))]
    c, a = time_wait(dut, lfd, opts=ts)
    c.seg("S", seq=add(c.snd, -100000), options=[("MSS", 1460), ("Timestamp", (900000, 0))])
    r = c.expect(1)
    out("syn_below_newer_ts", answer=flags(r))
    if r is not None and "S" in flags(r):
        c.seg("R", seq=add(c.snd, -99999))
    # a SYN above the sequence space but with an older timestamp: PAWS
    c, a = time_wait(dut, lfd, opts=ts)
    tsecr = opt(a, "Timestamp")[0] if a is not None and opt(a, "Timestamp") else 0
    c.seg("S", seq=add(c.snd, 100000), options=[("MSS", 1460), ("Timestamp", (10, tsecr))])
    out("syn_above_older_ts", answer=flags(c.expect(1)))


run(main)

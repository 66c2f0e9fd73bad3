# SPDX-License-Identifier: BSD-3-Clause
"""Timestamps and PAWS (RFC 7323): echo, old timestamps dropped with a
duplicate ACK, RST accepted whatever its timestamp, segments without one."""
from wire import Conn, add, flags, opt, out, port, run

TS = [("NOP", None), ("NOP", None)]


def ts(v, ecr):
    return TS + [("Timestamp", (v, ecr))]


def main(dut):
    lfd = dut.fd("listen 7003 16")
    c = Conn(dut, port(), 7003)
    sa = c.passive(lfd, opts=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1000, 0))])
    their = opt(sa, "Timestamp")
    out("synack_ts", present=their is not None, ecr=their[1] if their else "-")
    # (the handshake's ACK went without a timestamp: send one now)
    tv = their[0] if their else 0

    def data(payload, val, **kw):
        c.seg("PA", data=payload, options=ts(val, tv), **kw)

    data(b"new1", 2000)
    c.snd = add(c.snd, 4)
    got = dut.res("recv %d 100 1000" % c.fd)
    a = c.expect(1, lambda t: t.ack == c.snd)
    o = opt(a, "Timestamp") if a is not None else None
    out("in_order", recv=got, ack=flags(a), ecr=o[1] if o else "-")

    data(b"old", 1500)  # an older timestamp: PAWS drops it
    a = c.expect(0.5)
    o = opt(a, "Timestamp") if a is not None else None
    out("paws_old", answer=flags(a), ack_moved=(a is not None and a.ack != c.snd),
        ecr=o[1] if o else "-", recv=dut.res("recv %d 100 200" % c.fd))

    data(b"same", 2000)  # equal timestamp is not older
    c.snd = add(c.snd, 4)
    a = c.expect(0.5, lambda t: t.ack == c.snd)
    out("paws_equal", ack=flags(a), recv=dut.res("recv %d 100 500" % c.fd))

    c.seg("PA", data=b"nots")  # no timestamp at all on a connection that has them
    a = c.expect(0.5)
    r = dut.res("recv %d 100 300" % c.fd)
    if r.startswith("4"):
        c.snd = add(c.snd, 4)
    out("no_ts", answer=flags(a), recv=r)

    data(b"wrap", (2000 + (1 << 31) + 10) % (1 << 32))  # more than 2^31 ahead: older
    a = c.expect(0.5)
    out("paws_wrap", answer=flags(a), recv=dut.res("recv %d 100 300" % c.fd))

    # the DUT's own timestamps move forward and echo ours
    dut.call("send %d 10" % c.fd)
    d = c.expect(1, lambda t: len(bytes(t.payload)) > 0)
    o = opt(d, "Timestamp") if d is not None else None
    out("dut_data_ts", present=o is not None, ecr=o[1] if o else "-",
        forward=(o is not None and their is not None and ((o[0] - their[0]) % (1 << 32)) < (1 << 31)))
    if d is not None:
        c.rcv = add(d.seq, len(bytes(d.payload)))

    # RST with an old timestamp: RFC 7323 5.3 accepts it
    c.seg("R", options=ts(5, tv))
    out("rst_old_ts", answer=flags(c.expect(0.3)), recv=dut.res("recv %d 100 500" % c.fd))
    dut.call("close %d" % c.fd)

    # SYN-ACK timestamps on the active side: our SYN-ACK's echo must be theirs
    c = Conn(dut, port(), 0)
    c.fd = dut.fd("connect 10.0.0.3 %d" % c.sport)
    syn = c.expect(2, lambda t: "S" in flags(t))
    so = opt(syn, "Timestamp")
    c.dport = syn.sport
    c.rcv = add(syn.seq, 1)
    c.seg("SA", seq=77, options=[("MSS", 1460)] + ts(3000, so[0] if so else 0))
    c.snd = 78
    a = c.expect(1, lambda t: "A" in flags(t))
    o = opt(a, "Timestamp") if a is not None else None
    out("active_ts", syn_ts=so is not None, ack=flags(a), ecr=o[1] if o else "-",
        connect=dut.res("connwait %d 1000" % c.fd))
    c.seg("R")
    dut.call("close %d" % c.fd)


run(main)

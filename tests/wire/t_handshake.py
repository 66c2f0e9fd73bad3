# SPDX-License-Identifier: BSD-3-Clause
"""Handshake options both ways, and answers from closed ports."""
import random

from wire import Conn, add, diff, flags, opt, optkinds, out, port, run, M32


def main(dut):
    lfd = dut.fd("listen 7001 16")
    variants = [
        ("full", [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (4242, 0)), ("NOP", None), ("WScale", 7)]),
        ("none", []),
        ("mss536", [("MSS", 536)]),
        ("ts_only", [("Timestamp", (99, 0))]),
        ("ws_only", [("NOP", None), ("WScale", 14)]),
        ("sack_ts", [("SAckOK", b""), ("Timestamp", (7, 0))]),
    ]
    for name, opts in variants:
        c = Conn(dut, port(), 7001)
        sa = c.accept_syn(opts)
        ts = opt(sa, "Timestamp") if sa is not None else None
        out("synack_" + name, flags=flags(sa),
            ack=diff(sa.ack, c.iss) if sa is not None else "-",
            opts=",".join(optkinds(sa)) if sa is not None else "-",
            ts_ecr_ours=(ts[1] == 4242 or ts[1] == 99 or ts[1] == 7) if ts else "-",
            win_pos=(sa.window > 0) if sa is not None else "-")
        if sa is not None and "S" in flags(sa):
            c.seg("A")
            fd = dut.fd("accept %d 2000" % lfd)
            dut.call("set %d linger0 1" % fd)
            dut.call("close %d" % fd)
            r = c.expect(1, lambda t: "R" in flags(t))
            out("abort_" + name, flags=flags(r), seq_ok=(r is not None and r.seq == c.rcv))

    # the DUT's own SYN and the rest of its handshake
    c = Conn(dut, port(), 0)
    c.fd = dut.fd("connect 10.0.0.3 %d" % c.sport)
    syn = c.expect(2, lambda t: "S" in flags(t))
    out("syn_out", flags=flags(syn), opts=",".join(optkinds(syn)) if syn else "-",
        ack=syn.ack if syn else "-", win_pos=(syn.window > 0) if syn else "-",
        ts_ecr=opt(syn, "Timestamp")[1] if syn is not None and opt(syn, "Timestamp") else "-")
    c.dport = syn.sport
    c.rcv = add(syn.seq, 1)
    iss = random.randrange(M32)
    # a SYN-ACK that acknowledges something else: RST <SEQ=SEG.ACK>, the
    # connect keeps waiting
    c.seg("SA", seq=iss, ack=add(syn.seq, 1000), options=[("MSS", 1460)])
    r = c.expect(1, lambda t: "R" in flags(t) or "A" in flags(t))
    out("synack_bad_ack", flags=flags(r), seq_is_segack=(r is not None and r.seq == add(syn.seq, 1000)))
    c.seg("SA", seq=iss, options=[("MSS", 1460), ("SAckOK", b"")])
    c.snd = add(iss, 1)
    a = c.expect(1, lambda t: "A" in flags(t) and "S" not in flags(t))
    out("syn_out_ack", flags=flags(a), seq=diff(a.seq, syn.seq) if a else "-",
        ack=diff(a.ack, iss) if a else "-", connect=dut.res("connwait %d 2000" % c.fd))
    c.data(b"hello")
    out("syn_out_data", recv=dut.res("recv %d 100 1000" % c.fd))
    dut.call("close %d" % c.fd)

    # closed port: RST|ACK <SEQ=0><ACK=SEG.SEQ+SEG.LEN> for a SYN, RST
    # <SEQ=SEG.ACK> for an ACK
    c = Conn(dut, port(), 7999)
    sa = c.accept_syn([("MSS", 1460)])
    out("closed_syn", flags=flags(sa), seq=sa.seq if sa else "-", ack=diff(sa.ack, c.iss) if sa else "-")
    c.seg("A", seq=1000, ack=555555)
    r = c.expect(1)
    out("closed_ack", flags=flags(r), seq=r.seq if r else "-")
    c.seg("PA", seq=1000, ack=555555, data=b"xyz")
    r = c.expect(1)
    out("closed_data", flags=flags(r), seq=r.seq if r else "-")
    c.seg("R", seq=1000)
    r = c.expect(0.3)
    out("closed_rst", flags=flags(r))
    c.seg("F", seq=1000)
    r = c.expect(0.3)
    out("closed_fin_noack", flags=flags(r), ack=diff(r.ack, 1000) if r else "-")


run(main)

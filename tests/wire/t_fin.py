# SPDX-License-Identifier: BSD-3-Clause
"""A FIN in every state of the DUT (RFC 9293 3.10.7): LISTEN, SYN-SENT,
SYN-RECEIVED, ESTABLISHED (alone, with data, beyond a hole), CLOSE-WAIT
(retransmitted), FIN-WAIT-1 (simultaneous close, CLOSING), FIN-WAIT-2,
LAST-ACK."""
import random

from wire import M32, TCP, Conn, add, diff, flags, out, plen, port, run, send


def ans(c, r):
    """An answer: flags, seq relative to the DUT's next, ack relative to ours."""
    if r is None:
        return "none"
    return "%s,seq%+d,ack%+d" % (flags(r), diff(r.seq, c.rcv), diff(r.ack, c.snd))


def est(dut, lfd, p):
    c = Conn(dut, port(), p)
    c.passive(lfd)
    return c


def dut_fin(c):
    """The DUT's FIN, after shutdown(wr) or close; c.rcv moves past it."""
    r = c.expect(1, lambda t: "F" in flags(t))
    if r is not None:
        c.rcv = add(r.seq, plen(r) + 1)
    return r


def main(dut):
    lfd = dut.fd("listen 7007 16")

    # LISTEN
    c = Conn(dut, port(), 7007)
    c.seg("F", seq=1000)
    out("listen_fin", answer=flags(c.expect(0.3)))
    c.seg("FA", seq=1000, ack=2000)
    r = c.expect(0.5)
    out("listen_fin_ack", answer=flags(r), seq_is_ack=(r is not None and r.seq == 2000))

    # SYN-SENT: a FIN without SYN is dropped; the handshake still completes
    c = Conn(dut, port(), 0)
    c.fd = dut.fd("connect 10.0.0.3 %d" % c.sport)
    syn = c.expect(2, lambda t: "S" in flags(t))
    c.dport, c.rcv = syn.sport, add(syn.seq, 1)
    c.seg("FA", seq=5000, ack=c.rcv)
    r = c.expect(0.3)
    out("syn_sent_fin", answer=flags(r), connect=dut.res("connwait %d 0" % c.fd))
    c.seg("SA", seq=5000, options=[("MSS", 1460)])
    c.snd = 5001
    r = c.expect(1, lambda t: "A" in flags(t))
    out("syn_sent_then_synack", answer=ans(c, r), connect=dut.res("connwait %d 1000" % c.fd))
    c.reset()
    dut.call("close %d" % c.fd)

    # SYN-RECEIVED: the ACK completing the handshake carries a FIN
    c = Conn(dut, port(), 7007)
    c.accept_syn([("MSS", 1460)])
    c.seg("FA")
    c.snd = add(c.snd, 1)
    r = c.expect(1)
    fd = dut.fd("accept %d 1000" % lfd)
    out("syn_rcvd_fin", answer=ans(c, r), recv=dut.res("recv %d 100 1000" % fd))
    dut.call("close %d" % fd)
    r = dut_fin(c)
    out("syn_rcvd_fin_close", dut_fin=flags(r))
    c.seg("A")
    c.reset()

    # ESTABLISHED -> CLOSE-WAIT -> LAST-ACK
    c = est(dut, lfd, 7007)
    c.seg("FA")
    c.snd = add(c.snd, 1)
    r = c.expect(1)
    out("est_fin", answer=ans(c, r), recv=dut.res("recv %d 100 1000" % c.fd),
        poll=dut.res("poll %d 0" % c.fd))
    c.seg("FA", seq=add(c.snd, -1))  # retransmitted in CLOSE-WAIT
    out("close_wait_fin_again", answer=ans(c, c.expect(1)))
    out("close_wait_send", send=dut.res("send %d 5 " % c.fd))
    d = c.expect(1, lambda t: plen(t) > 0)
    if d is not None:
        c.rcv = add(d.seq, plen(d))
        c.seg("A")
    dut.call("close %d" % c.fd)
    r = dut_fin(c)
    out("last_ack_dut_fin", fin=ans(c, r))
    c.seg("FA", seq=add(c.snd, -1), ack=add(c.rcv, -1))  # our FIN again, theirs unacked
    out("last_ack_fin_again", answer=ans(c, c.expect(1)))
    c.seg("A")
    c.data(b"late")
    out("after_last_ack", answer=flags(c.expect(1)))

    # ESTABLISHED: data and FIN in one segment
    c = est(dut, lfd, 7007)
    c.data(b"hello", fl="FPA")
    c.snd = add(c.snd, 1)
    r = c.expect(1, lambda t: t.ack == c.snd)
    out("est_data_fin", answer=ans(c, r), recv=dut.res("recv %d 100 1000" % c.fd),
        recv2=dut.res("recv %d 100 1000" % c.fd))
    c.reset()
    dut.call("close %d" % c.fd)

    # ESTABLISHED: a FIN beyond a hole waits for the hole
    c = est(dut, lfd, 7007)
    c.seg("FPA", seq=add(c.snd, 5), data=b"world")
    r = c.expect(1)
    out("fin_after_hole", answer=ans(c, r), recv=dut.res("recv %d 100 200" % c.fd))
    c.seg("PA", data=b"hello")
    c.snd = add(c.snd, 11)
    r = c.expect(1, lambda t: t.ack == c.snd)
    out("hole_filled", answer=ans(c, r), recv=dut.res("recv %d 100 1000" % c.fd),
        recv2=dut.res("recv %d 100 1000" % c.fd))
    c.reset()
    dut.call("close %d" % c.fd)

    # FIN-WAIT-1: simultaneous close (our FIN does not acknowledge theirs)
    c = est(dut, lfd, 7007)
    dut.call("shutdown %d wr" % c.fd)
    r = dut_fin(c)
    out("fin_wait_1_dut_fin", fin=flags(r))
    c.seg("FA", ack=add(c.rcv, -1))
    c.snd = add(c.snd, 1)
    r = c.expect(1)
    out("fin_wait_1_fin", answer=ans(c, r))  # CLOSING
    c.seg("FA", seq=add(c.snd, -1), ack=add(c.rcv, -1))  # again, in CLOSING
    out("closing_fin_again", answer=ans(c, c.expect(1)))
    c.seg("A")  # -> TIME-WAIT
    out("closing_acked", answer=flags(c.expect(0.3)), recv=dut.res("recv %d 100 500" % c.fd))
    dut.call("close %d" % c.fd)

    # FIN-WAIT-1: our FIN acknowledges theirs (straight to TIME-WAIT)
    c = est(dut, lfd, 7007)
    dut.call("shutdown %d wr" % c.fd)
    dut_fin(c)
    c.seg("FA")
    c.snd = add(c.snd, 1)
    out("fin_wait_1_fin_ack", answer=ans(c, c.expect(1)))
    dut.call("close %d" % c.fd)

    # FIN-WAIT-2: half-closed, data still flows our way, then our FIN
    c = est(dut, lfd, 7007)
    dut.call("shutdown %d wr" % c.fd)
    dut_fin(c)
    c.seg("A")
    out("fin_wait_2", answer=flags(c.expect(0.3)), send=dut.res("send %d 5" % c.fd))
    c.data(b"more")
    r = c.expect(1, lambda t: t.ack == c.snd)
    out("fin_wait_2_data", answer=ans(c, r), recv=dut.res("recv %d 100 1000" % c.fd))
    c.seg("FA")
    c.snd = add(c.snd, 1)
    out("fin_wait_2_fin", answer=ans(c, c.expect(1)), recv=dut.res("recv %d 100 1000" % c.fd))
    dut.call("close %d" % c.fd)


run(main)

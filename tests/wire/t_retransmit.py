# SPDX-License-Identifier: BSD-3-Clause
"""Retransmission: timeout and exponential backoff of data, SYN and
SYN-ACK (RFC 6298, RFC 6298 5.7 / RFC 9293 initial RTO of 1 s); fast
retransmit on three duplicate ACKs (RFC 5681) and on SACK (RFC 6675 / RACK).
Times are classes with wide tolerances: the machine may be loaded."""
import random
import time

from wire import (Conn, M32, TCP, add, backoff_class, collect, collect_ports, diff, flags, out,
                  plen, port, run, send, within)


def main(dut):
    lfd = dut.fd("listen 7006 16")

    # ---- three at once: data never acknowledged, a SYN never answered, a
    # SYN-ACK never acknowledged ----
    d = Conn(dut, port(), 7006)
    d.passive(lfd)
    s = Conn(dut, port(), 0)
    s.fd = dut.fd("connect 10.0.0.3 %d" % s.sport)
    t0s = time.time()
    a = Conn(dut, port(), 7006)
    a.iss = random.randrange(M32)
    send(TCP(sport=a.sport, dport=7006, flags="S", seq=a.iss, window=65535, options=[("MSS", 1460)]))
    t0a = time.time()
    una = d.rcv
    dut.call("send %d 100" % d.fd)
    t0d = time.time()
    got = collect_ports([d.sport, s.sport, a.sport], 3.6)
    # data
    ds = got[d.sport]
    same = all(x.seq == una and plen(x) == 100 for x in ds)
    times = [x.rx_time for x in ds]
    out("data_rto", sent=len(ds) >= 1, all_same_seg=same, retrans_ge_3=len(ds) >= 4,
        first_retrans_150ms_1s=within(times[1] - times[0] if len(times) > 1 else None, 0.15, 1.0),
        backoff=backoff_class(times[1:]))
    # SYN
    ss = [x for x in got[s.sport] if "S" in flags(x)]
    st = [x.rx_time for x in ss]
    out("syn_rto", syns=len(ss), same_seq=len({x.seq for x in ss}) == 1,
        first_retry_800ms_1500ms=within(st[1] - st[0] if len(st) > 1 else None, 0.8, 1.5),
        second_retry_2x=within((st[2] - st[1]) / (st[1] - st[0]) if len(st) > 2 else None, 1.5, 2.6))
    # SYN-ACK
    sa = [x for x in got[a.sport] if "S" in flags(x)]
    at = [x.rx_time for x in sa]
    out("synack_rto", synacks=len(sa), same_seq=len({x.seq for x in sa}) == 1,
        first_retry_800ms_1500ms=within(at[1] - at[0] if len(at) > 1 else None, 0.8, 1.5),
        second_retry_2x=within((at[2] - at[1]) / (at[1] - at[0]) if len(at) > 2 else None, 1.5, 2.6))
    d.reset()
    dut.call("close %d" % d.fd)
    dut.call("close %d" % s.fd)
    if ss:
        send(TCP(sport=s.sport, dport=ss[0].sport, flags="R", seq=0))
    if sa:
        send(TCP(sport=a.sport, dport=7006, flags="R", seq=add(a.iss, 1)))

    # ---- fast retransmit: five segments out, the second lost ----
    for name, opts in (("dupack3", [("MSS", 1000)]), ("sack", [("MSS", 1000), ("SAckOK", b"")])):
        c = Conn(dut, port(), 7006)
        c.passive(lfd, opts=opts)
        una = c.rcv
        dut.call("send %d 5000" % c.fd)
        fl = collect(c.sport, 1.0, stop=lambda l: sum(plen(x) for x in l) >= 5000)
        first = [x for x in fl if plen(x) > 0]
        segs = sorted({diff(x.seq, una) for x in first})
        c.seg("A", ack=add(una, 1000))
        if name == "dupack3":
            for _ in range(3):
                c.seg("A", ack=add(una, 1000))
        else:
            c.seg("A", ack=add(una, 1000), options=[("NOP", None), ("NOP", None),
                                                     ("SAck", (add(una, 2000), add(una, 5000)))])
        t_last = time.time()
        r = c.expect(1.0, lambda t: t.seq == add(una, 1000) and plen(t) > 0)
        dt = r.rx_time - t_last if r is not None else None
        # acknowledge all: nothing SACKed is sent again after that
        c.seg("A", ack=add(una, 5000))
        rest = collect(c.sport, 0.3)
        out("fast_retx_" + name, flight=",".join("%d" % x for x in segs),
            retrans_2nd=r is not None, within_100ms=within(dt, 0, 0.1),
            len=plen(r), after_all_acked=len([x for x in rest if plen(x) > 0]))
        c.reset()
        dut.call("close %d" % c.fd)

    # ---- a spurious timeout (RFC 5682 F-RTO, SACK-enhanced, no
    # timestamps: Linux's default answer to a delay spike): five segments
    # fill a 5000-byte window, more wait; nothing is acknowledged until the
    # timeout resends the first. Then its ACK: new data (F-RTO) or the
    # second segment again (go-back-N)? Then the ACK of everything sent
    # before the timeout: is the rest still resent? ----
    c = Conn(dut, port(), 7006)
    c.passive(lfd, opts=[("MSS", 1000), ("SAckOK", b"")], win=5000)
    una = c.rcv
    dut.call("send %d 20000" % c.fd)
    fl = collect(c.sport, 0.5, stop=lambda l: sum(plen(x) for x in l) >= 5000)
    flight = sum(plen(x) for x in fl)
    r = c.expect(3.0, lambda t: t.seq == una and plen(t) > 0)
    c.seg("A", ack=add(una, 1000), win=5000)
    after = [x for x in collect(c.sport, 0.3) if plen(x) > 0]
    kind = "none"
    if after:
        d0 = diff(after[0].seq, una)
        kind = "new" if d0 >= 5000 else "resend_%d" % d0
    # everything sent before the timeout arrived: acknowledged at once
    c.seg("A", ack=add(una, 5000), win=5000)
    rest = [x for x in collect(c.sport, 0.3) if plen(x) > 0]
    resent = len([x for x in rest if diff(x.seq, una) < 5000])
    out("spurious_rto", flight=flight, rto_resent_first=r is not None, after_first_ack=kind,
        old_data_resent_after_all_acked=resent)
    c.reset()
    dut.call("close %d" % c.fd)


run(main)

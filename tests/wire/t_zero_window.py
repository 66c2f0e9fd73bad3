# SPDX-License-Identifier: BSD-3-Clause
"""Zero window both ways: the DUT probes a peer that closed its window
(persist timer, backing off) and resumes when it opens; the DUT's own
receive window fills to zero, a probe into it is answered, and reading
opens it with a window update."""
import sys
import time

from wire import Conn, add, collect, diff, flags, out, plen, port, run


def ratio_class(times):
    """Intervals between probes: do they grow (back off) about 2x?"""
    iv = [b - a for a, b in zip(times, times[1:])]
    if len(iv) < 2:
        return "few"
    rs = [b / a for a, b in zip(iv, iv[1:]) if a > 0]
    return "doubling" if all(1.5 <= r <= 2.6 for r in rs) else "other:" + ",".join("%.2f" % r for r in rs)


def main(dut):
    lfd = dut.fd("listen 7004 16")

    # ---- the peer's window is zero: persist probes ----
    c = Conn(dut, port(), 7004)
    c.passive(lfd)
    c.seg("A", win=0)
    c.expect(0.1)
    t0 = time.time()
    out("send_into_zero", send=dut.res("send %d 1000" % c.fd))
    probes = []
    una = c.rcv
    end = t0 + 4.0  # three probes at about 0.2, 0.6, 1.4 s; room for a slow RTO
    while len(probes) < 3:
        left = end - time.time()
        if left <= 0:
            break
        r = c.expect(left)
        if r is None:
            break
        probes.append(r)
        c.seg("A", win=0)  # a receiver answers each probe: still zero
    print("probe times", [round(p.rx_time - t0, 3) for p in probes], file=sys.stderr)
    kinds = sorted({"len%d,seq%+d" % (plen(p), diff(p.seq, una)) for p in probes})
    first = probes[0].rx_time - t0 if probes else None
    out("persist", probes_ge_3=len(probes) >= 3, forms="/".join(kinds) or "-",
        first_in_150ms_1s=(first is not None and 0.15 <= first <= 1.0),
        backoff=ratio_class([p.rx_time for p in probes]))
    # open the window: the data follows at once (answered probes carried
    # at most one byte)
    got = max([diff(add(p.seq, plen(p)), una) for p in probes] + [0])
    c.seg("A", ack=add(una, got), win=65535)
    d = collect(c.sport, 0.6, stop=lambda l: sum(plen(x) for x in l) + got >= 1000)
    out("window_opens", data_bytes_total=sum(plen(x) for x in d) + got,
        first_seq_ok=(d[0].seq == add(una, got)) if d else "-")
    c.reset()
    dut.call("close %d" % c.fd)

    # ---- SO_RCVBUF on the listener bounds its connections' windows ----
    l2 = dut.fd("listen 7005 16 2048")
    c = Conn(dut, port(), 7005)
    sa = c.passive(l2)
    out("listener_rcvbuf", synack_win_within_2x=sa.window <= 4608)

    # ---- the DUT's receive window fills (that small buffer, no reads) ----
    right = add(c.snd, sa.window)
    zero = False
    for _ in range(300):
        room = diff(right, c.snd)
        if room <= 0:
            a = c.expect(0.5, lambda t: t.ack == c.snd)
            if a is None:
                break
            right = add(a.ack, a.window)
            if a.window == 0:
                zero = True
                break
            continue
        n = min(room, 500)
        c.data(b"q" * n)
        a = c.expect(0.5, lambda t: t.ack == c.snd)
        if a is not None:
            right = add(a.ack, a.window)
            if a.window == 0:
                zero = True
                break
    filled = diff(c.snd, add(c.iss, 1))
    out("rcv_window_zero", reached=zero, never_shrank=diff(right, c.snd) >= 0)
    # a probe: one byte past the window, answered with the same ACK
    c.seg("PA", data=b"P")
    a = c.expect(1)
    out("zero_probe", answer=flags(a), ack_same=(a is not None and a.ack == c.snd),
        win=(a.window if a is not None else "-"))
    # reading everything opens the window: a window update comes
    n = 0
    while True:
        ok, v = dut.call("recv %d 1000000 200" % c.fd)
        if not ok or int(v.split(" ")[0]) == 0:
            break
        n += int(v.split(" ")[0])
    u = c.expect(1, lambda t: t.window > 0)
    out("window_update", read_all=(n == filled), update=flags(u),
        ack_same=(u is not None and u.ack == c.snd))
    c.reset()
    dut.call("close %d" % c.fd)


run(main)

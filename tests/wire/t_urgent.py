# SPDX-License-Identifier: BSD-3-Clause
"""Urgent data (RFC 9293 3.8.5, RFC 6093): received with and without
SO_OOBINLINE, and sent with MSG_OOB."""
from wire import Conn, add, diff, flags, out, plen, port, run


def main(dut):
    lfd = dut.fd("listen 7009 16")

    for name, inline in (("recv", False), ("recv_inline", True)):
        c = Conn(dut, port(), 7009)
        c.passive(lfd)
        if inline:
            out(name + "_set", oobinline=dut.res("set %d oobinline 1" % c.fd))
        c.data(b"abcXY", fl="PAU", urgptr=5)  # the pointer is after the urgent byte Y
        a = c.expect(1, lambda t: t.ack == c.snd)
        out(name + "_ack", answer=flags(a))
        out(name, first=dut.res("recv %d 100 1000" % c.fd), oob=dut.res("recv %d 100 0 oob" % c.fd),
            then=dut.res("recv %d 100 200" % c.fd))
        c.data(b"more")
        out(name + "_after", recv=dut.res("recv %d 100 1000" % c.fd))
        c.reset()
        dut.call("close %d" % c.fd)

    c = Conn(dut, port(), 7009)
    c.passive(lfd)
    una = c.rcv
    dut.call("set %d nodelay 1" % c.fd)
    res = dut.res("send %d 3 oob" % c.fd)
    d = c.expect(1, lambda t: plen(t) > 0)
    out("send_oob", result=res, urg=(d is not None and "U" in flags(d)),
        urgptr_after_last=(d is not None and "U" in flags(d) and diff(add(d.seq, d.urgptr), una) == 3))
    c.reset()
    dut.call("close %d" % c.fd)


run(main)

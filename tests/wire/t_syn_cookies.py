# SPDX-License-Identifier: BSD-3-Clause
"""SYN cookies (RFC 4987): with the SYN queue full (backlog 1, one
half-open connection) a SYN gets a cookie SYN-ACK; its ACK makes a
connection that works; options survive only through the timestamp (Linux's
encoding); a forged cookie gets a RST."""
from wire import Conn, add, flags, opt, optkinds, out, port, run


def main(dut):
    lfd = dut.fd("listen 7011 1")
    # half-open connections fill the SYN queue (Linux counts it full
    # above the backlog since 6.x, at the backlog before; three SYNs fill
    # it either way, the later ones may already get cookies)
    half = []
    for i in range(3):
        h = Conn(dut, port(), 7011)
        sa = h.accept_syn([("MSS", 1460), ("SAckOK", b""), ("NOP", None), ("WScale", 7)])
        half.append(h)
        if i == 0:
            out("first", synack=flags(sa), opts=",".join(optkinds(sa)) if sa is not None else "-")

    for name, opts in (
            ("no_ts", [("MSS", 1460), ("SAckOK", b""), ("NOP", None), ("WScale", 7)]),
            ("ts", [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1000, 0)), ("NOP", None), ("WScale", 7)]),
            ("mss536", [("MSS", 536)]),
    ):
        c = Conn(dut, port(), 7011)
        sa = c.accept_syn(opts)
        ts = opt(sa, "Timestamp") if sa is not None else None
        out("cookie_" + name, synack=flags(sa), opts=",".join(optkinds(sa)) if sa is not None else "-",
            ack_ok=(sa is not None and sa.ack == c.snd))
        if sa is None or "S" not in flags(sa):
            continue
        if ts is not None:
            c.seg("A", options=[("NOP", None), ("NOP", None), ("Timestamp", (1001, ts[0]))])
        else:
            c.seg("A")
        fd = dut.res("accept %d 1000" % lfd)
        ok = fd.isdigit()
        if ok:
            c.fd = int(fd)
            c.data(b"hi", options=[("NOP", None), ("NOP", None), ("Timestamp", (1002, ts[0]))] if ts else [])
            got = dut.res("recv %d 100 1000" % c.fd)
            dut.call("send %d 4" % c.fd)
            d = c.expect(1, lambda t: len(bytes(t.payload)) > 0)
            out("cookie_%s_conn" % name, accepted=ok, recv=got,
                data_back=(d is not None and d.seq == c.rcv), ts_on_data=opt(d, "Timestamp") is not None if d else "-")
            c.reset()
            dut.call("close %d" % c.fd)
        else:
            out("cookie_%s_conn" % name, accepted=fd)

    # a forged cookie: an ACK nobody sent a SYN-ACK for
    c = Conn(dut, port(), 7011)
    c.seg("A", seq=123456, ack=654321)
    r = c.expect(1)
    out("forged", answer=flags(r), seq_is_ack=(r is not None and r.seq == 654321),
        accept=dut.res("accept %d 300" % lfd))
    for h in half:
        h.seg("R", seq=h.snd)


run(main)

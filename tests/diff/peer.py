#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# The Linux peer of the differential tests (tests/diff/run.sh), at 10.0.0.2:
#   port 7: echo, the datagram back to its sender unchanged;
#   port 8: info, answers "ttl=T tos=S len=N" about the datagram received;
#           its own datagrams leave with TTL 33 and TOS 0x20, so that a
#           receiver's IP_RECVTTL/IP_RECVTOS see non-default values.
# Both bound to 0.0.0.0 so that subnet broadcasts reach them. TCP (for
# tcp_diff.c):
#   port 7: echo, until the client's FIN, then close;
#   port 9: closes a connection as soon as data arrives, without reading
#           it (the kernel answers with RST).
import select
import socket
import sys

IP_RECVTTL = getattr(socket, "IP_RECVTTL", 12)
IP_TTL = socket.IP_TTL  # also the cmsg type of IP_RECVTTL

echo = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
echo.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
echo.bind(("0.0.0.0", 7))
info = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
info.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
info.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTOS, 1)
info.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 33)
info.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 0x20)
info.bind(("0.0.0.0", 8))
tcp_echo = socket.socket()
tcp_echo.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
tcp_echo.bind(("0.0.0.0", 7))
tcp_echo.listen(16)
tcp_rst = socket.socket()
tcp_rst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
tcp_rst.bind(("0.0.0.0", 9))
tcp_rst.listen(16)
echo_conns = []
rst_conns = []
print("ready", flush=True)
sys.stdout.close()

while True:
    r, _, _ = select.select([echo, info, tcp_echo, tcp_rst] + echo_conns + rst_conns, [], [])
    if tcp_echo in r:
        echo_conns.append(tcp_echo.accept()[0])
    if tcp_rst in r:
        rst_conns.append(tcp_rst.accept()[0])
    for c in [c for c in echo_conns if c in r]:
        try:
            d = c.recv(1 << 16)
        except OSError:
            d = b""
        if d:
            c.setblocking(True)
            try:
                c.sendall(d)
            except OSError:
                pass
        else:
            echo_conns.remove(c)
            c.close()
    for c in [c for c in rst_conns if c in r]:
        rst_conns.remove(c)
        c.close()  # the data is unread: RST
    if echo in r:
        data, addr = echo.recvfrom(70000)
        echo.sendto(data, addr)
    if info in r:
        data, anc, _, addr = info.recvmsg(70000, 256)
        ttl = tos = -1
        for level, typ, val in anc:
            if level == socket.IPPROTO_IP and typ == IP_TTL:
                ttl = int.from_bytes(val[:4], sys.byteorder)
            elif level == socket.IPPROTO_IP and typ == socket.IP_TOS:
                tos = val[0]
        info.sendto(("ttl=%d tos=0x%x len=%d" % (ttl, tos, len(data))).encode(), addr)

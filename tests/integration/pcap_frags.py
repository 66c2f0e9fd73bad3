#!/usr/bin/python3
# pcap_frags.py FILE SRC: one line "total_length offset more_fragments" per
# IPv4 packet from SRC in a pcap (Ethernet) capture. Plain struct parsing:
# no scapy import, so it runs in a few milliseconds.
import socket
import struct
import sys

d = open(sys.argv[1], "rb").read()
src = socket.inet_aton(sys.argv[2])
off = 24
while off + 16 <= len(d):
    incl = struct.unpack_from("<I", d, off + 8)[0]
    p = d[off + 16:off + 16 + incl]
    off += 16 + incl
    if len(p) < 34 or p[12:14] != b"\x08\x00":
        continue
    ip = p[14:]
    if ip[12:16] != src:
        continue
    tot = struct.unpack_from("!H", ip, 2)[0]
    frag = struct.unpack_from("!H", ip, 6)[0]
    print(tot, (frag & 0x1fff) * 8, 1 if frag & 0x2000 else 0)

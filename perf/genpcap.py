#!/usr/bin/python3
"""Writes a pcap of 64-byte (60 + FCS) IPv4/UDP frames for the forwarding
benchmark: dst MAC 02:00:00:00:00:01, sources 198.18.0.0/24, destinations
in 198.18.1.0/24 (l3fwd's default route to port 1), 256 flows.
With --ip6: IPv6/UDP frames (62 bytes at the least), sources in 2001:200::/64
and destinations in 2001:200:0:1::/64 (l3fwd's default IPv6 routes to ports
0 and 1, RFC 5180's benchmarking range).

usage: genpcap.py OUT.pcap [COUNT] [SIZE] [--ip6]"""
import sys

from scapy.all import Ether, IP, IPv6, UDP, Raw, wrpcap

ip6 = "--ip6" in sys.argv[1:]
argv = [a for a in sys.argv if a != "--ip6"]
out = argv[1]
count = int(argv[2]) if len(argv) > 2 else 1024
size = int(argv[3]) if len(argv) > 3 else 60
pkts = []
for i in range(count):
    if ip6:
        l3 = IPv6(src="2001:200::%x" % (2 + i % 250), dst="2001:200:0:1::%x" % (i % 256), hlim=64)
    else:
        l3 = IP(src="198.18.0.%d" % (2 + i % 250), dst="198.18.1.%d" % (i % 256), ttl=64)
    p = (Ether(dst="02:00:00:00:00:01", src="02:00:00:00:00:02") / l3 /
         UDP(sport=1024 + i % 4096, dport=9))
    pad = size - len(p)
    if pad > 0:
        p = p / Raw(b"\x00" * pad)
    pkts.append(p)
wrpcap(out, pkts)

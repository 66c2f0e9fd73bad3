#!/usr/bin/python3
"""Writes a pcap of 64-byte (60 + FCS) IPv4/UDP frames for the forwarding
benchmark: dst MAC 02:00:00:00:00:01, sources 198.18.0.0/24, destinations
in 198.18.1.0/24 (l3fwd's default route to port 1), 256 flows.

usage: genpcap.py OUT.pcap [COUNT] [SIZE]"""
import sys

from scapy.all import Ether, IP, UDP, Raw, wrpcap

out = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
size = int(sys.argv[3]) if len(sys.argv) > 3 else 60
pkts = []
for i in range(count):
    p = (Ether(dst="02:00:00:00:00:01", src="02:00:00:00:00:02") /
         IP(src="198.18.0.%d" % (2 + i % 250), dst="198.18.1.%d" % (i % 256), ttl=64) /
         UDP(sport=1024 + i % 4096, dport=9))
    pad = size - len(p)
    if pad > 0:
        p = p / Raw(b"\x00" * pad)
    pkts.append(p)
wrpcap(out, pkts)

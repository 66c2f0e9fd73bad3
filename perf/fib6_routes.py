#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# An IPv6 route table shaped as the Internet's (a synthetic mix, not a real
# dump), for perf/fwd_bench.sh --ip6 and tests/unit/dp/bench_fib6:
#   fib6_routes.py ROUTES N [PCAP [MIX]]
# ROUTES: N "route add PREFIX/LEN via 2001:db8:1::2" lines. Allocations
# (/32, some /29) at random in the five RIRs' /12s, N/8 of them, and under
# each one the prefixes it announces: /29 2%, /32 10%, /36 3%, /40 7%,
# /44 10%, /46-/47 5%, /48 55%, /56 5%, /64 3% (drawn; duplicates drawn
# again, so the short lengths come out fewer). The prefixes longer than /40
# sit in two /40 "sites" per allocation. PCAP: 4096 IPv6/UDP frames, each
# to a random address inside a random route. MIX: the count per length.
import ipaddress, random, sys
from collections import Counter
random.seed(6)
n = int(sys.argv[2])
rirs = [0x2400, 0x2a00, 0x2600, 0x2800, 0x2c00]
mix = [(29, 2), (32, 10), (36, 3), (40, 7), (44, 10), (46, 2), (47, 3), (48, 55), (56, 5), (64, 3)]
lens = [l for l, w in mix for _ in range(w)]
nalloc = max(1, n // 8)
allocs = []
for _ in range(nalloc):
    a = (random.choice(rirs) << 112) | (random.getrandbits(20) << 96)  # a /32 in a /12
    allocs.append((a, [random.getrandbits(8) << 88 for _ in range(2)]))
seen, routes = set(), []
while len(routes) < n:
    a, sites = random.choice(allocs)
    l = random.choice(lens)
    if l > 40:
        a |= random.choice(sites) | (random.getrandbits(l - 40) << (128 - l))
    elif l > 32:
        a |= random.getrandbits(l - 32) << (128 - l)
    a &= ((1 << l) - 1) << (128 - l)
    if (a, l) in seen:
        continue
    seen.add((a, l))
    routes.append((a, l))
with open(sys.argv[1], "w") as f:
    for a, l in routes:
        f.write("route add %s/%d via 2001:db8:1::2\n" % (ipaddress.IPv6Address(a), l))
if len(sys.argv) > 4:
    with open(sys.argv[4], "w") as f:
        f.write(" ".join("/%d:%d" % kv for kv in sorted(Counter(l for _, l in routes).items())) + "\n")
if len(sys.argv) < 4:
    sys.exit(0)
from scapy.all import Ether, IPv6, UDP, wrpcap
pk = []
for i in range(4096):
    a, l = routes[random.randrange(len(routes))]
    d = a | random.getrandbits(128 - l)
    pk.append(Ether(dst="02:00:00:00:00:01", src="02:00:00:00:00:02") /
              IPv6(src="2001:200::2", dst=str(ipaddress.IPv6Address(d))) / UDP(sport=1024 + i, dport=9))
wrpcap(sys.argv[3], pk)

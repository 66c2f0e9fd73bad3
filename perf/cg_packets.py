#!/usr/bin/python3
"""Packets forwarded in a callgrind dump of the forwarding benchmark.

usage: cg_packets.py CALLGRIND_OUT

net_null frees every mbuf it is given through one out-of-line function,
called once per transmitted packet: the number of calls to the most-called
function of librte_net_null is the number of packets sent inside the
instrumented window, exactly (a packet count read from outside the process
cannot start and stop with the window). Prints that count and the dump's
total instructions."""
import collections
import re
import sys

fn_names, ob_names = {}, {}
calls = collections.Counter()
cur_ob = cur_cob = None
callee = None
total = 0
pat = re.compile(r'^(c?fn|c?ob)=\((\d+)\)(?: (.*))?$')
for line in open(sys.argv[1]):
    m = pat.match(line.rstrip("\n"))
    if m:
        kind, i, name = m.groups()
        table = ob_names if kind in ("ob", "cob") else fn_names
        if name:
            table[i] = name
        if kind == "ob":
            cur_ob = cur_cob = table.get(i)
        elif kind == "cob":
            cur_cob = table.get(i)
        elif kind == "fn":
            cur_cob = cur_ob
        else:  # cfn: the callee of the next calls= line
            callee = (cur_cob or "", table.get(i))
        continue
    if line.startswith("calls="):
        calls[callee] += int(line.split()[0][6:])
        cur_cob = cur_ob
    elif line.startswith("totals:"):
        total = int(line.split()[1])
null = [(n, k) for k, n in calls.items() if k[0] and "net_null" in k[0]]
packets = max(null)[0] if null else 0
print(packets, total)

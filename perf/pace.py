#!/usr/bin/python3
"""Applies batch files with ringctl -b at a fixed pace, for a while.

usage: pace.py SECONDS INTERVAL CPU PREFIX PORT RINGCTL SOCK CHUNK...
  Runs "RINGCTL -s SOCK -b CHUNK" for the chunks in turn (round robin),
  one every INTERVAL seconds, slot k starting at start + k * INTERVAL
  (absolute: a slot that starts late does not push the later ones back),
  until SECONDS have passed; a chunk that takes longer than its slot delays
  the next one only. Prints "LINES_APPLIED ELAPSED_SECONDS".
  CPU: the CPU pace.py and ringctl are pinned to ("" = not pinned). Prints
  "LINES_APPLIED ELAPSED_SECONDS PACKETS": PACKETS are the ones port PORT
  of the DPDK process PREFIX sent over exactly that window (telemetry;
  PREFIX "-": none, PACKETS 0).

Why not a shell loop (fwd_bench.sh had one): each of its rounds forked
date, bc, wc and sleep (eight processes besides ringctl), at several
milliseconds each on a loaded machine, and sleep overshoots by as much:
"10,000 every 100 ms" ran at 60-65k per second, and the forks landed on
the worker's core as often as not (the rate with updates fell to 0.72 of
the rate without, where ringctl -b back to back at 4x the pace cost 0.92).
Here one process sleeps to absolute deadlines and starts only ringctl.
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from telemetry import query  # noqa: E402


def opackets(prefix, port):
    if prefix == "-":
        return 0
    return query(prefix, "/ethdev/stats,%s" % port, 30)["opackets"]


def main():
    secs, interval, cpu = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    prefix, port = sys.argv[4], sys.argv[5]
    rctl, sock, chunks = sys.argv[6], sys.argv[7], sys.argv[8:]
    lines = []
    for c in chunks:
        with open(c) as f:
            lines.append(sum(1 for _ in f))
    if cpu != "":
        # this process too: the fork of every ringctl happens where its
        # parent runs, and a fork on the worker's CPU takes the worker's time
        os.sched_setaffinity(0, {int(cpu)})
    done = 0
    k = 0
    p0 = opackets(prefix, port)
    t0 = time.monotonic()
    while True:
        slot = t0 + k * interval
        now = time.monotonic()
        if slot - t0 >= secs:
            break
        if slot > now:
            time.sleep(slot - now)
        i = k % len(chunks)
        r = subprocess.run([rctl, "-s", sock, "-b", chunks[i]], stdout=subprocess.DEVNULL)
        if r.returncode != 0:
            sys.exit("pace.py: ringctl -b %s failed (%d)" % (chunks[i], r.returncode))
        done += lines[i]
        k += 1
    # the window ends with the last slot's end, or the last batch if later
    end = max(time.monotonic(), t0 + k * interval)
    if end > time.monotonic():
        time.sleep(end - time.monotonic())
    end = time.monotonic()
    p1 = opackets(prefix, port)
    print(done, "%.6f" % (end - t0), p1 - p0)


main()

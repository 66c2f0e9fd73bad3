#!/usr/bin/python3
"""Reads DPDK telemetry (v2 socket) of a running DPDK process.

usage: telemetry.py PREFIX COMMAND [--wait SECONDS]
  e.g. telemetry.py rsbench /ethdev/stats,1
Prints the JSON value of the command's reply.
"""
import json
import os
import socket
import sys
import time


def query(prefix, cmd, wait=0.0):
    path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix
    end = time.monotonic() + wait
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            s.connect(path)
            break
        except OSError:
            if time.monotonic() >= end:
                raise
            time.sleep(0.05)
    s.recv(4096)  # greeting
    s.send(cmd.encode())
    reply = json.loads(s.recv(1 << 20).decode())
    s.close()
    return reply[cmd.split(",")[0]]


if __name__ == "__main__":
    wait = 0.0
    args = sys.argv[1:]
    if "--wait" in args:
        i = args.index("--wait")
        wait = float(args[i + 1])
        del args[i:i + 2]
    print(json.dumps(query(args[0], args[1], wait)))

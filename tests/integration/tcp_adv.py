# SPDX-License-Identifier: BSD-3-Clause
"""Wire-level TCP checks for tcp_adversarial_test.sh, run with scapy in the
peer namespace from an address the peer's kernel does not own (so it
answers nothing on our behalf; the stack under test has a static neighbour
entry for it).

  tcp_adv.py rfc5961 IFACE DST_MAC SRC DST PORT
      against an echo server: an out-of-window RST is dropped silently; an
      in-window RST that is not exact gets a challenge ACK, and a second one
      within the per-connection limit gets none while another connection
      still gets its own; a SYN on an established connection gets a
      challenge ACK; an exact RST resets (the next segment gets a RST).
  tcp_adv.py sack IFACE DST_MAC SRC DST PORT
      a SACK storm: with 4 KB echoed and unacknowledged, 3000 duplicate
      ACKs carrying 4 SACK blocks of 1-3 bytes each (blocks that would cut
      the retransmit queue into byte-sized pieces, some out of range), then
      everything is acknowledged and the connection must still echo.
  tcp_adv.py synopts IFACE DST_MAC SRC DST PORT
      prints one line per SYN option variant (MSS/WS/SACK/TS combinations,
      malformed and odd lengths): what the SYN-ACK carried. The test runs it
      against ringstack and a Linux listener and compares the lines.

Every check prints "ok ..." or raises (exit 1).
"""
import random
import select
import sys
import time

from scapy.all import Ether, IP, TCP, Raw, conf

conf.verb = 0
cmd, IFACE, DMAC, SRC, DST, PORT = sys.argv[1:7]
PORT = int(PORT)
sock = conf.L2socket(iface=IFACE)
SMAC = None


def smac():
    global SMAC
    if SMAC is None:
        from scapy.all import get_if_hwaddr
        SMAC = get_if_hwaddr(IFACE)
    return SMAC


def send(tcp):
    sock.send(Ether(src=smac(), dst=DMAC) / IP(src=SRC, dst=DST) / tcp)


def recv(sport, timeout, want=None):
    """The next segment from DST:PORT to SRC:sport (want(seg) true), or None."""
    end = time.time() + timeout
    while True:
        left = end - time.time()
        if left <= 0:
            return None
        r, _, _ = select.select([sock], [], [], left)
        if not r:
            return None
        p = sock.recv()
        if p is None or IP not in p or TCP not in p:
            continue
        if p[IP].src != DST or p[IP].dst != SRC or p[TCP].dport != sport:
            continue
        if want is None or want(p[TCP]):
            return p[TCP]


def flags(t):
    return str(t.flags)


def handshake(sport, opts=None, iss=None):
    iss = random.randrange(1 << 32) if iss is None else iss
    send(TCP(sport=sport, dport=PORT, flags="S", seq=iss, window=65535,
             options=opts if opts is not None else [("MSS", 1460)]))
    sa = recv(sport, 3, lambda t: "S" in flags(t))
    assert sa is not None and flags(sa) == "SA", "no SYN-ACK for port %d" % sport
    snd = (iss + 1) % (1 << 32)
    rcv = (sa.seq + 1) % (1 << 32)
    send(TCP(sport=sport, dport=PORT, flags="A", seq=snd, ack=rcv, window=65535))
    return snd, rcv, sa


def add(a, b):
    return (a + b) % (1 << 32)


def quiet(sport, t=0.4):
    """Nothing at all comes back within t seconds."""
    r = recv(sport, t)
    return r is None, r


def rfc5961():
    a, b = 41001, 41002
    sa_, ra_, _ = handshake(a)
    sb_, rb_, _ = handshake(b)
    time.sleep(0.1)
    # out of window: silently dropped (RFC 5961 3.2, Linux)
    send(TCP(sport=a, dport=PORT, flags="R", seq=add(sa_, 1 << 30)))
    q, r = quiet(a)
    assert q, "out-of-window RST answered: %r" % r
    print("ok out-of-window RST dropped silently", flush=True)
    # in window, not exact: challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
    send(TCP(sport=a, dport=PORT, flags="R", seq=add(sa_, 1000)))
    r = recv(a, 1)
    assert r is not None and flags(r) == "A" and r.ack == sa_ and r.seq == ra_, \
        "in-window RST: want a challenge ACK, got %r" % r
    print("ok in-window RST: challenge ACK", flush=True)
    # again at once: the per-connection limit holds it back
    send(TCP(sport=a, dport=PORT, flags="R", seq=add(sa_, 2000)))
    q, r = quiet(a)
    assert q, "a second challenge ACK within the limit: %r" % r
    print("ok second in-window RST within the limit: no challenge ACK", flush=True)
    # the limit is per connection (CVE-2016-5696): b still gets one
    send(TCP(sport=b, dport=PORT, flags="R", seq=add(sb_, 1000)))
    r = recv(b, 1)
    assert r is not None and flags(r) == "A" and r.ack == sb_, \
        "another connection: want its challenge ACK, got %r" % r
    print("ok the limit is per connection: another connection gets its challenge ACK", flush=True)
    # SYN on an established connection (after the limit's interval)
    time.sleep(0.6)
    send(TCP(sport=a, dport=PORT, flags="S", seq=add(sa_, 5), window=65535))
    r = recv(a, 1)
    assert r is not None and flags(r) == "A" and r.ack == sa_, \
        "SYN on an established connection: want a challenge ACK, got %r" % r
    print("ok SYN on an established connection: challenge ACK", flush=True)
    # exact RST resets: what follows finds no connection
    send(TCP(sport=a, dport=PORT, flags="R", seq=sa_))
    time.sleep(0.2)
    send(TCP(sport=a, dport=PORT, flags="PA", seq=sa_, ack=ra_, window=65535) / Raw(b"x"))
    r = recv(a, 1)
    assert r is not None and "R" in flags(r), \
        "after an exact RST (seq %d): want a RST, got %r" % (sa_, r)
    print("ok exact-sequence RST resets the connection", flush=True)
    # b survived all of it: it echoes
    send(TCP(sport=b, dport=PORT, flags="PA", seq=sb_, ack=rb_, window=65535) / Raw(b"ping"))
    r = recv(b, 2, lambda t: len(bytes(t.payload)) > 0)
    assert r is not None and bytes(r.payload) == b"ping", "b's echo: %r" % r
    send(TCP(sport=b, dport=PORT, flags="R", seq=add(sb_, 4)))
    print("ok the other connection still echoes", flush=True)


def sack():
    s = 42001
    snd, rcv, _ = handshake(s, [("MSS", 536), ("SAckOK", b"")])
    total = 4096  # within the initial window: all of it in flight at once
    data = bytes(random.randrange(256) for _ in range(total))
    got = {}
    for off in range(0, total, 536):
        chunk = data[off:off + 536]
        send(TCP(sport=s, dport=PORT, flags="PA", seq=add(snd, off), ack=rcv,
                 window=65535) / Raw(chunk))
    # collect the echo without acknowledging it
    end = time.time() + 5
    while sum(len(v) for v in got.values()) < total and time.time() < end:
        r = recv(s, 0.5, lambda t: len(bytes(t.payload)) > 0)
        if r is not None:
            got[(r.seq - rcv) % (1 << 32)] = bytes(r.payload)
    echoed = sum(len(v) for v in got.values())
    assert echoed >= total, "echoed %d of %d before the storm" % (echoed, total)
    snd = add(snd, total)
    rng = random.Random(5)
    t0 = time.time()
    for i in range(3000):
        blocks = []
        for _ in range(4):
            lo = rng.randrange(1, total + 4096)  # some beyond what was sent
            blocks.append((add(rcv, lo), add(rcv, lo + rng.randrange(1, 4))))
        send(TCP(sport=s, dport=PORT, flags="A", seq=snd, ack=rcv, window=65535,
                 options=[("NOP", None), ("NOP", None), ("SAck", tuple(x for b in blocks for x in b))]))
        if i % 64 == 0:
            # drain what came back (retransmissions) so the socket keeps up
            while recv(s, 0) is not None:
                pass
    dt = time.time() - t0
    # acknowledge everything: the connection must carry on
    time.sleep(0.2)
    while recv(s, 0.05) is not None:
        pass
    acked = add(rcv, total)
    send(TCP(sport=s, dport=PORT, flags="PA", seq=snd, ack=acked, window=65535) / Raw(b"after the storm"))
    r = recv(s, 3, lambda t: t.seq == acked and len(bytes(t.payload)) > 0)
    assert r is not None and bytes(r.payload) == b"after the storm", "no echo after the storm: %r" % r
    send(TCP(sport=s, dport=PORT, flags="R", seq=add(snd, 15)))
    print("ok SACK storm: 3000 ACKs with 12000 tiny SACK blocks in %.1f s, the connection still echoes" % dt,
          flush=True)


def raw_opts(b):
    """TCP with raw option bytes, padded with NOPs to a 4-byte multiple."""
    b = b + b"\x01" * (-len(b) % 4)
    return b


VARIANTS = [
    ("none", []),
    ("mss1460", [("MSS", 1460)]),
    ("mss536", [("MSS", 536)]),
    ("mss88", [("MSS", 88)]),
    ("mss0", [("MSS", 0)]),
    ("ws7", [("WScale", 7)]),
    ("ws14", [("NOP", None), ("WScale", 14)]),
    ("ws15", [("NOP", None), ("WScale", 15)]),
    ("sack", [("SAckOK", b"")]),
    ("ts", [("Timestamp", (12345, 0))]),
    ("ts_ecr", [("Timestamp", (12345, 777))]),
    ("mss_sack_ts_ws", [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)), ("NOP", None), ("WScale", 7)]),
    ("mss_ws_sack", [("MSS", 1400), ("NOP", None), ("WScale", 2), ("NOP", None), ("NOP", None), ("SAckOK", b"")]),
    ("ts_ws", [("Timestamp", (99, 0)), ("NOP", None), ("WScale", 0)]),
    # odd and broken lengths (raw bytes)
    ("mss_len3", b"\x02\x03\x05\xb4\x04\x02"),
    ("mss_len5", b"\x02\x05\x05\xb4\x00\x04\x02"),
    ("ws_len2", b"\x03\x02\x04\x02"),
    ("ws_len4", b"\x03\x04\x07\x00\x04\x02"),
    ("sack_len3", b"\x04\x03\x00\x02\x04\x05\xb4"),
    ("ts_len9", b"\x08\x09" + b"\x00" * 7 + b"\x04\x02"),
    ("len1", b"\x02\x04\x05\xb4\x03\x01\x04\x02"),
    ("len0", b"\x02\x04\x05\xb4\x03\x00\x04\x02"),
    ("past_end", b"\x02\x04\x05\xb4\x08\x28\x00\x00"),
    ("eol_then", b"\x00\x02\x04\x05\xb4\x04\x02"),
    ("unknown_kind", b"\x63\x06\x00\x00\x00\x00\x04\x02\x03\x03\x05"),
    ("nop40", b"\x01" * 40),
    ("dup_mss", b"\x02\x04\x02\x18\x02\x04\x05\xb4"),
]


def synopts():
    sport = 43000
    for name, opts in VARIANTS:
        sport += 1
        iss = random.randrange(1 << 32)
        if isinstance(opts, bytes):
            ob = raw_opts(opts)
            t = TCP(sport=sport, dport=PORT, flags="S", seq=iss, window=65535,
                    dataofs=(20 + len(ob)) // 4) / Raw(ob)
        else:
            t = TCP(sport=sport, dport=PORT, flags="S", seq=iss, window=65535, options=opts)
        send(t)
        r = recv(sport, 2)
        if r is None:
            print(name, "no answer", flush=True)
            continue
        kinds = []
        for o in r.options:
            k = o[0]
            if k in ("NOP", "EOL"):
                continue
            if k == "Timestamp":
                k += "(ecr=ours)" if o[1][1] == iss_ts(opts) else "(ecr=%d)" % o[1][1]
            if k == "MSS":
                # our MSS depends on the MTU; what is compared: present,
                # and whether it is below the 1460 both links allow
                k += "" if o[1] >= 536 else "(<536)"
            kinds.append(k)
        print(name, flags(r), " ".join(sorted(kinds)), flush=True)
        if "S" in flags(r):
            send(TCP(sport=sport, dport=PORT, flags="R", seq=add(iss, 1)))


def iss_ts(opts):
    if isinstance(opts, bytes):
        return None
    for o in opts:
        if o[0] == "Timestamp":
            return o[1][0]
    return None


{"rfc5961": rfc5961, "sack": sack, "synopts": synopts}[cmd]()

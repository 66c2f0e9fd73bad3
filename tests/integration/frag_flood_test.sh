#!/bin/bash
# A flood of tiny IPv4 fragments that never complete, from one source and
# from many, holds a bounded number of packet buffers (each fragment pins
# one, however small): the pool is never exhausted, so the port keeps
# receiving, unfragmented traffic is answered, and a fragmented ping from
# another source is still reassembled and answered (the flooding sources
# evict their own datagrams, not its).
. "$(dirname "$0")/_init.sh"

rs_peer p1 10.0.0.2/24
rs_peer_quiet p1
rs_start
ringctl addr add 10.0.0.1/24 dev port0
wait_for 10 in_ns p1 ping -c1 -W1 10.0.0.1 || fail "peer cannot reach us"

# flood.py SRC_FIRST NSRC DGRAMS FRAGS: for each of NSRC source addresses
# from SRC_FIRST, DGRAMS datagrams of FRAGS 8-byte fragments each, every
# other 8-byte slot (never fragment 0, so they can never complete). Raw
# frames, no scapy: tens of thousands a second. Prints the frames sent.
cat >"$RS_TMP/flood.py" <<'PYEOF'
import socket, struct, sys
first, nsrc, dgrams, frags = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
dst_mac, src_mac = (bytes.fromhex(m.replace(":", "")) for m in sys.argv[5:7])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("p1-l", 0))
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
eth = dst_mac + src_mac + b"\x08\x00"
dst = socket.inet_aton("10.0.0.1")
base = struct.unpack("!I", socket.inet_aton(first))[0]
def csum(h):
    t = sum(struct.unpack("!10H", h))
    t = (t & 0xffff) + (t >> 16)
    t = (t & 0xffff) + (t >> 16)
    return (~t) & 0xffff
n = 0
for d in range(dgrams):
    for i in range(nsrc):
        src = struct.pack("!I", base + i)
        for f in range(frags):
            off = (16 * f + 8) // 8          # 8-byte units: 1, 3, 5, ...
            h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 0x4000 + d, 0x2000 | off,
                            64, 17, 0, src, dst)
            h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
            s.send(eth + h + b"fragment" + b"\0" * 18)
            n += 1
print(n)
PYEOF

ourmac=$(rs_link_mac port0)
peermac=$(mac_of p1 p1-l)
frags_cap=$(ringctl -j stats | jq '.workers[0] | .reass_frags')
[ "$frags_cap" = 0 ] || fail "reassembly holds fragments before the flood"
rx0=$(ringctl -j stats | jq '.ports[0].rx_packets')

# one source: 470 datagrams x 64 fragments = 30080 buffers without a bound,
# more than the whole pool (20480 mbufs here); then 100 sources x 100
sent1=$(in_ns p1 $PY "$RS_TMP/flood.py" 10.0.0.50 1 470 64 "$ourmac" "$peermac")
sent2=$(in_ns p1 $PY "$RS_TMP/flood.py" 10.0.1.1 100 2 50 "$ourmac" "$peermac")
sent=$((sent1 + sent2))
# every frame the port took reached reassembly (nothing else was sent)
seen() { [ "$(node_pkts ip4_reass)" -ge "$(($(ringctl -j stats | jq '.ports[0].rx_packets') - rx0 - 2))" ]; }
wait_for 20 seen || fail "the flood did not drain: $(ringctl -j stats | jq -c '.ports[0], .workers[0]')"
rx=$(($(ringctl -j stats | jq '.ports[0].rx_packets') - rx0))
ok "flood of $sent tiny fragments sent, $rx received"

# the bound: an eighth of the pool for reassembly (one worker)
# a port whose pool ran dry stops receiving (AF_XDP cannot refill its ring)
# (checked below: free mbufs and pings after the flood). How many frames the
# port takes depends on the machine: the kernel drops what a descheduled
# worker's AF_XDP ring cannot hold, so only enough to overrun the bound
# twice is required here.
[ "$rx" -ge 5120 ] || fail "the port received $rx of $sent frames: too few to test the 2560 bound"
read -r size free < <(ringctl -j stats | jq -r '"\(.mbufs.size) \(.mbufs.free)"')
[ "$free" -ge $((size / 2)) ] || fail "$free of $size mbufs free after the flood"
held=$(ringctl -j stats | jq '.workers[0].reass_frags')
[ "$held" -le 2560 ] || fail "reassembly holds $held fragment buffers, over its 2560 bound"
[ "$held" -ge 2000 ] || fail "reassembly holds only $held fragments: the flood did not land"
ok "reassembly holds $held fragment buffers (bound 2560), $free of $size mbufs free"

# unfragmented traffic is served, and a fragmented ping from another source
# is reassembled while the flood's datagrams are still held
in_ns p1 ping -c 3 -i 0.2 -W 2 10.0.0.1 >"$RS_TMP/ping" || fail "ping after the flood: $(tail -2 "$RS_TMP/ping")"
in_ns p1 ping -c 3 -i 0.2 -W 2 -s 4000 10.0.0.1 >"$RS_TMP/ping" ||
	fail "fragmented ping after the flood: $(tail -2 "$RS_TMP/ping")"
[ "$(ringctl -j stats | jq '.workers[0].reass_frags')" -ge 2000 ] ||
	fail "the flood's datagrams are gone: the test proved nothing"
ok "ping and fragmented ping (4000 bytes) answered during the flood"

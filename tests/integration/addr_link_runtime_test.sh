#!/bin/bash
# Addresses and link state change at runtime, under traffic: a deleted
# address stops answering (ICMP and ARP) as soon as `addr del` returns while
# another one on the link keeps answering without loss; an address in a second
# subnet works; admin down stops answering and up restores it; a lower MTU
# fragments our replies to it; bad commands fail with one line and change
# nothing.
. "$(dirname "$0")/_init.sh"

rs_peer p1 10.0.0.2/24
rs_peer_quiet p1
in_ns p1 ip addr add 10.1.0.2/24 dev p1-l
rs_start
ringctl addr add 10.0.0.1/24 dev port0
ringctl addr add 10.0.0.3/24 dev port0

ping1() { in_ns p1 ping -c 1 -W "${2:-1}" "$1" >/dev/null 2>&1; }
arping1() { in_ns p1 arping -c 1 -w 1 -i p1-l "$1" >/dev/null 2>&1; }
addrs() { ringctl -j addr show | jq -c '[.[] | select(.dev == "port0") | .addrs[] | select(.family == "inet") | .local]'; }

ping1 10.0.0.1 2 || fail "ping 10.0.0.1"
ping1 10.0.0.3 2 || fail "ping 10.0.0.3"
ok "two addresses in one subnet answer"

# ---- del/add under traffic ----
# a steady ping to 10.0.0.3 runs through every change to 10.0.0.1
ip netns exec p1 ping -c 60 -i 0.05 -W 2 10.0.0.3 >"$RS_TMP/bg.out" 2>&1 &
bg=$!
wait_for 5 grep -q "icmp_seq=5 " "$RS_TMP/bg.out" || fail "background ping: $(cat "$RS_TMP/bg.out")"

nfu=$(drops not_for_us)
ringctl addr del 10.0.0.1/24 dev port0
[ "$(addrs)" = '["10.0.0.3"]' ] || fail "addr show after del: $(addrs)"
# the peer still has 10.0.0.1's MAC cached: the echo request reaches us
ping1 10.0.0.1 && fail "10.0.0.1 still answers ping after addr del"
wait_for 2 drops_reach not_for_us $((nfu + 1)) || fail "echo to a deleted address not counted not_for_us"
arping1 10.0.0.1 && fail "10.0.0.1 still answers ARP after addr del"
ok "addr del: 10.0.0.1 stops answering ping and ARP at once"

ringctl addr add 10.0.0.1/24 dev port0
ping1 10.0.0.1 || fail "10.0.0.1 does not answer after addr add"
arping1 10.0.0.1 || fail "10.0.0.1 does not answer ARP after addr add"
ok "addr add again: 10.0.0.1 answers"

wait "$bg" || fail "background ping to 10.0.0.3 failed: $(tail -3 "$RS_TMP/bg.out")"
grep -q "60 packets transmitted, 60 received" "$RS_TMP/bg.out" ||
	fail "10.0.0.3 lost replies while 10.0.0.1 changed: $(tail -2 "$RS_TMP/bg.out")"
ok "10.0.0.3 answered every one of 60 pings meanwhile"

# ---- a second subnet ----
ringctl addr add 10.1.0.1/24 dev port0
ping1 10.1.0.1 2 || fail "ping 10.1.0.1 (second subnet)"
in_ns p1 ping -c 1 -W 2 -I 10.1.0.2 10.1.0.1 >"$RS_TMP/ping2.out" 2>&1 || true
grep -q "from 10.1.0.1:" "$RS_TMP/ping2.out" || fail "reply not from 10.1.0.1: $(cat "$RS_TMP/ping2.out")"
ringctl route show | grep -q "^10.1.0.0/24 dev port0" || fail "no connected route 10.1.0.0/24: $(ringctl route show)"
ringctl addr del 10.1.0.1/24 dev port0
ping1 10.1.0.1 && fail "10.1.0.1 answers after addr del"
ringctl route show | grep -q "^10.1.0.0/24" && fail "connected route stayed: $(ringctl route show)"
ok "an address in a second subnet works, and goes with its route"

# ---- admin state ----
ringctl link set port0 down
[ "$(ringctl -j link show | jq -r '.[0].admin')" = down ] || fail "link show: not down"
ping1 10.0.0.1 && fail "ping answered while port0 is down"
arping1 10.0.0.1 && fail "ARP answered while port0 is down"
ringctl link set port0 up
[ "$(ringctl -j link show | jq -r '.[0].admin')" = up ] || fail "link show: not up"
wait_for 5 ping1 10.0.0.1 || fail "ping not answered after link up"
ok "link down stops answering, link up restores it"

# ---- MTU ----
ringctl link set port0 mtu 1000
[ "$(ringctl -j link show | jq -r '.[0].mtu')" = 1000 ] || fail "link show: mtu not 1000"
# The port's MTU is the kernel veth's (the af_xdp PMD sets it), which then
# drops bigger frames from the peer, as any link with a 1000-byte MTU may: the
# peer fragments to 1000 too, on a route, so its own link still takes (and
# tcpdump still sees) anything bigger we might send.
ip -o link show p1-rs | grep -q " mtu 1000 " || fail "port MTU not set on the veth: $(ip -o link show p1-rs)"
in_ns p1 ip route add 10.0.0.1/32 dev p1-l mtu lock 1000
ip netns exec p1 tcpdump -i p1-l -nn -U --immediate-mode -w "$RS_TMP/cap.pcap" src host 10.0.0.1 \
	>/dev/null 2>"$RS_TMP/tcpdump.err" &
tcpd=$!
listening "$RS_TMP/tcpdump.err" || fail "tcpdump: $(cat "$RS_TMP/tcpdump.err")"
in_ns p1 ping -c 1 -W 2 -s 3000 10.0.0.1 >"$RS_TMP/ping.out" || fail "ping -s 3000 at mtu 1000: $(cat "$RS_TMP/ping.out")"
# "len offset mf" of each fragment from 10.0.0.1 captured so far; true once
# the last one is in (tcpdump may write it after ping saw the reply)
frags() {
	"$RS_ROOT/tests/integration/pcap_frags.py" "$RS_TMP/cap.pcap" 10.0.0.1 >"$RS_TMP/frags"
	awk '$3 == 0 { f = 1 } END { exit !f }' "$RS_TMP/frags"
}
wait_for 5 frags || fail "the reply's last fragment was not captured: $(cat "$RS_TMP/frags")"
kill -TERM "$tcpd"
wait "$tcpd" || true
frags || true
n=$(wc -l <"$RS_TMP/frags")
# 3008 bytes of ICMP in (1000 - 20) & ~7 = 976-byte pieces: 4 fragments
[ "$n" -eq 4 ] || fail "expected the reply in 4 fragments, got $n: $(cat "$RS_TMP/frags")"
awk '$1 > 1000 { exit 1 }' "$RS_TMP/frags" || fail "a fragment exceeds 1000 bytes: $(cat "$RS_TMP/frags")"
[ "$(awk '{ s += $1 - 20 } END { print s }' "$RS_TMP/frags")" -eq 3008 ] ||
	fail "fragments do not add up to 3008 bytes: $(cat "$RS_TMP/frags")"
[ "$(awk '$3 == 0' "$RS_TMP/frags" | wc -l)" -eq 1 ] || fail "not exactly one last fragment: $(cat "$RS_TMP/frags")"
ok "mtu 1000: 3000-byte ping answered in 4 fragments <= 1000 bytes ($(awk '{print $1}' "$RS_TMP/frags" | xargs))"
ringctl link set port0 mtu 1500
in_ns p1 ip route del 10.0.0.1/32 dev p1-l

# ---- errors change nothing ----
# (DAD may still be under way for the link-local address: its flag changes)
addr_state() { ringctl -j addr show | jq -c 'map(.addrs |= map(del(.tentative)))'; }
addr_state >"$RS_TMP/addr.before"
ringctl -j link show | jq -c '.[] | {name, admin, mtu}' >"$RS_TMP/link.before"
expect_err() {
	local rc=0
	ringctl "$@" >"$RS_TMP/out" 2>"$RS_TMP/err" || rc=$?
	[ $rc -eq 1 ] || fail "ringctl $*: exit $rc, expected 1 (stderr '$(cat "$RS_TMP/err")')"
	[ "$(wc -l <"$RS_TMP/err")" -eq 1 ] || fail "ringctl $*: expected one line on stderr: '$(cat "$RS_TMP/err")'"
	[ -s "$RS_TMP/out" ] && fail "ringctl $*: printed '$(cat "$RS_TMP/out")'"
	return 0
}
expect_err addr add 10.0.0.3/24 dev port0        # duplicate
expect_err addr add 10.0.0.3/16 dev port0        # same address, other prefix
expect_err addr add 10.0.0.300/24 dev port0      # invalid address
expect_err addr add 10.0.0.9/33 dev port0        # invalid prefix length
expect_err addr add 10.0.0.9 dev                 # missing link
expect_err addr add 10.0.0.0/24 dev port0        # network address
expect_err addr add 10.0.0.255/24 dev port0      # broadcast address
expect_err addr add 224.0.0.5/24 dev port0       # multicast
expect_err addr add 127.0.0.2/8 dev port0        # loopback
expect_err addr add 10.0.0.9/24 dev nosuch       # unknown link
expect_err addr del 10.0.0.77/24 dev port0       # not assigned
expect_err addr del 10.0.0.3/25 dev port0        # assigned with another prefix
expect_err link set nosuch up                    # unknown link
expect_err link set nosuch mtu 1400
for m in 0 67 70000 abc -1 ""; do
	expect_err link set port0 mtu "$m"
done
expect_err link set port0 mtu 1400 bogus         # an error after a valid attribute
expect_err link set port0 sideways
cmp -s "$RS_TMP/addr.before" <(addr_state) ||
	fail "addresses changed: $(cat "$RS_TMP/addr.before") -> $(addr_state)"
cmp -s "$RS_TMP/link.before" <(ringctl -j link show | jq -c '.[] | {name, admin, mtu}') ||
	fail "link changed: $(cat "$RS_TMP/link.before") -> $(ringctl -j link show)"
ping1 10.0.0.3 2 || fail "ping 10.0.0.3 after the errors"
ok "bad addr/link commands: exit 1, one line, nothing changed"

#!/bin/bash
# ARP (RFC 826, RFC 5227): adding an address announces it with a gratuitous
# ARP the peer's kernel learns from; requests for our address are answered
# with our MAC, requests for other addresses are not (arp_not_for_us); the
# peer's request teaches us its address; static entries (neigh add) are
# PERMANENT, are used, survive flush and go with del.
. "$(dirname "$0")/_init.sh"

rs_peer p1 10.0.0.2/24
rs_peer_quiet p1
# accept unsolicited (gratuitous) ARP into the peer's neighbor table
in_ns p1 sysctl -qw net.ipv4.conf.all.arp_accept=1 net.ipv4.conf.p1-l.arp_accept=1
rs_start
OURMAC=$(rs_link_mac port0)
PEERMAC=$(mac_of p1 p1-l)

# ---- gratuitous ARP on addr add ----
[ -z "$(in_ns p1 ip neigh show 10.0.0.1 dev p1-l)" ] || fail "peer knows 10.0.0.1 too early"
ringctl addr add 10.0.0.1/24 dev port0
peer_learned() { in_ns p1 ip neigh show 10.0.0.1 dev p1-l | grep -qi "lladdr $OURMAC"; }
wait_for 5 peer_learned ||
	fail "peer did not learn 10.0.0.1 from a gratuitous ARP: '$(in_ns p1 ip neigh show dev p1-l)'"
# nothing asked for 10.0.0.1: no ARP request from the peer reached us
[ -z "$(ringctl neigh show)" ] || fail "the peer ARPed us: '$(ringctl neigh show)'"
ok "addr add sends a gratuitous ARP the peer learns ($OURMAC)"
in_ns p1 ip neigh flush dev p1-l

# ---- requests for our address are answered ----
in_ns p1 arping -c 3 -W 0.2 -w 5 -i p1-l 10.0.0.1 >"$RS_TMP/arping.out" 2>&1 ||
	fail "arping 10.0.0.1: $(cat "$RS_TMP/arping.out")"
[ "$(grep -ci "bytes from $OURMAC (10.0.0.1)" "$RS_TMP/arping.out")" -eq 3 ] ||
	fail "expected 3 replies from $OURMAC: $(cat "$RS_TMP/arping.out")"
ok "arping 10.0.0.1: 3 replies from our MAC"

# ---- the peer's request taught us its address ----
ringctl neigh show | grep -q "^10.0.0.2 dev port0 lladdr $PEERMAC STALE$" ||
	fail "peer not learned from its request: '$(ringctl neigh show)'"
ok "neigh show lists the peer (STALE)"

# ---- requests for other addresses get nothing ----
before=$(drops arp_not_for_us)
if in_ns p1 arping -c 2 -W 0.2 -w 1 -i p1-l 10.0.0.99 >"$RS_TMP/arping.out" 2>&1; then
	fail "arping 10.0.0.99 got an answer: $(cat "$RS_TMP/arping.out")"
fi
grep -qi "bytes from" "$RS_TMP/arping.out" && fail "reply for 10.0.0.99: $(cat "$RS_TMP/arping.out")"
wait_for 5 drops_reach arp_not_for_us $((before + 2)) ||
	fail "arp_not_for_us did not rise by 2 ($before -> $(drops arp_not_for_us))"
[ "$(drops arp_not_for_us)" -eq $((before + 2)) ] ||
	fail "arp_not_for_us rose by $(( $(drops arp_not_for_us) - before )), expected 2"
ringctl neigh show | grep -q "10.0.0.99" && fail "a request for another host created an entry"
ok "no reply for 10.0.0.99, arp_not_for_us +2"

# ---- an RFC 5227 probe (sender 0.0.0.0) is answered and teaches nothing ----
ringctl neigh flush
in_ns p1 arping -0 -c 1 -w 2 -i p1-l 10.0.0.1 >"$RS_TMP/arping.out" 2>&1 ||
	fail "arping -0 (probe) 10.0.0.1: $(cat "$RS_TMP/arping.out")"
grep -qi "bytes from $OURMAC" "$RS_TMP/arping.out" || fail "probe not answered by $OURMAC: $(cat "$RS_TMP/arping.out")"
[ -z "$(ringctl neigh show)" ] || fail "a probe created an entry: '$(ringctl neigh show)'"
in_ns p1 arping -c 1 -w 2 -i p1-l 10.0.0.1 >/dev/null || fail "arping to re-learn the peer"
ok "an ARP probe (sender 0.0.0.0) is answered and creates no entry"

# ---- static entries ----
ringctl neigh add 10.0.0.50 lladdr 02:00:00:00:00:50 dev port0
ringctl neigh show | grep -q "^10.0.0.50 dev port0 lladdr 02:00:00:00:00:50 PERMANENT$" ||
	fail "static entry not shown PERMANENT: '$(ringctl neigh show)'"
ringctl -j neigh show >"$RS_TMP/neigh.json"
jq -e 'type == "array" and length == 2' "$RS_TMP/neigh.json" >/dev/null ||
	fail "neigh show -j: $(cat "$RS_TMP/neigh.json")"
jq -e '.[] | select(.dst == "10.0.0.50") | .dev == "port0" and .lladdr == "02:00:00:00:00:50"
	and .state == "PERMANENT"' "$RS_TMP/neigh.json" >/dev/null ||
	fail "neigh show -j: static entry wrong: $(cat "$RS_TMP/neigh.json")"
jq -e --arg m "$PEERMAC" '.[] | select(.dst == "10.0.0.2") | .lladdr == $m and .state == "STALE"' \
	"$RS_TMP/neigh.json" >/dev/null || fail "neigh show -j: peer entry wrong: $(cat "$RS_TMP/neigh.json")"
ok "neigh add: PERMANENT in text and JSON"

ringctl neigh flush
[ "$(ringctl neigh show)" = "10.0.0.50 dev port0 lladdr 02:00:00:00:00:50 PERMANENT" ] ||
	fail "flush: expected only the static entry: '$(ringctl neigh show)'"
ok "neigh flush removes learned entries, keeps static ones"

ringctl neigh del 10.0.0.50 dev port0
[ -z "$(ringctl neigh show)" ] || fail "neigh del left '$(ringctl neigh show)'"
[ "$(ringctl -j neigh show | jq length)" -eq 0 ] || fail "neigh show -j not empty after del"
rc=0
ringctl neigh del 10.0.0.50 dev port0 2>"$RS_TMP/err" || rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <"$RS_TMP/err")" -eq 1 ] ||
	fail "neigh del of a missing entry: rc $rc, stderr '$(cat "$RS_TMP/err")'"
for bad in "10.0.0.51 lladdr 01:00:5e:00:00:01 dev port0" "10.0.0.51 lladdr 02:00:00:00:00:51 dev nosuch" \
	"10.0.0.51 lladdr zz:00:00:00:00:51 dev port0" "10.0.0.51 dev port0"; do
	rc=0
	# shellcheck disable=SC2086
	ringctl neigh add $bad 2>"$RS_TMP/err" || rc=$?
	[ $rc -eq 1 ] && [ "$(wc -l <"$RS_TMP/err")" -eq 1 ] ||
		fail "neigh add $bad: rc $rc, stderr '$(cat "$RS_TMP/err")'"
done
[ -z "$(ringctl neigh show)" ] || fail "a failed neigh add left '$(ringctl neigh show)'"
ok "neigh del; bad neigh add/del fail with one line and change nothing"

# ---- a static entry is what we use, and ARP does not override it ----
ringctl neigh add 10.0.0.2 lladdr 02:00:00:00:00:99 dev port0
in_ns p1 ping -c 1 -W 1 10.0.0.1 >/dev/null && fail "echo reply reached the peer despite a wrong static MAC"
in_ns p1 arping -c 1 -w 2 -i p1-l 10.0.0.1 >/dev/null || fail "arping after static add"
ringctl neigh show | grep -q "^10.0.0.2 dev port0 lladdr 02:00:00:00:00:99 PERMANENT$" ||
	fail "the peer's ARP overrode a static entry: '$(ringctl neigh show)'"
ringctl neigh add 10.0.0.2 lladdr "$PEERMAC" dev port0
in_ns p1 ping -c 1 -W 2 10.0.0.1 >/dev/null || fail "ping after correcting the static entry"
ok "static entries are used and not overridden by ARP"

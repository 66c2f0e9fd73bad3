#!/bin/bash
# ringctl and the management socket: exit statuses (2: no daemon or usage,
# 1: a command failed, with one line on stderr); JSON of every object parses;
# a 1000-line batch applies, a failing batch line is reported as FILE:LINE and
# nothing after it is applied; stats clear zeroes the counters; the daemon
# exits 0 on SIGTERM and on SIGINT and removes its socket.
. "$(dirname "$0")/_init.sh"

rs_peer p1 10.0.0.2/24
rs_peer_quiet p1
RINGCTL=$RS_BUILD/app/ringctl
# failures that let the rest of the test run; reported at the end
LATE=()
late_fail() { echo "FAIL (reported at the end): $*" >&2; LATE+=("$*"); }

# ---- no daemon ----
for how in "-s $RS_SOCK" "-s $RS_TMP/not-a-socket"; do
	: >"$RS_TMP/not-a-socket"
	rc=0
	# shellcheck disable=SC2086
	"$RINGCTL" $how link show >"$RS_TMP/out" 2>"$RS_TMP/err" || rc=$?
	[ $rc -eq 2 ] || fail "ringctl $how without a daemon: exit $rc, expected 2"
	[ "$(wc -l <"$RS_TMP/err")" -eq 1 ] && grep -q "cannot reach" "$RS_TMP/err" ||
		fail "ringctl $how without a daemon: stderr '$(cat "$RS_TMP/err")'"
done
rc=0
RINGSTACK_CTL=$RS_TMP/nowhere.sock "$RINGCTL" stats 2>"$RS_TMP/err" || rc=$?
[ $rc -eq 2 ] && grep -q "cannot reach ringstackd at $RS_TMP/nowhere.sock" "$RS_TMP/err" ||
	fail "RINGSTACK_CTL not used: exit $rc, '$(cat "$RS_TMP/err")'"
ok "no daemon: exit 2, one 'cannot reach' line"

rs_start
ringctl addr add 10.0.0.1/24 dev port0
OURMAC=$(rs_link_mac port0)
PEERMAC=$(mac_of p1 p1-l)
# static neighbors both ways: no ARP moves the counters behind our back
ringctl neigh add 10.0.0.2 lladdr "$PEERMAC" dev port0
in_ns p1 ip neigh replace 10.0.0.1 lladdr "$OURMAC" dev p1-l nud permanent

# ---- failing commands: exit 1, one line; usage errors: exit 2 ----
expect_rc() { # RC CMD...
	local want=$1 rc=0
	shift
	"$RINGCTL" -s "$RS_SOCK" "$@" >"$RS_TMP/out" 2>"$RS_TMP/err" || rc=$?
	[ $rc -eq "$want" ] || fail "ringctl $*: exit $rc, expected $want (stderr '$(cat "$RS_TMP/err")')"
	[ -s "$RS_TMP/out" ] && fail "ringctl $*: printed '$(cat "$RS_TMP/out")'"
	return 0
}
for cmd in "bogus show" "link frob" "addr frob" "route frob" "neigh frob" "stats frob" \
	"link show nosuch" "route get 10.0.0.300" "route add 10.5.0.0/16 via nonsense"; do
	# shellcheck disable=SC2086
	expect_rc 1 $cmd
	[ "$(wc -l <"$RS_TMP/err")" -eq 1 ] || fail "ringctl $cmd: expected one line: '$(cat "$RS_TMP/err")'"
	grep -q "^ringctl: " "$RS_TMP/err" || fail "ringctl $cmd: '$(cat "$RS_TMP/err")'"
done
grep -q "bogus" <("$RINGCTL" bogus show 2>&1) || fail "unknown object not named in the message"
expect_rc 2                      # no OBJECT
expect_rc 2 -x link show         # unknown option
expect_rc 2 -b                   # -b without FILE
expect_rc 2 -b "$RS_TMP/no-such-batch"
ok "unknown object/command: exit 1 with one line; usage errors: exit 2"

# ---- JSON ----
for cmd in "link show" "addr show" "neigh show" "route show" "route show all" "route get 10.0.0.2" \
	"stats show" "stats"; do
	# shellcheck disable=SC2086
	ringctl -j $cmd >"$RS_TMP/json" || fail "ringctl -j $cmd failed"
	jq -e . "$RS_TMP/json" >/dev/null || fail "ringctl -j $cmd: not JSON: $(head -c 300 "$RS_TMP/json")"
done
jq -e 'type == "array" and .[0].name == "port0"' <(ringctl -j link show) >/dev/null || fail "link show -j"
jq -e '.[0].addrs[0].local == "10.0.0.1"' <(ringctl -j addr show) >/dev/null || fail "addr show -j"
jq -e 'any(.[]; .dst == "10.0.0.2")' <(ringctl -j neigh show) >/dev/null || fail "neigh show -j"
jq -e '(.drops | type) == "object" and (.nodes | type) == "array" and (.ports | type) == "array"' \
	<(ringctl -j stats) >/dev/null || fail "stats -j"
ok "-j output of link/addr/neigh/route/stats parses"

# ---- batch: 1000 routes ----
base=$(ringctl route show | wc -l)
for i in $(seq 0 999); do
	echo "route add 10.$((100 + i / 250)).$((i % 250)).0/24 via 10.0.0.2"
done >"$RS_TMP/routes.batch"
start=$SECONDS
ringctl -b "$RS_TMP/routes.batch" >"$RS_TMP/out" 2>"$RS_TMP/err" || fail "batch of 1000 routes: $(cat "$RS_TMP/err")"
[ $((SECONDS - start)) -le 10 ] || fail "1000 routes took $((SECONDS - start)) s"
[ "$(ringctl route show | wc -l)" -eq $((base + 1000)) ] ||
	fail "route show has $(ringctl route show | wc -l) lines, expected $((base + 1000))"
[ "$(ringctl route show | grep -c "via 10.0.0.2")" -eq 1000 ] || fail "not 1000 routes via 10.0.0.2"
[ "$(ringctl -j route show | jq length)" -eq $((base + 1000)) ] || fail "route show -j length"
ringctl route get 10.103.249.7 | grep -q "via 10.0.0.2" || fail "route get 10.103.249.7: $(ringctl route get 10.103.249.7)"
ok "ringctl -b: 1000 routes added in $((SECONDS - start)) s"

# ---- batch: a failing line ----
cat >"$RS_TMP/bad.batch" <<'EOF'
# line 1: a comment
route add 10.200.0.0/16 via 10.0.0.2

route add 10.201.0.0/16 via 10.0.0.300
route add 10.202.0.0/16 via 10.0.0.2
EOF
rc=0
ringctl -b "$RS_TMP/bad.batch" 2>"$RS_TMP/err" || rc=$?
[ $rc -eq 1 ] || fail "failing batch: exit $rc, expected 1"
[ "$(wc -l <"$RS_TMP/err")" -eq 1 ] && grep -q "^ringctl: $RS_TMP/bad.batch:4: " "$RS_TMP/err" ||
	fail "failing batch: expected one '$RS_TMP/bad.batch:4:' line: '$(cat "$RS_TMP/err")'"
ringctl route show | grep -q "^10.200.0.0/16 via 10.0.0.2" || fail "line 2 of the failing batch not applied"
ringctl route show | grep -q "^10.201.0.0/16" && fail "the failing line was applied"
printf 'route add 10.203.0.0/16 via 10.0.0.2\nroute add "10.204.0.0/16 via\n' >"$RS_TMP/quote.batch"
rc=0
ringctl -b "$RS_TMP/quote.batch" 2>"$RS_TMP/err" || rc=$?
[ $rc -eq 1 ] && grep -q "quote.batch:2: " "$RS_TMP/err" || fail "unterminated quote: exit $rc, '$(cat "$RS_TMP/err")'"
ringctl route show | grep -q "^10.203.0.0/16" || fail "the line before a bad quote was not applied"
ok "a failing batch line is reported as FILE:LINE, the lines before it applied"

# ---- stats clear ----
in_ns p1 ping -c 2 -i 0.2 -W 2 10.0.0.1 >/dev/null || fail "ping"
# Every counter reads zero right after a clear. The daemon originates a few
# packets of its own in its first seconds (MLD reports, DAD, router
# solicitations) that may land between the clear and the read: the check
# holds once one clear/read pair sees none (bounded).
cleared() {
	ringctl stats clear
	ringctl -j stats >"$RS_TMP/stats.json"
	jq -e '([.drops[]] | all(. == 0)) and ([.nodes[].packets] | all(. == 0)) and
		(.ports[0] | .rx_packets == 0 and .tx_packets == 0 and .rx_bytes == 0 and .tx_bytes == 0) and
		.total_drops == 0' "$RS_TMP/stats.json" >/dev/null
}
n=0
until cleared; do
	n=$((n + 1))
	[ $n -lt 40 ] || fail "counters not zero after clear (40 tries): drops $(jq -c .drops "$RS_TMP/stats.json"), nodes $(jq -c '[.nodes[] | select(.packets > 0)]' "$RS_TMP/stats.json"), ports $(jq -c .ports "$RS_TMP/stats.json")"
	sleep 0.25
done
# and they count from zero again
in_ns p1 ping -c 1 -W 2 10.0.0.1 >/dev/null || fail "ping after clear"
wait_for 10 test "$(node_pkts icmp4_input)" -eq 1 || fail "icmp4_input after clear + 1 ping: $(node_pkts icmp4_input)"
[ "$(ringctl -j stats | jq '.ports[0].rx_packets')" -ge 1 ] || fail "rx_packets after clear + 1 ping"
ok "stats clear zeroes the counters, which count again from zero"

# ---- a failing line does not undo the lines before it ----
# ringctl sends a batch pipelined: the daemon may receive and run several
# lines in one go. Line 1 succeeded and was reported so; line 2 fails.
printf 'link set port0 mtu 1400\naddr add 10.0.0.300/24 dev port0\n' >"$RS_TMP/undo.batch"
rc=0
ringctl -b "$RS_TMP/undo.batch" 2>"$RS_TMP/err" || rc=$?
[ $rc -eq 1 ] && grep -q "undo.batch:2: " "$RS_TMP/err" || fail "undo batch: exit $rc, '$(cat "$RS_TMP/err")'"
mtu=$(ringctl -j link show | jq '.[0].mtu')
[ "$mtu" -eq 1400 ] &&
	ok "a failing batch line leaves the successful lines before it applied" ||
	late_fail "line 1 (link set port0 mtu 1400) reported success but the failing line 2 undid it: mtu $mtu," \
		"while the veth says $(ip -o link show p1-rs | grep -o 'mtu [0-9]*')"

# ---- nothing after a failing line is applied (iproute2's -batch) ----
printf 'route add 10.210.0.0/16 via 10.0.0.2\nroute add 10.211.0.0/16 via 10.0.0.300\nroute add 10.212.0.0/16 via 10.0.0.2\n' \
	>"$RS_TMP/after.batch"
ringctl -b "$RS_TMP/after.batch" 2>/dev/null && fail "after.batch did not fail"
if ringctl route show | grep -q "^10.212.0.0/16"; then
	late_fail "line 3 of a batch was applied although line 2 failed ('Stops at the first failing command')"
else
	ok "nothing after a failing batch line is applied"
fi

# ---- SIGTERM and SIGINT ----
rc=0
rs_stop || rc=$?
[ $rc -eq 0 ] || fail "ringstackd exited $rc on SIGTERM"
[ -e "$RS_SOCK" ] && fail "socket left after SIGTERM"
ok "SIGTERM: exit 0, socket removed"
rs_start
ringctl link show >/dev/null || fail "second daemon"
kill -INT "$RS_PID"
rc=0
wait "$RS_PID" || rc=$?
RS_PID=
[ $rc -eq 0 ] || fail "ringstackd exited $rc on SIGINT"
[ -e "$RS_SOCK" ] && fail "socket left after SIGINT"
ok "SIGINT: exit 0, socket removed"

[ ${#LATE[@]} -eq 0 ] || fail "${#LATE[@]} check(s) failed above: ${LATE[*]}"

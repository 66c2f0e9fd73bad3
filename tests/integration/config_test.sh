#!/bin/bash
# ringstackd's command line and --config: --help; an unknown option or a bad
# value fails with one line; a config file (comments, blank lines) is applied
# before the control socket opens, so its address answers with no ringctl
# call; a bad line stops the daemon at once, naming FILE:LINE, with no control
# socket left behind.
. "$(dirname "$0")/_init.sh"

rs_peer p1 10.0.0.2/24
rs_peer_quiet p1
D=$RS_BUILD/app/ringstackd

# the daemon's own lines on stderr: without DPDK's and libbpf's start-up noise
own_lines() { grep -Ev '^(TELEMETRY|EAL|libbpf|libxdp|AF_XDP|XDP|NET_AF_XDP|VHOST|ETHDEV):' "$1" || true; }

# ---- --help ----
for h in --help -h "-- --help"; do
	rc=0
	# shellcheck disable=SC2086
	"$D" $h >"$RS_TMP/out" 2>"$RS_TMP/err" || rc=$?
	[ $rc -eq 0 ] || fail "ringstackd $h: exit $rc"
	grep -q -- "--ctl PATH" "$RS_TMP/out" && grep -q -- "--config FILE" "$RS_TMP/out" ||
		fail "ringstackd $h does not list --ctl and --config: $(cat "$RS_TMP/out")"
	[ -s "$RS_TMP/err" ] && fail "ringstackd $h wrote to stderr: $(cat "$RS_TMP/err")"
done
ok "--help exits 0 and lists --ctl and --config"

# ---- bad options: non-zero, one line naming the problem, no socket ----
bad_start() { # WHAT PATTERN OPTIONS...
	local what=$1 pat=$2 rc=0
	shift 2
	rs_daemon_fg "$@" >"$RS_TMP/out" 2>"$RS_TMP/err" || rc=$?
	[ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "$what: exit $rc (stderr: $(cat "$RS_TMP/err"))"
	own_lines "$RS_TMP/err" >"$RS_TMP/own"
	[ "$(wc -l <"$RS_TMP/own")" -eq 1 ] || fail "$what: expected one line on stderr, got: $(cat "$RS_TMP/own")"
	grep -qF -- "$pat" "$RS_TMP/own" || fail "$what: '$pat' not in: $(cat "$RS_TMP/own")"
	[ -e "$RS_SOCK" ] && fail "$what: control socket left behind"
	return 0
}
bad_start "--neigh-max 5" "--neigh-max" --neigh-max 5
bad_start "--tcp-max-orphans 0" "--tcp-max-orphans" --tcp-max-orphans 0
bad_start "a stray argument" "extra" extra
ok "bad values and stray arguments: non-zero exit, one line"

# ---- a config file with a bad line ----
cat >"$RS_TMP/bad.conf" <<'EOF'
# a comment, then a blank line

addr add 10.0.0.300/24 dev port0
addr add 10.0.0.1/24 dev port0
EOF
start=$SECONDS
bad_start "--config with a bad line 3" "$RS_TMP/bad.conf:3:" --config "$RS_TMP/bad.conf"
[ $((SECONDS - start)) -le 10 ] || fail "a bad config took $((SECONDS - start)) s to fail"
own_lines "$RS_TMP/err" | grep -q "10.0.0.300" || fail "the message does not quote the bad address: $(cat "$RS_TMP/err")"
bad_start "--config of a missing file" "$RS_TMP/missing.conf" --config "$RS_TMP/missing.conf"
ok "bad config: exit non-zero at once, FILE:3 named, no socket left"

# ---- a good config file ----
cat >"$RS_TMP/good.conf" <<'EOF'
# ringstack test configuration
	# an indented comment

addr add 10.0.0.1/24 dev port0    # a trailing comment
  neigh add 10.0.0.50 lladdr 02:00:00:00:00:50 dev port0
route add 10.9.0.0/16 via 10.0.0.2
link set "port0" mtu 1400
EOF
printf 'addr add 10.0.0.5/24 dev port0\r\n' >>"$RS_TMP/good.conf"   # CRLF, no final newline
rs_start --config "$RS_TMP/good.conf"
# no ringctl call before this: the config alone made 10.0.0.1 answer
in_ns p1 ping -c 1 -W 2 10.0.0.1 >/dev/null || fail "10.0.0.1 from the config does not answer"
in_ns p1 ping -c 1 -W 2 10.0.0.5 >/dev/null || fail "10.0.0.5 (CRLF line) does not answer"
ringctl neigh show | grep -q "^10.0.0.50 dev port0 lladdr 02:00:00:00:00:50 PERMANENT$" ||
	fail "config neigh missing: $(ringctl neigh show)"
ringctl route show | grep -q "^10.9.0.0/16 via 10.0.0.2" || fail "config route missing: $(ringctl route show)"
[ "$(ringctl -j link show | jq -r '.[0].mtu')" = 1400 ] || fail "config mtu not applied"
[ "$(ringctl -j addr show | jq -c '[.[0].addrs[] | select(.family == "inet") | .local]')" = '["10.0.0.1","10.0.0.5"]' ] ||
	fail "config addresses: $(ringctl -j addr show)"
rs_stop || fail "ringstackd exit status $? on SIGTERM"
ok "config applied at start: address answers with no ringctl call"

# last, as it fails today (getopt's own message, then a hint: two lines)
bad_start "an unknown option" "--bogus" --bogus
ok "an unknown option: non-zero exit, one line"

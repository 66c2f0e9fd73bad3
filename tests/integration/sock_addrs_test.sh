#!/bin/bash
# Sends that fail at once, as on Linux, because the library knows the
# daemon's addresses (published in each application's segment): an
# IP_PKTINFO source that is not ours is ENETUNREACH, a broadcast destination
# without SO_BROADCAST is EACCES. One running application sees addresses
# added and removed afterwards.
. "$(dirname "$0")/_init.sh"
BIN=$RS_BUILD/tests/integration/rs_sendcheck
[ -x "$BIN" ] || fail "$BIN not built"

rs_peer p1 10.0.0.2/24
rs_start
ringctl addr add 10.0.0.1/24 dev port0

coproc APP { exec "$BIN" 2>&1; }
read -r -t 10 line <&"${APP[0]}" || fail "rs_sendcheck did not start"
[ "$line" = ready ] || fail "rs_sendcheck: $line"
# expect COMMAND ANSWER
expect() {
	local got
	echo "$1" >&"${APP[1]}"
	read -r -t 10 got <&"${APP[0]}" || fail "no answer to '$1'"
	[ "$got" = "$2" ] || fail "'$1': $got, expected $2"
}

expect "pktinfo 10.0.0.1 10.0.0.2 9" ok
expect "pktinfo 10.9.9.9 10.0.0.2 9" ENETUNREACH
expect "send 10.0.0.255 9" EACCES
expect "send 255.255.255.255 9" EACCES
expect "send 10.0.0.2 9" ok
ok "IP_PKTINFO source and broadcast checked at the send"

ringctl addr add 10.9.9.9/24 dev port0
expect "pktinfo 10.9.9.9 10.0.0.2 9" ok
expect "send 10.9.9.255 9" EACCES
ringctl addr del 10.9.9.9/24 dev port0
expect "pktinfo 10.9.9.9 10.0.0.2 9" ENETUNREACH
ok "addresses added and removed reach a running application"

expect "broadcast 1" ok
expect "send 10.0.0.255 9" ok
expect "broadcast 0" ok
expect "send 10.0.0.255 9" EACCES
ok "SO_BROADCAST on and off"

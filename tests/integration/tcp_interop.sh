#!/bin/bash
# TCP interoperability between ringstack and a Linux peer over veth, both
# directions of the connection set-up, bulk data both ways at once, checked
# byte for byte (rs_tcp: a fixed xorshift64 test stream, its length and
# FNV-1a 64 hash checked at both ends), clean and under link impairment
# inside ringstack (ringctl link set port0 impair, both directions). Not in
# the default run (a measurement: minutes); prints one line per transfer.
#
#   tests/integration/tcp_interop.sh
# Environment: RS_INTEROP_BYTES (clean, default 1 GiB each way),
# RS_INTEROP_IMPAIR_BYTES (impaired, default 8 MiB each way),
# RS_INTEROP_IMPAIR (default "loss 2% delay 20ms reorder 5% duplicate 1% seed 1"),
# RS_INTEROP_TIMEOUT (seconds per transfer, default 900),
# RS_INTEROP_DIRS ("rs-server rs-client", the default: both set-ups; one of
# them alone for a long impaired run).
. "$(dirname "$0")/_init.sh"

BIN=$RS_BUILD/tests/integration
RS=$BIN/rs_tcp
LX=$BIN/rs_tcp_linux
CLEAN=${RS_INTEROP_BYTES:-1073741824}
IMPB=${RS_INTEROP_IMPAIR_BYTES:-8388608}
IMP=${RS_INTEROP_IMPAIR:-loss 2% delay 20ms reorder 5% duplicate 1% seed 1}
TO=${RS_INTEROP_TIMEOUT:-900}
DIRS=${RS_INTEROP_DIRS:-rs-server rs-client}
for d in $DIRS; do
	case $d in rs-server | rs-client) ;; *) fail "RS_INTEROP_DIRS: unknown set-up \"$d\" (rs-server, rs-client)" ;; esac
done
[ -x "$RS" ] && [ -x "$LX" ] || fail "rs_tcp / rs_tcp_linux not built"

rs_peer p1 10.0.0.2/24
rs_start
ringctl addr add 10.0.0.1/24 dev port0
port=8000

# run LABEL BYTES: ringstack server + Linux client, then Linux server +
# ringstack client; each line: bytes each way, hash, seconds, MB/s
run() {
	local label=$1 bytes=$2 srv
	port=$((port + 1))
	if [[ " $DIRS " == *" rs-server "* ]]; then
		timeout "$TO" "$RS" srv $port "$bytes" >"$RS_TMP/s$port.log" 2>&1 &
		srv=$!
		wait_for 10 grep -q "^listening" "$RS_TMP/s$port.log" || fail "ringstack server: $(cat "$RS_TMP/s$port.log")"
		in_ns p1 timeout "$TO" "$LX" cli 10.0.0.1 $port "$bytes" >"$RS_TMP/c$port.log" 2>&1 ||
			fail "$label: Linux client: $(cat "$RS_TMP/c$port.log"); server: $(cat "$RS_TMP/s$port.log")"
		wait $srv || fail "$label: ringstack server: $(cat "$RS_TMP/s$port.log")"
		ok "$label, ringstack server / Linux client: $(grep -o '[0-9]* bytes each way.*' "$RS_TMP/s$port.log")"
	fi
	port=$((port + 1))
	[[ " $DIRS " == *" rs-client "* ]] || return 0
	in_ns p1 timeout "$TO" "$LX" srv $port "$bytes" >"$RS_TMP/s$port.log" 2>&1 &
	srv=$!
	wait_for 10 grep -q "^listening" "$RS_TMP/s$port.log" || fail "Linux server: $(cat "$RS_TMP/s$port.log")"
	timeout "$TO" "$RS" cli 10.0.0.2 $port "$bytes" >"$RS_TMP/c$port.log" 2>&1 ||
		fail "$label: ringstack client: $(cat "$RS_TMP/c$port.log"); server: $(cat "$RS_TMP/s$port.log")"
	wait $srv || fail "$label: Linux server: $(cat "$RS_TMP/s$port.log")"
	ok "$label, ringstack client / Linux server: $(grep -o '[0-9]* bytes each way.*' "$RS_TMP/c$port.log")"
}

if [ "$CLEAN" -gt 0 ]; then
	run clean "$CLEAN"
fi
if [ "$IMPB" -gt 0 ]; then
	# shellcheck disable=SC2086 # the parameters are words
	ringctl link set port0 impair $IMP
	run "impaired ($IMP)" "$IMPB"
	ringctl link show port0 | grep -A1 "impair"
	ringctl link set port0 impair off
fi

#!/bin/bash
# TCP loss recovery against a Linux peer under link impairment inside
# ringstack (2 % loss, 20 ms delay, 5 % reordering, 1 % duplication, both
# directions): a few MB each way at once, both ends checking length and
# hash (rs_tcp), then the receive side's counters: out-of-order data was
# queued, none was dropped for want of room (ooo_dropped_full) and nothing
# SACKed was given up (rcv_pruned, reneging: a Linux sender repairs that
# only with a retransmission timeout). Before out-of-order data went into
# the receive ring, the queue's 64 buffers overflowed here at once (this
# test on that code: ooo_dropped_full 290, rcv_pruned 7).
# tests/integration/tcp_interop.sh measures the same at any size.
#   RS_LOSS_BYTES (default 4 MiB each way)
. "$(dirname "$0")/_init.sh"

BIN=$RS_BUILD/tests/integration
RS=$BIN/rs_tcp
LX=$BIN/rs_tcp_linux
BYTES=${RS_LOSS_BYTES:-4194304}
[ -x "$RS" ] && [ -x "$LX" ] || fail "rs_tcp / rs_tcp_linux not built"

rs_peer p1 10.0.0.2/24
rs_start
ringctl addr add 10.0.0.1/24 dev port0
ringctl link set port0 impair loss 2% delay 20ms reorder 5% duplicate 1% seed 1

timeout 150 "$RS" srv 8001 "$BYTES" >"$RS_TMP/srv.log" 2>&1 &
srv=$!
wait_for 10 grep -q "^listening" "$RS_TMP/srv.log" || fail "ringstack server: $(cat "$RS_TMP/srv.log")"
in_ns p1 timeout 150 "$LX" cli 10.0.0.1 8001 "$BYTES" >"$RS_TMP/cli.log" 2>&1 ||
	fail "Linux client: $(cat "$RS_TMP/cli.log"); server: $(cat "$RS_TMP/srv.log")"
wait $srv || fail "ringstack server: $(cat "$RS_TMP/srv.log")"

tcp() { ringctl -j stats | jq -r ".tcp.$1"; }
q=$(tcp ooo_queued) full=$(tcp ooo_dropped_full) pruned=$(tcp rcv_pruned)
[ "$q" -gt 0 ] || fail "no out-of-order segment under 2 % loss and 5 % reordering (ooo_queued $q)"
[ "$full" -eq 0 ] && [ "$pruned" -eq 0 ] ||
	fail "out-of-order data dropped: ooo_dropped_full $full, rcv_pruned $pruned (ooo_queued $q)"
ok "impaired link, ringstack server / Linux client: $(grep -o '[0-9]* bytes each way.*' "$RS_TMP/srv.log"); ooo_queued $q, ooo_dropped_full 0, rcv_pruned 0, timeouts $(tcp timeouts), retrans_segs $(tcp retrans_segs), dsack_recv $(tcp dsack_recv), dsack_undo $(tcp dsack_undo), eifel_undo $(tcp eifel_undo)"

#!/bin/bash
# perf/pace.py (fwd_bench.sh's "100,000 route updates per second"): batches
# start at absolute slots, so the pace asked for is the pace applied while
# each batch fits in its slot. A stand-in ringctl records the batches it is
# given; every chunk is applied in turn, and lines over the window come out
# at the asked rate (the shell loop it replaced reached 0.60-0.65 of it).
set -euo pipefail
cd "$(dirname "$0")/../.."
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cat >"$T/ringctl" <<'SH'
#!/bin/bash
# ringctl -s SOCK -b FILE: note the file and its CPU, take a while
[ "$1" = -s ] && [ "$3" = -b ] || exit 2
echo "$4 $(awk '{print $39}' /proc/self/stat)" >>"$(dirname "$0")/calls"
sleep 0.02
SH
chmod +x "$T/ringctl"
for c in a b c; do seq 500 >"$T/chunk.$c"; done
read -r lines secs pk < <(/usr/bin/python3 perf/pace.py 2 0.2 0 - 1 "$T/ringctl" "$T/sock" "$T"/chunk.*)
n=$(wc -l <"$T/calls")
[ "$n" -eq 10 ] || fail "10 slots of 0.2 s in 2 s, $n batches run"
[ "$lines" -eq 5000 ] || fail "5000 lines applied, pace.py says $lines"
[ "$pk" -eq 0 ] || fail "no telemetry asked, packets $pk"
# round robin over the chunks
[ "$(sed -n '1p;4p;7p;10p' "$T/calls" | awk '{print $1}' | sort -u)" = "$T/chunk.a" ] ||
	fail "chunks not taken in turn: $(cat "$T/calls")"
# pinned to CPU 0 (ringctl's child here, awk, reports where it ran)
[ "$(awk '{print $2}' "$T/calls" | sort -u)" = 0 ] || fail "ringctl not on CPU 0: $(cat "$T/calls")"
rate=$(echo "$lines / $secs" | bc -l)
echo "$rate" | awk '{exit !($1 >= 2450 && $1 <= 2550)}' ||
	fail "asked 2500 lines/s, got $rate ($lines in $secs s)"
echo "ok pace: 10 batches in turn, $rate lines/s (asked 2500), on CPU 0"

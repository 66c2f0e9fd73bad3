#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# scripts/fuzz.sh [SECONDS] [rx|ctl|tcp|app]
#
# Builds the libFuzzer harnesses with clang, ASan and UBSan (build-fuzz/,
# or $FUZZ_BUILD), generates the seed corpus, and runs one harness for
# SECONDS (default 30), after replaying every reproducer of it:
#   rx   fuzz_rx, the whole receive path (default); reproducers
#        tests/fuzz/crashers/*.bin
#   ctl  fuzz_ctl, the management protocol: control server and command
#        dispatcher; reproducers tests/fuzz/crashers/ctl/*.bin
#   tcp  fuzz_tcp, the TCP engine (DPDK-free, needs no root); reproducers
#        tests/fuzz/crashers/fuzz_tcp/*.bin
#   app  fuzz_app, hostile applications against the socket layer (two
#        apps: one hostile, one well-behaved that must stay unaffected);
#        reproducers tests/fuzz/crashers/app/*.bin
# (fuzz_rx, fuzz_ctl, fuzz_tcp, fuzz_app are accepted as names too)
# Exits non-zero when the fuzzer finds a crash, a sanitizer
# report or a broken invariant; the reproducer is left in $FUZZ_ARTIFACTS
# (default build-fuzz/fuzz-artifacts/). Without clang it prints a line and
# exits 0.
#
# rx, ctl and app run the dataplane in-process: root (DPDK, no hugepages). Their
# DPDK runtime directory (/var/run/dpdk/<prefix>) is removed at exit.
#
# Environment:
#   FUZZ_BUILD      build directory (default: <repo>/build-fuzz)
#   FUZZ_CORPUS     keep the corpus here across runs (default: a temp dir)
#   FUZZ_ARTIFACTS  where crash reproducers go (default: $FUZZ_BUILD/fuzz-artifacts)
#   FUZZ_JOBS       parallel fuzzing processes (default 1)
#   FUZZ_ARGS       extra libFuzzer arguments
#   FUZZ_SEED       libFuzzer -seed (default: random; scripts/test.sh fixes it)
#
# Reproduce a crash:  build-fuzz/tests/fuzz/fuzz_NAME CRASH_FILE
set -u

secs=${1:-30}
usage="usage: $0 [SECONDS] [rx|ctl|tcp|app]"
case $secs in
'' | *[!0-9]*) echo "$usage" >&2; exit 2 ;;
esac
target=${2:-rx}
target=${target#fuzz_}
leaks=0 exit_leaks=1 need_root=1
case $target in
rx) max_len=80000 replay_dir=tests/fuzz/crashers ;;
ctl) max_len=8192 replay_dir=tests/fuzz/crashers/ctl ;;
# leaks are reported per input (libFuzzer's check); not at exit, where
# the EAL's and the modules' state is still allocated by design
app) max_len=4096 replay_dir=tests/fuzz/crashers/app leaks=1 exit_leaks=0 ;;
# the engine frees all it allocates: leaks are reported
tcp) max_len=80000 replay_dir=tests/fuzz/crashers/fuzz_tcp leaks=1 need_root=0 ;;
*) echo "$usage" >&2; exit 2 ;;
esac
name=fuzz_$target

root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD:-$root/build-fuzz}

cc=${CC:-clang}
if ! command -v "$cc" >/dev/null 2>&1 || ! "$cc" --version 2>/dev/null | grep -qi clang; then
	if command -v clang >/dev/null 2>&1; then
		cc=clang
	else
		echo "fuzz: clang not found, skipped"
		exit 0
	fi
fi

if [ "$need_root" = 1 ] && [ "$(id -u)" != 0 ]; then
	echo "fuzz: needs root (DPDK EAL without hugepages); try sudo $0 $*" >&2
	exit 1
fi

# ---- build ----
if [ ! -f "$build/build.ninja" ]; then
	setuplog=$(mktemp /tmp/ringstack-fuzz-setup.XXXXXX)
	# fuzzer-no-link: coverage instrumentation of the libraries too
	if ! CC=$cc meson setup "$build" "$root" \
		-Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fsanitize=fuzzer-no-link -Dbuildtype=debugoptimized \
		>"$setuplog" 2>&1; then
		tail -n 30 "$setuplog" >&2
		rm -f "$setuplog"
		rm -rf "$build"
		echo "fuzz: meson setup failed" >&2
		exit 1
	fi
	rm -f "$setuplog"
fi
if ! ninja -C "$build" "tests/fuzz/$name" "tests/fuzz/${name}_seeds" >"$build/fuzz-ninja.log" 2>&1; then
	tail -n 40 "$build/fuzz-ninja.log" >&2
	echo "fuzz: build failed" >&2
	exit 1
fi
fuzzer=$build/tests/fuzz/$name
[ -x "$fuzzer" ] || { echo "fuzz: $fuzzer was not built (is libdpdk with net_ring installed?)" >&2; exit 1; }

# ---- run ----
work=$(mktemp -d /tmp/ringstack-fuzz.XXXXXX)
prefix=rsfuzz$$_
cleanup() {
	rm -rf "$work"
	# DPDK runtime dirs of this run's processes (one per fuzzing process)
	rm -rf /var/run/dpdk/"$prefix"* 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

seeds=$work/seeds
mkdir -p "$seeds"
"$build/tests/fuzz/${name}_seeds" "$seeds" >/dev/null 2>&1 || { echo "fuzz: seed generation failed" >&2; exit 1; }
corpus=${FUZZ_CORPUS:-$work/corpus}
mkdir -p "$corpus"
artifacts=${FUZZ_ARTIFACTS:-$build/fuzz-artifacts}
mkdir -p "$artifacts"

# detect_leaks=0 for the dataplane harnesses: the EAL's own allocations live
# until exit by design; mbuf leaks are the harnesses' own check. UBSan
# reports are fatal.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=$leaks:leak_check_at_exit=$exit_leaks:abort_on_error=1:symbolize=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export FUZZ_RX_PREFIX=$prefix FUZZ_CTL_PREFIX=$prefix FUZZ_APP_PREFIX=$prefix

# Every reproducer of a bug found so far first, strictly: a regression
# fails here before any fuzzing.
replay=$work/replay.log
shopt -s nullglob
crashers=("$root/$replay_dir"/*.bin)
shopt -u nullglob
if [ ${#crashers[@]} -gt 0 ] && ! FUZZ_RX_KNOWN_BUGS= "$fuzzer" "${crashers[@]}" >"$replay" 2>&1; then
	grep -E 'INVARIANT VIOLATED|ERROR: |runtime error:|^Running: ' "$replay" | head -n 20 >&2
	echo "fuzz: a reproducer in $replay_dir/ fails again (log: $artifacts/replay.log)" >&2
	cp "$replay" "$artifacts/replay.log" 2>/dev/null
	exit 1
fi

# FUZZ_SEED fixes libFuzzer's random seed: the same binary then walks the
# same inputs in the same order (scripts/test.sh sets it, so CI is
# repeatable; a run of its own without FUZZ_SEED explores new ground).
seedarg=()
[ -n "${FUZZ_SEED:-}" ] && seedarg=(-seed="$FUZZ_SEED")

dictarg=()
[ -f "$root/tests/fuzz/$name.dict" ] && dictarg=(-dict="$root/tests/fuzz/$name.dict")
log=$work/fuzz.log
jobs=${FUZZ_JOBS:-1}
jobargs=()
if [ "$jobs" -gt 1 ]; then
	jobargs=(-fork="$jobs" -ignore_crashes=0)
fi
start=$(date +%s)
# shellcheck disable=SC2086
"$fuzzer" -max_total_time="$secs" -max_len="$max_len" -timeout=30 -rss_limit_mb=4096 \
	-print_final_stats=1 -artifact_prefix="$artifacts/" \
	"${dictarg[@]}" "${seedarg[@]}" "${jobargs[@]}" ${FUZZ_ARGS:-} \
	"$corpus" "$seeds" >"$log" 2>&1
rc=$?
end=$(date +%s)

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
[ -n "$runs" ] || runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
[ -n "$runs" ] || runs=$(grep -o '^#[0-9]*' "$log" | tail -n 1 | tr -d '#')
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | awk '{print $2}')
ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | awk '{print $2}')
eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)

if [ $rc -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|libFuzzer)|runtime error:|INVARIANT VIOLATED' "$log"; then
	sed -n '/ERROR: \|INVARIANT VIOLATED\|runtime error:/,$p' "$log" | head -n 40 >&2
	crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
	# last, so that a caller showing only the tail still has the cause and
	# the input (base64: decode into $replay_dir/NAME.bin to replay)
	grep -m 3 -E 'INVARIANT VIOLATED|ERROR: AddressSanitizer|runtime error:' "$log" >&2
	if [ -n "$crash" ] && [ -f "$crash" ] && [ "$(stat -c %s "$crash")" -le 12000 ]; then
		echo "fuzz: reproducer (base64): $(base64 -w 0 "$crash")" >&2
	fi
	echo "fuzz: $name CRASH after ${runs:-?} runs in $((end - start)) s (rc $rc); reproducer: ${crash:-see log}" >&2
	cp "$log" "$artifacts/$name.log" 2>/dev/null && echo "fuzz: log saved to $artifacts/$name.log" >&2
	exit 1
fi
echo "fuzz: $name: ${runs:-?} runs in $((end - start)) s, no crash (cov ${cov:-?}, ft ${ft:-?}, ${eps:-?} exec/s)"
exit 0

#!/bin/bash
# Installs what is missing, builds, and runs every test: unit tests
# (Criterion), integration tests with Linux peers in network namespaces, the
# unit and core integration tests again under AddressSanitizer and UBSan,
# short libFuzzer runs (receive path, management protocol, TCP engine), and
# smoke runs of the benchmarks. Needs root
# (namespaces, veth, AF_XDP).
#   scripts/test.sh [--quick]   --quick: skip sanitizers, fuzzing, benchmarks
set -uo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1

passed=0
failed=0
failures=()
step() {
	local name=$1; shift
	local t0=$SECONDS
	if "$@" >"/tmp/rs-step.$$" 2>&1; then
		passed=$((passed + 1))
		echo "PASS $name ($((SECONDS - t0)) s)"
	else
		failed=$((failed + 1))
		failures+=("$name")
		echo "FAIL $name ($((SECONDS - t0)) s)"
		# the test's own verdict first, then the end of its output
		grep -m 5 -E '^FAIL|INVARIANT|Assertion|ERROR' "/tmp/rs-step.$$" | sed 's/^/    /'
		tail -n 150 "/tmp/rs-step.$$" | sed 's/^/    /'
	fi
	rm -f "/tmp/rs-step.$$"
}

if [ $quick -eq 1 ]; then
	scripts/deps.sh test || { echo "test: cannot install dependencies"; exit 1; }
else
	scripts/deps.sh perf || { echo "test: cannot install dependencies"; exit 1; }
fi
scripts/build.sh build || { echo "test: build failed"; ninja -C build; exit 1; }

# Unit tests: one step each, so the summary counts them.
for t in build/tests/unit/test_* build/tests/unit/dp/test_*; do
	[ -f "$t" ] && [ -x "$t" ] && step "unit/$(basename "$t")" "$t" --jobs=2
done

for t in tests/integration/*_test.sh; do
	step "integration/$(basename "$t" .sh)" timeout 180 "$t"
done
# the same socket programs (UDP and TCP) against Linux and against libringsock
step "diff/sockets" timeout 180 tests/diff/run.sh
# wire-level TCP scripts (scapy) against Linux and ringstack, compared
step "wire/tcp" timeout 300 tests/wire/run.sh

if [ $quick -eq 0 ] && command -v clang >/dev/null; then
	if CC=clang scripts/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false; then
		export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
		export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
		for t in build-asan/tests/unit/test_* build-asan/tests/unit/dp/test_*; do
			[ -f "$t" ] && [ -x "$t" ] && step "asan/unit/$(basename "$t")" "$t" --jobs=2
		done
		for t in ping_test malformed_test udp_socket_test hostile_app_test sock_addrs_test; do
			[ -x "tests/integration/$t.sh" ] &&
				step "asan/integration/$t" env RS_BUILD="$PWD/build-asan" timeout 240 "tests/integration/$t.sh"
		done
		unset ASAN_OPTIONS UBSAN_OPTIONS
	else
		# a FAIL line and the compiler's words, as for a step (build.sh
		# keeps ninja quiet; a second run prints what still fails)
		failed=$((failed + 1)); failures+=("asan build")
		echo "FAIL asan build"
		ninja -C build-asan 2>&1 | grep -E -A3 'error|FAILED' | head -n 40 | sed 's/^/    /'
	fi
	[ -x scripts/fuzz.sh ] && step "fuzz/fuzz_rx" env FUZZ_SEED="${RS_FUZZ_SEED:-1}" scripts/fuzz.sh "${RS_FUZZ_SECONDS:-30}"
	[ -x scripts/fuzz.sh ] && step "fuzz/fuzz_tcp" env FUZZ_SEED="${RS_FUZZ_SEED:-1}" scripts/fuzz.sh "${RS_FUZZ_TCP_SECONDS:-25}" fuzz_tcp
	[ -x scripts/fuzz.sh ] && step "fuzz/fuzz_ctl" env FUZZ_SEED="${RS_FUZZ_SEED:-1}" scripts/fuzz.sh "${RS_FUZZ_CTL_SECONDS:-20}" ctl
	[ -x scripts/fuzz.sh ] && step "fuzz/fuzz_app" env FUZZ_SEED="${RS_FUZZ_SEED:-1}" scripts/fuzz.sh "${RS_FUZZ_APP_SECONDS:-30}" app
	# benchmarks: a short smoke run (the figures are not judged here)
	step "perf/fwd_bench --smoke" bash -c 'perf/fwd_bench.sh --smoke --ip6 >/tmp/rs-smoke.$$ 2>&1 &&
		jq -e ".pcap_to_null.ringstackd_pps > 0 and .pcap_to_null.l3fwd_pps > 0" perf/out/fwd.json &&
		jq -e ".ip6.pcap_to_null.ringstackd_pps > 0 and .ip6.pcap_to_null.l3fwd_pps > 0" perf/out/fwd.json'
	step "perf/host_bench --seconds 1" bash -c 'perf/host_bench.sh --seconds 1 >/dev/null 2>&1 &&
		jq -e ".input_pps_one_worker.icmp_echo_answered > 0" perf/out/host.json'
	step "perf/tcp_bench --seconds 1" bash -c 'perf/tcp_bench.sh --seconds 1 >/dev/null 2>&1 &&
		jq -e ".bulk_bytes_per_s.ringstack > 0 and .rr_64_per_s.ringstack > 0 and .connections_per_s.ringstack > 0" perf/out/tcp.json'
	step "perf/apps_bench --smoke" bash -c 'perf/apps_bench.sh --smoke >/dev/null 2>&1 &&
		jq -e "[.nginx_req_per_s[], .redis_req_per_s.set, .redis_req_per_s.get, .iperf3_bits_per_s[] | .ringstack > 0 and .linux > 0] | all" perf/out/apps.json &&
		jq -e "([.shim_ns_per_call[] | .libringsock > 0 and .shim > 0] | all) and .tcp_perf_rr_64_per_s.shim > 0" perf/out/apps.json'
fi

echo
[ $failed -gt 0 ] && echo "failed: ${failures[*]}"
echo "test: $passed passed, $failed failed"
[ $failed -eq 0 ]

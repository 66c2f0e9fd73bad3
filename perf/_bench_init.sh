# SPDX-License-Identifier: BSD-3-Clause
# Sourced by the benchmarks after they parse their options into args=():
# installs the perf packages, builds the release tree (and l3fwd when
# RS_BENCH_L3FWD=1), then re-executes the benchmark in private network,
# mount and PID namespaces (everything it starts dies with it) and sets
# ROOT OUT T PY RSD RCTL pids.
if [ -z "${RS_BENCH_NS:-}" ]; then
	scripts/deps.sh perf >/dev/null
	[ -f build-rel/build.ninja ] || meson setup build-rel -Dbuildtype=release -Dtests=disabled >/dev/null
	ninja -C build-rel >/dev/null
	if [ "${RS_BENCH_L3FWD:-0}" = 1 ]; then
		L3FWD=$(perf/build_l3fwd.sh)
		export L3FWD
	fi
	export RS_BENCH_NS=1
	exec unshare --net --mount --pid --fork --mount-proc --propagation private "$0" "${args[@]}"
fi
mount -t tmpfs rs-run /run
mkdir -p /run/netns
[ -L /var/run ] || mount -t tmpfs rs-varrun /var/run
mount -t bpf bpf /sys/fs/bpf 2>/dev/null || true
ip link set lo up
ulimit -l unlimited 2>/dev/null || true
OUT=$ROOT/perf/out
mkdir -p "$OUT"
T=$(mktemp -d)
PY=/usr/bin/python3
RSD=$ROOT/build-rel/app/ringstackd
RCTL=$ROOT/build-rel/app/ringctl
pids=()

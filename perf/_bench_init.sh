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

# veth A_NS A B_NS B ("" = this namespace): a veth pair, up, offloads off
veth() {
	ip link add "$2" type veth peer name "$4"
	[ -n "$1" ] && ip link set "$2" netns "$1"
	[ -n "$3" ] && ip link set "$4" netns "$3"
	for x in "$1:$2" "$3:$4"; do
		local ns=${x%%:*} dev=${x#*:} ex=()
		[ -n "$ns" ] && ex=(ip netns exec "$ns")
		"${ex[@]}" ethtool -K "$dev" tx off tso off gso off gro off >/dev/null 2>&1 || true
		"${ex[@]}" ip link set "$dev" up
	done
}

# two_paths: client 1 (netns c1, 10.0.0.2) <-> rs0 for ringstackd, and
# client 2 (netns c2, 10.1.0.2) <-> Linux server (netns lsrv, 10.1.0.1)
two_paths() {
	for n in c1 c2 lsrv; do ip netns add $n; ip netns exec $n ip link set lo up; done
	veth c1 c1a "" rs0          # client 1 <-> ringstackd
	veth c2 c2a lsrv ls0        # client 2 <-> Linux server
	sysctl -qw net.ipv6.conf.rs0.disable_ipv6=1
	ip netns exec c1 ip addr add 10.0.0.2/24 dev c1a
	ip netns exec c2 ip addr add 10.1.0.2/24 dev c2a
	ip netns exec lsrv ip addr add 10.1.0.1/24 dev ls0
}

#!/bin/bash
# Installs, builds and runs ringstackd on a virtual link with a Linux peer:
# a veth pair whose far end lives in network namespace "rsdemo" (10.0.0.2),
# the near end driven by ringstackd through AF_XDP. It configures 10.0.0.1,
# lets the peer ping it, and shows ringctl's view. Everything it made is
# removed at the end (it runs in its own network and mount namespaces).
#   scripts/demo.sh [--stay]   --stay: keep running (Ctrl-C to stop) so you can
#                              try `ip netns exec rsdemo ping 10.0.0.1` yourself
set -euo pipefail
cd "$(dirname "$0")/.."
stay=0
[ "${1:-}" = "--stay" ] && stay=1

if [ -z "${RS_DEMO_NS:-}" ]; then
	scripts/deps.sh demo
	echo "demo: building"
	scripts/build.sh build
	export RS_DEMO_NS=1
	exec unshare --net --mount --pid --fork --mount-proc --propagation private "$0" "$@"
fi

mount -t tmpfs rs-run /run
mkdir -p /run/netns
[ -L /var/run ] || mount -t tmpfs rs-varrun /var/run
mount -t bpf bpf /sys/fs/bpf 2>/dev/null || true
ip link set lo up
tmp=$(mktemp -d)
sock=$tmp/ctl.sock
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
run() { echo "+ $*"; "$@"; }

echo "demo: veth rsdemo-rs <-> rsdemo-l (namespace rsdemo, 10.0.0.2/24)"
ip netns add rsdemo
ip link add rsdemo-rs type veth peer name rsdemo-l
ip link set rsdemo-l netns rsdemo
sysctl -qw net.ipv6.conf.rsdemo-rs.disable_ipv6=1
ethtool -K rsdemo-rs tx off tso off gso off gro off >/dev/null 2>&1 || true
ip link set rsdemo-rs up
ip netns exec rsdemo ethtool -K rsdemo-l tx off tso off gso off gro off >/dev/null 2>&1 || true
ip netns exec rsdemo ip addr add 10.0.0.2/24 dev rsdemo-l
ip netns exec rsdemo ip link set rsdemo-l up

echo "+ ringstackd -l 0,1 --no-huge --no-pci -m 512 --vdev net_af_xdp0,iface=rsdemo-rs -- --ctl $sock --idle-sleep 20"
build/app/ringstackd -l 0,1 --no-huge --no-pci -m 512 --file-prefix rsdemo --log-level='*:warning' \
	--vdev net_af_xdp0,iface=rsdemo-rs -- --ctl "$sock" --idle-sleep 20 >"$tmp/log" 2>&1 &
pid=$!
for _ in $(seq 300); do [ -S "$sock" ] && break; kill -0 $pid || { cat "$tmp/log"; exit 1; }; sleep 0.05; done
export RINGSTACK_CTL=$sock
run build/app/ringctl addr add 10.0.0.1/24 dev port0
run build/app/ringctl link show
run build/app/ringctl addr show
run ip netns exec rsdemo ping -c 5 -i 0.2 10.0.0.1
run ip netns exec rsdemo ping -c 2 -s 4000 10.0.0.1
run build/app/ringctl neigh show
run build/app/ringctl stats
if [ $stay -eq 1 ]; then
	echo "demo: running; in another shell: nsenter -t $pid -n -m ip netns exec rsdemo ping 10.0.0.1"
	echo "demo:                          nsenter -t $pid -n -m $PWD/build/app/ringctl -s $sock stats"
	wait $pid
fi
echo "demo: ok"

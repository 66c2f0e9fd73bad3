#!/bin/bash
# Installs the Debian 12 packages ringstack needs, only when something is
# missing (idempotent, non-interactive).
#   scripts/deps.sh [build|test|demo|perf]   (default: test, which includes build and demo)
set -euo pipefail

build=(gcc clang meson ninja-build pkg-config libdpdk-dev libcriterion-dev libbpf-dev libxdp-dev libpcap-dev)
demo=(iproute2 iputils-ping ethtool jq)
# Every package the test command uses is named here, even when another one
# only recommends it: --no-install-recommends is on purpose. clang's
# sanitizer and libFuzzer runtimes (libclang-rt-14-dev) are such a package,
# as is llvm (llvm-symbolizer, for sanitizer reports with file:line); util-linux
# has setpriv, unshare and prlimit.
test=(python3 python3-scapy tcpdump socat netcat-openbsd arping iperf3 traceroute bc procps
      util-linux libclang-rt-14-dev llvm bind9-dnsutils dnsmasq-base
      libpython3.11-testsuite radvd curl wget redis-server redis-tools nginx-light
      openssh-server openssh-client)
perf=(dpdk-doc valgrind python3-matplotlib bc make wrk)

want=("${build[@]}")
case "${1:-test}" in
build) ;;
demo) want+=("${demo[@]}") ;;
test) want+=("${demo[@]}" "${test[@]}") ;;
perf) want+=("${demo[@]}" "${test[@]}" "${perf[@]}") ;;
*) echo "usage: $0 [build|test|demo|perf]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages (${missing[*]}); run as root" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

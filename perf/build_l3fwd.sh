#!/bin/bash
# Builds DPDK's l3fwd example from Debian's dpdk-doc sources into
# perf/l3fwd-src (never committed). Virtual ports (pcap, null) offer no RX
# checksum offload, which l3fwd requests unconditionally: the copy is patched
# to mask its RX offload request with the port's capabilities.
set -euo pipefail
cd "$(dirname "$0")"
src=/usr/share/dpdk/examples/l3fwd
[ -d "$src" ] || { echo "l3fwd sources not found: apt-get install dpdk-doc" >&2; exit 1; }
if [ ! -x l3fwd-src/l3fwd/build/l3fwd ]; then
	rm -rf l3fwd-src
	mkdir -p l3fwd-src
	cp -r "$src" /usr/share/dpdk/examples/common l3fwd-src/
	# RX offloads: only what the port has
	sed -i 's/^\(\t\tret = config_port_max_pkt_len(&local_port_conf, &dev_info);\)/\t\tlocal_port_conf.rxmode.offloads \&= dev_info.rx_offload_capa;\n\1/' l3fwd-src/l3fwd/main.c
	sed -i 's/rxq_conf.offloads = port_conf.rxmode.offloads;/rxq_conf.offloads = port_conf.rxmode.offloads \& dev_info.rx_offload_capa;/' l3fwd-src/l3fwd/main.c
	grep -q 'local_port_conf.rxmode.offloads &= dev_info.rx_offload_capa' l3fwd-src/l3fwd/main.c ||
		{ echo "l3fwd patch did not apply" >&2; exit 1; }
	make -C l3fwd-src/l3fwd -j2 >/dev/null
fi
echo "$PWD/l3fwd-src/l3fwd/build/l3fwd"

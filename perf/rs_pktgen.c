/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rs_pktgen: a minimal DPDK transmit-only traffic generator for the
 * benchmarks (Debian's dpdk package ships no testpmd). Sends 64-byte (or
 * --size) IPv4/UDP frames as fast as the port takes them, spread over
 * --flows source ports, on port 0; drains and frees whatever it receives.
 *   rs_pktgen [EAL args] -- --dst-mac M --src-ip A --dst-ip B [--size N]
 *             [--flows N] [--seconds N]
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

static volatile int stop;
static void on_signal(int s) { (void)s; stop = 1; }

int main(int argc, char **argv)
{
	int n = rte_eal_init(argc, argv);
	if (n < 0)
		rte_exit(1, "EAL init failed\n");
	argc -= n;
	argv += n;
	struct rte_ether_addr dmac = { { 0x02, 0, 0, 0, 0, 1 } };
	uint32_t sip = RTE_IPV4(198, 18, 0, 2), dip = RTE_IPV4(198, 18, 1, 1);
	unsigned size = 60, flows = 256, seconds = 0;
	static const struct option opts[] = {
		{ "dst-mac", 1, 0, 'm' }, { "src-ip", 1, 0, 's' }, { "dst-ip", 1, 0, 'd' },
		{ "size", 1, 0, 'z' }, { "flows", 1, 0, 'f' }, { "seconds", 1, 0, 't' }, { 0, 0, 0, 0 },
	};
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		unsigned a, b, c, d;
		switch (o) {
		case 'm':
			if (rte_ether_unformat_addr(optarg, &dmac) < 0)
				rte_exit(2, "bad --dst-mac\n");
			break;
		case 's':
		case 'd':
			if (sscanf(optarg, "%u.%u.%u.%u", &a, &b, &c, &d) != 4)
				rte_exit(2, "bad address\n");
			*(o == 's' ? &sip : &dip) = RTE_IPV4(a, b, c, d);
			break;
		case 'z': size = (unsigned)atoi(optarg); break;
		case 'f': flows = (unsigned)atoi(optarg); break;
		case 't': seconds = (unsigned)atoi(optarg); break;
		default: rte_exit(2, "usage: see the source\n");
		}
	}
	if (size < 60 || size > 1514 || flows == 0)
		rte_exit(2, "bad --size/--flows\n");
	struct rte_mempool *mp = rte_pktmbuf_pool_create("gen", 8191, 256, 0,
							 RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	if (mp == NULL || rte_eth_dev_configure(0, 1, 1, &conf) < 0 ||
	    rte_eth_rx_queue_setup(0, 0, 512, 0, NULL, mp) < 0 ||
	    rte_eth_tx_queue_setup(0, 0, 512, 0, NULL) < 0 || rte_eth_dev_start(0) < 0)
		rte_exit(1, "port 0 setup failed\n");
	struct rte_ether_addr smac;
	rte_eth_macaddr_get(0, &smac);

	uint8_t tmpl[1514];
	memset(tmpl, 0, sizeof(tmpl));
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)tmpl;
	eh->dst_addr = dmac;
	eh->src_addr = smac;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(size - sizeof(*eh)));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(sip);
	ip->dst_addr = rte_cpu_to_be_32(dip);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	udp->dst_port = rte_cpu_to_be_16(9);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(size - sizeof(*eh) - sizeof(*ip)));

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	uint64_t sent = 0, end = seconds ? rte_get_tsc_cycles() + seconds * rte_get_tsc_hz() : 0;
	unsigned flow = 0;
	while (!stop && (!end || rte_get_tsc_cycles() < end)) {
		struct rte_mbuf *b[32];
		if (rte_pktmbuf_alloc_bulk(mp, b, 32) == 0) {
			for (int i = 0; i < 32; i++) {
				char *d = rte_pktmbuf_append(b[i], (uint16_t)size);
				memcpy(d, tmpl, size);
				struct rte_udp_hdr *u = (struct rte_udp_hdr *)(d + sizeof(*eh) + sizeof(*ip));
				u->src_port = rte_cpu_to_be_16((uint16_t)(1024 + flow));
				flow = (flow + 1) % flows;
			}
			uint16_t k = rte_eth_tx_burst(0, 0, b, 32);
			sent += k;
			if (k < 32)
				rte_pktmbuf_free_bulk(&b[k], 32u - k);
		}
		struct rte_mbuf *r[32];
		uint16_t nr = rte_eth_rx_burst(0, 0, r, 32);
		rte_pktmbuf_free_bulk(r, nr);
	}
	printf("rs_pktgen: sent %lu\n", (unsigned long)sent);
	rte_eth_dev_stop(0);
	rte_eal_cleanup();
	return 0;
}

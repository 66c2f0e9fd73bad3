/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port bring-up (control thread): one RX and one TX queue per worker,
 * checksum offloads where the port has them, software otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf_pool_ops.h>

#include "core/dp.h"
#include "core/rss.h"
#include "util/rs_log.h"


static uint32_t pool_size_for(unsigned nports)
{
	const struct rs_dp_params *p = &rs_dp.params;
	if (p->nb_mbufs != 0)
		return p->nb_mbufs;
	/* descriptors on every queue of every port (room for a few
	 * hot-plugged ones), plus bursts in flight, reassembly (an eighth of
	 * the pool, see rs_workers_create) and the packets waiting for
	 * neighbor resolution (--neigh-queue-max) */
	unsigned ports = nports < 4 ? 4 : nports;
	return ports * rs_dp.nb_workers * (p->rx_desc + p->tx_desc) + rs_dp.nb_workers * 4096 + 8192;
}

uint32_t rs_pool_size(void)
{
	return rs_dp.pool != NULL ? rs_dp.pool->size : pool_size_for(rte_eth_dev_count_avail());
}

/*
 * DPDK 22.11's net_af_xdp registers the pool as its UMEM: populated_size
 * times the object size, from the page of the first object. Without
 * hugepages the mempool keeps each object inside one 4 KiB page, so each
 * 2368-byte object takes a page of its own and that UMEM covers only the
 * first 58 % of the pool; the kernel skips, as invalid, every TX or fill
 * descriptor naming an mbuf beyond it (XDP_STATISTICS tx_invalid_descs):
 * segments silently never leave, and each such fill entry is lost until the
 * fill ring is empty and the port receives nothing at all (the 10,000-
 * connection test stalled in SYN-SENT, LAST-ACK or mid-echo once its
 * traffic reached that far into the pool). Without hugepages no device
 * reaches the pool by physical address, so objects may cross pages: packed
 * end to end, the UMEM covers every one. With hugepages the mempool pads
 * only at each hugepage's end (about 1 KiB per 2 MiB), which leaves the
 * last few objects outside such a UMEM: not fixed here (README, "10,000
 * connections").
 */
struct rte_mempool *rs_pktmbuf_pool_create(const char *name, uint32_t n, uint32_t cache,
					   uint16_t data_room, int socket)
{
	if (rte_eal_has_hugepages())
		return rte_pktmbuf_pool_create(name, n, cache, 0, data_room, socket);
	struct rte_pktmbuf_pool_private priv = { .mbuf_data_room_size = data_room };
	struct rte_mempool *mp =
		rte_mempool_create_empty(name, n, (unsigned)sizeof(struct rte_mbuf) + data_room, cache,
					 sizeof(priv), socket, RTE_MEMPOOL_F_NO_IOVA_CONTIG);
	if (mp == NULL)
		return NULL;
	int rc = rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(), NULL);
	if (rc == 0) {
		rte_pktmbuf_pool_init(mp, &priv);
		rc = rte_mempool_populate_default(mp);
		rc = rc < 0 ? rc : 0;
	}
	if (rc != 0) {
		rte_mempool_free(mp);
		rte_errno = -rc;
		return NULL;
	}
	rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
	return mp;
}

static int pool_create(unsigned nports)
{
	if (rs_dp.pool)
		return 0;
	uint32_t n = pool_size_for(nports);
	rs_dp.pool = rs_pktmbuf_pool_create("rs_mbufs", n, 256, RTE_MBUF_DEFAULT_BUF_SIZE,
					    (int)rte_socket_id());
	if (rs_dp.pool == NULL) {
		rs_err_set("cannot create a pool of %u mbufs: %s (try --mbufs N or more -m memory)",
			   n, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

int rs_port_setup(uint16_t port, const char *name)
{
	struct rte_eth_dev_info info;
	int rc = rte_eth_dev_info_get(port, &info);
	if (rc < 0) {
		rs_err_set("port %u: cannot get device info: %s", port, rte_strerror(-rc));
		return rc;
	}
	uint16_t nq = rs_dp.nb_workers;
	if (info.max_rx_queues < nq || info.max_tx_queues < nq) {
		rs_err_set("%s (%s) has %u RX / %u TX queues but %u workers need one each "
			   "(for net_af_packet add qpairs=%u to its devargs)",
			   name, info.driver_name, info.max_rx_queues, info.max_tx_queues, nq, nq);
		return -EINVAL;
	}
	if ((rc = pool_create(rte_eth_dev_count_avail())) < 0)
		return rc;

	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	conf.rxmode.offloads = info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
	conf.txmode.offloads = info.tx_offload_capa &
			       (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_MULTI_SEGS);
	bool rss = nq > 1 && (info.flow_type_rss_offloads & RTE_ETH_RSS_IP);
	if (rss) {
		/* our key (core/rss.h), so the NIC's queue for a flow is the
		 * worker sock_flow_worker computes: no hand-off for it */
		static uint8_t key[RS_RSS_KEY_LEN];
		memcpy(key, rs_rss_key, sizeof(key));
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP);
		if (info.hash_key_size == 0 || info.hash_key_size == RS_RSS_KEY_LEN) {
			conf.rx_adv_conf.rss_conf.rss_key = key;
			conf.rx_adv_conf.rss_conf.rss_key_len = RS_RSS_KEY_LEN;
		}
	}
	rc = rte_eth_dev_configure(port, nq, nq, &conf);
	if (rc < 0) {
		rs_err_set("%s: configure failed: %s", name, rte_strerror(-rc));
		return rc;
	}
	uint16_t rxd = rs_dp.params.rx_desc, txd = rs_dp.params.tx_desc;
	rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
	int socket = rte_eth_dev_socket_id(port);
	if (socket < 0)
		socket = (int)rte_socket_id();
	for (uint16_t q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(port, q, rxd, (unsigned)socket, NULL, rs_dp.pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(port, q, txd, (unsigned)socket, NULL);
		if (rc < 0) {
			rs_err_set("%s: queue %u setup failed: %s", name, q, rte_strerror(-rc));
			return rc;
		}
	}
	rc = rte_eth_dev_start(port);
	if (rc < 0) {
		rs_err_set("%s: start failed: %s", name, rte_strerror(-rc));
		return rc;
	}
	/* the redirection table of core/rss.h: entry i -> queue i % workers
	 * (a port that cannot take it keeps its own; flows then reach their
	 * owner through a hand-off) */
	if (rss && info.reta_size > 0 && info.reta_size <= RTE_ETH_RSS_RETA_SIZE_512 &&
	    info.reta_size % RTE_ETH_RETA_GROUP_SIZE == 0) {
		struct rte_eth_rss_reta_entry64 reta[RTE_ETH_RSS_RETA_SIZE_512 / RTE_ETH_RETA_GROUP_SIZE];
		memset(reta, 0, sizeof(reta));
		for (uint16_t i = 0; i < info.reta_size; i++) {
			reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ull << (i % RTE_ETH_RETA_GROUP_SIZE);
			reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] =
				(uint16_t)((i % RS_RSS_RETA) % nq);
		}
		rte_eth_dev_rss_reta_update(port, reta, info.reta_size);
	}

	struct rs_cfg *c = rs_cfg_edit();
	if (c == NULL)
		return -ENOMEM;
	struct rs_iface *ifc = &c->ifaces[port];
	memset(ifc, 0, sizeof(*ifc));
	ifc->present = true;
	ifc->up = true;
	ifc->port = port;
	ifc->nb_queues = nq;
	ifc->rx_ip4_csum = (conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM) != 0;
	ifc->tx_ip4_csum = (conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) != 0;
	ifc->tx_multiseg = (conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) != 0;
	uint16_t mtu = 1500;
	if (rte_eth_dev_get_mtu(port, &mtu) != 0 || mtu < 576)
		mtu = 1500;
	/* a plain mbuf holds one frame: never exceed the data room */
	if (mtu > RTE_MBUF_DEFAULT_DATAROOM - RTE_ETHER_HDR_LEN)
		mtu = RTE_MBUF_DEFAULT_DATAROOM - RTE_ETHER_HDR_LEN;
	ifc->mtu = mtu;
	rte_eth_macaddr_get(port, &ifc->mac);
	snprintf(ifc->name, sizeof(ifc->name), "%s", name);
	return 0;
}

void rs_port_teardown(uint16_t port)
{
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
}

int rs_ports_init(void)
{
	uint16_t port;
	RTE_ETH_FOREACH_DEV(port) {
		char name[RS_IFNAMSIZ];
		snprintf(name, sizeof(name), "port%u", port);
		int rc = rs_port_setup(port, name);
		if (rc < 0)
			return rc;
	}
	return 0;
}

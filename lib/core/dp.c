/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>

#include "core/dp.h"
#include "core/node.h"
#include "core/module.h"
#include "util/rs_log.h"

struct rs_dp rs_dp;
int rs_priv_offset = -1;

void rs_dp_params_default(struct rs_dp_params *p)
{
	memset(p, 0, sizeof(*p));
	p->rx_desc = 1024;
	p->tx_desc = 1024;
	p->idle_sleep_us = 0;
	p->idle_polls = 256;
	p->fib_max_routes = 1 << 16;
	p->fib_max_tbl8 = 1 << 12;
	p->fib6_max_routes = 1 << 16;
	p->fib6_max_tbl8 = 1 << 18; /* reserved, touched as used (dir6.c) */
	p->neigh_max = 4096;
	p->neigh_queue_max = 1024;
	p->reass_max_datagrams = 1024;
	p->reass_max_bytes = 4u << 20;
	p->reass_timeout_ms = 30000; /* Linux ipfrag_time */
	p->icmp_rate = 1000;         /* Linux icmp_msgs_per_sec */
	p->tcp_max_conns = 8192;
	p->icmp_burst = 50;          /* Linux icmp_msgs_burst */
	p->icmp_ratelimit_ms = 1000; /* Linux icmp_ratelimit */
	p->icmp_dests = 4096;
}

int rs_node_init(const struct rte_graph *graph, struct rte_node *node)
{
	/* graphs are named "worker<index>" by rs_workers_create */
	unsigned idx;
	if (sscanf(graph->name, "worker%u", &idx) != 1 || idx >= rs_dp.nb_workers)
		return -ENOENT;
	struct rs_worker *w = &rs_dp.workers[idx];
	memcpy(node->ctx, &w, sizeof(w));
	return 0;
}

static unsigned count_workers(void)
{
	unsigned n = 0, lc;
	RTE_LCORE_FOREACH_WORKER(lc)
		n++;
	return n;
}

int rs_dp_init(const struct rs_dp_params *p)
{
	rs_dp.params = *p;
	rs_dp.tsc_hz = rte_get_tsc_hz();
	static const struct rte_mbuf_dynfield priv_field = {
		.name = "ringstack_priv",
		.size = sizeof(struct rs_priv),
		.align = __alignof__(struct rs_priv),
	};
	rs_priv_offset = rte_mbuf_dynfield_register(&priv_field);
	if (rs_priv_offset < 0) {
		rs_err_set("cannot register the mbuf dynamic field: %s", rte_strerror(rte_errno));
		return -ENOSPC;
	}
	unsigned nw = count_workers();
	if (nw == 0) {
		rs_err_set("no worker lcore: give at least two lcores (e.g. -l 0,1); "
			   "the main lcore runs the control thread");
		return -EINVAL;
	}
	if (nw > RS_MAX_WORKERS) {
		rs_err_set("%u worker lcores, at most %d supported", nw, RS_MAX_WORKERS);
		return -EINVAL;
	}
	rs_dp.nb_workers = (uint16_t)nw;
	unsigned i = 0, lc;
	RTE_LCORE_FOREACH_WORKER(lc) {
		rs_dp.workers[i].lcore = lc;
		rs_dp.workers[i].idx = (uint16_t)i;
		rs_dp.workers[i].graph_id = RTE_GRAPH_ID_INVALID;
		i++;
	}

	size_t sz = rte_rcu_qsbr_get_memsize(nw);
	rs_dp.rcu = rte_zmalloc("rs_rcu", sz, RTE_CACHE_LINE_SIZE);
	if (rs_dp.rcu == NULL || rte_rcu_qsbr_init(rs_dp.rcu, nw) != 0) {
		rs_err_set("cannot allocate the RCU state");
		return -ENOMEM;
	}

	struct rs_cfg *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	/* lo always exists (DESIGN.md): no port behind it; its address and
	 * the local route for 127.0.0.0/8 come from the control plane */
	struct rs_iface *lo = &c->ifaces[RS_LO_IFACE];
	lo->present = true;
	lo->up = true;
	lo->loopback = true;
	lo->fwd_mode = RS_FWD_OFF;
	lo->port = RS_LO_IFACE;
	lo->mtu = 65535;
	snprintf(lo->name, sizeof(lo->name), "lo");
	atomic_store_explicit(&rs_dp.cfg, c, memory_order_release);

	return rs_modules_init();
}

int rs_inject(struct rte_mbuf *m, uint8_t where)
{
	rs_priv(m)->inject = where;
	/* Round robin over workers; a packet's order relative to others sent by
	 * the control thread to the same destination is kept because the
	 * control thread sends a resolved queue in one go to one worker. */
	struct rs_worker *w = &rs_dp.workers[rs_dp.next_rr % rs_dp.nb_workers];
	if (rte_ring_sp_enqueue(w->from_ctl, m) != 0) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	return 0;
}

uint32_t rs_iface_src_for(const struct rs_iface *ifc, uint32_t ip)
{
	for (unsigned i = 0; i < ifc->naddrs; i++) {
		uint32_t mask = ~0u << (32 - ifc->addrs[i].plen);
		if (ifc->addrs[i].plen && ((ifc->addrs[i].ip ^ ip) & mask) == 0)
			return ifc->addrs[i].ip;
	}
	return ifc->naddrs ? ifc->addrs[0].ip : 0;
}

bool rs_iface_has_addr(const struct rs_iface *ifc, uint32_t ip)
{
	for (unsigned i = 0; i < ifc->naddrs; i++)
		if (ifc->addrs[i].ip == ip)
			return true;
	return false;
}

void rs_dp_fini(void)
{
	rs_modules_fini();
	struct rs_cfg *c = atomic_load(&rs_dp.cfg);
	free(c);
	free(rs_dp.staging);
	rte_free(rs_dp.rcu);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringctl stats [show] | clear
 *
 * Per port: DPDK's counters. Per graph node: calls, packets (objects),
 * vectors' average size and cycles per packet, summed over workers from the
 * graph's own counters. Per drop reason: the packets that reached the node
 * drop:<reason>, plus drops made on the control thread. TCP: the engine's
 * MIB summed over workers (lib/tcp/tcp_dp.h tcp_stats_show). Counters are read
 * without stopping workers (64-bit loads; a value may be one burst old).
 * "clear" records a baseline instead of writing worker-owned memory.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_graph_worker.h>

#include "arp/neigh_ctl.h"
#include "core/dp.h"
#include "eth/impair_dp.h"
#include "ctl/cmd.h"
#include "ctl/ctl_server.h"
#include "icmp/icmp4.h"
#include "icmp/icmp_rl.h"
#include "ip4/ip4.h"
#include "ip4/reass.h"
#include "ip6/ip6.h"
#include "ip6/ra.h"
#include "sock/sock.h"
#include "tcp/tcp_dp.h"
#include "util/rs_log.h"

#define MAX_NODES 256

struct node_stat {
	char name[RTE_NODE_NAMESIZE];
	uint64_t calls, objs, cycles;
};

static struct node_stat base_nodes[MAX_NODES];
static unsigned nbase_nodes;
static struct rte_eth_stats base_ports[RS_MAX_IFACES];
static uint64_t base_neigh_queue, base_slaac_full;

static unsigned collect_nodes(struct node_stat *out)
{
	unsigned n = 0;
	for (unsigned w = 0; w < rs_dp.nb_workers; w++) {
		struct rte_graph *g = rs_dp.workers[w].graph;
		if (g == NULL)
			continue;
		struct rte_node *node;
		rte_graph_off_t off;
		rte_node_t count;
		rte_graph_foreach_node(count, off, g, node) {
			unsigned i;
			for (i = 0; i < n; i++)
				if (strcmp(out[i].name, node->name) == 0)
					break;
			if (i == n) {
				if (n == MAX_NODES)
					continue;
				memset(&out[n], 0, sizeof(out[n]));
				strcpy(out[n].name, node->name);
				n++;
			}
			out[i].calls += node->total_calls;
			out[i].objs += node->total_objs;
			out[i].cycles += node->total_cycles;
		}
	}
	return n;
}

static void sub_base(struct node_stat *s)
{
	for (unsigned i = 0; i < nbase_nodes; i++)
		if (strcmp(base_nodes[i].name, s->name) == 0) {
			s->calls -= base_nodes[i].calls;
			s->objs -= base_nodes[i].objs;
			s->cycles -= base_nodes[i].cycles;
		}
}

static int cmp_node(const void *a, const void *b)
{
	return strcmp(((const struct node_stat *)a)->name, ((const struct node_stat *)b)->name);
}

static void show_ports(struct cmd_ctx *ctx)
{
	const struct rs_cfg *c = rs_cfg_current();
	if (ctx->json) {
		rs_json_key(ctx->out, "ports");
		rs_json_arr_open(ctx->out);
	} else {
		rs_buf_printf(ctx->out, "%-12s %14s %14s %14s %14s %12s %12s\n", "port", "rx-packets",
			      "rx-bytes", "tx-packets", "tx-bytes", "rx-dropped", "errors");
	}
	for (unsigned i = 0; i < RS_MAX_IFACES; i++) {
		if (!c->ifaces[i].present)
			continue;
		struct rte_eth_stats s;
		if (c->ifaces[i].loopback || rte_eth_stats_get((uint16_t)i, &s) != 0)
			memset(&s, 0, sizeof(s));
		const struct rte_eth_stats *b = &base_ports[i];
		uint64_t rxp = s.ipackets - b->ipackets, rxb = s.ibytes - b->ibytes;
		uint64_t txp = s.opackets - b->opackets, txb = s.obytes - b->obytes;
		uint64_t drop = (s.imissed - b->imissed) + (s.rx_nombuf - b->rx_nombuf);
		uint64_t err = (s.ierrors - b->ierrors) + (s.oerrors - b->oerrors);
		if (ctx->json) {
			rs_json_obj_open(ctx->out);
			rs_json_kstr(ctx->out, "name", c->ifaces[i].name);
			rs_json_ku64(ctx->out, "rx_packets", rxp);
			rs_json_ku64(ctx->out, "rx_bytes", rxb);
			rs_json_ku64(ctx->out, "tx_packets", txp);
			rs_json_ku64(ctx->out, "tx_bytes", txb);
			rs_json_ku64(ctx->out, "rx_dropped", drop);
			/* of which the pool had no buffer for */
			rs_json_ku64(ctx->out, "rx_nombuf", s.rx_nombuf - b->rx_nombuf);
			rs_json_ku64(ctx->out, "rx_errors", s.ierrors - b->ierrors);
			rs_json_ku64(ctx->out, "tx_errors", s.oerrors - b->oerrors);
			rs_json_obj_close(ctx->out);
		} else {
			rs_buf_printf(ctx->out, "%-12s %14lu %14lu %14lu %14lu %12lu %12lu\n",
				      c->ifaces[i].name, rxp, rxb, txp, txb, drop, err);
		}
	}
	if (ctx->json)
		rs_json_arr_close(ctx->out);
}

/* Link impairment counters (since start), for links with one set or counted. */
static void show_impair(struct cmd_ctx *ctx)
{
	static const char *const dir[RS_IMPAIR_NDIR] = { "in", "out" };
	const struct rs_cfg *c = rs_cfg_current();
	bool title = false;
	if (ctx->json) {
		rs_json_key(ctx->out, "impair");
		rs_json_arr_open(ctx->out);
	}
	for (unsigned i = 0; i < RS_MAX_IFACES; i++) {
		const struct rs_iface *ifc = &c->ifaces[i];
		if (!ifc->present)
			continue;
		for (unsigned d = 0; d < RS_IMPAIR_NDIR; d++) {
			struct rs_impair_stats s;
			impair_stats_sum((uint16_t)i, d, &s);
			if (!ifc->impair[d].on && !(s.dropped | s.delayed | s.duplicated |
						    s.corrupted | s.queue_full))
				continue;
			if (ctx->json) {
				rs_json_obj_open(ctx->out);
				rs_json_kstr(ctx->out, "name", ifc->name);
				rs_json_kstr(ctx->out, "direction", dir[d]);
				rs_json_kbool(ctx->out, "on", ifc->impair[d].on);
				rs_json_ku64(ctx->out, "dropped", s.dropped);
				rs_json_ku64(ctx->out, "delayed", s.delayed);
				rs_json_ku64(ctx->out, "reordered", s.reordered);
				rs_json_ku64(ctx->out, "duplicated", s.duplicated);
				rs_json_ku64(ctx->out, "corrupted", s.corrupted);
				rs_json_ku64(ctx->out, "queue_full", s.queue_full);
				rs_json_obj_close(ctx->out);
				continue;
			}
			if (!title)
				rs_buf_printf(ctx->out, "\n%-12s %-4s %12s %12s %12s %12s %12s %12s\n",
					      "impair", "dir", "dropped", "delayed", "reordered",
					      "duplicated", "corrupted", "queue_full");
			title = true;
			rs_buf_printf(ctx->out,
				      "%-12s %-4s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64
				      " %12" PRIu64 " %12" PRIu64 "\n",
				      ifc->name, dir[d], s.dropped, s.delayed, s.reordered,
				      s.duplicated, s.corrupted, s.queue_full);
		}
	}
	if (ctx->json)
		rs_json_arr_close(ctx->out);
}

static int stats_show(struct cmd_ctx *ctx)
{
	static struct node_stat nodes[MAX_NODES];
	unsigned n = collect_nodes(nodes);
	for (unsigned i = 0; i < n; i++)
		sub_base(&nodes[i]);
	qsort(nodes, n, sizeof(nodes[0]), cmp_node);
	/* drops made on the control thread */
	uint64_t extra_queue = neigh_ctl_drop_queue - base_neigh_queue;
	uint64_t slaac_full = ra_slaac_full - base_slaac_full;
	uint64_t total_drops = extra_queue + slaac_full;

	if (ctx->json)
		rs_json_obj_open(ctx->out);
	show_ports(ctx);
	show_impair(ctx);
	if (ctx->json) {
		rs_json_key(ctx->out, "nodes");
		rs_json_arr_open(ctx->out);
	} else {
		rs_buf_printf(ctx->out, "\n%-24s %14s %14s %10s %12s\n", "node", "calls", "packets",
			      "pkts/call", "cycles/pkt");
	}
	for (unsigned i = 0; i < n; i++) {
		const struct node_stat *s = &nodes[i];
		if (strncmp(s->name, "drop:", 5) == 0) {
			total_drops += s->objs;
			continue;
		}
		if (ctx->json) {
			rs_json_obj_open(ctx->out);
			rs_json_kstr(ctx->out, "name", s->name);
			rs_json_ku64(ctx->out, "calls", s->calls);
			rs_json_ku64(ctx->out, "packets", s->objs);
			rs_json_ku64(ctx->out, "cycles", s->cycles);
			rs_json_obj_close(ctx->out);
		} else if (s->calls) {
			rs_buf_printf(ctx->out, "%-24s %14lu %14lu %10.1f %12.1f\n", s->name, s->calls,
				      s->objs, s->calls ? (double)s->objs / (double)s->calls : 0.0,
				      s->objs ? (double)s->cycles / (double)s->objs : 0.0);
		}
	}
	if (ctx->json) {
		rs_json_arr_close(ctx->out);
		rs_json_key(ctx->out, "drops");
		rs_json_obj_open(ctx->out);
	} else {
		rs_buf_printf(ctx->out, "\n%-24s %14s\n", "drop reason", "packets");
	}
	for (unsigned i = 0; i < n; i++) {
		const struct node_stat *s = &nodes[i];
		if (strncmp(s->name, "drop:", 5) != 0)
			continue;
		if (ctx->json)
			rs_json_ku64(ctx->out, s->name + 5, s->objs);
		else if (s->objs)
			rs_buf_printf(ctx->out, "%-24s %14lu\n", s->name + 5, s->objs);
	}
	/* drops made on the control thread (packets waiting for a neighbor) */
	const struct { const char *name; uint64_t v; } ctl_drops[] = {
		{ "neigh_queue_full", extra_queue },
		{ "slaac_full", slaac_full }, /* RA prefixes that got no address */
	};
	for (unsigned i = 0; i < RTE_DIM(ctl_drops); i++) {
		if (ctx->json)
			rs_json_ku64(ctx->out, ctl_drops[i].name, ctl_drops[i].v);
		else if (ctl_drops[i].v)
			rs_buf_printf(ctx->out, "%-24s %14lu\n", ctl_drops[i].name, ctl_drops[i].v);
	}
	if (ctx->json) {
		rs_json_obj_close(ctx->out);
		rs_json_ku64(ctx->out, "total_drops", total_drops);
		rs_json_ku64(ctx->out, "neighbors", neigh_ctl_count());
		rs_json_ku64(ctx->out, "neigh_queued", neigh_ctl_queued());
		/* packet buffers: what reassembly, neighbor queues and sockets
		 * hold comes out of this pool */
		/* the management socket (lib/ctl/ctl_server.h) */
		struct ctl_server_stats cs;
		ctl_server_get_stats(&cs);
		rs_json_key(ctx->out, "ctl");
		rs_json_obj_open(ctx->out);
		rs_json_ku64(ctx->out, "clients", cs.clients);
		rs_json_ku64(ctx->out, "admins", cs.admins);
		rs_json_ku64(ctx->out, "apps", cs.apps);
		rs_json_ku64(ctx->out, "throttled", cs.throttled);
		rs_json_ku64(ctx->out, "out_bytes", cs.out_bytes);
		rs_json_ku64(ctx->out, "out_max", cs.out_max);
		rs_json_ku64(ctx->out, "refused_full", cs.refused_full);
		rs_json_ku64(ctx->out, "refused_uid", cs.refused_uid);
		rs_json_ku64(ctx->out, "dropped", cs.dropped);
		rs_json_ku64(ctx->out, "accept_paused", cs.accept_paused);
		rs_json_ku64(ctx->out, "wakeups", cs.wakeups);
		rs_json_obj_close(ctx->out);
		/* applications woken through their wake descriptors */
		rs_json_key(ctx->out, "sock");
		rs_json_obj_open(ctx->out);
		rs_json_ku64(ctx->out, "wakeups", atomic_load_explicit(&sock_wakeups, memory_order_relaxed));
		rs_json_obj_close(ctx->out);
		rs_json_key(ctx->out, "mbufs");
		rs_json_obj_open(ctx->out);
		rs_json_ku64(ctx->out, "size", rs_dp.pool ? rs_dp.pool->size : 0);
		rs_json_ku64(ctx->out, "free", rs_dp.pool ? rte_mempool_avail_count(rs_dp.pool) : 0);
		rs_json_obj_close(ctx->out);
		tcp_stats_show(ctx->out, true);
		rs_json_key(ctx->out, "workers");
		rs_json_arr_open(ctx->out);
		for (unsigned w = 0; w < rs_dp.nb_workers; w++) {
			rs_json_obj_open(ctx->out);
			rs_json_ku64(ctx->out, "lcore", rs_dp.workers[w].lcore);
			rs_json_ku64(ctx->out, "loops", rs_dp.workers[w].loops);
			rs_json_ku64(ctx->out, "idle_sleeps", rs_dp.workers[w].idle_sleeps);
			/* ip4_fastpath: forwarded itself, handed to eth_input */
			rs_json_ku64(ctx->out, "fastpath_fast", ip4_fp_stats[w].fast);
			rs_json_ku64(ctx->out, "fastpath_slow", ip4_fp_stats[w].slow);
			/* ip6_fastpath: forwarded itself, handed to eth_input */
			rs_json_ku64(ctx->out, "fastpath6_fast", ip6_fp_stats[w].fast);
			rs_json_ku64(ctx->out, "fastpath6_slow", ip6_fp_stats[w].slow);
			/* ICMP errors the per-destination limit held back */
			struct icmp_rl_stats rl = { 0 };
			if (icmp_workers[w].rl != NULL)
				icmp_rl_get_stats(icmp_workers[w].rl, &rl);
			rs_json_ku64(ctx->out, "icmp_dest_limited", rl.limited);
			/* ... and the per-worker one (icmp_msgs_per_sec) */
			rs_json_ku64(ctx->out, "icmp_global_limited",
				     __atomic_load_n(&icmp_workers[w].global_limited, __ATOMIC_RELAXED));
			/* what reassembly holds (lib/ip4/reass.h bounds) */
			struct reass_stats rs = { 0 };
			if (ip4_workers[w].rg.reass != NULL)
				reass_get_stats(ip4_workers[w].rg.reass, &rs);
			rs_json_ku64(ctx->out, "reass_datagrams", rs.datagrams);
			rs_json_ku64(ctx->out, "reass_frags", rs.bufs);
			rs_json_ku64(ctx->out, "reass_evicted", rs.evicted);
			rs_json_obj_close(ctx->out);
		}
		rs_json_arr_close(ctx->out);
		rs_json_obj_close(ctx->out);
	} else {
		rs_buf_printf(ctx->out, "%-24s %14lu\n", "total", total_drops);
		tcp_stats_show(ctx->out, false);
	}
	return 0;
}

static int stats_clear(void)
{
	nbase_nodes = 0;
	static struct node_stat nodes[MAX_NODES];
	unsigned n = collect_nodes(nodes);
	memcpy(base_nodes, nodes, n * sizeof(nodes[0]));
	nbase_nodes = n;
	for (unsigned i = 0; i < RS_MAX_IFACES; i++)
		if (rs_cfg_current()->ifaces[i].present && !rs_cfg_current()->ifaces[i].loopback)
			rte_eth_stats_get((uint16_t)i, &base_ports[i]);
	base_neigh_queue = neigh_ctl_drop_queue;
	base_slaac_full = ra_slaac_full;
	return 0;
}

void cmd_stats_port_reset(uint16_t port)
{
	if (port < RS_MAX_IFACES)
		memset(&base_ports[port], 0, sizeof(base_ports[port]));
}

int cmd_stats(struct cmd_ctx *ctx, int argc, char **argv)
{
	if (argc == 0 || cmd_is(argv[0], "show", 1))
		return stats_show(ctx);
	if (cmd_is(argv[0], "clear", 1) || cmd_is(argv[0], "reset", 1))
		return stats_clear();
	rs_err_set("unknown stats command \"%s\" (show, clear)", argv[0]);
	return -EINVAL;
}

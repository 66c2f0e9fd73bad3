/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip6_fastpath: the common case of an IPv6 router, for a whole vector.
 *
 * ip4_fastpath hands it every frame it does not take itself, with the
 * general path's input state (rs_priv: the ingress link) already set
 * (unless --no-fastpath, which bypasses both). A frame takes this path when the
 * general path (eth_input -> ip6_input -> ip6_forward -> eth_output6 ->
 * port_tx) would forward it unchanged but for the Hop Limit and the
 * Ethernet header, without an ICMPv6 error, a drop or a message to the
 * control thread:
 *
 *  - one segment, at least 14 + 40 bytes, to our unicast MAC on a link that
 *    is up and forwards, Ethertype IPv6 (eth_input);
 *  - version 6, 40 + payload length within the frame (RFC 8200 §3), no
 *    Hop-by-Hop header (it must be examined, RFC 8200 §4.3), Hop Limit
 *    above 1 (ip6_input, ip6_forward);
 *  - neither address in ::/8 (unspecified, loopback, IPv4-mapped and
 *    -compatible), ff00::/8 (multicast) or fe80::/10 (link-local: never
 *    forwarded, RFC 4291 §2.5.6), and the source not possibly one of ours
 *    (ip6_maybe_local);
 *  - the FIB6 gives a plain RT_UNICAST next hop (not ECMP, local,
 *    blackhole...) on a link that is present, up, not lo and not impaired
 *    on output, whose MTU the packet fits (no Packet Too Big); the
 *    neighbour is in a state a worker may send to (eth_output6).
 *
 * Every other frame goes on to eth_input untouched (nothing is written
 * before the decision), so it meets exactly the checks, drop counters and
 * ICMPv6 errors it always did. For the frames it takes, the result is the
 * general path's: padding cut, Hop Limit - 1 (IPv6 has no header
 * checksum), the neighbour's MAC and ours, m->port; tests/unit/dp/
 * test_fastpath.c feeds IPv6 frames through both and compares. Reads only
 * the published configuration, the FIB6 and the neighbour words (RCU; no
 * lock, no allocation, no syscall); writes the frames and per-worker
 * counters (struct ip6_fp_stats).
 */
#include <rte_prefetch.h>

#include "arp/neigh_ctl.h"
#include "core/node.h"
#include "ip6/ip6.h"
#include "route/fib6.h"
#include "wire/ip6_wire.h"
#include "wire/wire.h"

enum {
	E_TX,
	E_SLOW,
	E_NB,
};

struct ip6_fp_stats ip6_fp_stats[RS_MAX_WORKERS];

/* The next hop and its neighbour, as the fast path needs them; max_len 0
 * (which every packet exceeds) when the fast path cannot take it. For an
 * on-link route the neighbour is the destination's, so the memo holds
 * for that destination only. */
struct fp6_nh {
	uint32_t max_len;
	uint32_t nhi;
	bool onlink;
	uint8_t nb_ip[16];
	uint16_t out_iface;
	uint8_t hdr[ETH_HLEN];
};

static __rte_noinline void fp6_nh_memo(const struct rs_cfg *c, uint32_t nhi, const uint8_t *dst,
				       struct fp6_nh *o)
{
	o->max_len = 0;
	o->nhi = nhi;
	o->onlink = false;
	const struct rs_nh6 *nh = fib6_nh(nhi);
	if (nh->type != RT_UNICAST)
		return;
	const struct rs_iface *out = &c->ifaces[nh->iface];
	if (!out->present || !out->up || out->loopback || out->impair[RS_IMPAIR_OUT].on)
		return;
	o->onlink = ip6_is_unspec(nh->gw);
	memcpy(o->nb_ip, o->onlink ? dst : nh->gw, 16);
	o->out_iface = nh->iface;
	struct neigh_pub *np = NULL;
	const struct rs_ip nb = rs_ip_from6(o->nb_ip);
	uint64_t word = neigh_pub_lookup(nh->iface, &nb, &np);
	if (!neigh_word_usable(word))
		return; /* to be resolved: the general path asks the control thread */
	/* as eth_output6: sending through a STALE entry marks it used */
	if (neigh_word_state(word) == NEIGH_STALE && !np->used)
		np->used = 1;
	uint8_t dmac[6];
	neigh_word_mac(word, dmac);
	eth_write(o->hdr, dmac, out->mac.addr_bytes, ETH_P_IPV6);
	o->max_len = out->mtu;
}

/* ::/8, ff00::/8 and fe80::/10: a closer look than the fast path gives */
static inline bool fp6_special(const uint8_t *a)
{
	return a[0] == 0 || a[0] == 0xff || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80);
}

struct fp6_loop {
	const struct rs_cfg *c;
	uint16_t in_port;
	uint64_t mac_key; /* ETH_KEY_NONE: the ingress link takes no fast path */
	struct fp6_nh nh;
};

static __rte_always_inline bool fp6_frame(struct fp6_loop *s, struct rte_mbuf *m)
{
	/* the ingress link: ip4_fastpath put it in rs_priv (m->port is the
	 * driver's, which port_rx no longer rewrites) */
	uint16_t in = rs_priv(m)->iface;
	if (unlikely(in != s->in_port)) {
		s->in_port = in;
		const struct rs_iface *ifc = &s->c->ifaces[in < RS_MAX_IFACES ? in : 0];
		s->mac_key = in < RS_MAX_IFACES && ifc->up && ifc->forwarding &&
					     !eth_is_mcast(ifc->mac.addr_bytes)
				     ? eth_addr_key(ifc->mac.addr_bytes)
				     : ETH_KEY_NONE;
	}
	uint16_t len = m->data_len;
	if (unlikely(m->nb_segs != 1 || len < ETH_HLEN + IP6_HLEN))
		return false;
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	const uint8_t *ip = f + ETH_HLEN;
	if (eth_dst_key(f) != s->mac_key || eth_type_raw_at(f) != eth_type_raw(ETH_P_IPV6) ||
	    (ip[0] >> 4) != 6)
		return false;
	uint32_t tot = (uint32_t)IP6_HLEN + rs_ld16(ip + 4);
	if (tot > (uint32_t)len - ETH_HLEN || ip[6] == IPPROTO_HOPOPTS_ || ip[7] <= 1)
		return false;
	const uint8_t *src = ip + 8, *dst = ip + 24;
	if (fp6_special(src) || fp6_special(dst) || ip6_maybe_local(src))
		return false;
	uint32_t nhi = fib6_lookup(dst);
	if (nhi == FIB6_NH_NONE)
		return false; /* the general path's Destination Unreachable */
	if (nhi != s->nh.nhi || (s->nh.onlink && memcmp(dst, s->nh.nb_ip, 16) != 0))
		fp6_nh_memo(s->c, nhi, dst, &s->nh);
	if (tot > s->nh.max_len)
		return false;
	/* Forward: padding cut, Hop Limit - 1, the Ethernet header */
	m->data_len = (uint16_t)(tot + ETH_HLEN);
	m->pkt_len = tot + ETH_HLEN;
	f[ETH_HLEN + 7] = (uint8_t)(ip[7] - 1);
	memcpy(f, s->nh.hdr, ETH_HLEN);
	m->port = s->nh.out_iface;
	return true;
}

#define FP6_PREFETCH 4

static uint16_t ip6_fastpath_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				     uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	struct rte_mbuf **pkts = (struct rte_mbuf **)objs;
	rte_edge_t nexts[nb];
	uint16_t nfast = 0;
	struct fp6_loop s = {
		.c = w->cfg,
		.in_port = 0xffff,
		.mac_key = ETH_KEY_NONE,
		.nh = { .max_len = 0, .nhi = FIB6_NH_NONE },
	};

	for (uint16_t k = 0; k < FP6_PREFETCH && k < nb; k++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[k], void *));
	for (uint16_t i = 0; i < nb; i++) {
		if (i + FP6_PREFETCH < nb)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + FP6_PREFETCH], void *));
		bool fast = fp6_frame(&s, pkts[i]);
		nexts[i] = fast ? E_TX : E_SLOW;
		nfast = (uint16_t)(nfast + fast);
	}
	struct ip6_fp_stats *st = &ip6_fp_stats[w->idx];
	st->fast += nfast;
	st->slow += (uint64_t)(nb - nfast);
	if (nfast == 0)
		return rs_node_move_all(graph, node, nb, E_SLOW);
	if (nfast == nb)
		return rs_node_move_all(graph, node, nb, E_TX);
	rs_node_dispatch(graph, node, objs, nexts, nb);
	return nb;
}

static struct rte_node_register ip6_fastpath_node = {
	.name = "ip6_fastpath",
	.process = ip6_fastpath_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_TX] = "port_tx",
		[E_SLOW] = "eth_input",
	},
};
RTE_NODE_REGISTER(ip6_fastpath_node);

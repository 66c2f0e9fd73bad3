/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip4_fastpath: the common case of a router, for a whole vector at once.
 *
 * port_rx hands every vector here first (unless --no-fastpath). A frame
 * takes the fast path when it is an IPv4 unicast datagram that the general
 * path (eth_input -> ip4_input -> ip4_forward -> eth_output -> port_tx)
 * would forward unchanged but for the TTL and the Ethernet header, without
 * an ICMP error, a fragment, a drop or a message to the control thread:
 *
 *  - one segment; at least 14 + 20 bytes; to our unicast MAC on a link that
 *    is up and forwards; Ethertype IPv4 (eth_input);
 *  - RFC 1812 §5.2.2: version 4 with IHL 5 (no options), total length
 *    within the frame and >= 20, header checksum good (the port's verdict
 *    when it reports one, else computed) (ip4_input);
 *  - neither address in 0/8, 127/8, 224/3 (martians, multicast, limited
 *    broadcast) nor 169.254/16 (RFC 3927 §2.7); the source not possibly one
 *    of our addresses or subnet broadcasts (rs_cfg_maybe_local_src); TTL
 *    above 1 (ip4_input, ip4_forward);
 *  - the FIB gives a plain RT_UNICAST next hop (not ECMP, local, broadcast,
 *    blackhole...) on a link that is present, up and not lo, whose MTU the
 *    datagram fits; the neighbour is in a state a worker may send to
 *    (ip4_forward, eth_output).
 *
 * Every other frame goes to eth_input untouched (nothing is written before
 * the decision), so it meets exactly the checks, drop counters and ICMP
 * errors it always did. For the frames it takes, the result is the general
 * path's bit for bit: padding cut, TTL - 1 with the RFC 1624 checksum
 * update, the neighbour's MAC and ours, m->port (tests/unit/dp/
 * test_fastpath.c feeds the same frames through both and compares).
 *
 * Cost: four frames at a time, with the mbufs of the next group and the
 * headers of the group after prefetched; four FIB lookups issued together;
 * the ingress link, the next hop and its neighbour are looked up once per
 * vector (memos), as the general nodes do. Reads only the published
 * configuration, the FIB and the neighbour words (RCU; no lock, no
 * allocation, no syscall). Per-worker counters only (the graph's own
 * per-node counters and struct ip4_fp_stats).
 */
#include <rte_prefetch.h>

#include "arp/neigh_ctl.h"
#include "core/node.h"
#include "ip4/ip4.h"
#include "route/fib4.h"
#include "wire/wire.h"

enum {
	E_TX,
	E_SLOW,
	E_NB,
};

struct ip4_fp_stats ip4_fp_stats[RS_MAX_WORKERS];

struct fp_ctx {
	const struct rs_cfg *c;
	int off; /* rs_priv_offset */
	/* the ingress link of the previous frame (one per vector in practice):
	 * mac_key is ETH_KEY_NONE, which no frame matches, when the link
	 * takes no fast path (down, not forwarding, or a multicast MAC) */
	uint16_t in_iface;
	bool rx_csum;
	uint64_t mac_key;
	/* the next hop of the previous frame: max_len 0 (every frame
	 * exceeds it) when the fast path cannot take it */
	uint32_t nhi;
	uint32_t max_len; /* largest IPv4 total length: the egress MTU */
	uint32_t gw;
	uint16_t out_iface;
	/* the neighbour of the previous frame: usable, with its Ethernet
	 * header ready as two overlapping words (bytes 0-7 and 6-13) */
	uint16_t nb_iface; /* 0xffff: none yet */
	uint32_t nb_ip;
	bool nb_ok;
	bool nb_stale;
	struct neigh_pub *np;
	uint64_t hdr_lo, hdr_hi;
};

static __rte_noinline void fp_in_memo(struct fp_ctx *x, uint16_t iface)
{
	const struct rs_iface *ifc = &x->c->ifaces[iface];
	x->in_iface = iface;
	x->rx_csum = ifc->rx_ip4_csum;
	/* as eth_input's fast path, and forwarding on (ip4_input) */
	x->mac_key = ifc->up && ifc->forwarding && !eth_is_mcast(ifc->mac.addr_bytes)
			     ? eth_addr_key(ifc->mac.addr_bytes)
			     : ETH_KEY_NONE;
}

static __rte_noinline void fp_nh_memo(struct fp_ctx *x, uint32_t nhi)
{
	x->nhi = nhi;
	x->max_len = 0;
	const struct rs_nh *nh = fib4_nh(nhi);
	if (nh->type != RT_UNICAST)
		return;
	const struct rs_iface *out = &x->c->ifaces[nh->iface];
	if (!out->present || !out->up || out->loopback)
		return;
	x->max_len = out->mtu;
	x->gw = nh->gw;
	x->out_iface = nh->iface;
}

static __rte_noinline void fp_nb_memo(struct fp_ctx *x, uint16_t iface, uint32_t ip)
{
	x->nb_iface = iface;
	x->nb_ip = ip;
	x->nb_ok = false;
	struct neigh_pub *np = NULL;
	uint64_t word = neigh_pub_lookup(iface, ip, &np);
	if (!neigh_word_usable(word))
		return;
	uint8_t hdr[ETH_HLEN], dmac[6];
	neigh_word_mac(word, dmac);
	eth_write(hdr, dmac, x->c->ifaces[iface].mac.addr_bytes, ETH_P_IP);
	memcpy(&x->hdr_lo, hdr, 8);
	memcpy(&x->hdr_hi, hdr + 6, 8);
	x->np = np;
	x->nb_stale = neigh_word_state(word) == NEIGH_STALE;
	x->nb_ok = true;
}

/*
 * The checks that need no lookup. Reads only; returns the destination
 * (host order) in *dst when the frame may take the fast path.
 */
static __rte_always_inline bool fp_check(struct fp_ctx *x, struct rte_mbuf *m, uint32_t *dst)
{
	const struct rs_priv *p = rs_priv_at(m, x->off);
	if (unlikely(p->iface != x->in_iface))
		fp_in_memo(x, p->iface);
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint16_t len = m->data_len;
	/* one segment (pkt_len == data_len), room for both headers */
	if (unlikely(m->nb_segs != 1 || len < ETH_HLEN + IP4_HLEN))
		return false;
	if (unlikely(eth_dst_key(f) != x->mac_key || eth_type_raw_at(f) != eth_type_raw(ETH_P_IP)))
		return false;
	const uint8_t *b = f + ETH_HLEN;
	if (unlikely(b[0] != 0x45))
		return false;
	uint16_t tot = rs_ld16(b + 2);
	if (unlikely(tot < IP4_HLEN || tot > len - ETH_HLEN))
		return false;
	if (unlikely(x->rx_csum)) {
		uint64_t ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
		if (ck == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
		    (ck != RTE_MBUF_F_RX_IP_CKSUM_GOOD && !ip4_hdr20_csum_ok(b)))
			return false;
	} else if (unlikely(!ip4_hdr20_csum_ok(b))) {
		return false;
	}
	uint32_t s = rs_ld32(b + 12), d = rs_ld32(b + 16);
	if (unlikely(ip4_first_octet_special(s) || ip4_first_octet_special(d)))
		return false;
	if (unlikely((s >> 16) == 0xa9fe || (d >> 16) == 0xa9fe))
		return false;
	if (unlikely(rs_cfg_maybe_local_src(x->c, s) || b[8] <= 1))
		return false;
	*dst = d;
	return true;
}

/*
 * The rest, with the FIB entry e of the destination: the next hop and its
 * neighbour. When they allow, rewrites the frame as the general path would
 * and returns true; otherwise changes nothing.
 */
static __rte_always_inline bool fp_finish(struct fp_ctx *x, struct rte_mbuf *m, uint32_t dst,
					  uint32_t e)
{
	if (unlikely(!(e & D24_VALID)))
		return false; /* no route: the general path's ICMP error */
	uint32_t nhi = e & D24_VAL_MASK;
	if (unlikely(nhi != x->nhi))
		fp_nh_memo(x, nhi);
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t *b = f + ETH_HLEN;
	uint16_t tot = rs_ld16(b + 2);
	if (unlikely(tot > x->max_len))
		return false; /* not a fast next hop, or fragmentation */
	uint32_t nh_ip = x->gw ? x->gw : dst;
	if (unlikely(x->out_iface != x->nb_iface || nh_ip != x->nb_ip))
		fp_nb_memo(x, x->out_iface, nh_ip);
	if (unlikely(!x->nb_ok))
		return false; /* to be resolved: the control thread queues it */
	if (unlikely(x->nb_stale) && !x->np->used)
		x->np->used = 1;
	/* link-layer padding beyond the IP total length is not data */
	uint16_t flen = (uint16_t)(tot + ETH_HLEN);
	m->data_len = flen;
	m->pkt_len = flen;
	/* RFC 1812 §5.3.1 + RFC 1624 eqn. 3: TTL-1, checksum adjusted */
	ip4_ttl_dec(b);
	memcpy(f, &x->hdr_lo, 8);
	memcpy(f + 6, &x->hdr_hi, 8);
	m->port = x->out_iface;
	return true;
}

static __rte_always_inline uint32_t fp_tbl24(uint32_t dst)
{
	return __atomic_load_n(&dir24_tbl24[dst >> 8], __ATOMIC_ACQUIRE);
}

static __rte_always_inline uint32_t fp_tbl8(uint32_t e, uint32_t dst)
{
	if (unlikely(e & D24_EXT))
		e = __atomic_load_n(&dir24_tbl8[((e & D24_VAL_MASK) << 8) | (dst & 0xff)],
				    __ATOMIC_RELAXED);
	return e;
}

static uint16_t ip4_fastpath_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				     uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	struct fp_ctx x = {
		.c = w->cfg, .off = rs_priv_offset, .in_iface = 0xffff, .mac_key = ETH_KEY_NONE,
		.nhi = FIB4_NH_NONE, .max_len = 0, .nb_iface = 0xffff,
	};
	struct rte_mbuf **pkts = (struct rte_mbuf **)objs;
	rte_edge_t nexts[nb];
	uint16_t nslow = 0, i = 0;

	/* the first groups' mbufs; their headers are prefetched a group ahead */
	for (uint16_t k = 0; k < 8 && k < nb; k++)
		rte_prefetch0(pkts[k]);
	for (uint16_t k = 0; k < 4 && k < nb; k++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[k], void *));

	for (; i + 4 <= nb; i += 4) {
		struct rte_mbuf *m0 = pkts[i], *m1 = pkts[i + 1], *m2 = pkts[i + 2],
				*m3 = pkts[i + 3];
		if (likely(i + 12 <= nb)) {
			rte_prefetch0(pkts[i + 8]);
			rte_prefetch0(pkts[i + 9]);
			rte_prefetch0(pkts[i + 10]);
			rte_prefetch0(pkts[i + 11]);
		}
		if (likely(i + 8 <= nb)) {
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void *));
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 5], void *));
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 6], void *));
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 7], void *));
		}
		/* a frame that fails the checks looks up 0.0.0.0: harmless */
		uint32_t d0 = 0, d1 = 0, d2 = 0, d3 = 0;
		bool k0 = fp_check(&x, m0, &d0);
		bool k1 = fp_check(&x, m1, &d1);
		bool k2 = fp_check(&x, m2, &d2);
		bool k3 = fp_check(&x, m3, &d3);
		/* four tbl24 loads in flight at once, then the rare tbl8 ones */
		uint32_t e0 = fp_tbl24(d0), e1 = fp_tbl24(d1), e2 = fp_tbl24(d2),
			 e3 = fp_tbl24(d3);
		if (unlikely((e0 | e1 | e2 | e3) & D24_EXT)) {
			e0 = fp_tbl8(e0, d0);
			e1 = fp_tbl8(e1, d1);
			e2 = fp_tbl8(e2, d2);
			e3 = fp_tbl8(e3, d3);
		}
		k0 = k0 && fp_finish(&x, m0, d0, e0);
		k1 = k1 && fp_finish(&x, m1, d1, e1);
		k2 = k2 && fp_finish(&x, m2, d2, e2);
		k3 = k3 && fp_finish(&x, m3, d3, e3);
		nexts[i] = k0 ? E_TX : E_SLOW;
		nexts[i + 1] = k1 ? E_TX : E_SLOW;
		nexts[i + 2] = k2 ? E_TX : E_SLOW;
		nexts[i + 3] = k3 ? E_TX : E_SLOW;
		nslow = (uint16_t)(nslow + 4 - k0 - k1 - k2 - k3);
	}
	for (; i < nb; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t d = 0;
		bool k = fp_check(&x, m, &d);
		k = k && fp_finish(&x, m, d, fp_tbl8(fp_tbl24(d), d));
		nexts[i] = k ? E_TX : E_SLOW;
		nslow = (uint16_t)(nslow + !k);
	}

	/* per-worker counters, one add per vector */
	struct ip4_fp_stats *st = &ip4_fp_stats[w->idx];
	st->fast += (uint64_t)(nb - nslow);
	st->slow += nslow;
	if (likely(nslow == 0))
		return rs_node_move_all(graph, node, nb, E_TX);
	rs_node_dispatch(graph, node, objs, nexts, nb);
	return nb;
}

static struct rte_node_register ip4_fastpath_node = {
	.name = "ip4_fastpath",
	.process = ip4_fastpath_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_TX] = "port_tx",
		[E_SLOW] = "eth_input",
	},
};
RTE_NODE_REGISTER(ip4_fastpath_node);

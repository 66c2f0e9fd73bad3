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
 * Cost (callgrind, 64-byte frames): about 120 instructions a frame in this
 * node, where the general path's four nodes spend about 200. One pass over
 * the vector, the headers of the frame four ahead prefetched; each frame
 * read as five word loads (which also feed the checksum); the special
 * address classes one table lookup; the FIB entry one tbl24 load (the
 * loads of successive frames overlap: nothing but the memos carries from
 * one frame to the next). A four-wide version with the lookups issued
 * together spilled its state and cost 140. The ingress link, the next hop
 * and its neighbour are looked up once per vector (memos), as the general
 * nodes do. A vector taken whole to one link (the common case) is
 * transmitted here, the driver call port_tx would make, so it skips
 * port_tx's walk over the vector and its graph visit; a link impaired on
 * output is left to the general path. The TTL and checksum are updated in
 * the header word already loaded and stored as one. Reads only the
 * published configuration, the FIB and the
 * neighbour words (RCU; no lock, no allocation, no syscall). Writes only
 * the frames and per-worker counters (the graph's own per-node counters,
 * struct ip4_fp_stats).
 */
#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>

#include "arp/neigh_ctl.h"
#include "core/node.h"
#include "ip4/ip4.h"
#include "route/fib4.h"
#include "wire/wire.h"

enum {
	E_TX,
	E_SLOW,
	E_TX_FULL,
	E_NB,
};

struct ip4_fp_stats ip4_fp_stats[RS_MAX_WORKERS];

/*
 * First octets for which an address needs a closer look: 0, 127, 224-255
 * (ip4_first_octet_special: martians, multicast, limited broadcast) and
 * 169 (169.254/16 is link-local, RFC 3927 §2.7; other 169s are fine).
 */
static const uint8_t fp_octet[256] = {
	[0] = 1, [127] = 1, [169] = 2,
	[224] = 1, [225] = 1, [226] = 1, [227] = 1, [228] = 1, [229] = 1, [230] = 1, [231] = 1,
	[232] = 1, [233] = 1, [234] = 1, [235] = 1, [236] = 1, [237] = 1, [238] = 1, [239] = 1,
	[240] = 1, [241] = 1, [242] = 1, [243] = 1, [244] = 1, [245] = 1, [246] = 1, [247] = 1,
	[248] = 1, [249] = 1, [250] = 1, [251] = 1, [252] = 1, [253] = 1, [254] = 1, [255] = 1,
};

/* The closer look: true when neither address is special after all (only
 * a 169 that is not 169.254 gets here and passes). */
static __rte_noinline bool fp_addrs_ok(uint32_t src, uint32_t dst)
{
	return !ip4_first_octet_special(src) && !ip4_first_octet_special(dst) &&
	       (src >> 16) != 0xa9fe && (dst >> 16) != 0xa9fe;
}

/* The ingress link, as the fast path needs it. */
struct fp_in {
	bool rx_csum;
	/* ETH_KEY_NONE, which no frame matches, when the link takes no fast
	 * path: down, not forwarding, or a multicast MAC */
	uint64_t mac_key;
};

/* Both memos are returned by value: the loop keeps its copies in
 * registers (a memo written through a pointer lived on the stack and was
 * reloaded for every frame). */
static __rte_noinline struct fp_in fp_in_memo(const struct rs_cfg *c, uint16_t iface)
{
	const struct rs_iface *ifc = &c->ifaces[iface < RS_MAX_IFACES ? iface : 0];
	struct fp_in o;
	o.rx_csum = ifc->rx_ip4_csum;
	/* as eth_input's fast path, and forwarding on (ip4_input) */
	o.mac_key = iface < RS_MAX_IFACES && ifc->up && ifc->forwarding &&
				    !eth_is_mcast(ifc->mac.addr_bytes)
			    ? eth_addr_key(ifc->mac.addr_bytes)
			    : ETH_KEY_NONE;
	return o;
}

/*
 * A next hop with its neighbour, as the fast path needs them. max_len 0
 * (which every datagram exceeds) when the fast path cannot take it. For a
 * gateway the neighbour is the next hop's own; on-link (gw 0) it is the
 * destination's, looked up here for nb_ip and again when another
 * destination comes.
 */
struct fp_nh {
	uint32_t max_len; /* the egress MTU */
	uint32_t nb_ip;   /* the neighbour the header is for */
	bool onlink;
	uint16_t out_iface;
	uint64_t hdr_lo, hdr_hi; /* Ethernet header, bytes 0-7 and 6-13 */
};

static __rte_noinline struct fp_nh fp_nh_memo(const struct rs_cfg *c, uint32_t nhi, uint32_t dst)
{
	struct fp_nh o = { .max_len = 0, .onlink = false };
	const struct rs_nh *nh = fib4_nh(nhi);
	if (nh->type != RT_UNICAST)
		return o;
	const struct rs_iface *out = &c->ifaces[nh->iface];
	/* as port_tx; a link impaired on output goes the general way (its
	 * frames meet impair_out there), so what the fast path takes it may
	 * transmit itself */
	if (!out->present || !out->up || out->loopback || out->impair[RS_IMPAIR_OUT].on)
		return o;
	o.onlink = nh->gw == 0;
	o.nb_ip = nh->gw ? nh->gw : dst;
	o.out_iface = nh->iface;
	struct neigh_pub *np = NULL;
	const struct rs_ip nb = rs_ip_from4(o.nb_ip); /* the neighbour table is family-neutral */
	uint64_t word = neigh_pub_lookup(nh->iface, &nb, &np);
	if (!neigh_word_usable(word))
		return o; /* to be resolved: the general path asks the control thread */
	/* as eth_output: sending through a STALE entry marks it used (once
	 * per vector here, which is what the control thread's tick sees) */
	if (neigh_word_state(word) == NEIGH_STALE && !np->used)
		np->used = 1;
	uint8_t hdr[ETH_HLEN], dmac[6];
	neigh_word_mac(word, dmac);
	eth_write(hdr, dmac, out->mac.addr_bytes, ETH_P_IP);
	memcpy(&o.hdr_lo, hdr, 8);
	memcpy(&o.hdr_hi, hdr + 6, 8);
	o.max_len = out->mtu;
	return o;
}

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "ip4_fastpath reads header words as little-endian"
#endif

/* What the loop carries from frame to frame (a vector comes from one
 * queue, and mostly goes one way). A local of ip4_fastpath_process whose
 * address only the inlined fp_frame sees: the compiler keeps it in
 * registers. */
struct fp_loop {
	const struct rs_cfg *c;
	const uint64_t *bloom;
	const uint32_t *tbl24;
	uint16_t in_port;
	struct fp_in in;
	uint32_t nhi_memo;
	uint32_t nhi_key; /* nhi_memo, or FIB4_NH_NONE for an on-link memo */
	struct fp_nh nh;
	/* the egress link of the frames taken, while there is only one
	 * (checked only when the next-hop memo changes) */
	int32_t tx_port;
	bool tx_mixed;
};

/* The fast path for one frame: true when it was forwarded (rewritten for
 * s->nh.out_iface), false when it is left untouched for the general path. */
static __rte_always_inline bool fp_frame(struct fp_loop *s, struct rte_mbuf *m)
{
	/*
	 * The checks, reading only. m->port is the ingress port (port_rx
	 * sets it; link index == port id). One segment, so pkt_len ==
	 * data_len; room for both headers.
	 */
	if (unlikely(m->port != s->in_port)) {
		s->in_port = m->port;
		s->in = fp_in_memo(s->c, s->in_port);
	}
	uint16_t len = m->data_len;
	if (unlikely(m->nb_segs != 1 || len < ETH_HLEN + IP4_HLEN))
		return false;
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	uint64_t w0, w2, w3;
	uint32_t w1, w4, src_raw;
	uint16_t tot_raw;
	memcpy(&w0, f, 8);       /* dst MAC, src MAC[0..1] */
	memcpy(&w1, f + 12, 4);  /* type, ver/IHL, TOS */
	memcpy(&tot_raw, f + 16, 2); /* total length */
	memcpy(&w2, f + 14, 8);  /* IPv4 bytes 0-7 */
	memcpy(&w3, f + 22, 8);  /* TTL, proto, checksum, source */
	memcpy(&src_raw, f + 26, 4); /* source (also in w3, loaded apart: cheaper) */
	memcpy(&w4, f + 30, 4);  /* destination */
	/* to our unicast MAC on a fast link, Ethertype IPv4, version 4
	 * with IHL 5 (no options) */
	if (unlikely((w0 << 16) != s->in.mac_key ||
		     (w1 & 0xffffff) != (0x45u << 16 | 0x0008u)))
		return false;
	/* RFC 1812 §5.2.2: 20 <= total length <= what arrived */
	uint16_t tot = rte_be_to_cpu_16(tot_raw);
	/* tot < 20 wraps to a large value: one compare for both */
	if (unlikely((uint32_t)tot - IP4_HLEN > (uint32_t)len - (ETH_HLEN + IP4_HLEN)))
		return false;
	/* header checksum: the port's verdict when it gives one */
	if (unlikely(s->in.rx_csum)) {
		uint64_t ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
		if (ck == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
		    (ck != RTE_MBUF_F_RX_IP_CKSUM_GOOD && !ip4_hdr20_csum_ok(f + ETH_HLEN)))
			return false;
	} else {
#if defined(__x86_64__)
		/* ip4_hdr20_csum_ok on the words already loaded */
		unsigned long long sum;
		unsigned char cy = _addcarry_u64(0, w2, w3, &sum);
		cy = _addcarry_u64(cy, sum, w4, &sum);
		if (unlikely((sum + cy) * 0xfffefffefffeffffull > 0x0001000100010001ull))
			return false;
#else
		if (unlikely(!ip4_hdr20_csum_ok(f + ETH_HLEN)))
			return false;
#endif
	}
	uint32_t src = rte_be_to_cpu_32(src_raw);
	uint32_t dst = rte_be_to_cpu_32(w4);
	/* martians, multicast, broadcast, link-local: one table, indexed
	 * by the first octet as it lies in the frame */
	if (unlikely((fp_octet[(uint8_t)src_raw] | fp_octet[(uint8_t)w4]) &&
		     !fp_addrs_ok(src, dst)))
		return false;
	/* a source that may be ours or a broadcast of ours; TTL */
	uint32_t bh = rs_local_bloom_hash(src);
	if (unlikely(((s->bloom[bh >> 6] >> (bh & 63)) & 1) || (uint8_t)w3 <= 1))
		return false;

	/* the route: a plain unicast next hop, its neighbour usable,
	 * within its MTU */
	uint32_t e = s->tbl24[dst >> 8];
	if (unlikely(e & D24_EXT))
		e = dir24_tbl8[((e & D24_VAL_MASK) << 8) | (dst & 0xff)];
	if (unlikely(!(e & D24_VALID)))
		return false; /* no route: the general path's ICMP error */
	uint32_t nhi = e & D24_VAL_MASK;
	if (unlikely(nhi != s->nhi_key) &&
	    !(s->nh.onlink && nhi == s->nhi_memo && dst == s->nh.nb_ip)) {
		s->nhi_memo = nhi;
		s->nh = fp_nh_memo(s->c, nhi, dst);
		/* an on-link memo holds for one destination: checked above */
		s->nhi_key = s->nh.onlink ? FIB4_NH_NONE : nhi;
		if (s->nh.max_len != 0) {
			if (s->tx_port < 0)
				s->tx_port = s->nh.out_iface;
			else if (s->tx_port != s->nh.out_iface)
				s->tx_mixed = true;
		}
	}
	if (unlikely(tot > s->nh.max_len))
		return false;

	/* Forward: padding cut, RFC 1812 §5.3.1 + RFC 1624 eqn. 3
	 * TTL - 1 with the checksum adjusted, the Ethernet header */
	m->data_len = (uint16_t)(tot + ETH_HLEN);
	m->pkt_len = (uint32_t)tot + ETH_HLEN;
	/* ip4_ttl_dec on the words already loaded: the TTL (above 1) less
	 * one; the checksum as RFC 1624 eqn. 3 makes it, ~(~HC + ~m + m'),
	 * which for this change is the checksum as it lies in the frame
	 * plus one, plus one more when that reaches 0xffff (all 65536
	 * values checked against ip4_ttl_dec) */
	{
		f[ETH_HLEN + 8] = (uint8_t)(w3 - 1u);
		uint32_t ck = (uint32_t)(uint16_t)(w3 >> 16) + 1u;
		ck += (ck + 1u) >> 16;
		uint16_t ck16 = (uint16_t)ck;
		memcpy(f + ETH_HLEN + 10, &ck16, 2);
	}
	memcpy(f, &s->nh.hdr_lo, 8);
	memcpy(f + 6, &s->nh.hdr_hi, 8);
	m->port = s->nh.out_iface;
	return true;
}

/* A frame for the general path: the input state port_rx would have set.
 * The edges are recorded only for a vector that splits: the first slow
 * frame marks every frame E_TX, this one E_SLOW. Returns the new count of
 * slow frames. */
static __rte_noinline uint16_t fp_slow(struct rte_mbuf *m, rte_edge_t *nexts, uint16_t nb,
				       uint16_t i, uint16_t nslow)
{
	struct rs_priv *p = rs_priv(m);
	p->iface = m->port;
	p->flags = 0;
	if (nslow == 0)
		rs_edges_fill(nexts, nb, E_TX);
	nexts[i] = E_SLOW;
	return (uint16_t)(nslow + 1);
}

/* How far ahead the headers are prefetched (the frame's mbuf was written
 * by the driver just now, its data maybe not). */
#define FP_PREFETCH 4

static uint16_t ip4_fastpath_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				     uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	struct rte_mbuf **pkts = (struct rte_mbuf **)objs;
	rte_edge_t nexts[nb];
	uint16_t nslow = 0;
	struct fp_loop s = {
		.c = w->cfg,
		.bloom = w->cfg->local_bloom,
		.tbl24 = dir24_tbl24,
		.in_port = 0xffff,
		.in = { .rx_csum = false, .mac_key = ETH_KEY_NONE },
		.nhi_memo = FIB4_NH_NONE,
		.nhi_key = FIB4_NH_NONE,
		.nh = { .max_len = 0 },
		.tx_port = -1,
		.tx_mixed = false,
	};

	for (uint16_t k = 0; k < FP_PREFETCH && k < nb; k++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[k], void *));

	/* two loops, so that the main one needs no bound on its prefetch */
	struct rte_mbuf **p = pkts, **const end = pkts + nb;
	if (nb > FP_PREFETCH) {
		for (; p < end - FP_PREFETCH; p++) {
			rte_prefetch0(rte_pktmbuf_mtod(p[FP_PREFETCH], void *));
			if (unlikely(!fp_frame(&s, *p)))
				nslow = fp_slow(*p, nexts, nb, (uint16_t)(p - pkts), nslow);
		}
	}
	for (; p < end; p++)
		if (unlikely(!fp_frame(&s, *p)))
			nslow = fp_slow(*p, nexts, nb, (uint16_t)(p - pkts), nslow);

	/* per-worker counters, one add per vector */
	struct ip4_fp_stats *st = &ip4_fp_stats[w->idx];
	st->fast += (uint64_t)(nb - nslow);
	st->slow += nslow;
	if (likely(nslow == 0)) {
		/* the whole vector to one link (the common case): the driver
		 * call here, as port_tx would make it (the memo checked the
		 * link is present, up, not lo, not impaired); what the ring
		 * does not take is dropped and counted as there */
		if (likely(!s.tx_mixed && s.tx_port >= 0)) {
			uint16_t sent = rte_eth_tx_burst((uint16_t)s.tx_port, w->idx, pkts, nb);
			if (unlikely(sent < nb))
				rte_node_enqueue(graph, node, E_TX_FULL, &objs[sent],
						 (uint16_t)(nb - sent));
			return nb;
		}
		return rs_node_move_all(graph, node, nb, E_TX);
	}
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
		[E_SLOW] = "ip6_fastpath", /* then eth_input */
		[E_TX_FULL] = RS_DROP_NODE(tx_full),
	},
};
RTE_NODE_REGISTER(ip4_fastpath_node);

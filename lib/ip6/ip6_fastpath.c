/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ip6_fastpath: the common case of an IPv6 router, for runs of a vector.
 *
 * The fast-path node (ip4_fastpath, which port_rx hands every vector unless
 * --no-fastpath) dispatches on the Ethertype where its IPv4 loop stops: a
 * run of IPv6 frames comes here (ip6_fp_run), and leaves at the first
 * frame this path does not take. A frame takes it when the general path
 * (eth_input -> ip6_input -> ip6_forward -> eth_output6 -> port_tx) would
 * forward it unchanged but for the Hop Limit and the Ethernet header,
 * without an ICMPv6 error, a drop or a message to the control thread:
 *
 *  - one segment, at least 14 + 40 bytes, to our unicast MAC on a link that
 *    is up and forwards, Ethertype IPv6 (eth_input);
 *  - version 6, 40 + payload length within the frame (RFC 8200 §3), no
 *    Hop-by-Hop header (it must be examined, RFC 8200 §4.3), Hop Limit
 *    above 1 (ip6_input, ip6_forward: else ICMPv6 Time Exceeded);
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
 * test_fastpath.c feeds IPv6 frames through both and compares.
 *
 * How, as ip4_fastpath: a hot loop (fp6_hot_run) keeps in registers only
 * what every frame needs (the ingress link's 16-byte header key, the
 * next-hop memo) and stops at the first frame that needs more; that frame
 * takes fp6_frame_full (out of line), which changes the memos and forwards
 * it or gives it back. The Ethernet header, Ethertype and version are one
 * 16-byte compare under a mask, the new header one 16-byte store; the
 * special address classes one table lookup on the first bytes. The memo of
 * the FIB6 is the trie's leaf: the last destination looked up, and how
 * many of its leading bytes the walk read (dir6_lookup_leaf: 3 for a
 * first-level entry, 6 for a /48 leaf, 8 for a /64's); a destination that
 * shares them reaches the same leaf, so the same next hop: one masked
 * 16-byte compare instead of a walk of up to 14 loads. An on-link next
 * hop's neighbour is the destination's, so its memo holds for the whole
 * address. The memos live for one vector (a FIB or neighbour change is
 * seen by the next one, as the general nodes' per-vector look-ups are).
 * Reads only the published configuration, the FIB6 and the neighbour words
 * (RCU; no lock, no allocation, no syscall); writes the frames and
 * per-worker counters (struct ip6_fp_stats, by ip4_fastpath).
 */
#include <rte_prefetch.h>

#include "arp/neigh_ctl.h"
#include "core/node.h"
#include "ip6/ip6.h"
#include "ip6/ip6_fastpath.h"
#include "route/fib6.h"
#include "wire/ip6_wire.h"
#include "wire/wire.h"

struct ip6_fp_stats ip6_fp_stats[RS_MAX_WORKERS];

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "ip6_fastpath reads header words as little-endian"
#endif

/* Bytes 0-15 a frame the fast path takes has, under this mask: our MAC
 * (0-5), Ethertype (12-13), version (the high nibble of 14). */
static const uint8_t fp6_hdr_mask[16] __rte_aligned(16) = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xf0, 0,
};

/* First bytes of an address that need a closer look: 00 (::/8), ff
 * (multicast), fe (fe80::/10 is link-local, the rest of fe is not). */
static const uint8_t fp6_octet[256] = { [0x00] = 1, [0xfe] = 1, [0xff] = 1 };

/* ::/8, ff00::/8 and fe80::/10 */
static inline bool fp6_special(const uint8_t *a)
{
	return a[0] == 0 || a[0] == 0xff || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80);
}

/* The closer look: true when neither address is special after all. */
static __rte_noinline bool fp6_addrs_ok(const uint8_t *src, const uint8_t *dst)
{
	return !fp6_special(src) && !fp6_special(dst);
}

void ip6_fp_begin(struct ip6_fp *s, const struct rs_cfg *c)
{
	memset(s, 0, sizeof(*s));
	s->c = c;
	s->h.bloom = ip6_local_bloom;
	/* max_l 0: the first frame stops the hot loop and looks the FIB6
	 * up (fp6_frame_full does so while max_l is 0, whatever the
	 * destination memo says) */
	s->h.max_l = 0;
	s->nhi = FIB6_NH_NONE;
	s->in_port = 0xffff;
	s->tx_port = -1;
}

/* The ingress link's key, or in_ok false when it takes no fast path (as
 * eth_input's fast path, and forwarding on: ip6_input). */
static __rte_noinline void fp6_in_switch(struct ip6_fp *s, uint16_t iface)
{
	s->in_port = iface;
	s->in_ok = false;
	if (iface >= RS_MAX_IFACES)
		return;
	const struct rs_iface *ifc = &s->c->ifaces[iface];
	if (!ifc->up || !ifc->forwarding || eth_is_mcast(ifc->mac.addr_bytes))
		return;
	uint8_t k[16] = { 0 };
	memcpy(k, ifc->mac.addr_bytes, 6);
	k[12] = 0x86; /* ETH_P_IPV6, network order */
	k[13] = 0xdd;
	k[14] = 0x60;
	s->h.key = fp_v16_load(k);
	s->in_ok = true;
}

/* The next hop nhi for dst: its Ethernet header and the egress MTU, or
 * max_l 0 when the fast path cannot take it. */
static void fp6_nh_memo(struct ip6_fp *s, uint32_t nhi, const uint8_t *dst)
{
	s->nhi = nhi;
	s->onlink = false;
	s->h.max_l = 0;
	const struct rs_nh6 *nh = fib6_nh(nhi);
	if (nh->type != RT_UNICAST)
		return;
	const struct rs_iface *out = &s->c->ifaces[nh->iface];
	/* as port_tx; a link impaired on output goes the general way (its
	 * frames meet impair_out there), so what the fast path takes the
	 * node may transmit itself */
	if (!out->present || !out->up || out->loopback || out->impair[RS_IMPAIR_OUT].on)
		return;
	s->onlink = ip6_is_unspec(nh->gw);
	memcpy(s->nb_ip, s->onlink ? dst : nh->gw, 16);
	struct neigh_pub *np = NULL;
	const struct rs_ip nb = rs_ip_from6(s->nb_ip);
	uint64_t word = neigh_pub_lookup(nh->iface, &nb, &np);
	if (!neigh_word_usable(word))
		return; /* to be resolved: the general path asks the control thread */
	/* as eth_output6: sending through a STALE entry marks it used */
	if (neigh_word_state(word) == NEIGH_STALE && !np->used)
		np->used = 1;
	uint8_t hdr[16] = { 0 }, dmac[6];
	neigh_word_mac(word, dmac);
	eth_write(hdr, dmac, out->mac.addr_bytes, ETH_P_IPV6);
	s->h.hdr = fp_v16_load(hdr);
	s->h.out_iface = nh->iface;
	s->h.max_l = out->mtu + ETH_HLEN;
	if (s->tx_port < 0)
		s->tx_port = nh->iface;
	else if (s->tx_port != nh->iface)
		s->tx_mixed = true;
}

/* A destination outside the memo's leaf: the FIB6 walk, and the memo for
 * its leaf (for an on-link next hop, for dst alone). */
static void fp6_route_switch(struct ip6_fp *s, const uint8_t *dst)
{
	unsigned nbytes;
	uint32_t e = dir6_lookup_leaf(dst, &nbytes);
	if (!(e & D6_VALID)) {
		/* no route: the general path's Destination Unreachable */
		s->nhi = FIB6_NH_NONE;
		s->onlink = false;
		s->h.max_l = 0;
	} else {
		uint32_t nhi = e & D6_VAL_MASK;
		if (nhi != s->nhi || s->onlink)
			fp6_nh_memo(s, nhi, dst);
	}
	if (s->onlink)
		nbytes = 16;
	uint8_t mask[16] = { 0 };
	memset(mask, 0xff, nbytes);
	s->h.dmask = fp_v16_load(mask);
	s->h.dkey = fp_v16_load(dst);
}

/* What the checks read from a frame, for the rewrite. */
struct fp6_pkt {
	uint8_t *f;
	fp_v16 d;    /* the destination address */
	uint32_t l;  /* the frame's length by the payload length */
	uint16_t hl; /* next header, Hop Limit as they lie in the frame */
};

/*
 * The checks that need no memo but the ingress link's, reading only. The
 * headers are read before the frame is known to hold them (the length
 * check covers that too): the data room of an mbuf is far larger than 54
 * bytes, and what lies beyond the frame only decides a frame the length
 * check then refuses.
 */
static __rte_always_inline bool fp6_check(const struct ip6_fp_hot *h, struct rte_mbuf *m,
					  struct fp6_pkt *k)
{
	if (unlikely(m->nb_segs != 1))
		return false;
	uint32_t len = m->data_len;
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	/* to our unicast MAC on a fast link, Ethertype IPv6, version 6 */
	if (unlikely(!fp_v16_eq_mask(fp_v16_load(f), h->key, fp6_hdr_mask)))
		return false;
	uint16_t plen_raw, hl;
	memcpy(&plen_raw, f + ETH_HLEN + 4, 2);
	memcpy(&hl, f + ETH_HLEN + 6, 2);
	/* RFC 8200 §3: 40 + payload length within what arrived; this also
	 * says the frame holds both headers */
	uint32_t l = (uint32_t)__builtin_bswap16(plen_raw) + ETH_HLEN + IP6_HLEN;
	if (unlikely(l > len))
		return false;
	/* no Hop-by-Hop header (RFC 8200 §4.3), Hop Limit above 1 */
	if (unlikely((uint8_t)hl == IPPROTO_HOPOPTS_ || (hl >> 8) <= 1))
		return false;
	const uint8_t *src = f + ETH_HLEN + 8, *dst = f + ETH_HLEN + 24;
	/* ::/8, multicast, link-local: one table on the first bytes */
	if (unlikely((fp6_octet[src[0]] | fp6_octet[dst[0]]) && !fp6_addrs_ok(src, dst)))
		return false;
	/* a source that may be ours (ip6_maybe_local) */
	uint32_t b = ip6_local_bloom_hash(src);
	if (unlikely((__atomic_load_n(&h->bloom[b >> 6], __ATOMIC_RELAXED) >> (b & 63)) & 1))
		return false;
	k->f = f;
	k->d = fp_v16_load(dst);
	k->l = l;
	k->hl = hl;
	return true;
}

/* Forward: padding cut, Hop Limit - 1 (RFC 8200 §3), the Ethernet header
 * (bytes 14-15, version and traffic class, as they were), the egress port */
static __rte_always_inline void fp6_rewrite(const struct ip6_fp_hot *h, struct rte_mbuf *m,
					    const struct fp6_pkt *k)
{
	m->data_len = (uint16_t)k->l;
	m->pkt_len = k->l;
	k->f[ETH_HLEN + 7] = (uint8_t)((k->hl >> 8) - 1);
#if FP_SSE
	uint16_t b14;
	memcpy(&b14, k->f + 14, 2);
	_mm_storeu_si128((__m128i *)k->f, _mm_insert_epi16(h->hdr, b14, 7));
#else
	memcpy(k->f, &h->hdr, ETH_HLEN);
#endif
	m->port = h->out_iface;
}

/* true when the destination is in the memo's leaf */
static __rte_always_inline bool fp6_dst_memo(const struct ip6_fp_hot *h, fp_v16 d)
{
	return fp_v16_eq_maskv(d, h->dkey, h->dmask);
}

/* A frame the hot loop stopped at, with the next-hop memo changed as it
 * needs: true when it was forwarded, false when it is left untouched. */
static __rte_noinline bool fp6_frame_full(struct ip6_fp *s, struct rte_mbuf *m)
{
	struct fp6_pkt k;
	if (!fp6_check(&s->h, m, &k))
		return false;
	if (!fp6_dst_memo(&s->h, k.d) || s->h.max_l == 0)
		fp6_route_switch(s, k.f + ETH_HLEN + 24);
	if (k.l > s->h.max_l)
		return false;
	fp6_rewrite(&s->h, m, &k);
	return true;
}

static __rte_always_inline bool fp6_hot_frame(const struct ip6_fp_hot *h, struct rte_mbuf **p,
					      bool pf)
{
	struct rte_mbuf *m = *p;
	if (pf)
		rte_prefetch0(rte_pktmbuf_mtod(p[FP6_PREFETCH], void *));
	struct fp6_pkt k;
	if (unlikely(!fp6_check(h, m, &k)))
		return false;
	if (unlikely(!fp6_dst_memo(h, k.d) || k.l > h->max_l))
		return false;
	fp6_rewrite(h, m, &k);
	return true;
}

/* Two frames a round, as ip4_fastpath's fp_run */
static __rte_always_inline struct rte_mbuf **fp6_hot_run(const struct ip6_fp_hot *h,
							 struct rte_mbuf **p,
							 struct rte_mbuf **lim, bool pf)
{
	for (; lim - p >= 2; p += 2) {
		if (unlikely(!fp6_hot_frame(h, p, pf)))
			return p;
		if (unlikely(!fp6_hot_frame(h, p + 1, pf)))
			return p + 1;
	}
	if (p < lim && fp6_hot_frame(h, p, pf))
		p++;
	return p;
}

struct rte_mbuf **ip6_fp_run(struct ip6_fp *s, struct rte_mbuf **p, struct rte_mbuf **end,
			     struct rte_mbuf **lim, uint16_t in)
{
	if (in != s->in_port)
		fp6_in_switch(s, in);
	if (!s->in_ok)
		return p;
	struct ip6_fp_hot h = s->h;
	for (;;) {
		if (p < lim)
			p = fp6_hot_run(&h, p, lim, true);
		if (p >= lim)
			p = fp6_hot_run(&h, p, end, false);
		if (p == end || !fp6_frame_full(s, *p))
			return p;
		h = s->h;
		p++;
	}
}

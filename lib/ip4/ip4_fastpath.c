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
 * IPv6 frames are dispatched on their Ethertype where the IPv4 loop stops
 * at one: the run of IPv6 frames from there goes through the IPv6 fast
 * path (ip6/ip6_fastpath.c, its own hot loop and memos) until a frame that
 * is not IPv6, so a vector of IPv6 frames fails no IPv4 check but its
 * first frame's, and shares this node's transmit of a vector to one link.
 *
 * Every other frame goes to eth_input untouched (nothing is written before
 * the decision), so it meets exactly the checks, drop counters and ICMP
 * errors it always did. For the frames it takes, the result is the general
 * path's bit for bit: padding cut, TTL - 1 with the RFC 1624 checksum
 * update, the neighbour's MAC and ours, m->port (tests/unit/dp/
 * test_fastpath.c feeds the same frames through both and compares).
 *
 * Cost (callgrind, 64-byte frames): about 62 instructions a frame in this
 * node, where the general path's four nodes spend about 200. The ingress
 * link of port_rx's frames comes from its runs (eth/rx_runs.h: one per
 * RX queue polled), not from each mbuf. The hot loop (fp_run) holds only what every frame needs in registers, the memos of
 * the ingress link and of the next hop with its neighbour (struct
 * fp_hot), and stops at the first frame that needs more: another ingress
 * link, another FIB entry, or any check failed. That frame takes
 * fp_frame_full (out of line), which changes the memos as needed and
 * either forwards it or leaves it to the general path, and the hot loop
 * goes on after it. With the memo changes and their calls out of the
 * loop, the compiler no longer spilled the loop's state (107 instructions
 * a frame before). The headers of the frame four ahead are prefetched
 * (at the default headroom); the loop takes four frames a round; it is
 * made once for links without a checksum verdict from the port (computed,
 * ol_flags not read) and once for links with one (a frame the port calls
 * good; any other stops the loop), chosen per run of port_rx;
 * the Ethernet header and the first IPv4 byte are checked as one 16-byte
 * compare under a mask (SSE4.1) and the new Ethernet header is stored as
 * two 8-byte writes; the checksum is verified on three word loads; the
 * special address classes are one table lookup; the FIB entry one tbl24
 * load, compared whole with the memo's (valid, not tbl8, same next hop in
 * one compare). The ingress link, the next hop and its neighbour are thus
 * looked up once per vector, as the general nodes do. A vector taken
 * whole to one link (the common case) is transmitted here, the driver
 * call port_tx would make, so it skips port_tx's walk over the vector and
 * its graph visit; a link impaired on output is left to the general path.
 * The TTL and checksum are updated in the header word already loaded and
 * stored as one. Reads only the published configuration, the FIB and the
 * neighbour words (RCU; no lock, no allocation, no syscall). Writes only
 * the frames and per-worker counters (the graph's own per-node counters,
 * struct ip4_fp_stats).
 */
#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>

#include "arp/neigh_ctl.h"
#include "core/node.h"
#include "eth/fp_v16.h"
#include "eth/rx_runs.h"
#include "ip4/ip4.h"
#include "ip6/ip6.h"
#include "ip6/ip6_fastpath.h"
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

/*
 * The Ethernet header and the first IPv4 byte as one 16-byte compare: our
 * MAC (bytes 0-5), Ethertype IPv4 (12-13), version 4 with IHL 5 (14); the
 * source MAC and the TOS (15) are not looked at.
 */
static const uint8_t fp_hdr_mask[16] __rte_aligned(16) = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0,
};

/*
 * ip4_hdr20_csum_ok (the 20-byte header at h checks out), in a few
 * instructions: the one's complement sum of the header as a 32-bit word
 * (bytes 0-3) and two 64-bit ones (4-11, 12-19), each added from memory
 * with the carry of the one before, the last carry added back (it cannot
 * carry again: the first add carries only with a sum below 2^32). The sum
 * folds to 0xffff exactly when it is a non-zero multiple of 0xffff (2^16
 * is 1 modulo 0xffff); non-zero as the header's first byte is not 0 (0x45
 * is checked first), and a multiple of 0xffff is what the multiply by the
 * inverse of 0xffff modulo 2^64 maps at or below 2^64 / 0xffff.
 */
static inline bool fp_hdr20_csum_ok(const uint8_t *h)
{
#if defined(__x86_64__)
	uint32_t a;
	uint64_t b, c;
	memcpy(&a, h, 4);
	memcpy(&b, h + 4, 8);
	memcpy(&c, h + 12, 8);
	/* the constants from memory: as immediates they took a register
	 * (or two loads of one) in every round of the loop */
	static const uint64_t inv = 0xfffefffefffeffffull, lim = 0x0001000100010001ull;
	uint64_t s = a;
	bool bad;
	__asm__("addq %[b], %[s]\n\t"
		"adcq %[c], %[s]\n\t"
		"adcq $0, %[s]\n\t"
		"imulq %[inv], %[s]\n\t"
		"cmpq %[lim], %[s]"
		: [s] "+r"(s), "=@cca"(bad)
		: [b] "rm"(b), [c] "rm"(c), [inv] "m"(inv), [lim] "m"(lim));
	return !bad;
#else
	return ip4_hdr20_csum_ok(h);
#endif
}

/* The ingress link, as the fast path needs it: the first 16 bytes a frame
 * the fast path takes has (under fp_hdr_mask), and whether the port gives
 * a checksum verdict. */
struct fp_in {
	fp_v16 key;
	bool rx_csum;
	bool ok; /* false: the link takes no fast path (down, not forwarding,
		  * a multicast MAC): every frame of it goes the general way */
};

/* Both memos are returned by value: the loop keeps its copies in
 * registers (a memo written through a pointer lived on the stack and was
 * reloaded for every frame). */
static __rte_noinline struct fp_in fp_in_memo(const struct rs_cfg *c, uint16_t iface)
{
	struct fp_in o;
	memset(&o, 0, sizeof(o));
	if (iface >= RS_MAX_IFACES)
		return o;
	const struct rs_iface *ifc = &c->ifaces[iface];
	uint8_t k[16] = { 0 };
	memcpy(k, ifc->mac.addr_bytes, 6);
	k[12] = 0x08; /* ETH_P_IP, network order */
	k[13] = 0x00;
	k[14] = 0x45;
	o.key = fp_v16_load(k);
	o.rx_csum = ifc->rx_ip4_csum;
	/* as eth_input's fast path, and forwarding on (ip4_input) */
	o.ok = ifc->up && ifc->forwarding && !eth_is_mcast(ifc->mac.addr_bytes);
	return o;
}

/* true when the frame's first 16 bytes are key's under fp_hdr_mask */
static inline bool fp_hdr_match(fp_v16 x, fp_v16 key)
{
#if FP_SSE
	return _mm_testz_si128(_mm_xor_si128(x, key), _mm_load_si128((const __m128i *)fp_hdr_mask));
#else
	uint64_t mlo, mhi;
	memcpy(&mlo, fp_hdr_mask, 8);
	memcpy(&mhi, fp_hdr_mask + 8, 8);
	return (((x.lo ^ key.lo) & mlo) | ((x.hi ^ key.hi) & mhi)) == 0;
#endif
}

/*
 * A next hop with its neighbour, as the fast path needs them. max_len 0
 * (which every datagram exceeds) when the fast path cannot take it. For a
 * gateway the neighbour is the next hop's own; on-link (gw 0) it is the
 * destination's, looked up here for nb_ip and again when another
 * destination comes.
 */
struct fp_nh {
	fp_v16 hdr;       /* Ethernet header, bytes 14-15 unused */
	uint32_t max_len; /* the egress MTU */
	uint32_t nb_ip;   /* the neighbour the header is for */
	bool onlink;
	uint16_t out_iface;
};

static __rte_noinline struct fp_nh fp_nh_memo(const struct rs_cfg *c, uint32_t nhi, uint32_t dst)
{
	struct fp_nh o;
	memset(&o, 0, sizeof(o));
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
	uint8_t hdr[16] = { 0 }, dmac[6];
	neigh_word_mac(word, dmac);
	eth_write(hdr, dmac, out->mac.addr_bytes, ETH_P_IP);
	o.hdr = fp_v16_load(hdr);
	o.max_len = out->mtu;
	return o;
}

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "ip4_fastpath reads header words as little-endian"
#endif

/* The bits of a DIR-24-8 entry the next-hop memo is keyed on (not the
 * prefix length: routes of any length to one next hop share the memo). */
#define FP_E_MASK (D24_VALID | D24_EXT | D24_VAL_MASK)
/* A key no masked entry equals. */
#define FP_E_NONE 0xffffffffu

/*
 * What the loop over a vector needs from frame to frame: the memos of the
 * ingress link and of the next hop (a vector comes from one queue, and
 * mostly goes one way). The hot loop (fp_run) holds a copy in registers
 * and stops at the first frame that needs anything else.
 */
struct fp_hot {
	fp_v16 key;       /* the ingress link's, fp_in.key */
	fp_v16 hdr;       /* the next hop's Ethernet header */
	fp_v16 hdr6;      /* the same from byte 6 on (bytes 6-13 first) */
	const uint8_t *bloom;
	const uint32_t *tbl24;
	/* the masked FIB entry the next-hop memo is for; FP_E_NONE for an
	 * on-link memo, which holds for one destination only (and before
	 * the first) */
	uint32_t e_key;
	/* the longest frame the egress link takes (its MTU + the Ethernet
	 * header); 0 when the next hop takes no fast path */
	uint32_t max_l;
	uint16_t in_port; /* 0xffff: none (the next frame looks its link up) */
	uint16_t out_iface;
	bool rx_csum;
};

/* The whole state, for the step that changes the memos (fp_frame_full). */
struct fp_loop {
	struct fp_hot h;
	const struct rs_cfg *c;
	uint32_t nhi_memo;
	uint32_t nb_ip;   /* the neighbour the next-hop memo is for */
	bool onlink;
	/* the egress link of the frames taken, while there is only one
	 * (checked only when the next-hop memo changes) */
	int32_t tx_port;
	bool tx_mixed;
	/* the IPv6 frames: how many their fast path took, and its state
	 * (begun at the vector's first IPv6 frame: an IPv4 vector neither
	 * zeroes nor sets it up) */
	uint16_t nfast6;
	bool s6_on;
	struct ip6_fp *s6;
};

/* A frame from a link other than the last one: its link's memo. False when
 * the link takes no fast path (then in_port stays "none", so the next frame
 * looks again). */
static __rte_always_inline bool fp_in_switch(struct fp_loop *s, uint16_t port)
{
	struct fp_in in = fp_in_memo(s->c, port);
	s->h.key = in.key;
	s->h.rx_csum = in.rx_csum;
	s->h.in_port = in.ok ? port : 0xffff;
	return in.ok;
}

/* The FIB entry e (masked) is not the memo's: a tbl8 entry, no route, or
 * another next hop. True when the frame may go on with the memo. */
static __rte_always_inline bool fp_route_switch(struct fp_loop *s, uint32_t e, uint32_t dst)
{
	if (e & D24_EXT)
		e = dir24_tbl8[((e & D24_VAL_MASK) << 8) | (dst & 0xff)] & FP_E_MASK;
	if (!(e & D24_VALID))
		return false; /* no route: the general path's ICMP error */
	if (e == s->h.e_key)
		return true; /* a tbl8 entry for the memo's next hop */
	uint32_t nhi = e & D24_VAL_MASK;
	if (s->onlink && nhi == s->nhi_memo && dst == s->nb_ip)
		return true;
	s->nhi_memo = nhi;
	struct fp_nh nh = fp_nh_memo(s->c, nhi, dst);
	s->onlink = nh.onlink;
	s->nb_ip = nh.nb_ip;
	s->h.hdr = nh.hdr;
#if FP_SSE
	s->h.hdr6 = _mm_srli_si128(nh.hdr, 6);
#endif
	s->h.max_l = nh.max_len ? nh.max_len + ETH_HLEN : 0;
	s->h.out_iface = nh.out_iface;
	/* an on-link memo holds for one destination: checked above */
	s->h.e_key = nh.onlink ? FP_E_NONE : e;
	if (nh.max_len != 0) {
		if (s->tx_port < 0)
			s->tx_port = nh.out_iface;
		else if (s->tx_port != nh.out_iface)
			s->tx_mixed = true;
	}
	return true;
}

/* What the checks read from a frame, for the rewrite. */
struct fp_pkt {
	uint8_t *f;
	fp_v16 x;      /* bytes 0-15 */
	uint32_t l;    /* the frame's length by the IPv4 total length */
	uint32_t ttl4; /* TTL, protocol, checksum as they lie in the frame */
	uint32_t dst;  /* host order */
};

/*
 * How fp_check takes the header checksum. FP_FULL: as ip4_input, the
 * port's verdict when the link gives one (h->rx_csum), else computed. The
 * hot loop is made for one kind of link at a time and stops at any frame
 * it cannot decide alone (fp_frame_full, FP_FULL, then does): FP_HOT_SW,
 * a link without a verdict, computes it (ol_flags is not read: ip4_input
 * does not either); FP_HOT_HW, a link with one, takes only a frame the
 * port calls good, and computes nothing.
 */
enum fp_csum { FP_FULL, FP_HOT_SW, FP_HOT_HW };

/*
 * The checks that need no memo but the ingress link's (the frame came in
 * on h->in_port), reading only. One segment, so pkt_len == data_len; room
 * for both headers.
 */
static __rte_always_inline bool fp_check(const struct fp_hot *h, struct rte_mbuf *m,
					 struct fp_pkt *k, enum fp_csum cs)
{
	uint16_t len = m->data_len;
	if (unlikely(m->nb_segs != 1))
		return false;
	/* The headers are read before the frame is known to hold them
	 * (the length check below covers that too): the data room of an
	 * mbuf is far larger than 34 bytes, and what lies beyond the frame
	 * only decides a frame that the length check then refuses. */
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	/* to our unicast MAC on a fast link, Ethertype IPv4, version 4
	 * with IHL 5 (no options) */
	fp_v16 x = fp_v16_load(f);
	if (unlikely(!fp_hdr_match(x, h->key)))
		return false;
	uint32_t ttl4, w4, src_raw;
	uint16_t tot_raw;
	memcpy(&tot_raw, f + 16, 2); /* total length */
	memcpy(&ttl4, f + 22, 4);    /* TTL, proto, checksum */
	memcpy(&src_raw, f + 26, 4); /* source */
	memcpy(&w4, f + 30, 4);      /* destination */
	/* RFC 1812 §5.2.2: 20 <= total length <= what arrived, and the
	 * frame holds both headers (len >= 34): tot - 20 <= len - 34, as
	 * signed 64-bit values (tot < 20 wraps to 2^32 - x, len < 34 makes
	 * the right side negative): one compare for the three */
	uint32_t tot = __builtin_bswap16(tot_raw); /* not DPDK's asm: the compiler sees it */
	if (unlikely((int64_t)(uint32_t)(tot - IP4_HLEN) > (int64_t)len - (ETH_HLEN + IP4_HLEN)))
		return false;
	/* header checksum (enum fp_csum) */
	if (cs == FP_HOT_HW) {
		if (unlikely((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) !=
			     RTE_MBUF_F_RX_IP_CKSUM_GOOD))
			return false;
	} else if (cs == FP_FULL && unlikely(h->rx_csum)) {
		uint64_t ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
		if (ck == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
		    (ck != RTE_MBUF_F_RX_IP_CKSUM_GOOD && !ip4_hdr20_csum_ok(f + ETH_HLEN)))
			return false;
	} else {
		if (unlikely(!fp_hdr20_csum_ok(f + ETH_HLEN)))
			return false;
	}
	/* martians, multicast, broadcast, link-local: one table, indexed
	 * by the first octet as it lies in the frame */
	if (unlikely((fp_octet[(uint8_t)src_raw] | fp_octet[(uint8_t)w4]) &&
		     !fp_addrs_ok(rte_be_to_cpu_32(src_raw), rte_be_to_cpu_32(w4))))
		return false;
	/* a source that may be ours or a broadcast of ours (the Bloom
	 * filter hashes the address as it lies in the frame); TTL */
	if (unlikely(h->bloom[rs_local_bloom_hash_be(src_raw)] || (uint8_t)ttl4 <= 1))
		return false;
	k->f = f;
	k->x = x;
	uint32_t l = tot + ETH_HLEN;
	/* opaque to the compiler, which otherwise derived the 16-bit
	 * data_len again from a spilled copy of tot */
	__asm__("" : "+r"(l));
	k->l = l;
	k->ttl4 = ttl4;
	k->dst = rte_be_to_cpu_32(w4);
	return true;
}

/* The FIB entry of a destination, masked (FP_E_MASK) */
static __rte_always_inline uint32_t fp_entry(const struct fp_hot *h, uint32_t dst)
{
	return h->tbl24[dst >> 8] & FP_E_MASK;
}

/* Forward: padding cut, RFC 1812 §5.3.1 + RFC 1624 eqn. 3 TTL - 1 with
 * the checksum adjusted, the Ethernet header, the egress port */
static __rte_always_inline void fp_rewrite(const struct fp_hot *h, struct rte_mbuf *m,
					   const struct fp_pkt *k)
{
	m->data_len = (uint16_t)k->l;
	m->pkt_len = k->l;
	/* ip4_ttl_dec on the word already loaded (TTL, protocol, checksum as
	 * they lie in the frame): the TTL (above 1) less one; the checksum
	 * as RFC 1624 eqn. 3 makes it, ~(~HC + ~m + m'), which for this
	 * change is the checksum as it lies in the frame plus one, plus one
	 * more when that reaches 0xffff (all 65536 values checked against
	 * ip4_ttl_dec): the word - 1 + 0x10000, and 0x10000 more for a
	 * checksum field of 0xfffe or 0xffff */
	uint32_t n = k->ttl4 + 0xffffu;
	if (unlikely(k->ttl4 >= 0xfffe0000u))
		n += 0x10000u;
	memcpy(k->f + ETH_HLEN + 8, &n, 4);
#if FP_SSE
	/* the 14 bytes of the header as two 8-byte stores (bytes 0-7 and
	 * 6-13; 6-7 twice, the same), bytes 14-15 (version/IHL, TOS) as they
	 * were */
	_mm_storel_epi64((__m128i *)k->f, h->hdr);
	_mm_storel_epi64((__m128i *)(k->f + 6), h->hdr6);
#else
	memcpy(k->f, &h->hdr, 14);
#endif
	m->port = h->out_iface;
}

/* One frame the hot loop stopped at, with the memos changed as it needs
 * (another ingress link, another next hop): true when it was forwarded,
 * false when it is left untouched for the general path. */
static __rte_noinline bool fp_frame_full(struct fp_loop *s, struct rte_mbuf *m, uint16_t in)
{
	/* in: the ingress link (link index == port id) */
	if (in != s->h.in_port && !fp_in_switch(s, in))
		return false;
	struct fp_pkt k;
	if (!fp_check(&s->h, m, &k, FP_FULL))
		return false;
	uint32_t e = fp_entry(&s->h, k.dst);
	if (e != s->h.e_key && !fp_route_switch(s, e, k.dst))
		return false;
	if (k.l > s->h.max_l)
		return false;
	fp_rewrite(&s->h, m, &k);
	return true;
}

/* How far ahead the headers are prefetched (the frame's mbuf was written
 * by the driver just now, its data maybe not). */
#define FP_PREFETCH 4

/*
 * The hot loop: forwards pkts[i..lim) while each frame passes with the
 * memos as they are (the same checks and rewrite as fp_frame_full), and
 * returns the index of the first frame that does not (lim when all did).
 * With pf, prefetches FP_PREFETCH frames ahead (lim leaves room for it).
 */
static __rte_always_inline bool fp_hot_frame(const struct fp_hot *h, struct rte_mbuf **p, bool pf,
					     enum fp_csum cs)
{
	struct rte_mbuf *m = *p;
	/* a hint: where a driver puts a frame (the default headroom), one
	 * load less than rte_pktmbuf_mtod's (a frame put elsewhere is read
	 * from memory when its turn comes, as without the prefetch) */
	if (pf)
		rte_prefetch0((uint8_t *)p[FP_PREFETCH]->buf_addr + RTE_PKTMBUF_HEADROOM);
	struct fp_pkt k;
	if (unlikely(!fp_check(h, m, &k, cs)))
		return false;
	if (unlikely(fp_entry(h, k.dst) != h->e_key || k.l > h->max_l))
		return false;
	fp_rewrite(h, m, &k);
	return true;
}

/* Four frames a round: the loop's own count, compare and branch once for
 * the four. */
static __rte_always_inline struct rte_mbuf **fp_run(const struct fp_hot *h, struct rte_mbuf **p,
						     struct rte_mbuf **lim, bool pf, enum fp_csum cs)
{
	for (; lim - p >= 4; p += 4) {
		if (unlikely(!fp_hot_frame(h, p, pf, cs)))
			return p;
		if (unlikely(!fp_hot_frame(h, p + 1, pf, cs)))
			return p + 1;
		if (unlikely(!fp_hot_frame(h, p + 2, pf, cs)))
			return p + 2;
		if (unlikely(!fp_hot_frame(h, p + 3, pf, cs)))
			return p + 3;
	}
	for (; p < lim; p++)
		if (!fp_hot_frame(h, p, pf, cs))
			break;
	return p;
}

/* A frame for the general path, in on link in: the input state port_rx
 * would have set (rs_priv; m->port is left as it was).
 * The edges are recorded only for a vector that splits: the first slow
 * frame marks every frame E_TX, this one E_SLOW. Returns the new count of
 * slow frames. */
static __rte_noinline uint16_t fp_slow(struct rte_mbuf *m, uint16_t in, rte_edge_t *nexts,
				       uint16_t nb, uint16_t i, uint16_t nslow)
{
	struct rs_priv *p = rs_priv(m);
	p->iface = in;
	p->flags = 0;
	if (nslow == 0)
		rs_edges_fill(nexts, nb, E_TX);
	nexts[i] = E_SLOW;
	return (uint16_t)(nslow + 1);
}

/* true when the frame's Ethertype is IPv6 (bytes 12-13; read whatever
 * the frame's length, as fp_check reads 16 bytes: this only chooses
 * which fast path looks at the frame, and both check it whole) */
static __rte_always_inline bool fp_is_ip6(struct rte_mbuf *m)
{
	uint16_t t;
	memcpy(&t, rte_pktmbuf_mtod_offset(m, const uint8_t *, 12), 2);
	return t == 0xdd86; /* ETH_P_IPV6 as it lies in the frame */
}

/*
 * The dispatch on the Ethertype: from p, an IPv6 frame, the IPv6 frames
 * before end that came in on link in through the IPv6 fast path
 * (ip6/ip6_fastpath.c), each it does not take to the general path.
 * Returns the first frame that is not IPv6 (end when none is); *nslow as
 * fp_slow's.
 */
static __rte_noinline struct rte_mbuf **fp_ip6(struct fp_loop *s, struct rte_mbuf **pkts,
					       uint16_t nb, struct rte_mbuf **p,
					       struct rte_mbuf **end, uint16_t in,
					       rte_edge_t *nexts, uint16_t *nslow)
{
	struct rte_mbuf **const lim =
		RTE_MIN(end, nb > FP6_PREFETCH ? pkts + nb - FP6_PREFETCH : pkts);
	if (!s->s6_on) {
		ip6_fp_begin(s->s6, s->c);
		s->s6_on = true;
	}
	do {
		struct rte_mbuf **q = ip6_fp_run(s->s6, p, end, lim, in);
		s->nfast6 = (uint16_t)(s->nfast6 + (q - p));
		p = q;
		if (p == end || !fp_is_ip6(*p))
			break;
		*nslow = fp_slow(*p, in, nexts, nb, (uint16_t)(p - pkts), *nslow);
		p++;
	} while (p < end && fp_is_ip6(*p));
	return p;
}

/* A frame outside port_rx's runs, in on link in: either fast path, or
 * the general one. */
static __rte_noinline uint16_t fp_one(struct fp_loop *s, struct rte_mbuf **pkts, uint16_t nb,
				      uint16_t i, uint16_t in, rte_edge_t *nexts, uint16_t nslow)
{
	if (fp_is_ip6(pkts[i])) {
		fp_ip6(s, pkts, nb, &pkts[i], &pkts[i + 1], in, nexts, &nslow);
		return nslow;
	}
	if (unlikely(!fp_frame_full(s, pkts[i], in)))
		nslow = fp_slow(pkts[i], in, nexts, nb, i, nslow);
	return nslow;
}

/*
 * The frames pkts[i..end) that came in on link in (a run of port_rx),
 * whose memo s holds, with the hot loop made for its kind (cs): the hot
 * loop as far as it goes (with prefetch while lim leaves room for it); the
 * frame it stops at takes the step that changes the memos, or goes to the
 * general path. Returns the new count of frames for the general path.
 */
static __rte_always_inline uint16_t fp_seg_cs(struct fp_loop *s, struct rte_mbuf **pkts,
					      uint16_t nb, uint16_t i, uint16_t end_i, uint16_t in,
					      rte_edge_t *nexts, uint16_t nslow, enum fp_csum cs)
{
	struct rte_mbuf **p = pkts + i, **const end = pkts + end_i;
	struct rte_mbuf **const lim = RTE_MIN(end, nb > FP_PREFETCH ? pkts + nb - FP_PREFETCH : pkts);
	/* the ingress link (in_port, rx_csum) stays the same for the whole
	 * run: fp_frame_full changes only the next-hop memo here */
	struct fp_hot h = s->h;
	for (;;) {
		if (p < lim)
			p = fp_run(&h, p, lim, true, cs);
		if (p >= lim)
			p = fp_run(&h, p, end, false, cs);
		if (p == end)
			break;
		if (fp_is_ip6(*p)) {
			/* IPv6 from here: its own hot loop, up to the next
			 * frame that is not IPv6 (the IPv4 memos stay) */
			p = fp_ip6(s, pkts, nb, p, end, in, nexts, &nslow);
			continue;
		}
		if (unlikely(!fp_frame_full(s, *p, in)))
			nslow = fp_slow(*p, in, nexts, nb, (uint16_t)(p - pkts), nslow);
		h = s->h;
		p++;
	}
	return nslow;
}

/* fp_seg_cs for the ingress link's kind (enum fp_csum): each hot loop is
 * made for one */
static __rte_always_inline uint16_t fp_seg(struct fp_loop *s, struct rte_mbuf **pkts, uint16_t nb,
					   uint16_t i, uint16_t end_i, uint16_t in,
					   rte_edge_t *nexts, uint16_t nslow)
{
	if (in != s->h.in_port && !fp_in_switch(s, in)) {
		/* a link that takes no fast path */
		for (uint16_t j = i; j < end_i; j++)
			nslow = fp_slow(pkts[j], in, nexts, nb, j, nslow);
		return nslow;
	}
	if (unlikely(s->h.rx_csum))
		return fp_seg_cs(s, pkts, nb, i, end_i, in, nexts, nslow, FP_HOT_HW);
	return fp_seg_cs(s, pkts, nb, i, end_i, in, nexts, nslow, FP_HOT_SW);
}

/*
 * The vector's frames through the fast path: those it takes are rewritten
 * for their egress link, the others marked E_SLOW in nexts (filled only
 * once there is one). run[0..nrun): port_rx's runs (eth/rx_runs.h), in
 * vector order; a frame outside them carries its ingress link in m->port
 * and takes fp_frame_full alone. Returns the count of frames for the
 * general path; tx_port is the egress link of all the frames taken, or -1
 * when there is none or more than one. Apart from ip4_fastpath_process
 * (whose variable-length nexts would cost the loop its frame-pointer
 * register).
 */
static __rte_noinline uint16_t fp_vector(const struct rs_cfg *c, struct rte_mbuf **pkts,
					 uint16_t nb, rte_edge_t *nexts, int32_t *tx_port,
					 uint16_t *nfast6, const struct rs_rx_run *run,
					 uint16_t nrun)
{
	uint16_t nslow = 0;
	struct ip6_fp s6; /* ip6_fp_begin'd at the first IPv6 frame */
	struct fp_loop s = {
		.h = {
			.bloom = c->local_bloom,
			.tbl24 = dir24_tbl24,
			.e_key = FP_E_NONE,
			.max_l = 0,
			.in_port = 0xffff,
		},
		.c = c,
		.nhi_memo = FIB4_NH_NONE,
		.tx_port = -1,
		.tx_mixed = false,
		.nfast6 = 0,
		.s6_on = false,
		.s6 = &s6,
	};

	for (uint16_t k = 0; k < FP_PREFETCH && k < nb; k++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[k], void *));

	uint16_t i = 0;
	for (uint16_t r = 0; r < nrun; r++) {
		/* frames before the run: m->port */
		for (; i < run[r].start; i++)
			nslow = fp_one(&s, pkts, nb, i, pkts[i]->port, nexts, nslow);
		nslow = fp_seg(&s, pkts, nb, i, (uint16_t)(i + run[r].count), run[r].port, nexts,
			       nslow);
		i = (uint16_t)(i + run[r].count);
	}
	for (; i < nb; i++)
		nslow = fp_one(&s, pkts, nb, i, pkts[i]->port, nexts, nslow);
	/* one egress link for both families' frames, or -1 */
	*tx_port = s.tx_mixed ? -1 : s.tx_port;
	if (unlikely(s.s6_on) && (s6.tx_mixed || s6.tx_port >= 0)) {
		/* IPv6 frames were taken too: one link for both families */
		if (s.tx_mixed || s6.tx_mixed || (s.tx_port >= 0 && s.tx_port != s6.tx_port))
			*tx_port = -1;
		else
			*tx_port = s6.tx_port;
	}
	*nfast6 = s.nfast6;
	return nslow;
}

static uint16_t ip4_fastpath_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				     uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);
	struct rte_mbuf **pkts = (struct rte_mbuf **)objs;
	rte_edge_t nexts[nb];
	int32_t tx_port;
	/* port_rx's runs, when they are this walk's and describe this
	 * vector (its frames first visit here), then consumed */
	struct rs_rx_runs *rr = &rs_rx_runs[w->idx];
	uint16_t nrun = 0;
	if (likely(rr->walk == w->loops)) {
		nrun = rr->n;
		rr->n = 0;
		/* in order and inside the vector, by construction */
		for (uint16_t r = 0, at = 0; r < nrun; r++) {
			RTE_VERIFY(rr->run[r].start >= at &&
				   rr->run[r].start + rr->run[r].count <= nb);
			at = (uint16_t)(rr->run[r].start + rr->run[r].count);
		}
	}
	uint16_t nfast6;
	uint16_t nslow = fp_vector(w->cfg, pkts, nb, nexts, &tx_port, &nfast6, rr->run, nrun);

	/* per-worker counters, one add per vector: IPv4 forwarded or not
	 * (every frame), IPv6 forwarded or not (every frame IPv4 did not
	 * take: those handed to eth_input are the "not" of both) */
	struct ip4_fp_stats *st = &ip4_fp_stats[w->idx];
	st->fast += (uint64_t)(nb - nslow - nfast6);
	st->slow += (uint64_t)(nslow + nfast6);
	struct ip6_fp_stats *st6 = &ip6_fp_stats[w->idx];
	st6->fast += nfast6;
	st6->slow += nslow;
	if (likely(nslow == 0)) {
		/* the whole vector to one link (the common case): the driver
		 * call here, as port_tx would make it (the memo checked the
		 * link is present, up, not lo, not impaired); what the ring
		 * does not take is dropped and counted as there */
		if (likely(tx_port >= 0)) {
			uint16_t sent = rte_eth_tx_burst((uint16_t)tx_port, w->idx, pkts, nb);
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
		[E_SLOW] = "eth_input",
		[E_TX_FULL] = RS_DROP_NODE(tx_full),
	},
};
RTE_NODE_REGISTER(ip4_fastpath_node);

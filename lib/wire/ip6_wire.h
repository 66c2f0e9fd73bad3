/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv6 checked views (RFC 8200), ICMPv6 (RFC 4443) and Neighbor Discovery
 * (RFC 4861) formats. DPDK-free, same conventions as wire.h: a view is made
 * only by a *_check function that validated every length its accessors
 * rely on.
 */
#ifndef RS_IP6_WIRE_H
#define RS_IP6_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire/wire.h"

#define IP6_HLEN 40
#define IP6_MIN_MTU 1280 /* RFC 8200 §5 */

#define IPPROTO_HOPOPTS_ 0
#define IPPROTO_ROUTING_ 43
#define IPPROTO_FRAGMENT_ 44
#define IPPROTO_ESP_ 50
#define IPPROTO_AH_ 51
#define IPPROTO_ICMPV6_ 58
#define IPPROTO_NONE_ 59
#define IPPROTO_DSTOPTS_ 60

/* ---- the fixed header ---- */
struct ip6_view { const uint8_t *b; uint16_t plen; };

/*
 * RFC 8200 §3: (1) the 40-byte header fits, (2) version 6, (3) payload
 * length <= what follows the header in the buffer. A payload length of 0
 * with a Jumbo Payload option (RFC 2675) is not supported: WIRE_ETOTLEN
 * (unless the buffer holds nothing beyond the header).
 */
static inline int ip6_check(struct ip6_view *v, const void *buf, size_t len)
{
	const uint8_t *b = buf;
	if (len < IP6_HLEN)
		return WIRE_ETRUNC;
	if ((b[0] >> 4) != 6)
		return WIRE_EVERSION;
	uint16_t plen = rs_ld16(b + 4);
	if ((size_t)plen + IP6_HLEN > len)
		return WIRE_ETOTLEN;
	if (plen == 0 && b[6] == IPPROTO_HOPOPTS_)
		return WIRE_ETOTLEN; /* a jumbogram */
	v->b = b;
	v->plen = plen;
	return 0;
}
/* The quoted header of an ICMPv6 error: only the 40 bytes must fit. */
static inline int ip6_check_quote(struct ip6_view *v, const void *buf, size_t len)
{
	const uint8_t *b = buf;
	if (len < IP6_HLEN)
		return WIRE_ETRUNC;
	if ((b[0] >> 4) != 6)
		return WIRE_EVERSION;
	v->b = b;
	v->plen = rs_ld16(b + 4);
	return 0;
}
static inline uint8_t ip6_tclass(const uint8_t *b) { return (uint8_t)((rs_ld16(b) >> 4) & 0xff); }
static inline uint8_t ip6_nexthdr(const uint8_t *b) { return b[6]; }
static inline uint8_t ip6_hop_limit(const uint8_t *b) { return b[7]; }
static inline const uint8_t *ip6_src(const uint8_t *b) { return b + 8; }
static inline const uint8_t *ip6_dst(const uint8_t *b) { return b + 24; }

static inline void ip6_write(uint8_t *b, uint8_t tclass, uint32_t flow, uint16_t plen,
			     uint8_t nh, uint8_t hlim, const uint8_t src[16],
			     const uint8_t dst[16])
{
	rs_st32(b, (uint32_t)6 << 28 | (uint32_t)tclass << 20 | (flow & 0xfffff));
	rs_st16(b + 4, plen);
	b[6] = nh;
	b[7] = hlim;
	memcpy(b + 8, src, 16);
	memcpy(b + 24, dst, 16);
}

/* ---- address predicates (RFC 4291 §2.4), network byte order ---- */
static inline bool ip6_is_mcast(const uint8_t *a) { return a[0] == 0xff; }
static inline bool ip6_is_unspec(const uint8_t *a)
{
	static const uint8_t z[16];
	return memcmp(a, z, 16) == 0;
}
static inline bool ip6_is_loopback(const uint8_t *a)
{
	static const uint8_t lo[16] = { [15] = 1 };
	return memcmp(a, lo, 16) == 0;
}
static inline bool ip6_is_linklocal(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}
/* IPv4-mapped ::ffff:0:0/96: never on the wire (RFC 4291 §2.5.5.2) */
static inline bool ip6_is_v4mapped(const uint8_t *a)
{
	static const uint8_t p[12] = { [10] = 0xff, [11] = 0xff };
	return memcmp(a, p, 12) == 0;
}
/* multicast scope (RFC 4291 §2.7): 1 interface-local, 2 link-local */
static inline uint8_t ip6_mcast_scope(const uint8_t *a) { return a[1] & 0xf; }
static inline bool ip6_is_all_nodes(const uint8_t *a)
{
	static const uint8_t an[16] = { 0xff, 0x02, [15] = 1 };
	return memcmp(a, an, 16) == 0;
}
static inline bool ip6_is_all_routers(const uint8_t *a)
{
	static const uint8_t ar[16] = { 0xff, 0x02, [15] = 2 };
	return memcmp(a, ar, 16) == 0;
}
/* ff02::1:ffXX:XXXX for a (RFC 4291 §2.7.1) */
static inline void ip6_solicited_node(uint8_t out[16], const uint8_t *a)
{
	static const uint8_t p[13] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff };
	memcpy(out, p, 13);
	memcpy(out + 13, a + 13, 3);
}
static inline bool ip6_is_solicited_node(const uint8_t *a)
{
	static const uint8_t p[13] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff };
	return memcmp(a, p, 13) == 0;
}
/* Ethernet address of an IPv6 multicast group (RFC 2464 §7): 33:33 + low 32 bits */
static inline void ip6_mcast_mac(uint8_t mac[6], const uint8_t *a)
{
	mac[0] = 0x33;
	mac[1] = 0x33;
	memcpy(mac + 2, a + 12, 4);
}
static inline bool ip6_prefix_eq(const uint8_t *a, const uint8_t *b, uint8_t plen)
{
	unsigned n = plen / 8, r = plen % 8;
	if (memcmp(a, b, n) != 0)
		return false;
	if (r == 0)
		return true;
	uint8_t m = (uint8_t)(0xff << (8 - r));
	return ((a[n] ^ b[n]) & m) == 0;
}
static inline void ip6_prefix_mask(uint8_t *a, uint8_t plen)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = plen > i * 8 ? plen - i * 8 : 0;
		if (bits < 8)
			a[i] &= (uint8_t)(0xff00 >> bits);
	}
}

/* Pseudo-header sum for upper-layer checksums over IPv6 (RFC 8200 §8.1). */
static inline uint32_t rs_csum_pseudo6(const uint8_t src[16], const uint8_t dst[16], uint8_t proto,
				       uint32_t l4len)
{
	uint32_t s = rs_csum_add(0, src, 16);
	s = rs_csum_add(s, dst, 16);
	uint8_t t[8];
	rs_st32(t, l4len);
	t[4] = t[5] = t[6] = 0;
	t[7] = proto;
	return rs_csum_add(s, t, 8);
}

/* ---- the extension header chain (RFC 8200 §4) ---- */
/* At most this many extension headers are walked; a longer chain is dropped
 * (a bound RFC 8200 leaves open: RFC 7045 allows it, RFC 8504 §5.3
 * recommends one). Linux has none; every real chain is far shorter. */
#define IP6_EXT_MAX 8

enum ip6_ext_verdict {
	IP6X_OK = 0,        /* walked to an upper-layer header (or a fragment header) */
	IP6X_TRUNC,         /* a header runs past the packet: discard silently */
	IP6X_TOO_LONG,      /* more than IP6_EXT_MAX headers: discard silently */
	IP6X_DISCARD,       /* unknown option, action 01: discard silently */
	IP6X_PARAM,         /* send Parameter Problem (code, pointer), discard */
	IP6X_PARAM_UCAST,   /* the same unless the destination is multicast (action 11) */
};

struct ip6_chain {
	uint8_t proto;      /* the next header value that stopped the walk */
	uint16_t off;       /* offset of that header from the IPv6 header */
	uint16_t nh_off;    /* offset of the byte holding proto (6: the fixed header) */
	uint16_t frag_off;  /* offset of a non-atomic fragment header, 0: none */
	uint8_t nhdrs;      /* extension headers walked */
	bool atomic_frag;   /* an atomic fragment header was skipped (RFC 6946) */
	bool router_alert;  /* hop-by-hop Router Alert (RFC 2711) */
	/* IP6X_PARAM*: ICMPv6 Parameter Problem code and pointer (RFC 4443 §3.4) */
	uint8_t code;
	uint32_t pointer;
};

#define ICMP6_PARAM_HEADER 0   /* erroneous header field */
#define ICMP6_PARAM_NEXTHDR 1  /* unrecognized Next Header type */
#define ICMP6_PARAM_OPTION 2   /* unrecognized IPv6 option */

/*
 * Walks the chain of b (len bytes from the IPv6 header, payload length
 * already checked against len). hbh_only: stop after a Hop-by-Hop Options
 * header (what a router examines, RFC 8200 §4); otherwise walk Hop-by-Hop
 * (first only), Destination Options, Routing (segments left 0 is skipped;
 * any other, RH0 included, is an unrecognized type: RFC 5095, RFC 8200 §4.4)
 * and atomic Fragment headers (RFC 6946) up to the first upper-layer header
 * or non-atomic fragment. Options are TLVs whose unknown types are acted on
 * by their two high bits (RFC 8200 §4.2).
 */
enum ip6_ext_verdict ip6_ext_walk(const uint8_t *b, size_t len, bool hbh_only,
				  struct ip6_chain *out);

/* ---- Fragment header (RFC 8200 §4.5) ---- */
#define IP6_FRAG_HLEN 8
static inline uint16_t ip6_frag_offset(const uint8_t *fh) { return rs_ld16(fh + 2) & 0xfff8; }
static inline bool ip6_frag_more(const uint8_t *fh) { return fh[3] & 1; }
static inline uint32_t ip6_frag_id(const uint8_t *fh) { return rs_ld32(fh + 4); }

/* ---- ICMPv6 (RFC 4443) ---- */
#define ICMP6_HLEN 8
#define ICMP6_DST_UNREACH 1
#define ICMP6_PKT_TOO_BIG 2
#define ICMP6_TIME_EXCEEDED 3
#define ICMP6_PARAM_PROB 4
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ICMP6_MLD_QUERY 130
#define ICMP6_MLD_REPORT 131
#define ICMP6_MLD_DONE 132
#define ND_ROUTER_SOLICIT 133
#define ND_ROUTER_ADVERT 134
#define ND_NEIGHBOR_SOLICIT 135
#define ND_NEIGHBOR_ADVERT 136
#define ND_REDIRECT 137
#define ND_REDIRECT_LEN 40 /* type to destination address (RFC 4861 §4.5) */
#define ICMP6_MLD2_REPORT 143
/* MLDv2 multicast address record types (RFC 3810 §5.2.12) */
#define MLD2_MODE_IS_INCLUDE 1
#define MLD2_MODE_IS_EXCLUDE 2
#define MLD2_CHANGE_TO_INCLUDE 3
#define MLD2_CHANGE_TO_EXCLUDE 4

#define ICMP6_UNREACH_NOROUTE 0
#define ICMP6_UNREACH_ADMIN 1
#define ICMP6_UNREACH_ADDR 3
#define ICMP6_UNREACH_PORT 4
#define ICMP6_UNREACH_REJECT 6
#define ICMP6_TIMEX_HOPS 0
#define ICMP6_TIMEX_REASS 1

/* RFC 4443 §2.1: types 0-127 are errors */
static inline bool icmp6_type_is_error(uint8_t t) { return t < 128; }

/* ---- Neighbor Discovery (RFC 4861 §4.3, §4.4, §4.6) ---- */
#define ND_NS_LEN 24 /* type..target */
#define ND_NA_LEN 24
#define ND_OPT_SRC_LLADDR 1
#define ND_OPT_TGT_LLADDR 2
#define ND_OPT_PREFIX_INFO 3
#define ND_OPT_REDIRECTED 4
#define ND_OPT_MTU 5
#define ND_OPT_RDNSS 25
#define ND_NA_ROUTER 0x80
#define ND_NA_SOLICITED 0x40
#define ND_NA_OVERRIDE 0x20

struct nd_view {
	const uint8_t *b;    /* the ICMPv6 header */
	uint16_t len;        /* ICMPv6 message length */
	const uint8_t *lladdr; /* the source/target link-layer address option (6 bytes), or NULL */
};

/*
 * NS or NA (the type byte says which): at least 24 bytes, every option's
 * length non-zero and within the message (RFC 4861 §7.1.1, §7.1.2); the
 * Source (NS) or Target (NA) Link-Layer Address option, when present for
 * Ethernet (length 1), is located. Returns 0 or WIRE_ETRUNC/WIRE_EFORMAT.
 */
static inline int nd_check(struct nd_view *v, const uint8_t *b, size_t len)
{
	if (len < ND_NS_LEN)
		return WIRE_ETRUNC;
	if (len > 0xffff)
		return WIRE_EFORMAT;
	uint8_t want = b[0] == ND_NEIGHBOR_SOLICIT ? ND_OPT_SRC_LLADDR : ND_OPT_TGT_LLADDR;
	v->b = b;
	v->len = (uint16_t)len;
	v->lladdr = NULL;
	for (size_t i = ND_NS_LEN; i < len;) {
		if (i + 2 > len)
			return WIRE_EFORMAT;
		size_t olen = (size_t)b[i + 1] * 8;
		if (olen == 0 || i + olen > len)
			return WIRE_EFORMAT;
		if (b[i] == want && olen == 8)
			v->lladdr = b + i + 2;
		i += olen;
	}
	return 0;
}
static inline const uint8_t *nd_target(const struct nd_view *v) { return v->b + 8; }
static inline uint8_t nd_na_flags(const struct nd_view *v) { return v->b[4]; }

/* ---- MLD queries (RFC 3810 §5.1; MLDv1, RFC 2710 §3) ---- */

#define MLD1_QUERY_LEN 24
#define MLD2_QUERY_LEN 28

struct mld_query_view {
	const uint8_t *b;
	bool v2;
	uint16_t nsrc;      /* MLDv2: sources listed (all within the message) */
};

/*
 * A Multicast Listener Query of len bytes at b (the ICMPv6 message):
 * exactly 24 bytes is MLDv1 (RFC 3810 §8.1), at least 28 with every
 * listed source inside is MLDv2; anything else is not a query we answer
 * (§8.1: "other lengths ... MUST be silently ignored"). 0 or
 * WIRE_ETRUNC / WIRE_EFORMAT.
 */
static inline int mld_query_check(struct mld_query_view *v, const uint8_t *b, size_t len)
{
	if (len < MLD1_QUERY_LEN)
		return WIRE_ETRUNC;
	v->b = b;
	v->v2 = len != MLD1_QUERY_LEN;
	v->nsrc = 0;
	if (!v->v2)
		return 0;
	if (len < MLD2_QUERY_LEN)
		return WIRE_EFORMAT;
	uint16_t n = (uint16_t)(b[26] << 8 | b[27]);
	if ((size_t)MLD2_QUERY_LEN + (size_t)n * 16 > len)
		return WIRE_EFORMAT;
	v->nsrc = n;
	return 0;
}
/* The queried group: :: for a general query. */
static inline const uint8_t *mld_query_group(const struct mld_query_view *v) { return v->b + 8; }

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checked header views (the smoltcp pattern, in C). A view is made only by a
 * *_check(buf, len) function that validates every length its accessors rely
 * on; accessors then read fixed offsets with big-endian loads. Nothing reads
 * a header field before its length is checked. DPDK-free.
 *
 * Return convention of *_check: 0, or a negative WIRE_E* code naming the
 * defect; the datapath maps each code to a named drop counter.
 */
#ifndef RS_WIRE_H
#define RS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/rs_bytes.h"
#include "util/rs_csum.h"

#if defined(__x86_64__)
#include <immintrin.h> /* _addcarry_u64 */
#endif

enum wire_err {
	WIRE_OK = 0,
	WIRE_ETRUNC = -1,     /* buffer shorter than the header */
	WIRE_EVERSION = -2,   /* IP version field wrong */
	WIRE_EHDRLEN = -3,    /* header length field below minimum or beyond buffer */
	WIRE_ETOTLEN = -4,    /* total/datagram length below header or beyond buffer */
	WIRE_EFORMAT = -5,    /* fixed fields (ARP htype/ptype/hlen/plen/op) wrong */
	WIRE_EOPTIONS = -6,   /* IPv4 options malformed */
};

/* ---- Ethernet II (IEEE 802.3 / RFC 894) ---- */
#define ETH_HLEN 14
#define ETH_ALEN 6
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_VLAN 0x8100
#define ETH_P_QINQ 0x88a8
#define ETH_P_IPV6 0x86dd

struct eth_view { const uint8_t *b; };
static inline int eth_check(struct eth_view *v, const void *buf, size_t len)
{
	if (len < ETH_HLEN)
		return WIRE_ETRUNC;
	v->b = buf;
	return 0;
}
static inline const uint8_t *eth_dst(const struct eth_view *v) { return v->b; }
static inline const uint8_t *eth_src(const struct eth_view *v) { return v->b + 6; }
static inline uint16_t eth_type(const struct eth_view *v) { return rs_ld16(v->b + 12); }
static inline bool eth_is_bcast(const uint8_t *a)
{
	return (a[0] & a[1] & a[2] & a[3] & a[4] & a[5]) == 0xff;
}
static inline bool eth_is_mcast(const uint8_t *a) { return a[0] & 1; }
static inline bool eth_addr_eq(const uint8_t *a, const uint8_t *b)
{
	uint32_t a0, b0;
	uint16_t a1, b1;
	memcpy(&a0, a, 4);
	memcpy(&b0, b, 4);
	memcpy(&a1, a + 4, 2);
	memcpy(&b1, b + 4, 2);
	return ((a0 ^ b0) | (uint32_t)(a1 ^ b1)) == 0;
}
static inline void eth_write(uint8_t *b, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memcpy(b, dst, 6);
	memcpy(b + 6, src, 6);
	rs_st16(b + 12, type);
}

/*
 * Fast-path helpers: a 6-byte MAC as a 64-bit key, so one load and one
 * compare test a frame's destination. The key is the 8 bytes from the
 * address on, shifted so that only the 6 address bytes remain (the low 16
 * bits of a key are always 0). The frame must hold at least 8 bytes
 * (eth_check's 14 do).
 */
static inline uint64_t eth_dst_key(const uint8_t *frame)
{
	uint64_t k;
	memcpy(&k, frame, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return k << 16;
#else
	return k >> 16 << 16;
#endif
}
static inline uint64_t eth_addr_key(const uint8_t a[6])
{
	uint8_t t[8] = { 0 };
	memcpy(t, a, 6);
	return eth_dst_key(t);
}
/* A value no eth_dst_key() takes (its low 16 bits are never all 0). */
#define ETH_KEY_NONE ((uint64_t)1)
/* Ethertype as it lies in the frame (network order), for a compare with a
 * constant made by eth_type_raw(ETH_P_*). */
static inline uint16_t eth_type_raw(uint16_t type)
{
	const uint8_t b[2] = { (uint8_t)(type >> 8), (uint8_t)type };
	uint16_t r;
	memcpy(&r, b, 2);
	return r;
}
static inline uint16_t eth_type_raw_at(const uint8_t *frame)
{
	uint16_t r;
	memcpy(&r, frame + 12, 2);
	return r;
}

/* ---- ARP for IPv4 over Ethernet (RFC 826) ---- */
#define ARP_LEN 28
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

struct arp_view { const uint8_t *b; };
/* Accepts only htype 1 (Ethernet), ptype 0x0800, hlen 6, plen 4, op 1 or 2. */
static inline int arp_check(struct arp_view *v, const void *buf, size_t len)
{
	const uint8_t *b = buf;
	if (len < ARP_LEN)
		return WIRE_ETRUNC;
	if (rs_ld16(b) != 1 || rs_ld16(b + 2) != ETH_P_IP || b[4] != 6 || b[5] != 4)
		return WIRE_EFORMAT;
	uint16_t op = rs_ld16(b + 6);
	if (op != ARP_OP_REQUEST && op != ARP_OP_REPLY)
		return WIRE_EFORMAT;
	v->b = b;
	return 0;
}
static inline uint16_t arp_op(const struct arp_view *v) { return rs_ld16(v->b + 6); }
static inline const uint8_t *arp_sha(const struct arp_view *v) { return v->b + 8; }
static inline uint32_t arp_spa(const struct arp_view *v) { return rs_ld32(v->b + 14); }
static inline const uint8_t *arp_tha(const struct arp_view *v) { return v->b + 18; }
static inline uint32_t arp_tpa(const struct arp_view *v) { return rs_ld32(v->b + 24); }
static inline void arp_write(uint8_t *b, uint16_t op, const uint8_t sha[6], uint32_t spa,
			     const uint8_t tha[6], uint32_t tpa)
{
	rs_st16(b, 1);
	rs_st16(b + 2, ETH_P_IP);
	b[4] = 6;
	b[5] = 4;
	rs_st16(b + 6, op);
	memcpy(b + 8, sha, 6);
	rs_st32(b + 14, spa);
	memcpy(b + 18, tha, 6);
	rs_st32(b + 24, tpa);
}

/* ---- IPv4 (RFC 791) ---- */
#define IP4_HLEN 20
#define IP4_MAX_LEN 65535
#define IP4_DF 0x4000
#define IP4_MF 0x2000
#define IP4_OFFMASK 0x1fff
#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17

struct ip4_view { const uint8_t *b; uint16_t hlen; uint16_t tot_len; };
/* For a header quoted in an ICMP error (RFC 792): the datagram it heads is
 * cut short, so only the header itself must fit in len: (1) at least 20
 * bytes, (3) version 4, (4) IHL >= 5 and the header within len. */
static inline int ip4_check_quote(struct ip4_view *v, const void *buf, size_t len)
{
	const uint8_t *b = buf;
	if (len < IP4_HLEN)
		return WIRE_ETRUNC;
	if ((b[0] >> 4) != 4)
		return WIRE_EVERSION;
	uint16_t hlen = (uint16_t)((b[0] & 0xf) * 4);
	if (hlen < IP4_HLEN || hlen > len)
		return WIRE_EHDRLEN;
	v->b = b;
	v->hlen = hlen;
	v->tot_len = rs_ld16(b + 2);
	return 0;
}
/*
 * RFC 1812 §5.2.2 (1)-(5) minus the checksum (the caller may trust hardware):
 * the checks of ip4_check_quote, then (5) total length >= header length and
 * <= the buffer. Options are walked (RFC 791 §3.1): every option's length is
 * within the header and >= 2, so later code can read them without further
 * checks. v is meaningful only when 0 is returned.
 */
static inline int ip4_check(struct ip4_view *v, const void *buf, size_t len)
{
	int rc = ip4_check_quote(v, buf, len);
	if (rc != 0)
		return rc;
	const uint8_t *b = v->b;
	uint16_t hlen = v->hlen;
	if (v->tot_len < hlen || v->tot_len > len)
		return WIRE_ETOTLEN;
	for (uint16_t i = IP4_HLEN; i < hlen;) {
		uint8_t type = b[i];
		if (type == 0) /* end of option list */
			break;
		if (type == 1) { /* no-operation */
			i++;
			continue;
		}
		if (i + 1 >= hlen)
			return WIRE_EOPTIONS;
		uint8_t olen = b[i + 1];
		if (olen < 2 || i + olen > hlen)
			return WIRE_EOPTIONS;
		i = (uint16_t)(i + olen);
	}
	return 0;
}
static inline uint8_t ip4_tos(const struct ip4_view *v) { return v->b[1]; }
static inline uint16_t ip4_id(const struct ip4_view *v) { return rs_ld16(v->b + 4); }
static inline uint16_t ip4_frag(const struct ip4_view *v) { return rs_ld16(v->b + 6); }
static inline bool ip4_is_fragment(const struct ip4_view *v)
{
	return (ip4_frag(v) & (IP4_MF | IP4_OFFMASK)) != 0;
}
static inline uint8_t ip4_ttl(const struct ip4_view *v) { return v->b[8]; }
static inline uint8_t ip4_proto(const struct ip4_view *v) { return v->b[9]; }
static inline uint16_t ip4_csum_field(const struct ip4_view *v) { return rs_ld16(v->b + 10); }
static inline uint32_t ip4_src(const struct ip4_view *v) { return rs_ld32(v->b + 12); }
static inline uint32_t ip4_dst(const struct ip4_view *v) { return rs_ld32(v->b + 16); }
/* true when the header checksum verifies (RFC 1812 §5.2.2 (2)). */
static inline bool ip4_csum_ok(const struct ip4_view *v)
{
	return rs_csum_hdr_ok(v->b, v->hlen); /* hlen is a multiple of 4 */
}
/*
 * RFC 1812 §5.2.2 (2) for a 20-byte header (IHL 5, no options): the same
 * predicate as rs_csum_hdr_ok(b, 20), without its folds. That one holds
 * exactly when the sum T of the five native 32-bit words is a non-zero
 * multiple of 0xffff: 2^16 and 2^32 are 1 modulo 0xffff, so every fold keeps
 * T modulo 0xffff, and a non-zero sum never folds to 0. Here the header is
 * summed as two 64-bit words and one 32-bit word with end-around carry,
 * which keeps the sum modulo 0xffff too (2^32 and 2^64 are 1 modulo
 * 0xffff); the caller has checked that b[0] is not 0 (any version-4
 * header), so T != 0. (Checked against rs_csum_hdr_ok on edge sums and
 * 300 million random headers.) The caller has checked that 20 bytes are
 * there.
 */
static inline bool ip4_hdr20_csum_ok(const uint8_t *b)
{
	uint64_t w0, w1;
	uint32_t w2;
	memcpy(&w0, b, 8);
	memcpy(&w1, b + 8, 8);
	memcpy(&w2, b + 16, 4);
#if defined(__x86_64__)
	/* one add-with-carry chain: the first carry goes in as a +1, the
	 * second is added at the end (which cannot wrap: the sum is then
	 * below 2^32) */
	unsigned long long r;
	unsigned char c = _addcarry_u64(0, w0, w1, &r);
	c = _addcarry_u64(c, r, w2, &r);
	uint64_t s = r + c;
#else
	uint64_t s = w0 + w1;
	s += s < w1; /* end-around carry; cannot wrap: s <= 2^64 - 2 after one */
	s += w2;
	s += s < w2;
#endif
	/* s % 0xffff == 0, written as the divisibility test for an odd
	 * divisor (Hacker's Delight §10-17): s times the inverse of 0xffff
	 * modulo 2^64 is at most (2^64 - 1) / 0xffff exactly for the
	 * multiples. Compilers do not always pick this form themselves. */
	return s * 0xfffefffefffeffffull <= 0x0001000100010001ull;
}
/*
 * RFC 1812 §5.3.1 TTL decrement with the RFC 1624 eqn. 3 checksum update,
 * for a header whose TTL is at least 1. The TTL leads its 16-bit word m, so
 * m' = m - 0x0100 with no borrow and ~m + m' = 0xfeff exactly: HC' =
 * ~(~HC + 0xfeff), one end-around carry (the sum is below 0x1feff). Done on
 * the field as it lies in memory: the one's complement sum commutes with
 * the byte swap (RFC 1071 §2(B)). Same result, bit for bit, as
 * rs_csum_update16(HC, m, m') (checked exhaustively over HC and TTL).
 */
static inline void ip4_ttl_dec(uint8_t *b)
{
	static const uint8_t k[2] = { 0xfe, 0xff };
	uint16_t raw, kr;
	b[8]--;
	memcpy(&raw, b + 10, 2);
	memcpy(&kr, k, 2);
	uint32_t s = (uint32_t)(raw ^ 0xffffu) + kr; /* ~raw in 16 bits */
	s = (s & 0xffff) + (s >> 16);
	raw = (uint16_t)~s;
	memcpy(b + 10, &raw, 2);
}
/* Writes a 20-byte header (no options) with its checksum. */
static inline void ip4_write(uint8_t *b, uint8_t tos, uint16_t tot_len, uint16_t id,
			     uint16_t frag, uint8_t ttl, uint8_t proto, uint32_t src, uint32_t dst)
{
	b[0] = 0x45;
	b[1] = tos;
	rs_st16(b + 2, tot_len);
	rs_st16(b + 4, id);
	rs_st16(b + 6, frag);
	b[8] = ttl;
	b[9] = proto;
	rs_st16(b + 10, 0);
	rs_st32(b + 12, src);
	rs_st32(b + 16, dst);
	rs_st16(b + 10, rs_csum(b, IP4_HLEN));
}
/* Recomputes the checksum of a header of hlen bytes in place. */
static inline void ip4_set_csum(uint8_t *b, uint16_t hlen)
{
	rs_st16(b + 10, 0);
	rs_st16(b + 10, rs_csum(b, hlen));
}

/* Address classes (host byte order). */
static inline bool ip4_is_mcast(uint32_t a) { return (a >> 28) == 0xe; }
static inline bool ip4_is_bcast_all(uint32_t a) { return a == 0xffffffffu; }
static inline bool ip4_is_loopback(uint32_t a) { return (a >> 24) == 127; }
static inline bool ip4_is_zeronet(uint32_t a) { return (a >> 24) == 0; }
static inline bool ip4_is_class_e(uint32_t a) { return (a >> 28) == 0xf; }
/* RFC 1812 §5.3.7 / RFC 1122 §3.2.1.3: never a valid source address. */
static inline bool ip4_src_is_martian(uint32_t a)
{
	return ip4_is_zeronet(a) || ip4_is_loopback(a) || ip4_is_mcast(a) || ip4_is_class_e(a);
}
/*
 * Fast-path pre-check: true when a's first octet is 0, 127 or 224-255, the
 * only ones for which ip4_src_is_martian, ip4_is_loopback, ip4_is_zeronet,
 * ip4_is_class_e, ip4_is_mcast or ip4_is_bcast_all can hold. When it is
 * false for both addresses of a datagram, none of those checks can fire.
 * A table lookup: cheaper than the three compares.
 */
static inline bool ip4_first_octet_special(uint32_t a)
{
#define X16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
	static const uint8_t special[256] = {
		1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0: "this" network */
		X16(0), X16(0), X16(0), X16(0), X16(0), X16(0),
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,  /* 127: loopback */
		X16(0), X16(0), X16(0), X16(0), X16(0), X16(0),
		X16(1), X16(1),                                   /* 224-239, 240-255 */
	};
#undef X16
	return special[a >> 24];
}
/* plen above 32 is treated as 32 (a shift by a negative count is undefined). */
static inline uint32_t ip4_mask(uint8_t plen)
{
	return plen >= 32 ? ~0u : plen ? ~0u << (32 - plen) : 0;
}
/* The subnet broadcast address of ip/plen (host order); a /31 or /32 has
 * none (RFC 3021), and the FIB holds a broadcast route only below /31. */
static inline uint32_t ip4_bcast_of(uint32_t ip, uint8_t plen)
{
	return ip | ~ip4_mask(plen);
}

/* ---- ICMPv4 (RFC 792) ---- */
#define ICMP4_HLEN 8
#define ICMP4_ECHO_REPLY 0
#define ICMP4_DEST_UNREACH 3
#define ICMP4_REDIRECT 5
#define ICMP4_ECHO_REQUEST 8
#define ICMP4_TIME_EXCEEDED 11
#define ICMP4_PARAM_PROBLEM 12
#define ICMP4_UNREACH_NET 0
#define ICMP4_UNREACH_HOST 1
#define ICMP4_UNREACH_PROTO 2
#define ICMP4_UNREACH_PORT 3
#define ICMP4_UNREACH_FRAG_NEEDED 4
#define ICMP4_UNREACH_ADMIN 13
#define ICMP4_TIMEX_TTL 0
#define ICMP4_TIMEX_REASS 1

struct icmp4_view { const uint8_t *b; };
static inline int icmp4_check(struct icmp4_view *v, const void *buf, size_t len)
{
	if (len < ICMP4_HLEN)
		return WIRE_ETRUNC;
	v->b = buf;
	return 0;
}
static inline uint8_t icmp4_type(const struct icmp4_view *v) { return v->b[0]; }
static inline uint8_t icmp4_code(const struct icmp4_view *v) { return v->b[1]; }
/* RFC 1122 §3.2.2: error types (never answered with another error). */
static inline bool icmp4_type_is_error(uint8_t t)
{
	return t == ICMP4_DEST_UNREACH || t == 4 || t == ICMP4_REDIRECT ||
	       t == ICMP4_TIME_EXCEEDED || t == ICMP4_PARAM_PROBLEM;
}
/* An ICMP type that is not one of the queries/replies RFC 792 defines is
 * treated as an error when deciding whether to answer it (RFC 1812 §4.3.2.7). */
static inline bool icmp4_type_is_known_query(uint8_t t)
{
	return t == ICMP4_ECHO_REQUEST || t == ICMP4_ECHO_REPLY || t == 13 || t == 14 ||
	       t == 15 || t == 16 || t == 17 || t == 18;
}

/* ---- UDP (RFC 768) ---- */
#define UDP_HLEN 8
struct udp_view { const uint8_t *b; uint16_t len; };
/* Length field >= 8 and <= the buffer (the IP payload length). */
static inline int udp_check(struct udp_view *v, const void *buf, size_t len)
{
	const uint8_t *b = buf;
	if (len < UDP_HLEN)
		return WIRE_ETRUNC;
	uint16_t ulen = rs_ld16(b + 4);
	if (ulen < UDP_HLEN || ulen > len)
		return WIRE_ETOTLEN;
	v->b = b;
	v->len = ulen;
	return 0;
}
static inline uint16_t udp_sport(const struct udp_view *v) { return rs_ld16(v->b); }
static inline uint16_t udp_dport(const struct udp_view *v) { return rs_ld16(v->b + 2); }
static inline uint16_t udp_csum_field(const struct udp_view *v) { return rs_ld16(v->b + 6); }

#endif

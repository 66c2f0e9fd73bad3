/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 multicast on the wire: group addresses, their Ethernet addresses
 * (RFC 1112 §6.4) and IGMP messages (RFC 3376; v1 RFC 1112, v2 RFC 2236):
 * a view that checks a received query, and the writer of IGMPv3 reports
 * with the IPv4 header they are sent with (Router Alert, TTL 1, to
 * 224.0.0.22, §4.2.13). Pure code: no DPDK.
 */
#ifndef RS_IGMP_WIRE_H
#define RS_IGMP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/rs_csum.h"
#include "wire/wire.h"

#define IPPROTO_IGMP_ 2

#define IP4_ALL_HOSTS 0xe0000001u   /* 224.0.0.1 */
#define IP4_ALL_ROUTERS 0xe0000002u /* 224.0.0.2 */
#define IP4_IGMPV3_ROUTERS 0xe0000016u /* 224.0.0.22 */

/* IGMP message types */
#define IGMP_QUERY 0x11
#define IGMP_V1_REPORT 0x12
#define IGMP_V2_REPORT 0x16
#define IGMP_V2_LEAVE 0x17
#define IGMP_V3_REPORT 0x22

/* IGMPv3 group record types (RFC 3376 §4.2.12) */
#define IGMP3_MODE_IS_INCLUDE 1
#define IGMP3_MODE_IS_EXCLUDE 2
#define IGMP3_CHANGE_TO_INCLUDE 3
#define IGMP3_CHANGE_TO_EXCLUDE 4

#define IGMP_MIN_LEN 8
#define IGMP3_QUERY_LEN 12
#define IGMP3_REPORT_HLEN 8
#define IGMP3_GREC_LEN 8          /* a record without sources */
/* the IPv4 header of a report: 20 bytes and the Router Alert option */
#define IGMP_IP_HLEN 24

/* The Ethernet address of IPv4 group g (host order): 01:00:5e and its
 * low 23 bits. */
static inline void ip4_mcast_mac(uint8_t mac[6], uint32_t g)
{
	mac[0] = 0x01;
	mac[1] = 0x00;
	mac[2] = 0x5e;
	mac[3] = (uint8_t)((g >> 16) & 0x7f);
	mac[4] = (uint8_t)(g >> 8);
	mac[5] = (uint8_t)g;
}

/* Whether a frame to mac may carry an IPv4 multicast datagram. */
static inline bool eth_is_ip4_mcast(const uint8_t *mac)
{
	return mac[0] == 0x01 && mac[1] == 0x00 && mac[2] == 0x5e && !(mac[3] & 0x80);
}

/* 224.0.0.0/24: link-local groups (RFC 5771) */
static inline bool ip4_is_local_mcast(uint32_t g) { return (g & 0xffffff00u) == 0xe0000000u; }

/* A query that igmp_query_check accepted. */
struct igmp_query_view {
	uint8_t version;   /* 1, 2 or 3 */
	uint32_t group;    /* 0: a general query */
	uint16_t nsrc;     /* v3: sources listed (group-and-source-specific) */
	uint32_t max_resp_ds; /* Max Resp Time in tenths of a second (v1: 100) */
};

/* An IGMP message of len bytes at b (the IP payload): at least 8 bytes,
 * checksum over the whole message. 0, WIRE_ETRUNC or WIRE_EFORMAT. */
static inline int igmp_check(const uint8_t *b, size_t len)
{
	if (len < IGMP_MIN_LEN)
		return WIRE_ETRUNC;
	if (rs_csum(b, len) != 0)
		return WIRE_EFORMAT;
	return 0;
}

/*
 * A query (RFC 3376 §7.1) of len bytes at b: 8 bytes are IGMPv1 (Max
 * Resp Code 0) or v2, 12 or more are v3 with its number of sources
 * fitting the length; 9 to 11 bytes are ignored. The group is 0 (general)
 * or a multicast address. 0, or a WIRE_E*.
 */
static inline int igmp_query_check(struct igmp_query_view *v, const uint8_t *b, size_t len)
{
	int rc = igmp_check(b, len);
	if (rc < 0)
		return rc;
	if (b[0] != IGMP_QUERY)
		return WIRE_EFORMAT;
	v->group = rs_ld32(b + 4);
	v->nsrc = 0;
	if (len == IGMP_MIN_LEN) {
		v->version = b[1] == 0 ? 1 : 2;
		v->max_resp_ds = b[1] == 0 ? 100 : b[1];
	} else if (len >= IGMP3_QUERY_LEN) {
		v->version = 3;
		uint16_t n = rs_ld16(b + 10);
		if ((size_t)IGMP3_QUERY_LEN + (size_t)n * 4 > len)
			return WIRE_EFORMAT;
		v->nsrc = n;
		/* §4.1.1: codes from 128 are a floating-point value */
		uint8_t c = b[1];
		v->max_resp_ds = c < 128 ? c : (uint32_t)((c & 0x0f) | 0x10) << (((c >> 4) & 7) + 3);
	} else {
		return WIRE_EFORMAT; /* 9 to 11 bytes: §7.1 says ignore */
	}
	if (v->group != 0 && !ip4_is_mcast(v->group))
		return WIRE_EFORMAT;
	return 0;
}

/* The length igmp3_report_write writes for n records: IPv4 header with
 * Router Alert, report header, n records without sources. */
static inline size_t igmp3_report_len(unsigned n)
{
	return IGMP_IP_HLEN + IGMP3_REPORT_HLEN + (size_t)n * IGMP3_GREC_LEN;
}

/* The IPv4 header every IGMP message we send carries (RFC 3376 §4,
 * RFC 2236 §2): TOS 0xc0, DF, TTL 1, and Router Alert (RFC 2113: type 148,
 * length 4, value 0); len is the whole datagram. */
static inline void igmp_ip_write(uint8_t *b, size_t len, uint32_t src, uint32_t dst)
{
	b[0] = 0x46;
	b[1] = 0xc0;
	rs_st16(b + 2, (uint16_t)len);
	rs_st16(b + 4, 0);
	rs_st16(b + 6, IP4_DF);
	b[8] = 1;
	b[9] = IPPROTO_IGMP_;
	rs_st32(b + 12, src);
	rs_st32(b + 16, dst);
	b[20] = 0x94;
	b[21] = 4;
	b[22] = 0;
	b[23] = 0;
	ip4_set_csum(b, IGMP_IP_HLEN);
}

/*
 * Writes an IGMPv3 report (RFC 3376 §4.2) of n records (types[i],
 * groups[i], no sources) from src to 224.0.0.22 at b (igmp3_report_len(n)
 * bytes): IPv4 header with TOS 0xc0 (internetwork control, as Linux), DF,
 * TTL 1 and the Router Alert option (§4), checksums filled. Returns the
 * length written.
 */
static inline size_t igmp3_report_write(uint8_t *b, uint32_t src, const uint8_t *types,
					const uint32_t *groups, unsigned n)
{
	size_t len = igmp3_report_len(n);
	igmp_ip_write(b, len, src, IP4_IGMPV3_ROUTERS);
	uint8_t *g = b + IGMP_IP_HLEN;
	g[0] = IGMP_V3_REPORT;
	g[1] = 0;
	rs_st16(g + 2, 0);
	rs_st16(g + 4, 0);
	rs_st16(g + 6, (uint16_t)n);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *r = g + IGMP3_REPORT_HLEN + (size_t)i * IGMP3_GREC_LEN;
		r[0] = types[i];
		r[1] = 0;
		rs_st16(r + 2, 0);
		rs_st32(r + 4, groups[i]);
	}
	size_t glen = len - IGMP_IP_HLEN;
	rs_st16(g + 2, rs_csum(g, glen));
	return len;
}

/* An IGMPv1/v2 message with its IPv4 header (Router Alert, TTL 1, as
 * Linux sends them): IGMP_IP_HLEN + IGMP_MIN_LEN bytes. */
#define IGMP_V2_MSG_LEN (IGMP_IP_HLEN + IGMP_MIN_LEN)

/*
 * Writes an IGMPv1 or v2 message (RFC 2236 §2; §3: reports go to the
 * group, a Leave Group to all-routers) of type for group from src to dst
 * at b (IGMP_V2_MSG_LEN bytes), checksums filled. Returns the length.
 */
static inline size_t igmp_v2_write(uint8_t *b, uint32_t src, uint32_t dst, uint8_t type,
				   uint32_t group)
{
	igmp_ip_write(b, IGMP_V2_MSG_LEN, src, dst);
	uint8_t *g = b + IGMP_IP_HLEN;
	g[0] = type;
	g[1] = 0;
	rs_st16(g + 2, 0);
	rs_st32(g + 4, group);
	rs_st16(g + 2, rs_csum(g, IGMP_MIN_LEN));
	return IGMP_V2_MSG_LEN;
}

/* A received IGMPv3 report's records (for tests and tools): the number
 * of records, or a WIRE_E* when the report does not hold them. */
static inline int igmp3_report_records(const uint8_t *g, size_t len)
{
	int rc = igmp_check(g, len);
	if (rc < 0)
		return rc;
	if (g[0] != IGMP_V3_REPORT || len < IGMP3_REPORT_HLEN)
		return WIRE_EFORMAT;
	unsigned n = rs_ld16(g + 6);
	size_t off = IGMP3_REPORT_HLEN;
	for (unsigned i = 0; i < n; i++) {
		if (off + IGMP3_GREC_LEN > len)
			return WIRE_ETRUNC;
		off += IGMP3_GREC_LEN + (size_t)g[off + 1] * 4 + (size_t)rs_ld16(g + off + 2) * 4;
	}
	return off <= len ? (int)n : WIRE_ETRUNC;
}

#endif

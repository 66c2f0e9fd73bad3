/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 multicast wire code (lib/wire/igmp_wire.h): the group's Ethernet
 * address, IGMP queries of each version (RFC 3376 §7.1 tells them by
 * length), their truncations and checksums, the Max Resp Code's
 * floating-point form (§4.1.1), and IGMPv3 reports as built: the IPv4
 * header (TTL 1, Router Alert, 224.0.0.22, checksum), the records and the
 * IGMP checksum, read back by the record parser.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "wire/igmp_wire.h"

static uint8_t *dup_exact(const void *src, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	cr_assert_not_null(p);
	memcpy(p, src, n);
	return p;
}

/* A query of len bytes (8: v1/v2, 12 + 4 * nsrc: v3) with its checksum. */
static size_t mkq(uint8_t *b, size_t len, uint8_t mrc, uint32_t group, uint16_t nsrc)
{
	memset(b, 0, len);
	b[0] = IGMP_QUERY;
	b[1] = mrc;
	rs_st32(b + 4, group);
	if (len >= IGMP3_QUERY_LEN) {
		b[8] = 2;   /* QRV */
		b[9] = 125; /* QQIC */
		rs_st16(b + 10, nsrc);
	}
	rs_st16(b + 2, rs_csum(b, len));
	return len;
}

Test(igmp_wire, mcast_mac)
{
	uint8_t mac[6];
	ip4_mcast_mac(mac, 0xefc10203u); /* 239.193.2.3: bit 23 dropped */
	const uint8_t want[6] = { 0x01, 0x00, 0x5e, 0x41, 0x02, 0x03 };
	cr_assert_arr_eq(mac, want, 6);
	ip4_mcast_mac(mac, IP4_IGMPV3_ROUTERS);
	const uint8_t want22[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x16 };
	cr_assert_arr_eq(mac, want22, 6);
	cr_assert(eth_is_ip4_mcast(want));
	const uint8_t high[6] = { 0x01, 0x00, 0x5e, 0x80, 0, 1 };
	const uint8_t v6[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	cr_assert(!eth_is_ip4_mcast(high), "01:00:5e:80.. is not IPv4's (RFC 1112 §6.4)");
	cr_assert(!eth_is_ip4_mcast(v6));
	cr_assert(ip4_is_local_mcast(IP4_ALL_HOSTS));
	cr_assert(!ip4_is_local_mcast(0xef010203u));
}

Test(igmp_wire, query_versions)
{
	uint8_t b[64];
	struct igmp_query_view q;
	/* v1: 8 bytes, Max Resp Code 0 (10 s) */
	size_t n = mkq(b, 8, 0, 0, 0);
	cr_assert_eq(igmp_query_check(&q, b, n), 0);
	cr_assert_eq(q.version, 1);
	cr_assert_eq(q.group, 0);
	cr_assert_eq(q.max_resp_ds, 100);
	/* v2 group-specific */
	n = mkq(b, 8, 10, 0xef010203u, 0);
	cr_assert_eq(igmp_query_check(&q, b, n), 0);
	cr_assert_eq(q.version, 2);
	cr_assert_eq(q.group, 0xef010203u);
	cr_assert_eq(q.max_resp_ds, 10);
	/* v3 general, and with two sources */
	n = mkq(b, 12, 100, 0, 0);
	cr_assert_eq(igmp_query_check(&q, b, n), 0);
	cr_assert_eq(q.version, 3);
	cr_assert_eq(q.nsrc, 0);
	n = mkq(b, 20, 100, 0xef010203u, 2);
	cr_assert_eq(igmp_query_check(&q, b, n), 0);
	cr_assert_eq(q.nsrc, 2);
	/* §4.1.1: 0x8f is mant 15, exp 0: (15 | 16) << 3 = 248 */
	n = mkq(b, 12, 0x8f, 0, 0);
	cr_assert_eq(igmp_query_check(&q, b, n), 0);
	cr_assert_eq(q.max_resp_ds, 248);
}

Test(igmp_wire, query_rejects)
{
	uint8_t b[64];
	struct igmp_query_view q;
	/* every truncation of a v3 query with one source */
	size_t n = mkq(b, 16, 100, 0xef010203u, 1);
	for (size_t l = 0; l < n; l++) {
		uint8_t *p = dup_exact(b, l);
		cr_assert_neq(igmp_query_check(&q, p, l), 0, "length %zu accepted", l);
		free(p);
	}
	/* sources beyond the message */
	n = mkq(b, 16, 100, 0xef010203u, 2);
	cr_assert_eq(igmp_query_check(&q, b, n), WIRE_EFORMAT);
	/* 9 to 11 bytes: neither version (§7.1: ignored) */
	n = mkq(b, 10, 100, 0, 0);
	cr_assert_eq(igmp_query_check(&q, b, n), WIRE_EFORMAT);
	/* bad checksum */
	n = mkq(b, 12, 100, 0, 0);
	b[5] ^= 1;
	cr_assert_eq(igmp_query_check(&q, b, n), WIRE_EFORMAT);
	/* a unicast "group" */
	n = mkq(b, 12, 100, 0x0a000001u, 0);
	cr_assert_eq(igmp_query_check(&q, b, n), WIRE_EFORMAT);
	/* a report is no query */
	n = mkq(b, 8, 0, 0xef010203u, 0);
	b[0] = IGMP_V2_REPORT;
	rs_st16(b + 2, 0);
	rs_st16(b + 2, rs_csum(b, 8));
	cr_assert_eq(igmp_check(b, n), 0);
	cr_assert_eq(igmp_query_check(&q, b, n), WIRE_EFORMAT);
}

Test(igmp_wire, report_build)
{
	const uint8_t types[2] = { IGMP3_CHANGE_TO_EXCLUDE, IGMP3_MODE_IS_EXCLUDE };
	const uint32_t groups[2] = { 0xef010203u, 0xe00000fbu };
	size_t len = igmp3_report_len(2);
	cr_assert_eq(len, 24 + 8 + 16);
	uint8_t *b = calloc(1, len);
	cr_assert_not_null(b);
	cr_assert_eq(igmp3_report_write(b, 0x0a090001u, types, groups, 2), len);
	/* the IPv4 header: IHL 6 with Router Alert, TTL 1, IGMP, DF, TOS 0xc0 */
	struct ip4_view v;
	cr_assert_eq(ip4_check(&v, b, len), 0);
	cr_assert(ip4_csum_ok(&v));
	cr_assert_eq(b[0], 0x46);
	cr_assert_eq(b[1], 0xc0);
	cr_assert_eq(ip4_ttl(&v), 1);
	cr_assert_eq(ip4_proto(&v), IPPROTO_IGMP_);
	cr_assert_eq(ip4_frag(&v), IP4_DF);
	cr_assert_eq(v.tot_len, len);
	cr_assert_eq(ip4_src(&v), 0x0a090001u);
	cr_assert_eq(ip4_dst(&v), IP4_IGMPV3_ROUTERS);
	const uint8_t ra[4] = { 0x94, 4, 0, 0 };
	cr_assert_arr_eq(b + 20, ra, 4);
	/* the report: type, checksum, records */
	const uint8_t *g = b + IGMP_IP_HLEN;
	cr_assert_eq(g[0], IGMP_V3_REPORT);
	cr_assert_eq(rs_csum(g, len - IGMP_IP_HLEN), 0, "IGMP checksum");
	cr_assert_eq(igmp3_report_records(g, len - IGMP_IP_HLEN), 2);
	cr_assert_eq(g[8], IGMP3_CHANGE_TO_EXCLUDE);
	cr_assert_eq(rs_ld32(g + 12), 0xef010203u);
	cr_assert_eq(g[16], IGMP3_MODE_IS_EXCLUDE);
	cr_assert_eq(rs_ld32(g + 20), 0xe00000fbu);
	/* a record count the message cannot hold */
	uint8_t *t = dup_exact(g, len - IGMP_IP_HLEN - 4);
	rs_st16(t + 2, 0);
	rs_st16(t + 2, rs_csum(t, len - IGMP_IP_HLEN - 4));
	cr_assert_eq(igmp3_report_records(t, len - IGMP_IP_HLEN - 4), WIRE_ETRUNC);
	free(t);
	free(b);
}

Test(igmp_wire, v2_messages)
{
	uint8_t *b = calloc(1, IGMP_V2_MSG_LEN);
	cr_assert_not_null(b);
	cr_assert_eq(igmp_v2_write(b, 0x0a090001u, IP4_ALL_ROUTERS, IGMP_V2_LEAVE, 0xef010203u),
		     IGMP_V2_MSG_LEN);
	struct ip4_view v;
	cr_assert_eq(ip4_check(&v, b, IGMP_V2_MSG_LEN), 0);
	cr_assert(ip4_csum_ok(&v));
	cr_assert_eq(ip4_ttl(&v), 1);
	cr_assert_eq(ip4_dst(&v), IP4_ALL_ROUTERS);
	const uint8_t ra[4] = { 0x94, 4, 0, 0 };
	cr_assert_arr_eq(b + 20, ra, 4);
	const uint8_t *g = b + IGMP_IP_HLEN;
	cr_assert_eq(igmp_check(g, IGMP_MIN_LEN), 0);
	cr_assert_eq(g[0], IGMP_V2_LEAVE);
	cr_assert_eq(g[1], 0);
	cr_assert_eq(rs_ld32(g + 4), 0xef010203u);
	struct igmp_query_view q;
	cr_assert_eq(igmp_query_check(&q, g, IGMP_MIN_LEN), WIRE_EFORMAT, "a leave is no query");
	free(b);
}

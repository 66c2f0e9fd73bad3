/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for ICMP error construction (lib/icmp/icmp4_error.c).
 *
 * A worker is faked: a struct rs_worker whose cfg points at a struct rs_cfg
 * built here (iface 0: 10.0.0.1/24 and 192.168.5.1/24; iface 1:
 * 172.16.0.1/16) and whose clock (now_ns) the tests set. The FIB knows the
 * local addresses as RT_LOCAL /32 routes, so an error about a datagram sent
 * to one of them comes from that address (RFC 1812 §4.3.2.4).
 *
 * Checked: the error's IPv4 header and ICMP header (checksums included), the
 * quote (as much of the original as fits in 576 bytes, from single and
 * chained mbufs), the type-specific field (next-hop MTU, pointer), every
 * case RFC 1122 §3.2.2 forbids an error (why == 1), and the per-worker
 * token bucket (why == 2).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_rcu_qsbr.h>

#include "core/dp.h"
#include "icmp/icmp4.h"
#include "icmp/icmp_rl.h"
#include "route/fib4.h"
#include "wire/wire.h"

#include "dp_eal.h"

#define IP(a, b, c, d) \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

#define MS 1000000ull
#define S 1000000000ull

#define IF0_A IP(10, 0, 0, 1)
#define IF0_B IP(192, 168, 5, 1)
#define IF1_A IP(172, 16, 0, 1)
#define REMOTE IP(198, 51, 100, 7)   /* a source somewhere else */
#define FAR_DST IP(203, 0, 113, 9)   /* a destination we forward to */

#define ERR_MAX 576
#define QUOTE_MAX (ERR_MAX - IP4_HLEN - ICMP4_HLEN)

/* The dataplane may keep per-packet metadata in an mbuf dynamic field
 * (rs_priv_offset) or in the private area: provide both. */
extern int rs_priv_offset __attribute__((weak));

static struct rte_rcu_qsbr *ut_rcu;
static struct rs_cfg ut_cfg;
static struct rs_worker ut_w;
static unsigned pool_avail0;

static void icmp_setup(void)
{
	ut_eal_init();
	size_t sz = rte_rcu_qsbr_get_memsize(1);
	ut_rcu = rte_zmalloc("ut_rcu", sz, RTE_CACHE_LINE_SIZE);
	cr_assert_not_null(ut_rcu);
	cr_assert_eq(rte_rcu_qsbr_init(ut_rcu, 1), 0);
	rs_dp.rcu = ut_rcu;
	cr_assert_eq(fib4_init(1024, 64, ut_rcu), 0);

	if (&rs_priv_offset != NULL) {
		static const struct rte_mbuf_dynfield f = {
			.name = "ringstack_priv",
			.size = sizeof(struct rs_priv),
			.align = __alignof__(struct rs_priv),
		};
		int off = rte_mbuf_dynfield_register(&f);
		cr_assert_geq(off, 0, "rte_mbuf_dynfield_register: %s", rte_strerror(rte_errno));
		rs_priv_offset = off;
	}
	rs_dp.pool = rte_pktmbuf_pool_create("ut_pool", 511, 0,
					     RTE_ALIGN(sizeof(struct rs_priv), RTE_MBUF_PRIV_ALIGN),
					     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	cr_assert_not_null(rs_dp.pool, "pool: %s", rte_strerror(rte_errno));
	pool_avail0 = rte_mempool_avail_count(rs_dp.pool);

	rs_dp_params_default(&rs_dp.params);
	/* most tests send more than a burst: rate limiting has its own tests */
	rs_dp.params.icmp_burst = 1000000;

	memset(&ut_cfg, 0, sizeof(ut_cfg));
	struct rs_iface *i0 = &ut_cfg.ifaces[0];
	i0->present = i0->up = true;
	i0->mtu = 1500;
	i0->naddrs = 2;
	i0->addrs[0] = (struct rs_addr4){ IF0_A, 24 };
	i0->addrs[1] = (struct rs_addr4){ IF0_B, 24 };
	struct rs_iface *i1 = &ut_cfg.ifaces[1];
	i1->present = i1->up = true;
	i1->mtu = 1500;
	i1->port = 1;
	i1->naddrs = 1;
	i1->addrs[0] = (struct rs_addr4){ IF1_A, 16 };
	atomic_store(&rs_dp.cfg, &ut_cfg);

	/* what addr add makes: local /32s, subnet broadcasts, connected routes */
	const struct { uint32_t ip; uint8_t plen; uint8_t type; uint16_t iface; } rt[] = {
		{ IF0_A, 32, RT_LOCAL, 0 },
		{ IF0_B, 32, RT_LOCAL, 0 },
		{ IF1_A, 32, RT_LOCAL, 1 },
		{ IP(10, 0, 0, 255), 32, RT_BROADCAST, 0 },
		{ IP(192, 168, 5, 255), 32, RT_BROADCAST, 0 },
		{ IP(172, 16, 255, 255), 32, RT_BROADCAST, 1 },
		{ IP(10, 0, 0, 0), 24, RT_UNICAST, 0 },
		{ IP(192, 168, 5, 0), 24, RT_UNICAST, 0 },
		{ IP(172, 16, 0, 0), 16, RT_UNICAST, 1 },
	};
	for (unsigned i = 0; i < sizeof(rt) / sizeof(rt[0]); i++) {
		struct route4 r;
		memset(&r, 0, sizeof(r));
		r.prefix = rt[i].ip;
		r.plen = rt[i].plen;
		r.type = rt[i].type;
		r.proto = RTPROT_KERNEL;
		r.iface = rt[i].iface;
		cr_assert_eq(fib4_route_add(&r, false), 0);
	}
	struct route4 d;
	memset(&d, 0, sizeof(d));
	d.plen = 1; /* 0/1 and 128/1: a default route through iface 1 */
	d.type = RT_UNICAST;
	d.iface = 1;
	d.gw = IP(172, 16, 0, 254);
	d.proto = RTPROT_STATIC;
	cr_assert_eq(fib4_route_add(&d, false), 0);
	d.prefix = 0x80000000u;
	cr_assert_eq(fib4_route_add(&d, false), 0);

	memset(&ut_w, 0, sizeof(ut_w));
	ut_w.cfg = &ut_cfg;
	ut_w.now_ns = 1000 * S;
}

static void icmp_teardown(void)
{
	if (dir24_tbl24 != NULL) {
		rs_sync();
		fib4_fini();
	}
	if (rs_dp.pool != NULL)
		rte_mempool_free(rs_dp.pool);
	rs_dp.pool = NULL;
	rte_free(ut_rcu);
	ut_rcu = NULL;
	ut_eal_fini();
}

TestSuite(icmp4_error, .init = icmp_setup, .fini = icmp_teardown, .timeout = 60);

/* ---- building originals ---- */

struct orig_spec {
	uint32_t src, dst;
	uint8_t proto;
	uint16_t frag;     /* flags + offset field */
	uint16_t paylen;   /* bytes after the IP header */
	uint8_t hdr_opts;  /* bytes of NOP options (multiple of 4) */
	uint8_t l4_0, l4_1; /* first two payload bytes (ICMP type/code) */
	uint16_t iface;
	uint8_t flags;
	uint16_t split;    /* > 0: a 2-segment chain, first segment this long */
};

static uint8_t orig_bytes[9000];
static uint32_t orig_len;

static struct rte_mbuf *mk_orig(const struct orig_spec *s)
{
	uint16_t hlen = (uint16_t)(IP4_HLEN + s->hdr_opts);
	orig_len = hlen + s->paylen;
	cr_assert_leq(orig_len, sizeof(orig_bytes));
	uint8_t *b = orig_bytes;
	ip4_write(b, 0x10, (uint16_t)orig_len, 0x1234, s->frag, 17, s->proto, s->src, s->dst);
	if (s->hdr_opts) {
		/* move the header's fixed part: IHL grows, NOPs follow */
		b[0] = (uint8_t)(0x40 | (hlen / 4));
		memset(b + IP4_HLEN, 1, s->hdr_opts);
		ip4_set_csum(b, hlen);
	}
	for (uint32_t i = hlen; i < orig_len; i++)
		b[i] = (uint8_t)(i * 7 + 3);
	if (s->paylen > 0)
		b[hlen] = s->l4_0;
	if (s->paylen > 1)
		b[hlen + 1] = s->l4_1;

	struct rte_mbuf *m = rte_pktmbuf_alloc(rs_dp.pool);
	cr_assert_not_null(m);
	uint32_t first = s->split ? s->split : orig_len;
	cr_assert_leq(first, orig_len);
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)first);
	cr_assert_not_null(d);
	memcpy(d, b, first);
	if (s->split) {
		struct rte_mbuf *m2 = rte_pktmbuf_alloc(rs_dp.pool);
		cr_assert_not_null(m2);
		uint8_t *d2 = (uint8_t *)rte_pktmbuf_append(m2, (uint16_t)(orig_len - first));
		cr_assert_not_null(d2);
		memcpy(d2, b + first, orig_len - first);
		cr_assert_eq(rte_pktmbuf_chain(m, m2), 0);
		cr_assert_eq(m->nb_segs, 2);
	}
	cr_assert_eq(rte_pktmbuf_pkt_len(m), orig_len);
	struct rs_priv *p = rs_priv(m);
	memset(p, 0, sizeof(*p));
	p->iface = s->iface;
	p->flags = s->flags;
	return m;
}

static struct orig_spec udp_to(uint32_t src, uint32_t dst, uint16_t paylen)
{
	struct orig_spec s;
	memset(&s, 0, sizeof(s));
	s.src = src;
	s.dst = dst;
	s.proto = IPPROTO_UDP_;
	s.paylen = paylen;
	return s;
}

static struct orig_spec icmp_to(uint32_t src, uint32_t dst, uint8_t type, uint8_t code)
{
	struct orig_spec s = udp_to(src, dst, 36);
	s.proto = IPPROTO_ICMP_;
	s.l4_0 = type;
	s.l4_1 = code;
	return s;
}

static bool sum_ok(const uint8_t *b, size_t len)
{
	return rs_csum_fold(rs_csum_add(0, b, len)) == 0;
}

/* Checks error e about the original in orig_bytes/orig_len. */
static void check_error(struct rte_mbuf *e, uint8_t type, uint8_t code, uint32_t want_src,
			uint32_t want_dst, uint16_t iface)
{
	cr_assert_not_null(e);
	uint32_t qlen = orig_len < QUOTE_MAX ? orig_len : QUOTE_MAX;
	uint32_t tot = IP4_HLEN + ICMP4_HLEN + qlen;
	cr_assert_eq(rte_pktmbuf_pkt_len(e), tot, "error is %u bytes, want %u",
		     rte_pktmbuf_pkt_len(e), tot);
	cr_assert_leq(tot, ERR_MAX);
	cr_assert_eq(e->nb_segs, 1);
	const uint8_t *b = rte_pktmbuf_mtod(e, const uint8_t *);
	struct ip4_view v;
	cr_assert_eq(ip4_check(&v, b, e->data_len), 0);
	cr_assert_eq(b[0], 0x45, "version/IHL %02x", b[0]);
	cr_assert_eq(ip4_tos(&v), 0xc0, "TOS %02x", ip4_tos(&v));
	cr_assert_eq(v.tot_len, tot);
	cr_assert_eq(ip4_frag(&v) & (IP4_MF | IP4_OFFMASK), 0);
	cr_assert_eq(ip4_ttl(&v), 64);
	cr_assert_eq(ip4_proto(&v), IPPROTO_ICMP_);
	cr_assert(ip4_csum_ok(&v), "bad IPv4 header checksum");
	cr_assert_eq(ip4_src(&v), want_src, "src %08x, want %08x", ip4_src(&v), want_src);
	cr_assert_eq(ip4_dst(&v), want_dst, "dst %08x, want %08x", ip4_dst(&v), want_dst);

	const uint8_t *ic = b + IP4_HLEN;
	cr_assert_eq(ic[0], type);
	cr_assert_eq(ic[1], code);
	cr_assert(sum_ok(ic, ICMP4_HLEN + qlen), "bad ICMP checksum");
	cr_assert_arr_eq(ic + ICMP4_HLEN, orig_bytes, qlen, "quote differs from the original");
	const struct rs_priv *p = rs_priv(e);
	cr_assert_eq(p->iface, iface);
	cr_assert_eq(p->flags, 0);
}

/* Builds an error, expecting one; frees both. Returns the ICMP header's
 * second word for the caller to check. */
static uint32_t expect_error(const struct orig_spec *s, uint8_t type, uint8_t code,
			     uint32_t info, uint32_t want_src)
{
	struct rte_mbuf *o = mk_orig(s);
	int why = -1;
	struct rte_mbuf *e = icmp4_error_build(&ut_w, o, type, code, info, &why);
	cr_assert_not_null(e, "no error (why %d) about %08x -> %08x proto %u", why, s->src,
			   s->dst, s->proto);
	cr_assert_eq(why, 0);
	check_error(e, type, code, want_src, s->src, s->iface);
	uint32_t rest = rs_ld32(rte_pktmbuf_mtod(e, const uint8_t *) + IP4_HLEN + 4);
	/* the original is borrowed: still whole */
	cr_assert_eq(rte_mbuf_refcnt_read(o), 1);
	cr_assert_eq(rte_pktmbuf_pkt_len(o), orig_len);
	rte_pktmbuf_free(e);
	rte_pktmbuf_free(o);
	return rest;
}

static void expect_none(const struct orig_spec *s, int want_why, const char *what)
{
	struct rte_mbuf *o = mk_orig(s);
	int why = -1;
	struct rte_mbuf *e = icmp4_error_build(&ut_w, o, ICMP4_DEST_UNREACH, ICMP4_UNREACH_HOST, 0,
					       &why);
	cr_assert_null(e, "%s: an error was built", what);
	cr_assert_eq(why, want_why, "%s: why %d, want %d", what, why, want_why);
	cr_assert_eq(rte_mbuf_refcnt_read(o), 1);
	rte_pktmbuf_free(e);
	rte_pktmbuf_free(o);
}

static void check_pool_whole(void)
{
	cr_assert_eq(rte_mempool_avail_count(rs_dp.pool), pool_avail0, "mbufs leaked: %u of %u",
		     rte_mempool_avail_count(rs_dp.pool), pool_avail0);
}

/* ---- headers and source selection ---- */

Test(icmp4_error, small_original_forwarded)
{
	struct orig_spec s = udp_to(REMOTE, FAR_DST, 20);
	uint32_t rest = expect_error(&s, ICMP4_DEST_UNREACH, ICMP4_UNREACH_HOST, 0, IF0_A);
	cr_assert_eq(rest, 0);
	check_pool_whole();
}

Test(icmp4_error, source_in_the_senders_subnet)
{
	/* iface 0 has two subnets: the one holding the sender answers */
	struct orig_spec s = udp_to(IP(192, 168, 5, 77), FAR_DST, 20);
	expect_error(&s, ICMP4_TIME_EXCEEDED, ICMP4_TIMEX_TTL, 0, IF0_B);
	s = udp_to(IP(10, 0, 0, 77), FAR_DST, 20);
	expect_error(&s, ICMP4_TIME_EXCEEDED, ICMP4_TIMEX_TTL, 0, IF0_A);
	/* on iface 1 */
	s = udp_to(REMOTE, FAR_DST, 20);
	s.iface = 1;
	expect_error(&s, ICMP4_DEST_UNREACH, ICMP4_UNREACH_NET, 0, IF1_A);
}

Test(icmp4_error, source_is_the_local_destination)
{
	struct orig_spec s = udp_to(REMOTE, IF0_A, 20);
	expect_error(&s, ICMP4_DEST_UNREACH, ICMP4_UNREACH_PORT, 0, IF0_A);
	s = udp_to(REMOTE, IF0_B, 20);
	expect_error(&s, ICMP4_DEST_UNREACH, ICMP4_UNREACH_PORT, 0, IF0_B);
	/* an address of another link, reached through iface 0 */
	s = udp_to(IP(10, 0, 0, 9), IF1_A, 20);
	expect_error(&s, ICMP4_DEST_UNREACH, ICMP4_UNREACH_PROTO, 0, IF1_A);
	check_pool_whole();
}

Test(icmp4_error, ip_ids_differ)
{
	struct orig_spec s = udp_to(REMOTE, FAR_DST, 20);
	struct rte_mbuf *o = mk_orig(&s);
	int why;
	struct rte_mbuf *e1 = icmp4_error_build(&ut_w, o, ICMP4_DEST_UNREACH, 1, 0, &why);
	struct rte_mbuf *e2 = icmp4_error_build(&ut_w, o, ICMP4_DEST_UNREACH, 1, 0, &why);
	cr_assert_not_null(e1);
	cr_assert_not_null(e2);
	cr_assert_neq(rs_ld16(rte_pktmbuf_mtod(e1, uint8_t *) + 4),
		      rs_ld16(rte_pktmbuf_mtod(e2, uint8_t *) + 4));
	rte_pktmbuf_free(e1);
	rte_pktmbuf_free(e2);
	rte_pktmbuf_free(o);
	check_pool_whole();
}

/* ---- the quote ---- */

Test(icmp4_error, quote_sizes)
{
	static const uint16_t pay[] = { 0, 1, 8, 100, 527, 528, 529, 1000, 1480, 2000 };
	for (unsigned i = 0; i < sizeof(pay) / sizeof(pay[0]); i++) {
		struct orig_spec s = udp_to(REMOTE, FAR_DST, pay[i]);
		expect_error(&s, ICMP4_DEST_UNREACH, ICMP4_UNREACH_HOST, 0, IF0_A);
	}
	/* 548 bytes quoted is the most: a 576-byte error */
	struct orig_spec s = udp_to(REMOTE, FAR_DST, 1400);
	struct rte_mbuf *o = mk_orig(&s);
	int why;
	struct rte_mbuf *e = icmp4_error_build(&ut_w, o, ICMP4_DEST_UNREACH, 1, 0, &why);
	cr_assert_not_null(e);
	cr_assert_eq(rte_pktmbuf_pkt_len(e), 576);
	rte_pktmbuf_free(e);
	rte_pktmbuf_free(o);
	check_pool_whole();
}

Test(icmp4_error, quote_with_ip_options)
{
	struct orig_spec s = udp_to(REMOTE, FAR_DST, 100);
	s.hdr_opts = 8;
	expect_error(&s, ICMP4_PARAM_PROBLEM, 0, 20, IF0_A);
}

/* A chained original (a reassembled datagram) gets its error too (the first
 * version checked the total length against the first segment only). */
Test(icmp4_error, quote_from_a_chained_original)
{
	/* e.g. a reassembled datagram: header and payload in two segments */
	struct orig_spec s = udp_to(REMOTE, IF0_A, 980);
	s.split = 100;
	expect_error(&s, ICMP4_DEST_UNREACH, ICMP4_UNREACH_PORT, 0, IF0_A);
	/* the quote ends inside the second segment */
	s = udp_to(REMOTE, FAR_DST, 300);
	s.split = 28;
	expect_error(&s, ICMP4_DEST_UNREACH, ICMP4_UNREACH_HOST, 0, IF0_A);
	/* the second segment is short */
	s = udp_to(REMOTE, FAR_DST, 40);
	s.split = 48;
	expect_error(&s, ICMP4_DEST_UNREACH, ICMP4_UNREACH_HOST, 0, IF0_A);
	check_pool_whole();
}

/* ---- type-specific field ---- */

Test(icmp4_error, frag_needed_carries_the_mtu)
{
	struct orig_spec s = udp_to(REMOTE, FAR_DST, 1480);
	s.frag = IP4_DF;
	uint32_t rest = expect_error(&s, ICMP4_DEST_UNREACH, ICMP4_UNREACH_FRAG_NEEDED, 1280,
				     IF0_A);
	cr_assert_eq(rest, 1280, "unused 0, next-hop MTU 1280: got %08x", rest);
	rest = expect_error(&s, ICMP4_DEST_UNREACH, ICMP4_UNREACH_FRAG_NEEDED, 576, IF0_A);
	cr_assert_eq(rest, 576);
}

Test(icmp4_error, param_problem_carries_the_pointer)
{
	struct orig_spec s = udp_to(REMOTE, FAR_DST, 40);
	uint32_t rest = expect_error(&s, ICMP4_PARAM_PROBLEM, 0, 8, IF0_A);
	cr_assert_eq(rest, 8u << 24, "pointer 8 then zeros: got %08x", rest);
	rest = expect_error(&s, ICMP4_PARAM_PROBLEM, 0, 0, IF0_A);
	cr_assert_eq(rest, 0);
}

Test(icmp4_error, other_errors_have_zero_rest)
{
	struct orig_spec s = udp_to(REMOTE, FAR_DST, 40);
	/* info is ignored where the type has no use for it */
	cr_assert_eq(expect_error(&s, ICMP4_TIME_EXCEEDED, ICMP4_TIMEX_TTL, 1234, IF0_A), 0);
	cr_assert_eq(expect_error(&s, ICMP4_DEST_UNREACH, ICMP4_UNREACH_ADMIN, 99, IF0_A), 0);
	cr_assert_eq(expect_error(&s, ICMP4_TIME_EXCEEDED, ICMP4_TIMEX_REASS, 7, IF0_A), 0);
}

/* ---- RFC 1122 §3.2.2: when no error may be sent ---- */

Test(icmp4_error, never_about_icmp_errors)
{
	static const uint8_t err_types[] = { 3, 4, 5, 11, 12 };
	for (unsigned i = 0; i < sizeof(err_types); i++) {
		struct orig_spec s = icmp_to(REMOTE, FAR_DST, err_types[i], 0);
		expect_none(&s, 1, "ICMP error original");
		/* with IP options, the type is still found */
		s.hdr_opts = 4;
		expect_none(&s, 1, "ICMP error original with options");
	}
	check_pool_whole();
}

Test(icmp4_error, never_about_unknown_icmp_types)
{
	static const uint8_t unk[] = { 1, 2, 6, 7, 9, 10, 19, 30, 42, 200, 255 };
	for (unsigned i = 0; i < sizeof(unk); i++) {
		struct orig_spec s = icmp_to(REMOTE, FAR_DST, unk[i], 0);
		expect_none(&s, 1, "unknown ICMP type");
	}
}

Test(icmp4_error, icmp_queries_get_errors)
{
	static const uint8_t q[] = { 8, 0, 13, 14, 15, 16, 17, 18 };
	for (unsigned i = 0; i < sizeof(q); i++) {
		struct orig_spec s = icmp_to(REMOTE, FAR_DST, q[i], 0);
		expect_error(&s, ICMP4_TIME_EXCEEDED, ICMP4_TIMEX_TTL, 0, IF0_A);
	}
	struct orig_spec s = icmp_to(REMOTE, FAR_DST, ICMP4_ECHO_REQUEST, 0);
	s.hdr_opts = 4;
	expect_error(&s, ICMP4_DEST_UNREACH, ICMP4_UNREACH_HOST, 0, IF0_A);
	check_pool_whole();
}

Test(icmp4_error, never_about_non_first_fragments)
{
	struct orig_spec s = udp_to(REMOTE, FAR_DST, 200);
	s.frag = 1;
	expect_none(&s, 1, "offset 8, last");
	s.frag = IP4_MF | 185;
	expect_none(&s, 1, "offset 1480, more");
	s.frag = IP4_DF | IP4_OFFMASK;
	expect_none(&s, 1, "offset max");
	/* the first fragment does get one */
	s.frag = IP4_MF;
	expect_error(&s, ICMP4_TIME_EXCEEDED, ICMP4_TIMEX_TTL, 0, IF0_A);
	s.frag = IP4_DF;
	expect_error(&s, ICMP4_TIME_EXCEEDED, ICMP4_TIMEX_TTL, 0, IF0_A);
}

Test(icmp4_error, never_to_broadcast_or_multicast)
{
	static const uint32_t dsts[] = {
		0xffffffffu, IP(224, 0, 0, 1), IP(224, 0, 0, 251), IP(239, 255, 255, 250),
		IP(233, 1, 2, 3),
	};
	for (unsigned i = 0; i < sizeof(dsts) / sizeof(dsts[0]); i++) {
		struct orig_spec s = udp_to(REMOTE, dsts[i], 20);
		expect_none(&s, 1, "broadcast/multicast destination");
	}
	struct orig_spec s = udp_to(REMOTE, FAR_DST, 20);
	s.flags = RS_PF_L2_BCAST;
	expect_none(&s, 1, "link-layer broadcast");
	s = udp_to(REMOTE, IP(10, 0, 0, 255), 20);
	s.flags = RS_PF_LOCAL_BCAST;
	expect_none(&s, 1, "to a subnet broadcast of ours");
	s.flags = RS_PF_LOCAL_BCAST | RS_PF_L2_BCAST;
	expect_none(&s, 1, "both");
	check_pool_whole();
}

Test(icmp4_error, never_to_a_martian_source)
{
	static const uint32_t srcs[] = {
		0, IP(0, 1, 2, 3), IP(127, 0, 0, 1), IP(127, 255, 0, 9), IP(224, 0, 0, 1),
		IP(239, 1, 1, 1), IP(240, 0, 0, 1), IP(250, 1, 2, 3), 0xffffffffu,
	};
	for (unsigned i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		struct orig_spec s = udp_to(srcs[i], FAR_DST, 20);
		expect_none(&s, 1, "martian source");
		s = udp_to(srcs[i], IF0_A, 20);
		expect_none(&s, 1, "martian source, local destination");
	}
	check_pool_whole();
}

/* RFC 1122 §3.2.2: not about "a datagram whose source address does not
 * define a single host -- e.g., a zero address, a loopback address, a
 * broadcast address, ...". A subnet broadcast address of ours (RT_BROADCAST
 * in the FIB) as the source names no single host: an error to it would go
 * to every host on the subnet. ip4_input drops only 255.255.255.255 and the
 * martian classes as sources, so such a datagram reaches ip4_forward or
 * udp_input; icmp4_error_build() refuses it (it once did not). */
Test(icmp4_error, never_to_a_subnet_broadcast_source)
{
	struct orig_spec s = udp_to(IP(10, 0, 0, 255), FAR_DST, 20);
	expect_none(&s, 1, "source is 10.0.0.255, the broadcast of 10.0.0.0/24");
	s = udp_to(IP(172, 16, 255, 255), IF0_A, 20);
	s.iface = 1;
	expect_none(&s, 1, "source is 172.16.255.255, the broadcast of 172.16.0.0/16");
}

Test(icmp4_error, forbidden_originals_cost_no_tokens)
{
	rs_dp.params.icmp_rate = 1000;
	rs_dp.params.icmp_burst = 2;
	for (unsigned i = 0; i < 10; i++) {
		struct orig_spec s = icmp_to(REMOTE, FAR_DST, ICMP4_DEST_UNREACH, 3);
		expect_none(&s, 1, "ICMP error original");
	}
	struct orig_spec s = udp_to(REMOTE, FAR_DST, 20);
	expect_error(&s, ICMP4_DEST_UNREACH, 1, 0, IF0_A);
	expect_error(&s, ICMP4_DEST_UNREACH, 1, 0, IF0_A);
	expect_none(&s, 2, "third in a burst of 2");
}

/* ---- rate limiting ---- */

Test(icmp4_error, rate_limit_burst_then_refill)
{
	rs_dp.params.icmp_rate = 1000;
	rs_dp.params.icmp_burst = 50;
	struct orig_spec s = udp_to(REMOTE, FAR_DST, 64);
	for (unsigned i = 0; i < 50; i++)
		expect_error(&s, ICMP4_DEST_UNREACH, ICMP4_UNREACH_HOST, 0, IF0_A);
	expect_none(&s, 2, "51st at the same time");
	expect_none(&s, 2, "52nd at the same time");
	ut_w.now_ns += 1 * MS;
	expect_error(&s, ICMP4_DEST_UNREACH, ICMP4_UNREACH_HOST, 0, IF0_A);
	expect_none(&s, 2, "second one in that millisecond");
	ut_w.now_ns += MS / 2;
	expect_none(&s, 2, "half a token");
	ut_w.now_ns += MS / 2;
	expect_error(&s, ICMP4_DEST_UNREACH, ICMP4_UNREACH_HOST, 0, IF0_A);
	/* a long pause refills the bucket to the burst, no more */
	ut_w.now_ns += 10 * S;
	for (unsigned i = 0; i < 50; i++)
		expect_error(&s, ICMP4_DEST_UNREACH, ICMP4_UNREACH_HOST, 0, IF0_A);
	expect_none(&s, 2, "51st after a pause");
	check_pool_whole();
}

Test(icmp4_error, rate_limit_sustained)
{
	/* at 1000/s over 2 s of 10 attempts per ms: about 2000 + burst pass */
	rs_dp.params.icmp_rate = 1000;
	rs_dp.params.icmp_burst = 50;
	struct orig_spec s = udp_to(REMOTE, FAR_DST, 20);
	struct rte_mbuf *o = mk_orig(&s);
	unsigned sent = 0, limited = 0;
	for (unsigned t = 0; t < 2000; t++) {
		for (unsigned k = 0; k < 10; k++) {
			int why;
			struct rte_mbuf *e = icmp4_error_build(&ut_w, o, 3, 1, 0, &why);
			if (e != NULL) {
				cr_assert_eq(why, 0);
				sent++;
				rte_pktmbuf_free(e);
			} else {
				cr_assert_eq(why, 2);
				limited++;
			}
		}
		ut_w.now_ns += MS;
	}
	cr_assert(sent >= 2000 + 50 - 2 && sent <= 2000 + 50 + 1, "sent %u", sent);
	cr_assert_eq(sent + limited, 20000);
	rte_pktmbuf_free(o);
	check_pool_whole();
}

Test(icmp4_error, rate_limit_is_per_worker)
{
	rs_dp.params.icmp_rate = 1000;
	rs_dp.params.icmp_burst = 50;
	struct orig_spec s = udp_to(REMOTE, FAR_DST, 20);
	for (unsigned i = 0; i < 50; i++)
		expect_error(&s, ICMP4_DEST_UNREACH, 1, 0, IF0_A);
	expect_none(&s, 2, "51st");
	static struct rs_worker w2;
	memset(&w2, 0, sizeof(w2));
	w2.cfg = &ut_cfg;
	w2.idx = 1; /* per-worker state is indexed by the worker index */
	w2.now_ns = ut_w.now_ns;
	struct rte_mbuf *o = mk_orig(&s);
	int why;
	struct rte_mbuf *e = icmp4_error_build(&w2, o, 3, 1, 0, &why);
	cr_assert_not_null(e, "another worker has its own bucket (why %d)", why);
	rte_pktmbuf_free(e);
	rte_pktmbuf_free(o);
}

/* ---- per destination (Linux's icmp_ratelimit, lib/icmp/icmp_rl.c) ---- */

static struct icmp_rl *ut_rl(void)
{
	struct icmp_rl_params p;
	icmp_rl_params_default(&p);
	struct icmp_rl *t = icmp_rl_create(&p);
	cr_assert_not_null(t);
	return t;
}

Test(icmp4_error, per_destination_burst_then_one_per_second)
{
	rs_dp.params.icmp_rate = 1000;
	rs_dp.params.icmp_burst = 50;
	icmp_workers[ut_w.idx].rl = ut_rl();
	struct orig_spec s = udp_to(REMOTE, IF0_A, 20);
	for (unsigned i = 0; i < 6; i++)
		expect_error(&s, ICMP4_DEST_UNREACH, ICMP4_UNREACH_PORT, 0, IF0_A);
	for (unsigned i = 0; i < 194; i++)
		expect_none(&s, 2, "the rest of a burst of 200 probes from one peer");
	/* the refusals cost the global bucket nothing: another peer gets its
	 * own burst (44 tokens of the 50 are left) */
	struct orig_spec o = udp_to(IP(198, 51, 100, 8), IF0_A, 20);
	for (unsigned i = 0; i < 6; i++)
		expect_error(&o, ICMP4_DEST_UNREACH, ICMP4_UNREACH_PORT, 0, IF0_A);
	expect_none(&o, 2, "seventh to the second peer");
	ut_w.now_ns += 999 * MS;
	expect_none(&s, 2, "within the second");
	ut_w.now_ns += 1 * MS;
	expect_error(&s, ICMP4_DEST_UNREACH, ICMP4_UNREACH_PORT, 0, IF0_A);
	expect_none(&s, 2, "one per second");
	icmp_rl_destroy(icmp_workers[ut_w.idx].rl);
	icmp_workers[ut_w.idx].rl = NULL;
	check_pool_whole();
}

/* the global bucket still bounds many destinations together */
Test(icmp4_error, per_destination_and_global_together)
{
	rs_dp.params.icmp_rate = 1000;
	rs_dp.params.icmp_burst = 50;
	icmp_workers[ut_w.idx].rl = ut_rl();
	unsigned sent = 0;
	for (unsigned d = 0; d < 100; d++) {
		struct orig_spec s = udp_to(IP(198, 51, 100, 10 + d), FAR_DST, 20);
		struct rte_mbuf *o = mk_orig(&s);
		int why;
		struct rte_mbuf *e = icmp4_error_build(&ut_w, o, ICMP4_DEST_UNREACH, 1, 0, &why);
		sent += e != NULL;
		rte_pktmbuf_free(e);
		rte_pktmbuf_free(o);
	}
	cr_assert_eq(sent, 50, "the global burst bounds 100 fresh destinations: %u", sent);
	icmp_rl_destroy(icmp_workers[ut_w.idx].rl);
	icmp_workers[ut_w.idx].rl = NULL;
	check_pool_whole();
}

/* Linux never limits fragmentation needed (icmpv4_mask_allow): path MTU
 * discovery must not stall behind a burst. */
Test(icmp4_error, fragmentation_needed_is_not_limited)
{
	rs_dp.params.icmp_rate = 1000;
	rs_dp.params.icmp_burst = 2;
	icmp_workers[ut_w.idx].rl = ut_rl();
	struct orig_spec s = udp_to(REMOTE, FAR_DST, 1400);
	s.frag = IP4_DF;
	for (unsigned i = 0; i < 20; i++)
		expect_error(&s, ICMP4_DEST_UNREACH, ICMP4_UNREACH_FRAG_NEEDED, 1280, IF0_A);
	/* and they took no token of the others */
	struct orig_spec u = udp_to(REMOTE, FAR_DST, 20);
	expect_error(&u, ICMP4_DEST_UNREACH, 1, 0, IF0_A);
	expect_error(&u, ICMP4_DEST_UNREACH, 1, 0, IF0_A);
	expect_none(&u, 2, "global burst of 2 spent");
	icmp_rl_destroy(icmp_workers[ut_w.idx].rl);
	icmp_workers[ut_w.idx].rl = NULL;
	check_pool_whole();
}

Test(icmp4_error, no_mbuf)
{
	struct rte_mempool *saved = rs_dp.pool;
	struct orig_spec s = udp_to(REMOTE, FAR_DST, 20);
	struct rte_mbuf *o = mk_orig(&s);
	struct rte_mempool *tiny = rte_pktmbuf_pool_create(
		"ut_tiny", 1, 0, RTE_ALIGN(sizeof(struct rs_priv), RTE_MBUF_PRIV_ALIGN),
		RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	cr_assert_not_null(tiny);
	struct rte_mbuf *hold = rte_pktmbuf_alloc(tiny);
	cr_assert_not_null(hold);
	rs_dp.pool = tiny;
	int why = -1;
	struct rte_mbuf *e = icmp4_error_build(&ut_w, o, 3, 1, 0, &why);
	cr_assert_null(e);
	cr_assert_eq(why, 3);
	rs_dp.pool = saved;
	rte_pktmbuf_free(hold);
	rte_mempool_free(tiny);
	rte_pktmbuf_free(o);
	check_pool_whole();
}

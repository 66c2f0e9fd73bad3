/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_rx_seeds DIR: writes a seed corpus for fuzz_rx into DIR, one file per
 * scenario: valid ARP, ICMP echo, UDP, fragments (in order, reversed,
 * duplicated, overlapping, incomplete), options, jumbo and chained frames,
 * bursts, resolution of neighbors that answer and of ones that do not, and
 * a few malformed frames, and forwarding between the two ports. Frames carry the FZ_F_OURMAC flag (the harness
 * writes the port's MAC) and correct checksums, so the fuzzer starts deep in
 * the stack. DPDK-free.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_rx_format.h"
#include "util/rs_bytes.h"
#include "util/rs_csum.h"

static const uint8_t peer_mac[6] = FZ_PEER_MAC;
static const uint8_t peer1_mac[6] = FZ_PEER1_MAC;
static uint8_t g_ttl = 64;
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t dummy_dst[6] = { 0x02, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa }; /* overwritten */
static const uint8_t other_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x63 };

/* ---- the record stream ---- */

struct seed {
	uint8_t *b;
	size_t len, cap;
};

static void put(struct seed *s, const void *d, size_t n)
{
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		while (cap < s->len + n)
			cap *= 2;
		s->b = realloc(s->b, cap);
		if (s->b == NULL)
			abort();
		s->cap = cap;
	}
	memcpy(s->b + s->len, d, n);
	s->len += n;
}

static void rec(struct seed *s, uint8_t op, uint16_t len, const void *payload)
{
	uint8_t h[3] = { op, (uint8_t)len, (uint8_t)(len >> 8) };
	put(s, h, 3);
	if (payload)
		put(s, payload, len);
}

static void frame_rec(struct seed *s, uint8_t flags, const uint8_t *f, size_t len)
{
	rec(s, (uint8_t)(FZ_OP_INJECT | flags), (uint16_t)len, f);
}

static void seg_frame_rec(struct seed *s, uint8_t flags, uint8_t segparam, const uint8_t *f,
			  size_t len)
{
	uint8_t *b = malloc(len + 1);
	b[0] = segparam;
	memcpy(b + 1, f, len);
	rec(s, (uint8_t)(FZ_OP_INJECT | FZ_F_SEGS | flags), (uint16_t)(len + 1), b);
	free(b);
}

static void clock_rec(struct seed *s, uint16_t ms) { rec(s, FZ_OP_CLOCK, ms, NULL); }
static void ctl_rec(struct seed *s) { rec(s, FZ_OP_CTL, 0, NULL); }
static void poll_rec(struct seed *s) { rec(s, FZ_OP_POLL, 0, NULL); }

static const char *outdir;
static unsigned nseeds;

static void save(struct seed *s, const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", outdir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(s->b, 1, s->len, f) != s->len || fclose(f) != 0) {
		fprintf(stderr, "fuzz_rx_seeds: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	free(s->b);
	memset(s, 0, sizeof(*s));
	nseeds++;
}

/* ---- packets ---- */

#define F_STD (FZ_F_OURMAC)

static size_t eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	rs_st16(f + 12, type);
	return 14;
}

static size_t arp(uint8_t *f, const uint8_t *edst, uint16_t op, const uint8_t *sha, uint32_t sip,
		  const uint8_t *tha, uint32_t tip)
{
	size_t n = eth(f, edst, sha, 0x0806);
	uint8_t *a = f + n;
	rs_st16(a, 1);
	rs_st16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	rs_st16(a + 6, op);
	memcpy(a + 8, sha, 6);
	rs_st32(a + 14, sip);
	memcpy(a + 18, tha, 6);
	rs_st32(a + 24, tip);
	return n + 28;
}

/* IPv4 header with options opts (olen a multiple of 4) and payload. */
static size_t ip4(uint8_t *f, const uint8_t *edst, uint32_t src, uint32_t dst, uint8_t proto,
		  uint16_t id, uint16_t frag, const uint8_t *opts, size_t olen, const uint8_t *pl,
		  size_t plen)
{
	size_t n = eth(f, edst, peer_mac, 0x0800);
	uint8_t *h = f + n;
	size_t hl = 20 + olen;
	h[0] = (uint8_t)(0x40 | (hl / 4));
	h[1] = 0;
	rs_st16(h + 2, (uint16_t)(hl + plen));
	rs_st16(h + 4, id);
	rs_st16(h + 6, frag);
	h[8] = g_ttl;
	h[9] = proto;
	rs_st16(h + 10, 0);
	rs_st32(h + 12, src);
	rs_st32(h + 16, dst);
	if (olen)
		memcpy(h + 20, opts, olen);
	rs_st16(h + 10, rs_csum(h, hl));
	memcpy(h + hl, pl, plen);
	return n + hl + plen;
}

/* ICMP echo request of dlen data bytes into buf; returns its length. */
static size_t echo(uint8_t *buf, uint16_t id, uint16_t seq, size_t dlen)
{
	buf[0] = 8;
	buf[1] = 0;
	rs_st16(buf + 2, 0);
	rs_st16(buf + 4, id);
	rs_st16(buf + 6, seq);
	for (size_t i = 0; i < dlen; i++)
		buf[8 + i] = (uint8_t)(i * 7 + 1);
	rs_st16(buf + 2, rs_csum(buf, 8 + dlen));
	return 8 + dlen;
}

static size_t udp(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		  size_t dlen, bool csum)
{
	rs_st16(buf, sport);
	rs_st16(buf + 2, dport);
	rs_st16(buf + 4, (uint16_t)(8 + dlen));
	rs_st16(buf + 6, 0);
	for (size_t i = 0; i < dlen; i++)
		buf[8 + i] = (uint8_t)('a' + i % 26);
	if (csum) {
		uint32_t s = rs_csum_pseudo4(src, dst, 17, (uint16_t)(8 + dlen));
		uint16_t c = rs_csum_fold(rs_csum_add(s, buf, 8 + dlen));
		rs_st16(buf + 6, c ? c : 0xffff);
	}
	return 8 + dlen;
}

static uint8_t pl[70000];
static uint8_t fr[FZ_MAX_FRAME + 64];

static void ping(struct seed *s, uint8_t flags, uint32_t src, uint32_t dst, size_t dlen)
{
	size_t n = echo(pl, 0x1234, 1, dlen);
	size_t fl = ip4(fr, dummy_dst, src, dst, 1, 0x100, 0, NULL, 0, pl, n);
	frame_rec(s, flags, fr, fl);
}

/*
 * Sends payload pl[0..plen) as fragments of at most fsz bytes (multiple of
 * 8), in the order given by order[] (indexes; NULL = in order), count nf.
 */
static unsigned fragment(struct seed *s, uint32_t src, uint32_t dst, uint8_t proto, uint16_t id,
			 size_t plen, size_t fsz, const int *order, unsigned norder)
{
	unsigned nf = (unsigned)((plen + fsz - 1) / fsz);
	for (unsigned k = 0; k < (order ? norder : nf); k++) {
		unsigned i = order ? (unsigned)order[k] : k;
		if (i >= nf)
			continue;
		size_t off = i * fsz;
		size_t len = plen - off < fsz ? plen - off : fsz;
		uint16_t frag = (uint16_t)((off / 8) | (i + 1 < nf ? 0x2000 : 0));
		size_t fl = ip4(fr, dummy_dst, src, dst, proto, id, frag, NULL, 0, pl + off, len);
		frame_rec(s, F_STD, fr, fl);
	}
	return nf;
}

/* ---- IPv6 (the harness adds 2001:db8::1/64 on port0, 2001:db8:2::1/64 on
 * port1, static neighbours ::2, routes 2001:db8:99::/48 via ::2 and
 * 2001:db8:97::/48 via the unresolved ::3) ---- */

static const uint8_t A6_US[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t A6_PEER[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
static const uint8_t A6_FAR[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x99, [15] = 5 };
static const uint8_t A6_FAR_UNRES[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x97, [15] = 5 };
static const uint8_t A6_ALLNODES[16] = { 0xff, 0x02, [15] = 1 };

/* Ethernet + IPv6 (next header nh, hop limit hl) + payload; checksums are
 * the payload's business (flag FZ_F_L4CSUM fixes an ICMPv6 one). */
static size_t ip6f(uint8_t *f, const uint8_t *edst, const uint8_t *src, const uint8_t *dst,
		   uint8_t nh, uint8_t hl, const uint8_t *p, size_t plen)
{
	size_t n = eth(f, edst, peer_mac, 0x86dd);
	uint8_t *h = f + n;
	rs_st32(h, 0x60000000u);
	rs_st16(h + 4, (uint16_t)plen);
	h[6] = nh;
	h[7] = hl;
	memcpy(h + 8, src, 16);
	memcpy(h + 24, dst, 16);
	memcpy(h + 40, p, plen);
	return n + 40 + plen;
}

static size_t echo6(uint8_t *b, uint16_t seq, size_t dlen)
{
	b[0] = 128;
	b[1] = 0;
	rs_st16(b + 2, 0);
	rs_st16(b + 4, 0x66);
	rs_st16(b + 6, seq);
	for (size_t i = 0; i < dlen; i++)
		b[8 + i] = (uint8_t)(i * 3 + 1);
	return 8 + dlen;
}

static void ip6_seeds(struct seed *s)
{
	const uint8_t F6 = F_STD | FZ_F_L4CSUM;
	size_t n, fl;
	static const uint8_t mc1[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	static const uint8_t sn1[6] = { 0x33, 0x33, 0xff, 0, 0, 1 };
	static const uint8_t snaddr[16] = { 0xff, 0x02, [11] = 1, 0xff, 0, 0, 1 };

	/* echo to our global address, to all-nodes, then the clock */
	n = echo6(pl, 1, 56);
	fl = ip6f(fr, dummy_dst, A6_PEER, A6_US, 58, 64, pl, n);
	frame_rec(s, F6, fr, fl);
	fl = ip6f(fr, mc1, A6_PEER, A6_ALLNODES, 58, 64, pl, n);
	frame_rec(s, FZ_F_L4CSUM, fr, fl);
	ctl_rec(s);
	save(s, "ip6_echo");
	/* NS for us (with SLLA) and an unsolicited NA */
	uint8_t *m = pl;
	memset(m, 0, 32);
	m[0] = 135;
	memcpy(m + 8, A6_US, 16);
	m[24] = 1;
	m[25] = 1;
	memcpy(m + 26, peer_mac, 6);
	fl = ip6f(fr, sn1, A6_PEER, snaddr, 58, 255, m, 32);
	frame_rec(s, FZ_F_L4CSUM, fr, fl);
	m[0] = 136;
	m[4] = 0x20;
	memcpy(m + 8, A6_PEER, 16);
	m[24] = 2;
	fl = ip6f(fr, mc1, A6_PEER, A6_ALLNODES, 58, 255, m, 32);
	frame_rec(s, FZ_F_L4CSUM, fr, fl);
	ctl_rec(s);
	save(s, "ip6_nd");
	/* MLD queries (RFC 3810 §5.1): v1 (24 bytes), v2 general with two
	 * sources, v2 for our solicited-node group, a 26-byte one (neither),
	 * from a link-local source with hop limit 1; then a Packet Too Big
	 * about a datagram of ours (the path MTU cache) */
	static const uint8_t ll_peer[16] = { 0xfe, 0x80, [15] = 2 };
	uint8_t mq[28 + 32];
	memset(mq, 0, sizeof(mq));
	mq[0] = 130;
	rs_st16(mq + 4, 1000);
	fl = ip6f(fr, mc1, ll_peer, A6_ALLNODES, 58, 1, mq, 24);
	frame_rec(s, FZ_F_L4CSUM, fr, fl);
	rs_st16(mq + 26, 2);
	memcpy(mq + 28, A6_PEER, 16);
	memcpy(mq + 44, A6_FAR, 16);
	fl = ip6f(fr, mc1, ll_peer, A6_ALLNODES, 58, 1, mq, sizeof(mq));
	frame_rec(s, FZ_F_L4CSUM, fr, fl);
	memcpy(mq + 8, snaddr, 16);
	rs_st16(mq + 26, 0);
	fl = ip6f(fr, sn1, ll_peer, snaddr, 58, 1, mq, 28);
	frame_rec(s, FZ_F_L4CSUM, fr, fl);
	fl = ip6f(fr, mc1, ll_peer, A6_ALLNODES, 58, 1, mq, 26);
	frame_rec(s, FZ_F_L4CSUM, fr, fl);
	ctl_rec(s);
	uint8_t ptb6[8 + 40 + 8 + 16];
	memset(ptb6, 0, sizeof(ptb6));
	ptb6[0] = 2;
	rs_st32(ptb6 + 4, 1300);
	rs_st32(ptb6 + 8, 0x60000000u);
	rs_st16(ptb6 + 12, 8 + 16);
	ptb6[14] = 17;
	ptb6[15] = 64;
	memcpy(ptb6 + 16, A6_US, 16);
	memcpy(ptb6 + 32, A6_FAR, 16);
	rs_st16(ptb6 + 48, 40000);
	rs_st16(ptb6 + 50, 9);
	fl = ip6f(fr, dummy_dst, A6_PEER, A6_US, 58, 64, ptb6, sizeof(ptb6));
	frame_rec(s, F6, fr, fl);
	ctl_rec(s);
	save(s, "ip6_mld_ptb");
	/* IGMP (RFC 3376 §4.1, §7.1) to 224.0.0.1 with Router Alert: a v3
	 * general query, a v2 one (8 bytes), a v3 group-specific one with a
	 * source, a 10-byte one (neither) and a v3 report (not a query) */
	{
		static const uint8_t ahm[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
		static const uint8_t ra[4] = { 0x94, 4, 0, 0 };
		const struct { uint8_t type; uint8_t len; uint32_t group; uint16_t nsrc; } q[] = {
			{ 0x11, 12, 0, 0 }, { 0x11, 8, 0, 0 }, { 0x11, 16, 0xef010203u, 1 },
			{ 0x11, 10, 0, 0 }, { 0x22, 16, 0, 1 },
		};
		uint8_t ig[16];
		for (unsigned i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
			memset(ig, 0, sizeof(ig));
			ig[0] = q[i].type;
			ig[1] = 100;
			rs_st32(ig + 4, q[i].group);
			if (q[i].type == 0x22) {
				ig[1] = 0;
				rs_st16(ig + 6, 1);
				ig[8] = 4; /* CHANGE_TO_EXCLUDE 239.1.2.3 */
				rs_st32(ig + 12, 0xef010203u);
			} else if (q[i].len >= 12) {
				ig[8] = 2;
				ig[9] = 125;
				rs_st16(ig + 10, q[i].nsrc);
				if (q[i].nsrc)
					rs_st32(ig + 12, FZ_IP_PEER);
			}
			rs_st16(ig + 2, rs_csum(ig, q[i].len));
			fl = ip4(fr, ahm, FZ_IP_PEER, 0xe0000001u, 2, (uint16_t)i, 0, ra, 4, ig, q[i].len);
			frame_rec(s, 0, fr, fl);
		}
		ctl_rec(s);
		save(s, "ip4_igmp");
	}
	/* hop-by-hop with an unknown option (action 10), RH0 with segments left */
	uint8_t x[64];
	memset(x, 0, sizeof(x));
	x[0] = 58;
	x[2] = 0x9e;
	x[3] = 2;
	n = echo6(x + 8, 2, 8);
	fl = ip6f(fr, dummy_dst, A6_PEER, A6_US, 0, 64, x, 8 + n);
	frame_rec(s, F_STD, fr, fl);
	memset(x, 0, sizeof(x));
	x[0] = 58;
	x[1] = 2;
	x[3] = 1;
	memcpy(x + 8, A6_PEER, 16);
	n = echo6(x + 24, 3, 8);
	fl = ip6f(fr, dummy_dst, A6_PEER, A6_US, 43, 64, x, 24 + n);
	frame_rec(s, F_STD, fr, fl);
	save(s, "ip6_exthdr");
	/* an echo of 3000 bytes in three fragments, out of order */
	uint8_t big[3100];
	n = echo6(big, 4, 3000 - 8);
	for (int k = 2; k >= 0; k--) {
		size_t off = (size_t)k * 1232, len = n - off < 1232 ? n - off : 1232;
		uint8_t fh[8 + 1232];
		fh[0] = 58;
		fh[1] = 0;
		rs_st16(fh + 2, (uint16_t)(off | (k < 2 ? 1 : 0)));
		rs_st32(fh + 4, 0xabcd);
		memcpy(fh + 8, big + off, len);
		fl = ip6f(fr, dummy_dst, A6_PEER, A6_US, 44, 64, fh, 8 + len);
		frame_rec(s, F_STD, fr, fl);
	}
	clock_rec(s, 100);
	save(s, "ip6_fragments");
	/* forwarding: via a resolved gateway, via an unresolved one, hop limit 1 */
	n = echo6(pl, 5, 64);
	fl = ip6f(fr, dummy_dst, A6_PEER, A6_FAR, 58, 64, pl, n);
	frame_rec(s, F6, fr, fl);
	fl = ip6f(fr, dummy_dst, A6_PEER, A6_FAR_UNRES, 58, 64, pl, n);
	frame_rec(s, F6, fr, fl);
	fl = ip6f(fr, dummy_dst, A6_PEER, A6_FAR, 58, 1, pl, n);
	frame_rec(s, F6, fr, fl);
	ctl_rec(s);
	clock_rec(s, 1500);
	ctl_rec(s);
	save(s, "ip6_forward");
	/* TCP to us over IPv6: a SYN and a data segment to closed ports (RSTs
	 * back), one behind a Destination Options header, and a Packet Too
	 * Big quoting a segment of ours (no connection takes it) */
	uint8_t t6[80];
	memset(t6, 0, sizeof(t6));
	rs_st16(t6, 40000);
	rs_st16(t6 + 2, 80);
	rs_st32(t6 + 4, 1000);
	t6[12] = 0x60;
	t6[13] = 0x02;
	rs_st16(t6 + 14, 65535);
	t6[20] = 2;
	t6[21] = 4;
	rs_st16(t6 + 22, 1440);
	fl = ip6f(fr, dummy_dst, A6_PEER, A6_US, 6, 64, t6, 24);
	frame_rec(s, F6, fr, fl);
	t6[12] = 0x50;
	t6[13] = 0x18;
	rs_st32(t6 + 8, 77);
	memcpy(t6 + 20, "data over ipv6", 14);
	fl = ip6f(fr, dummy_dst, A6_PEER, A6_US, 6, 64, t6, 34);
	frame_rec(s, F6, fr, fl);
	memset(x, 0, sizeof(x));
	x[0] = 6;
	x[2] = 1; /* PadN filling the header */
	x[3] = 4;
	memcpy(x + 8, t6, 20);
	x[8 + 13] = 0x02;
	fl = ip6f(fr, dummy_dst, A6_PEER, A6_US, 60, 64, x, 28);
	frame_rec(s, F_STD, fr, fl);
	uint8_t ptb[8 + 40 + 20];
	memset(ptb, 0, sizeof(ptb));
	ptb[0] = 2;
	rs_st32(ptb + 4, 1280);
	uint8_t *q = ptb + 8;
	rs_st32(q, 0x60000000u);
	rs_st16(q + 4, 20);
	q[6] = 6;
	q[7] = 64;
	memcpy(q + 8, A6_US, 16);
	memcpy(q + 24, A6_PEER, 16);
	rs_st16(q + 40, 80);
	rs_st16(q + 42, 40000);
	fl = ip6f(fr, dummy_dst, A6_PEER, A6_US, 58, 64, ptb, sizeof(ptb));
	frame_rec(s, F6, fr, fl);
	ctl_rec(s);
	save(s, "ip6_tcp");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fuzz_rx_seeds DIR\n");
		return 2;
	}
	outdir = argv[1];
	struct seed s = { 0 };
	size_t n, fl;

	/* ARP: request for each of our addresses, then the answer goes out */
	fl = arp(fr, bcast, 1, peer_mac, FZ_IP_PEER, (const uint8_t[6]){ 0 }, FZ_IP_A);
	frame_rec(&s, 0, fr, fl);
	ctl_rec(&s);
	save(&s, "arp_request_a");
	fl = arp(fr, bcast, 1, other_mac, 0x0a010203, (const uint8_t[6]){ 0 }, FZ_IP_B);
	frame_rec(&s, 0, fr, fl);
	ctl_rec(&s);
	save(&s, "arp_request_b_new_sender");
	/* RFC 5227 probe (sender 0), gratuitous ARP, a request for someone else */
	fl = arp(fr, bcast, 1, other_mac, 0, (const uint8_t[6]){ 0 }, FZ_IP_A);
	frame_rec(&s, 0, fr, fl);
	fl = arp(fr, bcast, 1, other_mac, 0x0a000063, (const uint8_t[6]){ 0 }, 0x0a000063);
	frame_rec(&s, 0, fr, fl);
	fl = arp(fr, bcast, 1, other_mac, 0x0a000063, (const uint8_t[6]){ 0 }, 0x0a000042);
	frame_rec(&s, 0, fr, fl);
	ctl_rec(&s);
	save(&s, "arp_probe_gratuitous_other");
	/* unicast request, padded to the 60-byte minimum */
	fl = arp(fr, dummy_dst, 1, peer_mac, FZ_IP_PEER, (const uint8_t[6]){ 0 }, FZ_IP_A);
	memset(fr + fl, 0, 60 - fl);
	frame_rec(&s, F_STD, fr, 60);
	save(&s, "arp_request_unicast_padded");

	/* ICMP echo from the static neighbor, from a routed host, broadcasts */
	ping(&s, F_STD, FZ_IP_PEER, FZ_IP_A, 56);
	save(&s, "ping_peer");
	ping(&s, F_STD, FZ_IP_PEER, FZ_IP_B, 0);
	ping(&s, F_STD, FZ_IP_FAR, FZ_IP_A, 32);
	save(&s, "ping_b_and_routed");
	ping(&s, F_STD, FZ_IP_PEER, FZ_IP_A, 1472);
	save(&s, "ping_peer_mtu");
	ping(&s, 0, FZ_IP_PEER, FZ_IP_A, 56); /* dst MAC not ours */
	fl = ip4(fr, bcast, FZ_IP_PEER, 0x0a0000ff, 1, 1, 0, NULL, 0, pl, echo(pl, 1, 1, 16));
	frame_rec(&s, 0, fr, fl);
	fl = ip4(fr, bcast, FZ_IP_PEER, 0xffffffff, 1, 1, 0, NULL, 0, pl, echo(pl, 1, 1, 16));
	frame_rec(&s, 0, fr, fl);
	save(&s, "ping_other_host_and_broadcasts");

	/* echo from a host on the link nobody has resolved: ARP, then it answers */
	ping(&s, F_STD, 0x0a000007, FZ_IP_A, 56);
	ctl_rec(&s);
	poll_rec(&s);
	fl = arp(fr, dummy_dst, 2, other_mac, 0x0a000007, (const uint8_t[6]){ 0 }, FZ_IP_A);
	frame_rec(&s, F_STD, fr, fl);
	ctl_rec(&s);
	poll_rec(&s);
	ping(&s, F_STD, 0x0a000007, FZ_IP_A, 56);
	clock_rec(&s, 40000); /* REACHABLE -> STALE */
	ctl_rec(&s);
	ping(&s, F_STD, 0x0a000007, FZ_IP_A, 56); /* STALE -> DELAY */
	ctl_rec(&s);
	clock_rec(&s, 6000);
	ctl_rec(&s);
	save(&s, "resolve_then_reply_stale_delay");

	/* echo from hosts that never answer ARP: queue, retries, failure */
	for (int i = 0; i < 10; i++)
		ping(&s, F_STD, FZ_IP_UNRES, FZ_IP_A, 8 + (size_t)i);
	ctl_rec(&s);
	for (int i = 0; i < 4; i++) {
		clock_rec(&s, 1100);
		ctl_rec(&s);
	}
	ping(&s, F_STD, FZ_IP_FAR_UNRES, FZ_IP_A, 20);
	ctl_rec(&s);
	save(&s, "resolve_fails");

	/* UDP: port unreachable, no checksum, bad checksum, broadcast */
	n = udp(pl, FZ_IP_PEER, FZ_IP_A, 40000, 53, 20, true);
	fl = ip4(fr, dummy_dst, FZ_IP_PEER, FZ_IP_A, 17, 7, 0x4000, NULL, 0, pl, n);
	frame_rec(&s, F_STD, fr, fl);
	save(&s, "udp_port_unreach");
	n = udp(pl, FZ_IP_PEER, FZ_IP_B, 40000, 9, 3, false);
	fl = ip4(fr, dummy_dst, FZ_IP_PEER, FZ_IP_B, 17, 8, 0, NULL, 0, pl, n);
	frame_rec(&s, F_STD, fr, fl);
	n = udp(pl, FZ_IP_PEER, 0x0a0000ff, 68, 67, 30, true);
	fl = ip4(fr, bcast, FZ_IP_PEER, 0x0a0000ff, 17, 9, 0, NULL, 0, pl, n);
	frame_rec(&s, 0, fr, fl);
	n = udp(pl, FZ_IP_PEER, FZ_IP_A, 1, 2, 10, true);
	pl[7] ^= 0x55;
	fl = ip4(fr, dummy_dst, FZ_IP_PEER, FZ_IP_A, 17, 10, 0, NULL, 0, pl, n);
	frame_rec(&s, F_STD, fr, fl);
	save(&s, "udp_mixed");
	n = udp(pl, FZ_IP_FAR_UNRES, FZ_IP_A, 5000, 6000, 100, true);
	fl = ip4(fr, dummy_dst, FZ_IP_FAR_UNRES, FZ_IP_A, 17, 11, 0, NULL, 0, pl, n);
	frame_rec(&s, F_STD | FZ_F_IPCSUM | FZ_F_L4CSUM, fr, fl);
	ctl_rec(&s);
	save(&s, "udp_from_unresolved_gw");

	/* unknown protocol (TCP for now): protocol unreachable */
	memset(pl, 0, 20);
	pl[12] = 0x50;
	pl[13] = 0x02;
	fl = ip4(fr, dummy_dst, FZ_IP_PEER, FZ_IP_A, 6, 12, 0, NULL, 0, pl, 20);
	frame_rec(&s, F_STD, fr, fl);
	fl = ip4(fr, dummy_dst, FZ_IP_FAR, FZ_IP_A, 47, 13, 0, NULL, 0, pl, 4);
	frame_rec(&s, F_STD, fr, fl);
	save(&s, "proto_unreach");

	/* options: NOP, record route, router alert (copied), then EOL */
	{
		static const uint8_t opts[] = { 1, 7, 7, 4, 0, 0, 0, 0, 0x94, 4, 0, 0, 0, 0, 0, 0 };
		n = echo(pl, 2, 2, 40);
		fl = ip4(fr, dummy_dst, FZ_IP_PEER, FZ_IP_A, 1, 14, 0, opts, sizeof(opts), pl, n);
		frame_rec(&s, F_STD, fr, fl);
		n = udp(pl, FZ_IP_PEER, FZ_IP_A, 1000, 2000, 8, true);
		fl = ip4(fr, dummy_dst, FZ_IP_PEER, FZ_IP_A, 17, 15, 0, opts, sizeof(opts), pl, n);
		frame_rec(&s, F_STD, fr, fl);
		save(&s, "ip_options");
	}

	/* fragmented echo: in order; reversed; with a duplicate; overlapping */
	n = echo(pl, 3, 3, 2992);
	fragment(&s, FZ_IP_PEER, FZ_IP_A, 1, 0x200, n, 1480, NULL, 0);
	save(&s, "frag_ping_in_order");
	{
		static const int rev[] = { 2, 1, 0 };
		n = echo(pl, 3, 4, 2992);
		fragment(&s, FZ_IP_PEER, FZ_IP_A, 1, 0x201, n, 1480, rev, 3);
		save(&s, "frag_ping_reversed");
		static const int dup[] = { 0, 1, 1, 2 };
		fragment(&s, FZ_IP_FAR, FZ_IP_A, 1, 0x202, n, 1480, dup, 4);
		save(&s, "frag_ping_dup");
		static const int miss[] = { 0, 2 };
		fragment(&s, FZ_IP_PEER, FZ_IP_A, 1, 0x203, n, 1480, miss, 2);
		clock_rec(&s, 30500); /* Time Exceeded (reassembly) */
		ctl_rec(&s);
		save(&s, "frag_ping_timeout");
		static const int tail[] = { 1, 2 };
		fragment(&s, FZ_IP_PEER, FZ_IP_A, 1, 0x204, n, 1480, tail, 2);
		clock_rec(&s, 30500); /* no fragment 0: silent */
		save(&s, "frag_ping_timeout_no_first");
	}
	/* overlapping: 0..1480, then 1000..2480 */
	n = echo(pl, 4, 4, 2400);
	fl = ip4(fr, dummy_dst, FZ_IP_PEER, FZ_IP_A, 1, 0x300, 0x2000, NULL, 0, pl, 1480);
	frame_rec(&s, F_STD, fr, fl);
	fl = ip4(fr, dummy_dst, FZ_IP_PEER, FZ_IP_A, 1, 0x300, 1000 / 8, NULL, 0, pl + 1000,
		 n - 1000);
	frame_rec(&s, F_STD, fr, fl);
	save(&s, "frag_overlap");
	/* fragmented UDP to a closed port, small fragments */
	n = udp(pl, FZ_IP_PEER, FZ_IP_B, 7, 7, 200, true);
	fragment(&s, FZ_IP_PEER, FZ_IP_B, 17, 0x301, n, 64, NULL, 0);
	save(&s, "frag_udp_small");
	/* a big echo (8000 bytes): the reply is fragmented to the MTU */
	n = echo(pl, 5, 5, 8000);
	fragment(&s, FZ_IP_PEER, FZ_IP_A, 1, 0x302, n, 1480, NULL, 0);
	save(&s, "frag_ping_big");
	/* the largest echo: 65507 bytes of data in 45 fragments */
	n = echo(pl, 6, 6, 65507 - 8);
	fragment(&s, FZ_IP_FAR, FZ_IP_B, 1, 0x303, n, 1480, NULL, 0);
	save(&s, "frag_ping_max");
	/* more incomplete datagrams than the table holds (8 in the harness) */
	n = echo(pl, 6, 7, 2000);
	for (int i = 0; i < 10; i++) {
		static const int first[] = { 0 };
		fragment(&s, FZ_IP_PEER, FZ_IP_A, 1, (uint16_t)(0x310 + i), n, 1480, first, 1);
	}
	save(&s, "frag_evict_datagrams");
	/* more bytes than the table holds (66 KB): a 64 KB datagram without its
	 * last fragment, then another datagram */
	{
		static int most[44];
		for (int i = 0; i < 44; i++)
			most[i] = i;
		n = echo(pl, 6, 8, 65507 - 8);
		fragment(&s, FZ_IP_PEER, FZ_IP_A, 1, 0x320, n, 1480, most, 44);
		n = echo(pl, 6, 9, 3000);
		fragment(&s, FZ_IP_FAR, FZ_IP_A, 1, 0x321, n, 1480, NULL, 0);
		save(&s, "frag_evict_bytes");
	}
	/* ping of death: a last fragment ending past 65535 */
	n = echo(pl, 7, 7, 1400);
	fl = ip4(fr, dummy_dst, FZ_IP_PEER, FZ_IP_A, 1, 0x304, 0x2000, NULL, 0, pl, 1480);
	frame_rec(&s, F_STD, fr, fl);
	fl = ip4(fr, dummy_dst, FZ_IP_PEER, FZ_IP_A, 1, 0x304, 65528 / 8, NULL, 0, pl, 200);
	frame_rec(&s, F_STD, fr, fl);
	save(&s, "frag_ping_of_death");

	/* jumbo frame (9000 bytes of IP) as a chain, and a ping in small segments */
	n = echo(pl, 8, 8, 9000 - 28);
	fl = ip4(fr, dummy_dst, FZ_IP_PEER, FZ_IP_A, 1, 0x400, 0, NULL, 0, pl, n);
	frame_rec(&s, F_STD, fr, fl);
	save(&s, "jumbo_ping_chain");
	n = echo(pl, 9, 9, 300);
	fl = ip4(fr, dummy_dst, FZ_IP_PEER, FZ_IP_A, 1, 0x401, 0, NULL, 0, pl, n);
	seg_frame_rec(&s, F_STD, 14, fr, fl); /* 128-byte segments */
	seg_frame_rec(&s, F_STD, 0, fr, fl);  /* 16-byte segments */
	n = udp(pl, FZ_IP_PEER, FZ_IP_A, 9, 9, 500, true);
	fl = ip4(fr, dummy_dst, FZ_IP_PEER, FZ_IP_A, 17, 0x402, 0, NULL, 0, pl, n);
	seg_frame_rec(&s, F_STD, 30, fr, fl);
	save(&s, "segmented");

	/* a burst: 40 frames in the RX ring, one walk takes 32 */
	for (int i = 0; i < 40; i++) {
		n = echo(pl, 10, (uint16_t)i, (size_t)i * 3);
		fl = ip4(fr, dummy_dst, i & 1 ? FZ_IP_FAR : FZ_IP_PEER, FZ_IP_A, 1,
			 (uint16_t)(0x500 + i), 0, NULL, 0, pl, n);
		frame_rec(&s, F_STD | FZ_F_NOPOLL, fr, fl);
	}
	poll_rec(&s);
	save(&s, "burst");

	/* malformed: short, VLAN, IPv6, bad version, bad IHL, bad length,
	 * bad checksum, martians, source is ours, blackholed source */
	frame_rec(&s, F_STD, fr, 10);
	n = echo(pl, 11, 1, 8);
	fl = ip4(fr, dummy_dst, FZ_IP_PEER, FZ_IP_A, 1, 0x600, 0, NULL, 0, pl, n);
	rs_st16(fr + 12, 0x8100);
	frame_rec(&s, F_STD, fr, fl);
	rs_st16(fr + 12, 0x86dd);
	frame_rec(&s, F_STD, fr, fl);
	rs_st16(fr + 12, 0x0800);
	fr[14] = 0x65;
	frame_rec(&s, F_STD | FZ_F_IPCSUM, fr, fl);
	fr[14] = 0x4f;
	frame_rec(&s, F_STD | FZ_F_IPCSUM, fr, fl);
	fr[14] = 0x45;
	rs_st16(fr + 16, 2000);
	frame_rec(&s, F_STD | FZ_F_IPCSUM, fr, fl);
	rs_st16(fr + 16, (uint16_t)(fl - 14));
	fr[24] ^= 1;
	frame_rec(&s, F_STD, fr, fl);
	save(&s, "malformed_l2_l3");
	ping(&s, F_STD, 0x7f000001, FZ_IP_A, 8);
	ping(&s, F_STD, 0xe0000001, FZ_IP_A, 8);
	ping(&s, F_STD, FZ_IP_A, FZ_IP_B, 8);
	ping(&s, F_STD, FZ_IP_PEER, 0x7f000001, 8);
	ping(&s, F_STD, FZ_IP_PEER, 0x0a000009, 8); /* not for us */
	ping(&s, F_STD, FZ_IP_BLACKHOLE, FZ_IP_A, 8);
	ping(&s, F_STD, FZ_IP_PEER, 0xe0000001, 8);
	save(&s, "martians_and_not_for_us");
	/* ICMP that is not an echo request, truncated ICMP, bad ICMP checksum */
	n = echo(pl, 12, 1, 8);
	pl[0] = 0;
	rs_st16(pl + 2, 0);
	rs_st16(pl + 2, rs_csum(pl, n));
	fl = ip4(fr, dummy_dst, FZ_IP_PEER, FZ_IP_A, 1, 0x700, 0, NULL, 0, pl, n);
	frame_rec(&s, F_STD, fr, fl);
	fl = ip4(fr, dummy_dst, FZ_IP_PEER, FZ_IP_A, 1, 0x701, 0, NULL, 0, pl, 4);
	frame_rec(&s, F_STD, fr, fl);
	n = echo(pl, 12, 2, 8);
	pl[9] ^= 0xff;
	fl = ip4(fr, dummy_dst, FZ_IP_PEER, FZ_IP_A, 1, 0x702, 0, NULL, 0, pl, n);
	frame_rec(&s, F_STD, fr, fl);
	save(&s, "icmp_other");
	/* ICMP errors are rate-limited: 60 UDP datagrams to closed ports */
	for (int i = 0; i < 60; i++) {
		n = udp(pl, FZ_IP_PEER, FZ_IP_A, 1, (uint16_t)(100 + i), 4, true);
		fl = ip4(fr, dummy_dst, FZ_IP_PEER, FZ_IP_A, 17, (uint16_t)(0x800 + i), 0, NULL, 0,
			 pl, n);
		frame_rec(&s, F_STD | (i % 8 ? FZ_F_NOPOLL : 0), fr, fl);
	}
	clock_rec(&s, 20);
	poll_rec(&s);
	save(&s, "icmp_ratelimit");

	/* forwarding port0 -> port1 (MTU 1280): fits; fragmented; DF set */
	n = echo(pl, 13, 1, 100);
	fl = ip4(fr, dummy_dst, FZ_IP_PEER, FZ_IP_FAR1, 1, 0x900, 0, NULL, 0, pl, n);
	frame_rec(&s, F_STD, fr, fl);
	n = udp(pl, FZ_IP_FAR, FZ_IP_FAR1, 1234, 5678, 50, true);
	fl = ip4(fr, dummy_dst, FZ_IP_FAR, FZ_IP_FAR1, 17, 0x901, 0, NULL, 0, pl, n);
	frame_rec(&s, F_STD, fr, fl);
	save(&s, "fwd_p0_p1");
	n = echo(pl, 13, 2, 1400);
	fl = ip4(fr, dummy_dst, FZ_IP_PEER, FZ_IP_FAR1, 1, 0x902, 0, NULL, 0, pl, n);
	frame_rec(&s, F_STD, fr, fl);
	{
		static const uint8_t opts[] = { 0x83, 7, 4, 0, 0, 0, 0, 1, 7, 7, 4, 0, 0, 0, 0, 0 };
		fl = ip4(fr, dummy_dst, FZ_IP_PEER, FZ_IP_FAR1, 1, 0x903, 0, opts, sizeof(opts),
			 pl, n);
		frame_rec(&s, F_STD, fr, fl);
	}
	save(&s, "fwd_fragment");
	fl = ip4(fr, dummy_dst, FZ_IP_PEER, FZ_IP_FAR1, 1, 0x904, 0x4000, NULL, 0, pl, n);
	frame_rec(&s, F_STD, fr, fl);
	save(&s, "fwd_frag_needed");
	/* a fragment being forwarded (not reassembled) */
	n = echo(pl, 13, 3, 3000);
	fl = ip4(fr, dummy_dst, FZ_IP_PEER, FZ_IP_FAR1, 1, 0x905, 0x2000, NULL, 0, pl, 1480);
	frame_rec(&s, F_STD, fr, fl);
	save(&s, "fwd_fragment_of_fragment");
	/* TTL expiring, no route, unreachable / prohibit / blackhole routes */
	g_ttl = 1;
	ping(&s, F_STD, FZ_IP_PEER, FZ_IP_FAR1, 30);
	g_ttl = 64;
	ping(&s, F_STD, FZ_IP_PEER, 0x08080808, 30);
	ping(&s, F_STD, FZ_IP_PEER, FZ_IP_UNREACH, 30);
	ping(&s, F_STD, FZ_IP_PEER, FZ_IP_PROHIBIT, 30);
	ping(&s, F_STD, FZ_IP_PEER, FZ_IP_BLACKHOLE, 30);
	ping(&s, F_STD, 0xa9fe0001, FZ_IP_FAR1, 30);
	ping(&s, F_STD, FZ_IP_PEER, 0xa9fe0001, 30);
	save(&s, "fwd_errors");
	/* forwarding to hosts to resolve: on link (never answers), via a gateway */
	ping(&s, F_STD, FZ_IP_FAR1, 0x0a000063, 30);
	ping(&s, F_STD, FZ_IP_PEER, FZ_IP_FAR_UNRES, 30);
	ctl_rec(&s);
	clock_rec(&s, 1500);
	ctl_rec(&s);
	save(&s, "fwd_resolve");
	/* port1 -> port0, and an echo to port1's address */
	n = echo(pl, 14, 1, 64);
	fl = ip4(fr, dummy_dst, FZ_IP_PEER1, FZ_IP_FAR, 1, 0xa00, 0, NULL, 0, pl, n);
	memcpy(fr + 6, peer1_mac, 6);
	rec(&s, (uint8_t)(FZ_OP_INJECT_P1 | F_STD), (uint16_t)fl, fr);
	fl = ip4(fr, dummy_dst, FZ_IP_PEER1, FZ_IP_C, 1, 0xa01, 0, NULL, 0, pl, n);
	rec(&s, (uint8_t)(FZ_OP_INJECT_P1 | F_STD), (uint16_t)fl, fr);
	n = echo(pl, 14, 2, 1300); /* the reply exceeds port1's MTU */
	fl = ip4(fr, dummy_dst, FZ_IP_PEER1, FZ_IP_C, 1, 0xa02, 0, NULL, 0, pl, n);
	rec(&s, (uint8_t)(FZ_OP_INJECT_P1 | F_STD), (uint16_t)fl, fr);
	fl = arp(fr, bcast, 1, peer1_mac, FZ_IP_PEER1, (const uint8_t[6]){ 0 }, FZ_IP_C);
	rec(&s, (uint8_t)FZ_OP_INJECT_P1, (uint16_t)fl, fr);
	save(&s, "port1");

	ip6_seeds(&s);

	printf("fuzz_rx_seeds: %u seeds in %s\n", nseeds, outdir);
	return 0;
}

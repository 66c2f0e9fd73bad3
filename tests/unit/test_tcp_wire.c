/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP header view and options (lib/wire/tcp_wire.c): every truncation of a
 * header carrying every option, every malformed length, emission in
 * Linux's layout, and the round trip. Buffers are heap copies of exactly
 * the length under test, so a read past the end is an ASan error.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "wire/tcp_wire.h"

static uint8_t *
dup_exact(const uint8_t *p, size_t n)
{
	uint8_t *q = malloc(n ? n : 1);
	cr_assert_not_null(q);
	memcpy(q, p, n);
	return q;
}

static unsigned
parse_exact(struct tcp_opts *o, const uint8_t *p, size_t n)
{
	uint8_t *q = dup_exact(p, n);
	unsigned r = tcp_opts_parse(o, q, n);
	free(q);
	return r;
}

Test(tcp_wire, check_lengths)
{
	uint8_t b[60] = { 0 };
	struct tcp_view v;

	for (size_t n = 0; n < 20; n++)
		cr_assert_eq(tcp_check(&v, b, n), TCP_WIRE_ETRUNC, "len %zu", n);
	for (uint8_t doff = 0; doff < 5; doff++) {
		b[12] = (uint8_t)(doff << 4);
		cr_assert_eq(tcp_check(&v, b, 20), TCP_WIRE_EHDRLEN, "data offset %u", doff);
	}
	b[12] = 6 << 4;
	cr_assert_eq(tcp_check(&v, b, 23), TCP_WIRE_EHDRLEN, "options past the buffer");
	cr_assert_eq(tcp_check(&v, b, 24), 0);
	cr_assert_eq(v.hlen, 24);
	cr_assert_eq(tcp_payload_len(&v), 0);
	b[12] = 15 << 4;
	cr_assert_eq(tcp_check(&v, b, 59), TCP_WIRE_EHDRLEN);
	cr_assert_eq(tcp_check(&v, b, 60), 0);
	b[12] = 5 << 4;
	cr_assert_eq(tcp_check(&v, b, 60), 0);
	cr_assert_eq(tcp_payload_len(&v), 40);
}

Test(tcp_wire, fields)
{
	struct tcp_hdr h = { .sport = 0x1234, .dport = 80, .seq = 0xdeadbeef, .ack = 0x01020304,
			     .flags = TCP_SYN | TCP_ACK, .window = 0xfffe, .urp = 7 };
	uint8_t b[60];
	unsigned n = tcp_hdr_write(b, sizeof(b), &h, NULL);
	cr_assert_eq(n, 20);
	struct tcp_view v;
	cr_assert_eq(tcp_check(&v, b, n), 0);
	cr_assert_eq(tcp_sport(&v), 0x1234);
	cr_assert_eq(tcp_dport(&v), 80);
	cr_assert_eq(tcp_seqno(&v), 0xdeadbeef);
	cr_assert_eq(tcp_ackno(&v), 0x01020304);
	cr_assert_eq(tcp_flags(&v), TCP_SYN | TCP_ACK);
	cr_assert_eq(tcp_window(&v), 0xfffe);
	cr_assert_eq(tcp_urgptr(&v), 7);
	cr_assert_eq(tcp_csum_field(&v), 0);
	cr_assert_eq(tcp_hdr_write(b, 19, &h, NULL), 0, "too small a buffer");
}

/* a SYN-ACK's options as Linux lays them out */
Test(tcp_wire, emit_syn_layout)
{
	struct tcp_opts o = { .present = TCP_OPT_MSS | TCP_OPT_SACK_PERM | TCP_OPT_TS | TCP_OPT_WSCALE,
			      .mss = 1460, .wscale = 7, .tsval = 0x11223344, .tsecr = 0x55667788 };
	uint8_t b[40];
	cr_assert_eq(tcp_opts_len(&o), 20);
	cr_assert_eq(tcp_opts_write(b, sizeof(b), &o), 20);
	const uint8_t want[20] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0x11, 0x22, 0x33, 0x44,
				   0x55, 0x66, 0x77, 0x88, 1, 3, 3, 7 };
	cr_assert_arr_eq(b, want, 20);
	cr_assert_eq(tcp_opts_write(b, 19, &o), 0, "too small: nothing");
	/* without timestamps: NOP NOP SACK-permitted */
	o.present = TCP_OPT_MSS | TCP_OPT_SACK_PERM | TCP_OPT_WSCALE;
	cr_assert_eq(tcp_opts_write(b, sizeof(b), &o), 12);
	const uint8_t want2[12] = { 2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7 };
	cr_assert_arr_eq(b, want2, 12);
	/* timestamps without SACK: NOP NOP TS */
	o.present = TCP_OPT_TS;
	cr_assert_eq(tcp_opts_write(b, sizeof(b), &o), 12);
	cr_assert_eq(b[0], 1);
	cr_assert_eq(b[1], 1);
	cr_assert_eq(b[2], 8);
}

Test(tcp_wire, sack_blocks_that_fit)
{
	struct tcp_opts o = { .present = TCP_OPT_SACK, .nsack = 4 };
	for (unsigned k = 0; k < 4; k++) {
		o.sack[k].start = 1000 * k;
		o.sack[k].end = 1000 * k + 500;
	}
	cr_assert_eq(tcp_opts_len(&o), 36, "4 blocks without timestamps");
	o.present |= TCP_OPT_TS;
	cr_assert_eq(tcp_opts_len(&o), 40, "3 blocks with timestamps");
	uint8_t b[40];
	cr_assert_eq(tcp_opts_write(b, sizeof(b), &o), 40);
	struct tcp_opts p;
	parse_exact(&p, b, 40);
	cr_assert_eq(p.nsack, 3);
	cr_assert_eq(p.sack[2].start, 2000);
	/* with MSS and window scale (a SYN with SACK: never, but bounded) */
	o.present |= TCP_OPT_MSS | TCP_OPT_WSCALE;
	cr_assert_leq(tcp_opts_len(&o), 40);
	cr_assert_eq(tcp_opts_write(b, sizeof(b), &o), tcp_opts_len(&o));
}

/* a header with every option: MSS, SACK-permitted + TS, NOP WS, NOP NOP
 * SACK with 2 blocks = 40 bytes */
static unsigned
full_header(uint8_t *b, struct tcp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->present = TCP_OPT_MSS | TCP_OPT_SACK_PERM | TCP_OPT_TS | TCP_OPT_WSCALE | TCP_OPT_SACK;
	o->mss = 1400;
	o->wscale = 9;
	o->tsval = 0xa0a0a0a0;
	o->tsecr = 0x0b0b0b0b;
	o->nsack = 2;
	o->sack[0] = (struct tcp_sack_block){ 100, 200 };
	o->sack[1] = (struct tcp_sack_block){ 300, 400 };
	struct tcp_hdr h = { .sport = 1, .dport = 2, .seq = 3, .ack = 4, .flags = TCP_ACK, .window = 5 };
	unsigned n = tcp_hdr_write(b, 60, &h, o);
	cr_assert_eq(n, 60);
	return n;
}

Test(tcp_wire, round_trip_all_options)
{
	uint8_t b[60];
	struct tcp_opts o, p;
	unsigned n = full_header(b, &o);
	struct tcp_view v;
	cr_assert_eq(tcp_check(&v, b, n), 0);
	cr_assert_eq(tcp_opts_parse(&p, tcp_optbytes(&v), tcp_optlen(&v)), 5);
	cr_assert_eq(p.present, o.present);
	cr_assert_eq(p.mss, 1400);
	cr_assert_eq(p.wscale, 9);
	cr_assert_eq(p.tsval, o.tsval);
	cr_assert_eq(p.tsecr, o.tsecr);
	cr_assert_eq(p.nsack, 2);
	cr_assert_eq(p.sack[1].end, 400);
}

/* every truncation: the header as a whole is refused; the options alone
 * parse to exactly the options wholly inside the prefix */
Test(tcp_wire, every_truncation)
{
	uint8_t b[60];
	struct tcp_opts o;
	full_header(b, &o);
	for (size_t n = 0; n < 60; n++) {
		uint8_t *q = dup_exact(b, n);
		struct tcp_view v;
		cr_assert_neq(tcp_check(&v, q, n), 0, "a header cut to %zu bytes accepted", n);
		free(q);
	}
	/* option ends (from the layout): MSS 4, TS 16 (SACK-perm at 6), WS
	 * 20, SACK 40 */
	for (size_t n = 0; n <= 40; n++) {
		struct tcp_opts p;
		parse_exact(&p, b + 20, n);
		cr_assert_eq(!!(p.present & TCP_OPT_MSS), n >= 4, "MSS at %zu", n);
		cr_assert_eq(!!(p.present & TCP_OPT_SACK_PERM), n >= 6, "SACK-perm at %zu", n);
		cr_assert_eq(!!(p.present & TCP_OPT_TS), n >= 16, "TS at %zu", n);
		cr_assert_eq(!!(p.present & TCP_OPT_WSCALE), n >= 20, "WS at %zu", n);
		cr_assert_eq(!!(p.present & TCP_OPT_SACK), n >= 40, "SACK at %zu", n);
		if (p.present & TCP_OPT_MSS)
			cr_assert_eq(p.mss, 1400);
	}
}

Test(tcp_wire, malformed_lengths)
{
	struct tcp_opts p;
	/* length 0 and 1 stop parsing ("silly options") */
	const uint8_t z[] = { 2, 0, 5, 0xb4, 3, 3, 2 };
	cr_assert_eq(parse_exact(&p, z, sizeof(z)), 0);
	const uint8_t one[] = { 8, 1, 3, 3, 2 };
	cr_assert_eq(parse_exact(&p, one, sizeof(one)), 0);
	/* a length past the end stops too; what came before stands */
	const uint8_t over[] = { 3, 3, 4, 2, 50, 0, 0 };
	cr_assert_eq(parse_exact(&p, over, sizeof(over)), 1);
	cr_assert_eq(p.present, TCP_OPT_WSCALE);
	cr_assert_eq(p.wscale, 4);
	/* a known option with the wrong length is skipped, parsing goes on */
	const uint8_t wrong[] = { 2, 6, 1, 2, 3, 4, 3, 3, 5, 1 };
	cr_assert_eq(parse_exact(&p, wrong, sizeof(wrong)), 1);
	cr_assert_eq(p.present, TCP_OPT_WSCALE);
	const uint8_t ts9[] = { 8, 9, 1, 2, 3, 4, 5, 6, 7, 4, 2 };
	parse_exact(&p, ts9, sizeof(ts9));
	cr_assert_eq(p.present, TCP_OPT_SACK_PERM);
	const uint8_t sp3[] = { 4, 3, 0 };
	parse_exact(&p, sp3, sizeof(sp3));
	cr_assert_eq(p.present, 0);
	/* an odd byte at the end with a kind that needs a length */
	const uint8_t odd[] = { 1, 1, 2 };
	cr_assert_eq(parse_exact(&p, odd, sizeof(odd)), 0);
	/* unknown options are skipped by their length */
	const uint8_t unk[] = { 30, 4, 9, 9, 2, 4, 1, 0 };
	parse_exact(&p, unk, sizeof(unk));
	cr_assert_eq(p.present, TCP_OPT_MSS);
	cr_assert_eq(p.mss, 256);
	/* EOL ends the list */
	const uint8_t eol[] = { 0, 2, 4, 1, 0 };
	cr_assert_eq(parse_exact(&p, eol, sizeof(eol)), 0);
	/* window scale above 14 is 14 (RFC 7323 §2.3) */
	const uint8_t ws[] = { 3, 3, 200 };
	parse_exact(&p, ws, sizeof(ws));
	cr_assert_eq(p.wscale, 14);
	/* the last duplicate wins (Linux) */
	const uint8_t dup[] = { 2, 4, 0, 100, 2, 4, 0, 200 };
	parse_exact(&p, dup, sizeof(dup));
	cr_assert_eq(p.mss, 200);
	/* empty */
	cr_assert_eq(parse_exact(&p, dup, 0), 0);
	cr_assert_eq(p.present, 0);
}

Test(tcp_wire, sack_block_counts)
{
	uint8_t b[64];
	struct tcp_opts p;
	for (unsigned olen = 0; olen < 50; olen++) {
		memset(b, 0, sizeof(b));
		b[0] = 5;
		b[1] = (uint8_t)olen;
		for (unsigned i = 2; i < olen && i < sizeof(b); i++)
			b[i] = (uint8_t)i;
		size_t n = olen < 2 ? 2 : olen;
		parse_exact(&p, b, n);
		bool valid = olen >= 10 && (olen - 2) % 8 == 0 && (olen - 2) / 8 <= 4;
		cr_assert_eq(!!(p.present & TCP_OPT_SACK), valid, "SACK option of length %u", olen);
		if (valid)
			cr_assert_eq(p.nsack, (olen - 2) / 8);
		cr_assert_leq(p.nsack, TCP_MAX_SACK);
	}
}

/* random bytes: never a read past the end, never more than 4 blocks */
Test(tcp_wire, random_options)
{
	uint32_t r = 12345;
	for (int it = 0; it < 200000; it++) {
		uint8_t b[40];
		size_t n = (size_t)(r % 41);
		for (size_t i = 0; i < n; i++) {
			r = r * 1103515245 + 12345;
			uint8_t v = (uint8_t)(r >> 16);
			/* bias toward the known kinds and small lengths */
			b[i] = (i % 2 == 0) ? (uint8_t)(v % 10) : (uint8_t)(v % 16);
		}
		r = r * 1103515245 + 12345;
		struct tcp_opts p;
		parse_exact(&p, b, n);
		cr_assert_leq(p.nsack, TCP_MAX_SACK);
		cr_assert_leq(p.wscale, TCP_MAX_WSCALE);
	}
}

Test(tcp_wire, checksum)
{
	/* a segment checksummed by tcp_csum4 verifies to 0 */
	uint8_t b[64];
	struct tcp_opts o;
	full_header(b, &o);
	memcpy(b + 60, "abcd", 4);
	uint16_t c = tcp_csum4(0x0a000001, 0x0a000002, b, 64);
	rs_st16(b + 16, c);
	cr_assert_eq(tcp_csum4(0x0a000001, 0x0a000002, b, 64), 0);
	b[63] ^= 1;
	cr_assert_neq(tcp_csum4(0x0a000001, 0x0a000002, b, 64), 0);
}

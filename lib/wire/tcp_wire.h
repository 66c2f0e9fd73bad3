/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP header (RFC 9293 §3.1) as a checked view, its options (RFC 9293
 * §3.2, RFC 7323, RFC 2018) parsed into a plain struct, and an emitter that
 * writes a header with options. DPDK-free.
 *
 * Option parsing survives every length the wire can give: truncated
 * options, length bytes of 0 or 1, lengths past the header, duplicates, a
 * SACK option whose length is not 2 + 8n or holds more than 4 blocks. The
 * rules follow what Linux's tcp_parse_options does, so peers see the same
 * behaviour from both stacks:
 *  - EOL ends the list; NOP is skipped;
 *  - a length below 2 or past the end stops parsing (what was parsed so far
 *    stands, the rest is ignored: "silly options");
 *  - a known option with the wrong length is ignored, parsing goes on;
 *  - a duplicate option overrides the earlier one (the last one wins);
 *  - SYN-only options (MSS, window scale, SACK-permitted) are parsed on
 *    every segment; the caller decides whether to use them (RFC 9293
 *    §3.7.1, RFC 7323 §2.2 say they are ignored outside a SYN);
 *  - a window scale above 14 is taken as 14 (RFC 7323 §2.3);
 *  - an MSS of 0 is reported as is (the engine treats it as absent and
 *    floors it, CVE-2019-11479).
 */
#ifndef RS_TCP_WIRE_H
#define RS_TCP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/rs_bytes.h"
#include "wire/wire.h"

#define TCP_HLEN 20
#define TCP_MAX_HLEN 60
#define TCP_MAX_OPTLEN 40

/* flags (byte 13) */
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

/* option kinds */
#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WSCALE 3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_SACK 5
#define TCPOPT_TS 8

#define TCPOLEN_MSS 4
#define TCPOLEN_WSCALE 3
#define TCPOLEN_SACK_PERM 2
#define TCPOLEN_TS 10
#define TCPOLEN_SACK_BASE 2
#define TCPOLEN_SACK_BLOCK 8

#define TCP_MAX_WSCALE 14 /* RFC 7323 §2.3 */
/* 40 option bytes hold 4 SACK blocks (2 + 32, aligned 36), 3 with
 * timestamps (12 + 28 = 40). */
#define TCP_MAX_SACK 4

struct tcp_sack_block {
	uint32_t start; /* left edge: first sequence number of the block */
	uint32_t end;   /* right edge: sequence number after the block */
};

/* which options are present */
#define TCP_OPT_MSS 0x01
#define TCP_OPT_WSCALE 0x02
#define TCP_OPT_SACK_PERM 0x04
#define TCP_OPT_TS 0x08
#define TCP_OPT_SACK 0x10

/* Parsed options, or options to emit. Fields are meaningful only when
 * their bit is in present. */
struct tcp_opts {
	uint8_t present;
	uint8_t wscale;
	uint8_t nsack;
	uint16_t mss;
	uint32_t tsval;
	uint32_t tsecr;
	struct tcp_sack_block sack[TCP_MAX_SACK];
};

enum tcp_wire_err {
	TCP_WIRE_ETRUNC = WIRE_ETRUNC,   /* fewer than 20 bytes */
	TCP_WIRE_EHDRLEN = WIRE_EHDRLEN, /* data offset < 5 or past the buffer */
};

/* A checked view of a TCP header and its segment. */
struct tcp_view {
	const uint8_t *b;
	uint16_t hlen;   /* header length with options (20..60) */
	uint32_t len;    /* segment length (header + payload) */
};

/*
 * Validates a TCP segment of len bytes (the IP payload): at least 20 bytes,
 * data offset >= 5 and the header within len. The checksum is not checked
 * here (see tcp_csum4). 0 or a negative tcp_wire_err. buf is borrowed;
 * the view points into it.
 */
static inline int tcp_check(struct tcp_view *v, const void *buf, size_t len)
{
	const uint8_t *b = buf;
	if (len < TCP_HLEN)
		return TCP_WIRE_ETRUNC;
	uint16_t hlen = (uint16_t)((b[12] >> 4) * 4);
	if (hlen < TCP_HLEN || hlen > len)
		return TCP_WIRE_EHDRLEN;
	v->b = b;
	v->hlen = hlen;
	v->len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
	return 0;
}
static inline uint16_t tcp_sport(const struct tcp_view *v) { return rs_ld16(v->b); }
static inline uint16_t tcp_dport(const struct tcp_view *v) { return rs_ld16(v->b + 2); }
static inline uint32_t tcp_seqno(const struct tcp_view *v) { return rs_ld32(v->b + 4); }
static inline uint32_t tcp_ackno(const struct tcp_view *v) { return rs_ld32(v->b + 8); }
static inline uint8_t tcp_flags(const struct tcp_view *v) { return v->b[13]; }
static inline uint16_t tcp_window(const struct tcp_view *v) { return rs_ld16(v->b + 14); }
static inline uint16_t tcp_csum_field(const struct tcp_view *v) { return rs_ld16(v->b + 16); }
static inline uint16_t tcp_urgptr(const struct tcp_view *v) { return rs_ld16(v->b + 18); }
static inline const uint8_t *tcp_optbytes(const struct tcp_view *v) { return v->b + TCP_HLEN; }
static inline uint16_t tcp_optlen(const struct tcp_view *v) { return (uint16_t)(v->hlen - TCP_HLEN); }
static inline const uint8_t *tcp_payload(const struct tcp_view *v) { return v->b + v->hlen; }
static inline uint32_t tcp_payload_len(const struct tcp_view *v) { return v->len - v->hlen; }

/*
 * Parses len bytes of options at p (borrowed) into *o with the rules above.
 * Never reads past p + len. Returns the number of options accepted.
 */
unsigned tcp_opts_parse(struct tcp_opts *o, const uint8_t *p, size_t len);

/* Bytes tcp_opts_write() emits for o (a multiple of 4, at most 40 when
 * o fits; see tcp_opts_write). */
unsigned tcp_opts_len(const struct tcp_opts *o);

/*
 * Writes the options of o at p, at most cap bytes, in Linux's layout and
 * order (MSS; SACK-permitted and timestamps together, or NOP NOP TS; NOP
 * window scale; NOP NOP SACK blocks), padded with NOPs to a multiple of 4.
 * SACK blocks that do not fit in 40 bytes with the rest are left out
 * (the caller gets what was written: check nsack against tcp_opts_len).
 * Returns the bytes written, or 0 when cap is too small (nothing written
 * beyond cap).
 */
unsigned tcp_opts_write(uint8_t *p, size_t cap, const struct tcp_opts *o);

/* Header fields to emit. */
struct tcp_hdr {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t window; /* as on the wire (already scaled down) */
	uint16_t urp;
};

/*
 * Writes a TCP header with the options of o (may be NULL) at b, at most
 * cap bytes. The checksum field is left 0: fill it with tcp_csum4 (or the
 * caller's IPv6 equivalent) once the payload is in place. Returns the
 * header length (20..60), or 0 when cap is too small.
 */
unsigned tcp_hdr_write(uint8_t *b, size_t cap, const struct tcp_hdr *h, const struct tcp_opts *o);

/* The TCP checksum of a segment of len bytes at seg (borrowed) between
 * IPv4 addresses src and dst (host order); with the checksum field in
 * place, a correct segment gives 0. */
static inline uint16_t tcp_csum4(uint32_t src, uint32_t dst, const void *seg, uint16_t len)
{
	return rs_csum_fold(rs_csum_add(rs_csum_pseudo4(src, dst, IPPROTO_TCP_, len), seg, len));
}

#endif

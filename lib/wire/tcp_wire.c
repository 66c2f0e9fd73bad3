/* SPDX-License-Identifier: BSD-3-Clause */
/* TCP options: parsing that survives any length, and emission. */
#include "tcp_wire.h"

#include <string.h>

unsigned
tcp_opts_parse(struct tcp_opts *o, const uint8_t *p, size_t len)
{
	unsigned n = 0;

	memset(o, 0, sizeof(*o));
	size_t i = 0;
	while (i < len) {
		uint8_t kind = p[i];
		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		/* every other option has a length byte */
		if (i + 1 >= len)
			break;
		uint8_t olen = p[i + 1];
		if (olen < 2 || olen > len - i)
			break; /* silly or partial: ignore the rest */
		const uint8_t *v = p + i + 2;
		switch (kind) {
		case TCPOPT_MSS:
			if (olen == TCPOLEN_MSS) {
				o->mss = rs_ld16(v);
				o->present |= TCP_OPT_MSS;
				n++;
			}
			break;
		case TCPOPT_WSCALE:
			if (olen == TCPOLEN_WSCALE) {
				/* RFC 7323 §2.3: log a value above 14, use 14 */
				o->wscale = v[0] > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : v[0];
				o->present |= TCP_OPT_WSCALE;
				n++;
			}
			break;
		case TCPOPT_SACK_PERM:
			if (olen == TCPOLEN_SACK_PERM) {
				o->present |= TCP_OPT_SACK_PERM;
				n++;
			}
			break;
		case TCPOPT_TS:
			if (olen == TCPOLEN_TS) {
				o->tsval = rs_ld32(v);
				o->tsecr = rs_ld32(v + 4);
				o->present |= TCP_OPT_TS;
				n++;
			}
			break;
		case TCPOPT_SACK: {
			/* RFC 2018 §3: 2 + 8n bytes; 40 option bytes allow at
			 * most 4 blocks, so anything else is malformed */
			unsigned body = olen - TCPOLEN_SACK_BASE;
			if (olen >= TCPOLEN_SACK_BASE + TCPOLEN_SACK_BLOCK && body % TCPOLEN_SACK_BLOCK == 0 &&
			    body / TCPOLEN_SACK_BLOCK <= TCP_MAX_SACK) {
				o->nsack = (uint8_t)(body / TCPOLEN_SACK_BLOCK);
				for (unsigned k = 0; k < o->nsack; k++) {
					o->sack[k].start = rs_ld32(v + 8 * k);
					o->sack[k].end = rs_ld32(v + 8 * k + 4);
				}
				o->present |= TCP_OPT_SACK;
				n++;
			}
			break;
		}
		default:
			break; /* unknown: skipped by its length (RFC 9293 §3.2) */
		}
		i += olen;
	}
	return n;
}

/* SACK blocks that fit after base bytes of other options in 40 bytes:
 * NOP NOP kind length, then 8 bytes a block. */
static unsigned
sack_fit(const struct tcp_opts *o, unsigned base)
{
	if (!(o->present & TCP_OPT_SACK) || o->nsack == 0 || base + 4 + 8 > TCP_MAX_OPTLEN)
		return 0;
	unsigned room = (TCP_MAX_OPTLEN - base - 4) / 8;
	unsigned n = o->nsack > TCP_MAX_SACK ? TCP_MAX_SACK : o->nsack;
	return n < room ? n : room;
}

static unsigned
base_len(const struct tcp_opts *o)
{
	unsigned l = 0;

	if (o->present & TCP_OPT_MSS)
		l += 4;
	if (o->present & TCP_OPT_TS)
		l += 12; /* SACK-permitted rides in the TS word's NOPs */
	else if (o->present & TCP_OPT_SACK_PERM)
		l += 4;
	if (o->present & TCP_OPT_WSCALE)
		l += 4;
	return l;
}

unsigned
tcp_opts_len(const struct tcp_opts *o)
{
	if (o == NULL)
		return 0;
	unsigned l = base_len(o);
	unsigned ns = sack_fit(o, l);
	if (ns)
		l += 4 + 8 * ns;
	return l;
}

unsigned
tcp_opts_write(uint8_t *p, size_t cap, const struct tcp_opts *o)
{
	unsigned need = tcp_opts_len(o);
	if (need > cap)
		return 0;
	uint8_t *q = p;
	if (o->present & TCP_OPT_MSS) {
		*q++ = TCPOPT_MSS;
		*q++ = TCPOLEN_MSS;
		rs_st16(q, o->mss);
		q += 2;
	}
	if (o->present & TCP_OPT_TS) {
		if (o->present & TCP_OPT_SACK_PERM) {
			*q++ = TCPOPT_SACK_PERM;
			*q++ = TCPOLEN_SACK_PERM;
		} else {
			*q++ = TCPOPT_NOP;
			*q++ = TCPOPT_NOP;
		}
		*q++ = TCPOPT_TS;
		*q++ = TCPOLEN_TS;
		rs_st32(q, o->tsval);
		rs_st32(q + 4, o->tsecr);
		q += 8;
	} else if (o->present & TCP_OPT_SACK_PERM) {
		*q++ = TCPOPT_NOP;
		*q++ = TCPOPT_NOP;
		*q++ = TCPOPT_SACK_PERM;
		*q++ = TCPOLEN_SACK_PERM;
	}
	if (o->present & TCP_OPT_WSCALE) {
		*q++ = TCPOPT_NOP;
		*q++ = TCPOPT_WSCALE;
		*q++ = TCPOLEN_WSCALE;
		*q++ = o->wscale;
	}
	unsigned ns = sack_fit(o, base_len(o));
	if (ns) {
		*q++ = TCPOPT_NOP;
		*q++ = TCPOPT_NOP;
		*q++ = TCPOPT_SACK;
		*q++ = (uint8_t)(TCPOLEN_SACK_BASE + 8 * ns);
		for (unsigned k = 0; k < ns; k++) {
			rs_st32(q, o->sack[k].start);
			rs_st32(q + 4, o->sack[k].end);
			q += 8;
		}
	}
	return (unsigned)(q - p);
}

unsigned
tcp_hdr_write(uint8_t *b, size_t cap, const struct tcp_hdr *h, const struct tcp_opts *o)
{
	unsigned olen = tcp_opts_len(o);
	unsigned hlen = TCP_HLEN + olen;
	if (cap < hlen)
		return 0;
	rs_st16(b, h->sport);
	rs_st16(b + 2, h->dport);
	rs_st32(b + 4, h->seq);
	rs_st32(b + 8, h->ack);
	b[12] = (uint8_t)((hlen / 4) << 4);
	b[13] = h->flags;
	rs_st16(b + 14, h->window);
	rs_st16(b + 16, 0);
	rs_st16(b + 18, h->urp);
	if (olen)
		tcp_opts_write(b + TCP_HLEN, olen, o);
	return hlen;
}

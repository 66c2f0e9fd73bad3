/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Out-of-order queue (RFC 9293 §3.10.7.4 "seventh": segments beyond
 * RCV.NXT are held for later delivery) and the SACK blocks that describe
 * it (RFC 2018 §4).
 *
 * Out-of-order bytes go straight into the receive ring, at their offset
 * past its write point (seq - RCV.NXT), unpublished; the engine keeps only
 * the ranges they form, sorted, disjoint and never adjacent (a segment
 * that touches a range merges with it). When the hole before the first
 * range fills, that range is published without another copy. So:
 *  - the queue holds whatever the advertised window lets the peer send
 *    (the window never exceeds the ring's free space): it is bounded in
 *    bytes by the receive buffer, as Linux's is by sk_rcvbuf, and no
 *    caller buffer (mbuf) is pinned while a hole lasts;
 *  - reass_max_bufs bounds the ranges (holes), not the segments; a
 *    segment that would need one more range is dropped (ooo_dropped_full)
 *    and nothing held is evicted: evicting SACKed data is reneging
 *    (RFC 2018 §8), which a Linux sender answers only with a
 *    retransmission timeout. A segment at RCV.NXT never needs a range, so
 *    a full queue never stops the connection: the hole's retransmission
 *    is always taken and publishes the ranges behind it;
 *  - data is dropped from the queue only when the ring can no longer take
 *    it (the application shrank SO_RCVBUF or shut reading), counted
 *    rcv_pruned.
 */
#include "tcp_impl.h"

static void
ooo_remove_n(struct tcp_conn *c, uint16_t i, uint16_t n)
{
	for (uint16_t k = i; k < i + n; k++)
		c->ooo_bytes -= c->ooo[k].len;
	memmove(&c->ooo[i], &c->ooo[i + n], (size_t)(c->nooo - i - n) * sizeof(c->ooo[0]));
	c->nooo = (uint16_t)(c->nooo - n);
}

static inline struct seq
ooo_end(const struct tcp_ooo *o)
{
	return seq_add(o->seq, o->len);
}

static uint32_t
max_ranges(const struct tcp_ctx *x)
{
	uint32_t m = x->p.reass_max_bufs;
	return m == 0 || m > TCP_REASS_MAX ? TCP_REASS_MAX : m;
}

/* Makes n bytes from the ring's write point readable. */
static void
publish(struct tcp_conn *c, struct tcp_actions *a, uint32_t n)
{
	a->publish += n;
	c->rcv_free -= n;
	c->rcv_nxt = seq_add(c->rcv_nxt, n);
	c->delivered_total += n;
	c->bytes_received += n;
	a->events |= TCP_EV_READABLE;
}

uint32_t
tcp_deliver_n(struct tcp_ctx *x, struct tcp_conn *c, struct tcp_actions *a, uint32_t off, uint32_t len)
{
	if (len > c->rcv_free) {
		len = c->rcv_free; /* never more than the ring takes */
		x->mib.rcv_qdrop++;
	}
	if (len == 0 || a->ndeliver >= TCP_ACT_DELIVER)
		return 0;
	a->deliver[a->ndeliver++] = (struct tcp_delivery){ .off = off, .len = len, .at = a->publish };
	publish(c, a, len);
	return len;
}

bool
tcp_reass_insert(struct tcp_ctx *x, struct tcp_conn *c, struct tcp_actions *a, struct seq s, uint32_t off,
		 uint32_t len, bool *dup)
{
	*dup = false;
	if (len == 0 || !seq_gt(s, c->rcv_nxt))
		return false;
	/* the ring takes bytes up to rcv_nxt + rcv_free; the window reaches
	 * further only by its scaling's rounding (tcp_select_window never
	 * shrinks it) or after the application shrank SO_RCVBUF */
	uint32_t at = seq_diff(s, c->rcv_nxt);
	if (at >= c->rcv_free) {
		x->mib.rcv_qdrop++;
		return false;
	}
	if (len > c->rcv_free - at) {
		len = c->rcv_free - at;
		x->mib.rcv_qdrop++;
	}
	struct seq e = seq_add(s, len);

	/* i: the first range that ends at or after s (touches or follows
	 * it); j: one past the last that starts at or before e */
	uint16_t i = 0;
	while (i < c->nooo && seq_lt(ooo_end(&c->ooo[i]), s))
		i++;
	uint16_t j = i;
	while (j < c->nooo && seq_le(c->ooo[j].seq, e))
		j++;
	if (j == i + 1 && seq_le(c->ooo[i].seq, s) && seq_ge(ooo_end(&c->ooo[i]), e)) {
		/* all of it is held already */
		*dup = true;
		x->mib.ooo_dup++;
		return false;
	}
	struct seq ns = s, ne = e;
	uint32_t had = 0;
	for (uint16_t k = i; k < j; k++) {
		if (seq_lt(c->ooo[k].seq, ns))
			ns = c->ooo[k].seq;
		if (seq_gt(ooo_end(&c->ooo[k]), ne))
			ne = ooo_end(&c->ooo[k]);
		had += c->ooo[k].len;
	}
	uint32_t grow = seq_diff(ne, ns) - had;
	uint32_t mbytes = x->p.reass_max_bytes;
	if ((j == i && c->nooo >= max_ranges(x)) || (mbytes && c->ooo_bytes + grow > mbytes) ||
	    a->ndeliver >= TCP_ACT_DELIVER) {
		x->mib.ooo_dropped_full++;
		return false;
	}
	/* copy all of it (bytes already held are rewritten with the same
	 * stream bytes: one copy instead of one per piece) */
	a->deliver[a->ndeliver++] = (struct tcp_delivery){ .off = off, .len = len, .at = a->publish + at };
	if (j == i) {
		memmove(&c->ooo[i + 1], &c->ooo[i], (size_t)(c->nooo - i) * sizeof(c->ooo[0]));
		c->nooo++;
	} else if (j > i + 1) {
		memmove(&c->ooo[i + 1], &c->ooo[j], (size_t)(c->nooo - j) * sizeof(c->ooo[0]));
		c->nooo = (uint16_t)(c->nooo - (j - i - 1));
	}
	c->ooo[i] = (struct tcp_ooo){ .seq = ns, .len = seq_diff(ne, ns), .stamp = ++c->ooo_stamp };
	c->ooo_bytes += grow;
	x->mib.ooo_queued++;
	return true;
}

void
tcp_reass_deliver(struct tcp_ctx *x, struct tcp_conn *c, struct tcp_actions *a)
{
	while (c->nooo > 0) {
		struct tcp_ooo *o = &c->ooo[0];
		if (seq_gt(o->seq, c->rcv_nxt))
			break;
		if (seq_le(ooo_end(o), c->rcv_nxt)) {
			/* all of it arrived again in order */
			ooo_remove_n(c, 0, 1);
			continue;
		}
		uint32_t n = seq_diff(ooo_end(o), c->rcv_nxt);
		if (c->rcv_free < n) {
			/* the ring cannot take what we advertised (the
			 * application shrank it): forget the rest, the peer
			 * retransmits */
			x->mib.rcv_pruned += c->nooo;
			ooo_remove_n(c, 0, c->nooo);
			break;
		}
		ooo_remove_n(c, 0, 1);
		publish(c, a, n);
	}
}

/*
 * RFC 2018 §4: the first block holds the most recently received segment,
 * then the most recently reported other blocks. A range's age is that of
 * the newest segment merged into it.
 */
unsigned
tcp_reass_sack(const struct tcp_conn *c, struct tcp_sack_block *b, unsigned max)
{
	uint32_t last = 0;
	unsigned n = 0;

	/* selection by decreasing stamp; max is at most 4 */
	while (n < max) {
		int best = -1;
		for (uint16_t i = 0; i < c->nooo; i++) {
			uint32_t st = c->ooo[i].stamp;
			if ((n == 0 || st < last) && (best < 0 || st > c->ooo[best].stamp))
				best = i;
		}
		if (best < 0)
			break;
		last = c->ooo[best].stamp;
		b[n].start = c->ooo[best].seq.v;
		b[n].end = ooo_end(&c->ooo[best]).v;
		n++;
	}
	return n;
}

void
tcp_reass_purge(struct tcp_ctx *x, struct tcp_conn *c)
{
	(void)x;
	c->nooo = 0;
	c->ooo_bytes = 0;
	c->ooo_fin = false;
}

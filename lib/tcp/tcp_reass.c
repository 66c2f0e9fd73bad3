/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Out-of-order queue (RFC 9293 §3.10.7.4 "seventh": segments beyond
 * RCV.NXT are held for later delivery) and the SACK blocks that describe
 * it (RFC 2018 §4).
 *
 * The queue holds the caller's buffers (opaque), sorted by sequence number
 * and never overlapping: a new segment is trimmed to what no held segment
 * covers, held segments it covers whole are freed, and a segment entirely
 * covered is a duplicate (freed, reported for D-SACK). So every payload
 * byte is held at most once and the byte count is exact.
 *
 * Bounds: reass_max_bufs buffers (<= TCP_REASS_MAX) and reass_max_bytes
 * payload bytes per connection. When full, a segment that lies above
 * everything held is dropped (counted ooo_dropped_full); one that lies
 * below the highest held segment evicts held segments from the top
 * (counted rcv_pruned, as Linux's tcp_prune_ofo_queue does): data nearer
 * RCV.NXT is worth more. Evicting SACKed data is reneging, which RFC 2018
 * §8 allows; the sender here keeps everything until cumulatively acked.
 */
#include "tcp_impl.h"

static void
ooo_free(struct tcp_ctx *x, void *buf)
{
	if (x->buf_free && buf)
		x->buf_free(x->buf_free_arg, buf);
}

static void
ooo_remove(struct tcp_conn *c, uint16_t i)
{
	c->ooo_bytes -= c->ooo[i].len;
	memmove(&c->ooo[i], &c->ooo[i + 1], (size_t)(c->nooo - i - 1) * sizeof(c->ooo[0]));
	c->nooo--;
}

static inline struct seq
ooo_end(const struct tcp_ooo *o)
{
	return seq_add(o->seq, o->len);
}

static uint32_t
max_bufs(const struct tcp_ctx *x)
{
	uint32_t m = x->p.reass_max_bufs;
	return m == 0 || m > TCP_REASS_MAX ? TCP_REASS_MAX : m;
}

bool
tcp_reass_insert(struct tcp_ctx *x, struct tcp_conn *c, struct seq s, void *buf, uint32_t off,
		 uint32_t len, bool *dup)
{
	struct seq e = seq_add(s, len);

	*dup = false;
	if (len == 0)
		return false;
	/* duplicate: wholly inside one held segment (they never overlap, so
	 * "covered by several" means several adjacent ones) */
	struct seq cov = s;
	for (uint16_t i = 0; i < c->nooo; i++) {
		struct tcp_ooo *o = &c->ooo[i];
		if (seq_le(o->seq, cov) && seq_gt(ooo_end(o), cov))
			cov = ooo_end(o);
		if (seq_ge(cov, e))
			break;
	}
	if (seq_ge(cov, e)) {
		*dup = true;
		x->mib.ooo_dup++;
		return false;
	}

	/* where the new one starts and ends once trimmed against a held
	 * predecessor overlapping its head and a successor overlapping its
	 * tail; held segments wholly inside are dropped */
	uint16_t i = 0;
	while (i < c->nooo && seq_le(ooo_end(&c->ooo[i]), s))
		i++;
	/* c->ooo[i] is the first that ends after s */
	if (i < c->nooo && seq_lt(c->ooo[i].seq, s)) {
		/* overlaps our head: start after it */
		struct seq ne = ooo_end(&c->ooo[i]);
		uint32_t cut = seq_diff(ne, s);
		s = ne;
		off += cut;
		len -= cut;
		i++;
	}
	/* drop held segments wholly inside [s, e) */
	while (i < c->nooo && seq_le(ooo_end(&c->ooo[i]), e) && seq_ge(c->ooo[i].seq, s)) {
		ooo_free(x, c->ooo[i].buf);
		ooo_remove(c, i);
	}
	if (i < c->nooo && seq_lt(c->ooo[i].seq, e)) {
		/* overlaps our tail: end where it starts */
		len = seq_diff(c->ooo[i].seq, s);
		e = c->ooo[i].seq;
	}
	if (len == 0)
		return false; /* cannot happen: cov said part is new */

	/* bounds */
	uint32_t mb = max_bufs(x);
	uint32_t mbytes = x->p.reass_max_bytes;
	while (c->nooo > 0 && (c->nooo >= mb || (mbytes && c->ooo_bytes + len > mbytes))) {
		struct tcp_ooo *last = &c->ooo[c->nooo - 1];
		if (!seq_gt(last->seq, s))
			break;
		/* the new one is nearer RCV.NXT: evict from the top */
		ooo_free(x, last->buf);
		ooo_remove(c, (uint16_t)(c->nooo - 1));
		x->mib.rcv_pruned++;
		if (i > c->nooo)
			i = c->nooo;
	}
	if (c->nooo >= mb || (mbytes && c->ooo_bytes + len > mbytes)) {
		x->mib.ooo_dropped_full++;
		return false;
	}
	memmove(&c->ooo[i + 1], &c->ooo[i], (size_t)(c->nooo - i) * sizeof(c->ooo[0]));
	c->ooo[i] = (struct tcp_ooo){ .buf = buf, .seq = s, .off = off, .len = len,
				      .stamp = ++c->ooo_stamp };
	c->nooo++;
	c->ooo_bytes += len;
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
			/* all of it already arrived in order */
			ooo_free(x, o->buf);
			ooo_remove(c, 0);
			continue;
		}
		uint32_t skip = seq_diff(c->rcv_nxt, o->seq);
		uint32_t n = o->len - skip;
		if (c->rcv_free < n || a->ndeliver >= TCP_ACT_DELIVER) {
			/* the ring cannot take what we advertised (the
			 * caller shrank it): drop, the peer retransmits */
			ooo_free(x, o->buf);
			ooo_remove(c, 0);
			x->mib.rcv_pruned++;
			continue;
		}
		void *buf = o->buf;
		uint32_t boff = o->off + skip;
		ooo_remove(c, 0);
		tcp_deliver_n(c, a, buf, boff, n);
	}
}

/*
 * RFC 2018 §4: the first block holds the most recently received segment,
 * then the most recently reported other blocks. Blocks are maximal runs
 * of held data (adjacent buffers merged); a block's age is its newest
 * buffer's.
 */
unsigned
tcp_reass_sack(const struct tcp_conn *c, struct tcp_sack_block *b, unsigned max)
{
	struct tcp_sack_block blk[TCP_REASS_MAX];
	uint32_t stamp[TCP_REASS_MAX];
	unsigned nb = 0;

	for (uint16_t i = 0; i < c->nooo; i++) {
		const struct tcp_ooo *o = &c->ooo[i];
		if (nb && blk[nb - 1].end == o->seq.v) {
			blk[nb - 1].end = ooo_end(o).v;
			if (o->stamp > stamp[nb - 1])
				stamp[nb - 1] = o->stamp;
		} else {
			blk[nb].start = o->seq.v;
			blk[nb].end = ooo_end(o).v;
			stamp[nb] = o->stamp;
			nb++;
		}
	}
	unsigned n = 0;
	while (n < max && nb > 0) {
		unsigned best = 0;
		for (unsigned k = 1; k < nb; k++)
			if (stamp[k] > stamp[best])
				best = k;
		b[n++] = blk[best];
		blk[best] = blk[nb - 1];
		stamp[best] = stamp[nb - 1];
		nb--;
	}
	return n;
}

void
tcp_reass_purge(struct tcp_ctx *x, struct tcp_conn *c)
{
	for (uint16_t i = 0; i < c->nooo; i++)
		ooo_free(x, c->ooo[i].buf);
	c->nooo = 0;
	c->ooo_bytes = 0;
	c->ooo_fin = false;
}

/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef RS_MBUF_UTIL_H
#define RS_MBUF_UTIL_H

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "util/rs_csum.h"

/*
 * Cuts a packet, chained or not, to len bytes, freeing the segments past
 * the cut (rte_pktmbuf_trim only trims inside the last segment, so link
 * padding spread over segments would otherwise stay: found by the fuzzer).
 * Returns 0, or -1 when the packet is shorter than len.
 */
static inline int rs_mbuf_cut(struct rte_mbuf *m, uint32_t len)
{
	if (m->pkt_len < len)
		return -1;
	if (m->pkt_len == len)
		return 0;
	struct rte_mbuf *seg = m;
	uint32_t left = len;
	while (seg->data_len < left) {
		left -= seg->data_len;
		seg = seg->next;
	}
	struct rte_mbuf *rest = seg->next;
	seg->data_len = (uint16_t)left;
	seg->next = NULL;
	if (rest != NULL) {
		uint16_t n = 0;
		for (struct rte_mbuf *s = rest; s != NULL; s = s->next)
			n++;
		m->nb_segs = (uint16_t)(m->nb_segs - n);
		rte_pktmbuf_free(rest);
	}
	m->pkt_len = len;
	return 0;
}

/*
 * rte_raw_cksum_mbuf with rs_csum_raw (an add-with-carry chain, not a
 * 16-bit loop): the raw one's complement sum of [off, off + len) of a
 * packet, chained or not, in native byte order. A piece that starts at an
 * odd offset into the range is summed byte-swapped (RFC 1071 §2(B)). 0, or
 * -1 when the packet is shorter.
 */
static inline int rs_mbuf_csum(const struct rte_mbuf *m, uint32_t off, uint32_t len,
			       uint16_t *cksum)
{
	if (off + len <= m->data_len) {
		*cksum = rs_csum_raw(rte_pktmbuf_mtod_offset(m, const uint8_t *, off), len, 0);
		return 0;
	}
	if (off + len > m->pkt_len)
		return -1;
	const struct rte_mbuf *seg = m;
	while (seg != NULL && off >= seg->data_len) {
		off -= seg->data_len;
		seg = seg->next;
	}
	uint16_t sum = 0;
	uint32_t done = 0;
	while (done < len) {
		if (seg == NULL)
			return -1;
		uint32_t n = seg->data_len - off;
		if (n > len - done)
			n = len - done;
		uint16_t t = rs_csum_raw(rte_pktmbuf_mtod_offset(seg, const uint8_t *, off), n, 0);
		if (done & 1)
			t = rte_bswap16(t);
		uint32_t s2 = (uint32_t)sum + t;
		sum = (uint16_t)((s2 & 0xffff) + (s2 >> 16));
		done += n;
		off = 0;
		seg = seg->next;
	}
	*cksum = sum;
	return 0;
}

#endif

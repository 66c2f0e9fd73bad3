/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef RS_MBUF_UTIL_H
#define RS_MBUF_UTIL_H

#include <rte_mbuf.h>

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

#endif

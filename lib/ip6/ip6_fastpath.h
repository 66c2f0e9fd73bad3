/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IPv6 fast path (ip6_fastpath.c), run by the fast-path node
 * (ip4_fastpath) for the IPv6 frames of a vector: the node dispatches on
 * the Ethertype where its IPv4 loop stops, and hands a run of IPv6 frames
 * here. What it checks and why is said in ip6_fastpath.c.
 */
#ifndef RS_IP6_FASTPATH_H
#define RS_IP6_FASTPATH_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "core/dp.h"
#include "eth/fp_v16.h"

/* What the hot loop keeps in registers from frame to frame. */
struct ip6_fp_hot {
	fp_v16 key;   /* the ingress link's MAC, Ethertype IPv6, version 6 */
	fp_v16 dkey;  /* the destination the next-hop memo holds for... */
	fp_v16 dmask; /* ...in the bytes of this mask (the FIB6 leaf's) */
	fp_v16 hdr;   /* the next hop's Ethernet header, bytes 14-15 unused */
	const uint64_t *bloom;
	/* the longest frame the egress link takes (its MTU + the Ethernet
	 * header); 0 when the next hop takes no fast path */
	uint32_t max_l;
	uint16_t out_iface;
};

/* The state of one vector (begun with ip6_fp_begin). */
struct ip6_fp {
	struct ip6_fp_hot h;
	const struct rs_cfg *c;
	uint32_t nhi;     /* the next hop of the memo, FIB6_NH_NONE: none */
	uint16_t in_port; /* the ingress link of the key, 0xffff: none */
	bool in_ok;       /* it takes the fast path */
	bool onlink;
	uint8_t nb_ip[16];
	/* the egress link of the frames taken while there is one, -1 */
	int32_t tx_port;
	bool tx_mixed;
};

void ip6_fp_begin(struct ip6_fp *s, const struct rs_cfg *c);

/*
 * Forwards the frames p[0], p[1]... before end that came in on link in,
 * as long as each is one the IPv6 fast path takes (rewritten for its
 * egress link, m->port set), and returns the first it does not take (end
 * when it took all); that frame is untouched. The headers of the frame
 * FP6_PREFETCH ahead are prefetched while p is below lim (lim <= end,
 * and lim + FP6_PREFETCH at most the end of the vector).
 */
struct rte_mbuf **ip6_fp_run(struct ip6_fp *s, struct rte_mbuf **p, struct rte_mbuf **end,
			     struct rte_mbuf **lim, uint16_t in);

#define FP6_PREFETCH 4

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reassembly for both families (IPv4: RFC 791 §3.2, RFC 815; IPv6: RFC 8200
 * §4.5), DPDK-free: fragments are opaque buffers with (offset, length,
 * more-fragments) of a datagram named by a family-neutral key; the caller
 * chains them. One table serves one family (max_payload differs).
 *
 * Why not rte_ip_frag: it neither detects overlapping fragments (Linux and
 * RFC 5722 drop the whole datagram, closing the overlap attacks of RFC 1858)
 * nor tells the caller, on timeout, whether fragment 0 arrived (RFC 1122
 * §3.3.2: Time Exceeded is sent only then, quoting fragment 0).
 *
 * Bounds: at most max_datagrams in reassembly, at most max_bytes of fragment
 * payload and at most max_bufs fragment buffers held in total, at most
 * max_src_bufs buffers from one source address, at most max_frags per
 * datagram. Buffers are what a flood of tiny fragments exhausts (each pins
 * a whole packet buffer however few bytes it carries), so max_bufs is the
 * bound that keeps reassembly well below the packet pool.
 *
 * Fairness: when a bound is reached, the datagram that goes is the oldest
 * of the source holding the most buffers (ties: the source whose oldest
 * datagram is oldest), never the datagram the fragment belongs to. So one
 * peer flooding fragments evicts its own datagrams, not everyone else's
 * (Linux evicts the oldest overall, which lets a single flood push out
 * every other peer's datagrams). A source over max_src_bufs evicts its own
 * oldest first. Still weaker: a flood from many spoofed sources, each
 * holding more than a legitimate datagram, gets its share like anyone.
 *
 * One owner thread; time is passed in (nanoseconds).
 */
#ifndef RS_REASS_H
#define RS_REASS_H

#include <stdbool.h>
#include <stdint.h>

#include "util/rs_addr.h"

struct reass_params {
	uint32_t max_datagrams; /* concurrent datagrams (e.g. 1024) */
	uint32_t max_bytes;     /* fragment payload bytes held, all datagrams (e.g. 4 MiB) */
	uint32_t max_frags;     /* fragments per datagram (e.g. 64; 65535/8 max meaningful) */
	uint32_t max_bufs;      /* fragments held, all datagrams (0: max_datagrams * max_frags) */
	uint32_t max_src_bufs;  /* fragments held from one source address (0: max_bufs) */
	uint64_t timeout_ns;    /* RFC 1122: 60 s max; Linux uses 30 s */
	uint32_t max_payload;   /* reassembled payload bound (0: IPv4's 65515; IPv6 65535) */
};

/* RFC 791: src, dst, protocol and identification identify a datagram;
 * RFC 8200 §4.5: src, dst and the 32-bit identification (proto 0). IPv4
 * addresses in their mapped form (util/rs_addr.h). */
struct reass_key {
	struct rs_ip src;
	struct rs_ip dst;
	uint32_t id;
	uint8_t proto;
};

struct reass_frag {
	uint32_t off;  /* payload offset in bytes (fragment offset * 8) */
	uint32_t len;  /* payload length in bytes (> 0) */
	bool more;     /* MF flag */
	void *buf;     /* the caller's buffer; ownership passes to the table */
};

#define REASS_MAX_FRAGS 512

/* Filled on REASS_COMPLETE: fragments in offset order, contiguous from 0. */
struct reass_done {
	uint32_t n;
	uint32_t total_len; /* payload bytes */
	struct reass_frag frags[REASS_MAX_FRAGS];
};

enum reass_result {
	REASS_HELD = 0,     /* stored, datagram incomplete */
	REASS_COMPLETE,     /* *done holds every fragment; the table forgets them */
	/* below: the fragment was dropped (free_buf called on it) */
	REASS_DUP,          /* exact duplicate of a held fragment */
	REASS_OVERLAP,      /* overlap: the whole datagram was dropped too */
	REASS_BAD,          /* len 0, non-multiple-of-8 length with MF, or beyond max_payload,
	                       or data past an already-known last fragment */
	REASS_NOMEM,        /* the datagram alone would be over max_bytes, max_bufs or
	                       max_src_bufs: evicting others cannot help */
	REASS_TOO_MANY,     /* over max_frags: the whole datagram was dropped too */
};

struct reass_table;

/* free_buf is called for every buffer the table drops. NULL+errno on failure. */
struct reass_table *reass_create(const struct reass_params *p,
				 void (*free_buf)(void *ctx, void *buf), void *ctx);
void reass_destroy(struct reass_table *t);

enum reass_result reass_add(struct reass_table *t, const struct reass_key *k,
			    const struct reass_frag *f, uint64_t now,
			    struct reass_done *done);

/*
 * Drops every datagram older than timeout_ns. For each, calls expired (when
 * not NULL) with the buffer of fragment 0 if it arrived (else NULL) BEFORE
 * that buffer is freed, so the caller can quote it in an ICMP Time Exceeded.
 * Returns the number of datagrams dropped.
 */
uint32_t reass_expire(struct reass_table *t, uint64_t now,
		      void (*expired)(void *ctx, const struct reass_key *k, void *frag0),
		      void *ctx);

struct reass_stats {
	uint32_t datagrams;  /* in reassembly now */
	uint32_t bytes;      /* payload bytes held now */
	uint32_t bufs;       /* fragment buffers held now */
	uint32_t sources;    /* source addresses with a datagram in reassembly now */
	uint64_t evicted;    /* datagrams evicted for room (any bound) */
	uint64_t timeouts;   /* datagrams expired */
};
void reass_get_stats(const struct reass_table *t, struct reass_stats *s);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which worker a flow belongs to (DESIGN.md "Multi-core"): the Toeplitz
 * hash of the flow as a NIC computes it for RSS (Microsoft's RSS
 * specification: source address, destination address, source port,
 * destination port of the received packet), with one key, through a
 * redirection table of RS_RSS_RETA entries filled round-robin over the
 * workers. Ports that have RSS are configured with exactly that key and
 * table (ports.c), so their queue for a flow is this worker; where a port
 * has none, the receiving worker computes the same function in software
 * (rte_softrss) and hands the packet over. An active open picks a local
 * port whose hash lands on the worker that will own the connection.
 */
#ifndef RS_RSS_H
#define RS_RSS_H

#include <stdint.h>

#define RS_RSS_KEY_LEN 40
#define RS_RSS_RETA 128

extern const uint8_t rs_rss_key[RS_RSS_KEY_LEN];

/* Addresses host order (IPv4) or network-order bytes (IPv6); ports host
 * order; the tuple of the packet as received (src = the peer). */
uint32_t rs_rss_hash4(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport);
uint32_t rs_rss_hash6(const uint8_t src[16], const uint8_t dst[16], uint16_t sport,
		      uint16_t dport);

/* The worker a hash maps to through the redirection table. */
static inline uint16_t rs_rss_worker(uint32_t hash, uint16_t nb_workers)
{
	return nb_workers <= 1 ? 0 : (uint16_t)((hash % RS_RSS_RETA) % nb_workers);
}

#endif

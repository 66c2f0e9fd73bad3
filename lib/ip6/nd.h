/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbor Discovery (RFC 4861) and MLDv2 (RFC 3810), control-thread side:
 * the messages the stack originates (solicitations, DAD probes, MLD
 * reports) and the DAD state of tentative addresses. What workers learn
 * from NS/NA reaches the neighbour table (lib/arp/neigh.c, shared with ARP)
 * as neigh_msg_nd messages; DAD conflicts and MLD queries as the messages
 * below.
 */
#ifndef RS_ND_H
#define RS_ND_H

#include <stdbool.h>
#include <stdint.h>

/* Sends a Neighbor Solicitation for target on iface: to its solicited-node
 * group, or unicast to dmac (NUD probe); dad: from :: without a source
 * link-layer address option (RFC 4862 §5.4.2). */
void nd_send_ns(uint16_t iface, const uint8_t target[16], const uint8_t *dmac, bool dad);
/* Sends a Router Solicitation (RFC 4861 §6.3.7) to all-routers on iface,
 * from its link-local address with the source link-layer option: false
 * when it cannot go yet (no link-local address past DAD, link down, no
 * buffer). */
bool nd_send_rs(uint16_t iface);
/* Sends an MLDv2 report of every group we listen to on iface. */
void nd_send_mld_report(uint16_t iface);

/* Worker -> control: a DAD conflict for (.iface, data[0..16)); an MLD query
 * arrived on .iface. */
extern uint16_t nd_msg_dad_conflict, nd_msg_mld_query;

#endif

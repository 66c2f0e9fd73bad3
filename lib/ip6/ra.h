/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Router Advertisements (RFC 4861 §6, RFC 4862, RFC 8106), control thread:
 *  - as a router, on links configured with "ringctl ra set": periodic and
 *    solicited RAs with prefixes (on-link and autonomous), their lifetimes,
 *    the link MTU and RDNSS servers (radvd's basic job);
 *  - as a host, on links that do not forward: SLAAC (RFC 4862 §5.5) from
 *    the autonomous /64 prefixes of received RAs (stable IIDs, RFC 7217,
 *    with the 2-hour rule of §5.5.3 e) and the default route through the
 *    advertising router while its router lifetime lasts; Router
 *    Solicitations when a link becomes a host link (§6.3.7).
 * Workers hand RAs and RSs over as neigh-style messages carrying the mbuf
 * (ra_msg_ra, ra_msg_rs); everything in them is parsed again here with
 * bounds checks.
 */
#ifndef RS_RA_H
#define RS_RA_H

#include <stdint.h>

extern uint16_t ra_msg_ra, ra_msg_rs;
/* autonomous prefixes of received RAs that got no address: the SLAAC
 * table (32 addresses) or the link's address table was full */
extern uint64_t ra_slaac_full;

struct cmd_ctx;
int cmd_ra(struct cmd_ctx *ctx, int argc, char **argv);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IGMPv3 host side (RFC 3376): igmp_input (worker) hands queries to the
 * control thread (igmp_ctl.c), which sends the reports for the groups
 * sockets joined (lib/sock/sock_mcast.h): state-change reports on join
 * and leave, current-state reports in answer to queries.
 */
#ifndef RS_IGMP_H
#define RS_IGMP_H

#include <stdint.h>

/* worker -> control: a query on msg.iface; u32 the group (0: general),
 * data[0] its version */
extern uint16_t igmp_msg_query;

/* Control thread: the current-state report of every group joined on
 * iface (what a general query gets). */
void igmp_send_report(uint16_t iface);

#endif

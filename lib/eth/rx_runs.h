/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What port_rx put into ip4_fastpath's input in this walk: for each RX
 * queue, where its frames begin in that node's vector, how many, and the
 * link they came in on. ip4_fastpath reads the ingress link from here
 * rather than from each mbuf: port_rx then leaves m->port as the driver
 * set it (a per-frame store less in port_rx, a per-frame compare less in
 * ip4_fastpath). Frames in the vector that no run covers (impair_in and
 * impair_release put them there) carry their link in m->port.
 *
 * One per worker, written by port_rx and read by ip4_fastpath of the same
 * worker in the same walk (walk == rs_worker.loops): a record of another
 * walk is never used, and ip4_fastpath consumes it (n = 0) so that a
 * second visit of the node in one walk (frames impair_in sent it later)
 * reads m->port only.
 */
#ifndef RS_ETH_RX_RUNS_H
#define RS_ETH_RX_RUNS_H

#include <stdint.h>

#include "core/dp.h"

struct rs_rx_run {
	uint16_t start; /* index in ip4_fastpath's vector */
	uint16_t count;
	uint16_t port;  /* the ingress link (port id == link index) */
};

struct rs_rx_runs {
	uint64_t walk;
	uint16_t n;
	struct rs_rx_run run[RS_MAX_IFACES];
} __rte_cache_aligned;

extern struct rs_rx_runs rs_rx_runs[RS_MAX_WORKERS];

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/* The worker a socket's flow belongs to (core/rss.h). */
#include "core/dp.h"
#include "core/rss.h"
#include "sock/sock.h"

uint32_t sock_flow_hash(const struct rs_ip *src, uint16_t sport, const struct rs_ip *dst,
			uint16_t dport)
{
	if (rs_ip_is4(src) && rs_ip_is4(dst))
		return rs_rss_hash4(rs_ip_v4(src), rs_ip_v4(dst), sport, dport);
	return rs_rss_hash6(src->b, dst->b, sport, dport);
}

uint16_t sock_flow_worker(const struct rs_ip *src, uint16_t sport, const struct rs_ip *dst,
			  uint16_t dport)
{
	/* one worker owns every flow: no Toeplitz hash (hundreds of
	 * instructions) per segment */
	if (rs_dp.nb_workers <= 1)
		return 0;
	return rs_rss_worker(sock_flow_hash(src, sport, dst, dport), rs_dp.nb_workers);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IPv6 twin of route/rt4_out.h: one route-and-source function for the
 * IPv6 packets we originate from sockets and for ip6_output, so a socket's
 * connect and its datagrams agree on the link, the route type and the
 * source. Worker or control thread; reads FIB6 and the published
 * configuration, no lock.
 */
#ifndef RS_RT6_OUT_H
#define RS_RT6_OUT_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/dp.h"
#include "ip6/ip6.h"
#include "route/fib6.h"
#include "wire/ip6_wire.h"

struct rt6_out {
	uint8_t type;       /* RT_UNICAST or RT_LOCAL */
	uint16_t iface;     /* egress link (RT_LOCAL: the link of the address) */
	uint32_t nh;        /* FIB6 next hop with a gateway, FIB6_NH_NONE: dst itself */
	uint8_t src[16];    /* source for dst on that link */
};

/*
 * Routes dst (network order). oif >= 0 (a scope id, SO_BINDTODEVICE,
 * IPV6_PKTINFO's ifindex) restricts the route to that link; a link-local
 * or multicast destination needs one (RFC 4291 §2.5.6: never routed).
 * Returns 0, or the errno Linux's ip6_dst_lookup gives a sender: -EINVAL
 * (link-scope destination without a link), -ENETUNREACH (no route, link
 * down or not the bound one), -EHOSTUNREACH, -EACCES, -EADDRNOTAVAIL (the
 * link has no usable source).
 */
static inline int rt6_output(const struct rs_cfg *c, const uint8_t *dst, uint32_t flow_hash,
			     int oif, struct rt6_out *o)
{
	const uint8_t *src;
	if (ip6_is_mcast(dst) || ip6_is_linklocal(dst)) {
		if (oif < 0 || oif >= RS_MAX_IFACES)
			return -EINVAL;
		const struct rs_iface *ifc = &c->ifaces[oif];
		if (!ifc->present || !ifc->up)
			return -ENETUNREACH;
		o->iface = (uint16_t)oif;
		o->nh = FIB6_NH_NONE;
		if (!ip6_is_mcast(dst) && ip6_addr_usable(ip6_iface_addr(ifc, dst))) {
			o->type = RT_LOCAL;
			memcpy(o->src, dst, 16);
			return 0;
		}
		o->type = RT_UNICAST;
		src = ip6_iface_src(ifc, dst);
	} else {
		uint32_t nh = fib6_lookup(dst);
		if (nh == FIB6_NH_NONE)
			return -ENETUNREACH;
		nh = fib6_nh_select(nh, flow_hash);
		const struct rs_nh6 *n = fib6_nh(nh);
		switch (n->type) {
		case RT_UNICAST:
		case RT_LOCAL:
			break;
		case RT_UNREACHABLE:
			return -EHOSTUNREACH;
		case RT_PROHIBIT:
			return -EACCES;
		case RT_BLACKHOLE:
			return -EINVAL;
		default:
			return -ENETUNREACH;
		}
		if (n->iface >= RS_MAX_IFACES)
			return -ENETUNREACH;
		const struct rs_iface *ifc = &c->ifaces[n->iface];
		if (!ifc->present || !ifc->up)
			return -ENETUNREACH;
		if (oif >= 0 && oif != n->iface && n->type != RT_LOCAL)
			return -ENETUNREACH;
		o->type = n->type;
		o->iface = n->iface;
		o->nh = n->type == RT_UNICAST && !ip6_is_unspec(n->gw) ? nh : FIB6_NH_NONE;
		if (n->type == RT_LOCAL) {
			/* a local destination is its own source, as on Linux */
			memcpy(o->src, dst, 16);
			return 0;
		}
		src = ip6_iface_src(ifc, dst);
	}
	if (src == NULL)
		return -EADDRNOTAVAIL;
	memcpy(o->src, src, 16);
	return 0;
}

/* Whether a (not IPv4-mapped) is a usable address of ours; *iface its
 * link. A link-local address is looked for on oif only (its scope). */
static inline bool rt6_addr_local(const struct rs_cfg *c, const uint8_t *a, int oif,
				  uint16_t *iface)
{
	if (ip6_is_linklocal(a)) {
		if (oif < 0 || oif >= RS_MAX_IFACES || !c->ifaces[oif].present)
			return false;
		*iface = (uint16_t)oif;
		return ip6_addr_usable(ip6_iface_addr(&c->ifaces[oif], a));
	}
	uint32_t nh = fib6_lookup(a);
	if (nh == FIB6_NH_NONE || fib6_nh(nh)->type != RT_LOCAL)
		return false;
	*iface = fib6_nh(nh)->iface;
	return *iface < RS_MAX_IFACES &&
	       (c->ifaces[*iface].loopback ||
		ip6_addr_usable(ip6_iface_addr(&c->ifaces[*iface], a)));
}

#endif

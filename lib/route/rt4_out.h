/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One route-and-source function for every IPv4 packet we originate
 * (sockets, ICMP, ARP's source choice) and for ip4_output, so ECMP groups,
 * route types, SO_BINDTODEVICE and source selection are decided in one
 * place. Worker or control thread; reads the FIB and the published
 * configuration, no lock.
 */
#ifndef RS_RT4_OUT_H
#define RS_RT4_OUT_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/dp.h"
#include "route/fib4.h"
#include "wire/wire.h"

struct rt4_out {
	uint8_t type;     /* RT_UNICAST, RT_LOCAL or RT_BROADCAST */
	bool l2_bcast;    /* send to the link-layer broadcast address */
	uint16_t iface;   /* egress link (RT_LOCAL: the link of the address) */
	uint32_t nh_ip;   /* the neighbour to resolve: gateway or destination */
	uint32_t src;     /* source for dst on that link (0: the link has no address) */
};

/*
 * Routes dst (host order). flow_hash picks an ECMP member (the same flow
 * always the same member). bind_iface >= 0 (SO_BINDTODEVICE, IP_PKTINFO's
 * ifindex) restricts the route to that link; the limited broadcast
 * 255.255.255.255 goes out there, or on the first link with an address.
 * Returns 0, or the errno Linux's ip_route_output gives a sender:
 * -ENETUNREACH (no route, link down or not the bound link), -EHOSTUNREACH
 * (unreachable), -EACCES (prohibit), -EINVAL (blackhole).
 */
static inline int rt4_output(const struct rs_cfg *c, uint32_t dst, uint32_t flow_hash,
			     int bind_iface, struct rt4_out *o)
{
	o->l2_bcast = false;
	if (ip4_is_bcast_all(dst)) {
		int ifi = bind_iface;
		for (unsigned i = 0; ifi < 0 && i < RS_MAX_IFACES; i++)
			if (c->ifaces[i].present && c->ifaces[i].up && c->ifaces[i].naddrs &&
			    !c->ifaces[i].loopback)
				ifi = (int)i;
		if (ifi < 0 || !c->ifaces[ifi].present || !c->ifaces[ifi].up)
			return -ENETUNREACH;
		o->type = RT_BROADCAST;
		o->l2_bcast = true;
		o->iface = (uint16_t)ifi;
		o->nh_ip = dst;
		o->src = rs_iface_src_for(&c->ifaces[ifi], 0);
		return 0;
	}
	uint32_t nhi = fib4_lookup(dst);
	if (nhi == FIB4_NH_NONE)
		return -ENETUNREACH;
	const struct rs_nh *nh = fib4_nh_select(fib4_nh(nhi), flow_hash);
	switch (nh->type) {
	case RT_UNICAST:
		o->nh_ip = nh->gw ? nh->gw : dst;
		break;
	case RT_LOCAL:
		o->nh_ip = dst;
		break;
	case RT_BROADCAST:
		o->nh_ip = dst;
		o->l2_bcast = true;
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
	o->type = nh->type;
	o->iface = nh->iface;
	const struct rs_iface *ifc = &c->ifaces[nh->iface];
	if (!ifc->present || !ifc->up)
		return -ENETUNREACH;
	if (bind_iface >= 0 && bind_iface != nh->iface && nh->type != RT_LOCAL)
		return -ENETUNREACH;
	/* RFC 1122 §3.3.4.3 / Linux: a local destination is its own source */
	o->src = nh->type == RT_LOCAL ? dst : rs_iface_src_for(ifc, dst);
	return 0;
}

/* The ECMP flow hash of what we originate: destination, protocol and
 * ports, not the source (a socket routes before it knows its source), so a
 * socket's choice and ip4_output's agree. ports: sport << 16 | dport. */
static inline uint32_t rt4_flow_hash(uint32_t dst, uint8_t proto, uint32_t ports)
{
	uint32_t x = dst * 0x9e3779b1u ^ proto ^ ports * 0x85ebca6bu;
	x ^= x >> 15;
	x *= 0x2c1b3c6du;
	return x ^ (x >> 12);
}

/* The same hash from a complete IPv4 header (data at it, len bytes). */
static inline uint32_t rt4_flow_hash_pkt(const uint8_t *h, uint32_t len)
{
	uint32_t hl = (uint32_t)(h[0] & 0xf) * 4, ports = 0;
	if ((h[9] == IPPROTO_UDP_ || h[9] == 6) && !(rs_ld16(h + 6) & IP4_OFFMASK) && len >= hl + 4)
		ports = rs_ld32(h + hl);
	return rt4_flow_hash(rs_ld32(h + 16), h[9], ports);
}

#endif

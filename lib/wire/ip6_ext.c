/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IPv6 extension header walk (RFC 8200 §4), pure and DPDK-free. See
 * ip6_ext_walk in ip6_wire.h for the contract. Every read is preceded by a
 * bounds check against len; the walk is bounded by IP6_EXT_MAX headers.
 */
#include "wire/ip6_wire.h"

#define OPT_PAD1 0x00
#define OPT_PADN 0x01
#define OPT_ROUTER_ALERT 0x05

static enum ip6_ext_verdict param(struct ip6_chain *x, uint8_t code, uint32_t ptr)
{
	x->code = code;
	x->pointer = ptr;
	return IP6X_PARAM;
}

/*
 * The options of a Hop-by-Hop or Destination Options header at off,
 * hlen bytes long (RFC 8200 §4.2). Known: Pad1, PadN and (hop-by-hop)
 * Router Alert; the rest by their action bits.
 */
static enum ip6_ext_verdict walk_options(const uint8_t *b, size_t off, size_t hlen, bool hbh,
					 struct ip6_chain *x)
{
	size_t end = off + hlen;
	for (size_t i = off + 2; i < end;) {
		uint8_t t = b[i];
		if (t == OPT_PAD1) {
			i++;
			continue;
		}
		if (i + 2 > end)
			return param(x, ICMP6_PARAM_HEADER, (uint32_t)i);
		size_t olen = 2 + (size_t)b[i + 1];
		if (i + olen > end)
			/* the option claims more than its header holds */
			return param(x, ICMP6_PARAM_HEADER, (uint32_t)(i + 1));
		if (t == OPT_PADN) {
			i += olen;
			continue;
		}
		if (hbh && t == OPT_ROUTER_ALERT && olen == 4) {
			x->router_alert = true;
			i += olen;
			continue;
		}
		switch (t >> 6) {
		case 0: /* skip over this option */
			break;
		case 1: /* discard the packet */
			return IP6X_DISCARD;
		case 2: /* discard, Parameter Problem code 2 even to multicast */
			x->code = ICMP6_PARAM_OPTION;
			x->pointer = (uint32_t)i;
			return IP6X_PARAM;
		default: /* 3: discard, Parameter Problem unless multicast dst */
			x->code = ICMP6_PARAM_OPTION;
			x->pointer = (uint32_t)i;
			return IP6X_PARAM_UCAST;
		}
		i += olen;
	}
	return IP6X_OK;
}

enum ip6_ext_verdict ip6_ext_walk(const uint8_t *b, size_t len, bool hbh_only,
				  struct ip6_chain *x)
{
	memset(x, 0, sizeof(*x));
	if (len < IP6_HLEN)
		return IP6X_TRUNC;
	uint8_t nh = b[6];
	size_t nh_off = 6, off = IP6_HLEN;

	for (;;) {
		x->proto = nh;
		x->off = (uint16_t)off;
		x->nh_off = (uint16_t)nh_off;
		if (hbh_only && nh != IPPROTO_HOPOPTS_)
			return IP6X_OK;
		size_t hlen;
		switch (nh) {
		case IPPROTO_HOPOPTS_:
			/* RFC 8200 §4.3: only right after the IPv6 header */
			if (off != IP6_HLEN)
				return param(x, ICMP6_PARAM_NEXTHDR, (uint32_t)nh_off);
			/* fall through */
		case IPPROTO_DSTOPTS_:
		case IPPROTO_ROUTING_:
			if (off + 2 > len)
				return IP6X_TRUNC;
			hlen = ((size_t)b[off + 1] + 1) * 8;
			break;
		case IPPROTO_AH_: /* RFC 4302 §2.2: length in 4-octet units, minus 2 */
			if (off + 2 > len)
				return IP6X_TRUNC;
			hlen = ((size_t)b[off + 1] + 2) * 4;
			break;
		case IPPROTO_FRAGMENT_:
			hlen = IP6_FRAG_HLEN;
			break;
		default: /* upper layer, No Next Header, or unknown: the caller's */
			return IP6X_OK;
		}
		if (off + hlen > len)
			return IP6X_TRUNC;
		if (++x->nhdrs > IP6_EXT_MAX)
			return IP6X_TOO_LONG;
		if (nh == IPPROTO_HOPOPTS_ || nh == IPPROTO_DSTOPTS_) {
			enum ip6_ext_verdict r =
				walk_options(b, off, hlen, nh == IPPROTO_HOPOPTS_, x);
			if (r != IP6X_OK) {
				x->proto = nh;
				x->off = (uint16_t)off;
				return r;
			}
			if (hbh_only) {
				x->proto = b[off];
				x->off = (uint16_t)(off + hlen);
				x->nh_off = (uint16_t)off;
				return IP6X_OK;
			}
		} else if (nh == IPPROTO_ROUTING_) {
			/* RFC 8200 §4.4: Segments Left 0 is ignored; otherwise we
			 * know no routing type (RH0 is deprecated, RFC 5095):
			 * Parameter Problem code 0 at the Routing Type field */
			if (b[off + 3] != 0)
				return param(x, ICMP6_PARAM_HEADER, (uint32_t)(off + 2));
		} else if (nh == IPPROTO_FRAGMENT_) {
			const uint8_t *fh = b + off;
			if (ip6_frag_offset(fh) != 0 || ip6_frag_more(fh)) {
				x->frag_off = (uint16_t)off;
				return IP6X_OK; /* the rest after reassembly */
			}
			/* RFC 6946: an atomic fragment is processed alone */
			x->atomic_frag = true;
		}
		nh_off = off;
		nh = b[off];
		off += hlen;
	}
}

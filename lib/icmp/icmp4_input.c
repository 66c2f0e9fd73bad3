/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * icmp4_input (RFC 792, RFC 1122 §3.2.2): verifies the checksum over the
 * whole message (reassembled ones are chains) and answers echo requests in
 * place, at any size up to 65507 bytes of data (ip4_output fragments the
 * reply). Echo requests to broadcast addresses are ignored, as Linux does by
 * default (icmp_echo_ignore_broadcasts, RFC 1122 §3.2.2.6 allows either).
 * Input: data at the IPv4 header. Consumes every packet.
 */
#include <rte_ip.h>

#include <errno.h>
#include <unistd.h>

#include "core/node.h"
#include "ip4/ip4.h"
#include "sock/sock.h"
#include "wire/wire.h"

enum {
	E_OUTPUT,
	E_HANDOFF,
	E_TRUNC,
	E_CSUM,
	E_BCAST_ECHO,
	E_UNHANDLED,
	E_NB,
};

/* Linux's icmp_err_convert for Destination Unreachable codes 0..15. */
static const int unreach_errno[16] = {
	ENETUNREACH, EHOSTUNREACH, ENOPROTOOPT, ECONNREFUSED, EMSGSIZE, EOPNOTSUPP,
	ENETUNREACH, EHOSTDOWN, ENONET, ENETUNREACH, EHOSTUNREACH, ENETUNREACH,
	EHOSTUNREACH, EHOSTUNREACH, EHOSTUNREACH, EHOSTUNREACH,
};

static uint8_t handoff_target;

RTE_INIT(icmp4_input_register)
{
	handoff_target = sock_handoff_target("icmp4_input");
}

/* UDP: the connected socket's next call fails with the matching errno, as
 * on Linux (RFC 1122 §4.1.3.3; unconnected sockets hear nothing without
 * IP_RECVERR, also as on Linux). */
static bool udp_icmp(const struct sock_icmp *e)
{
	if (e->frag_needed)
		return false; /* PMTU: DF is never set on our UDP (IP_PMTUDISC_DONT) */
	struct sock_demux_key k = {
		.laddr = e->laddr,
		.raddr = e->raddr,
		.lport = e->lport,
		.rport = e->rport,
		.proto = IPPROTO_UDP_,
	};
	struct rs_sock *so = sock_demux_lookup_key(sock_demux_tbl, &k, 0);
	if (so == NULL || !so->connected)
		return false;
	/* so_error is one atomic word any worker may set; the wake-up is a
	 * send on the daemon's end of the wake pair (sock.h) */
	sock_set_error(so, e->err);
	return true;
}

/*
 * An ICMP error about something one of our sockets sent. Returns 1 when it
 * was taken, 0 when nobody wants it, or 2 + the worker it must be handed
 * to (TCP: the connection's owner).
 */
static int icmp_to_socket(struct rs_worker *w, struct rte_graph *graph, struct rte_node *node,
			  struct rte_mbuf *m, uint16_t hlen, uint32_t len)
{
	uint8_t q[8 + 60 + 8];
	uint32_t n = len < sizeof(q) ? len : sizeof(q);
	const uint8_t *e = rte_pktmbuf_read(m, hlen, n, q);
	struct ip4_view v;
	/* RFC 792: the quoted header and at least 8 bytes of its payload
	 * (the ports, and TCP's sequence number) */
	if (e == NULL || n < 8 + IP4_HLEN + 8 || ip4_check_quote(&v, e + 8, n - 8) < 0 ||
	    n < 8u + v.hlen + 8)
		return 0;
	uint8_t type = e[0], code = e[1];
	struct sock_icmp x = { .type = type, .code = code };
	if (type == ICMP4_DEST_UNREACH) {
		x.err = code < 16 ? unreach_errno[code] : EHOSTUNREACH;
		/* Linux's icmp_err_convert: which unreachables are fatal */
		x.hard = code == 2 || code == 3 || (code >= 6 && code <= 10) || code >= 13;
		if (code == ICMP4_UNREACH_FRAG_NEEDED) {
			x.frag_needed = true;
			x.mtu = rs_ld16(e + 6);
		}
	} else if (type == ICMP4_TIME_EXCEEDED) {
		x.err = EHOSTUNREACH;
	} else if (type == ICMP4_PARAM_PROBLEM) {
		x.err = EPROTO;
		x.hard = true;
	} else {
		return 0; /* source quench, redirect: nothing to report */
	}
	const uint8_t *l4 = e + 8 + v.hlen;
	x.laddr = rs_ip_from4(ip4_src(&v));
	x.raddr = rs_ip_from4(ip4_dst(&v));
	x.lport = rs_ld16(l4);
	x.rport = rs_ld16(l4 + 2);
	x.seq = rs_ld32(l4 + 4);
	uint8_t proto = ip4_proto(&v);
	if (proto == IPPROTO_UDP_)
		return udp_icmp(&x) ? 1 : 0;
	const struct sock_proto *sp = sock_proto_of(proto);
	if (sp == NULL || sp->icmp == NULL)
		return 0;
	int owner = sp->icmp(w, graph, node, &x);
	return owner >= 0 ? 2 + owner : 1;
}

static uint16_t icmp4_input_process(struct rte_graph *graph, struct rte_node *node, void **objs,
				    uint16_t nb)
{
	struct rs_worker *w = rs_node_worker(node);

	rte_edge_t nexts[nb];

	for (uint16_t i = 0; i < nb; i++) {
		struct rte_mbuf *m = objs[i];
		struct rs_priv *p = rs_priv(m);
		uint8_t *b = rte_pktmbuf_mtod(m, uint8_t *);
		uint16_t hlen = (uint16_t)((b[0] & 0xf) * 4);
		uint32_t len = m->pkt_len - hlen;
		rte_edge_t next;

		if (len < ICMP4_HLEN || m->data_len < hlen + ICMP4_HLEN) {
			next = E_TRUNC;
			goto out;
		}
		uint16_t sum;
		if (rte_raw_cksum_mbuf(m, hlen, len, &sum) != 0 || sum != 0xffff) {
			next = E_CSUM;
			goto out;
		}
		uint8_t *ic = b + hlen;
		if (ic[0] != ICMP4_ECHO_REQUEST) {
			int r = icmp4_type_is_error(ic[0]) ? icmp_to_socket(w, graph, node, m, hlen, len)
							    : 0;
			if (r >= 2) {
				p->owner = (uint16_t)(r - 2);
				p->inject = handoff_target;
				next = E_HANDOFF;
				goto out;
			}
			if (r == 1) {
				rte_pktmbuf_free(m);
				nexts[i] = RS_EDGE_CONSUMED;
				continue;
			}
			next = E_UNHANDLED;
			goto out;
		}
		if (p->flags & (RS_PF_L2_BCAST | RS_PF_LOCAL_BCAST)) {
			next = E_BCAST_ECHO;
			goto out;
		}
		/* Reply: type 0, same code, id, sequence and data (RFC 792).
		 * Options are not echoed: rebuild a 20-byte header. */
		uint32_t src = rs_ld32(b + 12), dst = rs_ld32(b + 16);
		uint8_t tos = b[1];
		uint16_t ck = rs_csum_update16(rs_ld16(ic + 2), (uint16_t)(ic[0] << 8 | ic[1]),
					       (uint16_t)(ICMP4_ECHO_REPLY << 8 | ic[1]));
		/* RFC 1624 eqn. 3 yields 0000 where recomputation gives ffff.
		 * Both verify unless every other byte of the reply is zero (id 0,
		 * sequence 0, no data: then only ffff does), and ffff verifies
		 * whenever 0000 does, so never send 0000
		 * (tests/fuzz/crashers/echo_reply_zero_csum.bin). */
		rs_st16(ic + 2, ck ? ck : 0xffff);
		ic[0] = ICMP4_ECHO_REPLY;
		if (hlen > IP4_HLEN) {
			rte_pktmbuf_adj(m, (uint16_t)(hlen - IP4_HLEN));
			b = rte_pktmbuf_mtod(m, uint8_t *);
		}
		ip4_write(b, tos, (uint16_t)m->pkt_len, ip4_next_id(w), 0, 64, IPPROTO_ICMP_, dst, src);
		p->flags = 0;
		next = E_OUTPUT;
out:
		nexts[i] = next;
	}
	rs_node_dispatch(graph, node, objs, nexts, nb);
	return nb;
}

static struct rte_node_register icmp4_input_node = {
	.name = "icmp4_input",
	.process = icmp4_input_process,
	.init = rs_node_init,
	.nb_edges = E_NB,
	.next_nodes = {
		[E_OUTPUT] = "ip4_output",
		[E_HANDOFF] = "sock_handoff",
		[E_TRUNC] = RS_DROP_NODE(icmp_truncated),
		[E_CSUM] = RS_DROP_NODE(icmp_bad_checksum),
		[E_BCAST_ECHO] = RS_DROP_NODE(icmp_bcast_echo),
		[E_UNHANDLED] = RS_DROP_NODE(icmp_unhandled),
	},
};
RTE_NODE_REGISTER(icmp4_input_node);

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The listener side (RFC 9293 §3.10.7.2 LISTEN): bounds on the SYN queue
 * (embryonic children) and the accept queue (the backlog), and SYN cookies
 * (RFC 4987 §3.6) when the SYN queue is full. Pure like the rest: the
 * caller keeps the listener and its children; the engine counts them.
 */
#include "tcp_impl.h"

void
tcp_listener_init(struct tcp_listener *l, uint32_t backlog, const struct tcp_sockopts *so)
{
	memset(l, 0, sizeof(*l));
	l->backlog = backlog;
	/* Linux bounds the request queue by the backlog too
	 * (inet_csk_reqsk_queue_is_full) */
	l->syn_backlog = backlog ? backlog : 1;
	l->so = *so;
	if (l->so.rcvbuf == 0)
		l->so.rcvbuf = 65535;
}

enum tcp_syn_verdict
tcp_listen_syn(struct tcp_ctx *x, struct tcp_listener *l, const struct tcp_tuple *t,
	       const struct tcp_seg *syn, uint32_t mtu, uint64_t now_ns, struct tcp_actions *a)
{
	tcp_act_reset(a);
	x->mib.in_segs++;
	/* only a SYN opens (RST ignored, ACK answered by the caller with
	 * tcp_syncookie_check / tcp_rst_reply) */
	if ((syn->flags & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN)
		return TCP_SYN_DROP;
	/* Linux's tcp_conn_request: a full accept queue drops the SYN */
	if (l->accept_qlen > l->backlog) {
		l->drops++;
		x->mib.listen_overflows++;
		x->mib.listen_drops++;
		return TCP_SYN_DROP;
	}
	bool want_cookie = x->p.syncookies == 2 || l->syn_qlen >= l->syn_backlog;
	if (!want_cookie)
		return TCP_SYN_CREATE;
	if (x->p.syncookies == 0) {
		l->drops++;
		x->mib.req_qfull_drops++;
		x->mib.listen_drops++;
		return TCP_SYN_DROP;
	}
	if (tcp_syncookie_reply(x, l, t, syn, mtu, now_ns, a) != 0)
		return TCP_SYN_DROP;
	return TCP_SYN_COOKIE;
}

void
tcp_listener_accepted(struct tcp_listener *l, struct tcp_conn *c)
{
	if (c->listener != l)
		return;
	if (c->in_accept_queue && l->accept_qlen)
		l->accept_qlen--;
	else if (!c->in_accept_queue && l->syn_qlen)
		l->syn_qlen--;
	c->listener = NULL;
	c->in_accept_queue = false;
}

void
tcp_conn_listener_gone(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a)
{
	tcp_io_enter(c, io, a);
	/* Linux's inet_csk_listen_stop: requests vanish, established
	 * children not accepted are reset */
	bool rst = c->state != TCP_SYN_RECEIVED;
	c->orphan = true;
	tcp_conn_reset(x, c, 0, rst, io, a);
}

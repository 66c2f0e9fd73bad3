/* SPDX-License-Identifier: BSD-3-Clause */
/* The script helpers of tcp_script.h. */
#include "tcp_script.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* a buffer as the worker would hand it over: the segment's payload */
struct tbuf {
	uint32_t len;
	uint8_t data[];
};

const char *
ts_flags_str(uint8_t f)
{
	static char s[8][32];
	static int k;
	char *p = s[k++ & 7];
	p[0] = 0;
	if (f & TCP_SYN) strcat(p, "S");
	if (f & TCP_FIN) strcat(p, "F");
	if (f & TCP_RST) strcat(p, "R");
	if (f & TCP_PSH) strcat(p, "P");
	if (f & TCP_ACK) strcat(p, ".");
	if (f & TCP_URG) strcat(p, "U");
	return p;
}

void
ts_init_opts(struct tsock *t, bool ts, bool sack, bool ws)
{
	uint8_t secret[48];
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < 48; i++)
		secret[i] = (uint8_t)(i * 13 + 1);
	tcp_ctx_init(&t->x, secret);
	t->x.p.timestamps = ts;
	t->x.p.sack = sack;
	t->x.p.window_scaling = ws;
	t->t.family = AF_INET;
	uint32_t la = htonl(0x0a000001), ra = htonl(0x0a000002);
	memcpy(t->t.laddr, &la, 4);
	memcpy(t->t.raddr, &ra, 4);
	t->t.lport = 80;
	t->t.rport = 40000;
	t->so.rcvbuf = 65535;
	t->so.nodelay = true;
	t->now = 1000 * SEC;
	t->deadline = UINT64_MAX;
	t->snd_cap = TS_RING;
	t->snd = malloc(t->snd_cap);
	t->rcv_cap = 65535;
	t->rcv = malloc(TS_RCV_MAX);
	t->rcv_stream_cap = 64u << 20;
	t->rcv_stream = malloc(t->rcv_stream_cap);
	t->out = calloc(TS_MAXOUT, sizeof(struct rseg));
	t->mtu = 1500;
	cr_assert(t->snd && t->rcv && t->out && t->rcv_stream);
}

void
ts_init(struct tsock *t)
{
	ts_init_opts(t, false, false, false);
}

void
ts_fini(struct tsock *t)
{
	tcp_conn_destroy(&t->x, &t->c);
	free(t->snd);
	free(t->rcv);
	free(t->rcv_stream);
	free(t->out);
}

struct tcp_io
ts_io(const struct tsock *t)
{
	return (struct tcp_io){ .now_ns = t->now, .snd_avail = t->snd_len,
				.rcv_free = tcp_rcv_free_within(t->c.so.rcvbuf, t->rcv_cap,
								t->rcv_cap - t->rcv_len) };
}

/* copies n bytes to at bytes past the ring's write point (rcv_len),
 * within the free space the call was told of */
static void
rcv_place(struct tsock *t, const uint8_t *p, uint32_t n, uint32_t at, uint32_t free_at_call)
{
	cr_assert_leq(t->rcv_cap, TS_RCV_MAX, "test ring larger than its memory");
	cr_assert_leq((uint64_t)at + n, free_at_call, "delivery [%u,+%u) beyond the %u free bytes", at, n,
		      free_at_call);
	cr_assert_leq((uint64_t)t->rcv_len + at + n, t->rcv_cap,
		      "delivery overflows the receive ring (%u + %u + %u > %u)", t->rcv_len, at, n, t->rcv_cap);
	memcpy(t->rcv + t->rcv_len + at, p, n);
}

/* makes n bytes from the write point readable */
static void
rcv_publish(struct tsock *t, uint32_t n)
{
	cr_assert_leq(t->rcv_len + n, t->rcv_cap, "publish overflows the receive ring (%u + %u > %u)",
		      t->rcv_len, n, t->rcv_cap);
	const uint8_t *p = t->rcv + t->rcv_len;
	for (uint32_t i = 0; i < n && t->rcv_total + i < t->rcv_stream_cap; i++)
		t->rcv_stream[t->rcv_total + i] = p[i];
	t->rcv_len += n;
	t->rcv_total += n;
}

static void
apply_once(struct tsock *t, const struct tbuf *cur, uint32_t free_at_call)
{
	struct tcp_actions *a = &t->a;

	/* 1. release */
	cr_assert_leq(a->release, t->snd_len, "release %u beyond the ring's %u bytes", a->release, t->snd_len);
	memmove(t->snd, t->snd + a->release, t->snd_len - a->release);
	t->snd_len -= a->release;
	t->snd_head += a->release;
	t->released += a->release;
	/* 2. deliveries (placed, unpublished), then publish */
	cr_assert_leq(a->ndeliver, TCP_ACT_DELIVER);
	for (unsigned i = 0; i < a->ndeliver; i++) {
		struct tcp_delivery *d = &a->deliver[i];
		const struct tbuf *b = cur;
		cr_assert_not_null(b, "a delivery from the current segment outside tcp_input");
		cr_assert_leq((uint64_t)d->off + d->len, b->len, "delivery [%u,+%u) beyond the buffer's %u",
			      d->off, d->len, b->len);
		rcv_place(t, b->data + d->off, d->len, d->at, free_at_call);
	}
	if (a->publish) {
		cr_assert(a->events & TCP_EV_READABLE, "published without TCP_EV_READABLE");
		rcv_publish(t, a->publish);
	}
	/* 3. segments, payload from the ring */
	if (t->rd == t->nout)
		t->rd = t->nout = 0; /* all read: start over */
	for (unsigned i = 0; i < a->nsegs; i++) {
		cr_assert_lt(t->nout, TS_MAXOUT, "too many segments recorded");
		struct rseg *r = &t->out[t->nout++];
		r->s = a->segs[i];
		if (r->s.data_len) {
			cr_assert_leq((uint64_t)r->s.data_off + r->s.data_len, t->snd_len,
				      "segment payload [%u,+%u) beyond the ring's %u bytes", r->s.data_off,
				      r->s.data_len, t->snd_len);
			cr_assert_leq(r->s.data_len, sizeof(r->data), "segment of %u bytes", r->s.data_len);
			memcpy(r->data, t->snd + r->s.data_off, r->s.data_len);
		}
	}
	t->events |= a->events;
	if (a->events & TCP_EV_ERROR)
		t->err = a->err;
	if (a->events & TCP_EV_CLOSED)
		t->closed = true;
	if (a->events & TCP_EV_URGENT)
		t->urg_mark = a->urg_mark.v;
	if (a->events & TCP_EV_TW_REUSE)
		t->tw_isn = a->tw_isn.v;
	t->deadline = a->deadline;
}

static void
apply_with(struct tsock *t, const struct tbuf *cur, uint32_t free_at_call)
{
	apply_once(t, cur, free_at_call);
	for (int guard = 0; t->a.more && !t->closed; guard++) {
		cr_assert_lt(guard, 100000, "transmit loop does not end");
		struct tcp_io io = ts_io(t);
		tcp_output(&t->x, &t->c, &io, &t->a);
		apply_once(t, NULL, io.rcv_free);
	}
}

void
ts_apply(struct tsock *t)
{
	apply_with(t, NULL, ts_io(t).rcv_free);
}

void
ts_connect(struct tsock *t)
{
	struct tcp_io io = ts_io(t);
	tcp_conn_open_active(&t->x, &t->c, &t->t, &t->so, t->mtu, OUR_ISS, &io, &t->a);
	ts_apply(t);
}

void
ts_establish(struct tsock *t, uint16_t peer_wnd)
{
	ts_connect(t);
	ts_expect(t, SEG(.seq = OUR_ISS, .flags = SYN));
	struct tcp_opts o = { 0 };
	if (t->x.p.timestamps) {
		o.present |= TCP_OPT_TS;
		o.tsval = 100;
		o.tsecr = t->out[t->nout - 1].s.opts.tsval;
	}
	if (t->x.p.sack)
		o.present |= TCP_OPT_SACK_PERM;
	if (t->x.p.window_scaling) {
		o.present |= TCP_OPT_WSCALE;
		o.wscale = 0;
	}
	o.present |= TCP_OPT_MSS;
	o.mss = 1460;
	ts_send(t, SEG(.seq = PEER_ISS, .ack = OUR_ISS + 1, .flags = SYN | ACK, .wnd = peer_wnd, .opts = o));
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK));
	cr_assert_eq(t->c.state, TCP_ESTABLISHED);
}

void
ts_accept(struct tsock *t, uint16_t peer_wnd)
{
	tcp_listener_init(&t->l, 128, &t->so);
	struct tcp_seg syn = { .seq = seq_make(PEER_ISS), .flags = TCP_SYN, .wnd = peer_wnd };
	syn.opts.present = TCP_OPT_MSS;
	syn.opts.mss = 1460;
	if (t->x.p.timestamps) {
		syn.opts.present |= TCP_OPT_TS;
		syn.opts.tsval = 100;
	}
	if (t->x.p.sack)
		syn.opts.present |= TCP_OPT_SACK_PERM;
	if (t->x.p.window_scaling) {
		syn.opts.present |= TCP_OPT_WSCALE;
		syn.opts.wscale = 0;
	}
	enum tcp_syn_verdict v = tcp_listen_syn(&t->x, &t->l, &t->t, &syn, t->mtu, t->now, &t->a);
	cr_assert_eq(v, TCP_SYN_CREATE);
	struct tcp_io io = ts_io(t);
	tcp_conn_open_passive(&t->x, &t->l, &t->c, &t->t, &syn, t->mtu, OUR_ISS, &io, &t->a);
	ts_apply(t);
	ts_expect(t, SEG(.seq = OUR_ISS, .ack = PEER_ISS + 1, .flags = SYN | ACK));
	struct tcp_opts o = { 0 };
	if (t->x.p.timestamps) {
		o.present = TCP_OPT_TS;
		o.tsval = 101;
		o.tsecr = t->out[t->nout - 1].s.opts.tsval;
	}
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 1, .flags = ACK, .wnd = peer_wnd, .opts = o));
	cr_assert_eq(t->c.state, TCP_ESTABLISHED);
	cr_assert(t->events & TCP_EV_ESTABLISHED);
}

void
ts_send(struct tsock *t, const struct sspec *s)
{
	struct tbuf *b = malloc(sizeof(*b) + s->len + 1);
	cr_assert_not_null(b);
	b->len = s->len;
	for (uint32_t i = 0; i < s->len; i++)
		b->data[i] = s->data ? ((const uint8_t *)s->data)[i] : ts_pat((uint64_t)(s->seq - PEER_ISS - 1) + i);
	struct tcp_seg seg = { .seq = seq_make(s->seq), .ack = seq_make(s->ack), .flags = s->flags,
			       .wnd = s->wnd, .urp = s->urp, .len = s->len, .opts = s->opts };
	struct tcp_io io = ts_io(t);
	tcp_input(&t->x, &t->c, &seg, &io, &t->a);
	apply_with(t, b, io.rcv_free);
	free(b);
}

unsigned
ts_pending(const struct tsock *t)
{
	return t->nout - t->rd;
}

struct rseg *
ts_next(struct tsock *t)
{
	if (t->rd >= t->nout)
		return NULL;
	return &t->out[t->rd++];
}

void
ts_expect_at(struct tsock *t, const struct sspec *s, const char *file, int line)
{
	cr_assert_lt(t->rd, t->nout, "%s:%d: expected seq=%u ack=%u [%s] len=%u, nothing was sent", file, line,
		     s->seq, s->ack, ts_flags_str(s->flags), s->len);
	struct rseg *r = &t->out[t->rd++];
	const struct tcp_out_seg *o = &r->s;
	char got[160];
	snprintf(got, sizeof(got), "seq=%u ack=%u [%s] len=%u wnd=%u", o->seq.v, o->ack.v,
		 ts_flags_str(o->flags), o->data_len, o->wnd);
	cr_assert_eq(o->flags, s->flags, "%s:%d: flags: expected [%s], got %s", file, line,
		     ts_flags_str(s->flags), got);
	if (!s->any_seq)
		cr_assert_eq(o->seq.v, s->seq, "%s:%d: seq: expected %u, got %s", file, line, s->seq, got);
	if (s->flags & TCP_ACK)
		cr_assert_eq(o->ack.v, s->ack, "%s:%d: ack: expected %u, got %s", file, line, s->ack, got);
	cr_assert_eq(o->data_len, s->len, "%s:%d: len: expected %u, got %s", file, line, s->len, got);
	if (s->wnd_chk)
		cr_assert_eq(o->wnd, s->wnd, "%s:%d: wnd: expected %u, got %s", file, line, s->wnd, got);
	if (s->urp)
		cr_assert_eq(o->urp, s->urp, "%s:%d: urp: expected %u, got %u", file, line, s->urp, o->urp);
	if (s->opts_chk) {
		cr_assert_eq(o->opts.present, s->opts.present, "%s:%d: options present %#x, expected %#x",
			     file, line, o->opts.present, s->opts.present);
		if (s->opts.present & TCP_OPT_SACK) {
			cr_assert_eq(o->opts.nsack, s->opts.nsack, "%s:%d: %u SACK blocks, expected %u", file,
				     line, o->opts.nsack, s->opts.nsack);
			for (unsigned k = 0; k < s->opts.nsack; k++) {
				cr_assert_eq(o->opts.sack[k].start, s->opts.sack[k].start,
					     "%s:%d: SACK block %u starts at %u, expected %u", file, line, k,
					     o->opts.sack[k].start, s->opts.sack[k].start);
				cr_assert_eq(o->opts.sack[k].end, s->opts.sack[k].end,
					     "%s:%d: SACK block %u ends at %u, expected %u", file, line, k,
					     o->opts.sack[k].end, s->opts.sack[k].end);
			}
		}
		if (s->opts.present & TCP_OPT_MSS)
			cr_assert_eq(o->opts.mss, s->opts.mss, "%s:%d: MSS %u, expected %u", file, line,
				     o->opts.mss, s->opts.mss);
		if (s->opts.present & TCP_OPT_WSCALE)
			cr_assert_eq(o->opts.wscale, s->opts.wscale, "%s:%d: wscale %u, expected %u", file,
				     line, o->opts.wscale, s->opts.wscale);
		if ((s->opts.present & TCP_OPT_TS) && s->opts.tsecr)
			cr_assert_eq(o->opts.tsecr, s->opts.tsecr, "%s:%d: tsecr %u, expected %u", file, line,
				     o->opts.tsecr, s->opts.tsecr);
	}
	/* payload: what the ring holds at that stream offset */
	if (o->data_len && !(s->flags & TCP_SYN)) {
		uint64_t off = (uint64_t)(o->seq.v - (t->c.iss.v + 1));
		for (uint32_t i = 0; i < o->data_len; i++)
			cr_assert_eq(r->data[i], ts_pat(off + i), "%s:%d: payload byte %u wrong", file, line, i);
	}
}

void
ts_expect_nothing_at(struct tsock *t, const char *file, int line)
{
	if (t->rd < t->nout) {
		const struct tcp_out_seg *o = &t->out[t->rd].s;
		cr_assert_fail("%s:%d: expected nothing, got seq=%u ack=%u [%s] len=%u", file, line, o->seq.v,
			       o->ack.v, ts_flags_str(o->flags), o->data_len);
	}
}

void
ts_advance(struct tsock *t, uint64_t ns)
{
	uint64_t end = t->now + ns;
	int guard = 0;
	while (!t->closed && t->deadline != UINT64_MAX && t->deadline <= end) {
		cr_assert_lt(guard++, 1000000, "timers fire forever");
		if (t->deadline > t->now)
			t->now = t->deadline;
		struct tcp_io io = ts_io(t);
		tcp_timer(&t->x, &t->c, &io, &t->a);
		ts_apply(t);
	}
	t->now = end;
}

uint64_t
ts_fire_next(struct tsock *t)
{
	cr_assert_neq(t->deadline, UINT64_MAX, "no deadline armed");
	uint64_t d = t->deadline - t->now;
	t->now = t->deadline;
	struct tcp_io io = ts_io(t);
	tcp_timer(&t->x, &t->c, &io, &t->a);
	ts_apply(t);
	return d;
}

void
ts_write(struct tsock *t, const void *data, uint32_t n)
{
	cr_assert_leq(t->snd_len + n, t->snd_cap);
	for (uint32_t i = 0; i < n; i++)
		t->snd[t->snd_len + i] = data ? ((const uint8_t *)data)[i] : ts_pat(t->snd_written + i);
	t->snd_len += n;
	t->snd_written += n;
	struct tcp_io io = ts_io(t);
	tcp_output(&t->x, &t->c, &io, &t->a);
	ts_apply(t);
}

uint32_t
ts_read(struct tsock *t, void *dst, uint32_t max)
{
	uint32_t n = t->rcv_len < max ? t->rcv_len : max;
	if (dst)
		memcpy(dst, t->rcv, n);
	/* unpublished bytes past rcv_len (out-of-order data) move too */
	memmove(t->rcv, t->rcv + n, t->rcv_cap - n);
	t->rcv_len -= n;
	t->rcv_read += n;
	struct tcp_io io = ts_io(t);
	tcp_rcvd(&t->x, &t->c, &io, &t->a);
	ts_apply(t);
	return n;
}

void
ts_close(struct tsock *t)
{
	struct tcp_io io = ts_io(t);
	tcp_close(&t->x, &t->c, t->rcv_len, false, &io, &t->a);
	ts_apply(t);
}

void
ts_shutdown_wr(struct tsock *t)
{
	struct tcp_io io = ts_io(t);
	int rc = tcp_shutdown(&t->x, &t->c, 1, &io, &t->a);
	cr_assert_eq(rc, 0);
	ts_apply(t);
}

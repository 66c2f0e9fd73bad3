/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The listener (RFC 9293 §3.10.7.2): SYN queue and accept queue bounds as
 * Linux keeps them, SYN cookies (RFC 4987 §3.6, Linux's encoding of the
 * options in the timestamp) with every option combination round-tripped
 * and forged or stale cookies refused, and RFC 6528 ISNs.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <criterion/criterion.h>
#include <string.h>
#include <sys/socket.h>

#include "tcp_script.h"

static struct tsock T;
static struct tsock *t = &T;

static void setup(void) { ts_init_opts(t, true, true, true); }
static void teardown(void) { ts_fini(t); }

TestSuite(listen, .init = setup, .fini = teardown);

static struct tcp_seg
mksyn(uint32_t seq)
{
	struct tcp_seg s = { .seq = seq_make(seq), .flags = TCP_SYN, .wnd = 65535 };
	s.opts.present = TCP_OPT_MSS;
	s.opts.mss = 1460;
	return s;
}

/* ---- queues ---- */

Test(listen, rst_only_for_ack)
{
	/* RFC 9293 3.10.7.2 (and Linux): in LISTEN a RST is ignored, an
	 * ACK gets a RST, other segments without SYN are dropped */
	static const struct {
		uint8_t flags;
		bool rst;
	} c[] = {
		{ TCP_ACK, true },	      { TCP_ACK | TCP_FIN, true }, { TCP_ACK | TCP_PSH, true },
		{ TCP_SYN | TCP_ACK, true },  { TCP_FIN, false },	   { TCP_PSH, false },
		{ TCP_URG, false },	      { 0, false },		   { TCP_RST, false },
		{ TCP_RST | TCP_ACK, false },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct tcp_seg s = { .seq = seq_make(100), .ack = seq_make(200), .flags = c[i].flags };
		cr_assert_eq(tcp_listen_wants_rst(&s), c[i].rst, "flags %s", ts_flags_str(c[i].flags));
	}
}

Test(listen, verdicts)
{
	tcp_listener_init(&t->l, 2, &t->so);
	struct tcp_seg syn = mksyn(100);
	cr_assert_eq(tcp_listen_syn(&t->x, &t->l, &t->t, &syn, 1500, t->now, &t->a), TCP_SYN_CREATE);
	/* not a plain SYN */
	struct tcp_seg bad = syn;
	bad.flags |= TCP_ACK;
	cr_assert_eq(tcp_listen_syn(&t->x, &t->l, &t->t, &bad, 1500, t->now, &t->a), TCP_SYN_DROP);
	bad.flags = TCP_SYN | TCP_RST;
	cr_assert_eq(tcp_listen_syn(&t->x, &t->l, &t->t, &bad, 1500, t->now, &t->a), TCP_SYN_DROP);
	bad.flags = TCP_ACK;
	cr_assert_eq(tcp_listen_syn(&t->x, &t->l, &t->t, &bad, 1500, t->now, &t->a), TCP_SYN_DROP);
	/* SYN queue full: cookies */
	t->l.syn_qlen = 2;
	cr_assert_eq(tcp_listen_syn(&t->x, &t->l, &t->t, &syn, 1500, t->now, &t->a), TCP_SYN_COOKIE);
	cr_assert_eq(t->a.nsegs, 1);
	cr_assert_eq(t->a.segs[0].flags, TCP_SYN | TCP_ACK);
	cr_assert_eq(t->x.mib.syncookies_sent, 1);
	/* cookies off: dropped */
	t->x.p.syncookies = 0;
	cr_assert_eq(tcp_listen_syn(&t->x, &t->l, &t->t, &syn, 1500, t->now, &t->a), TCP_SYN_DROP);
	cr_assert_eq(t->x.mib.req_qfull_drops, 1);
	/* always cookies */
	t->x.p.syncookies = 2;
	t->l.syn_qlen = 0;
	cr_assert_eq(tcp_listen_syn(&t->x, &t->l, &t->t, &syn, 1500, t->now, &t->a), TCP_SYN_COOKIE);
	/* accept queue above the backlog: dropped (Linux) */
	t->x.p.syncookies = 1;
	t->l.accept_qlen = 3;
	cr_assert_eq(tcp_listen_syn(&t->x, &t->l, &t->t, &syn, 1500, t->now, &t->a), TCP_SYN_DROP);
	cr_assert_eq(t->l.drops, 2);
	t->l.accept_qlen = 0;
	t->l.syn_qlen = 0;
}

Test(listen, accept_queue_full_drops_final_ack)
{
	/* backlog 0: Linux lets one connection wait (full above backlog) */
	tcp_listener_init(&t->l, 0, &t->so);
	t->l.accept_qlen = 1; /* one already waits */
	struct tcp_seg syn = mksyn(PEER_ISS);
	syn.opts.present = TCP_OPT_MSS;
	t->l.syn_backlog = 8;
	t->l.accept_qlen = 0;
	cr_assert_eq(tcp_listen_syn(&t->x, &t->l, &t->t, &syn, 1500, t->now, &t->a), TCP_SYN_CREATE);
	t->l.accept_qlen = 1;
	struct tcp_io io = ts_io(t);
	tcp_conn_open_passive(&t->x, &t->l, &t->c, &t->t, &syn, 1500, OUR_ISS, &io, &t->a);
	ts_apply(t);
	ts_expect(t, SEG(.seq = OUR_ISS, .ack = PEER_ISS + 1, .flags = SYN | ACK));
	t->l.accept_qlen = 2; /* above the backlog of 0 */
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 1, .flags = ACK, .wnd = 8192));
	cr_assert_eq(t->c.state, TCP_SYN_RECEIVED, "the ACK was dropped");
	cr_assert_eq(t->l.overflows, 1);
	ts_expect_nothing(t);
	/* the application accepts one: the retransmitted SYN-ACK's ACK
	 * completes it */
	t->l.accept_qlen = 0;
	ts_fire_next(t);
	ts_expect(t, SEG(.seq = OUR_ISS, .ack = PEER_ISS + 1, .flags = SYN | ACK));
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 1, .flags = ACK, .wnd = 8192));
	cr_assert_eq(t->c.state, TCP_ESTABLISHED);
	cr_assert_eq(t->l.accept_qlen, 1);
	cr_assert_eq(t->l.syn_qlen, 0);
}

/* InSegs counts each segment once (tcp_v4_rcv's TCP_MIB_INSEGS): the SYN
 * went through tcp_listen_syn and tcp_conn_open_passive and was counted
 * by both; with the node's own count every segment was counted twice. */
Test(listen, in_segs_counts_each_segment_once)
{
	ts_accept(t, 8192);
	cr_assert_eq(t->x.mib.in_segs, 2, "SYN and ACK: %" PRIu64, t->x.mib.in_segs);
	cr_assert_eq(t->c.segs_in, 2);
	ts_send(t, SEG(.seq = PEER_ISS + 1, .ack = OUR_ISS + 1, .flags = ACK | PSH, .len = 10));
	ts_send(t, SEG(.seq = PEER_ISS + 11, .ack = OUR_ISS + 1, .flags = ACK | PSH, .len = 10));
	cr_assert_eq(t->x.mib.in_segs, 4);
	cr_assert_eq(t->c.segs_in, 4);
	/* a SYN the listener drops is received all the same */
	struct tcp_seg syn = mksyn(100);
	syn.flags |= TCP_ACK;
	cr_assert_eq(tcp_listen_syn(&t->x, &t->l, &t->t, &syn, 1500, t->now, &t->a), TCP_SYN_DROP);
	cr_assert_eq(t->x.mib.in_segs, 5);
	while (ts_pending(t))
		ts_next(t);
}

Test(listen, child_accounting)
{
	ts_accept(t, 8192);
	cr_assert_eq(t->l.accept_qlen, 1);
	/* reset before accept: it leaves the queue */
	ts_send(t, SEG(.seq = PEER_ISS + 1, .flags = RST));
	cr_assert(t->closed);
	cr_assert_eq(t->l.accept_qlen, 0);
}

Test(listen, listener_gone_resets_established_children)
{
	ts_accept(t, 8192);
	struct tcp_io io = ts_io(t);
	tcp_conn_listener_gone(&t->x, &t->c, &io, &t->a);
	ts_apply(t);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = RST | ACK));
	cr_assert(t->closed);
	cr_assert_eq(t->l.accept_qlen, 0);
}

Test(listen, listener_gone_drops_embryos_quietly)
{
	tcp_listener_init(&t->l, 8, &t->so);
	struct tcp_seg syn = mksyn(PEER_ISS);
	struct tcp_io io = ts_io(t);
	tcp_conn_open_passive(&t->x, &t->l, &t->c, &t->t, &syn, 1500, OUR_ISS, &io, &t->a);
	ts_apply(t);
	ts_next(t);
	tcp_conn_listener_gone(&t->x, &t->c, &io, &t->a);
	ts_apply(t);
	ts_expect_nothing(t);
	cr_assert(t->closed);
	cr_assert_eq(t->l.syn_qlen, 0);
}

/* ---- SYN cookies ---- */

struct combo {
	bool ts, sack;
	int ws;      /* -1: none */
	int mss;     /* 0: no option */
	uint8_t family;
};

static const uint16_t tab4[] = { 536, 1300, 1440, 1460 };
static const uint16_t tab6[] = { 1220, 1420, 1440, 8940 };

static uint16_t
expected_mss(const struct combo *k)
{
	const uint16_t *tab = k->family == AF_INET6 ? tab6 : tab4;
	uint16_t peer = k->mss ? (uint16_t)k->mss : (k->family == AF_INET6 ? 1220 : 536);
	int i = 3;
	while (i > 0 && tab[i] > peer)
		i--;
	return tab[i];
}

static void
tuple_for(struct tcp_tuple *tu, uint8_t family)
{
	memset(tu, 0, sizeof(*tu));
	tu->family = family;
	if (family == AF_INET6) {
		inet_pton(AF_INET6, "2001:db8::1", tu->laddr);
		inet_pton(AF_INET6, "2001:db8::2", tu->raddr);
	} else {
		inet_pton(AF_INET, "10.0.0.1", tu->laddr);
		inet_pton(AF_INET, "10.0.0.2", tu->raddr);
	}
	tu->lport = 443;
	tu->rport = 50123;
}

/* sends a SYN for k, answers its cookie SYN-ACK with the ACK a peer would,
 * checks what the cookie brings back */
static void
round_trip(const struct combo *k)
{
	struct tcp_tuple tu;
	tuple_for(&tu, k->family);
	struct tcp_seg syn = { .seq = seq_make(0xfffffff0u), .flags = TCP_SYN, .wnd = 1000 };
	if (k->mss) {
		syn.opts.present |= TCP_OPT_MSS;
		syn.opts.mss = (uint16_t)k->mss;
	}
	if (k->ts) {
		syn.opts.present |= TCP_OPT_TS;
		syn.opts.tsval = 424242;
	}
	if (k->sack)
		syn.opts.present |= TCP_OPT_SACK_PERM;
	if (k->ws >= 0) {
		syn.opts.present |= TCP_OPT_WSCALE;
		syn.opts.wscale = (uint8_t)k->ws;
	}
	tcp_listener_init(&t->l, 8, &t->so);
	cr_assert_eq(tcp_syncookie_reply(&t->x, &t->l, &tu, &syn, 1500, t->now, &t->a), 0);
	const struct tcp_out_seg *sa = &t->a.segs[0];
	cr_assert_eq(sa->ack.v, syn.seq.v + 1);
	cr_assert_eq(!!(sa->opts.present & TCP_OPT_TS), k->ts);
	/* without timestamps nothing but the MSS survives (Linux) */
	cr_assert_eq(!!(sa->opts.present & TCP_OPT_SACK_PERM), k->ts && k->sack);
	cr_assert_eq(!!(sa->opts.present & TCP_OPT_WSCALE), k->ts && k->ws >= 0);

	struct tcp_seg ack = { .seq = seq_add(syn.seq, 1), .ack = seq_add(sa->seq, 1), .flags = TCP_ACK,
			       .wnd = 500 };
	if (k->ts) {
		ack.opts.present = TCP_OPT_TS;
		ack.opts.tsval = 424243;
		ack.opts.tsecr = sa->opts.tsval;
	}
	struct tcp_cookie_info info;
	/* 90 s later: still valid */
	cr_assert_eq(tcp_syncookie_check(&t->x, &tu, &ack, t->now + 90 * SEC, &info), 0,
		     "ts %d sack %d ws %d mss %d family %d", k->ts, k->sack, k->ws, k->mss, k->family);
	cr_assert_eq(info.mss, expected_mss(k), "mss %d -> %u, expected %u", k->mss, info.mss, expected_mss(k));
	cr_assert_eq(info.ts_ok, k->ts);
	cr_assert_eq(info.sack_ok, k->ts && k->sack);
	cr_assert_eq(info.ws_ok, k->ts && k->ws >= 0);
	if (info.ws_ok)
		cr_assert_eq(info.snd_wscale, k->ws > 14 ? 14 : k->ws);
	cr_assert_not(info.ecn_ok);
}

Test(listen, cookie_round_trip_every_option_combination)
{
	int wss[] = { -1, 0, 1, 7, 13, 14 };
	int msss[] = { 0, 1, 48, 535, 536, 537, 1219, 1220, 1299, 1300, 1420, 1439, 1440, 1460, 1500, 8940, 9000, 65535 };
	uint8_t fams[] = { AF_INET, AF_INET6 };
	unsigned n = 0;
	for (int ts = 0; ts < 2; ts++)
		for (int sack = 0; sack < 2; sack++)
			for (size_t w = 0; w < sizeof(wss) / sizeof(wss[0]); w++)
				for (size_t m = 0; m < sizeof(msss) / sizeof(msss[0]); m++)
					for (size_t f = 0; f < 2; f++) {
						struct combo k = { ts, sack, wss[w], msss[m], fams[f] };
						round_trip(&k);
						n++;
					}
	cr_assert_eq(n, 2 * 2 * 6 * 18 * 2);
}

static struct tcp_seg
cookie_ack(struct tcp_tuple *tu, uint32_t *cookie_out, uint32_t *tsval_out)
{
	struct tcp_seg syn = mksyn(7777);
	syn.opts.present |= TCP_OPT_TS | TCP_OPT_SACK_PERM | TCP_OPT_WSCALE;
	syn.opts.tsval = 1;
	syn.opts.wscale = 7;
	tcp_listener_init(&t->l, 8, &t->so);
	cr_assert_eq(tcp_syncookie_reply(&t->x, &t->l, tu, &syn, 1500, t->now, &t->a), 0);
	*cookie_out = t->a.segs[0].seq.v;
	*tsval_out = t->a.segs[0].opts.tsval;
	struct tcp_seg ack = { .seq = seq_make(7778), .ack = seq_make(*cookie_out + 1), .flags = TCP_ACK,
			       .wnd = 100 };
	ack.opts.present = TCP_OPT_TS;
	ack.opts.tsval = 2;
	ack.opts.tsecr = *tsval_out;
	return ack;
}

Test(listen, cookie_rejects_forgeries)
{
	struct tcp_tuple tu;
	tuple_for(&tu, AF_INET);
	uint32_t cookie, tsv;
	struct tcp_seg ack = cookie_ack(&tu, &cookie, &tsv);
	struct tcp_cookie_info info;
	cr_assert_eq(tcp_syncookie_check(&t->x, &tu, &ack, t->now, &info), 0);

	/* another tuple */
	struct tcp_tuple other = tu;
	other.rport++;
	cr_assert_eq(tcp_syncookie_check(&t->x, &other, &ack, t->now, &info), -EINVAL);
	other = tu;
	other.raddr[3] ^= 1;
	cr_assert_eq(tcp_syncookie_check(&t->x, &other, &ack, t->now, &info), -EINVAL);
	/* another peer sequence number */
	struct tcp_seg b = ack;
	b.seq = seq_add(b.seq, 1);
	cr_assert_eq(tcp_syncookie_check(&t->x, &tu, &b, t->now, &info), -EINVAL);
	/* stale: older than 2 minutes (Linux's MAX_SYNCOOKIE_AGE) */
	cr_assert_eq(tcp_syncookie_check(&t->x, &tu, &ack, t->now + 4 * 60 * SEC, &info), -EINVAL);
	/* from the future */
	cr_assert_eq(tcp_syncookie_check(&t->x, &tu, &ack, t->now - 5 * 60 * SEC, &info), -EINVAL);
	/* a timestamp echo we never sent: in the future, or with ECN, or a
	 * window scale above 14 */
	b = ack;
	b.opts.tsecr = tsv + 100000;
	cr_assert_eq(tcp_syncookie_check(&t->x, &tu, &b, t->now, &info), -EINVAL);
	b.opts.tsecr = (tsv & ~63u) | (1u << 5) | 7;
	cr_assert_eq(tcp_syncookie_check(&t->x, &tu, &b, t->now, &info), -EINVAL);
	b.opts.tsecr = (tsv & ~63u) | 15u | (1u << 4);
	cr_assert_eq(tcp_syncookie_check(&t->x, &tu, &b, t->now, &info), 0, "15: no window scale");
	cr_assert_not(info.ws_ok);
	/* options we do not allow (window scaling off since) */
	t->x.p.window_scaling = false;
	cr_assert_eq(tcp_syncookie_check(&t->x, &tu, &ack, t->now, &info), -EINVAL);
	t->x.p.window_scaling = true;
	/* a SYN, RST or missing ACK is no cookie ACK */
	b = ack;
	b.flags |= TCP_RST;
	cr_assert_eq(tcp_syncookie_check(&t->x, &tu, &b, t->now, &info), -EINVAL);
	/* another secret */
	struct tcp_ctx y = t->x;
	y.cookie_key.k0 ^= 1;
	cr_assert_eq(tcp_syncookie_check(&y, &tu, &ack, t->now, &info), -EINVAL);
	cr_assert_eq(t->x.mib.syncookies_failed, 8);

	/* any other cookie value fails (the MAC binds every input) */
	for (uint32_t d = 1; d < 4096; d++) {
		b = ack;
		b.ack = seq_add(ack.ack, d);
		cr_assert_neq(tcp_syncookie_check(&t->x, &tu, &b, t->now, &info), 0, "cookie + %u", d);
		b.ack = seq_sub(ack.ack, d);
		cr_assert_neq(tcp_syncookie_check(&t->x, &tu, &b, t->now, &info), 0, "cookie - %u", d);
		b = ack;
		b.seq = seq_add(ack.seq, d);
		cr_assert_neq(tcp_syncookie_check(&t->x, &tu, &b, t->now, &info), 0, "peer ISN + %u", d);
	}
	/* blind guesses: 3/4 * 2^-28 each */
	unsigned pass = 0;
	uint32_t r = 99;
	for (int i = 0; i < 200000; i++) {
		r = r * 1664525 + 1013904223;
		b = ack;
		b.ack = seq_make(r);
		b.opts.present = 0;
		pass += tcp_syncookie_check(&t->x, &tu, &b, t->now, &info) == 0;
	}
	cr_assert_leq(pass, 2, "%u of 200000 random ACKs passed", pass);
}

Test(listen, cookie_opens_connection)
{
	uint32_t cookie, tsv;
	struct tcp_seg ack = cookie_ack(&t->t, &cookie, &tsv);
	ack.seq = seq_make(PEER_ISS + 1);
	/* the SYN's sequence number was 7777: rebuild for PEER_ISS */
	struct tcp_seg syn = mksyn(PEER_ISS);
	syn.opts.present |= TCP_OPT_TS | TCP_OPT_SACK_PERM | TCP_OPT_WSCALE;
	syn.opts.tsval = 1;
	syn.opts.wscale = 7;
	tcp_syncookie_reply(&t->x, &t->l, &t->t, &syn, 1500, t->now, &t->a);
	cookie = t->a.segs[0].seq.v;
	ack.ack = seq_make(cookie + 1);
	ack.opts.tsecr = t->a.segs[0].opts.tsval;
	ack.len = 0;
	struct tcp_cookie_info info;
	ts_advance(t, 10 * MS);
	cr_assert_eq(tcp_syncookie_check(&t->x, &t->t, &ack, t->now, &info), 0);
	struct tcp_io io = ts_io(t);
	uint64_t in0 = t->x.mib.in_segs;
	cr_assert_eq(tcp_conn_open_cookie(&t->x, &t->l, &t->c, &t->t, &ack, &info, 1500, &io, &t->a), 0);
	ts_apply(t);
	cr_assert_eq(t->x.mib.in_segs, in0 + 1, "the cookie ACK counted once");
	cr_assert_eq(t->c.state, TCP_ESTABLISHED);
	cr_assert(t->events & TCP_EV_ESTABLISHED);
	cr_assert_eq(t->l.accept_qlen, 1);
	cr_assert(t->c.ts_ok && t->c.sack_ok && t->c.ws_ok);
	cr_assert_eq(t->c.snd_wscale, 7);
	cr_assert_eq(t->c.snd_wnd, 100u << 7);
	cr_assert_eq(t->c.mss, 1460 - 12);
	cr_assert_eq(t->c.iss.v, cookie);
	cr_assert_not(t->c.rtt_valid, "no RTT from a cookie's rounded timestamp");
	/* data flows both ways */
	ts_write(t, NULL, 100);
	struct rseg *r = ts_next(t);
	cr_assert_eq(r->s.seq.v, cookie + 1);
	cr_assert_eq(r->s.data_len, 100);
	/* and with the accept queue full, no connection */
	struct tcp_conn c2;
	t->l.accept_qlen = 9;
	cr_assert_eq(tcp_conn_open_cookie(&t->x, &t->l, &c2, &t->t, &ack, &info, 1500, &io, &t->a),
		     -ENOBUFS);
	cr_assert_eq(t->x.mib.in_segs, in0 + 2, "a dropped cookie ACK was received all the same");
	t->l.accept_qlen = 1;
}

/* ---- RFC 6528 ISNs ---- */

Test(listen, isn_properties)
{
	struct tcp_tuple a = t->t, b = t->t;
	b.rport++;
	uint64_t now = 5 * SEC;
	uint32_t ia = tcp_isn(&t->x, &a, now), ib = tcp_isn(&t->x, &b, now);
	cr_assert_neq(ia, ib, "different per tuple");
	/* the clock: +1 per 4 us */
	cr_assert_eq(tcp_isn(&t->x, &a, now + 4000) - ia, 1);
	cr_assert_eq(tcp_isn(&t->x, &a, now + 1 * SEC) - ia, 250000);
	/* a different secret, a different sequence */
	struct tcp_ctx y;
	uint8_t sec[48] = { 1 };
	tcp_ctx_init(&y, sec);
	cr_assert_neq(tcp_isn(&y, &a, now), ia);
	/* spread: the low bits of many tuples look uniform */
	unsigned hist[16] = { 0 };
	for (uint16_t p = 0; p < 16000; p++) {
		b.rport = p;
		hist[tcp_isn(&t->x, &b, now) & 15]++;
	}
	for (int i = 0; i < 16; i++)
		cr_assert(hist[i] > 850 && hist[i] < 1150, "bucket %d: %u", i, hist[i]);
	/* IPv6 addresses take part in full */
	struct tcp_tuple v6a, v6b;
	tuple_for(&v6a, AF_INET6);
	v6b = v6a;
	v6b.raddr[15] ^= 1;
	cr_assert_neq(tcp_isn(&t->x, &v6a, now), tcp_isn(&t->x, &v6b, now));
	cr_assert_eq(tcp_default_mss(AF_INET6), 1220);
	cr_assert_eq(tcp_default_mss(AF_INET), 536);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two engines back to back through a simulated link that loses,
 * duplicates, delays and reorders segments: megabytes each way, checked
 * byte by byte, under each congestion control, with and without SACK and
 * timestamps. Segments cross the link as bytes (tcp_hdr_write, then
 * tcp_seg_parse on arrival), so the wire code is in the loop too. Every
 * buffer handed to an engine must come back; both connections must end
 * CLOSED. Deterministic: a fixed seed per run.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tcp/tcp.h"
#include "wire/tcp_wire.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define RING (256u * 1024)

static uint64_t rng;
static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}
static bool chance(double p) { return (double)(rnd() % 1000000) < p * 1e6; }

/* the stream each side sends: byte i of side s */
static uint8_t
stream_byte(int s, uint64_t i)
{
	uint64_t v = (i + 1) * 0x9e3779b97f4a7c15ull + (uint64_t)s * 0x632be59bd9b4e019ull;
	return (uint8_t)(v >> 56 ^ v >> 23);
}

/* a packet on the link; also the buffer handed to the engine */
struct pkt {
	uint32_t magic;
	int to;          /* 0 or 1 */
	uint64_t at;     /* arrival time */
	uint64_t id;     /* send order: equal arrival times keep it */
	uint32_t len;    /* header + payload */
	uint32_t hlen;
	uint8_t b[];
};
#define PKT_MAGIC 0x91a3c0deu

static long live;

static void
pkt_free(struct pkt *p)
{
	cr_assert_eq(p->magic, PKT_MAGIC, "engine freed a dead buffer");
	p->magic = 0;
	free(p);
	live--;
}

struct end {
	struct tcp_ctx x;
	struct tcp_conn c;
	struct tcp_tuple t;
	struct tcp_sockopts so;
	struct tcp_listener l;
	struct tcp_actions a;
	bool open;          /* c in use */
	bool closed;        /* EV_CLOSED seen */
	uint64_t deadline;
	/* transmit ring */
	uint8_t snd[RING];
	uint32_t snd_len;
	uint64_t written, total;
	bool shut;
	/* receive ring (the application drains it at once); out-of-order
	 * bytes wait past rcv_len, unpublished */
	uint8_t rcv[RING];
	uint32_t rcv_len;
	uint64_t received;
	bool eof;
	int err;
};

static struct end E[2];

struct link {
	double loss, dup, reorder;
	uint64_t delay, jitter;
};

/* in-flight packets, unsorted; the next arrival is found by scan (a few
 * hundred at most) */
#define MAXQ 20000
static struct pkt *q[MAXQ];
static unsigned nq;
static struct link L;
static uint64_t now;
static uint64_t sent_pkts, lost_pkts, dup_pkts, pkt_ids;

static void
put_on_link(int to, const struct end *from, const struct tcp_out_seg *s)
{
	if (chance(L.loss)) {
		lost_pkts++;
		return;
	}
	int copies = chance(L.dup) ? 2 : 1;
	for (int k = 0; k < copies; k++) {
		struct pkt *p = malloc(sizeof(*p) + TCP_MAX_HLEN + s->data_len);
		cr_assert_not_null(p);
		struct tcp_hdr h = { .sport = from->t.lport, .dport = from->t.rport, .seq = s->seq.v,
				     .ack = s->ack.v, .flags = s->flags, .window = s->wnd, .urp = s->urp };
		unsigned hl = tcp_hdr_write(p->b, TCP_MAX_HLEN, &h, &s->opts);
		cr_assert_gt(hl, 0);
		cr_assert_leq((uint64_t)s->data_off + s->data_len, from->snd_len, "payload beyond the ring");
		memcpy(p->b + hl, from->snd + s->data_off, s->data_len);
		p->magic = PKT_MAGIC;
		p->to = to;
		p->hlen = hl;
		p->len = hl + s->data_len;
		uint64_t d = L.delay + (L.jitter ? rnd() % L.jitter : 0);
		if (chance(L.reorder))
			d += L.delay / 2 + rnd() % (L.delay + 1);
		p->at = now + d + (uint64_t)k * 100000;
		p->id = ++pkt_ids;
		cr_assert_lt(nq, MAXQ, "link queue overflow");
		q[nq++] = p;
		live++;
		if (k)
			dup_pkts++;
	}
	sent_pkts++;
}

static struct tcp_io
io_of(const struct end *e)
{
	return (struct tcp_io){ .now_ns = now, .snd_avail = e->snd_len, .rcv_free = RING - e->rcv_len };
}

static void act(int i, const struct pkt *cur);

/* the application side: fill the ring, read everything, shut down */
static void
app(int i)
{
	struct end *e = &E[i];
	if (!e->open || e->closed)
		return;
	if (e->c.state != TCP_ESTABLISHED && e->c.state != TCP_CLOSE_WAIT)
		return;
	if (e->written < e->total && e->snd_len < RING) {
		uint32_t n = RING - e->snd_len;
		if (n > e->total - e->written)
			n = (uint32_t)(e->total - e->written);
		for (uint32_t k = 0; k < n; k++)
			e->snd[e->snd_len + k] = stream_byte(i, e->written + k);
		e->snd_len += n;
		e->written += n;
		struct tcp_io io = io_of(e);
		tcp_output(&e->x, &e->c, &io, &e->a);
		act(i, NULL);
	}
	if (e->written == e->total && !e->shut) {
		e->shut = true;
		struct tcp_io io = io_of(e);
		cr_assert_eq(tcp_shutdown(&e->x, &e->c, 1, &io, &e->a), 0);
		act(i, NULL);
	}
}

static void
act(int i, const struct pkt *cur)
{
	struct end *e = &E[i];
	struct tcp_actions *a = &e->a;
	for (;;) {
		cr_assert_leq(a->release, e->snd_len);
		memmove(e->snd, e->snd + a->release, e->snd_len - a->release);
		e->snd_len -= a->release;
		for (unsigned k = 0; k < a->ndeliver; k++) {
			const struct tcp_delivery *d = &a->deliver[k];
			const struct pkt *p = cur;
			cr_assert_not_null(p);
			cr_assert_eq(p->magic, PKT_MAGIC);
			cr_assert_leq((uint64_t)d->off + d->len, p->len - p->hlen);
			cr_assert_leq((uint64_t)e->rcv_len + d->at + d->len, RING);
			memcpy(e->rcv + e->rcv_len + d->at, p->b + p->hlen + d->off, d->len);
		}
		cr_assert_leq((uint64_t)e->rcv_len + a->publish, RING);
		for (uint32_t j = 0; j < a->publish; j++)
			cr_assert_eq(e->rcv[e->rcv_len + j], stream_byte(!i, e->received + j),
				     "side %d: byte %lu corrupted", i, (unsigned long)(e->received + j));
		e->received += a->publish;
		e->rcv_len += a->publish;
		for (unsigned k = 0; k < a->nsegs; k++)
			put_on_link(!i, e, &a->segs[k]);
		if (a->events & TCP_EV_PEER_FIN)
			e->eof = true;
		if (a->events & TCP_EV_ERROR)
			e->err = a->err;
		if (a->events & TCP_EV_CLOSED)
			e->closed = true;
		e->deadline = a->deadline;
		bool more = a->more && !e->closed;
		/* the application reads at once: the window opens */
		bool read = e->rcv_len > 0 && !e->closed;
		if (read) {
			memmove(e->rcv, e->rcv + e->rcv_len, RING - e->rcv_len);
			e->rcv_len = 0;
		}
		struct tcp_io io = io_of(e);
		if (more)
			tcp_output(&e->x, &e->c, &io, a);
		else if (read)
			tcp_rcvd(&e->x, &e->c, &io, a);
		else
			break;
		cur = NULL;
	}
}

static void
deliver(struct pkt *p)
{
	int i = p->to;
	struct end *e = &E[i];
	struct tcp_seg seg;
	cr_assert_eq(tcp_seg_parse(&seg, p->b, p->len), 0);
	struct tcp_io io = io_of(e);
	if (!e->open) {
		/* the listener */
		if (seg.flags & TCP_SYN) {
			enum tcp_syn_verdict v = tcp_listen_syn(&e->x, &e->l, &e->t, &seg, 1500, now, &e->a);
			if (v == TCP_SYN_CREATE) {
				tcp_conn_open_passive(&e->x, &e->l, &e->c, &e->t, &seg, 1500, 0, &io, &e->a);
				e->open = true;
				act(i, NULL);
			}
		}
		pkt_free(p);
		return;
	}
	if (e->closed) {
		pkt_free(p);
		return;
	}
	tcp_input(&e->x, &e->c, &seg, &io, &e->a);
	act(i, p);
	pkt_free(p);
	if (e->a.events & TCP_EV_ESTABLISHED)
		tcp_listener_accepted(&e->l, &e->c);
}

static void
setup_ends(const char *cc, bool sack, bool ts, uint64_t a_bytes, uint64_t b_bytes)
{
	uint8_t sec[48];
	memset(E, 0, sizeof(E));
	nq = 0;
	live = 0;
	sent_pkts = lost_pkts = dup_pkts = 0;
	now = 1 * SEC;
	for (int i = 0; i < 2; i++) {
		struct end *e = &E[i];
		for (int k = 0; k < 48; k++)
			sec[k] = (uint8_t)(k * 31 + i * 7 + 1);
		tcp_ctx_init(&e->x, sec);
		e->x.p.sack = sack;
		e->x.p.timestamps = ts;
		e->so.rcvbuf = RING;
		e->so.nodelay = true;
		e->so.cc = tcp_cc_find(cc);
		cr_assert_not_null(e->so.cc);
		e->t.family = AF_INET;
		uint32_t la = htonl(i ? 0x0a000002 : 0x0a000001), ra = htonl(i ? 0x0a000001 : 0x0a000002);
		memcpy(e->t.laddr, &la, 4);
		memcpy(e->t.raddr, &ra, 4);
		e->t.lport = i ? 80 : 40000;
		e->t.rport = i ? 40000 : 80;
		e->deadline = UINT64_MAX;
	}
	E[0].total = a_bytes;
	E[1].total = b_bytes;
	tcp_listener_init(&E[1].l, 16, &E[1].so);
	struct tcp_io io = io_of(&E[0]);
	tcp_conn_open_active(&E[0].x, &E[0].c, &E[0].t, &E[0].so, 1500, 0, &io, &E[0].a);
	E[0].open = true;
	act(0, NULL);
}

static void
run(void)
{
	uint64_t events = 0;
	while (!(E[0].closed && E[1].closed)) {
		cr_assert_lt(events++, 20000000, "no end in sight");
		cr_assert_lt(now, 3600 * SEC, "an hour of simulated time");
		/* the next event */
		uint64_t t = UINT64_MAX;
		int kind = -1;
		unsigned qi = 0;
		for (unsigned k = 0; k < nq; k++)
			if (q[k]->at < t || (q[k]->at == t && kind == 2 && q[k]->id < q[qi]->id)) {
				t = q[k]->at;
				kind = 2;
				qi = k;
			}
		for (int i = 0; i < 2; i++)
			if (E[i].open && !E[i].closed && E[i].deadline < t) {
				t = E[i].deadline;
				kind = i;
			}
		cr_assert_neq(kind, -1, "stuck: nothing in flight, no timer (states %s / %s)",
			      tcp_state_name(E[0].c.state), tcp_state_name(E[1].c.state));
		if (t > now)
			now = t;
		if (kind == 2) {
			struct pkt *p = q[qi];
			q[qi] = q[--nq];
			deliver(p);
		} else {
			struct end *e = &E[kind];
			struct tcp_io io = io_of(e);
			tcp_timer(&e->x, &e->c, &io, &e->a);
			act(kind, NULL);
		}
		app(0);
		app(1);
		/* both done and both finished: close for good */
		for (int i = 0; i < 2; i++) {
			struct end *e = &E[i];
			if (e->open && !e->closed && e->eof && e->shut &&
			    e->c.state != TCP_TIME_WAIT && e->c.state != TCP_CLOSED &&
			    e->c.state != TCP_LAST_ACK && e->c.state != TCP_CLOSING &&
			    e->c.state != TCP_FIN_WAIT_1 && e->c.state != TCP_FIN_WAIT_2) {
				struct tcp_io io = io_of(e);
				tcp_close(&e->x, &e->c, 0, false, &io, &e->a);
				act(i, NULL);
			}
		}
	}
	/* what is still on the link is freed here */
	for (unsigned k = 0; k < nq; k++)
		pkt_free(q[k]);
	nq = 0;
}

static void
transfer(const char *cc, bool sack, bool ts, struct link l, uint64_t a_bytes, uint64_t b_bytes, uint64_t seed)
{
	rng = seed;
	L = l;
	setup_ends(cc, sack, ts, a_bytes, b_bytes);
	run();
	cr_assert_eq(E[1].received, a_bytes, "B got %lu of %lu", (unsigned long)E[1].received,
		     (unsigned long)a_bytes);
	cr_assert_eq(E[0].received, b_bytes, "A got %lu of %lu", (unsigned long)E[0].received,
		     (unsigned long)b_bytes);
	cr_assert(E[0].eof && E[1].eof);
	cr_assert_eq(E[0].err, 0, "A: error %d", E[0].err);
	cr_assert_eq(E[1].err, 0, "B: error %d", E[1].err);
	cr_assert_eq(live, 0, "%ld buffers never came back", live);
	cr_assert_eq(E[1].l.accept_qlen, 0);
	cr_assert_eq(E[1].l.syn_qlen, 0);
	uint64_t retrans = E[0].x.mib.retrans_segs + E[1].x.mib.retrans_segs;
	for (int i = 0; i < 2; i++)
		cr_log_info("side %d: tlp %lu rto %lu fast %lu rack %lu dsack %lu", i,
			    (unsigned long)E[i].x.mib.tlp_probes, (unsigned long)E[i].x.mib.timeouts,
			    (unsigned long)E[i].x.mib.fast_retrans, (unsigned long)E[i].x.mib.rack_losses,
			    (unsigned long)E[i].x.mib.dsack_recv);
	if (l.loss > 0)
		cr_assert_gt(retrans, 0);
	else
		cr_assert_eq(retrans, 0, "nothing lost, nothing resent");
	cr_log_info("%s sack %d ts %d: %lu + %lu bytes, %lu packets (%lu lost, %lu duplicated), "
		    "%lu retransmitted, done at %.3f s (incl. 2 MSL)",
		    cc, sack, ts, (unsigned long)a_bytes, (unsigned long)b_bytes, (unsigned long)sent_pkts,
		    (unsigned long)lost_pkts, (unsigned long)dup_pkts, (unsigned long)retrans,
		    (double)(now - 1 * SEC) / 1e9);
}

static const struct link clean = { .delay = 10 * MS };
static const struct link lossy = { .loss = 0.02, .dup = 0.01, .reorder = 0.05, .delay = 20 * MS,
				   .jitter = 5 * MS };
static const struct link awful = { .loss = 0.08, .dup = 0.03, .reorder = 0.15, .delay = 5 * MS,
				   .jitter = 4 * MS };

#define MB (1024ull * 1024)

Test(link, clean_cubic)
{
	transfer("cubic", true, true, clean, 4 * MB, 1 * MB, 1);
	/* 256 KiB windows over a 20 ms RTT: about 13 MB/s once open; the
	 * transfer ends well within a second, then 60 s of TIME-WAIT */
	cr_assert_lt(now - 1 * SEC, 62 * SEC);
}
Test(link, lossy_cubic_sack_ts) { transfer("cubic", true, true, lossy, 4 * MB, 2 * MB, 2); }
Test(link, lossy_reno_sack_ts) { transfer("reno", true, true, lossy, 4 * MB, 2 * MB, 3); }
Test(link, lossy_cubic_no_sack) { transfer("cubic", false, true, lossy, 3 * MB, 1 * MB, 4); }
Test(link, lossy_reno_no_sack_no_ts) { transfer("reno", false, false, lossy, 3 * MB, 1 * MB, 5); }
Test(link, lossy_cubic_sack_no_ts) { transfer("cubic", true, false, lossy, 3 * MB, 1 * MB, 6); }
Test(link, awful_cubic) { transfer("cubic", true, true, awful, 2 * MB, 1 * MB, 7); }
Test(link, awful_reno_no_sack) { transfer("reno", false, false, awful, 2 * MB, 512 * 1024, 8); }

/* many seeds, smaller transfers: different loss patterns */
Test(link, many_seeds)
{
	for (uint64_t s = 100; s < 130; s++) {
		bool sack = s & 1, ts = s & 2;
		transfer(s & 4 ? "reno" : "cubic", sack, ts, awful, 200 * 1024, 100 * 1024, s);
	}
}

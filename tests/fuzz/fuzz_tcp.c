/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_tcp: libFuzzer harness for the TCP engine (lib/tcp) and the TCP
 * header parser (lib/wire/tcp_wire.c). DPDK-free, no privileges.
 *
 * A world of one listener and FZ_NCONN connection slots, driven by the
 * input as a sequence of operations (see the opcodes below): segments from
 * the peer (headers built from fuzz bytes, options raw or structured,
 * sequence numbers absolute or near the connection's own so that in-window
 * cases are reached), SYNs and cookie ACKs for the listener, clock
 * advances that fire the timers due, and application events (write, read,
 * close, shutdown, abort, socket options, urgent data, accept, listener
 * gone), ICMP errors, active opens.
 *
 * Oracles, besides ASan/UBSan:
 *  - buffers: every buffer handed in is either returned (delivery, freed)
 *    or held; between calls the buffers alive equal the sum of the
 *    connections' held out-of-order buffers, and a closed connection holds
 *    none; at the end of an input, after destroying every connection,
 *    none is alive;
 *  - deliveries: a delivered byte is the one at the receive sequence
 *    number it is delivered as (payload bytes are a function of their
 *    sequence number), within its buffer, within the ring's free space;
 *  - transmit: releases and segment payloads within the transmit ring;
 *    action arrays within bounds; the transmit loop ends;
 *  - sequence space: SND.UNA <= SND.NXT, the scoreboard covers exactly
 *    [SND.UNA, SND.NXT) in order within TCP_TXQ_MAX entries, its byte
 *    counts add up; the out-of-order queue is sorted, disjoint, above
 *    RCV.NXT, within its bounds; the advertised right edge never moves
 *    back (RFC 7323 §2.4);
 *  - the listener's queue counts equal its children.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tcp/tcp.h"
#include "tcp/tcp_impl.h"
#include "wire/tcp_wire.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FZ_ASAN 1
#endif
#endif
#if !defined(FZ_ASAN) && defined(__SANITIZE_ADDRESS__)
#define FZ_ASAN 1
#endif
#ifdef FZ_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_NCONN 4
#define FZ_RING (64u * 1024)
#define FZ_MAXPAY 3000
#define MS 1000000ull
#define SEC 1000000000ull

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void
fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "\nfuzz_tcp: INVARIANT VIOLATED: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
#ifdef FZ_ASAN
	__sanitizer_print_stack_trace();
#endif
	abort();
}

#define CHECK(cond, ...)                     \
	do {                                 \
		if (!(cond))                 \
			fail(__VA_ARGS__);   \
	} while (0)

/* ---- input ---- */

struct rd {
	const uint8_t *p;
	size_t n;
};
static uint8_t u8(struct rd *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}
static uint16_t u16(struct rd *r) { return (uint16_t)(u8(r) << 8 | u8(r)); }
static uint32_t u32(struct rd *r) { return (uint32_t)u16(r) << 16 | u16(r); }

/* ---- buffers ---- */

struct fbuf {
	uint32_t magic;
	uint32_t seq;    /* sequence number of payload byte 0 */
	uint32_t len;    /* payload bytes */
	uint8_t pay[];
};
#define FBUF_MAGIC 0x7c9e1b55u
static long live;

static void
fbuf_free(struct fbuf *b)
{
	CHECK(b != NULL, "fbuf_free(NULL)");
	CHECK(b->magic == FBUF_MAGIC, "fbuf_free of a buffer not alive (double free)");
	b->magic = 0;
	free(b);
	live--;
}

static uint8_t
pat(uint32_t seq)
{
	return (uint8_t)(seq * 2654435761u >> 24);
}

static struct fbuf *
fbuf_new(uint32_t seq, uint32_t len)
{
	struct fbuf *b = malloc(sizeof(*b) + len + 1);
	if (!b)
		abort();
	b->magic = FBUF_MAGIC;
	b->seq = seq;
	b->len = len;
	for (uint32_t i = 0; i < len; i++)
		b->pay[i] = pat(seq + i);
	live++;
	return b;
}

/* ---- the world ---- */

struct fconn {
	bool used;
	bool passive;
	struct tcp_conn c;
	struct tcp_tuple t;
	uint8_t snd[FZ_RING];
	uint32_t snd_len;
	uint32_t rcv_cap, rcv_len;
	struct seq edge;       /* advertised right edge last seen */
	bool edge_valid;
	uint64_t deadline;
};

static struct tcp_ctx X;
static struct tcp_listener L;
static struct fconn F[FZ_NCONN];
static struct tcp_actions A;
static uint64_t now;
static bool v6;
/* the last cookie SYN-ACK per peer port (0..7) */
static struct {
	bool valid;
	uint32_t syn_seq, cookie, tsval;
} cookies[8];

static void
tuple_of(struct tcp_tuple *t, unsigned k)
{
	memset(t, 0, sizeof(*t));
	if (v6) {
		t->family = AF_INET6;
		inet_pton(AF_INET6, "2001:db8::1", t->laddr);
		inet_pton(AF_INET6, "2001:db8::2", t->raddr);
	} else {
		t->family = AF_INET;
		inet_pton(AF_INET, "10.0.0.1", t->laddr);
		inet_pton(AF_INET, "10.0.0.2", t->raddr);
	}
	t->lport = 80;
	t->rport = (uint16_t)(1000 + k);
}

static struct tcp_io
io_of(const struct fconn *f)
{
	return (struct tcp_io){ .now_ns = now, .snd_avail = f->snd_len, .rcv_free = f->rcv_cap - f->rcv_len };
}

/* ---- invariants ---- */

static void
check_conn(struct fconn *f, int i)
{
	const struct tcp_conn *c = &f->c;
	if (c->state == TCP_CLOSED)
		return;
	CHECK(seq_le(c->snd_una, c->snd_nxt), "conn %d: SND.UNA %u > SND.NXT %u", i, c->snd_una.v, c->snd_nxt.v);
	CHECK(c->ntx <= TCP_TXQ_MAX, "conn %d: %u scoreboard entries", i, c->ntx);
	if (c->ntx) {
		CHECK(seq_eq(c->tx[0].start, c->snd_una), "conn %d: scoreboard starts at %u, SND.UNA %u", i,
		      c->tx[0].start.v, c->snd_una.v);
		uint32_t sacked = 0, lost = 0, retr = 0;
		for (unsigned k = 0; k < c->ntx; k++) {
			const struct tcp_txe *e = &c->tx[k];
			CHECK(seq_lt(e->start, e->end), "conn %d: empty entry %u", i, k);
			if (k + 1 < c->ntx)
				CHECK(seq_eq(e->end, c->tx[k + 1].start), "conn %d: entries %u/%u not contiguous", i,
				      k, k + 1);
			uint32_t len = seq_diff(e->end, e->start);
			if (e->flags & TXE_SACKED)
				sacked += len;
			else if (e->flags & TXE_LOST) {
				lost += len;
				if (e->flags & TXE_RETRANS)
					retr += len;
			}
		}
		CHECK(seq_eq(c->tx[c->ntx - 1].end, c->snd_nxt), "conn %d: scoreboard ends at %u, SND.NXT %u", i,
		      c->tx[c->ntx - 1].end.v, c->snd_nxt.v);
		CHECK(sacked == c->sacked_bytes && lost == c->lost_bytes && retr == c->retrans_bytes,
		      "conn %d: scoreboard counts %u/%u/%u, kept %u/%u/%u", i, sacked, lost, retr, c->sacked_bytes,
		      c->lost_bytes, c->retrans_bytes);
	} else if (tcp_synchronized(c->state) && c->state != TCP_TIME_WAIT) {
		CHECK(seq_eq(c->snd_una, c->snd_nxt), "conn %d: %u bytes outstanding, empty scoreboard", i,
		      seq_diff(c->snd_nxt, c->snd_una));
	}
	uint32_t bytes = 0;
	CHECK(c->nooo <= TCP_REASS_MAX, "conn %d: %u held", i, c->nooo);
	for (unsigned k = 0; k < c->nooo; k++) {
		const struct tcp_ooo *o = &c->ooo[k];
		CHECK(o->len > 0, "conn %d: empty held range", i);
		CHECK(seq_gt(o->seq, c->rcv_nxt), "conn %d: held data at %u not above RCV.NXT %u", i, o->seq.v,
		      c->rcv_nxt.v);
		if (k + 1 < c->nooo)
			CHECK(seq_lt(seq_add(o->seq, o->len), c->ooo[k + 1].seq),
			      "conn %d: held ranges overlap or touch", i);
		/* placed in the ring: within what it had free */
		CHECK((uint64_t)seq_diff(seq_add(o->seq, o->len), c->rcv_nxt) <= f->rcv_cap - f->rcv_len,
		      "conn %d: held range beyond the ring", i);
		bytes += o->len;
	}
	CHECK(bytes == c->ooo_bytes, "conn %d: held bytes %u, counted %u", i, bytes, c->ooo_bytes);
	if (X.p.reass_max_bytes)
		CHECK(bytes <= X.p.reass_max_bytes, "conn %d: %u bytes held", i, bytes);
	/* RFC 7323 §2.4 */
	if (c->state >= TCP_ESTABLISHED && c->state <= TCP_LAST_ACK) {
		if (f->edge_valid)
			CHECK(seq_ge(c->rcv_adv, f->edge) || seq_lt(c->rcv_adv, c->rcv_nxt),
			      "conn %d: right edge moved back %u -> %u", i, f->edge.v, c->rcv_adv.v);
		f->edge = c->rcv_adv;
		f->edge_valid = true;
	}
}

static void
check_world(void)
{
	uint32_t syn = 0, acc = 0;
	for (int i = 0; i < FZ_NCONN; i++) {
		if (!F[i].used)
			continue;
		check_conn(&F[i], i);
		if (F[i].c.listener == &L) {
			if (F[i].c.in_accept_queue)
				acc++;
			else
				syn++;
		}
	}
	CHECK(live == 0, "%ld buffers alive: the engine never keeps one", live);
	CHECK(L.syn_qlen == syn && L.accept_qlen == acc, "listener counts %u/%u, children %u/%u", L.syn_qlen,
	      L.accept_qlen, syn, acc);
}

/* ---- applying actions ---- */

static void
apply(int i, const struct fbuf *cur)
{
	struct fconn *f = &F[i];
	for (int guard = 0;; guard++) {
		CHECK(guard < 100000, "conn %d: the transmit loop does not end", i);
		CHECK(A.nsegs <= TCP_ACT_SEGS && A.ndeliver <= TCP_ACT_DELIVER, "action arrays overflow");
		CHECK(A.release <= f->snd_len, "conn %d: release %u of %u ring bytes", i, A.release, f->snd_len);
		memmove(f->snd, f->snd + A.release, f->snd_len - A.release);
		f->snd_len -= A.release;
		/* deliveries are placed from RCV.NXT as it was before the
		 * call: rebuild it from what was published */
		uint32_t fin_adj = (A.events & TCP_EV_PEER_FIN) ? 1 : 0;
		struct seq base = seq_sub(f->c.rcv_nxt, A.publish + fin_adj);
		for (unsigned k = 0; k < A.ndeliver; k++) {
			const struct tcp_delivery *d = &A.deliver[k];
			const struct fbuf *b = cur;
			CHECK(b != NULL, "conn %d: delivery from no buffer", i);
			CHECK(b->magic == FBUF_MAGIC, "conn %d: delivery from a dead buffer", i);
			CHECK(d->len > 0 && (uint64_t)d->off + d->len <= b->len, "conn %d: delivery [%u, +%u) beyond %u",
			      i, d->off, d->len, b->len);
			CHECK((uint64_t)f->rcv_len + d->at + d->len <= f->rcv_cap, "conn %d: delivery overflows the ring",
			      i);
			if (f->c.state != TCP_CLOSED && f->c.state != TCP_TIME_WAIT)
				CHECK(b->seq + d->off == seq_add(base, d->at).v, "conn %d: bytes of %u placed as %u", i,
				      b->seq + d->off, seq_add(base, d->at).v);
		}
		CHECK(f->rcv_len + A.publish <= f->rcv_cap, "conn %d: publish overflows the ring", i);
		f->rcv_len += A.publish;
		for (unsigned k = 0; k < A.nsegs; k++) {
			const struct tcp_out_seg *s = &A.segs[k];
			CHECK((uint64_t)s->data_off + s->data_len <= f->snd_len,
			      "conn %d: segment payload [%u, +%u) beyond %u ring bytes", i, s->data_off, s->data_len,
			      f->snd_len);
			CHECK(tcp_opts_len(&s->opts) <= TCP_MAX_OPTLEN, "conn %d: %u option bytes", i,
			      tcp_opts_len(&s->opts));
			uint8_t hdr[TCP_MAX_HLEN];
			struct tcp_hdr h = { .seq = s->seq.v, .ack = s->ack.v, .flags = s->flags, .window = s->wnd };
			CHECK(tcp_hdr_write(hdr, sizeof(hdr), &h, &s->opts) >= TCP_HLEN, "header does not fit");
		}
		f->deadline = A.deadline;
		if (A.events & TCP_EV_CLOSED) {
			CHECK(f->c.state == TCP_CLOSED, "conn %d: closed event in %s", i, tcp_state_name(f->c.state));
			CHECK(f->c.nooo == 0, "conn %d: closed with %u buffers held", i, f->c.nooo);
			CHECK(f->c.listener == NULL, "conn %d: closed, still a child", i);
			f->used = false;
			return;
		}
		if (!A.more)
			return;
		struct tcp_io io = io_of(f);
		tcp_output(&X, &f->c, &io, &A);
		cur = NULL;
	}
}

static int
free_slot(void)
{
	for (int i = 0; i < FZ_NCONN; i++)
		if (!F[i].used)
			return i;
	return -1;
}

static void
slot_init(int i, unsigned k, uint32_t rcv_cap)
{
	struct fconn *f = &F[i];
	memset(f, 0, sizeof(*f));
	f->used = true;
	tuple_of(&f->t, k);
	f->rcv_cap = rcv_cap ? rcv_cap : FZ_RING;
	f->deadline = UINT64_MAX;
}

/* ---- operations ---- */

static void
build_opts(struct rd *r, struct fconn *f, uint8_t *ob, unsigned *olen)
{
	uint8_t mode = u8(r);
	if (mode & 1) {
		/* raw bytes */
		unsigned n = u8(r) % (TCP_MAX_OPTLEN + 1);
		for (unsigned k = 0; k < n; k++)
			ob[k] = u8(r);
		*olen = n;
		return;
	}
	/* structured: what a real peer sends, near our sequence space */
	struct tcp_opts o = { 0 };
	if (mode & 2) {
		o.present |= TCP_OPT_TS;
		o.tsval = u32(r);
		o.tsecr = f ? tcp_ts_now(&f->c, now) - (u8(r) & 0x3f) : u32(r);
	}
	if ((mode & 4) && f) {
		o.present |= TCP_OPT_SACK;
		o.nsack = (uint8_t)(u8(r) % 5);
		uint32_t mss = f->c.mss ? f->c.mss : 536;
		for (unsigned k = 0; k < o.nsack; k++) {
			uint32_t s = f->c.snd_una.v + (u8(r) % 64) * mss + (u8(r) & 0x0f);
			o.sack[k].start = s;
			o.sack[k].end = s + 1 + (u8(r) % 8) * mss;
		}
	}
	if (mode & 8) {
		o.present |= TCP_OPT_MSS;
		o.mss = u16(r);
	}
	if (mode & 16) {
		o.present |= TCP_OPT_WSCALE;
		o.wscale = u8(r);
	}
	if (mode & 32)
		o.present |= TCP_OPT_SACK_PERM;
	*olen = tcp_opts_write(ob, TCP_MAX_OPTLEN, &o);
}

/* builds a segment's bytes and parses them back, as the worker would */
static bool
make_seg(struct rd *r, struct fconn *f, struct tcp_seg *seg, struct fbuf **bufp)
{
	uint8_t flags = u8(r);
	uint8_t modes = u8(r);
	uint32_t seq, ack;
	const struct tcp_conn *c = f ? &f->c : NULL;
	switch (modes & 3) {
	case 0:
		seq = c ? c->rcv_nxt.v + (int8_t)u8(r) : u32(r);
		break;
	case 1:
		seq = c ? c->rcv_nxt.v + u16(r) : u32(r);
		break;
	case 2:
		seq = c ? c->rcv_nxt.v - u16(r) : u32(r);
		break;
	default:
		seq = u32(r);
		break;
	}
	switch ((modes >> 2) & 3) {
	case 0:
		ack = c ? c->snd_nxt.v - (u8(r) % 4 == 0 ? u16(r) % 4000 : 0) : u32(r);
		break;
	case 1:
		ack = c ? c->snd_una.v + u16(r) % 8000 : u32(r);
		break;
	case 2:
		ack = c ? c->snd_una.v - u16(r) : u32(r);
		break;
	default:
		ack = u32(r);
		break;
	}
	uint16_t wnd = (modes & 0x10) ? u16(r) : 65535;
	uint16_t urp = (modes & 0x20) ? u16(r) : 0;
	uint32_t len = (modes & 0x40) ? u16(r) % (FZ_MAXPAY + 1) : 0;

	uint8_t ob[TCP_MAX_OPTLEN];
	unsigned olen = 0;
	if (modes & 0x80)
		build_opts(r, f, ob, &olen);
	unsigned padded = (olen + 3) & ~3u;
	uint8_t raw[TCP_MAX_HLEN + FZ_MAXPAY];
	struct tcp_hdr h = { .sport = 1000, .dport = 80, .seq = seq, .ack = ack, .flags = flags, .window = wnd,
			     .urp = urp };
	tcp_hdr_write(raw, sizeof(raw), &h, NULL);
	memset(raw + TCP_HLEN, TCPOPT_EOL, padded);
	memcpy(raw + TCP_HLEN, ob, olen);
	raw[12] = (uint8_t)(((TCP_HLEN + padded) / 4) << 4);
	unsigned hl = TCP_HLEN + padded;
	for (uint32_t k = 0; k < len; k++)
		raw[hl + k] = pat(seq + k);
	/* sometimes a damaged data offset */
	size_t total = hl + len;
	if ((flags & 0xc0) == 0xc0 && u8(r) & 1)
		raw[12] = u8(r);
	if (tcp_seg_parse(seg, raw, total) != 0)
		return false;
	struct tcp_view v;
	if (tcp_check(&v, raw, total) != 0)
		fail("tcp_seg_parse accepted what tcp_check refuses");
	/* a SYN takes the first sequence number: the payload starts after */
	uint32_t s0 = seg->seq.v + ((seg->flags & TCP_SYN) ? 1 : 0);
	*bufp = fbuf_new(s0, seg->len);
	return true;
}

static void
op_segment(struct rd *r)
{
	int i = u8(r) % FZ_NCONN;
	struct fconn *f = &F[i];
	if (!f->used)
		return;
	struct tcp_seg seg;
	struct fbuf *b = NULL;
	if (!make_seg(r, f, &seg, &b))
		return;
	struct tcp_io io = io_of(f);
	tcp_input(&X, &f->c, &seg, &io, &A);
	bool reuse = A.events & TCP_EV_TW_REUSE;
	struct seq tw_isn = A.tw_isn;
	apply(i, b);
	if (b)
		fbuf_free(b);
	if (reuse && (seg.flags & TCP_SYN)) {
		/* the listener takes the SYN with the ISN TIME-WAIT gave */
		if (tcp_listen_syn(&X, &L, &f->t, &seg, 1500, now, &A) == TCP_SYN_CREATE) {
			int j = free_slot();
			if (j >= 0) {
				struct tcp_tuple t = f->t;
				slot_init(j, t.rport - 1000u, 0);
				F[j].passive = true;
				struct tcp_io io2 = io_of(&F[j]);
				tcp_conn_open_passive(&X, &L, &F[j].c, &t, &seg, 1500, tw_isn.v, &io2, &A);
				apply(j, NULL);
			}
		}
	}
}

static void
op_syn(struct rd *r)
{
	unsigned k = u8(r) % 8;
	struct tcp_tuple t;
	tuple_of(&t, k);
	struct tcp_seg seg;
	struct fbuf *b = NULL;
	if (!make_seg(r, NULL, &seg, &b))
		return;
	if (b)
		fbuf_free(b);
	seg.flags = (seg.flags & ~(TCP_ACK | TCP_RST)) | TCP_SYN;
	enum tcp_syn_verdict v = tcp_listen_syn(&X, &L, &t, &seg, 1280 + u8(r) * 4, now, &A);
	int i = free_slot();
	if (v == TCP_SYN_CREATE && i >= 0 && !(u8(r) == 0xff)) {
		slot_init(i, k, u16(r) % FZ_RING);
		F[i].passive = true;
		struct tcp_io io = io_of(&F[i]);
		tcp_conn_open_passive(&X, &L, &F[i].c, &t, &seg, 1500, 0, &io, &A);
		apply(i, NULL);
		return;
	}
	if (v == TCP_SYN_CREATE)
		CHECK(tcp_syncookie_reply(&X, &L, &t, &seg, 1500, now, &A) == 0, "cookie reply refused a SYN");
	if (A.nsegs == 1 && (A.segs[0].flags & TCP_SYN)) {
		cookies[k].valid = true;
		cookies[k].syn_seq = seg.seq.v;
		cookies[k].cookie = A.segs[0].seq.v;
		cookies[k].tsval = A.segs[0].opts.tsval;
	}
}

static void
op_cookie_ack(struct rd *r)
{
	unsigned k = u8(r) % 8;
	uint8_t how = u8(r);
	struct tcp_tuple t;
	tuple_of(&t, k);
	struct tcp_seg seg = { .flags = TCP_ACK, .wnd = u16(r) };
	if (cookies[k].valid && !(how & 1)) {
		seg.seq = seq_make(cookies[k].syn_seq + 1);
		seg.ack = seq_make(cookies[k].cookie + 1 + ((how & 2) ? u8(r) : 0));
		if (how & 4) {
			seg.opts.present = TCP_OPT_TS;
			seg.opts.tsval = u32(r);
			seg.opts.tsecr = cookies[k].tsval ^ ((how & 8) ? u8(r) : 0);
		}
	} else {
		seg.seq = seq_make(u32(r));
		seg.ack = seq_make(u32(r));
	}
	seg.len = (how & 16) ? u16(r) % 2000 : 0;
	struct tcp_cookie_info info;
	if (tcp_syncookie_check(&X, &t, &seg, now, &info) != 0)
		return;
	int i = free_slot();
	if (i < 0)
		return;
	struct fbuf *b = fbuf_new(seg.seq.v, seg.len);
	(void)0;
	slot_init(i, k, 0);
	F[i].passive = true;
	struct tcp_io io = io_of(&F[i]);
	if (tcp_conn_open_cookie(&X, &L, &F[i].c, &t, &seg, &info, 1500, &io, &A) != 0) {
		F[i].used = false;
		fbuf_free(b);
		return;
	}
	apply(i, b);
	fbuf_free(b);
}

static void
fire_timers(void)
{
	for (int i = 0; i < FZ_NCONN; i++) {
		for (int guard = 0; F[i].used && F[i].deadline <= now; guard++) {
			CHECK(guard < 100000, "conn %d: timers fire forever", i);
			struct tcp_io io = io_of(&F[i]);
			tcp_timer(&X, &F[i].c, &io, &A);
			apply(i, NULL);
			if (F[i].used)
				CHECK(F[i].deadline > now || guard < 1000, "conn %d: deadline stuck in the past", i);
		}
	}
}

static void
op_advance(struct rd *r)
{
	uint16_t d = u16(r);
	static const uint64_t unit[4] = { 1000, MS, SEC, 60 * SEC };
	now += (uint64_t)d * unit[u8(r) & 3];
	fire_timers();
}

static void
op_app(struct rd *r, uint8_t op)
{
	int i = u8(r) % FZ_NCONN;
	struct fconn *f = &F[i];
	if (!f->used)
		return;
	struct tcp_io io;
	switch (op) {
	case 0: { /* write */
		uint32_t n = u16(r) % 20000;
		if (n > FZ_RING - f->snd_len)
			n = FZ_RING - f->snd_len;
		for (uint32_t k = 0; k < n; k++)
			f->snd[f->snd_len + k] = (uint8_t)k;
		f->snd_len += n;
		io = io_of(f);
		tcp_output(&X, &f->c, &io, &A);
		break;
	}
	case 1: { /* read */
		uint32_t n = u16(r);
		if (n > f->rcv_len)
			n = f->rcv_len;
		f->rcv_len -= n;
		io = io_of(f);
		tcp_rcvd(&X, &f->c, &io, &A);
		break;
	}
	case 2: /* close */
		io = io_of(f);
		tcp_close(&X, &f->c, (u8(r) & 1) ? f->rcv_len : 0, u8(r) == 7, &io, &A);
		break;
	case 3:
		io = io_of(f);
		tcp_shutdown(&X, &f->c, (int)(u8(r) % 5) - 1, &io, &A);
		break;
	case 4:
		io = io_of(f);
		tcp_abort(&X, &f->c, &io, &A);
		break;
	case 5:
		io = io_of(f);
		tcp_setsockopt(&X, &f->c, (enum tcp_sockopt)(u8(r) % 12), u32(r), &io, &A);
		break;
	case 6: { /* ICMP */
		uint8_t kind = u8(r) % 4;
		uint8_t m = u8(r);
		uint32_t q = (m & 1) ? u32(r) : f->c.snd_una.v + (uint32_t)(u16(r) % 3000);
		if (m & 2)
			q = f->c.iss.v;
		io = io_of(f);
		tcp_icmp(&X, &f->c, (enum tcp_icmp_kind)kind, q, u16(r), (int)(u8(r) % 120), &io, &A);
		break;
	}
	case 7:
		io = io_of(f);
		tcp_output(&X, &f->c, &io, &A);
		break;
	case 8:
		io = io_of(f);
		/* any offset: 0 and beyond the ring are refused */
		tcp_send_urgent(&X, &f->c, (u8(r) & 1) ? io.snd_avail : u32(r) % (io.snd_avail + 2), &io, &A);
		break;
	case 9:
		if (f->c.listener == &L && f->c.in_accept_queue)
			tcp_listener_accepted(&L, &f->c);
		return;
	case 10:
		if (f->c.listener != &L)
			return;
		io = io_of(f);
		tcp_conn_listener_gone(&X, &f->c, &io, &A);
		break;
	case 11: {
		static const char *names[] = { "cubic", "reno", "bbr", "" };
		tcp_set_congestion(&f->c, names[u8(r) & 3], now);
		return;
	}
	default:
		return;
	}
	apply(i, NULL);
}

static void
op_connect(struct rd *r)
{
	int i = free_slot();
	uint8_t k = u8(r) % 8;
	uint32_t iss = u8(r) & 1 ? u32(r) : 0;
	uint32_t cap = u16(r) % FZ_RING;
	if (i < 0)
		return;
	slot_init(i, k, cap);
	struct tcp_sockopts so = { .rcvbuf = F[i].rcv_cap, .nodelay = u8(r) & 1 };
	struct tcp_io io = io_of(&F[i]);
	tcp_conn_open_active(&X, &F[i].c, &F[i].t, &so, 576 + u16(r) % 9000, iss, &io, &A);
	apply(i, NULL);
}

static void
reset_world(struct rd *r)
{
	static const uint8_t secret[48] = { 7, 1, 4, 1, 5, 9, 2, 6 };
	tcp_ctx_init(&X, secret);
	uint8_t c0 = u8(r), c1 = u8(r);
	X.p.sack = !(c0 & 1);
	X.p.timestamps = !(c0 & 2);
	X.p.window_scaling = !(c0 & 4);
	X.p.rack = !(c0 & 8);
	X.p.tlp = !(c0 & 16);
	X.p.dsack = !(c0 & 32);
	X.p.cc = (c0 & 64) ? &tcp_cc_reno : &tcp_cc_cubic;
	v6 = c0 & 128;
	X.p.syncookies = c1 % 3;
	X.p.reass_max_bufs = (c1 & 4) ? 4 : TCP_REASS_MAX;
	X.p.reass_max_bytes = (c1 & 8) ? 6000 : 4 * 1024 * 1024;
	struct tcp_sockopts so = { .rcvbuf = (c1 & 16) ? 3000 : FZ_RING, .nodelay = c1 & 32, .cork = c1 & 64,
				   .keepalive = c1 & 128, .keepidle_s = 5 };
	tcp_listener_init(&L, c1 & 3, &so);
	memset(F, 0, sizeof(F));
	memset(cookies, 0, sizeof(cookies));
	now = 1000 * SEC;
	live = 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r = { data, size };
	reset_world(&r);
	for (int steps = 0; r.n > 0 && steps < 4000; steps++) {
		uint8_t op = u8(&r);
		switch (op % 8) {
		case 0:
		case 1:
		case 2:
			op_segment(&r);
			break;
		case 3:
			op_syn(&r);
			break;
		case 4:
			op_cookie_ack(&r);
			break;
		case 5:
			op_advance(&r);
			break;
		case 6:
			op_app(&r, (uint8_t)(op >> 3));
			break;
		case 7:
			op_connect(&r);
			break;
		}
		check_world();
	}
	/* let time run out: every connection must end or stay bounded */
	for (int k = 0; k < 8; k++) {
		now += 600 * SEC;
		fire_timers();
		check_world();
	}
	for (int i = 0; i < FZ_NCONN; i++)
		if (F[i].used)
			tcp_conn_destroy(&X, &F[i].c);
	CHECK(live == 0, "%ld buffers alive after every connection was destroyed", live);
	CHECK(L.syn_qlen == 0 && L.accept_qlen == 0, "listener counts %u/%u with no children", L.syn_qlen,
	      L.accept_qlen);
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scripted tests of the TCP engine, in the style of smoltcp's socket tests:
 * put a connection in a state, send it a segment, expect exactly the
 * segments it answers with, advance the clock.
 *
 * A struct tsock is the connection under test plus what the worker and the
 * application would hold: a transmit ring and a receive ring (plain
 * arrays), the segments the engine asked to send (recorded, with their
 * payload copied from the transmit ring as a worker would), and events.
 * Deliveries are checked to stay within the free space the call was told
 * of; out-of-order bytes wait past rcv_len, unpublished, as in a real ring.
 *
 * Our side's ISN is 1000 (the first data byte 1001) and the peer's 5000,
 * unless a test says otherwise, so the scripts read like RFC examples.
 */
#ifndef TCP_SCRIPT_H
#define TCP_SCRIPT_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "tcp/tcp.h"

#define MS 1000000ull
#define SEC 1000000000ull

#define OUR_ISS 1000u
#define PEER_ISS 5000u

#define TS_RING (1u << 20)
#define TS_RCV_MAX (8u << 20)
#define TS_MAXOUT 4096

/* one recorded outgoing segment, payload copied out of the ring */
struct rseg {
	struct tcp_out_seg s;
	uint8_t data[2048];
};

struct tsock {
	struct tcp_ctx x;
	struct tcp_conn c;
	struct tcp_listener l;
	struct tcp_actions a;
	struct tcp_tuple t;
	struct tcp_sockopts so;
	uint64_t now;
	uint64_t deadline;
	/* transmit ring: bytes [snd_head, snd_head + snd_len) of the stream */
	uint8_t *snd;
	uint32_t snd_cap, snd_len;
	uint64_t snd_head;      /* stream offset of the ring's head */
	uint64_t snd_written;   /* stream bytes the application wrote */
	/* receive ring */
	uint8_t *rcv;
	uint32_t rcv_cap, rcv_len;
	uint64_t rcv_total;     /* bytes ever delivered */
	uint64_t rcv_read;      /* bytes the application read */
	uint8_t *rcv_stream;    /* every byte ever delivered, in order (for checks) */
	uint32_t rcv_stream_cap;
	/* recorded output */
	struct rseg *out;
	unsigned nout, rd;
	/* what happened */
	uint32_t events;
	int err;
	bool closed;
	uint32_t urg_mark;
	uint32_t tw_isn;
	uint64_t released;
	uint32_t mtu;
};

/* what to send or expect; unnamed fields are 0 */
struct sspec {
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	bool wnd_chk;        /* expect: compare the window field */
	uint32_t len;        /* payload length (send: bytes from data, or a pattern) */
	const void *data;    /* send: payload bytes (NULL: a pattern) */
	uint16_t urp;
	struct tcp_opts opts; /* send: options; expect: compared when opts_chk */
	bool opts_chk;
	bool any_seq;        /* expect: do not compare seq */
};

#define SEG(...) (&(struct sspec){ __VA_ARGS__ })
#define SYN TCP_SYN
#define ACK TCP_ACK
#define FIN TCP_FIN
#define RST TCP_RST
#define PSH TCP_PSH
#define URG TCP_URG

/* ctx defaults for tests: no timestamps/SACK/wscale unless a test turns
 * them on, so plain scripts stay readable */
void ts_init(struct tsock *t);
void ts_init_opts(struct tsock *t, bool ts, bool sack, bool ws);
void ts_fini(struct tsock *t);

struct tcp_io ts_io(const struct tsock *t);
/* applies t->a (releases, deliveries, segments, events) and drains
 * a->more by calling tcp_output */
void ts_apply(struct tsock *t);

/* active open: our SYN recorded (not consumed) */
void ts_connect(struct tsock *t);
/* a full active handshake: SYN out, SYN-ACK in (peer window wnd), ACK out */
void ts_establish(struct tsock *t, uint16_t peer_wnd);
/* passive: listener gets SYN from the peer, SYN-ACK out, ACK in */
void ts_accept(struct tsock *t, uint16_t peer_wnd);

/* the peer sends a segment */
void ts_send(struct tsock *t, const struct sspec *s);
/* pops the next recorded segment and checks it against s */
void ts_expect_at(struct tsock *t, const struct sspec *s, const char *file, int line);
#define ts_expect(t, s) ts_expect_at((t), (s), __FILE__, __LINE__)
/* no segment recorded (pending ones are consumed by expect only) */
void ts_expect_nothing_at(struct tsock *t, const char *file, int line);
#define ts_expect_nothing(t) ts_expect_nothing_at((t), __FILE__, __LINE__)
/* pops the next recorded segment, whatever it is (NULL when none) */
struct rseg *ts_next(struct tsock *t);
unsigned ts_pending(const struct tsock *t);

/* the clock: moves to now + ns, calling tcp_timer at each deadline passed */
void ts_advance(struct tsock *t, uint64_t ns);
/* moves exactly to the next deadline and fires it */
uint64_t ts_fire_next(struct tsock *t);

/* the application */
void ts_write(struct tsock *t, const void *data, uint32_t n); /* NULL: pattern */
uint32_t ts_read(struct tsock *t, void *dst, uint32_t max);   /* then tcp_rcvd */
void ts_close(struct tsock *t);
void ts_shutdown_wr(struct tsock *t);

/* pattern byte of stream offset o (both directions use it) */
static inline uint8_t ts_pat(uint64_t o) { return (uint8_t)(o * 7 + (o >> 8) + 3); }

const char *ts_flags_str(uint8_t f);

#endif

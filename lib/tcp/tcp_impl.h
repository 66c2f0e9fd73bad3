/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interfaces between the files of lib/tcp. Not for callers. */
#ifndef RS_TCP_IMPL_H
#define RS_TCP_IMPL_H

#include <errno.h>
#include <string.h>

#include "tcp.h"

#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull
#define TCP_NEVER UINT64_MAX

/* scoreboard entry flags */
#define TXE_SACKED 0x01  /* the receiver holds it (RFC 2018) */
#define TXE_LOST 0x02    /* deemed lost: to be retransmitted */
#define TXE_RETRANS 0x04 /* the copy in flight is a retransmission (of a loss) */
#define TXE_EVER 0x08    /* retransmitted at least once (Karn) */
#define TXE_FIN 0x10     /* ends with our FIN */
#define TXE_SYN 0x20     /* the SYN (not in the scoreboard; for RACK bookkeeping) */
#define TXE_WAS_SACKED 0x40 /* SACKed before a timeout wiped the scoreboard: F-RTO must
			     * not take its arrival for an original's */

#define TCP_DUPTHRESH 3        /* RFC 5681 §3.2, RFC 6675 */
#define TCP_MIN_MSS_OPT 88     /* Linux TCP_MIN_MSS: lowest TCP_MAXSEG */
#define TCP_MAX_USER_MSS 32767 /* Linux MAX_TCP_WINDOW */
#define TCP_TS_OPT_LEN 12
#define TCP_PAWS_24DAYS (24ull * 86400 * NS_PER_S) /* RFC 7323 §5.5 */
#define TCP_MAX_QUICKACKS 16
#define TCP_SYNCOOKIE_AGE 2    /* minutes a cookie stays valid (Linux MAX_SYNCOOKIE_AGE) */

/* ---- small helpers ---- */

static inline uint64_t min64(uint64_t a, uint64_t b) { return a < b ? a : b; }
static inline uint64_t max64(uint64_t a, uint64_t b) { return a > b ? a : b; }
static inline uint32_t min32(uint32_t a, uint32_t b) { return a < b ? a : b; }
static inline uint32_t max32(uint32_t a, uint32_t b) { return a > b ? a : b; }

static inline bool tcp_synchronized(enum tcp_state s)
{
	return s >= TCP_ESTABLISHED && s <= TCP_TIME_WAIT;
}

/* states in which data and our FIN may be (re)transmitted */
static inline bool tcp_can_send(enum tcp_state s)
{
	return s == TCP_ESTABLISHED || s == TCP_CLOSE_WAIT || s == TCP_FIN_WAIT_1 ||
	       s == TCP_CLOSING || s == TCP_LAST_ACK;
}

/* timestamp clock: 1 ms ticks (Linux TCP_TS_HZ) */
static inline uint32_t tcp_ts_now(const struct tcp_conn *c, uint64_t now)
{
	return (uint32_t)(now / NS_PER_MS) + c->ts_off;
}

/* sequence number of the end of the data the application queued */
static inline struct seq tcp_data_end(const struct tcp_conn *c)
{
	struct seq e = seq_add(c->snd_base, c->snd_avail);
	if (c->fin_queued && seq_gt(e, c->fin_seq))
		e = c->fin_seq;
	return e;
}

/* payload bytes per full segment with the options of the current state */
static inline uint32_t tcp_conn_mss(const struct tcp_conn *c) { return c->mss; }

/* bytes in flight per RFC 6675 §4 "pipe": sent, not SACKed, not lost, plus
 * retransmissions in flight; without SACK, duplicate ACKs stand in for
 * SACKed segments (as Linux counts them). */
uint32_t tcp_pipe(const struct tcp_conn *c);

/* ---- actions ---- */

void tcp_act_reset(struct tcp_actions *a);
struct tcp_out_seg *tcp_act_seg(struct tcp_actions *a);
static inline void tcp_act_event(struct tcp_actions *a, uint32_t ev) { a->events |= ev; }
void tcp_act_error(struct tcp_conn *c, struct tcp_actions *a, int err);

/* ---- conn setup (tcp_fsm.c) ---- */

void tcp_conn_init_common(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_tuple *t,
			  const struct tcp_sockopts *so, uint32_t mtu, uint64_t now);
void tcp_set_state(struct tcp_ctx *x, struct tcp_conn *c, enum tcp_state s,
		   struct tcp_actions *a, uint64_t now);
/* aborts: err > 0 is reported unless the socket was closed; sends RST when asked */
void tcp_conn_reset(struct tcp_ctx *x, struct tcp_conn *c, int err, bool send_rst,
		    const struct tcp_io *io, struct tcp_actions *a);
void tcp_conn_done(struct tcp_ctx *x, struct tcp_conn *c, struct tcp_actions *a);
void tcp_enter_time_wait(struct tcp_ctx *x, struct tcp_conn *c, struct tcp_actions *a, uint64_t now);
void tcp_update_mss(struct tcp_ctx *x, struct tcp_conn *c);
uint8_t tcp_choose_wscale(const struct tcp_ctx *x, uint32_t rcvbuf);
void tcp_io_enter(struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a);
void tcp_finish(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a);
void tcp_established(struct tcp_ctx *x, struct tcp_conn *c, struct tcp_actions *a, uint64_t now);
void tcp_apply_syn_opts(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_opts *o);

/* ---- output (tcp_output.c) ---- */

void tcp_xmit(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a);
void tcp_send_ack(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a);
void tcp_send_challenge_ack(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io,
			    struct tcp_actions *a);
bool tcp_oow_rate_limited(struct tcp_ctx *x, struct tcp_conn *c, uint64_t now);
void tcp_send_rst(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a);
void tcp_send_syn(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a);
void tcp_send_probe(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a);
uint16_t tcp_select_window(struct tcp_conn *c, bool commit);
uint32_t tcp_rcv_space(const struct tcp_conn *c);
void tcp_fill_opts(struct tcp_ctx *x, struct tcp_conn *c, struct tcp_opts *o, uint64_t now, bool sack);
void tcp_emit_range(struct tcp_ctx *x, struct tcp_conn *c, struct seq start, uint32_t len, bool fin,
		    const struct tcp_io *io, struct tcp_actions *a, bool retrans);
void tcp_ack_sent(struct tcp_conn *c);
void tcp_arm_xmit_timers(struct tcp_ctx *x, struct tcp_conn *c, uint64_t now);
void tcp_tlp_fire(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_io *io, struct tcp_actions *a);

/* ---- timers and RTT (tcp_timer.c) ---- */

static inline void tcp_set_deadline(struct tcp_conn *c, enum tcp_timer_kind k, uint64_t when)
{
	c->deadline[k] = when;
}
static inline void tcp_clear_deadline(struct tcp_conn *c, enum tcp_timer_kind k)
{
	c->deadline[k] = TCP_NEVER;
}
uint64_t tcp_rto_cur(const struct tcp_ctx *x, const struct tcp_conn *c);
void tcp_rtt_sample(struct tcp_ctx *x, struct tcp_conn *c, uint64_t rtt, uint64_t now);
void tcp_rearm_rto(struct tcp_ctx *x, struct tcp_conn *c, uint64_t now);
uint64_t tcp_model_timeout(const struct tcp_ctx *x, uint32_t boundary, uint64_t rto_base);
void tcp_keepalive_reset(struct tcp_ctx *x, struct tcp_conn *c, uint64_t now);
void tcp_schedule_delack(struct tcp_ctx *x, struct tcp_conn *c, uint64_t now);

/* ---- scoreboard (tcp_sack.c) ---- */

void tcp_txq_reset(struct tcp_conn *c);
void tcp_txq_sent(struct tcp_conn *c, struct seq start, struct seq end, uint64_t now, uint32_t tsval,
		  bool fin);
struct tcp_ack_info {
	uint32_t acked_data;     /* payload bytes newly cumulatively acked */
	uint32_t newly_sacked;   /* bytes newly SACKed */
	bool rtt_valid;          /* a never-retransmitted entry was acked */
	uint64_t rtt_xmit_ns;    /* its transmission time */
	bool ever_retrans;       /* an acked entry had been retransmitted */
	bool orig_acked;         /* data sent before the episode's timeout and never
				  * retransmitted was acked or SACKed (Linux's
				  * FLAG_ORIG_SACK_ACKED) */
	bool fin_acked;
};
void tcp_txq_ack(struct tcp_ctx *x, struct tcp_conn *c, struct seq ack, uint64_t now,
		 const struct tcp_seg *seg, struct tcp_ack_info *ai);
void tcp_txq_sack(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_seg *seg, uint64_t now,
		  struct tcp_ack_info *ai);
void tcp_txq_recount(struct tcp_conn *c);
void tcp_txq_mark_lost_rfc6675(struct tcp_conn *c);
void tcp_txq_mark_head_lost(struct tcp_conn *c);
void tcp_txq_mark_all_lost(struct tcp_conn *c);
/* D-SACK undo (tcp_sack.c): a loss episode begins (before its window is
 * reduced); a D-SACK reports [s, e) twice; tcp_undo_try restores the
 * window when every byte the episode retransmitted was reported twice. */
void tcp_undo_begin(struct tcp_conn *c);
void tcp_undo_dsack(struct tcp_ctx *x, struct tcp_conn *c, struct seq s, struct seq e);
bool tcp_undo_try(struct tcp_ctx *x, struct tcp_conn *c);
/* Eifel (RFC 3522): an ACK that advances SND.UNA during an episode and
 * echoes a timestamp older than its first retransmission was sent for an
 * original transmission: the episode is undone, its losses unmarked. */
bool tcp_undo_eifel(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_seg *seg);
/* F-RTO (RFC 5682 §3.1) on an ACK in the Loss state; true when it found
 * the timeout spurious and undid it. */
bool tcp_frto_ack(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_seg *seg,
		  const struct tcp_ack_info *ai, bool advanced, bool dupack);
int tcp_txq_split(struct tcp_conn *c, uint16_t i, struct seq at);
void tcp_txq_compact(struct tcp_conn *c);
void tcp_txq_mark_retrans(struct tcp_conn *c, uint16_t i, uint64_t now, uint32_t tsval);

/* ---- RACK-TLP (tcp_rack.c) ---- */

void tcp_rack_update(struct tcp_conn *c, const struct tcp_txe *e, uint64_t now, const struct tcp_seg *seg);
/* marks losses; returns the reordering-timer delay (0 for none) */
uint64_t tcp_rack_detect(struct tcp_ctx *x, struct tcp_conn *c, uint64_t now);
void tcp_rack_on_ack(struct tcp_conn *c, bool exiting_recovery);
uint64_t tcp_rack_reo_wnd(const struct tcp_conn *c);

/* ---- input pieces (tcp_input.c) ---- */

void tcp_process_ack_loss(struct tcp_ctx *x, struct tcp_conn *c, uint64_t now);
void tcp_enter_recovery(struct tcp_ctx *x, struct tcp_conn *c, uint64_t now);
void tcp_input_sync(struct tcp_ctx *x, struct tcp_conn *c, const struct tcp_seg *seg,
		    const struct tcp_io *io, struct tcp_actions *a);
void tcp_rcv_space_adjust(struct tcp_ctx *x, struct tcp_conn *c, uint64_t now);

/* ---- reassembly (tcp_reass.c) ---- */

/* Out-of-order payload bytes [off, off + len) of the current segment,
 * starting at seq > rcv_nxt: placed in the ring (a delivery) and recorded
 * when it returns true; *dup when every byte was held already. */
bool tcp_reass_insert(struct tcp_ctx *x, struct tcp_conn *c, struct tcp_actions *a, struct seq seq,
		      uint32_t off, uint32_t len, bool *dup);
/* Publishes held data that became contiguous with rcv_nxt; forgets what
 * is wholly below it. */
void tcp_reass_deliver(struct tcp_ctx *x, struct tcp_conn *c, struct tcp_actions *a);
unsigned tcp_reass_sack(const struct tcp_conn *c, struct tcp_sack_block *b, unsigned max);
void tcp_reass_purge(struct tcp_ctx *x, struct tcp_conn *c);
/* in-order payload [off, off + len) of the current segment: copied and
 * published (bounded by the ring's free space); returns bytes delivered */
uint32_t tcp_deliver_n(struct tcp_ctx *x, struct tcp_conn *c, struct tcp_actions *a, uint32_t off,
		       uint32_t len);
bool tcp_txq_room(const struct tcp_conn *c, uint64_t now);

/* ---- hashes (tcp_isn.c) ---- */

uint32_t tcp_ts_offset(const struct tcp_ctx *x, const struct tcp_tuple *t);
uint64_t tcp_tuple_hash(const struct rs_siphash_key *k, const struct tcp_tuple *t, uint64_t extra);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SYN cookies (RFC 4987 §3.6). The cookie is our ISN:
 *
 *   bits 31-30  the minute counter, modulo 4
 *   bits 29-28  the index of the peer's MSS in a table of common values
 *   bits 27-0   SipHash-2-4(secret; 4-tuple, peer's ISN, minute, index)
 *
 * A cookie is valid for TCP_SYNCOOKIE_AGE (2) minutes, as Linux's: the
 * three minutes now, now - 1 and now - 2 differ modulo 4, so the top bits
 * name the minute and the MAC is recomputed once. A blind guess passes
 * with probability 2^-28 (Linux's layout, which adds the hash to the
 * peer's ISN, accepts nearby peer ISNs with another MSS index; this one
 * binds every input exactly).
 *
 * Options the cookie itself cannot carry ride in the low 6 bits of our
 * timestamp value, echoed back by the peer, as Linux's
 * cookie_init_timestamp lays them out: bits 0-3 the peer's window scale
 * (15: none), bit 4 SACK permitted, bit 5 ECN. Without timestamps the
 * connection gets neither window scaling nor SACK (as on Linux).
 */
#include "tcp_impl.h"

#include <sys/socket.h>

#define MACBITS 28
#define MACMASK ((1u << MACBITS) - 1)
#define TSBITS 6
#define TSMASK ((1u << TSBITS) - 1)
#define TS_OPT_WSCALE_MASK 0xfu
#define TS_OPT_SACK (1u << 4)
#define TS_OPT_ECN (1u << 5)

/* Linux's tables: the common MSS values, smallest first */
static const uint16_t msstab4[] = { 536, 1300, 1440, 1460 };
static const uint16_t msstab6[] = { 1220, 1420, 1440, 8940 };

static const uint16_t *
msstab(uint8_t family)
{
	return family == AF_INET6 ? msstab6 : msstab4;
}

static uint32_t
cookie_minute(uint64_t now)
{
	return (uint32_t)(now / (60 * NS_PER_S));
}

static uint32_t
cookie_mac(const struct tcp_ctx *x, const struct tcp_tuple *t, uint32_t peer_isn, uint32_t count,
	   uint32_t idx)
{
	uint64_t extra = (uint64_t)peer_isn << 32 | (uint64_t)(count & 0x3fffffff) << 2 | idx;
	return (uint32_t)tcp_tuple_hash(&x->cookie_key, t, extra) & MACMASK;
}

static uint32_t
cookie_make(const struct tcp_ctx *x, const struct tcp_tuple *t, uint32_t peer_isn, uint32_t count,
	    uint32_t idx)
{
	return (count & 3) << 30 | idx << MACBITS | cookie_mac(x, t, peer_isn, count, idx);
}

/* Returns the MSS index, or -1 when the cookie is not one of ours of the
 * last TCP_SYNCOOKIE_AGE minutes for this tuple and peer ISN. */
static int
cookie_check(const struct tcp_ctx *x, const struct tcp_tuple *t, uint32_t cookie, uint32_t peer_isn,
	     uint64_t now)
{
	uint32_t now_count = cookie_minute(now);
	uint32_t age = (now_count - (cookie >> 30)) & 3;
	if (age > TCP_SYNCOOKIE_AGE)
		return -1;
	uint32_t idx = (cookie >> MACBITS) & 3;
	if (cookie_mac(x, t, peer_isn, now_count - age, idx) != (cookie & MACMASK))
		return -1;
	return (int)idx;
}

int
tcp_syncookie_reply(struct tcp_ctx *x, const struct tcp_listener *l, const struct tcp_tuple *t,
		    const struct tcp_seg *syn, uint32_t mtu, uint64_t now_ns, struct tcp_actions *a)
{
	tcp_act_reset(a);
	if ((syn->flags & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN)
		return -EINVAL;
	const uint16_t *tab = msstab(t->family);
	uint16_t peer = (syn->opts.present & TCP_OPT_MSS) && syn->opts.mss ? syn->opts.mss
									   : tcp_default_mss(t->family);
	int idx = 3;
	while (idx > 0 && tab[idx] > peer)
		idx--;
	uint32_t cookie = cookie_make(x, t, syn->seq.v, cookie_minute(now_ns), (uint32_t)idx);

	/* our MSS option as a normal SYN-ACK would carry it */
	uint32_t hdr = t->family == AF_INET6 ? 40 : 20;
	uint32_t adv = mtu > hdr + 20 ? mtu - hdr - 20 : 536;
	if (l->so.user_mss && l->so.user_mss < adv)
		adv = l->so.user_mss;
	if (adv > 65535)
		adv = 65535;

	struct tcp_out_seg *o = tcp_act_seg(a);
	if (o == NULL)
		return -ENOBUFS;
	o->seq = seq_make(cookie);
	o->ack = seq_add(syn->seq, 1);
	o->flags = TCP_SYN | TCP_ACK;
	o->wnd = (uint16_t)min32(l->so.rcvbuf, min32(x->p.rcv_wnd_init, 65535));
	o->opts.present = TCP_OPT_MSS;
	o->opts.mss = (uint16_t)adv;
	if (x->p.timestamps && (syn->opts.present & TCP_OPT_TS)) {
		uint32_t opts = TS_OPT_WSCALE_MASK;
		bool ws = x->p.window_scaling && (syn->opts.present & TCP_OPT_WSCALE);
		if (ws)
			opts = syn->opts.wscale;
		bool sack = x->p.sack && (syn->opts.present & TCP_OPT_SACK_PERM);
		if (sack)
			opts |= TS_OPT_SACK;
		/* ECN is not negotiated by this stack: bit 5 stays clear */
		struct tcp_tuple tt = *t;
		uint32_t off = tcp_ts_offset(x, &tt);
		uint32_t now_ts = (uint32_t)(now_ns / NS_PER_MS) + off;
		uint32_t ts = (now_ts & ~TSMASK) | opts;
		/* never ahead of our clock: the connection's later
		 * timestamps must not go backwards (RFC 7323 §5.4) */
		if (ts_lt(now_ts, ts))
			ts -= 1u << TSBITS;
		o->opts.present |= TCP_OPT_TS;
		o->opts.tsval = ts;
		o->opts.tsecr = syn->opts.tsval;
		if (sack)
			o->opts.present |= TCP_OPT_SACK_PERM;
		if (ws) {
			o->opts.present |= TCP_OPT_WSCALE;
			o->opts.wscale = tcp_choose_wscale(x, l->so.rcvbuf);
		}
	}
	x->mib.syncookies_sent++;
	x->mib.out_segs++;
	return 0;
}

int
tcp_syncookie_check(struct tcp_ctx *x, const struct tcp_tuple *t, const struct tcp_seg *ack,
		    uint64_t now_ns, struct tcp_cookie_info *info)
{
	if ((ack->flags & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_ACK)
		return -EINVAL;
	int idx = cookie_check(x, t, ack->ack.v - 1, ack->seq.v - 1, now_ns);
	if (idx < 0) {
		x->mib.syncookies_failed++;
		return -EINVAL;
	}
	memset(info, 0, sizeof(*info));
	info->mss = msstab(t->family)[idx];
	if (ack->opts.present & TCP_OPT_TS) {
		if (!x->p.timestamps) {
			x->mib.syncookies_failed++;
			return -EINVAL;
		}
		uint32_t ecr = ack->opts.tsecr;
		uint32_t off = tcp_ts_offset(x, t);
		uint32_t now_ts = (uint32_t)(now_ns / NS_PER_MS) + off;
		/* an echo from the future was never ours; one older than
		 * the cookie's lifetime is stale (the cookie check already
		 * bounds the age, this bounds the options bits' age) */
		if (ts_lt(now_ts, ecr) || now_ts - ecr > (TCP_SYNCOOKIE_AGE + 1) * 60000u) {
			x->mib.syncookies_failed++;
			return -EINVAL;
		}
		uint32_t opts = ecr & TSMASK;
		info->ts_ok = true;
		if ((opts & TS_OPT_WSCALE_MASK) != TS_OPT_WSCALE_MASK) {
			if (!x->p.window_scaling || (opts & TS_OPT_WSCALE_MASK) > TCP_MAX_WSCALE) {
				x->mib.syncookies_failed++;
				return -EINVAL;
			}
			info->ws_ok = true;
			info->snd_wscale = (uint8_t)(opts & TS_OPT_WSCALE_MASK);
		}
		if (opts & TS_OPT_SACK) {
			if (!x->p.sack) {
				x->mib.syncookies_failed++;
				return -EINVAL;
			}
			info->sack_ok = true;
		}
		/* we never set the ECN bit: a cookie claiming it is forged */
		if (opts & TS_OPT_ECN) {
			x->mib.syncookies_failed++;
			return -EINVAL;
		}
	}
	x->mib.syncookies_recv++;
	return 0;
}

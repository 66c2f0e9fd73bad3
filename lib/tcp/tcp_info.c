/* SPDX-License-Identifier: BSD-3-Clause */
/* TCP_INFO: the fields of Linux's struct tcp_info that ss -i shows. */
#include "tcp_impl.h"

static uint32_t
ms_since(uint64_t now, uint64_t t)
{
	if (t == 0 || now < t)
		return 0;
	uint64_t d = (now - t) / NS_PER_MS;
	return d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

static uint32_t
segs(uint32_t bytes, uint32_t mss)
{
	return mss ? (bytes + mss - 1) / mss : 0;
}

void
tcp_conn_get_info(const struct tcp_conn *c, uint64_t now, struct tcp_conn_info *i)
{
	memset(i, 0, sizeof(*i));
	uint32_t mss = c->mss ? c->mss : 1;

	i->state = (uint8_t)c->state;
	i->ca_state = (uint8_t)c->ca_state;
	i->retransmits = c->backoff;
	i->probes = c->probes_out;
	i->backoff = c->backoff;
	i->options = (c->ts_ok ? 1 : 0) | (c->sack_ok ? 2 : 0) | (c->ws_ok ? 4 : 0);
	i->snd_wscale = c->snd_wscale;
	i->rcv_wscale = c->rcv_wscale;
	uint64_t rto = c->rto;
	for (unsigned k = 0; k < c->backoff && rto < 120 * NS_PER_S; k++)
		rto <<= 1;
	i->rto_us = (uint32_t)(rto / 1000);
	i->ato_us = (uint32_t)(c->ato / 1000);
	i->snd_mss = c->mss;
	i->rcv_mss = c->rcv_mss;
	i->unacked = segs(seq_diff(c->snd_nxt, c->snd_una), mss);
	i->sacked = segs(c->sacked_bytes, mss);
	i->lost = segs(c->lost_bytes, mss);
	i->retrans = segs(c->retrans_bytes, mss);
	i->last_data_sent_ms = ms_since(now, c->last_data_snd_ns);
	i->last_data_recv_ms = ms_since(now, c->last_data_rcv_ns);
	i->last_ack_recv_ms = ms_since(now, c->last_ack_rcv_ns);
	i->pmtu = c->pmtu;
	i->rcv_ssthresh = c->rcv_wnd_clamp;
	i->rtt_us = (uint32_t)(c->srtt / 1000);
	i->rttvar_us = (uint32_t)(c->rttvar / 1000);
	i->snd_ssthresh = c->ssthresh == UINT32_MAX ? 0x7fffffff : c->ssthresh / mss;
	i->snd_cwnd = c->cwnd / mss;
	i->advmss = c->adv_mss;
	i->reordering = TCP_DUPTHRESH + c->reordering;
	i->rcv_rtt_us = (uint32_t)(c->rcv_rtt / 1000);
	i->rcv_space = c->rcvq_space;
	i->total_retrans = c->total_retrans;
	i->bytes_acked = c->bytes_acked;
	i->bytes_received = c->bytes_received;
	i->bytes_sent = c->bytes_sent + c->bytes_retrans;
	i->bytes_retrans = c->bytes_retrans;
	i->segs_out = c->segs_out;
	i->segs_in = c->segs_in;
	i->data_segs_out = c->data_segs_out;
	i->data_segs_in = c->data_segs_in;
	i->delivery_rate = c->delivery_rate;
	i->snd_wnd = c->snd_wnd;
	i->rcv_wnd = seq_gt(c->rcv_adv, c->rcv_nxt) ? seq_diff(c->rcv_adv, c->rcv_nxt) : 0;
	struct seq end = tcp_data_end(c);
	i->notsent_bytes = seq_gt(end, c->snd_nxt) ? seq_diff(end, c->snd_nxt) : 0;
	i->outq_bytes = c->snd_avail;
	i->min_rtt_us = c->min_rtt / 1000;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TCP engine with an IPv6 4-tuple: the MSS it advertises and assumes
 * (MTU - 60, RFC 8200's 1280 floor: 1220), ICMPv6 Packet Too Big (RFC
 * 8201) with the quoted sequence check of RFC 5927 and the IPv6 minimum
 * PMTU, the RFC 6528 ISN and RFC 4987 cookies keyed by all 16 bytes of
 * each address, and the TCP checksum over the IPv6 pseudo-header the
 * dataplane computes (checked against a segment scapy built).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>

#include "tcp_script.h"
#include "util/rs_csum.h"
#include "wire/ip6_wire.h"

static struct tsock ts;
static struct tsock *t = &ts;

static void v6_tuple(struct tcp_tuple *tu)
{
	memset(tu, 0, sizeof(*tu));
	tu->family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", tu->laddr);
	inet_pton(AF_INET6, "2001:db8::2", tu->raddr);
	tu->lport = 80;
	tu->rport = 40000;
}

static void setup(void)
{
	ts_init(t);
	v6_tuple(&t->t);
}

static void teardown(void)
{
	ts_fini(t);
}

TestSuite(tcp_ip6, .init = setup, .fini = teardown);

Test(tcp_ip6, syn_mss_is_mtu_minus_60)
{
	ts_connect(t);
	struct rseg *s = ts_next(t);
	cr_assert(s != NULL && (s->s.flags & TCP_SYN));
	cr_assert(s->s.opts.present & TCP_OPT_MSS);
	cr_assert_eq(s->s.opts.mss, 1440, "MSS %u for MTU 1500 over IPv6", s->s.opts.mss);
}

Test(tcp_ip6, syn_mss_on_the_minimum_mtu)
{
	t->mtu = 1280;
	ts_connect(t);
	struct rseg *s = ts_next(t);
	cr_assert(s != NULL);
	cr_assert_eq(s->s.opts.mss, 1220);
	/* a route MTU below IPv6's minimum is taken as the minimum */
	ts_fini(t);
	setup();
	t->mtu = 1000;
	ts_connect(t);
	s = ts_next(t);
	cr_assert(s != NULL);
	cr_assert_eq(s->s.opts.mss, 1220);
}

Test(tcp_ip6, peer_without_mss_option_gets_1220)
{
	ts_connect(t);
	ts_expect(t, SEG(.seq = OUR_ISS, .flags = SYN));
	ts_send(t, SEG(.seq = PEER_ISS, .ack = OUR_ISS + 1, .flags = SYN | ACK, .wnd = 60000));
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK));
	cr_assert_eq(t->c.mss, 1220, "RFC 8200 §8.3 default MSS, got %u", t->c.mss);
	cr_assert_eq(tcp_default_mss(AF_INET6), 1220);
}

Test(tcp_ip6, packet_too_big_shrinks_the_mss)
{
	ts_establish(t, 60000); /* the peer's MSS option says 1460 */
	cr_assert_eq(t->c.mss, 1440);
	ts_write(t, NULL, 1440);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK | PSH, .len = 1440));
	/* the quoted sequence number outside [SND.UNA, SND.NXT): ignored */
	struct tcp_io io = ts_io(t);
	tcp_icmp(&t->x, &t->c, TCP_ICMP_FRAG_NEEDED, OUR_ISS + 5000, 1280, 0, &io, &t->a);
	ts_apply(t);
	cr_assert_eq(t->c.mss, 1440);
	cr_assert_eq(t->x.mib.icmp_ignored, 1);
	ts_expect_nothing(t);
	/* in the window: PMTU 1280, MSS 1220, what no longer fits goes again */
	io = ts_io(t);
	tcp_icmp(&t->x, &t->c, TCP_ICMP_FRAG_NEEDED, OUR_ISS + 1, 1280, 0, &io, &t->a);
	ts_apply(t);
	cr_assert_eq(t->c.pmtu, 1280);
	cr_assert_eq(t->c.mss, 1220);
	cr_assert_eq(t->x.mib.pmtu_updates, 1);
	ts_expect(t, SEG(.seq = OUR_ISS + 1, .ack = PEER_ISS + 1, .flags = ACK, .len = 1220));
	ts_expect(t, SEG(.seq = OUR_ISS + 1221, .ack = PEER_ISS + 1, .flags = ACK | PSH, .len = 220));
	/* RFC 8201 §4: never below the IPv6 minimum (not IPv4's 552) */
	io = ts_io(t);
	tcp_icmp(&t->x, &t->c, TCP_ICMP_FRAG_NEEDED, OUR_ISS + 1, 600, 0, &io, &t->a);
	ts_apply(t);
	cr_assert_eq(t->c.pmtu, 1280);
	cr_assert_eq(t->c.mss, 1220);
}

Test(tcp_ip6, hard_error_aborts_the_connect)
{
	ts_connect(t);
	ts_expect(t, SEG(.seq = OUR_ISS, .flags = SYN));
	struct tcp_io io = ts_io(t);
	tcp_icmp(&t->x, &t->c, TCP_ICMP_HARD, OUR_ISS, 0, EACCES, &io, &t->a);
	ts_apply(t);
	cr_assert(t->closed);
	cr_assert_eq(t->err, EACCES);
}

Test(tcp_ip6, isn_covers_every_address_byte)
{
	struct tcp_tuple a, b;
	v6_tuple(&a);
	uint32_t base = tcp_isn(&t->x, &a, t->now);
	for (int i = 0; i < 16; i++) {
		b = a;
		b.raddr[i] ^= 0x40;
		cr_assert_neq(tcp_isn(&t->x, &b, t->now), base, "raddr byte %d ignored", i);
		b = a;
		b.laddr[i] ^= 0x40;
		cr_assert_neq(tcp_isn(&t->x, &b, t->now), base, "laddr byte %d ignored", i);
	}
	/* the same first 4 bytes as an IPv4 tuple is another tuple */
	b = a;
	b.family = AF_INET;
	cr_assert_neq(tcp_isn(&t->x, &b, t->now), base);
}

Test(tcp_ip6, syncookie_round_trip_and_tuple_binding)
{
	struct tcp_tuple tu;
	v6_tuple(&tu);
	tcp_listener_init(&t->l, 4, &t->so);
	struct tcp_seg syn = { .seq = seq_make(PEER_ISS), .flags = TCP_SYN, .wnd = 65535 };
	syn.opts.present = TCP_OPT_MSS;
	syn.opts.mss = 1440;
	cr_assert_eq(tcp_syncookie_reply(&t->x, &t->l, &tu, &syn, 1500, t->now, &t->a), 0);
	cr_assert_eq(t->a.nsegs, 1);
	struct tcp_out_seg *sa = &t->a.segs[0];
	cr_assert_eq(sa->flags, TCP_SYN | TCP_ACK);
	cr_assert_eq(sa->opts.mss, 1440, "our MSS over IPv6: %u", sa->opts.mss);
	struct tcp_seg ack = { .seq = seq_make(PEER_ISS + 1), .ack = seq_add(sa->seq, 1),
			       .flags = TCP_ACK, .wnd = 65535 };
	struct tcp_cookie_info info;
	cr_assert_eq(tcp_syncookie_check(&t->x, &tu, &ack, t->now, &info), 0);
	cr_assert(info.mss <= 1440 && info.mss >= 1220, "mss %u from the IPv6 table", info.mss);
	/* a different high byte of the peer's address: not its cookie */
	struct tcp_tuple other = tu;
	other.raddr[2] ^= 1;
	cr_assert_eq(tcp_syncookie_check(&t->x, &other, &ack, t->now, &info), -EINVAL);
}

Test(tcp_ip6, checksum_over_the_ipv6_pseudo_header)
{
	/* IPv6(src=2001:db8::1, dst=2001:db8::2)/TCP(sport=80, dport=40000,
	 * seq=1, ack=2, flags=PA, window=1000)/"hello", from scapy */
	static const uint8_t seg[] = {
		0x00, 0x50, 0x9c, 0x40, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x50,
		0x18, 0x03, 0xe8, 0x70, 0x05, 0x00, 0x00, 'h', 'e', 'l', 'l', 'o',
	};
	uint8_t src[16], dst[16], copy[sizeof(seg)];
	inet_pton(AF_INET6, "2001:db8::1", src);
	inet_pton(AF_INET6, "2001:db8::2", dst);
	/* receive side: the whole segment with its checksum sums to zero */
	cr_assert_eq(rs_csum_fold(rs_csum_pseudo6(src, dst, 6, sizeof(seg)) +
				  rs_csum_add(0, seg, sizeof(seg))),
		     0);
	/* send side: computed with the field zeroed, it is scapy's */
	memcpy(copy, seg, sizeof(seg));
	copy[16] = copy[17] = 0;
	uint16_t ck = rs_csum_fold(rs_csum_pseudo6(src, dst, 6, sizeof(copy)) +
				   rs_csum_add(0, copy, sizeof(copy)));
	cr_assert_eq(ck, 0x7005, "checksum %#x", ck);
	/* an address byte changed: the segment no longer verifies */
	dst[15] ^= 1;
	cr_assert_neq(rs_csum_fold(rs_csum_pseudo6(src, dst, 6, sizeof(seg)) +
				   rs_csum_add(0, seg, sizeof(seg))),
		      0);
}

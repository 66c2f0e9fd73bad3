/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_app_seeds DIR: writes a seed corpus for fuzz_app
 * (fuzz_app_format.h) into DIR: UDP sockets that receive and send, a TCP
 * listener that accepts a connection and exchanges data, an active open
 * answered by the peer, options of every kind, a listener whose owner dies
 * with connections not yet accepted, an application dying mid-handshake,
 * and a hostile application that
 * rewrites its ring indices, record headers and slot fields, sends bad
 * records, rings doorbells for other descriptors and hangs up mid-batch.
 * DPDK-free.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_app_format.h"

struct seed {
	uint8_t b[4096];
	size_t len;
};

static void put(struct seed *s, const void *d, size_t n)
{
	if (s->len + n > sizeof(s->b))
		abort();
	if (n == 0)
		return;
	memcpy(s->b + s->len, d, n);
	s->len += n;
}

static void put8(struct seed *s, uint8_t v) { put(s, &v, 1); }

enum { A = 0, B = 1 };
enum { S_SOCKET = 1, S_BIND, S_CONNECT, S_CLOSE, S_SETOPT, S_GETOPT, S_NAME, S_PEER, S_LISTEN,
       S_ACCEPT, S_SHUTDOWN };
/* fa_addrs indices */
enum { AD_ANY = 0, AD_LOCAL = 1, AD_PEER = 2, AD_LO = 3, AD_NONEIGH = 4, AD_ROUTED = 5 };
/* fa_ports indices */
enum { P_0 = 0, P_7000 = 1, P_7001 = 2, P_7002 = 3, P_9000 = 5 };

static void attach(struct seed *s, uint8_t app) { put8(s, FA_OP_ATTACH); put8(s, app); }
static void detach(struct seed *s, uint8_t app) { put8(s, FA_OP_DETACH); put8(s, app); }
static void poll_(struct seed *s, uint8_t n) { put8(s, FA_OP_POLL); put8(s, n); }

static void req(struct seed *s, uint8_t app, uint8_t op, uint8_t sd, uint8_t a0, uint8_t a1,
		uint8_t a2, uint8_t addr, uint8_t port, uint8_t flags, const void *opt,
		uint8_t optlen)
{
	uint8_t r[11] = { FA_OP_REQ, app, op, sd, a0, a1, a2, addr, port, flags, optlen };
	put(s, r, sizeof(r));
	put(s, opt, optlen);
}

static void sock_udp(struct seed *s, uint8_t app) { req(s, app, S_SOCKET, 0, 0, 0, 0, 0, 0, 0, NULL, 0); }
static void sock_tcp(struct seed *s, uint8_t app) { req(s, app, S_SOCKET, 0, 0, 1, 0, 0, 0, 0, NULL, 0); }

static void send_(struct seed *s, uint8_t app, uint8_t sd, uint16_t len, uint8_t addr,
		  uint8_t port, uint8_t flags)
{
	uint8_t r[8] = { FA_OP_SEND, app, sd, (uint8_t)len, (uint8_t)(len >> 8), addr, port, flags };
	put(s, r, sizeof(r));
}

static void recv_(struct seed *s, uint8_t app, uint8_t sd, uint8_t n)
{
	uint8_t r[4] = { FA_OP_RECV, app, sd, n };
	put(s, r, sizeof(r));
}

static void inject(struct seed *s, uint8_t kind, uint8_t sport, uint8_t dport, uint8_t tflags,
		   uint8_t reply, const char *pl)
{
	uint8_t n = (uint8_t)strlen(pl);
	uint8_t r[7] = { FA_OP_INJECT, kind, sport, dport, tflags, reply, n };
	put(s, r, sizeof(r));
	put(s, pl, n);
}

static void poke(struct seed *s, uint8_t region, uint8_t idx, uint16_t off, uint8_t wlog,
		 uint64_t v)
{
	uint8_t r[14] = { FA_OP_POKE, region, idx, (uint8_t)off, (uint8_t)(off >> 8), wlog };
	memcpy(r + 6, &v, 8);
	put(s, r, sizeof(r));
}

static void clock_(struct seed *s, uint16_t v)
{
	uint8_t r[3] = { FA_OP_CLOCK, (uint8_t)v, (uint8_t)(v >> 8) };
	put(s, r, sizeof(r));
}

static void save(const char *dir, const char *name, const struct seed *s)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(s->b, 1, s->len, f) != s->len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	const char *dir = argv[1];
	struct seed s;

	/* UDP: both apps, B bound to 7000 receives and answers */
	memset(&s, 0, sizeof(s));
	attach(&s, A);
	attach(&s, B);
	sock_udp(&s, B);
	req(&s, B, S_BIND, 0, 0, 0, 0, AD_ANY, P_7000, 0, NULL, 0);
	inject(&s, 0, P_9000, P_7000, 0, 0x80, "hello B");
	recv_(&s, B, 0, 4);
	send_(&s, B, 0, 100, AD_PEER, P_9000, FA_S_BELL);
	sock_udp(&s, A);
	req(&s, A, S_CONNECT, 0, 0, 0, 0, AD_PEER, P_9000, 0, NULL, 0);
	send_(&s, A, 0, 1400, AD_ANY, P_0, FA_S_BELL);
	poll_(&s, 1);
	save(dir, "udp_echo", &s);

	/* TCP passive: A listens on 7001, the peer connects, A accepts,
	 * data both ways, A closes */
	memset(&s, 0, sizeof(s));
	attach(&s, A);
	attach(&s, B);
	sock_tcp(&s, A);
	req(&s, A, S_BIND, 0, 0, 0, 0, AD_ANY, P_7001, 0, NULL, 0);
	req(&s, A, S_LISTEN, 0, 2, 0, 0, 0, 0, 0, NULL, 0);
	inject(&s, 1, P_9000, P_7001, 0x02, 0x80, "");
	inject(&s, 1, 0, 0, 0x10, 0, "");
	poll_(&s, 1);
	req(&s, A, S_ACCEPT, 0, 0, 0, 0, 0, 0, 0, NULL, 0);
	inject(&s, 1, 0, 0, 0x18, 0, "GET / HTTP/1.0\r\n\r\n");
	recv_(&s, A, 1, 4);
	send_(&s, A, 1, 3000, 0, 0, FA_S_BELL);
	inject(&s, 1, 0, 0, 0x10, 0, "");
	req(&s, A, S_SHUTDOWN, 1, 1, 0, 0, 0, 0, 0, NULL, 0);
	inject(&s, 1, 0, 0, 0x11, 0, "");
	req(&s, A, S_CLOSE, 1, 0, 0, 0, 0, 0, 0, NULL, 0);
	clock_(&s, 60000);
	save(dir, "tcp_passive", &s);

	/* TCP active from B, answered; A meanwhile hostile on its own */
	memset(&s, 0, sizeof(s));
	attach(&s, B);
	attach(&s, A);
	sock_tcp(&s, B);
	req(&s, B, S_CONNECT, 0, 0, 0, 0, AD_PEER, P_9000, 0, NULL, 0);
	inject(&s, 1, 0, 0, 0x12, 0, "");
	send_(&s, B, 0, 2000, 0, 0, FA_S_BELL);
	inject(&s, 1, 0, 0, 0x10, 0, "");
	sock_tcp(&s, A);
	poke(&s, FA_REG_SLOT, 0, 0, 3, 0xffffffffffffffffull);
	req(&s, A, S_CONNECT, 0, 0, 0, 0, AD_PEER, P_9000, 0, NULL, 0);
	poke(&s, FA_REG_SLOT, 0, 12 * 4, 2, 0x40);
	req(&s, A, S_CLOSE, 0, 0, 0, 0, 0, 0, 0, NULL, 0);
	inject(&s, 1, 0, 0, 0x19, 0, "bye");
	recv_(&s, B, 0, 8);
	req(&s, B, S_CLOSE, 0, 0, 0, 0, 0, 0, 0, NULL, 0);
	clock_(&s, 30000);
	save(dir, "tcp_active", &s);

	/* options of every kind on a UDP and a TCP socket */
	memset(&s, 0, sizeof(s));
	attach(&s, A);
	sock_udp(&s, A);
	sock_tcp(&s, A);
	static const uint8_t one[4] = { 1 }, big[4] = { 0xff, 0xff, 0xff, 0x7f };
	for (uint8_t o = 0; o < 26; o++) {
		req(&s, A, S_SETOPT, 0, o, 0, 0, 0, 0, 0, one, 4);
		req(&s, A, S_SETOPT, 1, o, 0, 0, 0, 0, 0, big, 4);
		req(&s, A, S_GETOPT, 1, o, 0, (uint8_t)(o % 8), 0, 0, 0, NULL, 0);
	}
	req(&s, A, S_SETOPT, 1, 22, 0, 0, 0, 0, 0, "cubic", 5);
	req(&s, A, S_SETOPT, 0, 7, 0, 0, 0, 0, 0, "port0", 5);
	req(&s, A, S_NAME, 0, 0, 0, 0, 0, 0, 0, NULL, 0);
	req(&s, A, S_PEER, 1, 0, 0, 0, 0, 0, 0, NULL, 0);
	save(dir, "options", &s);

	/* a listener with connections not yet accepted; its app dies */
	memset(&s, 0, sizeof(s));
	attach(&s, B);
	attach(&s, A);
	sock_tcp(&s, A);
	req(&s, A, S_SETOPT, 0, 0, 0, 0, 0, 0, 0, one, 4);
	req(&s, A, S_BIND, 0, 0, 0, 0, AD_LOCAL, P_7002, 0, NULL, 0);
	req(&s, A, S_LISTEN, 0, 1, 0, 0, 0, 0, 0, NULL, 0);
	inject(&s, 1, P_9000, P_7002, 0x02, 0x80, "");
	inject(&s, 1, 0, 0, 0x10, 0, "early data");
	inject(&s, 1, 6, P_7002, 0x02, 0x81, "");
	poll_(&s, 2);
	detach(&s, A);
	sock_tcp(&s, B);
	req(&s, B, S_BIND, 0, 0, 0, 0, AD_ANY, P_7002, 0, NULL, 0);
	req(&s, B, S_LISTEN, 0, 2, 0, 0, 0, 0, 0, NULL, 0);
	save(dir, "listener_dies", &s);

	/* the app dies with a child half open, another established and
	 * accepted, the peer still talking */
	memset(&s, 0, sizeof(s));
	attach(&s, A);
	attach(&s, B);
	sock_tcp(&s, A);
	req(&s, A, S_BIND, 0, 0, 0, 0, AD_ANY, P_7001, 0, NULL, 0);
	req(&s, A, S_LISTEN, 0, 2, 0, 0, 0, 0, 0, NULL, 0);
	inject(&s, 1, P_9000, P_7001, 0x02, 0x80, "");
	inject(&s, 1, 0, 0, 0x10, 0, "");
	req(&s, A, S_ACCEPT, 0, 0, 0, 0, 0, 0, 0, NULL, 0);
	inject(&s, 1, 6, P_7001, 0x02, 0x90, "");
	detach(&s, A);
	inject(&s, 1, 0, 0, 0x10, 0, "");
	inject(&s, 1, 0, 1, 0x18, 1, "late");
	poll_(&s, 3);
	save(dir, "app_dies_mid_handshake", &s);

	/* hostile: a batch without kicks, rewritten indices and records, raw
	 * doorbells, a wrong kick count, then a hang-up mid-batch */
	memset(&s, 0, sizeof(s));
	attach(&s, A);
	attach(&s, B);
	sock_udp(&s, B);
	req(&s, B, S_BIND, 0, 0, 0, 0, AD_ANY, P_7000, 0, NULL, 0);
	sock_udp(&s, A);
	req(&s, A, S_BIND, 0, 0, 0, 0, AD_ANY, P_0, FA_R_NOKICK, NULL, 0);
	req(&s, A, S_CLOSE, 0, 0, 0, 0, 0, 0, FA_R_NOKICK, NULL, 0);
	req(&s, A, S_BIND, 0, 0, 0, 0, AD_ANY, P_7001, FA_R_NOKICK, NULL, 0);
	put8(&s, FA_OP_KICK);
	put8(&s, A);
	put8(&s, 7);
	sock_udp(&s, A);
	send_(&s, A, 0, 200, AD_PEER, P_9000, FA_S_BADMETA);
	poke(&s, FA_REG_RINGDATA, 0, 0, 2, 0x7fffffff);
	{
		uint8_t r[7] = { FA_OP_BELL, A, 0, 0, 0, 0, 0 };
		put(&s, r, sizeof(r));
		r[2] = 0x85;
		r[3] = 63;
		put(&s, r, sizeof(r));
	}
	poke(&s, FA_REG_HDR, 0, 40, 3, 0x1000);
	poke(&s, FA_REG_CTRL, 0, 64, 2, 0xdeadbeef);
	poke(&s, FA_REG_BELL, 0, 0, 2, 0x100);
	sock_tcp(&s, A);
	req(&s, A, S_LISTEN, 0xf5, 0, 0, 0, 0, 0, FA_R_RAWARGS, NULL, 0);
	req(&s, A, S_SOCKET, 0, 0x20, 0x30, 0xff, 0, 0, FA_R_RAWARGS | FA_R_NOKICK, NULL, 0);
	inject(&s, 0, P_9000, P_7000, 0, 0x80, "to B");
	recv_(&s, B, 0, 2);
	detach(&s, A);
	save(dir, "hostile", &s);
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_tcp_seeds DIR: writes a few inputs for fuzz_tcp that walk the
 * common paths (an active open with data both ways and a close; a passive
 * open; a SYN cookie handshake; SACK and loss), so that a short run starts
 * from connections that exist rather than from random bytes. The encoding
 * is fuzz_tcp.c's (operations, see LLVMFuzzerTestOneInput there).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf {
	uint8_t b[4096];
	size_t n;
};

static void b8(struct buf *s, unsigned v) { s->b[s->n++] = (uint8_t)v; }
static void b16(struct buf *s, unsigned v)
{
	b8(s, v >> 8);
	b8(s, v);
}
static void b32(struct buf *s, uint32_t v)
{
	b16(s, v >> 16);
	b16(s, v & 0xffff);
}

/* operations (fuzz_tcp.c) */
enum { OP_SEG = 0, OP_SYN = 3, OP_COOKIE = 4, OP_ADV = 5, OP_APP = 6, OP_CONNECT = 7 };
enum { APP_WRITE = 0, APP_READ = 1, APP_CLOSE = 2, APP_SHUT = 3 };

#define F_FIN 0x01
#define F_SYN 0x02
#define F_PSH 0x08
#define F_ACK 0x10

static void
connect(struct buf *s, uint32_t iss)
{
	b8(s, OP_CONNECT);
	b8(s, 0);     /* peer port 1000 */
	b8(s, 1);     /* a given ISN */
	b32(s, iss);
	b16(s, 0);    /* ring: the default */
	b8(s, 1);     /* TCP_NODELAY */
	b16(s, 924);  /* MTU 1500 */
}

/* a segment to connection 0: seq = RCV.NXT, ack = SND.NXT (or SND.UNA +
 * acked), with timestamps, optional SACK block and payload */
static void
seg(struct buf *s, unsigned flags, int acked, unsigned len, int sack_from, int sack_len)
{
	b8(s, OP_SEG);
	b8(s, 0);
	b8(s, flags);
	unsigned modes = 0x10 | 0x80; /* window, options; seq mode 0 */
	if (acked >= 0)
		modes |= 1 << 2;      /* ack = SND.UNA + u16 */
	if (len)
		modes |= 0x40;
	b8(s, modes);
	b8(s, 0);                     /* seq: RCV.NXT + 0 */
	if (acked >= 0)
		b16(s, (unsigned)acked);
	else
		b8(s, 1);             /* ack: SND.NXT */
	b16(s, 65535);                /* window */
	if (len)
		b16(s, len);
	unsigned om = 2 | (sack_from >= 0 ? 4 : 0);
	b8(s, om);
	b32(s, 200);                  /* tsval */
	b8(s, 0);                     /* tsecr: our clock */
	if (sack_from >= 0) {
		b8(s, 1);
		b8(s, (unsigned)sack_from);
		b8(s, 0);
		b8(s, (unsigned)sack_len);
	}
}

static void
synack(struct buf *s)
{
	b8(s, OP_SEG);
	b8(s, 0);
	b8(s, F_SYN | F_ACK);
	b8(s, 3 | 0x10 | 0x80);       /* seq absolute, ack SND.NXT */
	b32(s, 5000);
	b8(s, 1);
	b16(s, 65535);
	b8(s, 2 | 8 | 16 | 32);       /* TS, MSS, WS, SACK-permitted */
	b32(s, 100);
	b8(s, 0);
	b16(s, 1460);
	b8(s, 7);
}

static void
adv(struct buf *s, unsigned v, unsigned unit)
{
	b8(s, OP_ADV);
	b16(s, v);
	b8(s, unit);
}

static void
app(struct buf *s, unsigned op, unsigned arg)
{
	b8(s, OP_APP | op << 3);
	b8(s, 0);
	if (op == APP_WRITE || op == APP_READ)
		b16(s, arg);
	else if (op == APP_CLOSE) {
		b8(s, 0);
		b8(s, 0);
	} else if (op == APP_SHUT)
		b8(s, arg);
}

static void
syn_to_listener(struct buf *s, unsigned port, uint32_t seq)
{
	b8(s, OP_SYN);
	b8(s, port);
	b8(s, F_SYN);
	b8(s, 3 | (3 << 2) | 0x10 | 0x80); /* seq, ack absolute */
	b32(s, seq);
	b32(s, 0);
	b16(s, 65535);
	b8(s, 2 | 8 | 16 | 32);
	b32(s, 100);
	b32(s, 0);
	b16(s, 1460);
	b8(s, 7);
	b8(s, 55);   /* MTU */
	b8(s, 0);    /* take the slot */
	b16(s, 0);   /* ring: the default */
}

static void
save(const char *dir, const char *name, const struct buf *s)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(s->b, 1, s->n, f) != s->n) {
		perror(path);
		exit(1);
	}
	fclose(f);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	struct buf s;

	/* active open, data both ways, close, TIME-WAIT */
	memset(&s, 0, sizeof(s));
	b8(&s, 0x00);
	b8(&s, 0x20);
	connect(&s, 1000);
	synack(&s);
	app(&s, APP_WRITE, 6000);
	seg(&s, F_ACK | F_PSH, 2896, 1000, -1, 0);
	adv(&s, 50, 1);
	seg(&s, F_ACK, 6000, 500, -1, 0);
	app(&s, APP_READ, 1500);
	app(&s, APP_CLOSE, 0);
	seg(&s, F_ACK | F_FIN, -1, 0, -1, 0);
	adv(&s, 70, 2);
	save(argv[1], "active_open_close.bin", &s);

	/* passive open through the listener, data, FIN first */
	memset(&s, 0, sizeof(s));
	b8(&s, 0x00);
	b8(&s, 0x21);
	syn_to_listener(&s, 1, 9000);
	seg(&s, F_ACK, -1, 0, -1, 0);
	seg(&s, F_ACK | F_PSH, -1, 700, -1, 0);
	app(&s, APP_WRITE, 3000);
	adv(&s, 10, 1);
	seg(&s, F_ACK | F_FIN, -1, 0, -1, 0);
	app(&s, APP_CLOSE, 0);
	seg(&s, F_ACK, -1, 0, -1, 0);
	save(argv[1], "passive_open.bin", &s);

	/* SYN cookies always (syncookies = 2), the cookie ACK */
	memset(&s, 0, sizeof(s));
	b8(&s, 0x00);
	b8(&s, 0x22);
	syn_to_listener(&s, 2, 7000);
	b8(&s, OP_COOKIE);
	b8(&s, 2);
	b8(&s, 4 | 16);  /* with TS echo and data */
	b16(&s, 8000);
	b32(&s, 101);
	b16(&s, 300);
	seg(&s, F_ACK | F_PSH, -1, 100, -1, 0);
	save(argv[1], "syncookie.bin", &s);

	/* a bulk send with SACKed holes, losses, timeouts */
	memset(&s, 0, sizeof(s));
	b8(&s, 0x00);
	b8(&s, 0x20);
	connect(&s, 1000);
	synack(&s);
	app(&s, APP_WRITE, 19000);
	seg(&s, F_ACK, 0, 0, 1, 1);
	seg(&s, F_ACK, 0, 0, 1, 2);
	seg(&s, F_ACK, 0, 0, 1, 3);
	seg(&s, F_ACK, 0, 0, 5, 4);
	adv(&s, 300, 1);
	seg(&s, F_ACK, 2896, 0, 3, 3);
	adv(&s, 2, 2);
	seg(&s, F_ACK, 14000, 0, -1, 0);
	app(&s, APP_SHUT, 2);
	adv(&s, 100, 2);
	save(argv[1], "sack_loss.bin", &s);
	return 0;
}

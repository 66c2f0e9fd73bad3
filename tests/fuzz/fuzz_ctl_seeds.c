/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_ctl_seeds DIR: writes a seed corpus for fuzz_ctl (fuzz_ctl_format.h)
 * into DIR: every command of the dispatcher as an administrator, the same
 * refused to a non-administrator, frames cut in pieces, malformed frames
 * (bad magic, version, type, oversized length, NUL in a word, trailing
 * bytes), batches that stop at an error, a peer that does not read its
 * answers, and a link hot-plugged, used and removed. DPDK-free.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_proto.h"
#include "fuzz_ctl_format.h"
#include "util/rs_args.h"
#include "util/rs_bytes.h"

struct seed {
	uint8_t b[65536];
	size_t len;
};

static void put(struct seed *s, const void *d, size_t n)
{
	if (s->len + n > sizeof(s->b))
		abort();
	memcpy(s->b + s->len, d, n);
	s->len += n;
}

static void put8(struct seed *s, uint8_t v) { put(s, &v, 1); }

static int dict_index(const char *w)
{
	for (size_t i = 0; i < FC_NDICT; i++)
		if (strcmp(fc_dict[i], w) == 0)
			return (int)i;
	return -1;
}

/* A request record from a command line; words not in the dictionary are
 * spelled out. */
static void req(struct seed *s, uint8_t flags, const char *line)
{
	char copy[512], *argv[FC_MAX_WORDS + 1];
	const char *err;
	snprintf(copy, sizeof(copy), "%s", line);
	int argc = rs_args_split(copy, argv, FC_MAX_WORDS, &err);
	if (argc <= 0)
		abort();
	put8(s, FC_OP_REQ);
	put8(s, flags);
	put8(s, (uint8_t)(argc - 1));
	for (int i = 0; i < argc; i++) {
		int d = dict_index(argv[i]);
		if (d >= 0) {
			put8(s, (uint8_t)d);
		} else {
			put8(s, 0xff);
			put8(s, (uint8_t)strlen(argv[i]));
			put(s, argv[i], strlen(argv[i]));
		}
	}
}

static void raw(struct seed *s, const void *d, size_t n)
{
	uint8_t h[3] = { FC_OP_RAW, (uint8_t)n, (uint8_t)(n >> 8) };
	put(s, h, 3);
	put(s, d, n);
}

static void op1(struct seed *s, uint8_t op, uint8_t v)
{
	put8(s, op);
	put8(s, v);
}

static void frame_hdr(uint8_t *b, uint32_t magic, uint16_t ver, uint16_t type, uint32_t seq,
		      uint32_t len)
{
	rs_st32le(b, magic);
	rs_st16le(b + 4, ver);
	rs_st16le(b + 6, type);
	rs_st32le(b + 8, seq);
	rs_st32le(b + 12, len);
}

static int n_written;
static const char *dir;

static void save(struct seed *s, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(s->b, 1, s->len, f) != s->len || fclose(f) != 0) {
		fprintf(stderr, "fuzz_ctl_seeds: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	s->len = 0;
	n_written++;
}

static const char *const admin_cmds[] = {
	"link show", "link show port0", "link set port0 down", "link set port0 up",
	"link set port1 mtu 9000", "link set port1 mtu 68", "link set port0 forwarding off",
	"link set port0 address 02:00:00:00:00:09",
	"link set port0 impair loss 2% delay 20ms jitter 5ms reorder 5% duplicate 1% corrupt 0.1% seed 1",
	"link set port1 impair delay 10000 jitter 10000 direction out", "link set port0 impair off",
	"addr show", "addr show dev port1",
	"addr add 10.9.0.1/16 dev port1", "addr del 10.0.0.1/24 dev port0",
	"addr flush dev port0", "route show", "route show all", "route get 192.168.3.4",
	"route add 10.9.0.0/16 via 10.0.0.3", "route replace 10.9.0.0/16 via 10.2.0.2 dev port1",
	"route add default via 10.0.0.2 metric 10", "route del 192.168.0.0/16",
	"route add 10.8.0.0/16 nexthop via 10.0.0.2 nexthop via 10.0.0.3",
	"route add unreachable 10.7.0.0/16", "route add prohibit 10.6.0.0/16",
	"neigh show", "neigh add 10.0.0.3 lladdr 02:00:00:00:00:09 dev port0",
	"neigh del 10.0.0.2 dev port0", "neigh flush", "neigh flush dev port0", "stats",
	"stats show", "stats clear", "sock show",
};

int main(int argc, char **argv)
{
	static struct seed s;
	if (argc != 2) {
		fprintf(stderr, "usage: fuzz_ctl_seeds DIR\n");
		return 2;
	}
	dir = argv[1];
	char name[64];

	for (size_t i = 0; i < sizeof(admin_cmds) / sizeof(admin_cmds[0]); i++) {
		req(&s, 0, admin_cmds[i]);
		req(&s, CTL_F_JSON, "route show");
		snprintf(name, sizeof(name), "admin_%02zu", i);
		save(&s, name);
		/* the same from a non-administrator: refused or shown */
		op1(&s, FC_OP_CLIENT, 0);
		req(&s, CTL_F_JSON, admin_cmds[i]);
		snprintf(name, sizeof(name), "user_%02zu", i);
		save(&s, name);
	}

	/* a link hot-plugged, used and removed */
	req(&s, 0, "link add fz2 devargs net_null0");
	req(&s, 0, "addr add 10.2.0.1/24 dev fz2");
	req(&s, 0, "route add 10.9.0.0/16 via 10.2.0.2 dev fz2");
	req(&s, CTL_F_JSON, "link show");
	req(&s, 0, "link del fz2");
	save(&s, "hotplug");

	/* a batch stopping at its first failure */
	req(&s, CTL_F_STOP_ON_ERROR, "route add 10.9.0.0/16 via 10.0.0.2");
	req(&s, CTL_F_STOP_ON_ERROR, "route add 10.9.0.0/16 via 10.0.0.2");
	req(&s, CTL_F_STOP_ON_ERROR, "route del 10.9.0.0/16");
	save(&s, "batch_stop");

	/* a peer that does not read, then does */
	op1(&s, FC_OP_CLIENT, 0);
	op1(&s, FC_OP_READ, 0);
	for (int i = 0; i < 40; i++)
		req(&s, 0, "stats show");
	op1(&s, FC_OP_POLL, 15);
	op1(&s, FC_OP_READ, 1);
	save(&s, "backpressure");

	/* a frame written a few bytes at a time */
	op1(&s, FC_OP_CHUNK, 2);
	req(&s, 0, "route add 10.9.0.0/16 via 10.0.0.2");
	op1(&s, FC_OP_CHUNK, 255);
	req(&s, 0, "route show");
	save(&s, "chunks");

	/* malformed frames */
	uint8_t f[64];
	frame_hdr(f, 0x12345678, CTL_VERSION, CTL_T_REQUEST, 1, 0);
	raw(&s, f, CTL_HDR_LEN);
	save(&s, "bad_magic");
	frame_hdr(f, CTL_MAGIC, 9, CTL_T_REQUEST, 2, 0);
	raw(&s, f, CTL_HDR_LEN);
	save(&s, "bad_version");
	frame_hdr(f, CTL_MAGIC, CTL_VERSION, CTL_T_RESPONSE, 3, 8);
	memset(f + CTL_HDR_LEN, 0, 8);
	raw(&s, f, CTL_HDR_LEN + 8);
	save(&s, "response_type");
	frame_hdr(f, CTL_MAGIC, CTL_VERSION, CTL_T_REQUEST, 4, CTL_MAX_REQUEST + 1);
	raw(&s, f, CTL_HDR_LEN);
	save(&s, "oversized");
	frame_hdr(f, CTL_MAGIC, CTL_VERSION, CTL_T_REQUEST, 5, 14);
	rs_st16le(f + 16, 0);
	rs_st16le(f + 18, 2);
	rs_st16le(f + 20, 4);
	memcpy(f + 22, "li\0k", 4);
	rs_st16le(f + 26, 4);
	memcpy(f + 28, "show", 4);
	raw(&s, f, CTL_HDR_LEN + 14);
	req(&s, 0, "link show");
	save(&s, "nul_in_word");
	frame_hdr(f, CTL_MAGIC, CTL_VERSION, CTL_T_REQUEST, 6, 4);
	rs_st16le(f + 16, 0);
	rs_st16le(f + 18, 0);
	raw(&s, f, CTL_HDR_LEN + 4);
	save(&s, "argc_zero");
	frame_hdr(f, CTL_MAGIC, CTL_VERSION, CTL_T_ATTACH, 7, 8);
	memset(f + CTL_HDR_LEN, 0, 8);
	raw(&s, f, CTL_HDR_LEN + 8);
	req(&s, 0, "sock show");
	save(&s, "attach_dropped");
	/* a request cut short, the rest never sent */
	frame_hdr(f, CTL_MAGIC, CTL_VERSION, CTL_T_REQUEST, 8, 40);
	raw(&s, f, CTL_HDR_LEN + 6);
	save(&s, "partial");
	/* half-close after a request */
	req(&s, 0, "route show");
	op1(&s, FC_OP_CLIENT, FC_C_HALF | FC_C_ADMIN);
	req(&s, 0, "neigh show");
	save(&s, "half_close");
	fprintf(stderr, "fuzz_ctl_seeds: %d seeds in %s\n", n_written, dir);
	return 0;
}

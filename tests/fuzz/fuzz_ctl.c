/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_ctl: libFuzzer harness for the management protocol: the control
 * server's framing and decoding (lib/ctl/ctl_server.c, ctl_proto.c) and the
 * command dispatcher (lib/ctl/cmd*.c), driven through a real connection.
 *
 * Set-up (LLVMFuzzerInitialize), as fuzz_rx: the EAL without hugepages or
 * PCI, two net_ring ports, the dataplane with one worker whose graph runs
 * on this thread, a small configuration (base_cmds below), and the control
 * server with small bounds so that inputs of a few kilobytes reach them.
 * Each input (format: fuzz_ctl_format.h) plays one or more clients over
 * socketpairs handed to the server (ctl_server_adopt), administrators or
 * not: raw bytes (partial frames, oversized lengths, garbage), requests
 * built from a dictionary of every command's words and random bytes,
 * rounds of the control loop, clock steps, reads switched off (backpressure)
 * and writes cut in small pieces.
 *
 * What the harness may not let through: a `link add` probes any DPDK
 * device its devargs name (net_pcap writes files, net_tap makes kernel
 * interfaces), so its devargs become net_null0 or net_null1; and the two
 * base links are never deleted (their rings are the harness's). Attach
 * frames (an application's socket library) are dropped: hostile
 * applications are another harness's subject. The filter decodes the
 * stream with the daemon's own codec, so it sees the frames the daemon
 * will see.
 *
 * Oracles, besides ASan/UBSan:
 *  - every answer is a well-formed response frame, answers come in the
 *    order of the requests, one per request frame the daemon could read,
 *    and the daemon hangs up only after a frame it cannot parse, a
 *    half-close, or (non-administrator not reading) its output cap;
 *  - while a non-administrator is connected nothing changes: configuration
 *    generation, routes, next hops;
 *  - after every input the configuration is put back (links, addresses,
 *    routes, neighbors, then base_cmds again) and must read exactly as
 *    after set-up (link/addr/route/neigh show, route and next-hop counts),
 *    every mbuf is back in the pool, and the server holds no client.
 *
 * Environment: FUZZ_CTL_PREFIX (DPDK --file-prefix stem), FUZZ_CTL_VERBOSE=1.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "arp/neigh_ctl.h"
#include "core/dp.h"
#include "core/module.h"
#include "ctl/cmd.h"
#include "eth/impair_dp.h"
#include "ctl/ctl_proto.h"
#include "ctl/ctl_server.h"
#include "fuzz_ctl_format.h"
#include "route/fib4.h"
#include "util/rs_bytes.h"
#include "util/rs_json.h"
#include "util/rs_log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "\nfuzz_ctl: INVARIANT VIOLATED: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

/* ---- the dataplane ---- */

#define FC_NPORTS 2
static struct {
	uint16_t id;
	struct rte_ring *rx, *tx;
} ports[FC_NPORTS];
static struct rs_worker *wk;
static unsigned base_avail;

static const char *const base_cmds[] = {
	"link set port0 up",
	"link set port1 up",
	"link set port0 mtu 1500",
	"link set port1 mtu 1280",
	"link set port0 forwarding auto",
	"link set port1 forwarding auto",
	"link set port0 address 02:52:53:00:00:01",
	"link set port1 address 02:52:53:00:00:02",
	"link set port0 impair off",
	"link set port1 impair off",
	"addr add 10.0.0.1/24 dev port0",
	"addr add 10.1.0.1/16 dev port0",
	"addr add 10.2.0.1/24 dev port1",
	"neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev port0",
	"route add 192.168.0.0/16 via 10.0.0.2",
	"route add 203.0.113.0/24 via 10.2.0.2 metric 5",
	"route add blackhole 198.51.100.0/24",
	"route add 100.64.0.0/10 nexthop via 10.0.0.2 nexthop via 10.2.0.2",
};

static void drain_tx(void)
{
	struct rte_mbuf *pkts[64];
	unsigned n;
	for (unsigned p = 0; p < FC_NPORTS; p++)
		while ((n = rte_ring_sc_dequeue_burst(ports[p].tx, (void **)pkts, RTE_DIM(pkts),
						      NULL)) > 0)
			rte_pktmbuf_free_bulk(pkts, n);
}

static void pump(void)
{
	for (int i = 0; i < 64; i++) {
		rs_worker_poll_once(wk);
		drain_tx();
		if (rte_ring_count(wk->from_ctl) == 0)
			break;
	}
}

/* Runs one command as the daemon's --config would; NULL on success, else
 * its error. out gets its output. */
static const char *run_words(int argc, char **argv, struct rs_buf *out)
{
	struct cmd_ctx ctx = { .json = false, .out = out };
	int rc = cmd_exec(&ctx, argc, argv);
	if (rc < 0) {
		free(rs_dp.staging);
		rs_dp.staging = NULL;
		return rs_err_get();
	}
	rs_cfg_commit();
	pump();
	return NULL;
}

static const char *run_line(const char *line, struct rs_buf *out)
{
	char copy[256], *argv[32];
	int argc = 0;
	snprintf(copy, sizeof(copy), "%s", line);
	for (char *t = strtok(copy, " "); t != NULL && argc < 31; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	return run_words(argc, argv, out);
}

static void must(const char *line)
{
	struct rs_buf out;
	rs_buf_init(&out);
	const char *err = run_line(line, &out);
	if (err != NULL)
		fail("\"%s\" failed while putting the configuration back: %s", line, err);
	rs_buf_free(&out);
}

/* ---- the configuration as it reads, to compare after each input ---- */

struct snapshot {
	char *text;      /* show outputs, each sorted by line */
	uint32_t routes;
	uint32_t nh_free;
	uint32_t neighbors;
};
static struct snapshot base_snap;
static uint64_t base_gen; /* generation of the configuration as last put back */

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void show_sorted(const char *cmd, struct rs_buf *all)
{
	struct rs_buf out;
	rs_buf_init(&out);
	const char *err = run_line(cmd, &out);
	if (err != NULL)
		fail("\"%s\": %s", cmd, err);
	char *lines[4096];
	unsigned n = 0;
	for (char *save = NULL, *l = strtok_r(out.s ? out.s : (char[]){ 0 }, "\n", &save);
	     l != NULL && n < RTE_DIM(lines); l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	qsort(lines, n, sizeof(lines[0]), cmp_line);
	rs_buf_printf(all, "== %s\n", cmd);
	for (unsigned i = 0; i < n; i++)
		rs_buf_printf(all, "%s\n", lines[i]);
	rs_buf_free(&out);
}

static void snapshot(struct snapshot *s)
{
	struct rs_buf all;
	rs_buf_init(&all);
	show_sorted("link show", &all);
	show_sorted("addr show", &all);
	show_sorted("route show all", &all);
	show_sorted("neigh show", &all);
	free(s->text);
	s->text = strdup(all.s ? all.s : "");
	rs_buf_free(&all);
	s->routes = fib4_count();
	s->nh_free = fib4_nh_free_count();
	s->neighbors = neigh_ctl_count();
}

/* ---- putting the configuration back ---- */

struct route_key {
	uint32_t prefix;
	uint8_t plen;
};

static void collect_route(void *arg, const struct route4 *r, bool installed)
{
	struct rs_buf *b = arg;
	struct route_key k = { r->prefix, r->plen };
	rs_buf_append(b, (const char *)&k, sizeof(k));
}

static void reset_config(void)
{
	const struct rs_cfg *c = rs_cfg_current();
	char line[96];
	for (unsigned i = 0; i < RS_MAX_IFACES; i++) {
		if (!c->ifaces[i].present || i == ports[0].id || i == ports[1].id ||
		    i == RS_LO_IFACE)
			continue;
		snprintf(line, sizeof(line), "link del %s", c->ifaces[i].name);
		must(line);
		c = rs_cfg_current();
	}
	must("addr flush dev port0");
	must("addr flush dev port1");
	/* lo always exists: put its state back as dp_init made it */
	must("addr flush dev lo");
	must("addr add 127.0.0.1/8 dev lo");
	must("link set lo up");
	struct rs_buf keys;
	rs_buf_init(&keys);
	fib4_foreach(collect_route, &keys);
	for (size_t off = 0; off + sizeof(struct route_key) <= keys.len;
	     off += sizeof(struct route_key)) {
		struct route_key k;
		memcpy(&k, keys.s + off, sizeof(k));
		fib4_route_del(k.prefix, k.plen, -1, -1, FIB4_ANY_IFACE, 0); /* -ESRCH: done */
	}
	rs_buf_free(&keys);
	for (unsigned p = 0; p < FC_NPORTS; p++)
		neigh_ctl_flush(ports[p].id, true);
	rs_sync();
	for (unsigned i = 0; i < RTE_DIM(base_cmds); i++)
		must(base_cmds[i]);
	/* timers run past every resolution, so queued packets are gone */
	for (int i = 0; i < 2; i++) {
		rs_dp.clock_offset_ns += 10ull * 1000000000ull;
		ctl_poll_workers();
		pump();
	}
	/* packets an impairment held (up to 20 s) are all released */
	for (int i = 0; i < 4096 && impair_held() != 0; i++) {
		rs_dp.clock_offset_ns += 30ull * 1000000000ull;
		pump();
	}
}

/* ---- one connection to the control server ---- */

#define FC_WBUF (1u << 20)
#define FC_EXP 8192

struct conn {
	int fd;             /* our end; -1 when none */
	bool admin;
	bool reading;       /* we read answers as they come */
	bool ever_unread;   /* reading was off at some point */
	bool desync;        /* a frame the daemon cannot parse went out */
	bool half;          /* we shut down our writing side */
	bool eof;           /* the daemon hung up */
	bool truncated;     /* more than FC_WBUF pending: bytes were thrown away */
	size_t chunk;       /* bytes per write */
	/* the filter: bytes not yet a whole frame */
	uint8_t sbuf[CTL_HDR_LEN + CTL_MAX_REQUEST + 64];
	size_t slen;
	/* bytes for the daemon, not written yet: wbuf[woff, wlen) */
	uint8_t *wbuf;
	size_t wlen, woff;
	uint64_t wbase;     /* stream offset of wbuf[0] */
	/* answers expected, in order: seq and the stream offset at which the
	 * request's last byte went out */
	struct {
		uint32_t seq;
		uint64_t end;
	} exp[FC_EXP];
	unsigned ehead, en;
	/* answers read, not parsed yet */
	uint8_t *rbuf;
	size_t rlen, rcap;
	/* a non-administrator's view of the state, which must not move */
	uint64_t gen;
	uint32_t routes, nh_free;
};

static struct conn cn = { .fd = -1 };
static struct ctl_request req; /* large: static */
static uint64_t n_inputs, n_requests, n_answers;

static void emit(const uint8_t *d, size_t n)
{
	if (cn.wlen + n > FC_WBUF) {
		/* the input wrote more than a megabyte the daemon would not
		 * take: what is left is never sent */
		if (cn.wlen - cn.woff + n > FC_WBUF) {
			n = FC_WBUF - (cn.wlen - cn.woff);
			cn.truncated = true;
		}
		memmove(cn.wbuf, cn.wbuf + cn.woff, cn.wlen - cn.woff);
		cn.wbase += cn.woff;
		cn.wlen -= cn.woff;
		cn.woff = 0;
	}
	memcpy(cn.wbuf + cn.wlen, d, n);
	cn.wlen += n;
}

static void expect(uint32_t seq)
{
	if (cn.en == FC_EXP)
		return; /* more than we track: later answers are not checked */
	unsigned i = (cn.ehead + cn.en) % FC_EXP;
	cn.exp[i].seq = seq;
	cn.exp[i].end = cn.wbase + cn.wlen;
	cn.en++;
}

static char devargs_buf[16];
static char del_name[] = "nosuchlink";

/* See the top comment: what may not reach the dispatcher as it is. */
static bool rewrite(struct ctl_request *r)
{
	if (r->argc == 5 && cmd_is(r->argv[0], "link", 1) && cmd_is(r->argv[1], "add", 1) &&
	    strcmp(r->argv[3], "devargs") == 0) {
		snprintf(devargs_buf, sizeof(devargs_buf), "net_null%u",
			 (unsigned)(uint8_t)r->argv[4][0] % 2);
		r->argv[4] = devargs_buf;
		return true;
	}
	if (r->argc >= 3 && cmd_is(r->argv[0], "link", 1) &&
	    (cmd_is(r->argv[1], "del", 1) || cmd_is(r->argv[1], "delete", 1)) &&
	    (strcmp(r->argv[2], "port0") == 0 || strcmp(r->argv[2], "port1") == 0)) {
		r->argv[2] = del_name;
		return true;
	}
	return false;
}

/* The filter: frames as the daemon will cut them (ctl_server.c). */
static void feed(const uint8_t *d, size_t n)
{
	if (cn.desync || cn.half) {
		if (!cn.half)
			emit(d, n);
		return;
	}
	while (n > 0) {
		size_t take = sizeof(cn.sbuf) - cn.slen < n ? sizeof(cn.sbuf) - cn.slen : n;
		memcpy(cn.sbuf + cn.slen, d, take);
		cn.slen += take;
		d += take;
		n -= take;
		while (!cn.desync && cn.slen >= CTL_HDR_LEN) {
			struct ctl_hdr h;
			int rc = ctl_hdr_decode(cn.sbuf, &h);
			if (rc < 0 || (h.type != CTL_T_REQUEST && h.type != CTL_T_ATTACH)) {
				/* answered, then the daemon hangs up */
				emit(cn.sbuf, cn.slen);
				expect(h.seq);
				cn.slen = 0;
				cn.desync = true;
				break;
			}
			size_t flen = CTL_HDR_LEN + h.len;
			if (cn.slen < flen)
				break;
			if (h.type == CTL_T_REQUEST) {
				uint8_t tmp[CTL_HDR_LEN + CTL_MAX_REQUEST];
				if (ctl_request_decode(cn.sbuf + CTL_HDR_LEN, h.len, &req) == 0 &&
				    rewrite(&req)) {
					int m = ctl_request_encode(tmp, sizeof(tmp), h.seq, req.flags,
								   req.argc,
								   (const char *const *)req.argv);
					if (m < 0)
						fail("re-encoding a rewritten request: %d", m);
					emit(tmp, (size_t)m);
				} else {
					emit(cn.sbuf, flen);
				}
				expect(h.seq);
				n_requests++;
			}
			/* attach frames are dropped (see the top comment) */
			memmove(cn.sbuf, cn.sbuf + flen, cn.slen - flen);
			cn.slen -= flen;
		}
		if (cn.desync && n > 0) {
			emit(d, n);
			return;
		}
	}
}

static void check_answers(void)
{
	size_t off = 0;
	while (cn.rlen - off >= CTL_HDR_LEN) {
		struct ctl_hdr h;
		if (ctl_hdr_decode(cn.rbuf + off, &h) < 0 || h.type != CTL_T_RESPONSE)
			fail("the daemon sent a malformed frame header");
		if (cn.rlen - off < CTL_HDR_LEN + (size_t)h.len)
			break;
		int32_t status;
		const char *out;
		size_t outlen;
		if (ctl_response_decode(cn.rbuf + off + CTL_HDR_LEN, h.len, &status, &out,
					&outlen) < 0)
			fail("the daemon sent a malformed response body (seq %u)", h.seq);
		if (status != 0 && (outlen == 0 || memchr(out, '\n', outlen) != NULL))
			fail("an error without its one-line message (status %d)", status);
		if (cn.en > 0) {
			if (h.seq != cn.exp[cn.ehead].seq)
				fail("answer seq %u, expected %u: out of order or missing", h.seq,
				     cn.exp[cn.ehead].seq);
			cn.ehead = (cn.ehead + 1) % FC_EXP;
			cn.en--;
		} else if (!cn.desync) {
			fail("an answer (seq %u) to no request", h.seq);
		}
		n_answers++;
		off += CTL_HDR_LEN + h.len;
	}
	memmove(cn.rbuf, cn.rbuf + off, cn.rlen - off);
	cn.rlen -= off;
}

static void read_answers(void)
{
	while (cn.fd >= 0 && !cn.eof) {
		if (cn.rcap - cn.rlen < 65536) {
			cn.rcap = cn.rcap ? cn.rcap * 2 : 262144;
			cn.rbuf = realloc(cn.rbuf, cn.rcap);
			if (cn.rbuf == NULL)
				abort();
		}
		ssize_t n = read(cn.fd, cn.rbuf + cn.rlen, cn.rcap - cn.rlen);
		if (n < 0) {
			if (errno != EAGAIN)
				cn.eof = true;
			break;
		}
		if (n == 0) {
			cn.eof = true;
			break;
		}
		cn.rlen += (size_t)n;
		check_answers();
	}
	if (cn.eof && !cn.desync && !cn.half && !(cn.ever_unread && !cn.admin))
		fail("the daemon hung up on a well-behaved client");
}

static void check_unchanged(void)
{
	if (cn.fd < 0 || cn.admin)
		return;
	/* versions the control thread's ticks published (DAD finishing on an
	 * address an administrator added earlier) are time passing, not a
	 * change by this client */
	uint64_t gen = rs_cfg_current()->gen - rs_modules_tick_cfg_changes;
	if (gen != cn.gen || fib4_count() != cn.routes ||
	    fib4_nh_free_count() != cn.nh_free)
		fail("a non-administrator changed the configuration (generation %" PRIu64
		     " -> %" PRIu64 ", routes %u -> %u)",
		     cn.gen, gen, cn.routes, fib4_count());
}

static void server_round(void)
{
	if (ctl_server_poll(0) < 0)
		fail("ctl_server_poll failed");
	pump();
	check_unchanged();
	if (cn.reading)
		read_answers();
}

/* Writes what is pending, chunk by chunk, with rounds of the server in
 * between; gives up (for now) when the daemon stops taking bytes. */
static void write_pending(void)
{
	int stuck = 0;
	while (cn.fd >= 0 && !cn.eof && cn.woff < cn.wlen && stuck < 8) {
		size_t n = cn.wlen - cn.woff;
		if (n > cn.chunk)
			n = cn.chunk;
		ssize_t w = send(cn.fd, cn.wbuf + cn.woff, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			cn.woff += (size_t)w;
			stuck = 0;
		} else if (w < 0 && errno != EAGAIN) {
			cn.eof = true; /* the daemon hung up: read_answers judges it */
			break;
		} else {
			stuck++;
		}
		server_round();
	}
}

static void conn_close(void)
{
	if (cn.fd < 0)
		return;
	close(cn.fd);
	cn.fd = -1;
	/* the daemon notices the hang-up and lets the client go */
	struct ctl_server_stats st;
	for (int i = 0; i < 64; i++) {
		server_round();
		ctl_server_get_stats(&st);
		if (st.clients == 0)
			return;
	}
	fail("the daemon still holds %u client(s) after they hung up", st.clients);
}

static void conn_open(bool admin)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		fail("socketpair: %s", strerror(errno));
	uint8_t *wbuf = cn.wbuf, *rbuf = cn.rbuf;
	size_t rcap = cn.rcap;
	memset(&cn, 0, offsetof(struct conn, sbuf));
	cn.slen = cn.wlen = cn.woff = cn.wbase = 0;
	cn.ehead = cn.en = 0;
	cn.rlen = 0;
	cn.wbuf = wbuf;
	cn.rbuf = rbuf;
	cn.rcap = rcap;
	cn.fd = sv[1];
	cn.admin = admin;
	cn.reading = true;
	cn.chunk = 65536;
	rs_sync(); /* what earlier clients freed is free now */
	if (ctl_server_adopt(sv[0], admin ? 0 : 4242, admin) < 0)
		fail("ctl_server_adopt refused a connection");
	cn.gen = rs_cfg_current()->gen - rs_modules_tick_cfg_changes;
	cn.routes = fib4_count();
	cn.nh_free = fib4_nh_free_count();
}

/* Reads every answer still to come; checks each request the daemon could
 * read was answered. */
static void conn_finish(void)
{
	cn.reading = true;
	write_pending();
	for (int i = 0; i < 256 && cn.fd >= 0 && !cn.eof; i++) {
		unsigned before = cn.en;
		server_round();
		if (cn.woff < cn.wlen)
			write_pending();
		else if (cn.en == 0 || (cn.en == before && i > 32))
			break;
	}
	if (cn.eof || cn.desync || cn.truncated)
		return;
	/* every request whose last byte went out has its answer */
	if (cn.en > 0 && cn.exp[cn.ehead].end <= cn.wbase + cn.woff)
		fail("request seq %u was sent whole but never answered (%u pending)",
		     cn.exp[cn.ehead].seq, cn.en);
}

/* ---- the input ---- */

static size_t take(const uint8_t *d, size_t size, size_t *i, size_t n)
{
	if (size - *i < n)
		return 0;
	size_t at = *i;
	*i += n;
	return at + 1; /* 0 means "not there" */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i = 0, at;
	uint32_t seq = 1;
	n_inputs++;
	conn_open(true);
	while (i < size) {
		uint8_t op = data[i++] % FC_NOPS;
		switch (op) {
		case FC_OP_RAW: {
			if (!(at = take(data, size, &i, 2)))
				goto done;
			size_t n = rs_ld16le(data + at - 1);
			if (n > size - i)
				n = size - i;
			feed(data + i, n);
			i += n;
			write_pending();
			break;
		}
		case FC_OP_REQ: {
			if (!(at = take(data, size, &i, 2)))
				goto done;
			uint16_t flags = data[at - 1] & (CTL_F_JSON | CTL_F_STOP_ON_ERROR);
			unsigned argc = data[at] % FC_MAX_WORDS + 1;
			static char words[FC_MAX_WORDS][256];
			const char *argv[FC_MAX_WORDS + 1];
			for (unsigned w = 0; w < argc; w++) {
				if (!(at = take(data, size, &i, 1)))
					goto done;
				uint8_t sel = data[at - 1];
				if (sel < FC_NDICT) {
					argv[w] = fc_dict[sel];
					continue;
				}
				if (!(at = take(data, size, &i, 1)))
					goto done;
				size_t n = data[at - 1];
				if (n > size - i)
					n = size - i;
				/* a word may not hold NUL: those bytes end it early */
				memcpy(words[w], data + i, n);
				words[w][n] = '\0';
				i += n;
				argv[w] = words[w];
			}
			uint8_t frame[CTL_HDR_LEN + CTL_MAX_REQUEST];
			int m = ctl_request_encode(frame, sizeof(frame), seq++, flags, (int)argc, argv);
			if (m > 0)
				feed(frame, (size_t)m);
			write_pending();
			break;
		}
		case FC_OP_POLL: {
			if (!(at = take(data, size, &i, 1)))
				goto done;
			for (unsigned r = 0; r <= data[at - 1] % 16; r++)
				server_round();
			write_pending();
			break;
		}
		case FC_OP_CLIENT: {
			if (!(at = take(data, size, &i, 1)))
				goto done;
			uint8_t f = data[at - 1];
			if (f & FC_C_HALF) {
				write_pending();
				shutdown(cn.fd, SHUT_WR);
				cn.half = true;
			}
			conn_finish();
			conn_close();
			conn_open(f & FC_C_ADMIN);
			break;
		}
		case FC_OP_READ:
			if (!(at = take(data, size, &i, 1)))
				goto done;
			cn.reading = data[at - 1] & 1;
			cn.ever_unread |= !cn.reading;
			if (cn.reading)
				read_answers();
			break;
		case FC_OP_CLOCK:
			if (!(at = take(data, size, &i, 2)))
				goto done;
			rs_dp.clock_offset_ns += (uint64_t)rs_ld16le(data + at - 1) * 1000000ull;
			server_round();
			break;
		case FC_OP_CHUNK:
			if (!(at = take(data, size, &i, 1)))
				goto done;
			cn.chunk = (size_t)data[at - 1] + 1;
			break;
		}
	}
done:
	conn_finish();
	conn_close();

	/* most inputs change nothing: put the configuration back only when
	 * it reads otherwise (its reading is what is checked either way) */
	struct snapshot now = { 0 };
	snapshot(&now);
	if (strcmp(now.text, base_snap.text) != 0 || now.routes != base_snap.routes ||
	    now.nh_free != base_snap.nh_free || now.neighbors != base_snap.neighbors ||
	    rs_cfg_current()->gen != base_gen) {
		reset_config();
		snapshot(&now);
		base_gen = rs_cfg_current()->gen;
	}
	if (strcmp(now.text, base_snap.text) != 0)
		fail("the configuration does not read as after set-up once put back:\n"
		     "---- now ----\n%s---- at set-up ----\n%s",
		     now.text, base_snap.text);
	if (now.routes != base_snap.routes || now.nh_free != base_snap.nh_free)
		fail("routes %u (%u at set-up), free next hops %u (%u at set-up): a leak",
		     now.routes, base_snap.routes, now.nh_free, base_snap.nh_free);
	if (now.neighbors != base_snap.neighbors)
		fail("%u neighbor entries, %u at set-up", now.neighbors, base_snap.neighbors);
	free(now.text);
	unsigned avail = rte_mempool_avail_count(rs_dp.pool);
	if (avail != base_avail)
		fail("%u mbufs free, %u at set-up", avail, base_avail);
	return 0;
}

/* ---- set-up ---- */

static char sock_path[64];

static void at_exit(void)
{
	if (getenv("FUZZ_CTL_VERBOSE") != NULL)
		fprintf(stderr, "fuzz_ctl: %" PRIu64 " inputs, %" PRIu64 " requests, %" PRIu64
			" answers\n", n_inputs, n_requests, n_answers);
	ctl_server_close();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char prefix[64];
	const char *env = getenv("FUZZ_CTL_PREFIX");
	snprintf(prefix, sizeof(prefix), "--file-prefix=%s%d", env && *env ? env : "fuzzctl",
		 (int)getpid());
	bool verbose = getenv("FUZZ_CTL_VERBOSE") != NULL;
	char *eal[] = {
		"fuzz_ctl", "-l", "0,1", "--no-huge", "--no-pci", "-m", "256", prefix,
		verbose ? "--log-level=*:info" : "--log-level=*:error", "--no-telemetry", NULL,
	};
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "fuzz_ctl: rte_eal_init: %s\n", rte_strerror(rte_errno));
		exit(1);
	}
	struct rs_dp_params p;
	rs_dp_params_default(&p);
	p.neigh_max = 64;
	p.fib_max_routes = 4096;
	p.fib_max_tbl8 = 256;
	p.fib6_max_routes = 4096; /* sized apart since the IPv6 FIB has its own options */
	p.fib6_max_tbl8 = 1024;
	if (rs_dp_init(&p) < 0) {
		fprintf(stderr, "fuzz_ctl: rs_dp_init: %s\n", rs_err_get());
		exit(1);
	}
	/* no per-lcore cache: the free count is exact */
	rs_dp.pool = rte_pktmbuf_pool_create("rs_mbufs", 16384, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					     (int)rte_socket_id());
	if (rs_dp.pool == NULL) {
		fprintf(stderr, "fuzz_ctl: mbuf pool: %s\n", rte_strerror(rte_errno));
		exit(1);
	}
	for (unsigned i = 0; i < FC_NPORTS; i++) {
		char name[32];
		snprintf(name, sizeof(name), "fc_rx%u", i);
		ports[i].rx = rte_ring_create(name, 1024, (int)rte_socket_id(),
					      RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "fc_tx%u", i);
		ports[i].tx = rte_ring_create(name, 4096, (int)rte_socket_id(),
					      RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "fc%u", i);
		int id = ports[i].rx && ports[i].tx ?
			 rte_eth_from_rings(name, &ports[i].rx, 1, &ports[i].tx, 1,
					    (unsigned)rte_socket_id()) : -1;
		snprintf(name, sizeof(name), "port%u", i);
		if (id < 0 || rs_port_setup((uint16_t)id, name) < 0) {
			fprintf(stderr, "fuzz_ctl: port %u: %s\n", i, rs_err_get());
			exit(1);
		}
		ports[i].id = (uint16_t)id;
	}
	rs_cfg_commit();
	if (rs_workers_create() < 0) {
		fprintf(stderr, "fuzz_ctl: workers: %s\n", rs_err_get());
		exit(1);
	}
	wk = &rs_dp.workers[0];

	struct ctl_server_params sp;
	ctl_server_params_default(&sp);
	snprintf(sock_path, sizeof(sock_path), "/tmp/fuzz_ctl.%d.sock", (int)getpid());
	sp.path = sock_path;
	sp.mode = 0600;
	/* small bounds, reached by inputs of a few kilobytes */
	sp.max_clients = 8;
	sp.admin_reserve = 2;
	sp.max_clients_per_uid = 2;
	sp.out_soft = 4096;
	sp.out_max = 65536;
	if (ctl_server_open(&sp) < 0) {
		fprintf(stderr, "fuzz_ctl: ctl_server_open: %s\n", rs_err_get());
		exit(1);
	}
	atexit(at_exit);
	cn.wbuf = malloc(FC_WBUF);
	if (cn.wbuf == NULL)
		exit(1);

	for (unsigned i = 0; i < RTE_DIM(base_cmds); i++)
		must(base_cmds[i]);
	reset_config(); /* the state every input starts from, and ends in */
	snapshot(&base_snap);
	base_gen = rs_cfg_current()->gen;
	base_avail = rte_mempool_avail_count(rs_dp.pool);
	if (base_avail != rs_dp.pool->size)
		fprintf(stderr, "fuzz_ctl: note: %u of %u mbufs held after set-up\n",
			rs_dp.pool->size - base_avail, rs_dp.pool->size);
	if (verbose)
		fprintf(stderr, "fuzz_ctl: configuration at set-up:\n%s", base_snap.text);
	return 0;
}

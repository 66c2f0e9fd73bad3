/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_app: libFuzzer harness that plays hostile applications against the
 * daemon's socket layer (lib/sock, lib/udp, lib/tcp): attach through the
 * control server (lib/ctl/ctl_server.c) as libringsock does, then request
 * records of every kind and in batches, descriptors of every kind (open,
 * closed, a listener's, out of range), bytes written anywhere in the
 * segment (ring indices, record headers, slot fields, ring data),
 * doorbells, sends and reads on the sockets' rings, packets from a peer
 * (UDP datagrams, TCP segments answering the daemon's own), clock steps,
 * and attach/detach at any point.
 *
 * Set-up as fuzz_ctl: the EAL without hugepages or PCI, two net_ring
 * ports, the dataplane with one worker whose graph runs on this thread,
 * the control server; small socket limits (sock_limits) so that inputs of
 * a few hundred bytes reach them.
 *
 * Two applications: A is hostile (fuzz_app_format.h: it alone pokes its
 * segment, sends raw arguments, wrong kick counts, bad records), B only
 * does what libringsock would. Oracles, besides ASan/UBSan:
 *  - the daemon never hangs up on B nor marks it corrupt, answers each of
 *    B's requests once and in order, never hands out a descriptor B
 *    already holds, and B's descriptors stay open until B closes them;
 *  - at the end of each input B (when attached) still works: a new UDP
 *    socket bound to an ephemeral port receives a datagram the peer sends
 *    it, and its own datagram leaves the port;
 *  - once both hang up and every timer ran out, everything is released:
 *    no application, no demux entry, no port, every mbuf back in the
 *    pool, no descriptor left open (wake pairs, memfds).
 *
 * Environment: FUZZ_APP_PREFIX (DPDK --file-prefix stem; FUZZ_CTL_PREFIX
 * is used too), FUZZ_APP_VERBOSE=1, FUZZ_APP_TRACE=1 (the daemon's TCP
 * segments and every completion, to read a reproducer).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "core/dp.h"
#include "ctl/cmd.h"
#include "ctl/ctl_proto.h"
#include "ctl/ctl_server.h"
#include "fuzz_app_format.h"
#include "sock/sock.h"
#include "sock/sock_int.h"
#include "util/rs_bytes.h"
#include "util/rs_json.h"
#include "util/rs_log.h"
#include "util/shm_ring.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "\nfuzz_app: INVARIANT VIOLATED: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

static const uint32_t fa_addrs[] = { FA_ADDRS };
static const uint16_t fa_ports[] = { FA_PORTS };

#define PEER_IP 0x0a000002u
#define LOCAL_IP 0x0a000001u
static const uint8_t our_mac[6] = { 0x02, 0x52, 0x53, 0x00, 0x00, 0x01 };
static const uint8_t peer_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

/* ---- the dataplane ---- */

#define FA_NPORTS 2
static struct {
	uint16_t id;
	struct rte_ring *rx, *tx;
} ports[FA_NPORTS];
static struct rs_worker *wk;
static unsigned base_avail;
static uint32_t base_demux, base_ports;

static const char *const base_cmds[] = {
	"link set port0 up",
	"link set port1 up",
	"link set port0 address 02:52:53:00:00:01",
	"link set port1 address 02:52:53:00:00:02",
	"addr add 10.0.0.1/24 dev port0",
	"addr add 10.2.0.1/24 dev port1",
	"neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev port0",
	"route add 192.168.0.0/16 via 10.0.0.2",
};

/* The daemon's TCP segments seen leaving, newest last (answered by
 * FA_OP_INJECT). */
struct seg_seen {
	uint32_t sip, dip, seq, ack;
	uint16_t sport, dport, len;
	uint8_t flags;
};
#define NSEEN 8
static struct seg_seen seen[NSEEN];
static unsigned nseen;

/* B's probe: the datagram it sent is looked for leaving port0. */
static uint16_t probe_sport;
static bool probe_seen;
static const char probe_tx[] = "fuzz_app probe from B";
static const char probe_rx[] = "fuzz_app probe to B";
static bool trace; /* FUZZ_APP_TRACE: segments and completions on stderr */

static void look_at(struct rte_mbuf *m)
{
	uint8_t b[14 + 60 + 60 + 32];
	uint32_t n = m->pkt_len < sizeof(b) ? m->pkt_len : (uint32_t)sizeof(b);
	const uint8_t *p = rte_pktmbuf_read(m, 0, n, b);
	if (p == NULL || n < 14 + 20 || rs_ld16(p + 12) != 0x0800)
		return;
	const uint8_t *ip = p + 14;
	unsigned ihl = (ip[0] & 0xf) * 4u;
	uint16_t tot = rs_ld16(ip + 2);
	if (ihl < 20 || n < 14 + ihl + 8 || tot < ihl + 8)
		return;
	const uint8_t *l4 = ip + ihl;
	if (ip[9] == IPPROTO_TCP && n >= 14 + ihl + 20) {
		struct seg_seen *s = &seen[nseen++ % NSEEN];
		s->sip = rs_ld32(ip + 12);
		s->dip = rs_ld32(ip + 16);
		s->sport = rs_ld16(l4);
		s->dport = rs_ld16(l4 + 2);
		s->seq = rs_ld32(l4 + 4);
		s->ack = rs_ld32(l4 + 8);
		s->flags = l4[13];
		unsigned doff = (l4[12] >> 4) * 4u;
		s->len = tot > ihl + doff ? (uint16_t)(tot - ihl - doff) : 0;
		if (trace)
			fprintf(stderr, "fuzz_app: out %08x:%u > %08x:%u flags %02x seq %u ack %u len %u\n",
				s->sip, s->sport, s->dip, s->dport, s->flags, s->seq, s->ack, s->len);
	} else if (ip[9] == IPPROTO_UDP && probe_sport != 0 && rs_ld16(l4) == probe_sport &&
		   n >= 14 + ihl + 8 + sizeof(probe_tx) - 1 &&
		   memcmp(l4 + 8, probe_tx, sizeof(probe_tx) - 1) == 0) {
		probe_seen = true;
	}
}

static void drain_tx(void)
{
	struct rte_mbuf *pkts[64];
	unsigned n;
	for (unsigned p = 0; p < FA_NPORTS; p++)
		while ((n = rte_ring_sc_dequeue_burst(ports[p].tx, (void **)pkts, RTE_DIM(pkts),
						      NULL)) > 0) {
			for (unsigned k = 0; k < n; k++)
				look_at(pkts[k]);
			rte_pktmbuf_free_bulk(pkts, n);
		}
}

static void pump(void)
{
	for (int i = 0; i < 64; i++) {
		rs_worker_poll_once(wk);
		drain_tx();
		if (rte_ring_count(wk->from_ctl) == 0 && rte_ring_count(ports[0].rx) == 0 &&
		    rte_ring_count(ports[1].rx) == 0)
			break;
	}
}

static const char *run_line(const char *line, struct rs_buf *out)
{
	char copy[256], *argv[32];
	int argc = 0;
	snprintf(copy, sizeof(copy), "%s", line);
	for (char *t = strtok(copy, " "); t != NULL && argc < 31; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	struct cmd_ctx ctx = { .json = false, .out = out };
	if (cmd_exec(&ctx, argc, argv) < 0) {
		free(rs_dp.staging);
		rs_dp.staging = NULL;
		return rs_err_get();
	}
	rs_cfg_commit();
	pump();
	return NULL;
}

static void must(const char *line)
{
	struct rs_buf out;
	rs_buf_init(&out);
	const char *err = run_line(line, &out);
	if (err != NULL) {
		fprintf(stderr, "fuzz_app: \"%s\": %s\n", line, err);
		exit(1);
	}
	rs_buf_free(&out);
}

/* ---- applications ---- */

#define MAXSD 128 /* sock_limits.socks_per_app */
#define NPEND 64

struct fapp {
	const char *name;
	bool on;
	bool hostile;
	bool gone;                /* the daemon hung up (A only) */
	int fd, dfd;              /* our end, the daemon's end */
	uint8_t *base;
	size_t size;
	uint32_t max_socks, nworkers;
	uint64_t socks_off;
	struct shm_ring req, cpl, bell[RS_SHM_MAX_WORKERS];
	uint32_t seq;
	unsigned queued;          /* requests written, not kicked yet */
	struct {
		uint32_t seq;
		uint16_t op;
		int32_t sd;
		bool stream;
	} pend[NPEND];
	unsigned npend;
	int32_t sds[MAXSD];       /* descriptors it holds */
	bool stream[MAXSD];
	unsigned nsds;
};
static struct fapp apps[2] = { { .name = "A", .hostile = true, .fd = -1, .dfd = -1 },
			       { .name = "B", .fd = -1, .dfd = -1 } };

static struct rs_app *daemon_app(const struct fapp *p)
{
	struct rs_apps_pub *pub = atomic_load(&sock_apps_pub);
	for (uint32_t i = 0; pub != NULL && i < pub->n; i++)
		if (pub->apps[i]->fd == p->dfd)
			return pub->apps[i];
	return NULL;
}

static int sd_index(const struct fapp *p, int32_t sd)
{
	for (unsigned i = 0; i < p->nsds; i++)
		if (p->sds[i] == sd)
			return (int)i;
	return -1;
}

static void sd_add(struct fapp *p, int32_t sd, bool stream)
{
	if (sd_index(p, sd) >= 0) {
		if (!p->hostile)
			fail("B was given descriptor %d, which it already holds", sd);
		return;
	}
	if (p->nsds == MAXSD)
		return;
	p->stream[p->nsds] = stream;
	p->sds[p->nsds++] = sd;
}

static void sd_del(struct fapp *p, int32_t sd)
{
	int i = sd_index(p, sd);
	if (i < 0)
		return;
	p->nsds--;
	p->sds[i] = p->sds[p->nsds];
	p->stream[i] = p->stream[p->nsds];
}

static void server_round(void);
static int32_t last_ret; /* of the last completion collected */

/* Kick bytes (and the wake descriptors they carry) and completions. */
static void collect(struct fapp *p)
{
	if (!p->on || p->gone)
		return;
	for (;;) {
		char byte;
		union {
			char b[CMSG_SPACE(sizeof(int) * 4)];
			struct cmsghdr align;
		} u;
		struct iovec iov = { &byte, 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
				     .msg_controllen = sizeof(u.b) };
		ssize_t n = recvmsg(p->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		for (struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL; c;
		     c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
				for (size_t k = 0; k < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); k++) {
					int fd;
					memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
					close(fd); /* the harness never sleeps on a socket */
				}
		if (n > 0)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (!p->hostile)
			fail("the daemon hung up on B (%s)", n == 0 ? "EOF" : strerror(errno));
		p->gone = true;
		return;
	}
	for (;;) {
		struct rs_scpl c;
		struct iovec ci = { &c, sizeof(c) };
		struct shm_rec rec;
		ssize_t got = shm_rec_read(&p->cpl, NULL, 0, &ci, 1, &rec);
		if (got == -EAGAIN)
			break;
		if (got != (ssize_t)sizeof(c) || rec.len != sizeof(c)) {
			if (!p->hostile)
				fail("B's completion ring holds a bad record (%zd)", got);
			break;
		}
		unsigned k = 0;
		if (p->hostile) {
			while (k < p->npend && p->pend[k].seq != c.seq)
				k++;
			if (k == p->npend)
				continue;
		} else if (p->npend == 0 || p->pend[0].seq != c.seq) {
			fail("B got completion seq %u, expected %s%u", c.seq,
			     p->npend ? "" : "none, ", p->npend ? p->pend[0].seq : 0);
		}
		uint16_t op = p->pend[k].op;
		if (trace)
			fprintf(stderr, "fuzz_app: %s op %u sd %d -> %d\n", p->name, op, p->pend[k].sd,
				c.ret);
		last_ret = c.ret;
		if ((op == RS_SOP_SOCKET || op == RS_SOP_ACCEPT) && c.ret >= 0) {
			if ((uint32_t)c.ret >= p->max_socks)
				fail("%s got descriptor %d out of its %u slots", p->name, c.ret,
				     p->max_socks);
			sd_add(p, c.ret, op == RS_SOP_ACCEPT || p->pend[k].stream);
		}
		if (!p->hostile && op == RS_SOP_CLOSE && c.ret != 0 && sd_index(p, p->pend[k].sd) >= 0)
			fail("B's close of descriptor %d it holds failed: %d", p->pend[k].sd, c.ret);
		if (op == RS_SOP_CLOSE && c.ret == 0)
			sd_del(p, p->pend[k].sd);
		memmove(&p->pend[k], &p->pend[k + 1], (p->npend - k - 1) * sizeof(p->pend[0]));
		p->npend--;
	}
}

static void check_b(void)
{
	struct fapp *p = &apps[1];
	if (!p->on)
		return;
	struct rs_app *a = daemon_app(p);
	if (a == NULL || atomic_load(&a->corrupt))
		fail("B is no longer served (%s)", a ? "marked corrupt" : "not in the published list");
	for (unsigned i = 0; i < p->nsds; i++) {
		struct rs_sock *s = a->own[p->sds[i]];
		if (s == NULL || s->dead || s->app != a)
			fail("B's descriptor %d is %s though B never closed it", p->sds[i],
			     s == NULL ? "free" : s->dead ? "dead" : "another app's");
	}
}

static void server_round(void)
{
	if (ctl_server_poll(0) < 0)
		fail("ctl_server_poll failed");
	pump();
	collect(&apps[0]);
	collect(&apps[1]);
	check_b();
}

static void control_tick(void)
{
	ctl_poll_workers();
	pump();
	server_round();
}

static void app_attach(struct fapp *p)
{
	if (p->on)
		return;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		fail("socketpair: %s", strerror(errno));
	if (ctl_server_adopt(sv[0], p->hostile ? 4242 : 4343, false) < 0)
		fail("ctl_server_adopt refused %s", p->name);
	struct rs_attach_req rq = { .version = RS_SHM_VERSION, .pid = (uint32_t)getpid() };
	snprintf(rq.name, sizeof(rq.name), "fuzz_app_%s", p->name);
	uint8_t frame[CTL_HDR_LEN + sizeof(rq)];
	struct ctl_hdr h = { .magic = CTL_MAGIC, .version = CTL_VERSION, .type = CTL_T_ATTACH,
			     .seq = 1, .len = sizeof(rq) };
	ctl_hdr_encode(frame, &h);
	memcpy(frame + CTL_HDR_LEN, &rq, sizeof(rq));
	if (send(sv[1], frame, sizeof(frame), MSG_NOSIGNAL) != (ssize_t)sizeof(frame))
		fail("attach frame: %s", strerror(errno));
	struct rs_attach_rsp rsp;
	uint8_t in[CTL_HDR_LEN + sizeof(rsp)];
	int memfd = -1;
	ssize_t n = -1;
	for (int i = 0; i < 16 && n < 0; i++) {
		if (ctl_server_poll(0) < 0)
			fail("ctl_server_poll failed");
		union {
			char b[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} u;
		struct iovec iov = { in, sizeof(in) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
				     .msg_controllen = sizeof(u.b) };
		n = recvmsg(sv[1], &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
		if (c != NULL && c->cmsg_type == SCM_RIGHTS)
			memcpy(&memfd, CMSG_DATA(c), sizeof(int));
	}
	memcpy(&rsp, in + CTL_HDR_LEN, sizeof(rsp));
	if (n == (ssize_t)sizeof(in) && rsp.status == -EUSERS && memfd < 0) {
		/* the quota of applications: detached ones count until their
		 * last connection ends (many attach/detach rounds in one input) */
		close(sv[1]);
		for (int i = 0; i < 4; i++)
			server_round();
		return;
	}
	if (n != (ssize_t)sizeof(in) || rsp.status != 0 || memfd < 0)
		fail("%s could not attach (%zd bytes, status %d)", p->name, n,
		     n == (ssize_t)sizeof(in) ? rsp.status : 0);
	void *base = mmap(NULL, rsp.size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	close(memfd);
	if (base == MAP_FAILED)
		fail("mmap of %s's segment: %s", p->name, strerror(errno));
	const struct rs_shm_hdr *sh = base;
	memset(p->pend, 0, sizeof(p->pend));
	p->on = true;
	p->gone = false;
	p->fd = sv[1];
	p->dfd = sv[0];
	p->base = base;
	p->size = rsp.size;
	p->max_socks = sh->max_socks;
	p->nworkers = sh->nworkers;
	p->socks_off = sh->socks_off;
	p->seq = 0;
	p->queued = p->npend = p->nsds = 0;
	if (shm_ring_init(&p->req, (void *)(p->base + sh->req.hdr_off), p->base + sh->req.data_off,
			  sh->req.size, SHM_RING_PROD) < 0 ||
	    shm_ring_init(&p->cpl, (void *)(p->base + sh->cpl.hdr_off), p->base + sh->cpl.data_off,
			  sh->cpl.size, SHM_RING_CONS) < 0)
		fail("%s's control rings", p->name);
	for (unsigned w = 0; w < p->nworkers && w < RS_SHM_MAX_WORKERS; w++)
		if (shm_ring_init(&p->bell[w], (void *)(p->base + sh->bell[w].hdr_off),
				  p->base + sh->bell[w].data_off, sh->bell[w].size, SHM_RING_PROD) < 0)
			fail("%s's doorbell ring %u", p->name, w);
	if (daemon_app(p) == NULL)
		fail("%s attached but is not published", p->name);
}

static void app_detach(struct fapp *p)
{
	if (!p->on)
		return;
	close(p->fd);
	munmap(p->base, p->size);
	p->on = false;
	p->fd = p->dfd = -1;
	p->base = NULL;
	for (int i = 0; i < 4; i++)
		server_round();
}

static struct rs_shm_sock *slot(const struct fapp *p, int32_t sd)
{
	return (struct rs_shm_sock *)(p->base + p->socks_off) + sd;
}

/* A view of one of the socket's rings, from the descriptor the daemon
 * wrote (A may have rewritten it: checked as libringsock checks it). */
static bool ring_view(const struct fapp *p, int32_t sd, bool rx, struct shm_ring *r)
{
	if (sd < 0 || (uint32_t)sd >= p->max_socks)
		return false;
	struct rs_shm_sock *sl = slot(p, sd);
	struct rs_shm_ring_desc d;
	memcpy(&d, rx ? &sl->rx : &sl->tx, sizeof(d));
	if (d.hdr_off == 0 || shm_ring_layout_check(p->size, d.hdr_off, d.data_off, d.size) < 0)
		return false;
	return shm_ring_init(r, (void *)(p->base + d.hdr_off), p->base + d.data_off, d.size,
			     rx ? SHM_RING_CONS : SHM_RING_PROD) == 0;
}

static int32_t pick_sd(const struct fapp *p, uint8_t sel)
{
	static const int32_t special[] = { -1, 0, 1, 2, 3, 127, 128, 129, INT32_MAX, INT32_MIN,
					   -2, 4, 5, 1000, 65535, 65536 };
	if (sel >= 0xf0)
		return special[sel - 0xf0];
	if (p->nsds == 0)
		return sel % 8;
	return p->sds[sel % p->nsds];
}

static bool pick_stream(const struct fapp *p, int32_t sd)
{
	int i = sd_index(p, sd);
	return i >= 0 && p->stream[i];
}

static void pick_addr(struct rs_saddr *a, uint8_t asel, uint8_t psel)
{
	static const uint16_t fam[] = { AF_INET, AF_INET, AF_UNSPEC, AF_INET6 };
	memset(a, 0, sizeof(*a));
	a->family = fam[(asel >> 3) & 3];
	struct rs_ip ip = rs_ip_from4(fa_addrs[asel % RTE_DIM(fa_addrs)]);
	memcpy(a->addr, ip.b, 16);
	a->port = fa_ports[psel % RTE_DIM(fa_ports)];
	if (asel & 0x80)
		a->scope = asel; /* garbage where a v4 socket ignores it */
}

/* Socket options: level, name, a well-formed value for B. */
static const struct {
	int level, name;
} opts[] = {
	{ SOL_SOCKET, SO_REUSEADDR },  { SOL_SOCKET, SO_REUSEPORT },   { SOL_SOCKET, SO_BROADCAST },
	{ SOL_SOCKET, SO_KEEPALIVE },  { SOL_SOCKET, SO_RCVBUF },      { SOL_SOCKET, SO_SNDBUF },
	{ SOL_SOCKET, SO_LINGER },     { SOL_SOCKET, SO_BINDTODEVICE }, { SOL_SOCKET, SO_ERROR },
	{ SOL_SOCKET, SO_TYPE },       { IPPROTO_IP, IP_TTL },         { IPPROTO_IP, IP_TOS },
	{ IPPROTO_IP, IP_RECVTTL },    { IPPROTO_IP, IP_PKTINFO },     { IPPROTO_TCP, TCP_NODELAY },
	{ IPPROTO_TCP, TCP_CORK },     { IPPROTO_TCP, TCP_MAXSEG },    { IPPROTO_TCP, TCP_KEEPIDLE },
	{ IPPROTO_TCP, TCP_KEEPINTVL }, { IPPROTO_TCP, TCP_KEEPCNT },  { IPPROTO_TCP, TCP_USER_TIMEOUT },
	{ IPPROTO_TCP, TCP_QUICKACK }, { IPPROTO_TCP, TCP_CONGESTION }, { IPPROTO_TCP, TCP_INFO },
	{ IPPROTO_TCP, 9999 },         { 9999, 1 },
};

static void post(struct fapp *p, const struct rs_sreq *r, bool stream)
{
	struct iovec iov = { (void *)r, sizeof(*r) };
	int rc = shm_rec_write(&p->req, NULL, 0, &iov, 1, 0);
	if (rc < 0) {
		if (!p->hostile)
			fail("B's request ring refused a request: %d", rc);
		return;
	}
	p->queued++;
	if (p->npend == NPEND) {
		if (!p->hostile)
			fail("B has %u requests in flight", NPEND);
		memmove(&p->pend[0], &p->pend[1], (NPEND - 1) * sizeof(p->pend[0]));
		p->npend--;
	}
	p->pend[p->npend].seq = r->seq;
	p->pend[p->npend].op = r->op;
	p->pend[p->npend].sd = r->sd;
	p->pend[p->npend].stream = stream;
	p->npend++;
}

static void kick(struct fapp *p, unsigned n)
{
	if (!p->on || p->gone)
		return;
	char buf[256];
	memset(buf, 'k', sizeof(buf));
	if (n > sizeof(buf))
		n = sizeof(buf);
	if (n > 0 && send(p->fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && !p->hostile)
		fail("B's kick: %s", strerror(errno));
	p->queued = 0;
	for (int i = 0; i < 8; i++) {
		server_round();
		if (p->npend == 0 || p->gone)
			break;
	}
	if (!p->hostile && p->npend > 0)
		fail("B's request seq %u (op %u) was never answered", p->pend[0].seq, p->pend[0].op);
}

static void request(struct fapp *p, const uint8_t *b, const uint8_t *opt, uint32_t optlen)
{
	struct rs_sreq r;
	memset(&r, 0, sizeof(r));
	unsigned sop = b[0] % FA_NSOP;
	bool raw = p->hostile && (b[7] & FA_R_RAWARGS);
	r.seq = ++p->seq;
	r.op = sop ? (uint16_t)sop : (uint16_t)(RS_SOP_SHUTDOWN + 1 + b[2]);
	if (sop == 0 && !p->hostile)
		return; /* libringsock sends no such thing */
	r.sd = pick_sd(p, b[1]);
	if (!p->hostile && sop != RS_SOP_SOCKET && sd_index(p, r.sd) < 0 && p->nsds > 0)
		r.sd = p->sds[b[1] % p->nsds];
	bool stream = false;
	if (raw) {
		r.a[0] = (int8_t)b[2];
		r.a[1] = (int8_t)b[3];
		r.a[2] = (int32_t)((uint32_t)b[4] << 24 | b[4]);
	} else {
		switch (sop) {
		case RS_SOP_SOCKET: {
			static const int32_t dom[] = { AF_INET, AF_INET, AF_INET, AF_INET6, AF_UNIX, -1 };
			static const int32_t typ[] = { SOCK_DGRAM, SOCK_STREAM, SOCK_DGRAM, SOCK_STREAM,
						       SOCK_RAW, SOCK_SEQPACKET, 0, -1 };
			static const int32_t pro[] = { 0, 0, IPPROTO_UDP, IPPROTO_TCP, IPPROTO_ICMP, -1 };
			r.a[0] = dom[b[2] % RTE_DIM(dom)];
			r.a[1] = typ[b[3] % RTE_DIM(typ)];
			r.a[2] = pro[b[4] % RTE_DIM(pro)];
			if (!p->hostile) {
				r.a[0] = AF_INET;
				r.a[1] = b[3] & 1 ? SOCK_STREAM : SOCK_DGRAM;
				r.a[2] = 0;
			}
			stream = r.a[1] == SOCK_STREAM;
			break;
		}
		case RS_SOP_SETSOCKOPT:
		case RS_SOP_GETSOCKOPT: {
			unsigned o = b[2] % RTE_DIM(opts);
			static const int32_t glen[] = { 4, 0, -1, RS_SOPT_MAX, 1000, 104, 8, 1 };
			r.a[0] = opts[o].level;
			r.a[1] = opts[o].name;
			r.a[2] = glen[b[4] % RTE_DIM(glen)];
			break;
		}
		case RS_SOP_LISTEN: {
			static const int32_t bl[] = { 0, 1, 5, 128, -1, INT32_MAX, 4096, 2 };
			r.a[0] = bl[b[2] % RTE_DIM(bl)];
			break;
		}
		case RS_SOP_SHUTDOWN:
			r.a[0] = (int32_t)(b[2] % 5) - (p->hostile ? 1 : 0);
			if (!p->hostile && r.a[0] > SHUT_RDWR)
				r.a[0] = SHUT_RDWR;
			break;
		default:
			r.a[0] = b[2];
			break;
		}
	}
	pick_addr(&r.addr, b[5], b[6]);
	if (!p->hostile && r.addr.family == AF_INET6)
		r.addr.family = AF_INET;
	if (optlen > RS_SOPT_MAX)
		optlen = RS_SOPT_MAX;
	memcpy(r.opt, opt, optlen);
	r.optlen = optlen;
	if (p->hostile && (b[7] & FA_R_RAWARGS))
		r.optlen = (uint32_t)b[8] << 24 | optlen; /* lengths past the buffer */
	post(p, &r, stream);
	if (!(b[7] & FA_R_NOKICK) || !p->hostile)
		kick(p, p->queued);
}

/* libringsock's doorbell: only when none is pending. */
static void doorbell(struct fapp *p, int32_t sd)
{
	if (sd < 0 || (uint32_t)sd >= p->max_socks)
		return;
	struct rs_shm_sock *sl = slot(p, sd);
	if (atomic_exchange(&sl->tx_armed, 1) != 0)
		return;
	uint32_t w = atomic_load(&sl->worker);
	if (w >= p->nworkers)
		w = 0;
	struct rs_doorbell db = { .sd = (uint32_t)sd };
	struct iovec iov = { &db, sizeof(db) };
	for (int i = 0; i < 8; i++) {
		int rc = shm_rec_write(&p->bell[w], NULL, 0, &iov, 1, 0);
		if (rc == 0)
			return;
		if (rc != -EAGAIN) {
			if (!p->hostile)
				fail("B's doorbell ring: %d", rc);
			return;
		}
		pump(); /* full: the worker takes some */
	}
	if (!p->hostile)
		fail("B's doorbell ring stays full");
}

static uint8_t payload[65536];

static void app_send(struct fapp *p, int32_t sd, uint32_t len, uint8_t asel, uint8_t psel,
		     uint8_t flags)
{
	struct shm_ring tx;
	if (!ring_view(p, sd, false, &tx)) {
		if (!p->hostile && sd_index(p, sd) >= 0 && !pick_stream(p, sd))
			fail("B's datagram socket %d has no usable tx ring", sd);
		return;
	}
	if (pick_stream(p, sd)) {
		if (!p->hostile && len > 4096)
			len %= 4097;
		shm_bytes_write(&tx, payload, len);
	} else {
		struct rs_tx_meta m;
		memset(&m, 0, sizeof(m));
		pick_addr(&m.to, asel, psel);
		if (m.to.family != AF_INET)
			m.to.family = 0; /* the connected peer */
		m.tos = -1;
		m.ttl = -1;
		uint32_t mlen = sizeof(m);
		if (p->hostile && (flags & FA_S_BADMETA))
			mlen = flags & 0x80 ? sizeof(m) + 8 : sizeof(m) - 4;
		if (!p->hostile)
			len %= 2049;
		uint8_t mb[sizeof(m) + 8] = { 0 };
		memcpy(mb, &m, sizeof(m));
		struct iovec iov = { payload, len };
		shm_rec_write(&tx, mb, mlen, &iov, 1, 0);
	}
	if (flags & FA_S_BELL)
		doorbell(p, sd);
}

static void app_recv(struct fapp *p, int32_t sd, unsigned n)
{
	struct shm_ring rx;
	if (!ring_view(p, sd, true, &rx))
		return;
	static uint8_t buf[65536 + 64];
	if (pick_stream(p, sd)) {
		ssize_t got = shm_bytes_read(&rx, buf, (size_t)n * 256);
		if (got > 0)
			doorbell(p, sd); /* a window update may be due */
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		struct rs_rx_meta m;
		struct iovec iov = { buf, sizeof(buf) };
		if (shm_rec_read(&rx, &m, sizeof(m), &iov, 1, NULL) < 0)
			break;
	}
}

/* A's raw writes into its own segment. */
static void poke(struct fapp *p, const uint8_t *b)
{
	if (!p->on)
		return;
	uint8_t region = b[0] % FA_NREG, idx = b[1];
	uint64_t off = rs_ld16le(b + 2);
	unsigned width = 1u << (b[4] & 3);
	uint64_t at;
	const struct rs_shm_hdr *sh = (const void *)p->base;
	switch (region) {
	case FA_REG_HDR:
		at = off % 4096;
		break;
	case FA_REG_CTRL: /* the two control rings' headers and data */
		at = 4096 + off % (2 * (sizeof(struct shm_ring_hdr) + 64 * 1024));
		break;
	case FA_REG_BELL: {
		/* the harness's copy of the layout: A may have rewritten sh */
		(void)sh;
		at = 4096 + 2 * (sizeof(struct shm_ring_hdr) + 64 * 1024) + off % 1024;
		break;
	}
	case FA_REG_SLOT:
		at = p->socks_off + (uint64_t)(idx % p->max_socks) * sizeof(struct rs_shm_sock) +
		     off % sizeof(struct rs_shm_sock);
		break;
	case FA_REG_RINGDATA: {
		int32_t sd = pick_sd(p, idx);
		struct shm_ring r;
		if (!ring_view(p, sd, off & 1, &r))
			return;
		at = (uint64_t)((uint8_t *)r.data - p->base) + (off >> 1) % r.size;
		break;
	}
	default:
		at = (rs_ld16le(b + 2) * (uint64_t)idx * 4099u) % p->size;
		break;
	}
	at &= ~(uint64_t)(width - 1);
	if (at + width > p->size)
		return;
	uint64_t v;
	memcpy(&v, b + 5, 8);
	memcpy(p->base + at, &v, width); /* little endian: the low bytes */
}

static void raw_bell(struct fapp *p, uint8_t w, uint32_t sd)
{
	if (!p->on)
		return;
	if (!p->hostile) {
		if (p->nsds > 0)
			doorbell(p, p->sds[sd % p->nsds]);
		return;
	}
	struct rs_doorbell db = { .sd = sd };
	struct iovec iov = { &db, sizeof(db) };
	shm_rec_write(&p->bell[w % p->nworkers], NULL, 0, &iov, 1, 0);
	if (w & 0x80) /* with a junk length */
		shm_rec_write(&p->bell[w % p->nworkers], NULL, 0,
			      &(struct iovec){ payload, (w & 0x7f) }, 1, 0);
}

/* ---- packets from the peer ---- */

static void inject(uint8_t kind, uint16_t sport, uint16_t dport, uint8_t tflags, uint8_t reply,
		   const uint8_t *pl, unsigned plen, uint32_t dst)
{
	bool tcp = kind & 1;
	uint32_t src = PEER_IP, seq = 0x1000u * reply, ack = 0;
	if (tcp && reply < 0x80 && nseen > 0) {
		unsigned k = nseen - 1 - (reply % NSEEN < nseen ? reply % NSEEN : 0);
		const struct seg_seen *s = &seen[k % NSEEN];
		src = s->dip;
		dst = s->sip;
		sport = s->dport;
		dport = s->sport;
		seq = s->flags & 0x10 ? s->ack : 0x12345678u;
		ack = s->seq + s->len + ((s->flags & 0x02) ? 1 : 0) + ((s->flags & 0x01) ? 1 : 0);
	}
	struct rte_mbuf *m = rte_pktmbuf_alloc(rs_dp.pool);
	if (m == NULL)
		return;
	unsigned l4len = tcp ? 20 : 8;
	if (plen > 1400)
		plen = 1400;
	uint8_t *e = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(14 + 20 + l4len + plen));
	if (e == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	memcpy(e, our_mac, 6);
	memcpy(e + 6, peer_mac, 6);
	rs_st16(e + 12, 0x0800);
	struct rte_ipv4_hdr *ip = (void *)(e + 14);
	memset(ip, 0, 20);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + l4len + plen));
	ip->packet_id = rte_cpu_to_be_16(reply);
	ip->fragment_offset = rte_cpu_to_be_16(0x4000);
	ip->time_to_live = 64;
	ip->next_proto_id = tcp ? IPPROTO_TCP : IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(src);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	uint8_t *l4 = e + 34;
	memset(l4, 0, l4len);
	rs_st16(l4, sport);
	rs_st16(l4 + 2, dport);
	if (tcp) {
		rs_st32(l4 + 4, seq);
		rs_st32(l4 + 8, ack);
		l4[12] = 5 << 4;
		l4[13] = tflags & 0x3f;
		rs_st16(l4 + 14, 65535);
	} else {
		rs_st16(l4 + 4, (uint16_t)(8 + plen));
	}
	memcpy(l4 + l4len, pl, plen);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	uint16_t ck = rte_ipv4_udptcp_cksum(ip, l4);
	if (kind & 2)
		ck ^= 0x5a5a;
	if (tcp)
		memcpy(l4 + 16, &ck, 2);
	else
		memcpy(l4 + 6, &ck, 2);
	if (rte_ring_sp_enqueue(ports[0].rx, m) < 0)
		rte_pktmbuf_free(m);
	pump();
}

/* ---- after each input ---- */

static unsigned count_fds(void)
{
	unsigned n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL)
		return 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		n++;
	closedir(d);
	return n;
}

/* B still works: a new UDP socket on an ephemeral port gets a datagram
 * and sends one. */
static void probe_b(void)
{
	struct fapp *p = &apps[1];
	struct rs_app *da = daemon_app(p);
	/* a listener's stock takes slots too (up to 64 per listener) */
	if (!p->on || da == NULL || da->nsocks + 1 >= p->max_socks)
		return;
	struct rs_sreq r;
	memset(&r, 0, sizeof(r));
	r.seq = ++p->seq;
	r.op = RS_SOP_SOCKET;
	r.a[0] = AF_INET;
	r.a[1] = SOCK_DGRAM;
	unsigned before = p->nsds;
	post(p, &r, false);
	last_ret = 0;
	kick(p, 1);
	if (p->nsds != before + 1) {
		struct rs_app *a = daemon_app(p);
		fail("B could not open a UDP socket: %d (B holds %u, the daemon counts %u)",
		     last_ret, p->nsds, a ? a->nsocks : 0);
	}
	int32_t sd = p->sds[p->nsds - 1];
	memset(&r, 0, sizeof(r));
	r.seq = ++p->seq;
	r.op = RS_SOP_BIND;
	r.sd = sd;
	pick_addr(&r.addr, 0, 0); /* 0.0.0.0:0 */
	post(p, &r, false);
	kick(p, 1);
	struct rs_app *a = daemon_app(p);
	struct rs_sock *s = a ? a->own[sd] : NULL;
	if (s == NULL || !s->bound || s->lport == 0)
		fail("B's UDP socket %d could not bind an ephemeral port", sd);
	uint16_t port = s->lport;
	inject(0, 9000, port, 0, 0x80, (const uint8_t *)probe_rx, sizeof(probe_rx) - 1, LOCAL_IP);
	struct shm_ring rx;
	if (!ring_view(p, sd, true, &rx))
		fail("B's UDP socket %d has no rx ring", sd);
	uint8_t buf[256];
	struct rs_rx_meta m;
	struct iovec iov = { buf, sizeof(buf) };
	ssize_t got = shm_rec_read(&rx, &m, sizeof(m), &iov, 1, NULL);
	if (got != (ssize_t)sizeof(probe_rx) - 1 || memcmp(buf, probe_rx, sizeof(probe_rx) - 1) != 0)
		fail("B's UDP socket on port %u did not receive the peer's datagram (%zd)", port,
		     got);
	struct shm_ring tx;
	if (!ring_view(p, sd, false, &tx))
		fail("B's UDP socket %d has no tx ring", sd);
	struct rs_tx_meta tm;
	memset(&tm, 0, sizeof(tm));
	pick_addr(&tm.to, 2, 5); /* 10.0.0.2:9000 */
	tm.tos = tm.ttl = -1;
	struct iovec ti = { (void *)probe_tx, sizeof(probe_tx) - 1 };
	if (shm_rec_write(&tx, &tm, sizeof(tm), &ti, 1, 0) != 0)
		fail("B's UDP tx ring refused a datagram");
	probe_sport = port;
	probe_seen = false;
	doorbell(p, sd);
	pump();
	probe_sport = 0;
	if (!probe_seen)
		fail("B's datagram from port %u never left", port);
	memset(&r, 0, sizeof(r));
	r.seq = ++p->seq;
	r.op = RS_SOP_CLOSE;
	r.sd = sd;
	post(p, &r, false);
	kick(p, 1);
}

static uint64_t n_inputs;

static void finish_input(void)
{
	probe_b();
	app_detach(&apps[0]);
	app_detach(&apps[1]);
	/* connections end (resets, FIN exchanges time out), stock goes, every
	 * deferred free runs */
	/* and packets waiting for a neighbor that never answers (an RST
	 * sent as a connection ended) go when its resolution fails */
	int i = 0;
	for (; i < 400 && (sock_app_count() > 0 || i < 3 ||
			   rte_mempool_avail_count(rs_dp.pool) != base_avail); i++) {
		rs_dp.clock_offset_ns += 30ull * 1000000000ull;
		control_tick();
	}
	/* An application may have set timers far longer than that: a
	 * connection it shut down and left with unacknowledged data is
	 * retransmitted until TCP_USER_TIMEOUT (up to INT_MAX ms, 24.9 days)
	 * ends it, as Linux's orphans are; keepalive's bound is 48.5 days
	 * (TCP_KEEPIDLE + TCP_KEEPCNT x TCP_KEEPINTVL at their maxima). Days
	 * at a time from here: timers are deadlines, so one step fires all
	 * that fell due. */
	int days = 0;
	for (; days < 60 && sock_app_count() > 0; days++) {
		rs_dp.clock_offset_ns += 86400ull * 1000000000ull;
		control_tick();
	}
	if (trace)
		fprintf(stderr, "fuzz_app: released after %d steps of 30 s and %d of a day\n", i, days);
	/* what app_finish deferred (the segment, its memfd) */
	control_tick();
	control_tick();
	if (sock_app_count() != 0)
		fail("%u application(s) still held after both hung up and every timer ran",
		     sock_app_count());
	struct ctl_server_stats st;
	ctl_server_get_stats(&st);
	if (st.clients != 0)
		fail("the control server still holds %u client(s)", st.clients);
	uint32_t dm = sock_demux_count(sock_demux_tbl), pt = sock_ports_count(sock_ports_tbl);
	if (dm != base_demux || pt != base_ports)
		fail("%u demux entries, %u ports held after every app left (%u, %u at set-up)", dm,
		     pt, base_demux, base_ports);
	unsigned avail = rte_mempool_avail_count(rs_dp.pool);
	if (avail != base_avail)
		fail("%u mbufs free, %u at set-up", avail, base_avail);
}

/* ---- the input ---- */

static bool take(const uint8_t *d, size_t size, size_t *i, size_t n, const uint8_t **at)
{
	if (size - *i < n)
		return false;
	*at = d + *i;
	*i += n;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i = 0;
	const uint8_t *b;
	unsigned fds = count_fds();
	n_inputs++;
	nseen = 0;
	while (i < size) {
		uint8_t op = data[i++] % FA_NOPS;
		switch (op) {
		case FA_OP_ATTACH:
			if (!take(data, size, &i, 1, &b))
				goto done;
			app_attach(&apps[b[0] & 1]);
			break;
		case FA_OP_DETACH:
			if (!take(data, size, &i, 1, &b))
				goto done;
			app_detach(&apps[b[0] & 1]);
			break;
		case FA_OP_REQ: {
			if (!take(data, size, &i, 10, &b))
				goto done;
			uint32_t n = b[9];
			if (n > size - i)
				n = (uint32_t)(size - i);
			const uint8_t *opt = data + i;
			i += n;
			struct fapp *p = &apps[b[0] & 1];
			if (p->on && !p->gone)
				request(p, b + 1, opt, n);
			break;
		}
		case FA_OP_KICK: {
			if (!take(data, size, &i, 2, &b))
				goto done;
			struct fapp *p = &apps[b[0] & 1];
			kick(p, p->hostile ? b[1] : p->queued);
			break;
		}
		case FA_OP_POKE:
			if (!take(data, size, &i, 13, &b))
				goto done;
			poke(&apps[0], b);
			break;
		case FA_OP_SEND: {
			if (!take(data, size, &i, 7, &b))
				goto done;
			struct fapp *p = &apps[b[0] & 1];
			if (p->on)
				app_send(p, pick_sd(p, b[1]), rs_ld16le(b + 2), b[4], b[5], b[6]);
			break;
		}
		case FA_OP_RECV: {
			if (!take(data, size, &i, 3, &b))
				goto done;
			struct fapp *p = &apps[b[0] & 1];
			if (p->on)
				app_recv(p, pick_sd(p, b[1]), b[2]);
			break;
		}
		case FA_OP_BELL:
			if (!take(data, size, &i, 6, &b))
				goto done;
			raw_bell(&apps[b[0] & 1], b[1], rs_ld32le(b + 2));
			break;
		case FA_OP_POLL:
			if (!take(data, size, &i, 1, &b))
				goto done;
			for (unsigned r = 0; r <= b[0] % 8; r++)
				control_tick();
			break;
		case FA_OP_CLOCK:
			if (!take(data, size, &i, 2, &b))
				goto done;
			rs_dp.clock_offset_ns += (uint64_t)rs_ld16le(b) * 4000000ull;
			control_tick();
			break;
		case FA_OP_INJECT: {
			if (!take(data, size, &i, 6, &b))
				goto done;
			uint32_t n = b[5];
			if (n > size - i)
				n = (uint32_t)(size - i);
			inject(b[0], fa_ports[b[1] % RTE_DIM(fa_ports)],
			       fa_ports[b[2] % RTE_DIM(fa_ports)], b[3], b[4], data + i, n, LOCAL_IP);
			i += n;
			server_round();
			break;
		}
		}
	}
done:
	if (trace) {
		struct rs_buf out;
		rs_buf_init(&out);
		run_line("stats show", &out);
		fprintf(stderr, "%s", out.s ? out.s : "");
		rs_buf_free(&out);
	}
	finish_input();
	unsigned now = count_fds();
	if (now != fds) {
		char link[256], path[64];
		DIR *d = opendir("/proc/self/fd");
		for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
			snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
			ssize_t n = readlink(path, link, sizeof(link) - 1);
			if (n > 0 && strncmp(link, "/dev/", 5) != 0)
				fprintf(stderr, "fuzz_app: fd %s -> %.*s\n", e->d_name, (int)n, link);
		}
		if (d != NULL)
			closedir(d);
		fail("%u descriptors open after the input, %u before: a leak", now, fds);
	}
	return 0;
}

/* ---- set-up ---- */

static char sock_path[64];

static void at_exit(void)
{
	if (getenv("FUZZ_APP_VERBOSE") != NULL)
		fprintf(stderr, "fuzz_app: %" PRIu64 " inputs\n", n_inputs);
	ctl_server_close();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char prefix[64];
	const char *env = getenv("FUZZ_APP_PREFIX");
	if (env == NULL || *env == '\0')
		env = getenv("FUZZ_CTL_PREFIX");
	snprintf(prefix, sizeof(prefix), "--file-prefix=%s%d", env && *env ? env : "fuzzapp",
		 (int)getpid());
	bool verbose = getenv("FUZZ_APP_VERBOSE") != NULL;
	trace = getenv("FUZZ_APP_TRACE") != NULL;
	char *eal[] = {
		"fuzz_app", "-l", "0,1", "--no-huge", "--no-pci", "-m", "256", prefix,
		verbose ? "--log-level=*:info" : "--log-level=*:error", "--no-telemetry", NULL,
	};
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "fuzz_app: rte_eal_init: %s\n", rte_strerror(rte_errno));
		exit(1);
	}
	/* small limits, reached by small inputs */
	sock_limits_default(&sock_limits);
	sock_limits.socks_per_app = MAXSD;
	sock_limits.arena_bytes = 256ull << 20; /* slots run out first */
	sock_limits.max_apps = 32;
	struct rs_dp_params p;
	rs_dp_params_default(&p);
	p.neigh_max = 64;
	p.fib_max_routes = 4096;
	p.fib_max_tbl8 = 256;
	p.fib6_max_routes = 4096;
	p.fib6_max_tbl8 = 1024;
	p.tcp_max_conns = 256;
	if (rs_dp_init(&p) < 0) {
		fprintf(stderr, "fuzz_app: rs_dp_init: %s\n", rs_err_get());
		exit(1);
	}
	/* no per-lcore cache: the free count is exact */
	rs_dp.pool = rte_pktmbuf_pool_create("rs_mbufs", 16384, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					     (int)rte_socket_id());
	if (rs_dp.pool == NULL) {
		fprintf(stderr, "fuzz_app: mbuf pool: %s\n", rte_strerror(rte_errno));
		exit(1);
	}
	for (unsigned i = 0; i < FA_NPORTS; i++) {
		char name[32];
		snprintf(name, sizeof(name), "fa_rx%u", i);
		ports[i].rx = rte_ring_create(name, 1024, (int)rte_socket_id(),
					      RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "fa_tx%u", i);
		ports[i].tx = rte_ring_create(name, 4096, (int)rte_socket_id(),
					      RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "fa%u", i);
		int id = ports[i].rx && ports[i].tx ?
			 rte_eth_from_rings(name, &ports[i].rx, 1, &ports[i].tx, 1,
					    (unsigned)rte_socket_id()) : -1;
		snprintf(name, sizeof(name), "port%u", i);
		if (id < 0 || rs_port_setup((uint16_t)id, name) < 0) {
			fprintf(stderr, "fuzz_app: port %u: %s\n", i, rs_err_get());
			exit(1);
		}
		ports[i].id = (uint16_t)id;
	}
	rs_cfg_commit();
	if (rs_workers_create() < 0) {
		fprintf(stderr, "fuzz_app: workers: %s\n", rs_err_get());
		exit(1);
	}
	wk = &rs_dp.workers[0];

	struct ctl_server_params sp;
	ctl_server_params_default(&sp);
	snprintf(sock_path, sizeof(sock_path), "/tmp/fuzz_app.%d.sock", (int)getpid());
	sp.path = sock_path;
	sp.mode = 0600;
	sp.max_clients = 8;
	sp.admin_reserve = 2;
	sp.max_clients_per_uid = 2;
	if (ctl_server_open(&sp) < 0) {
		fprintf(stderr, "fuzz_app: ctl_server_open: %s\n", rs_err_get());
		exit(1);
	}
	atexit(at_exit);
	for (unsigned i = 0; i < RTE_DIM(base_cmds); i++)
		must(base_cmds[i]);
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 1);
	/* DAD, neighbor timers: past them */
	for (int i = 0; i < 8; i++) {
		rs_dp.clock_offset_ns += 10ull * 1000000000ull;
		control_tick();
	}
	base_demux = sock_demux_count(sock_demux_tbl);
	base_ports = sock_ports_count(sock_ports_tbl);
	base_avail = rte_mempool_avail_count(rs_dp.pool);
	if (base_avail != rs_dp.pool->size)
		fprintf(stderr, "fuzz_app: note: %u of %u mbufs held after set-up\n",
			rs_dp.pool->size - base_avail, rs_dp.pool->size);
	return 0;
}

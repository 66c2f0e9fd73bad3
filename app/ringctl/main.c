/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringctl: the iproute2-style client of ringstackd.
 *
 *   ringctl [-s PATH] [-j] OBJECT COMMAND [ARGS...]
 *   ringctl [-s PATH] [-j] -b FILE
 *
 * One command or a batch file goes over one unix-socket connection. A batch
 * is pipelined: up to MAX_INFLIGHT requests are outstanding, requests are
 * written in bulk and responses read in bulk, and the socket is driven by
 * poll() so that neither side can block the other (the daemon writing a big
 * response while ringctl is still writing requests).
 *
 * Exit status: 0 ok, 1 a command failed, 2 usage, connection or protocol
 * error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/ctl_proto.h"
#include "util/rs_args.h"

#ifndef RINGSTACK_VERSION
#define RINGSTACK_VERSION "0.1.0"
#endif

#define DEFAULT_CTL_PATH "/run/ringstack/ctl.sock"
#define EXIT_FAILED 1
#define EXIT_USAGE 2

/* Requests outstanding at most, and the level under which more are sent:
 * refilling only below half keeps writes large without starving the daemon. */
#define MAX_INFLIGHT 2048
#define REFILL_BELOW (MAX_INFLIGHT / 2)
#define READ_CHUNK (256 * 1024)

static const char usage_text[] =
"Usage: ringctl [OPTIONS] OBJECT COMMAND [ARGS...]\n"
"       ringctl [OPTIONS] -b FILE\n"
"\n"
"Control a running ringstackd over its unix socket.\n"
"\n"
"Options:\n"
"  -s, --socket PATH  daemon socket (default: $RINGSTACK_CTL, else\n"
"                     " DEFAULT_CTL_PATH ")\n"
"  -j, --json         print JSON instead of text\n"
"  -b, --batch FILE   run the commands in FILE ('-' for stdin), one per line,\n"
"                     over one connection; blank lines and lines starting\n"
"                     with '#' are skipped; words may be 'quoted' or \"quoted\".\n"
"                     Stops at the first failing command and reports FILE:LINE\n"
"  -h, --help         show this help\n"
"  -V, --version      show the version\n"
"\n"
"Objects and commands (A: an IPv4 or IPv6 address; words may be shortened\n"
"as iproute2 allows, e.g. 'r' for route, 'sh' for show):\n"
"  link  show [NAME]\n"
"        set NAME up|down | mtu N | address MAC | forwarding on|off|auto\n"
"        set NAME impair [loss P%] [delay MS] [jitter MS] [reorder P%]\n"
"                 [duplicate P%] [corrupt P%] [seed N] [direction in|out|both]\n"
"        set NAME impair off\n"
"        add NAME devargs DEVARGS       (hot-plug a DPDK device)\n"
"        del NAME\n"
"  addr  add|del A/LEN dev NAME\n"
"        show [dev NAME] | flush dev NAME\n"
"  route show [all] | get A          ('route -6 show' for IPv6)\n"
"        add|replace PREFIX via GW [dev NAME] [metric N]   (PREFIX may be default)\n"
"        add|replace PREFIX dev NAME\n"
"        add PREFIX nexthop via GW [dev NAME] nexthop via GW ...   (ECMP)\n"
"        add blackhole|unreachable|prohibit PREFIX\n"
"        del PREFIX [via GW] [dev NAME] [metric N]\n"
"  neigh show [dev NAME]\n"
"        add A lladdr MAC dev NAME | del A dev NAME | flush [dev NAME]\n"
"  ra    show | del DEV\n"
"        set DEV [prefix P/64 [valid S] [preferred S]]... [rdnss A]...\n"
"            [lifetime S] [interval S]   (send IPv6 Router Advertisements)\n"
"  stats show | clear\n"
"  sock  show                        (sockets, TCP ones as 'ss -tani')\n"
"\n"
"See README.md for details.\n"
"\n"
"Exit status: 0 success, 1 a command failed, 2 usage, connection or\n"
"protocol error.\n";

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("ringctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\ntry 'ringctl --help'\n", stderr);
	exit(EXIT_USAGE);
}

static void proto_error(const char *what) __attribute__((noreturn));

static void proto_error(const char *what)
{
	fflush(stdout);
	fprintf(stderr, "ringctl: %s\n", what);
	exit(EXIT_USAGE);
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (q == NULL) {
		fflush(stdout);
		fprintf(stderr, "ringctl: out of memory\n");
		exit(EXIT_USAGE);
	}
	return q;
}

/* ---- where the commands come from ---- */

struct source {
	/* single command from the command line */
	char **words;
	int nwords;
	bool used;
	/* batch file */
	FILE *f;
	const char *name;
	char *line;
	size_t linecap;
	unsigned long lineno;
	char *argv[CTL_MAX_ARGS + 1];
};

enum next_rc { NEXT_CMD, NEXT_EOF, NEXT_ERR };

/* The next command's words, or NEXT_ERR with *err set (a line that cannot
 * be sent). */
static enum next_rc source_next(struct source *s, int *argc, char ***argv,
				unsigned long *lineno, const char **err)
{
	if (s->f == NULL) {
		if (s->used)
			return NEXT_EOF;
		s->used = true;
		*argc = s->nwords;
		*argv = s->words;
		*lineno = 0;
		return NEXT_CMD;
	}
	for (;;) {
		ssize_t n = getline(&s->line, &s->linecap, s->f);
		int i, c;

		if (n < 0) {
			if (ferror(s->f)) {
				fflush(stdout);
				fprintf(stderr, "ringctl: %s: read error: %s\n",
					s->name, strerror(errno));
				exit(EXIT_USAGE);
			}
			return NEXT_EOF;
		}
		*lineno = ++s->lineno;
		if (memchr(s->line, '\0', (size_t)n) != NULL) {
			*err = "NUL byte in line";
			return NEXT_ERR;
		}
		c = rs_args_split(s->line, s->argv, CTL_MAX_ARGS, err);
		if (c < 0)
			return NEXT_ERR;
		if (c == 0)
			continue;
		for (i = 0; i < c; i++) {
			if (strlen(s->argv[i]) > CTL_MAX_ARG) {
				*err = "word too long";
				return NEXT_ERR;
			}
		}
		*argc = c;
		*argv = s->argv;
		return NEXT_CMD;
	}
}

/* ---- the connection ---- */

static int ctl_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd, err;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* A request written (or queued) and not answered yet. */
struct pending {
	uint32_t seq;
	unsigned long lineno;
	uint64_t start;		/* its first byte's offset in the stream */
};

struct session {
	int fd;
	uint16_t flags;
	struct source *src;
	/* requests not written yet: out[out_off, out_len) */
	uint8_t *out;
	size_t out_len, out_off, out_cap;
	uint64_t out_base;	/* stream offset of out[0] */
	/* bytes read and not consumed: in[in_off, in_len) */
	uint8_t *in;
	size_t in_len, in_off, in_cap;
	/* outstanding requests, oldest first */
	struct pending pend[MAX_INFLIGHT];
	unsigned int pend_head, pend_n;
	uint32_t next_seq;
	/* no more requests to send: source done, or a command failed */
	bool eof;
	bool failed;
	/* a line that could not be sent; reported only if nothing before it
	 * fails */
	bool local_err;
	unsigned long local_lineno;
	const char *local_msg;
};

static void print_output(const char *s, size_t n)
{
	if (n == 0)
		return;
	fwrite(s, 1, n, stdout);
	if (s[n - 1] != '\n')
		putchar('\n');
}

static void report_failure(const struct session *ss, unsigned long lineno,
			   const char *msg, size_t n)
{
	fflush(stdout);
	if (ss->src->f != NULL)
		fprintf(stderr, "ringctl: %s:%lu: %.*s\n", ss->src->name, lineno,
			(int)n, msg);
	else
		fprintf(stderr, "ringctl: %.*s\n", (int)n, msg);
}

/* Stops sending: requests queued but not yet started on the wire are
 * dropped, so nothing after a failed command reaches the daemon unless it
 * was already (partly) written. */
static void stop_sending(struct session *ss)
{
	ss->eof = true;
	while (ss->pend_n > 0) {
		unsigned int last = (ss->pend_head + ss->pend_n - 1) % MAX_INFLIGHT;

		if (ss->pend[last].start < ss->out_base + ss->out_off)
			break;
		ss->out_len = (size_t)(ss->pend[last].start - ss->out_base);
		ss->pend_n--;
	}
}

/* Encodes up to MAX_INFLIGHT - pend_n more requests into out[] (which is
 * empty when this is called). */
static void refill(struct session *ss)
{
	ss->out_base += ss->out_len;
	ss->out_len = ss->out_off = 0;
	while (!ss->eof && ss->pend_n < MAX_INFLIGHT) {
		const size_t room = CTL_HDR_LEN + CTL_MAX_REQUEST;
		unsigned long lineno = 0;
		const char *err = NULL;
		char **argv = NULL;
		int argc = 0, n;
		struct pending *p;

		switch (source_next(ss->src, &argc, &argv, &lineno, &err)) {
		case NEXT_EOF:
			ss->eof = true;
			return;
		case NEXT_ERR:
			ss->local_err = true;
			ss->local_lineno = lineno;
			ss->local_msg = err;
			ss->eof = true;
			return;
		case NEXT_CMD:
			break;
		}
		if (ss->out_cap - ss->out_len < room) {
			ss->out_cap = ss->out_cap * 2 > ss->out_len + room ?
				ss->out_cap * 2 : ss->out_len + room;
			ss->out = xrealloc(ss->out, ss->out_cap);
		}
		n = ctl_request_encode(ss->out + ss->out_len, room, ss->next_seq,
				       ss->flags, argc, (const char *const *)argv);
		if (n < 0) {
			ss->local_err = true;
			ss->local_lineno = lineno;
			ss->local_msg = n == -EMSGSIZE ? "command too long" :
						       "invalid command";
			ss->eof = true;
			return;
		}
		p = &ss->pend[(ss->pend_head + ss->pend_n) % MAX_INFLIGHT];
		p->seq = ss->next_seq++;
		p->lineno = lineno;
		p->start = ss->out_base + ss->out_len;
		ss->pend_n++;
		ss->out_len += (size_t)n;
	}
}

static void do_write(struct session *ss)
{
	while (ss->out_off < ss->out_len) {
		ssize_t n = send(ss->fd, ss->out + ss->out_off,
				 ss->out_len - ss->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EPIPE || errno == ECONNRESET)
				proto_error("connection closed by ringstackd");
			fflush(stdout);
			fprintf(stderr, "ringctl: write to ringstackd: %s\n",
				strerror(errno));
			exit(EXIT_USAGE);
		}
		ss->out_off += (size_t)n;
	}
}

/* Handles every complete response frame in in[]. */
static void consume_responses(struct session *ss)
{
	for (;;) {
		size_t avail = ss->in_len - ss->in_off;
		const uint8_t *f = ss->in + ss->in_off;
		struct ctl_hdr h;
		struct pending *p;
		const char *out;
		size_t outlen;
		int32_t status;
		int rc;

		if (avail < CTL_HDR_LEN)
			return;
		rc = ctl_hdr_decode(f, &h);
		if (rc == -EPROTO)
			proto_error("ringstackd speaks another protocol version");
		if (rc == -EMSGSIZE)
			proto_error("bad response from ringstackd: frame too large");
		if (rc < 0 || h.type != CTL_T_RESPONSE)
			proto_error("bad response from ringstackd: bad frame header");
		if (ss->pend_n == 0)
			proto_error("bad response from ringstackd: unexpected response");
		p = &ss->pend[ss->pend_head];
		if (h.seq != p->seq)
			proto_error("bad response from ringstackd: sequence mismatch");
		if (avail - CTL_HDR_LEN < h.len) {
			/* make room for the whole frame */
			size_t need = CTL_HDR_LEN + (size_t)h.len;

			if (ss->in_off > 0) {
				memmove(ss->in, f, avail);
				ss->in_off = 0;
				ss->in_len = avail;
			}
			if (ss->in_cap < need) {
				ss->in_cap = need;
				ss->in = xrealloc(ss->in, ss->in_cap);
			}
			return;
		}
		if (ctl_response_decode(f + CTL_HDR_LEN, h.len, &status, &out,
					&outlen) < 0)
			proto_error("bad response from ringstackd: bad response body");

		if (!ss->failed) {
			if (status == 0) {
				print_output(out, outlen);
			} else {
				ss->failed = true;
				if (outlen == 0) {
					const char *m = strerror(-status);

					report_failure(ss, p->lineno, m, strlen(m));
				} else {
					report_failure(ss, p->lineno, out, outlen);
				}
			}
		}
		ss->pend_head = (ss->pend_head + 1) % MAX_INFLIGHT;
		ss->pend_n--;
		ss->in_off += CTL_HDR_LEN + h.len;
		if (ss->failed)
			stop_sending(ss);
	}
}

static void do_read(struct session *ss)
{
	ssize_t n;

	if (ss->in_off == ss->in_len) {
		ss->in_off = ss->in_len = 0;
	} else if (ss->in_cap - ss->in_len < READ_CHUNK / 4 && ss->in_off > 0) {
		memmove(ss->in, ss->in + ss->in_off, ss->in_len - ss->in_off);
		ss->in_len -= ss->in_off;
		ss->in_off = 0;
	}
	if (ss->in_cap - ss->in_len < READ_CHUNK / 4) {
		ss->in_cap = ss->in_len + READ_CHUNK;
		ss->in = xrealloc(ss->in, ss->in_cap);
	}
	n = recv(ss->fd, ss->in + ss->in_len, ss->in_cap - ss->in_len,
		 MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		if (errno == ECONNRESET)
			proto_error("connection closed by ringstackd");
		fflush(stdout);
		fprintf(stderr, "ringctl: read from ringstackd: %s\n",
			strerror(errno));
		exit(EXIT_USAGE);
	}
	if (n == 0) {
		if (ss->in_len > ss->in_off)
			proto_error("bad response from ringstackd: truncated frame");
		proto_error("connection closed by ringstackd");
	}
	ss->in_len += (size_t)n;
	consume_responses(ss);
}

/* Runs every command of src; returns the exit status. */
static int run(int fd, struct source *src, uint16_t flags)
{
	struct session ss;

	memset(&ss, 0, sizeof(ss));
	ss.fd = fd;
	ss.flags = flags;
	ss.src = src;
	ss.next_seq = 1;

	for (;;) {
		struct pollfd pfd;

		if (!ss.eof && ss.out_off == ss.out_len &&
		    ss.pend_n < REFILL_BELOW + 1)
			refill(&ss);
		if (ss.pend_n == 0 && ss.out_off == ss.out_len)
			break;
		/* try the write first: usually the socket has room */
		do_write(&ss);
		pfd.fd = fd;
		pfd.events = 0;
		pfd.revents = 0;
		if (ss.out_off < ss.out_len)
			pfd.events |= POLLOUT;
		if (ss.pend_n > 0)
			pfd.events |= POLLIN;
		if (pfd.events == 0)
			continue;
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			fflush(stdout);
			fprintf(stderr, "ringctl: poll: %s\n", strerror(errno));
			return EXIT_USAGE;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
			do_read(&ss);
		if (pfd.revents & POLLOUT)
			do_write(&ss);
	}
	free(ss.out);
	free(ss.in);

	if (ss.failed)
		return EXIT_FAILED;
	if (ss.local_err) {
		report_failure(&ss, ss.local_lineno, ss.local_msg,
			       strlen(ss.local_msg));
		return EXIT_FAILED;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "batch", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *batch = NULL;
	struct source src;
	uint16_t flags = 0;
	int c, fd, rc, i;

	opterr = 0;
	/* '+': options end at OBJECT, so command words may start with '-' */
	while ((c = getopt_long(argc, argv, "+s:jb:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'j':
			flags |= CTL_F_JSON;
			break;
		case 'b':
			batch = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("ringctl %s (protocol %d)\n", RINGSTACK_VERSION,
			       CTL_VERSION);
			return 0;
		default:
			if (optopt != 0 && strchr("sb", optopt) != NULL)
				usage_error("option -%c needs an argument", optopt);
			if (optopt != 0)
				usage_error("unknown option -%c", optopt);
			usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	if (path == NULL)
		path = getenv("RINGSTACK_CTL");
	if (path == NULL || *path == '\0')
		path = DEFAULT_CTL_PATH;

	memset(&src, 0, sizeof(src));
	if (batch != NULL) {
		if (optind < argc)
			usage_error("-b takes no command words");
		src.name = batch;
		if (strcmp(batch, "-") == 0) {
			src.f = stdin;
		} else {
			src.f = fopen(batch, "r");
			if (src.f == NULL) {
				fprintf(stderr, "ringctl: %s: %s\n", batch,
					strerror(errno));
				return EXIT_USAGE;
			}
		}
		setvbuf(src.f, NULL, _IOFBF, 256 * 1024);
	} else {
		if (optind >= argc)
			usage_error("missing OBJECT and COMMAND");
		src.words = argv + optind;
		src.nwords = argc - optind;
		if (src.nwords > CTL_MAX_ARGS)
			usage_error("too many words (at most %d)", CTL_MAX_ARGS);
		for (i = 0; i < src.nwords; i++)
			if (strlen(src.words[i]) > CTL_MAX_ARG)
				usage_error("word too long (at most %d bytes)",
					    CTL_MAX_ARG);
	}

	fd = ctl_connect(path);
	if (fd < 0) {
		fprintf(stderr, "ringctl: cannot reach ringstackd at %s: %s\n",
			path, strerror(errno));
		return EXIT_USAGE;
	}

	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOFBF, 64 * 1024);
	if (src.f != NULL)
		flags |= CTL_F_STOP_ON_ERROR; /* requests already in flight are not run */
	rc = run(fd, &src, flags);
	close(fd);
	if (src.f != NULL && src.f != stdin)
		fclose(src.f);
	free(src.line);

	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "ringctl: write error on stdout: %s\n",
			strerror(errno));
		return rc != 0 ? rc : EXIT_FAILED;
	}
	return rc;
}

/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dp.h"
#include "ctl/cmd.h"
#include "ip6/ra.h"
#include "sock/sock.h"
#include "util/rs_log.h"

/* iproute2-style abbreviations: "a" for addr, "sh" for show, ... */
bool cmd_is(const char *word, const char *full, unsigned min_prefix)
{
	/* most calls compare a word with the wrong keyword: the first
	 * letter tells (an empty word goes the long way) */
	if (word[0] != full[0] && word[0] != '\0')
		return false;
	size_t n = strlen(word);
	return n >= min_prefix && n <= strlen(full) && strncmp(word, full, n) == 0;
}

int cmd_parse_ip4(const char *s, uint32_t *ip)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1) {
		rs_err_set("invalid IPv4 address \"%s\"", s);
		return -EINVAL;
	}
	*ip = ntohl(a.s_addr);
	return 0;
}

int cmd_parse_prefix4(const char *s, uint32_t *ip, uint8_t *plen)
{
	char buf[64];
	if (strcmp(s, "default") == 0) {
		*ip = 0;
		*plen = 0;
		return 0;
	}
	/* cut at the slash in a copy (truncated as snprintf would, but
	 * cheaper: snprintf here showed in the profile of a million-route
	 * batch) */
	size_t n = strnlen(s, sizeof(buf) - 1);
	memcpy(buf, s, n);
	buf[n] = '\0';
	char *slash = strchr(buf, '/');
	uint32_t l = 32;
	if (slash) {
		*slash = '\0';
		if (cmd_parse_u32(slash + 1, 32, &l) < 0) {
			rs_err_set("invalid prefix length in \"%s\"", s);
			return -EINVAL;
		}
	}
	if (cmd_parse_ip4(buf, ip) < 0) {
		rs_err_set("invalid IPv4 prefix \"%s\"", s);
		return -EINVAL;
	}
	*plen = (uint8_t)l;
	return 0;
}

int cmd_parse_prefix6(const char *s, uint8_t ip[16], uint8_t *plen)
{
	char buf[64];
	if (strcmp(s, "default") == 0) {
		memset(ip, 0, 16);
		*plen = 0;
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	char *slash = strchr(buf, '/');
	uint32_t l = 128;
	if (slash) {
		*slash = '\0';
		if (cmd_parse_u32(slash + 1, 128, &l) < 0) {
			rs_err_set("invalid prefix length in \"%s\"", s);
			return -EINVAL;
		}
	}
	if (inet_pton(AF_INET6, buf, ip) != 1) {
		rs_err_set("invalid IPv6 prefix \"%s\"", s);
		return -EINVAL;
	}
	*plen = (uint8_t)l;
	return 0;
}

bool cmd_is_ip6(const char *s)
{
	return strchr(s, ':') != NULL;
}

int cmd_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char extra;
	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &extra) != 6) {
		rs_err_set("invalid link-layer address \"%s\"", s);
		return -EINVAL;
	}
	for (int i = 0; i < 6; i++) {
		if (v[i] > 0xff) {
			rs_err_set("invalid link-layer address \"%s\"", s);
			return -EINVAL;
		}
		mac[i] = (uint8_t)v[i];
	}
	return 0;
}

int cmd_parse_u32(const char *s, uint32_t max, uint32_t *v)
{
	char *end;
	errno = 0;
	unsigned long x = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || x > max) {
		rs_err_set("invalid number \"%s\" (0..%u)", s, max);
		return -EINVAL;
	}
	*v = (uint32_t)x;
	return 0;
}

int cmd_iface(const char *name)
{
	int i = rs_iface_by_name(rs_cfg_current(), name);
	if (i < 0)
		rs_err_set("no link named \"%s\"", name);
	return i;
}

void cmd_fmt_ip4(uint32_t ip, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

/* read-only verbs of an object; a missing verb means "show" for all */
static const char *const ro_show[] = { "show", "list", NULL };
static const char *const ro_route[] = { "show", "list", "get", NULL };
static const char *const ro_stats[] = { "show", NULL };

static const struct {
	const char *name;
	unsigned min;
	int (*fn)(struct cmd_ctx *, int, char **);
	const char *const *ro;
} objects[] = {
	{ "link", 1, cmd_link, ro_show },
	{ "addr", 1, cmd_addr, ro_show },
	{ "address", 1, cmd_addr, ro_show },
	{ "route", 1, cmd_route, ro_route },
	{ "neigh", 1, cmd_neigh, ro_show },
	{ "neighbor", 1, cmd_neigh, ro_show },
	{ "stats", 1, cmd_stats, ro_stats },
	{ "ra", 2, cmd_ra, ro_show },
	{ "sock", 2, cmd_sock, ro_show },
	{ "socket", 2, cmd_sock, ro_show },
};

/*
 * Read-only commands are matched here, in one place, with the handlers'
 * own abbreviation rule (cmd_is, one letter): everything not matched is
 * management, so a verb added to a handler is refused to non-administrators
 * until it is listed here. Every handler tests "show" (and "list") before
 * any other verb, so "s" is show wherever it is accepted.
 */
bool cmd_is_readonly(int argc, char **argv)
{
	if (argc < 1)
		return false;
	for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]); i++) {
		if (!cmd_is(argv[0], objects[i].name, objects[i].min))
			continue;
		/* "route -6 show": the family flag names no verb */
		int verb = argc >= 3 && strcmp(argv[1], "-6") == 0 ? 2 : 1;
		if (argc == verb)
			return true;
		for (const char *const *v = objects[i].ro; *v != NULL; v++)
			if (cmd_is(argv[verb], *v, 1))
				return true;
		return false;
	}
	return false;
}

bool cmd_needs_grace(int argc, char **argv)
{
	if (cmd_is_readonly(argc, argv))
		return false;
	/* route add/del/replace: the FIB's stores are visible as made and
	 * what they unlink goes through rs_defer_free */
	return !(argc >= 1 && cmd_is(argv[0], "route", 1));
}

int cmd_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	rs_err_clear();
	if (argc < 1) {
		rs_err_set("empty command");
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]); i++)
		if (cmd_is(argv[0], objects[i].name, objects[i].min)) {
			int rc = objects[i].fn(ctx, argc - 1, argv + 1);
			if (rc < 0 && rs_err_get()[0] == '\0')
				rs_err_set("%s", strerror(-rc));
			return rc;
		}
	rs_err_set("unknown object \"%s\" (link, addr, route, neigh, stats, sock)", argv[0]);
	return -EINVAL;
}

/* ringctl sock show: like ss -uanp */
int cmd_sock(struct cmd_ctx *ctx, int argc, char **argv)
{
	if (argc == 0 || cmd_is(argv[0], "show", 1) || cmd_is(argv[0], "list", 1)) {
		sock_show(ctx->out, ctx->json);
		return 0;
	}
	rs_err_set("unknown sock command \"%s\" (show)", argv[0]);
	return -EINVAL;
}

int cmd_defaults(void)
{
	/* lo's address, as Linux brings it up (DESIGN.md: 127.0.0.1/8) */
	char a0[] = "addr", a1[] = "add", a2[] = "127.0.0.1/8", a3[] = "dev", a4[] = "lo";
	char *argv[] = { a0, a1, a2, a3, a4, NULL };
	struct rs_buf out;
	rs_buf_init(&out);
	struct cmd_ctx ctx = { .json = false, .out = &out };
	int rc = cmd_exec(&ctx, 5, argv);
	rs_buf_free(&out);
	if (rc == 0)
		rs_cfg_commit();
	return rc;
}

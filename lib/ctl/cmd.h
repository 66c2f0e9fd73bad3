/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringctl commands, executed on the control thread (from the management
 * socket and from --config files). iproute2 syntax. A command either fully
 * applies or changes nothing and returns -errno with a one-line message
 * (rs_err_set). Every change is published to workers before the caller
 * answers (rs_cfg_commit / rs_sync); a route change is visible in the FIB
 * as it is made, and its answer does not wait (cmd_needs_grace).
 */
#ifndef RS_CMD_H
#define RS_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include "util/rs_json.h"

struct cmd_ctx {
	bool json;
	struct rs_buf *out;
};

int cmd_exec(struct cmd_ctx *ctx, int argc, char **argv);
/* true for a command that only reads (show, list, get): anyone connected may
 * run it; anything else, unknown words included, is management */
bool cmd_is_readonly(int argc, char **argv);
/* false for a command whose answer need not wait for a grace period
 * (reading, route changes); true for the rest, unknown words included */
bool cmd_needs_grace(int argc, char **argv);

int cmd_link(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_addr(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_route(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_neigh(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_stats(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_sock(struct cmd_ctx *ctx, int argc, char **argv);

/* forget the stats baseline of a port (a hot-plugged port may reuse an id) */
void cmd_stats_port_reset(uint16_t port);

/* helpers */
bool cmd_is(const char *word, const char *full, unsigned min_prefix);
int cmd_parse_ip4(const char *s, uint32_t *ip);
int cmd_parse_prefix4(const char *s, uint32_t *ip, uint8_t *plen);
int cmd_parse_mac(const char *s, uint8_t mac[6]);
/* ADDR[/LEN] (default /128) or "default"; 0 or -EINVAL with a message */
int cmd_parse_prefix6(const char *s, uint8_t ip[16], uint8_t *plen);
/* the word looks like an IPv6 address or prefix (has a ':') */
bool cmd_is_ip6(const char *s);
int cmd_parse_u32(const char *s, uint32_t max, uint32_t *v);
int cmd_iface(const char *name); /* index or -ENODEV with message */
void cmd_fmt_ip4(uint32_t ip, char out[16]);

/* drains worker messages and runs timers once (also used by the fuzzer) */
void ctl_poll_workers(void);

/* The configuration every daemon starts with (lo's address). 0 or -errno. */
int cmd_defaults(void);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The management socket (lib/ctl/ctl_server.c): one unix socket serves two
 * kinds of peers (DESIGN.md). Applications attach (anyone who may connect
 * to the socket: its mode and group say who); management commands, that
 * is every command that changes state, are accepted from uid 0 or members
 * of the administrators' group only. Read-only commands (show, list, get)
 * are open to every peer, as `ip route show` is on Linux.
 *
 * A peer's credentials are taken once, when it connects: SO_PEERCRED for
 * its uid and gid, SO_PEERGROUPS for its supplementary groups. Both are
 * the credentials the kernel recorded at connect(), so there is no window
 * in which the peer (or a process that reused its pid) could change what
 * is checked, and no group database lookup (a uid needs no passwd entry).
 */
#ifndef RS_CTL_SERVER_H
#define RS_CTL_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct ctl_server_params {
	const char *path;        /* the socket */
	unsigned mode;           /* its file mode (default 0666: anyone may attach) */
	long sock_gid;           /* group of the socket file, -1: the daemon's */
	long admin_gid;          /* members may manage, -1: root only */
	char admin_group[64];    /* the group's name, for messages */
};

void ctl_server_params_default(struct ctl_server_params *p);
int ctl_server_open(const struct ctl_server_params *p);
int ctl_server_run(void);
void ctl_server_close(void);

/* Whether a peer with these credentials may manage (uid 0, or gid or one
 * of groups is the administrators' group). */
bool ctl_peer_is_admin(const struct ctl_server_params *p, uid_t uid, gid_t gid,
		       const gid_t *groups, unsigned ngroups);

#endif

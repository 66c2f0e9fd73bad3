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

/*
 * Bounds (defaults in ctl_server_params_default):
 *  - at most max_clients connections (applications and ringctl alike); the
 *    last admin_reserve of them only for administrators, so peers that
 *    connect and wait cannot lock management out;
 *  - at most max_clients_per_uid connections of one uid that is not an
 *    administrator;
 *  - per connection, output not yet read by the peer: past out_soft the
 *    daemon neither reads nor runs that peer's requests until it reads
 *    (backpressure: a peer that sends requests and never reads holds at
 *    most out_soft plus one response); a response that would take a
 *    non-administrator past out_max disconnects it (one answer alone
 *    larger than that is refused with an error instead);
 *  - out of file descriptors (EMFILE) on accept: the listener is paused
 *    and tried again 100 ms later, rather than spinning on a socket that
 *    stays readable.
 */
struct ctl_server_params {
	const char *path;        /* the socket */
	unsigned mode;           /* its file mode (default 0666: anyone may attach) */
	long sock_gid;           /* group of the socket file, -1: the daemon's */
	long admin_gid;          /* members may manage, -1: root only */
	char admin_group[64];    /* the group's name, for messages */
	uint32_t max_clients;    /* connections at once (4096) */
	uint32_t max_clients_per_uid; /* of one non-administrator uid (1024) */
	uint32_t admin_reserve;  /* of max_clients, for administrators only (16) */
	size_t out_soft;         /* unsent output that stops a peer's requests (1 MiB) */
	size_t out_max;          /* unsent output of a non-administrator (16 MiB) */
};

struct ctl_server_stats {
	uint32_t clients;        /* connected now */
	uint32_t admins;         /* of which administrators */
	uint32_t apps;           /* of which attached applications */
	uint32_t throttled;      /* of which over out_soft (their requests wait) */
	uint64_t out_bytes;      /* unsent output, all connections */
	uint64_t out_max;        /* unsent output of the connection with the most */
	uint64_t refused_full;   /* connections refused: no slot (or only reserved ones) */
	uint64_t refused_uid;    /* connections refused: the uid's quota */
	uint64_t dropped;        /* connections closed for their unsent output */
	uint64_t accept_paused;  /* times accept ran out of descriptors */
	uint64_t wakeups;        /* returns from epoll_wait: a loop that spins shows here */
};

void ctl_server_params_default(struct ctl_server_params *p);
int ctl_server_open(const struct ctl_server_params *p);
/* Waits up to timeout_ms (-1: forever) and serves what is ready: 1 when a
 * stop signal arrived, 0 otherwise, -errno on failure. */
int ctl_server_poll(int timeout_ms);
int ctl_server_run(void);
void ctl_server_close(void);
/* Serves fd (a connected stream socket) as a client with the given
 * credentials, vouched for by the caller (the fuzzer's socketpairs). */
int ctl_server_adopt(int fd, uid_t uid, bool admin);
void ctl_server_get_stats(struct ctl_server_stats *s);

/* Whether a peer with these credentials may manage (uid 0, or gid or one
 * of groups is the administrators' group). */
bool ctl_peer_is_admin(const struct ctl_server_params *p, uid_t uid, gid_t gid,
		       const gid_t *groups, unsigned ngroups);

#endif

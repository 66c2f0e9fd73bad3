/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libringsock, the process: what an interposer (lib/preload) needs beyond
 * the POSIX-shaped calls. rs_fd_kind tells it which calls to take over,
 * rs_fork_prepare/parent/child carry the attachment and the sockets
 * across fork() (docs/fork.md).
 */
#include "ringstack/socket.h"
#include "rs_priv.h"

int
rs_fd_kind(int fd)
{
	if (rs_sock_present(fd))
		return RS_FD_SOCKET;
	if (rs_ep_present(fd))
		return RS_FD_EPOLL;
	return RS_FD_NONE;
}

void
rs_fork_prepare(void)
{
	rs_ctl_fork_prepare();
}

void
rs_fork_parent(void)
{
	rs_ctl_fork_parent();
}

int
rs_fork_shared(void)
{
	return rs_forked();
}

void
rs_fork_failed(void)
{
	rs_ctl_fork_failed();
}

void
rs_fork_child(void (*orphan)(int fd))
{
	bool keep = rs_ctl_fork_child(orphan);

	rs_ep_fork_child(keep);
	if (keep)
		rs_ctl_fork_relist();
}

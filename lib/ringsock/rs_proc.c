/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libringsock, the process: what an interposer (lib/preload) needs beyond
 * the POSIX-shaped calls. rs_fd_kind tells it which calls to take over,
 * rs_fork_child gives a child process a clean library.
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
rs_fork_child(void (*orphan)(int fd))
{
	rs_ep_fork_child();
	rs_ctl_fork_child(orphan);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals shared by the socket layer's files (not for protocols). */
#ifndef RS_SOCK_INT_H
#define RS_SOCK_INT_H

#include "sock/sock.h"
#include "sock/sock_port.h"

extern struct sock_ports *sock_ports_tbl;

/* Control thread. */
int sock_quota_init(void);
void sock_quota_fini(void);
struct rs_sock *sock_new(struct rs_app *a, const struct sock_proto *p, int domain, int *app_fd,
			 int *err);
void sock_publish(struct rs_sock *s);
/* The application closed s (or died): the protocol decides when it is
 * released. The slot is dead for requests at once. */
void sock_close(struct rs_sock *s, bool dead_app);
/* Asks s's owner to look at its tx ring (a doorbell may have gone to
 * another worker). */
void sock_tx_kick(struct rs_sock *s);
const struct sock_proto *sock_proto_find(int type, int protocol);

/* Per app, per worker: sockets the worker left data in (budget reached):
 * served first next walk. Worker-owned. */
#define SOCK_TXQ 256
struct sock_txq {
	uint16_t n;
	uint32_t sd[SOCK_TXQ];
} __attribute__((aligned(64)));

#endif

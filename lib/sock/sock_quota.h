/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-user quotas of the socket layer: applications attached and sockets
 * open, per effective uid (SO_PEERCRED at attach), and applications in
 * all. Pure and DPDK-free; one thread (the control thread). Charges are
 * all or nothing: a refused charge changes nothing.
 */
#ifndef RS_SOCK_QUOTA_H
#define RS_SOCK_QUOTA_H

#include <stdint.h>

struct sock_quota_limits {
	uint32_t max_apps;      /* all users */
	uint32_t apps_per_uid;
	uint32_t socks_per_uid;
};

struct sock_quota;

/* NULL + errno. */
struct sock_quota *sock_quota_create(const struct sock_quota_limits *l);
void sock_quota_destroy(struct sock_quota *q);
/* 0, or -EUSERS (over max_apps or apps_per_uid), -ENOMEM. */
int sock_quota_app_get(struct sock_quota *q, uint32_t uid);
void sock_quota_app_put(struct sock_quota *q, uint32_t uid);
/* 0, or -EMFILE (over socks_per_uid), -ENOMEM. */
int sock_quota_sock_get(struct sock_quota *q, uint32_t uid);
void sock_quota_sock_put(struct sock_quota *q, uint32_t uid);
/* What uid holds now (0 for an unknown uid); apps in all. */
uint32_t sock_quota_apps(const struct sock_quota *q, uint32_t uid);
uint32_t sock_quota_socks(const struct sock_quota *q, uint32_t uid);
uint32_t sock_quota_apps_total(const struct sock_quota *q);
/* Users with anything charged (entries kept). */
uint32_t sock_quota_users(const struct sock_quota *q);

#endif

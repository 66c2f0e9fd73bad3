/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>

#include "sock/sock_quota.h"

struct use {
	uint32_t uid;
	uint32_t apps;
	uint32_t socks;
};

struct sock_quota {
	struct sock_quota_limits l;
	struct use *u;  /* users with something charged; small: linear */
	uint32_t n, cap;
	uint32_t apps;
};

struct sock_quota *sock_quota_create(const struct sock_quota_limits *l)
{
	struct sock_quota *q = calloc(1, sizeof(*q));
	if (q == NULL)
		return NULL;
	q->l = *l;
	return q;
}

void sock_quota_destroy(struct sock_quota *q)
{
	if (q == NULL)
		return;
	free(q->u);
	free(q);
}

static struct use *find(const struct sock_quota *q, uint32_t uid)
{
	for (uint32_t i = 0; i < q->n; i++)
		if (q->u[i].uid == uid)
			return &q->u[i];
	return NULL;
}

static struct use *find_or_add(struct sock_quota *q, uint32_t uid)
{
	struct use *e = find(q, uid);
	if (e != NULL)
		return e;
	if (q->n == q->cap) {
		uint32_t c = q->cap ? q->cap * 2 : 8;
		struct use *u = realloc(q->u, c * sizeof(*u));
		if (u == NULL)
			return NULL;
		q->u = u;
		q->cap = c;
	}
	q->u[q->n] = (struct use){ .uid = uid };
	return &q->u[q->n++];
}

/* Drops an entry that holds nothing. */
static void tidy(struct sock_quota *q, struct use *e)
{
	if (e->apps == 0 && e->socks == 0)
		*e = q->u[--q->n];
}

int sock_quota_app_get(struct sock_quota *q, uint32_t uid)
{
	if (q->apps >= q->l.max_apps)
		return -EUSERS;
	struct use *e = find_or_add(q, uid);
	if (e == NULL)
		return -ENOMEM;
	if (e->apps >= q->l.apps_per_uid) {
		tidy(q, e);
		return -EUSERS;
	}
	e->apps++;
	q->apps++;
	return 0;
}

void sock_quota_app_put(struct sock_quota *q, uint32_t uid)
{
	struct use *e = find(q, uid);
	if (e == NULL || e->apps == 0)
		return;
	e->apps--;
	q->apps--;
	tidy(q, e);
}

int sock_quota_sock_get(struct sock_quota *q, uint32_t uid)
{
	struct use *e = find_or_add(q, uid);
	if (e == NULL)
		return -ENOMEM;
	if (e->socks >= q->l.socks_per_uid) {
		tidy(q, e);
		return -EMFILE;
	}
	e->socks++;
	return 0;
}

void sock_quota_sock_put(struct sock_quota *q, uint32_t uid)
{
	struct use *e = find(q, uid);
	if (e == NULL || e->socks == 0)
		return;
	e->socks--;
	tidy(q, e);
}

uint32_t sock_quota_apps(const struct sock_quota *q, uint32_t uid)
{
	const struct use *e = find(q, uid);
	return e ? e->apps : 0;
}

uint32_t sock_quota_socks(const struct sock_quota *q, uint32_t uid)
{
	const struct use *e = find(q, uid);
	return e ? e->socks : 0;
}

uint32_t sock_quota_apps_total(const struct sock_quota *q)
{
	return q->apps;
}

uint32_t sock_quota_users(const struct sock_quota *q)
{
	return q->n;
}

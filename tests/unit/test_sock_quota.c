/* SPDX-License-Identifier: BSD-3-Clause */
/* The socket layer's per-user quotas (lib/sock/sock_quota.h), without DPDK. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>

#include "sock/sock_quota.h"

static struct sock_quota *mk(uint32_t max_apps, uint32_t apps_uid, uint32_t socks_uid)
{
	struct sock_quota_limits l = { max_apps, apps_uid, socks_uid };
	struct sock_quota *q = sock_quota_create(&l);
	cr_assert_not_null(q);
	return q;
}

Test(sock_quota, apps_per_uid_and_in_all)
{
	struct sock_quota *q = mk(3, 2, 100);
	cr_assert_eq(sock_quota_app_get(q, 1000), 0);
	cr_assert_eq(sock_quota_app_get(q, 1000), 0);
	cr_assert_eq(sock_quota_app_get(q, 1000), -EUSERS, "third app of one uid");
	cr_assert_eq(sock_quota_apps(q, 1000), 2, "a refused charge changes nothing");
	cr_assert_eq(sock_quota_app_get(q, 0), 0);
	cr_assert_eq(sock_quota_app_get(q, 7), -EUSERS, "max_apps in all");
	cr_assert_eq(sock_quota_users(q), 2, "no entry for a refused user");
	sock_quota_app_put(q, 1000);
	cr_assert_eq(sock_quota_app_get(q, 7), 0);
	cr_assert_eq(sock_quota_apps_total(q), 3);
	sock_quota_destroy(q);
}

Test(sock_quota, socks_per_uid_across_apps)
{
	struct sock_quota *q = mk(10, 10, 5);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(sock_quota_sock_get(q, 42), 0);
	cr_assert_eq(sock_quota_sock_get(q, 42), -EMFILE);
	cr_assert_eq(sock_quota_sock_get(q, 43), 0, "another user has its own");
	sock_quota_sock_put(q, 42);
	cr_assert_eq(sock_quota_sock_get(q, 42), 0);
	cr_assert_eq(sock_quota_socks(q, 42), 5);
	sock_quota_destroy(q);
}

Test(sock_quota, puts_never_underflow_and_entries_go)
{
	struct sock_quota *q = mk(10, 10, 10);
	sock_quota_app_put(q, 5);
	sock_quota_sock_put(q, 5);
	cr_assert_eq(sock_quota_users(q), 0);
	cr_assert_eq(sock_quota_app_get(q, 5), 0);
	cr_assert_eq(sock_quota_sock_get(q, 5), 0);
	sock_quota_app_put(q, 5);
	cr_assert_eq(sock_quota_users(q), 1, "still holds a socket");
	sock_quota_sock_put(q, 5);
	sock_quota_sock_put(q, 5);
	cr_assert_eq(sock_quota_users(q), 0);
	cr_assert_eq(sock_quota_apps_total(q), 0);
	sock_quota_destroy(q);
}

/* A model: random charges and releases over a few users agree with counts. */
Test(sock_quota, model)
{
	struct sock_quota *q = mk(20, 6, 30);
	uint32_t apps[4] = { 0 }, socks[4] = { 0 }, total = 0;
	srand(11);
	for (int i = 0; i < 100000; i++) {
		uint32_t u = (uint32_t)rand() % 4;
		switch (rand() % 4) {
		case 0: {
			int want = total < 20 && apps[u] < 6 ? 0 : -EUSERS;
			cr_assert_eq(sock_quota_app_get(q, u), want);
			if (want == 0)
				apps[u]++, total++;
			break;
		}
		case 1:
			sock_quota_app_put(q, u);
			if (apps[u])
				apps[u]--, total--;
			break;
		case 2: {
			int want = socks[u] < 30 ? 0 : -EMFILE;
			cr_assert_eq(sock_quota_sock_get(q, u), want);
			if (want == 0)
				socks[u]++;
			break;
		}
		default:
			sock_quota_sock_put(q, u);
			if (socks[u])
				socks[u]--;
		}
		cr_assert_eq(sock_quota_apps(q, u), apps[u]);
		cr_assert_eq(sock_quota_socks(q, u), socks[u]);
		cr_assert_eq(sock_quota_apps_total(q), total);
	}
	sock_quota_destroy(q);
}

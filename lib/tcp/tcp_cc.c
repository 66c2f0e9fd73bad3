/* SPDX-License-Identifier: BSD-3-Clause */
/* The congestion control registry (TCP_CONGESTION names). */
#include "tcp_impl.h"

static const struct tcp_cc_ops *const cc_all[] = { &tcp_cc_cubic, &tcp_cc_reno };

const struct tcp_cc_ops *
tcp_cc_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(cc_all) / sizeof(cc_all[0]); i++)
		if (strcmp(cc_all[i]->name, name) == 0)
			return cc_all[i];
	return NULL;
}

int
tcp_set_congestion(struct tcp_conn *c, const char *name, uint64_t now_ns)
{
	const struct tcp_cc_ops *ops = tcp_cc_find(name);
	if (ops == NULL)
		return -ENOENT;
	c->cc = ops;
	c->so.cc = ops;
	memset(c->cc_priv, 0, sizeof(c->cc_priv));
	if (ops->init)
		ops->init(c, now_ns);
	return 0;
}

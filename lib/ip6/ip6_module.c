/* SPDX-License-Identifier: BSD-3-Clause */
/* The IPv6 module's graph nodes (core/module.h). */
#include "core/module.h"

static const char *const ip6_nodes[] = {
	"ip6_input", "ip6_local", "ip6_forward", "ip6_output", "eth_output6", "icmp6_input",
	NULL,
};

static struct rs_module ip6_module = {
	.name = "ip6",
	.order = 31,
	.nodes = ip6_nodes,
};
RS_MODULE_REGISTER(ip6_module);

/* SPDX-License-Identifier: BSD-3-Clause */
/* The UDP module: its graph nodes (core/module.h). */
#include "core/module.h"

static const char *const udp_nodes[] = { "udp_input", NULL };

static struct rs_module udp_module = {
	.name = "udp",
	.order = 50,
	.nodes = udp_nodes,
};
RS_MODULE_REGISTER(udp_module);

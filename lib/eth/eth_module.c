/* SPDX-License-Identifier: BSD-3-Clause */
/* The Ethernet module: the ports' graph nodes (core/module.h). */
#include "core/module.h"

static const char *const eth_nodes[] = {
	"port_rx", "ctl_input", "eth_input", "eth_output", "port_tx", NULL,
};

static struct rs_module eth_module = {
	.name = "eth",
	.order = 10,
	.nodes = eth_nodes,
};
RS_MODULE_REGISTER(eth_module);

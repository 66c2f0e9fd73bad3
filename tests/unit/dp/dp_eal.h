/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL set-up shared by the DPDK unit tests. Criterion runs every test in its
 * own process, so each process initialises the EAL once (from a suite or
 * test .init) with a file prefix of its own, and removes its runtime
 * directory (/var/run/dpdk/<prefix>) in .fini. No hugepages, no PCI, one
 * lcore: these tests never start a worker.
 */
#ifndef RS_UT_DP_EAL_H
#define RS_UT_DP_EAL_H

#include <ftw.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>

#include "core/dp.h"

static char ut_eal_prefix[64];
static bool ut_eal_up;

static int ut_rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static inline void ut_rm_runtime_dir(void)
{
	char dir[128];
	if (ut_eal_prefix[0] == '\0')
		return;
	snprintf(dir, sizeof(dir), "/var/run/dpdk/%s", ut_eal_prefix);
	nftw(dir, ut_rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

static inline void ut_eal_init(void)
{
	snprintf(ut_eal_prefix, sizeof(ut_eal_prefix), "rsut%d", (int)getpid());
	char *argv[] = {
		(char *)"rs_unit", (char *)"-l", (char *)"0", (char *)"--no-huge",
		(char *)"--no-pci", (char *)"-m", (char *)"256", (char *)"--no-telemetry",
		(char *)"--log-level=*:error", (char *)"--file-prefix", ut_eal_prefix, NULL,
	};
	int argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1;
	int rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		ut_rm_runtime_dir();
		cr_assert_fail("rte_eal_init: %s (these tests need root)", rte_strerror(rte_errno));
	}
	ut_eal_up = true;
	rs_dp.tsc_hz = rte_get_tsc_hz();
}

static inline void ut_eal_fini(void)
{
	if (ut_eal_up)
		rte_eal_cleanup();
	ut_eal_up = false;
	ut_rm_runtime_dir();
}

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIGURG for F_SETOWN owners (control thread). Linux sends it from the
 * kernel with the credentials of whoever called F_SETOWN (sigio_perm); the
 * daemon runs as root, so it checks the same rule itself: the application's
 * effective uid (SO_PEERCRED at attach) is root, or is the target's real or
 * saved uid. A process group gets it process by process, each checked.
 * Rare (one per new urgent pointer), so reading /proc is fine here; never
 * on a worker.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "sock/sock.h"

/* The real and saved uid, and the process group, of pid from
 * /proc/PID/stat and /proc/PID/status. false: gone or unreadable. */
static bool proc_ids(pid_t pid, uint32_t *ruid, uint32_t *suid, pid_t *pgrp)
{
	char path[64], line[256];
	bool got_uid = false, got_pgrp = false;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned r, e, sv;
		if (sscanf(line, "Uid: %u %u %u", &r, &e, &sv) == 3) {
			*ruid = r;
			*suid = sv;
			got_uid = true;
			break;
		}
	}
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return false;
	/* pid (comm) state ppid pgrp ...: comm may hold spaces and ')' */
	if (fgets(line, sizeof(line), f) != NULL) {
		const char *p = strrchr(line, ')');
		int pg;
		char st;
		int pp;
		if (p != NULL && sscanf(p + 1, " %c %d %d", &st, &pp, &pg) == 3) {
			*pgrp = pg;
			got_pgrp = true;
		}
	}
	fclose(f);
	return got_uid && got_pgrp;
}

static bool may_signal(uint32_t euid, uint32_t ruid, uint32_t suid)
{
	return euid == 0 || euid == ruid || euid == suid;
}

int sock_send_sigurg(int32_t owner, uint32_t euid)
{
	uint32_t ruid, suid;
	pid_t pg;
	int sent = 0;

	if (owner > 0) {
		if (!proc_ids(owner, &ruid, &suid, &pg) || !may_signal(euid, ruid, suid))
			return 0;
		return kill(owner, SIGURG) == 0;
	}
	if (owner == 0 || owner == INT32_MIN)
		return 0;
	DIR *d = opendir("/proc");
	if (d == NULL)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end != 0 || pid <= 0)
			continue;
		if (proc_ids((pid_t)pid, &ruid, &suid, &pg) && pg == -owner &&
		    may_signal(euid, ruid, suid) && kill((pid_t)pid, SIGURG) == 0)
			sent++;
	}
	closedir(d);
	return sent;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A plain libc program (no libringsock): a blocking recv on a UDP socket is
 * interrupted by SIGALRM, and a second thread sends a datagram to an echo
 * server 600 ms later whose echo ends the recv.
 *   sig_restart PEER PORT restart|norestart|timeout
 * restart: handler with SA_RESTART -> recv goes on and returns the echo
 *   ("restarted"); norestart: without -> recv fails with EINTR ("eintr");
 *   timeout: SA_RESTART but SO_RCVTIMEO set -> EINTR as well (signal(7)).
 * Run on Linux sockets and under the shim, it must print the same.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t hits;
static int fd;

static void
on_alarm(int sig)
{
	(void)sig;
	hits++;
}

static void *
late_sender(void *arg)
{
	struct timespec ts = { 0, 600000000 };

	(void)arg;
	nanosleep(&ts, NULL);
	if (send(fd, "late", 4, 0) != 4)
		perror("send");
	return NULL;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in peer = { .sin_family = AF_INET };
	struct itimerval it = { .it_value = { 0, 200000 } };
	struct sigaction sa;
	sigset_t block;
	pthread_t th;
	char buf[16];
	ssize_t n;

	if (argc != 4)
		return 2;
	peer.sin_port = htons((unsigned short)atoi(argv[2]));
	inet_pton(AF_INET, argv[1], &peer.sin_addr);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&peer, sizeof(peer)) < 0) {
		perror("socket/connect");
		return 1;
	}
	if (strcmp(argv[3], "timeout") == 0) {
		struct timeval tv = { 5, 0 };

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = strcmp(argv[3], "norestart") == 0 ? 0 : SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	/* The sender thread never takes the signal: the recv does. */
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	pthread_create(&th, NULL, late_sender, NULL);
	pthread_sigmask(SIG_UNBLOCK, &block, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	n = recv(fd, buf, sizeof(buf), 0);
	pthread_join(th, NULL);
	if (n == 4 && memcmp(buf, "late", 4) == 0 && hits == 1)
		printf("restarted\n");
	else if (n < 0 && errno == EINTR && hits == 1)
		printf("eintr\n");
	else
		printf("other n=%zd errno=%d hits=%d\n", n, n < 0 ? errno : 0, (int)hits);
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fork(), exec and daemon() with inherited sockets, as a plain libc program
 * (run under libringsock_preload.so by shim_fork_test.sh; the same program
 * works on kernel sockets). Every mode listens on 0.0.0.0:PORT, prints
 * "ready" and serves a Linux client:
 *
 *   fork_serve serve PORT N M   forks N children that each accept and
 *                               answer "child I\n" M times, then exit; the
 *                               parent keeps its copy of the listener (as
 *                               nginx's master) and waits for them
 *   fork_serve handoff PORT     accepts one connection, forks; the parent
 *                               closes its copy at once, the child reads
 *                               "ping" and answers "pong from child" and
 *                               closes (the client must then see EOF)
 *   fork_serve exec PORT        accepts one connection, forks; the parent
 *                               closes its copy, the child execs a shell
 *                               that reports whether the descriptor (not
 *                               close-on-exec) is open in the new image,
 *                               then sleeps: the client must see EOF while
 *                               it sleeps; its next connection ends it
 *   fork_serve deadchild PORT   accepts one connection, forks; the child
 *                               ends with _exit() holding its copy; the
 *                               parent reaps it, answers "parent\n" and
 *                               closes: the client must see EOF (the dead
 *                               holder is forgotten)
 *   fork_serve killed PORT      forks a child that accepts one connection,
 *                               answers "child\n" and waits; the parent
 *                               kills it (SIGKILL: no close, no destructor)
 *                               and polls the listener: the client must see
 *                               EOF, as when the kernel closes a killed
 *                               process's descriptors; its next connection
 *                               gets "parent\n" and ends the parent
 *   fork_serve daemon PORT PIDFILE  listens, daemon(0, 1), writes its pid,
 *                               answers "daemon\n" to one connection
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void
die(const char *what)
{
	fprintf(stderr, "fork_serve[%d]: %s: %s\n", (int)getpid(), what, strerror(errno));
	exit(1);
}

static int
listener(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind");
	if (listen(fd, 64) < 0)
		die("listen");
	return fd;
}

static void
say(int fd, const char *s)
{
	size_t n = strlen(s);

	if (write(fd, s, n) != (ssize_t)n)
		die("write");
}

static int
accept_one(int lfd)
{
	int c;

	do
		c = accept(lfd, NULL, NULL);
	while (c < 0 && errno == EINTR);
	if (c < 0)
		die("accept");
	return c;
}

static int
wait_all(void)
{
	int st, bad = 0;
	pid_t p;

	while ((p = wait(&st)) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "fork_serve: child %d ended with status %#x\n", (int)p, st);
			bad = 1;
		}
	return bad;
}

static int
serve(int port, int n, int m)
{
	int lfd = listener(port);
	char line[64];

	for (int i = 0; i < n; i++) {
		pid_t p = fork();

		if (p < 0)
			die("fork");
		if (p == 0) {
			for (int k = 0; k < m; k++) {
				int c = accept_one(lfd);

				snprintf(line, sizeof(line), "child %d\n", i);
				say(c, line);
				close(c);
			}
			exit(0);
		}
	}
	printf("ready\n");
	fflush(stdout);
	return wait_all();
}

static int
handoff(int port)
{
	int lfd = listener(port), c;
	char buf[16];
	pid_t p;

	printf("ready\n");
	fflush(stdout);
	c = accept_one(lfd);
	p = fork();
	if (p < 0)
		die("fork");
	if (p == 0) {
		ssize_t got = 0, r;

		/* the parent closes its copy meanwhile: ours stays open */
		while (got < 4 && (r = read(c, buf + got, (size_t)(4 - got))) > 0)
			got += r;
		if (got != 4 || memcmp(buf, "ping", 4) != 0) {
			fprintf(stderr, "fork_serve: child read %zd bytes\n", got);
			exit(2);
		}
		say(c, "pong from child");
		close(c);
		exit(0);
	}
	close(c);
	close(lfd);
	return wait_all();
}

static int
exec_mode(int port)
{
	int lfd = listener(port), c;
	char cmd[256];
	pid_t p;

	printf("ready\n");
	fflush(stdout);
	c = accept_one(lfd);
	p = fork();
	if (p < 0)
		die("fork");
	if (p == 0) {
		/* c is not close-on-exec as far as the program asked */
		snprintf(cmd, sizeof(cmd),
			 "if [ -e /proc/$$/fd/%d ]; then echo exec: open; else echo exec: closed; fi; "
			 "exec sleep 30", c);
		close(lfd);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		die("execl");
	}
	close(c);
	/* the client's second connection: it saw EOF */
	close(accept_one(lfd));
	kill(p, SIGTERM);
	waitpid(p, NULL, 0);
	return 0;
}

static int
deadchild(int port)
{
	int lfd = listener(port), c;
	pid_t p;

	printf("ready\n");
	fflush(stdout);
	c = accept_one(lfd);
	p = fork();
	if (p < 0)
		die("fork");
	if (p == 0)
		_exit(0);	/* no close, no destructor: its hold stays */
	if (waitpid(p, NULL, 0) != p)
		die("waitpid");
	say(c, "parent\n");
	close(c);
	close(lfd);
	return 0;
}

static int
killed(int port)
{
	int lfd = listener(port), c, pfd[2];
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	char b;
	pid_t pid;

	if (pipe(pfd) < 0)
		die("pipe");
	printf("ready\n");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		c = accept_one(lfd);
		say(c, "child\n");
		if (write(pfd[1], "a", 1) != 1)
			_exit(1);
		for (;;)
			pause();	/* killed here, holding c alone */
	}
	if (read(pfd[0], &b, 1) != 1)
		die("child");
	kill(pid, SIGKILL);
	if (waitpid(pid, NULL, 0) != pid)
		die("waitpid");
	/* a server's master keeps polling: the library closes what the
	 * killed child held alone */
	for (int i = 0; i < 60 && p.revents == 0; i++)
		if (poll(&p, 1, 500) < 0)
			die("poll");
	if (p.revents == 0)
		die("no second connection");
	c = accept_one(lfd);
	say(c, "parent\n");
	close(c);
	close(lfd);
	return 0;
}

static int
daemon_mode(int port, const char *pidfile)
{
	int lfd = listener(port), c;
	FILE *f;

	if (daemon(0, 1) < 0)
		die("daemon");
	/* the daemon's own process now: its listener is the one inherited */
	f = fopen(pidfile, "w");
	if (f == NULL)
		die("pidfile");
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	printf("ready\n");
	fflush(stdout);
	c = accept_one(lfd);
	say(c, "daemon\n");
	close(c);
	close(lfd);
	return 0;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && strcmp(argv[1], "serve") == 0)
		return serve(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	if (argc == 3 && strcmp(argv[1], "handoff") == 0)
		return handoff(atoi(argv[2]));
	if (argc == 3 && strcmp(argv[1], "exec") == 0)
		return exec_mode(atoi(argv[2]));
	if (argc == 3 && strcmp(argv[1], "deadchild") == 0)
		return deadchild(atoi(argv[2]));
	if (argc == 3 && strcmp(argv[1], "killed") == 0)
		return killed(atoi(argv[2]));
	if (argc == 4 && strcmp(argv[1], "daemon") == 0)
		return daemon_mode(atoi(argv[2]), argv[3]);
	fprintf(stderr, "usage: fork_serve serve PORT N M | handoff PORT | exec PORT | "
		"deadchild PORT | killed PORT | daemon PORT PIDFILE\n");
	return 2;
}

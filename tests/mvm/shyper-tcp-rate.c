// SPDX-License-Identifier: GPL-2.0
/*
 * shyper-tcp-rate: the raw TCP rate between two MVMs over the lab's link,
 * for migration's benchmark (tests/bench/migrate_bench.py): what the link
 * allows, measured beside what a migration gets out of it. busybox's nc
 * moves a kilobyte per system call and so measures itself more than the
 * link; this moves 256 KiB per call, as a migration's stream does.
 *
 *   shyper-tcp-rate recv PORT            take one connection, read it all
 *   shyper-tcp-rate send ADDR PORT MIB   send MIB MiB (zeroes) to ADDR, an
 *                                        IPv4 or IPv6 address (a static
 *                                        binary does no name lookups)
 *
 * The sender's clock runs from the connection to the receiver's close, which
 * comes only after it read everything: the bytes arrived, not merely left.
 * Each side prints "shyper-tcp-rate: N bytes in S s: R MB/s" (MB: 10^6
 * bytes). Exit status 0, or 1 with a line on stderr.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#define CHUNK (256 * 1024)
#define MAX_MIB 4096

static char buf[CHUNK];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what)
{
	fprintf(stderr, "shyper-tcp-rate: %s: %s\n", what, strerror(errno));
	return 1;
}

static void report(uint64_t bytes, double seconds)
{
	printf("shyper-tcp-rate: %llu bytes in %.3f s: %.2f MB/s\n", (unsigned long long)bytes,
	       seconds, seconds > 0 ? (double)bytes / seconds / 1e6 : 0.0);
}

static int parse_port(const char *text)
{
	char *end;
	long port = strtol(text, &end, 10);

	return *text && !*end && port > 0 && port < 65536 ? (int)port : -1;
}

static int receive(int port)
{
	struct sockaddr_in6 addr = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port),
				     .sin6_addr = IN6ADDR_ANY_INIT };
	uint64_t bytes = 0;
	int s, c, one = 1;
	double start;
	ssize_t n;

	s = socket(AF_INET6, SOCK_STREAM, 0);
	if (s < 0)
		return fail("socket");
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&addr, sizeof(addr)) || listen(s, 1))
		return fail("listening");
	c = accept(s, NULL, NULL);
	if (c < 0)
		return fail("accept");
	start = now();
	while ((n = read(c, buf, sizeof(buf))) > 0)
		bytes += (uint64_t)n;
	if (n < 0)
		return fail("read");
	report(bytes, now() - start);
	close(c);
	close(s);
	return 0;
}

static int send_all(const char *address, int port, long mib)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	uint64_t left = (uint64_t)mib << 20, bytes = left;
	struct sockaddr *sa;
	socklen_t len;
	double start;
	int s;

	if (inet_pton(AF_INET, address, &a4.sin_addr) == 1) {
		sa = (struct sockaddr *)&a4;
		len = sizeof(a4);
	} else if (inet_pton(AF_INET6, address, &a6.sin6_addr) == 1) {
		sa = (struct sockaddr *)&a6;
		len = sizeof(a6);
	} else {
		fprintf(stderr, "shyper-tcp-rate: %s: not an IPv4 or IPv6 address\n", address);
		return 1;
	}
	s = socket(sa->sa_family, SOCK_STREAM, 0);
	if (s < 0 || connect(s, sa, len))
		return fail("connecting");
	start = now();
	while (left) {
		ssize_t n = write(s, buf, left < CHUNK ? (size_t)left : CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fail("write");
		left -= (uint64_t)n;
	}
	shutdown(s, SHUT_WR);
	/* The receiver closes once it read it all. */
	while (read(s, buf, sizeof(buf)) > 0)
		;
	report(bytes, now() - start);
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "recv") && parse_port(argv[2]) > 0)
		return receive(parse_port(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "send") && parse_port(argv[3]) > 0) {
		char *end;
		long mib = strtol(argv[4], &end, 10);

		if (*argv[4] && !*end && mib > 0 && mib <= MAX_MIB)
			return send_all(argv[2], parse_port(argv[3]), mib);
	}
	fprintf(stderr, "usage: shyper-tcp-rate recv PORT | send ADDR PORT MIB (1..%d)\n",
		MAX_MIB);
	return 2;
}

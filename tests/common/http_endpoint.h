/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* A minimal HTTP endpoint on loopback for tests: accepts POSTs in a thread,
 * keeps the last body, answers 503 to the first fail_first requests. */
#ifndef BPFPROF_TEST_HTTP_ENDPOINT_H
#define BPFPROF_TEST_HTTP_ENDPOINT_H

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct endpoint {
	int fd, port;
	int fail_first;          /* answer 503 to this many requests first */
	atomic_int requests;
	char last_body[4096];
	pthread_t thread;
};

static inline void *endpoint_serve(void *arg)
{
	struct endpoint *ep = arg;
	int c;

	while ((c = accept(ep->fd, NULL, NULL)) >= 0) {
		char buf[8192];
		size_t n = 0;
		ssize_t r;
		char *body, *cl;
		long len = 0;
		int k = atomic_fetch_add(&ep->requests, 1);

		while (n < sizeof(buf) - 1 && (r = read(c, buf + n, sizeof(buf) - 1 - n)) > 0) {
			buf[n += r] = '\0';
			body = strstr(buf, "\r\n\r\n");
			cl = strcasestr(buf, "Content-Length:");
			if (body && cl && (len = atol(cl + 15)) <= (long)(n - (body + 4 - buf)))
				break;
		}
		body = strstr(buf, "\r\n\r\n");
		if (body)
			snprintf(ep->last_body, sizeof(ep->last_body), "%s", body + 4);
		if (k < ep->fail_first)
			dprintf(c, "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
		else
			dprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
		close(c);
	}
	return NULL;
}

static inline void endpoint_start(struct endpoint *ep, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons(port) };
	socklen_t len = sizeof(a);
	int one = 1;

	ep->fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ep->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cr_assert_eq(bind(ep->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(ep->fd, 16), 0);
	getsockname(ep->fd, (struct sockaddr *)&a, &len);
	ep->port = ntohs(a.sin_port);
	pthread_create(&ep->thread, NULL, endpoint_serve, ep);
}

static inline void endpoint_stop(struct endpoint *ep)
{
	shutdown(ep->fd, SHUT_RDWR);
	close(ep->fd);
	pthread_join(ep->thread, NULL);
}

#endif

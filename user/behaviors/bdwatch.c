/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* A thread that polls SQLite's data_version (a shared-memory read, no I/O)
 * and calls back when another connection has committed. Polling, not
 * inotify: in WAL mode a commit may only touch the -wal and -shm files, and
 * data_version is SQLite's own answer to "did anyone else write". */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include "behaviors/bdwatch.h"
#include "lib/util.h"

struct bdwatch {
	struct bdstore *st;
	uint64_t version;
	unsigned int interval_ms;
	void (*on_change)(void *arg);
	void *arg;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
};

static void *watch_main(void *arg)
{
	struct bdwatch *w = arg;

	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		struct timespec until = util_timespec(util_now_mono_ns() +
						      w->interval_ms * 1000000ull);
		uint64_t v;

		pthread_cond_timedwait(&w->wake, &w->lock, &until);
		if (w->stopping)
			break;
		pthread_mutex_unlock(&w->lock);
		/* read before the callback: a commit made during it is seen next time */
		if (!bdstore_data_version(w->st, &v) && v != w->version) {
			w->version = v;
			w->on_change(w->arg);
		}
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int bdwatch_start(struct bdstore *st, uint64_t since, unsigned int interval_ms,
		  void (*on_change)(void *arg), void *arg, struct bdwatch **out)
{
	struct bdwatch *w = calloc(1, sizeof(*w));
	int ret;

	if (!w)
		return -ENOMEM;
	*w = (struct bdwatch){ .st = st, .version = since, .interval_ms = interval_ms,
			       .on_change = on_change, .arg = arg };
	pthread_mutex_init(&w->lock, NULL);
	util_cond_init(&w->wake, CLOCK_MONOTONIC);
	ret = pthread_create(&w->thread, NULL, watch_main, w);
	if (ret) {
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return -ret;
	}
	*out = w;
	return 0;
}

void bdwatch_stop(struct bdwatch *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

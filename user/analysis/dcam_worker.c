/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Finishes analyses off the gate's path. A process stopped at its load
 * waits only for the load-time part (dcam_analyze_fd_load_time); one
 * thread here reads the rest (the exports, nearly all of a library's code)
 * from a duplicate of the fd, caches the full result in place of the
 * partial one, and lists the digest as landed: for the caller to judge the
 * windows of that object again when the rest changed what they were judged
 * on (most often it adds nothing: judging every window again, thousands a
 * second on a busy host, would hold up the gate's next stop), or else only
 * to let them go. A job waits for a quiet moment of the gate: while
 * processes keep stopping at it, each waiting for its judgement, a long
 * analysis beside them slows every one on a small host (the caches, the
 * memory bus), so a job starts once no stop has been judged for a few
 * milliseconds, or after a bounded delay. Jobs are few and long
 * (milliseconds each): a mutex and two condition variables (on the
 * monotonic clock) are all the machinery needed. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "analysis/dcam.h"
#include "lib/log.h"
#include "lib/util.h"

#define WORKER_QUEUE_MAX 256
#define WORKER_NICE 10
#define WORKER_QUIET_NS (5 * 1000000ull)    /* no gate stop for this long */
#define WORKER_DEFER_MAX_NS (500 * 1000000ull) /* but no job waits longer */

struct job {
	int fd;
	uint8_t sha[FILEHASH_LEN];
	char name[128];
	uint64_t queued_ns;
};

struct dcam_worker {
	struct dcam_cache *cache;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake, idle;
	struct job queue[WORKER_QUEUE_MAX]; /* a ring: head is next */
	size_t head, n;
	bool running;                       /* a job is out of the queue, being read */
	uint8_t running_sha[FILEHASH_LEN];
	struct dcam_landed *landed;         /* since the last take */
	size_t nlanded, caplanded;
	bool stop;
	uint64_t gate_busy_ns;              /* the last gate stop's judgement */
};

/* Whether the full result could change a verdict taken on the partial
 * one: a higher score, or another predicted sequence. */
static bool changes(const struct dcam_result *part, const struct dcam_result *full)
{
	if (!full)
		return false; /* nothing new to judge on */
	if (!part) /* the partial result left the cache: judge again to be sure */
		return true;
	if (full->score > part->score || full->n_predicted != part->n_predicted)
		return true;
	for (size_t i = 0; i < full->n_predicted; i++)
		if (strcmp(full->predicted[i].token, part->predicted[i].token))
			return true;
	return false;
}

static void land(struct dcam_worker *w, const uint8_t sha[FILEHASH_LEN], bool changed)
{
	if (w->nlanded == w->caplanded) {
		size_t cap = w->caplanded ? 2 * w->caplanded : 16;
		void *p = realloc(w->landed, cap * sizeof(*w->landed));

		if (!p) /* its windows keep the partial verdict until their horizon */
			return;
		w->landed = p;
		w->caplanded = cap;
	}
	memcpy(w->landed[w->nlanded].sha, sha, FILEHASH_LEN);
	w->landed[w->nlanded++].changed = changed;
}

/* Whether the next job may start now; if not, sleeps until it may (or
 * until woken) and says so. Called with the lock held. */
static bool quiet(struct dcam_worker *w, uint64_t queued_ns)
{
	uint64_t now = util_now_mono_ns(), at = w->gate_busy_ns + WORKER_QUIET_NS;
	struct timespec until;

	if (now >= at || now >= queued_ns + WORKER_DEFER_MAX_NS)
		return true;
	if (at > queued_ns + WORKER_DEFER_MAX_NS)
		at = queued_ns + WORKER_DEFER_MAX_NS;
	until = util_timespec(at);
	pthread_cond_timedwait(&w->wake, &w->lock, &until);
	return false;
}

static void *worker_main(void *arg)
{
	struct dcam_worker *w = arg;

	/* a process waiting at the gate is judged by another thread: on a
	 * host with few cores, that thread goes first */
	if (setpriority(PRIO_PROCESS, 0, WORKER_NICE)) /* Linux: this thread only */
		log_debug("dcam worker: setpriority: %s", strerror(errno));
	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct dcam_result *part, *r = NULL;
		struct job j;
		char err[256];
		bool changed;

		while (!w->n && !w->stop)
			pthread_cond_wait(&w->wake, &w->lock);
		if (w->stop)
			break;
		if (!quiet(w, w->queue[w->head].queued_ns))
			continue;
		j = w->queue[w->head];
		w->head = (w->head + 1) % WORKER_QUEUE_MAX;
		w->n--;
		w->running = true;
		memcpy(w->running_sha, j.sha, FILEHASH_LEN);
		pthread_mutex_unlock(&w->lock);

		/* the cache takes the full result in place of the partial one */
		part = dcam_cache_get(w->cache, j.sha);
		if (dcam_analyze_fd(w->cache, j.fd, j.name, &r, err, sizeof(err)))
			log_debug("dcam worker: %s: %s: its load-time analysis stands", j.name, err);
		changed = changes(part, r);
		dcam_result_free(part);
		dcam_result_free(r);
		close(j.fd);

		pthread_mutex_lock(&w->lock);
		w->running = false;
		land(w, j.sha, changed);
		if (!w->n)
			pthread_cond_broadcast(&w->idle);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int dcam_worker_new(struct dcam_cache *cache, struct dcam_worker **out)
{
	struct dcam_worker *w = calloc(1, sizeof(*w));
	pthread_condattr_t ca;
	int ret;

	if (!w)
		return -ENOMEM;
	w->cache = cache;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &ca);
	pthread_cond_init(&w->idle, &ca);
	pthread_condattr_destroy(&ca);
	ret = pthread_create(&w->thread, NULL, worker_main, w);
	if (ret) {
		pthread_cond_destroy(&w->idle);
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return -ret;
	}
	*out = w;
	return 0;
}

void dcam_worker_free(struct dcam_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL); /* after the job it is reading, if any */
	for (; w->n; w->n--, w->head = (w->head + 1) % WORKER_QUEUE_MAX)
		close(w->queue[w->head].fd);
	pthread_cond_destroy(&w->idle);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w->landed);
	free(w);
}

static bool has_locked(const struct dcam_worker *w, const uint8_t sha[FILEHASH_LEN])
{
	if (w->running && !memcmp(w->running_sha, sha, FILEHASH_LEN))
		return true;
	for (size_t i = 0; i < w->n; i++)
		if (!memcmp(w->queue[(w->head + i) % WORKER_QUEUE_MAX].sha, sha, FILEHASH_LEN))
			return true;
	return false;
}

int dcam_worker_submit(struct dcam_worker *w, int fd, const uint8_t sha[FILEHASH_LEN],
		       const char *display_path)
{
	struct job *j;
	int ret = 0;

	pthread_mutex_lock(&w->lock);
	if (has_locked(w, sha))
		goto out;
	if (w->n == WORKER_QUEUE_MAX) {
		ret = -ENOSPC;
		goto out;
	}
	j = &w->queue[(w->head + w->n) % WORKER_QUEUE_MAX];
	/* its own fd: the window's closes with the window */
	j->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (j->fd < 0) {
		ret = -errno;
		goto out;
	}
	memcpy(j->sha, sha, FILEHASH_LEN);
	snprintf(j->name, sizeof(j->name), "%s", display_path ? display_path : "(fd)");
	j->queued_ns = util_now_mono_ns();
	w->n++;
	pthread_cond_signal(&w->wake);
out:
	pthread_mutex_unlock(&w->lock);
	return ret;
}

void dcam_worker_gate_busy(struct dcam_worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->gate_busy_ns = util_now_mono_ns();
	pthread_mutex_unlock(&w->lock);
}

bool dcam_worker_has(struct dcam_worker *w, const uint8_t sha[FILEHASH_LEN])
{
	bool has;

	pthread_mutex_lock(&w->lock);
	has = has_locked(w, sha);
	pthread_mutex_unlock(&w->lock);
	return has;
}

size_t dcam_worker_take_landed(struct dcam_worker *w, struct dcam_landed *out, size_t max)
{
	size_t n;

	pthread_mutex_lock(&w->lock);
	n = w->nlanded < max ? w->nlanded : max;
	if (n) {
		memcpy(out, w->landed, n * sizeof(*out));
		memmove(w->landed, w->landed + n, (w->nlanded - n) * sizeof(*out));
		w->nlanded -= n;
	}
	pthread_mutex_unlock(&w->lock);
	return n;
}

int dcam_worker_wait_idle(struct dcam_worker *w, unsigned int timeout_ms)
{
	struct timespec until = util_timespec(util_now_mono_ns() + timeout_ms * 1000000ull);
	int ret = 0;

	pthread_mutex_lock(&w->lock);
	while ((w->n || w->running) && ret != ETIMEDOUT)
		ret = pthread_cond_timedwait(&w->idle, &w->lock, &until);
	ret = w->n || w->running ? -ETIMEDOUT : 0;
	pthread_mutex_unlock(&w->lock);
	return ret;
}

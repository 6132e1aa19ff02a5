/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Closing a tracepoint or uprobe perf event makes the kernel wait for
 * grace periods (tracepoint_synchronize_unregister, uprobe_unregister_sync):
 * 25-80 ms per link here, so 45 links of the tracer alone took 1.7 s and
 * a host with many libcs and hooked processes 10-35 s. Part of that wait
 * is outside the kernel's event_mutex, so closing from several threads
 * overlaps it (measured: docs/performance.md). */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include "kernel/linkset.h"

#define LINKSET_THREADS 8

struct stripe {
	struct bpf_link **links;
	size_t n, first, step;
};

static void *destroy_stripe(void *arg)
{
	struct stripe *s = arg;

	for (size_t i = s->first; i < s->n; i += s->step) {
		bpf_link__destroy(s->links[i]);
		s->links[i] = NULL;
	}
	return NULL;
}

void linkset_destroy(struct bpf_link **links, size_t n)
{
	struct stripe st[LINKSET_THREADS];
	pthread_t th[LINKSET_THREADS];
	size_t nt = n < LINKSET_THREADS ? n : LINKSET_THREADS;
	bool started[LINKSET_THREADS] = { 0 };

	for (size_t i = 0; i < nt; i++) {
		st[i] = (struct stripe){ .links = links, .n = n, .first = i, .step = nt };
		/* the calling thread takes stripe 0, and any a thread could not */
		started[i] = i && !pthread_create(&th[i], NULL, destroy_stripe, &st[i]);
	}
	for (size_t i = 0; i < nt; i++)
		if (!started[i])
			destroy_stripe(&st[i]);
	for (size_t i = 0; i < nt; i++)
		if (started[i])
			pthread_join(th[i], NULL);
}

/* progs[] is laid out with the generator's element size */
static struct bpf_prog_skeleton *prog_at(struct bpf_object_skeleton *s, int i)
{
	return (struct bpf_prog_skeleton *)((char *)s->progs + (size_t)i * s->prog_skel_sz);
}

void linkset_detach(struct bpf_object_skeleton *s, struct bpf_link **extra, size_t nextra)
{
	int nprogs = s ? s->prog_cnt : 0;
	struct bpf_link **links = calloc(nextra + nprogs + 1, sizeof(*links));
	size_t n = 0;

	if (!links) { /* __destroy() detaches the skeleton's one by one */
		for (size_t i = 0; i < nextra; i++)
			bpf_link__destroy(extra[i]);
		return;
	}
	for (size_t i = 0; i < nextra; i++)
		if (extra[i])
			links[n++] = extra[i];
	for (int i = 0; i < nprogs; i++)
		if (prog_at(s, i)->link && *prog_at(s, i)->link)
			links[n++] = *prog_at(s, i)->link;
	linkset_destroy(links, n);
	for (size_t i = 0; i < nextra; i++)
		extra[i] = NULL;
	for (int i = 0; i < nprogs; i++)
		if (prog_at(s, i)->link)
			*prog_at(s, i)->link = NULL;
	free(links);
}

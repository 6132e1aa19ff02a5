/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Follows the behavioral database on disk for the agent: when another
 * process commits to it (`db import`, `db add`, `db learn`, ...), a thread
 * calls back so the live index can be brought in line (bd_sync_index). The
 * agent's own commits (API submissions) do not count: they update the
 * index themselves. */
#ifndef BPFPROF_BDWATCH_H
#define BPFPROF_BDWATCH_H

#include <stdint.h>
#include "behaviors/bdstore.h"

struct bdwatch;

/* Polls st every interval_ms; on_change runs on the watcher's thread.
 * since: the store's data version the index was built from (taken before
 * building it, so a commit made meanwhile is not missed). */
int bdwatch_start(struct bdstore *st, uint64_t since, unsigned int interval_ms,
		  void (*on_change)(void *arg), void *arg, struct bdwatch **out);
/* Stops the thread (waiting for a running on_change) and frees w. */
void bdwatch_stop(struct bdwatch *w);

#endif

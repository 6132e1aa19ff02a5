/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The behavioral database over HTTP: marketplace submissions
 * (POST /v1/behaviors), analysts' listing and removal, and statistics for
 * the report page. One writer at a time; the scorer reads the live index
 * without waiting. */
#ifndef BPFPROF_API_BEHAVIORS_H
#define BPFPROF_API_BEHAVIORS_H

#include <pthread.h>
#include "agent/api.h"
#include "behaviors/bd.h"
#include "behaviors/bdindex.h"
#include "behaviors/bdstore.h"
#include "behaviors/tokens.h"
#include "fleet/fleet_trust.h"

struct api_behaviors {
	struct bdstore *store;
	struct bdindex *idx;
	struct tokens *tok;
	struct agent_metrics *metrics; /* db_entries gauge; may be NULL */
	pthread_mutex_t lock;          /* the store and index writers */
	struct fleet_trust *trust;     /* submitters and their trust; NULL: none configured */
};

/* /v1/behaviors (submit, list, stats, delete) and the pending queue
 * (list, approve, reject). */
#define API_BEHAVIORS_NROUTES 6

int api_behaviors_init(struct api_behaviors *b, struct bdstore *store, struct bdindex *idx,
		       struct tokens *tok, struct agent_metrics *metrics);
void api_behaviors_destroy(struct api_behaviors *b);
/* Fills routes[API_BEHAVIORS_NROUTES] for api_opts.routes. */
void api_behaviors_routes(struct api_behaviors *b, struct api_route *routes);
/* Sets the db_entries gauges from the store. */
void api_behaviors_count(struct api_behaviors *b);
/* After another process changed the store: bd_sync_index as the writer,
 * then the gauges. */
int api_behaviors_sync(struct api_behaviors *b, struct bd_sync_stats *stats);

#endif

/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Fleet mode over HTTP: the fleet's quarantined hashes (list, release)
 * and this agent's view of the fleet (GET /v1/fleet). */
#ifndef BPFPROF_API_FLEET_H
#define BPFPROF_API_FLEET_H

#include "agent/api.h"
#include "fleet/fleet.h"

#define API_FLEET_NROUTES 3

/* Fills routes[API_FLEET_NROUTES]; f must outlive the API. */
void api_fleet_routes(struct fleet *f, struct api_route *routes);

#endif

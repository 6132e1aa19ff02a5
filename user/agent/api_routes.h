/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The API's built-in endpoints: health, metrics, decisions, statistics
 * and the analyst report page (web/, compiled into the binary). */
#ifndef BPFPROF_API_ROUTES_H
#define BPFPROF_API_ROUTES_H

#include "agent/api.h"

#define API_BUILTIN_ROUTES 8

/* Writes the built-in routes (at most API_BUILTIN_ROUTES) to out, their
 * handlers reading opts (which must outlive them); returns how many. */
size_t api_routes_builtin(const struct api_opts *opts, struct api_route *out);

#endif

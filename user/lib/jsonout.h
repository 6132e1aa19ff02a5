/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* How JSON leaves the process (API, logs, --json, the wire): compact, one
 * document per line, reals with 15 significant digits (DBL_DIG) so 0.4
 * prints as 0.4, not jansson's default 17-digit 0.40000000000000002. */
#ifndef BPFPROF_JSONOUT_H
#define BPFPROF_JSONOUT_H

#include <jansson.h>

#define JSONOUT_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

#endif

/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Detection metrics for `eval`: ROC AUC (ties count one half) and the
 * detection rate at a false-positive budget. */
#ifndef BPFPROF_EVALMETRICS_H
#define BPFPROF_EVALMETRICS_H

#include <stddef.h>

/* Probability that a random positive scores above a random negative. NaN
 * when either set is empty. */
double evalmetrics_auc(const double *neg, size_t nneg, const double *pos, size_t npos);
/* Share of positives scoring strictly above the threshold at which at most
 * floor(fpr * nneg) negatives score strictly above it. */
double evalmetrics_detection_at(const double *neg, size_t nneg, const double *pos,
				size_t npos, double fpr);

#endif

/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Kernel call records to tokens (schemas/tokens.json names) and to the
 * human-readable key argument shown on the timeline. */
#ifndef BPFPROF_DECODER_H
#define BPFPROF_DECODER_H

#include <stdbool.h>
#include <stddef.h>
#include "bpfprof_event.h"

/* The token of a recorded call, e.g. "openat:write_tmp" (static string). */
const char *decoder_token(const struct bp_call_rec *rec);
/* Room for any decoder_describe() text with its NUL: the kernel keeps
 * BP_STR_LEN bytes of a path or address, plus a flag or mode suffix. */
#define DECODER_ARG_LEN 128
/* Ends an argument the kernel had to cut (BP_REC_STR_TRUNC). */
#define DECODER_TRUNCATED "..."
/* Whether a described argument is an absolute path the kernel kept whole
 * (a cut one would name another file). */
bool decoder_arg_is_whole_path(const char *arg);
/* The call's key argument as text ("/tmp/x.so", "127.0.0.1:8080", ...);
 * returns buf, empty when the call has none. */
char *decoder_describe(const struct bp_call_rec *rec, char *buf, size_t len);
/* Name of a pivot ("dlopen", "exec_anon", ...) and of a close reason. */
const char *decoder_pivot_name(unsigned int pivot);
const char *decoder_close_reason(unsigned int reason);

#endif

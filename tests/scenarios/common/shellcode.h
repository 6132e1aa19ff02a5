/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The injected/in-memory payload (shellcode.S), filled in for one run. */
#ifndef SCN_SHELLCODE_H
#define SCN_SHELLCODE_H

#include <stdbool.h>
#include <stddef.h>

#define SCN_SC_MAX 1024

struct scn_sc_opts {
	const char *ran;  /* marker written first ("" or NULL: none) */
	const char *done; /* marker written when connect and exec memory worked */
	int port;	  /* 127.0.0.1 port it connects to */
	bool exit_after;  /* exit_group(0) instead of returning to a caller */
};

/* Copies the template into OUT (at least SCN_SC_MAX bytes); returns its
 * length, or 0 when a path does not fit. */
size_t scn_shellcode_build(unsigned char *out, const struct scn_sc_opts *o);

/* Bytes of instructions at the start of the template (the rest is data). */
size_t scn_shellcode_code_len(void);

/* The marker paths the runner names for this scenario (scn.h), or "". */
void scn_shellcode_markers(char *ran, char *done, size_t cap);

#endif

/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Fills the shellcode template's data slots. The template stays in .rodata
 * and is copied, so a fixture carries it as data (as real droppers do) and
 * never executes it where it was linked. */
#include "shellcode.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "scn.h"

extern const unsigned char scn_sc_begin[], scn_sc_end[], scn_sc_ran[], scn_sc_done[],
	scn_sc_addr[], scn_sc_flags[];

#define SC_SLOT 256

size_t scn_shellcode_build(unsigned char *out, const struct scn_sc_opts *o)
{
	size_t len = scn_sc_end - scn_sc_begin;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(o->port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	const char *ran = o->ran ? o->ran : "", *done = o->done ? o->done : "";

	if (len > SCN_SC_MAX || strlen(ran) >= SC_SLOT || strlen(done) >= SC_SLOT)
		return 0;
	memcpy(out, scn_sc_begin, len);
	memcpy(out + (scn_sc_addr - scn_sc_begin), &a, sizeof(a));
	strcpy((char *)out + (scn_sc_ran - scn_sc_begin), ran);
	strcpy((char *)out + (scn_sc_done - scn_sc_begin), done);
	out[scn_sc_flags - scn_sc_begin] = o->exit_after;
	return len;
}

size_t scn_shellcode_code_len(void)
{
	return scn_sc_flags - scn_sc_begin;
}

void scn_shellcode_markers(char *ran, char *done, size_t cap)
{
	if (scn_marker_path("ran", ran, cap))
		ran[0] = 0;
	if (scn_marker_path("done", done, cap))
		done[0] = 0;
}

/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Scans of the bytes, not the code: crypto constants in the data and the
 * signs of a packer (a UPX header, random-looking or file-less code). */
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <elf.h>
#include "analysis/dcam_internal.h"
#include "analysis/dcam_rules.h"
#include "lib/util.h"

static const struct {
	const char *what;
	uint8_t bytes[32];
	size_t len;
} constants[] = {
	{ "AES S-box", { 0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67,
			 0x2b, 0xfe, 0xd7, 0xab, 0x76, 0xca, 0x82, 0xc9, 0x7d, 0xfa, 0x59,
			 0x47, 0xf0, 0xad, 0xd4, 0xa2, 0xaf, 0x9c, 0xa4, 0x72, 0xc0 }, 32 },
	{ "AES inverse S-box", { 0x52, 0x09, 0x6a, 0xd5, 0x30, 0x36, 0xa5, 0x38, 0xbf, 0x40, 0xa3,
				 0x9e, 0x81, 0xf3, 0xd7, 0xfb, 0x7c, 0xe3, 0x39, 0x82, 0x9b, 0x2f,
				 0xff, 0x87, 0x34, 0x8e, 0x43, 0x44, 0xc4, 0xde, 0xe9, 0xcb }, 32 },
	{ "SHA-256 round constants", { 0x98, 0x2f, 0x8a, 0x42, 0x91, 0x44, 0x37, 0x71, 0xcf, 0xfb,
				       0xc0, 0xb5, 0xa5, 0xdb, 0xb5, 0xe9, 0x5b, 0xc2, 0x56, 0x39,
				       0xf1, 0x11, 0xf1, 0x59, 0xa4, 0x82, 0x3f, 0x92, 0xd5, 0x5e,
				       0x1c, 0xab }, 32 },
	{ "SHA-256 round constants (big-endian)",
	  { 0x42, 0x8a, 0x2f, 0x98, 0x71, 0x37, 0x44, 0x91, 0xb5, 0xc0, 0xfb, 0xcf, 0xe9, 0xb5, 0xdb,
	    0xa5, 0x39, 0x56, 0xc2, 0x5b, 0x59, 0xf1, 0x11, 0xf1, 0x92, 0x3f, 0x82, 0xa4, 0xab, 0x1c,
	    0x5e, 0xd5 }, 32 },
	{ "ChaCha20 constant \"expand 32-byte k\"", "expand 32-byte k", 16 },
};

/* Longest constant: consecutive windows overlap by this much less one. */
#define CONST_MAX 32

static void scan_range(struct an *a, const struct seg *s, bool *found)
{
	uint64_t pos = 0;

	while (pos < s->filesz) {
		size_t avail;
		const uint8_t *p = dcam_src_ptr(a->src, s->off + pos, &avail, NULL);
		bool all = true;

		if (!p)
			return;
		if (avail > s->filesz - pos)
			avail = (size_t)(s->filesz - pos);
		for (size_t c = 0; c < ARRAY_SIZE(constants); c++) {
			const uint8_t *hit;
			uint64_t va = 0;

			if (found[c])
				continue;
			hit = memmem(p, avail, constants[c].bytes, constants[c].len);
			if (!hit) {
				all = false;
				continue;
			}
			found[c] = true;
			dcam_off_to_va(a, s->off + pos + (uint64_t)(hit - p), &va);
			dcam_add_finding(a, DCAM_CAT_CRYPTO, DCAM_VIA_DATA, NULL, va, DCAM_W_CRYPTO_CONST,
					 "%s", constants[c].what);
		}
		if (all || pos + avail >= s->filesz || avail <= CONST_MAX)
			return;
		pos += avail - (CONST_MAX - 1);
	}
}

/* Every constant searched over each distinct file range the segments map,
 * a window of the bounded reader at a time. */
void dcam_scan_constants(struct an *a)
{
	bool found[ARRAY_SIZE(constants)] = { 0 }, separate_code = false;

	for (size_t i = 0; i < a->nsegs; i++)
		if (!(a->segs[i].flags & (PF_X | PF_W)))
			separate_code = true;

	for (size_t i = 0; i < a->nsegs; i++) {
		const struct seg *s = &a->segs[i];
		bool dup = false;

		for (size_t j = 0; j < i; j++)
			if (a->segs[j].off <= s->off &&
			    s->off + s->filesz <= a->segs[j].off + a->segs[j].filesz)
				dup = true;
		/* constants live in data; code segments too only in the old
		 * layout where .rodata shares the text segment */
		if (dup || !s->filesz || ((s->flags & PF_X) && separate_code))
			continue;
		scan_range(a, s, found);
	}
}

/* Packed code looks random: entropy of the executable bytes, an
 * executable segment mostly unbacked by the file, a UPX header. The
 * entropy is of a sample spread over all executable bytes (a packer's
 * stub is small, its payload most of the segment), read past the chunks
 * the walk uses: a few pages, not the megabytes of a large library. */
#define PACKER_SAMPLE (64u << 10)
#define PACKER_PIECE 4096u

void dcam_scan_packer(struct an *a)
{
	uint64_t hist[256] = { 0 }, n = 0, total = dcam_code_bytes(a), step;
	uint8_t buf[PACKER_PIECE];
	size_t hlen = a->size < sizeof(buf) ? (size_t)a->size : sizeof(buf);

	if (dcam_src_read(a->src, 0, buf, hlen) && memmem(buf, hlen, "UPX!", 4))
		dcam_add_finding(a, DCAM_CAT_STRUCTURE, DCAM_VIA_FILE, NULL, 0, DCAM_W_PACKER,
				 "UPX packer header");
	for (size_t i = 0; i < a->nsegs; i++) {
		const struct seg *s = &a->segs[i];

		if (!(s->flags & PF_X))
			continue;
		if (s->memsz > 4 * s->filesz + (64u << 10))
			dcam_add_finding(a, DCAM_CAT_STRUCTURE, DCAM_VIA_FILE, NULL, s->vaddr,
					 DCAM_W_PACKER,
					 "executable segment at 0x%" PRIx64 " mostly not in the file",
					 s->vaddr);
	}
	step = total <= PACKER_SAMPLE ? PACKER_PIECE : total / (PACKER_SAMPLE / PACKER_PIECE);
	for (size_t i = 0; i < a->nsegs; i++) {
		const struct seg *s = &a->segs[i];

		for (uint64_t at = 0; (s->flags & PF_X) && at < s->filesz; at += step) {
			size_t len = s->filesz - at < PACKER_PIECE ? (size_t)(s->filesz - at)
								    : PACKER_PIECE;

			if (!dcam_src_sample(a->src, s->off + at, buf, len))
				break;
			for (size_t k = 0; k < len; k++)
				hist[buf[k]]++;
			n += len;
		}
	}
	if (n >= 4096) {
		double h = 0;

		for (int i = 0; i < 256; i++)
			if (hist[i]) {
				double p = (double)hist[i] / (double)n;

				h -= p * log2(p);
			}
		if (h > 7.2)
			dcam_add_finding(a, DCAM_CAT_STRUCTURE, DCAM_VIA_FILE, NULL, 0, DCAM_W_PACKER,
					 "high-entropy code (%.2f bits/byte: packed or encrypted)", h);
	}
}

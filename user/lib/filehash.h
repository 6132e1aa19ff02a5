/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* SHA-256 of a file's bytes with libcrypto (EVP): the key of the DCAM cache
 * and of the hash allow/deny lists; MD5 to check a file against dpkg. Reads
 * the fd with pread from offset 0, so it works on any fd (memfd, deleted
 * file) and leaves the file offset alone. */
#ifndef BPFPROF_FILEHASH_H
#define BPFPROF_FILEHASH_H

#include <stddef.h>
#include <stdint.h>

#define FILEHASH_LEN 32
#define FILEHASH_HEX_LEN 65 /* 64 hex digits and NUL */
#define FILEHASH_MD5_LEN 16

/* SHA-256 of len bytes at buf. Returns 0 or -ENOMEM/-EIO. */
int filehash_sha256_mem(const void *buf, size_t len, uint8_t out[FILEHASH_LEN]);
/* SHA-256 of everything the fd holds. Returns 0 or -errno. */
int filehash_sha256_fd(int fd, uint8_t out[FILEHASH_LEN]);
/* MD5 of everything the fd holds: only to compare with what a package
 * database records (dpkg's md5sums), never as an identity of our own.
 * Returns 0 or -errno. */
int filehash_md5_fd(int fd, uint8_t out[FILEHASH_MD5_LEN]);
/* SHA-256 of the file at path. Returns 0 or -errno. */
int filehash_sha256_path(const char *path, uint8_t out[FILEHASH_LEN]);
/* Lower-case hex of a SHA-256 into hex[FILEHASH_HEX_LEN]. */
void filehash_hex(const uint8_t d[FILEHASH_LEN], char hex[FILEHASH_HEX_LEN]);
/* Any digest: n bytes as 2n lowercase hex digits and a NUL. */
void filehash_hex_n(const uint8_t *d, size_t n, char *hex);
/* Parse 64 hex digits (either case); -EINVAL otherwise. */
int filehash_parse_hex(const char *hex, uint8_t out[FILEHASH_LEN]);

#endif

/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* SHA-256 (and MD5, for dpkg) of files through libcrypto's EVP interface
 * (uses the CPU's SHA extensions where present). pread, never read:
 * callers share fds. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "lib/filehash.h"

int filehash_sha256_mem(const void *buf, size_t len, uint8_t out[FILEHASH_LEN])
{
	unsigned int n = 0;

	if (!EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL) || n != FILEHASH_LEN)
		return -EIO;
	return 0;
}

/* The digest md of everything fd holds, len bytes into out. */
static int digest_fd(int fd, const EVP_MD *md, uint8_t *out, unsigned int len)
{
	/* small enough for malloc to reuse its heap: a fresh mapping per
	 * call would fault in every page of it, each time */
	enum { CHUNK = 64 << 10 };
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *buf = malloc(CHUNK);
	unsigned int n = 0;
	off_t off = 0;
	int ret = 0;

	if (!ctx || !buf) {
		ret = -ENOMEM;
		goto out;
	}
	if (!EVP_DigestInit_ex(ctx, md, NULL)) {
		ret = -EIO;
		goto out;
	}
	for (;;) {
		ssize_t r = pread(fd, buf, CHUNK, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			goto out;
		}
		if (r == 0)
			break;
		if (!EVP_DigestUpdate(ctx, buf, (size_t)r)) {
			ret = -EIO;
			goto out;
		}
		off += r;
	}
	if (!EVP_DigestFinal_ex(ctx, out, &n) || n != len)
		ret = -EIO;
out:
	free(buf);
	EVP_MD_CTX_free(ctx);
	return ret;
}

int filehash_sha256_fd(int fd, uint8_t out[FILEHASH_LEN])
{
	return digest_fd(fd, EVP_sha256(), out, FILEHASH_LEN);
}

int filehash_md5_fd(int fd, uint8_t out[FILEHASH_MD5_LEN])
{
	return digest_fd(fd, EVP_md5(), out, FILEHASH_MD5_LEN);
}

int filehash_sha256_path(const char *path, uint8_t out[FILEHASH_LEN])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	int ret;

	if (fd < 0)
		return -errno;
	ret = filehash_sha256_fd(fd, out);
	close(fd);
	return ret;
}

void filehash_hex_n(const uint8_t *d, size_t n, char *hex)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[2 * n] = '\0';
}

void filehash_hex(const uint8_t d[FILEHASH_LEN], char hex[FILEHASH_HEX_LEN])
{
	filehash_hex_n(d, FILEHASH_LEN, hex);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int filehash_parse_hex(const char *hex, uint8_t out[FILEHASH_LEN])
{
	for (int i = 0; i < FILEHASH_LEN; i++) {
		int hi = hexval(hex[2 * i]), lo = hi < 0 ? -1 : hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return hex[2 * FILEHASH_LEN] == '\0' ? 0 : -EINVAL;
}

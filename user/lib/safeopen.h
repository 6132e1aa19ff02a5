/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Opening files that traced processes name without losing our own locks.
 * Closing any fd of a file drops every POSIX lock this process holds on it
 * (fcntl(2)), and our SQLite databases live by such locks: once the agent's
 * lock on bd.sqlite was gone, a `db add` exiting deleted the WAL and -shm
 * under the live connection, which then read a stale database for good. */
#ifndef BPFPROF_SAFEOPEN_H
#define BPFPROF_SAFEOPEN_H

/* The SQLite database at path (and its -shm) holds our locks: never open
 * it for a traced process. Counted; unguard when the connection closes. */
void safeopen_guard_db(const char *path);
void safeopen_unguard_db(const char *path);
/* A file (or /proc magic link) a traced process named, read-only: looked
 * at through O_PATH first, whose close drops no lock, and opened only if
 * it is a regular file (a FIFO would block the reader) that is not
 * guarded. Returns the fd, or -errno (-EPERM guarded, -EINVAL not a
 * regular file). */
int safeopen_read(const char *path);

#endif

/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The classes behind the tokens that name a path or a program: what is a
 * credential file, a persistence location, a tmp dir, another process's
 * memory, a shell, a downloader. One home for both the runtime decoder
 * (user/pipeline/decoder.c) and the static prediction (DCAM), so a call
 * seen running and the same call read from code become the same token. */
#ifndef BPFPROF_TOKCLASS_H
#define BPFPROF_TOKCLASS_H

#include <stdbool.h>

/* Token of an open of path (NULL when unknown) with open(2) flags:
 * "openat:read", "openat:cred", "openat:write", "openat:write_tmp",
 * "openat:persist", "openat:procmem" or "openat:logwipe". self_pid is the caller's pid or tid
 * (0 when unknown): /proc/<self_pid>/mem and environ are the caller's own;
 * another process's environ is read as a credential. */
const char *tokclass_open(const char *path, unsigned long flags, unsigned long self_pid);
/* Token of an unlink of path (NULL when unknown): "unlinkat:log" or
 * "unlinkat". */
const char *tokclass_unlink(const char *path);
/* Token of an exec of path (NULL when unknown): "execve:shell",
 * "execve:downloader" or "execve". argv1, when known, names the applet of a
 * multi-call binary (busybox wget, toybox sh). */
const char *tokclass_exec(const char *path, const char *argv1);
/* The path classes themselves. */
bool tokclass_is_tmp(const char *path);
bool tokclass_is_credential(const char *path);
bool tokclass_is_persistence(const char *path);
bool tokclass_is_log(const char *path);
/* /proc/<pid>/mem or /proc/<pid>/task/<tid>/mem of a pid other than self_pid
 * (self, thread-self and self_pid are the caller's own). */
bool tokclass_is_procmem(const char *path, unsigned long self_pid);
/* Program classes, by the file's base name ("/usr/bin/bash" -> shell). */
bool tokclass_is_shell(const char *path);
bool tokclass_is_downloader(const char *path);

#endif

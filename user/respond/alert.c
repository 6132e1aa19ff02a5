/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Alert records. A line is written with one write(2) on an O_APPEND fd and
 * fsync'ed, so concurrent writers never interleave and an acknowledged
 * alert survives a crash. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "decision/attribution.h"
#include "respond/alert.h"
#include "respond/mitigate.h"
#include "lib/timefmt.h"
#include "lib/util.h"
#include "lib/jsonout.h"

json_t *alert_build(const struct window *w, const struct scorer_result *r,
		    const struct mitigation *m)
{
	const struct verdict *v = &r->verdict;
	char when[64], host[256] = "";
	struct attribution at;
	json_t *a;

	timefmt_format_rfc3339((int64_t)util_now_real_ns(), when, sizeof(when));
	attribution_hostname(host, sizeof(host));
	attribution_of_window(w, &at);
	a = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:f, s:s, s:s, s:s, s:b}",
		      "type", "alert", "time", when, "host", host, "pid", (json_int_t)w->pid,
		      "comm", w->comm, "path", window_object_name(w),
		      "risk", v->risk, "level", verdict_level_name(v->level),
		      "action", mitigate_action_name(m->action),
		      "backend", mitigate_backend_name(m->backends), "uncertain", v->uncertain);
	if (!a)
		return NULL;
	scorer_result_explain_json(r, a);
	json_object_set_new(a, "process", attribution_to_json(&at));
	if (!json_object_get(a, "sha256"))
		json_object_set_new(a, "sha256", json_null());
	return a;
}

int alert_log_append(const char *log_path, json_t *alert)
{
	char *line = json_dumps(alert, JSONOUT_FLAGS);
	int fd, ret = 0;
	size_t n;

	if (!line)
		return -ENOMEM;
	n = strlen(line);
	line[n++] = '\n'; /* json_dumps leaves room: replace the NUL */
	fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	errno = 0;
	if (fd < 0)
		ret = -errno;
	else if (write(fd, line, n) != (ssize_t)n)
		ret = errno ? -errno : -EIO;
	else if (fsync(fd))
		ret = -errno;
	if (fd >= 0)
		close(fd);
	free(line);
	return ret;
}

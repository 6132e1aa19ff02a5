/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* A headless Chromium driven over the DevTools protocol on a pipe
 * (--remote-debugging-pipe: JSON messages ending in NUL on fds 3 and 4),
 * so a test can click, read what is on screen and take screenshots
 * without a WebSocket client or Node. */
#ifndef BPFPROF_TEST_CDP_H
#define BPFPROF_TEST_CDP_H

#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct cdp {
	pid_t pid;
	int to, from;   /* our ends of chromium's fds 3 and 4 */
	int next_id;
	char session[128];
	char *buf;      /* bytes read and not yet parsed */
	size_t len;
};

static inline void cdp_start(struct cdp *c, const char *profile, int width, int height)
{
	int in[2], out[2];
	char prof[512], size[64];

	cr_assert_eq(system("command -v chromium >/dev/null"), 0,
		     "chromium not found: install Debian's chromium package (scripts/deps.sh)");
	cr_assert_eq(pipe(in), 0);
	cr_assert_eq(pipe(out), 0);
	snprintf(prof, sizeof(prof), "--user-data-dir=%s", profile);
	snprintf(size, sizeof(size), "--window-size=%d,%d", width, height);
	memset(c, 0, sizeof(*c));
	c->pid = fork();
	cr_assert_geq(c->pid, 0);
	if (c->pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(in[0], 3);
		dup2(out[1], 4);
		dup2(devnull, 2);
		execlp("chromium", "chromium", "--headless", "--no-sandbox", "--disable-gpu",
		       "--remote-debugging-pipe", "--no-first-run", "--disable-dev-shm-usage",
		       "--disable-background-networking", "--disable-component-update",
		       "--disable-sync", "--hide-scrollbars", prof, size, "about:blank", NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	c->to = in[1];
	c->from = out[0];
	c->next_id = 1;
}

static inline void cdp_stop(struct cdp *c)
{
	close(c->to);
	close(c->from);
	kill(c->pid, SIGTERM);
	waitpid(c->pid, NULL, 0);
	free(c->buf);
}

/* The next whole message, waiting up to 30 s. */
static inline json_t *cdp_read(struct cdp *c)
{
	for (;;) {
		char *nul = c->buf ? memchr(c->buf, '\0', c->len) : NULL;
		struct pollfd p = { .fd = c->from, .events = POLLIN };
		char chunk[65536];
		ssize_t n;

		if (nul) {
			json_t *m = json_loads(c->buf, 0, NULL);
			size_t used = nul - c->buf + 1;

			memmove(c->buf, nul + 1, c->len - used);
			c->len -= used;
			cr_assert_not_null(m, "not JSON from chromium");
			return m;
		}
		cr_assert_gt(poll(&p, 1, 30000), 0, "chromium did not answer within 30 s");
		n = read(c->from, chunk, sizeof(chunk));
		cr_assert_gt(n, 0, "chromium closed the pipe");
		c->buf = realloc(c->buf, c->len + n);
		memcpy(c->buf + c->len, chunk, n);
		c->len += n;
	}
}

/* Calls method (in the page's session once attached); returns "result". */
static inline json_t *cdp_call(struct cdp *c, const char *method, json_t *params)
{
	int id = c->next_id++;
	json_t *msg = json_pack("{s:i, s:s, s:o}", "id", id, "method", method,
				"params", params ? params : json_object());
	char *text;

	if (c->session[0])
		json_object_set_new(msg, "sessionId", json_string(c->session));
	text = json_dumps(msg, JSON_COMPACT);
	cr_assert_eq(write(c->to, text, strlen(text) + 1), (ssize_t)strlen(text) + 1);
	free(text);
	json_decref(msg);
	for (;;) {
		json_t *m = cdp_read(c), *r;

		if (json_integer_value(json_object_get(m, "id")) != id) {
			json_decref(m); /* an event, or another session's */
			continue;
		}
		cr_assert_null(json_object_get(m, "error"), "%s failed: %s", method,
			       json_dumps(json_object_get(m, "error"), 0));
		r = json_incref(json_object_get(m, "result"));
		json_decref(m);
		return r;
	}
}

/* Attaches to the page the browser opened, at width x height. */
static inline void cdp_attach_page(struct cdp *c, int width, int height)
{
	json_t *r = cdp_call(c, "Target.getTargets", NULL), *t;
	const char *target = NULL;
	size_t i;

	json_array_foreach(json_object_get(r, "targetInfos"), i, t)
		if (!strcmp(json_string_value(json_object_get(t, "type")), "page"))
			target = json_string_value(json_object_get(t, "targetId"));
	cr_assert_not_null(target, "no page target");
	t = cdp_call(c, "Target.attachToTarget", json_pack("{s:s, s:b}", "targetId", target,
							       "flatten", 1));
	snprintf(c->session, sizeof(c->session), "%s",
		 json_string_value(json_object_get(t, "sessionId")));
	json_decref(t);
	json_decref(r);
	json_decref(cdp_call(c, "Emulation.setDeviceMetricsOverride",
			     json_pack("{s:i, s:i, s:f, s:b}", "width", width, "height", height,
				       "deviceScaleFactor", 1.0, "mobile", 0)));
}

/* The value of a JavaScript expression (promises awaited). */
static inline json_t *cdp_eval(struct cdp *c, const char *expr)
{
	json_t *r = cdp_call(c, "Runtime.evaluate",
			     json_pack("{s:s, s:b, s:b}", "expression", expr, "returnByValue", 1,
				       "awaitPromise", 1));
	json_t *v;

	cr_assert_null(json_object_get(r, "exceptionDetails"), "%s threw: %s", expr,
		       json_dumps(json_object_get(r, "exceptionDetails"), 0));
	v = json_incref(json_object_get(json_object_get(r, "result"), "value"));
	json_decref(r);
	return v ? v : json_null();
}

static inline char *cdp_eval_string(struct cdp *c, const char *expr)
{
	json_t *v = cdp_eval(c, expr);
	char *s = strdup(json_is_string(v) ? json_string_value(v) : "");

	json_decref(v);
	return s;
}

/* Waits up to 15 s for expr to be true. */
static inline bool cdp_wait(struct cdp *c, const char *expr)
{
	for (int i = 0; i < 150; i++) {
		json_t *v = cdp_eval(c, expr);
		bool ok = json_is_true(v);

		json_decref(v);
		if (ok)
			return true;
		usleep(100 * 1000);
	}
	return false;
}

/* A real mouse click in the middle of the element selector matches. */
static inline void cdp_click(struct cdp *c, const char *selector)
{
	char expr[512];
	json_t *r;
	double x, y;

	snprintf(expr, sizeof(expr), "(() => { const e = document.querySelector(%s);"
		 " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
		 " return [r.x + r.width / 2, r.y + r.height / 2]; })()", selector);
	r = cdp_eval(c, expr);
	x = json_number_value(json_array_get(r, 0));
	y = json_number_value(json_array_get(r, 1));
	json_decref(r);
	for (int i = 0; i < 2; i++)
		json_decref(cdp_call(c, "Input.dispatchMouseEvent",
				     json_pack("{s:s, s:f, s:f, s:s, s:i}", "type",
					       i ? "mouseReleased" : "mousePressed", "x", x, "y", y,
					       "button", "left", "clickCount", 1)));
}

/* Saves a PNG of the viewport to path. */
static inline void cdp_screenshot(struct cdp *c, const char *path)
{
	json_t *r = cdp_call(c, "Page.captureScreenshot", json_pack("{s:s}", "format", "png"));
	const char *b64 = json_string_value(json_object_get(r, "data"));
	size_t n = strlen(b64);
	unsigned char *png = malloc(n);
	int len = EVP_DecodeBlock(png, (const unsigned char *)b64, (int)n);
	FILE *f = fopen(path, "w");

	cr_assert_gt(len, 0);
	while (n && b64[n - 1] == '=') { /* DecodeBlock counts the padding */
		len--;
		n--;
	}
	cr_assert_not_null(f, "%s", path);
	fwrite(png, 1, len, f);
	fclose(f);
	free(png);
	json_decref(r);
}

#endif

/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* HTTP server: we bind the sockets ourselves (MHD_OPTION_LISTEN_SOCKET) so
 * the unix socket gets its mode before listen() and TCP can use port 0;
 * one MHD daemon per listener, so a request knows whether it came over TCP
 * and must carry the token (compared as SHA-256 digests, in constant time). */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include "agent/agent_metrics.h"
#include "agent/api.h"
#include "agent/api_routes.h"
#include "agent/config.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/jsonout.h"

#define MAX_ROUTES 64
#define DEFAULT_MAX_BODY (1u << 20)
/* TCP: idle or half-sent requests must not lock the API out. One client
 * address holds at most TCP_PER_IP connections, all of them at most
 * TCP_CONN_LIMIT; a connection that has not completed an authorized
 * request within TCP_TIMEOUT_S is dropped, an authorized one may stay
 * (keep-alive) TCP_AUTH_TIMEOUT_S between requests. */
#define TCP_PER_IP 16
#define TCP_CONN_LIMIT 1000
#define TCP_TIMEOUT_S 5
#define TCP_AUTH_TIMEOUT_S 60
#define UNIX_CONN_LIMIT 128
#define UNIX_TIMEOUT_S 30

struct listener {
	struct api *api;
	struct MHD_Daemon *daemon;
	int fd;
	int tcp;
};

struct api {
	struct api_opts opts;
	struct api_route routes[MAX_ROUTES];
	size_t nroutes;
	struct listener unix_l, tcp_l;
	char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int tcp_port;
	unsigned char token_digest[SHA256_DIGEST_LENGTH];
};

/* Per-request state between MHD's calls of the access handler. */
struct req_state {
	char *body;
	size_t len;
	int rejected; /* status decided before the body ended: 401 or 413 */
	const char *principal;
};

/* ---- helpers for handlers ------------------------------------------------ */

const char *api_request_query(const struct api_request *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

int api_query_int(const char *v, int64_t lo, int64_t hi, int64_t *out)
{
	char *end;
	long long n;

	/* strtoll would also take " 5" and "+5" */
	if (!isdigit((unsigned char)v[v[0] == '-']))
		return -EINVAL;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (*end || errno || n < lo || n > hi)
		return -EINVAL;
	*out = n;
	return 0;
}

const char *api_request_header(const struct api_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

void api_reply_json(struct api_response *resp, int status, json_t *doc)
{
	resp->status = status;
	resp->content_type = "application/json";
	resp->body = doc ? json_dumps(doc, JSONOUT_FLAGS) : NULL;
	json_decref(doc);
	if (!resp->body) {
		resp->status = 500;
		resp->body = strdup("{\"error\":\"out of memory\"}");
	}
	resp->len = resp->body ? strlen(resp->body) : 0;
	resp->body_static = 0;
}

void api_reply_error(struct api_response *resp, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	api_reply_json(resp, status, json_pack("{s:s}", "error", msg));
}

/* ---- dispatch ------------------------------------------------------------ */

static const char *bearer(struct MHD_Connection *conn)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);

	if (!h || strncasecmp(h, "Bearer ", 7))
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return h;
}

static int authorized(const struct api *api, struct MHD_Connection *conn)
{
	const char *h = bearer(conn);
	unsigned char d[SHA256_DIGEST_LENGTH];

	if (!h)
		return 0;
	SHA256((const unsigned char *)h, strlen(h), d);
	return !CRYPTO_memcmp(d, api->token_digest, sizeof(d));
}

/* The submitter a request's token names (the token lives as long as the
 * agent's trust table). */
static const char *principal(const struct api *api, struct MHD_Connection *conn)
{
	const char *h = bearer(conn);

	return h && api->opts.principal ? api->opts.principal(api->opts.principal_ctx, h) : NULL;
}

/* Finds the route; *path_known says whether another method would match. */
static const struct api_route *find_route(const struct api *api, const char *method,
					  const char *url, const char **arg, int *path_known)
{
	*path_known = 0;
	for (size_t i = 0; i < api->nroutes; i++) {
		const struct api_route *r = &api->routes[i];
		size_t n = strlen(r->path);

		if (r->prefix ? strncmp(url, r->path, n) || !url[n] : strcmp(url, r->path))
			continue;
		*path_known = 1;
		if (strcmp(method, r->method))
			continue;
		*arg = r->prefix ? url + n : NULL;
		return r;
	}
	return NULL;
}

static enum MHD_Result send_response(struct api *api, struct MHD_Connection *conn,
				     struct api_response *resp)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char code[8];

	if (!resp->body) {
		api_reply_error(resp, 500, "handler gave no reply");
		if (!resp->body)
			return MHD_NO;
	}
	r = MHD_create_response_from_buffer(resp->len, resp->body,
					    resp->body_static ? MHD_RESPMEM_PERSISTENT
							      : MHD_RESPMEM_MUST_FREE);
	if (!r) {
		if (!resp->body_static)
			free(resp->body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				resp->content_type ? resp->content_type : "application/octet-stream");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (resp->content_type && !strncmp(resp->content_type, "text/html", 9))
		MHD_add_response_header(r, "Content-Security-Policy",
					"default-src 'self'; script-src 'self'; style-src 'self'; "
					"img-src 'self' data:; frame-ancestors 'none'");
	if (resp->status == 401) {
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
		/* a client without the token keeps no connection slot */
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	}
	ret = MHD_queue_response(conn, resp->status, r);
	MHD_destroy_response(r);
	if (api->opts.metrics) {
		snprintf(code, sizeof(code), "%d", resp->status);
		metric_inc(metric_get(api->opts.metrics->api_requests, code));
	}
	return ret;
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
				      const char *method, const char *version,
				      const char *upload, size_t *upload_size, void **con_cls)
{
	struct listener *l = cls;
	struct api *api = l->api;
	struct req_state *st = *con_cls;
	struct api_response resp = { 0 };
	const struct api_route *route;
	struct api_request req;
	const char *arg = NULL;
	int path_known;

	(void)version;
	route = find_route(api, method, url, &arg, &path_known);
	if (!st) {
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);

		st = calloc(1, sizeof(*st));
		if (!st)
			return MHD_NO;
		*con_cls = st;
		/* decided before any body is buffered: a client without the
		 * token cannot make us hold max_body bytes */
		st->principal = principal(api, conn);
		if (l->tcp && !authorized(api, conn)) {
			if (!(route && route->public) && !(st->principal && route && route->submitters))
				st->rejected = 401;
		} else if (l->tcp) {
			MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT,
						  (unsigned int)TCP_AUTH_TIMEOUT_S);
		}
		if (!st->rejected && st->principal && route && !route->submitters && !route->public)
			st->rejected = 403;
		else if (!st->rejected && cl && strtoull(cl, NULL, 10) > api->opts.max_body)
			st->rejected = 413;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!st->rejected && st->len + *upload_size > api->opts.max_body)
			st->rejected = 413;
		if (!st->rejected) {
			char *nb = realloc(st->body, st->len + *upload_size + 1);

			if (!nb)
				return MHD_NO;
			memcpy(nb + st->len, upload, *upload_size);
			st->body = nb;
			st->len += *upload_size;
			st->body[st->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}

	if (st->rejected == 401) {
		api_reply_error(&resp, 401, "missing or wrong bearer token");
	} else if (st->rejected == 403) {
		api_reply_error(&resp, 403, "a submitter's token is for POST /v1/behaviors only");
	} else if (st->rejected) {
		api_reply_error(&resp, 413, "request body larger than %zu bytes", api->opts.max_body);
	} else if (!route) {
		if (path_known)
			api_reply_error(&resp, 405, "method %s not allowed on %s", method, url);
		else
			api_reply_error(&resp, 404, "no such endpoint: %s", url);
	} else {
		req = (struct api_request){ .method = method, .path = url, .arg = arg,
					    .body = st->body, .body_len = st->len, .conn = conn,
					    .principal = st->principal };
		route->fn(route->ctx, &req, &resp);
	}
	return send_response(api, conn, &resp);
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			      enum MHD_RequestTerminationCode toe)
{
	struct req_state *st = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (st) {
		free(st->body);
		free(st);
		*con_cls = NULL;
	}
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("api: %s", msg);
}

/* ---- listeners ----------------------------------------------------------- */

static int bind_unix(struct api *api, const char *path, int mode, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat stbuf;
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: unix socket path too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	if (!lstat(path, &stbuf)) {
		if (!S_ISSOCK(stbuf.st_mode)) {
			snprintf(err, errlen, "%s: exists and is not a socket", path);
			return -EEXIST;
		}
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && !connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			close(fd);
			snprintf(err, errlen, "%s: another process is serving on this socket", path);
			return -EADDRINUSE;
		}
		if (fd >= 0)
			close(fd);
		unlink(path); /* stale socket of a previous run */
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* chmod between bind and listen: no client can connect before the
	 * mode is right */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, mode) || listen(fd, 64)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return ret;
	}
	strcpy(api->unix_path, path);
	return fd;
}

static int bind_tcp(struct api *api, const char *addr, char *err, size_t errlen)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	char host[64];
	int port, fd, one = 1, ret;

	if (config_split_hostport(addr, host, sizeof(host), &port)) {
		snprintf(err, errlen, "listen_tcp '%s' is not ADDR:PORT", addr);
		return -EINVAL;
	}
	if (strchr(host, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		inet_pton(AF_INET6, host, &s6->sin6_addr);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		inet_pton(AF_INET, host, &s4->sin_addr);
		sl = sizeof(*s4);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 512) ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl)) {
		ret = -errno;
		snprintf(err, errlen, "listen_tcp %s: %s", addr, strerror(errno));
		close(fd);
		return ret;
	}
	api->tcp_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						       : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

static int load_token(struct api *api, const char *path, char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	size_t len;
	int ret;

	if (!path || !*path) {
		snprintf(err, errlen, "listen_tcp needs a token_file: TCP clients must send a bearer token");
		return -EINVAL;
	}
	ret = util_read_file(path, 4096, &buf, &len);
	if (ret) {
		snprintf(err, errlen, "token file %s: %s", path, strerror(-ret));
		return ret;
	}
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	if (len < 16) {
		snprintf(err, errlen, "token file %s: the token must be at least 16 characters", path);
		OPENSSL_cleanse(buf, len);
		free(buf);
		return -EINVAL;
	}
	SHA256((unsigned char *)buf, len, api->token_digest);
	OPENSSL_cleanse(buf, len);
	free(buf);
	if (!stat(path, &st) && (st.st_mode & 077))
		log_warn("token file %s is readable by group or others (mode %03o)", path,
			 st.st_mode & 0777);
	return 0;
}

static int start_daemon(struct listener *l, struct api *api, int fd, int tcp, char *err,
			size_t errlen)
{
	l->api = api;
	l->fd = fd;
	l->tcp = tcp;
	if (tcp)
		l->daemon = MHD_start_daemon(
			MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
			MHD_USE_ERROR_LOG, 0, NULL, NULL, access_handler, l,
			MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED, request_completed,
			NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)TCP_TIMEOUT_S,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned int)TCP_CONN_LIMIT,
			MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)TCP_PER_IP,
			MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
	else
		l->daemon = MHD_start_daemon(
			MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC |
			MHD_USE_ERROR_LOG, 0, NULL, NULL, access_handler, l,
			MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED, request_completed,
			NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)UNIX_TIMEOUT_S,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned int)UNIX_CONN_LIMIT,
			MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
	if (!l->daemon) {
		snprintf(err, errlen, "cannot start the HTTP server on the %s listener",
			 tcp ? "TCP" : "unix");
		return -EIO;
	}
	return 0;
}

int api_start(const struct api_opts *opts, struct api **out, char *err, size_t errlen)
{
	struct api *api = calloc(1, sizeof(*api));
	int fd, ret;

	if (!api)
		return -ENOMEM;
	api->unix_l.fd = api->tcp_l.fd = -1;
	api->tcp_port = -1;
	memcpy(&api->opts, opts, opts->sz < sizeof(*opts) ? opts->sz : sizeof(*opts));
	if (!api->opts.max_body)
		api->opts.max_body = DEFAULT_MAX_BODY;
	if (!api->opts.unix_mode)
		api->opts.unix_mode = 0600;
	if (!api->opts.listen_unix && !api->opts.listen_tcp) {
		snprintf(err, errlen, "no listener configured (listen_unix or listen_tcp)");
		ret = -EINVAL;
		goto fail;
	}
	if (api->opts.nroutes + API_BUILTIN_ROUTES > MAX_ROUTES) {
		snprintf(err, errlen, "too many routes");
		ret = -E2BIG;
		goto fail;
	}
	for (size_t i = 0; i < api->opts.nroutes; i++)
		api->routes[api->nroutes++] = api->opts.routes[i];
	api->nroutes += api_routes_builtin(&api->opts, api->routes + api->nroutes);
	if (api->opts.listen_tcp && (ret = load_token(api, api->opts.token_file, err, errlen)))
		goto fail;
	if (api->opts.listen_unix) {
		fd = bind_unix(api, api->opts.listen_unix, api->opts.unix_mode, err, errlen);
		if (fd < 0 || (ret = start_daemon(&api->unix_l, api, fd, 0, err, errlen))) {
			ret = fd < 0 ? fd : ret;
			if (fd >= 0)
				close(fd);
			goto fail;
		}
	}
	if (api->opts.listen_tcp) {
		fd = bind_tcp(api, api->opts.listen_tcp, err, errlen);
		if (fd < 0 || (ret = start_daemon(&api->tcp_l, api, fd, 1, err, errlen))) {
			ret = fd < 0 ? fd : ret;
			if (fd >= 0)
				close(fd);
			goto fail;
		}
	}
	*out = api;
	return 0;
fail:
	api_stop(api);
	return ret;
}

static void stop_listener(struct listener *l)
{
	MHD_socket s;

	if (!l->daemon)
		return;
	/* quiesce hands the listen socket back, so it is closed exactly once
	 * and only after MHD's threads are gone */
	s = MHD_quiesce_daemon(l->daemon);
	MHD_stop_daemon(l->daemon);
	if (s != MHD_INVALID_SOCKET)
		close(s);
	l->daemon = NULL;
	l->fd = -1;
}

void api_stop(struct api *api)
{
	if (!api)
		return;
	stop_listener(&api->tcp_l);
	stop_listener(&api->unix_l);
	if (api->unix_path[0])
		unlink(api->unix_path);
	OPENSSL_cleanse(api->token_digest, sizeof(api->token_digest));
	free(api);
}

int api_tcp_port(const struct api *api)
{
	return api->tcp_port;
}

/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* INI parsing through a table of keys: one row gives a key's section,
 * type, bounds and place in struct config, so the file, the command-line
 * overrides and the documentation cannot drift apart. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ini.h>
#include "agent/config.h"
#include "score/exceptions.h"
#include "lib/util.h"

enum key_type { K_DOUBLE, K_INT, K_STR, K_BOOL, K_ENUM, K_MODE, K_SIZE, K_AGE, K_COUNT, K_RULE };

struct key {
	const char *section, *name;
	enum key_type type;
	size_t off, size;      /* place in struct config; size for K_STR */
	double min, max;       /* K_DOUBLE, K_INT, K_SIZE */
	const char *const *choices; /* K_ENUM: index = stored value */
};

#define F(field) offsetof(struct config, field), sizeof(((struct config *)0)->field)

static const char *const fail_choices[] = { "open", "closed", NULL };
static const char *const enforce_choices[] = { "monitor", "on", NULL };
static const char *const sync_choices[] = { "normal", "full", NULL };
static const char *const level_choices[] = { "low", "medium", "high", NULL };

static const struct key keys[] = {
	{ "scoring", "weight_sequence", K_DOUBLE, F(scoring.w_sequence), 0, 1, NULL },
	{ "scoring", "weight_source", K_DOUBLE, F(scoring.w_source), 0, 1, NULL },
	{ "scoring", "weight_dcam", K_DOUBLE, F(scoring.w_dcam), 0, 1, NULL },
	{ "scoring", "threshold_medium", K_DOUBLE, F(scoring.medium), 0, 1, NULL },
	{ "scoring", "threshold_high", K_DOUBLE, F(scoring.high), 0, 1, NULL },
	{ "window", "lookback", K_INT, F(window.lookback), 1, 32, NULL }, /* BP_LOOKBACK_MAX */
	{ "window", "follow", K_INT, F(window.follow), 0, 1024, NULL },
	{ "window", "follow_ms", K_INT, F(window.follow_ms), 0, 60000, NULL },
	{ "policy", "gate", K_BOOL, F(policy.gate), 0, 0, NULL },
	{ "policy", "gate_timeout_ms", K_INT, F(policy.gate_timeout_ms), 1, 10000, NULL },
	{ "policy", "fail", K_ENUM, F(policy.fail), 0, 0, fail_choices },
	{ "policy", "enforce", K_ENUM, F(policy.enforce), 0, 0, enforce_choices },
	{ "policy", "uncertain_escalates", K_BOOL, F(policy.uncertain_escalate), 0, 0, NULL },
	{ "api", "listen_unix", K_STR, F(api.listen_unix), 0, 0, NULL },
	{ "api", "unix_mode", K_MODE, F(api.unix_mode), 0, 0777, NULL },
	{ "api", "listen_tcp", K_STR, F(api.listen_tcp), 0, 0, NULL },
	{ "api", "token_file", K_STR, F(api.token_file), 0, 0, NULL },
	{ "api", "max_body", K_SIZE, F(api.max_body), 1024, 64 << 20, NULL },
	{ "store", "db_path", K_STR, F(store.db_path), 0, 0, NULL },
	{ "store", "bd_path", K_STR, F(store.bd_path), 0, 0, NULL },
	{ "store", "decision_log", K_STR, F(store.decision_log), 0, 0, NULL },
	{ "store", "sync", K_ENUM, F(store.sync_full), 0, 0, sync_choices },
	{ "alerts", "webhook_url", K_STR, F(alerts.webhook_url), 0, 0, NULL },
	{ "alerts", "alert_log", K_STR, F(alerts.alert_log), 0, 0, NULL },
	{ "tokens", "file", K_STR, F(tokens.file), 0, 0, NULL },
	{ "fleet", "url", K_STR, F(fleet.url), 0, 0, NULL },
	{ "fleet", "host_id", K_STR, F(fleet.host_id), 0, 0, NULL },
	{ "fleet", "creds_file", K_STR, F(fleet.creds_file), 0, 0, NULL },
	{ "fleet", "token_file", K_STR, F(fleet.token_file), 0, 0, NULL },
	{ "fleet", "tls_ca", K_STR, F(fleet.tls_ca), 0, 0, NULL },
	{ "fleet", "stream_prefix", K_STR, F(fleet.stream_prefix), 0, 0, NULL },
	{ "fleet", "replicas", K_INT, F(fleet.replicas), 1, 5, NULL },
	{ "fleet", "outbox", K_STR, F(fleet.outbox), 0, 0, NULL },
	{ "retention", "max_age_low", K_AGE, F(retention.max_age_s[0]), 0, 0, NULL },
	{ "retention", "max_age_medium", K_AGE, F(retention.max_age_s[1]), 0, 0, NULL },
	{ "retention", "max_age_high", K_AGE, F(retention.max_age_s[2]), 0, 0, NULL },
	{ "retention", "max_count_low", K_COUNT, F(retention.max_count[0]), 0, 1e12, NULL },
	{ "retention", "max_count_medium", K_COUNT, F(retention.max_count[1]), 0, 1e12, NULL },
	{ "retention", "max_count_high", K_COUNT, F(retention.max_count[2]), 0, 1e12, NULL },
	{ "retention", "record_level", K_ENUM, F(retention.record_level), 0, 0, level_choices },
	{ "exceptions", "allow_path", K_RULE, 0, 0, 0, 0, NULL },
	{ "exceptions", "allow_hash", K_RULE, 0, 0, 0, 0, NULL },
	{ "exceptions", "allow_exe", K_RULE, 0, 0, 0, 0, NULL },
	{ "exceptions", "allow_container", K_RULE, 0, 0, 0, 0, NULL },
	{ "exceptions", "allow_unit", K_RULE, 0, 0, 0, 0, NULL },
	{ "exceptions", "deny_path", K_RULE, 0, 0, 0, 0, NULL },
	{ "exceptions", "deny_hash", K_RULE, 0, 0, 0, 0, NULL },
	{ "exceptions", "deny_exe", K_RULE, 0, 0, 0, 0, NULL },
	{ "exceptions", "deny_container", K_RULE, 0, 0, 0, 0, NULL },
	{ "exceptions", "deny_unit", K_RULE, 0, 0, 0, 0, NULL },
};

/* The keys of every [submitter.NAME] section: offsets in struct
 * config_submitter, turned into offsets in struct config by slot. */
#define S(field) offsetof(struct config_submitter, field), \
	sizeof(((struct config_submitter *)0)->field)
static const struct key submitter_keys[] = {
	{ "submitter", "token_file", K_STR, S(token_file), 0, 0, NULL },
	{ "submitter", "trust", K_DOUBLE, S(trust), 0, 1, NULL },
	{ "submitter", "rate", K_INT, S(rate), 0, 1000000, NULL },
	{ "submitter", "max_entries", K_INT, S(max_entries), 1, 10000, NULL }, /* BD_SUBMIT_MAX_ENTRIES */
};
#define SUBMITTER_SECTION "submitter" "."


void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->scoring.w_sequence = 0.5;
	c->scoring.w_source = 0.25;
	c->scoring.w_dcam = 0.25;
	c->scoring.medium = 0.4;
	c->scoring.high = 0.7;
	c->window.lookback = 16;
	c->window.follow = 32;
	c->window.follow_ms = 200;
	c->policy.gate = 0;
	c->policy.gate_timeout_ms = 500;
	c->policy.fail = CONFIG_FAIL_OPEN;
	c->policy.enforce = CONFIG_ENFORCE_MONITOR; /* acting is a decision the operator makes */
	c->policy.uncertain_escalate = 1;
	strcpy(c->api.listen_unix, "/run/bpf-profiler/api.sock");
	c->api.unix_mode = 0600;
	c->api.max_body = 1 << 20;
	strcpy(c->store.db_path, "/var/lib/bpf-profiler/bpf-profiler.db");
	strcpy(c->store.bd_path, "/var/lib/bpf-profiler/bd.sqlite");
	strcpy(c->store.decision_log, "/var/log/bpf-profiler/decisions.jsonl");
	strcpy(c->alerts.alert_log, "/var/log/bpf-profiler/alerts.jsonl");
	strcpy(c->fleet.stream_prefix, "BPFPROF");
	c->fleet.replicas = 1;
	/* low goes first: a week of it, three months of medium, a year of high */
	c->retention.max_age_s[0] = 7 * 86400L;
	c->retention.max_age_s[1] = 90 * 86400L;
	c->retention.max_age_s[2] = 365 * 86400L;
	c->retention.max_count[0] = 100000;
	c->retention.max_count[1] = 100000;
	c->retention.max_count[2] = 100000;
	c->retention.record_level = 0;
}

void config_free(struct config *c)
{
	exceptions_free(c->exceptions);
	c->exceptions = NULL;
}

/* "0", "90s", "15m", "2h", "7d": seconds. */
static int parse_age(const char *v, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || n < 0 || n > 100L * 365 * 86400)
		return -EINVAL;
	if (!*end && n == 0) {
		*out = 0;
		return 0;
	}
	switch (end[0] && !end[1] ? end[0] : 0) {
	case 's': *out = n; return 0;
	case 'm': *out = n * 60; return 0;
	case 'h': *out = n * 3600; return 0;
	case 'd': *out = n * 86400; return 0;
	default: return -EINVAL;
	}
}

static int parse_number(const char *v, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(v, &end);
	return errno || end == v || *end || !isfinite(*out) ? -EINVAL : 0;
}

static const char *choices_text(const char *const *ch, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (; *ch && n < len; ch++)
		n += snprintf(buf + n, len - n, "%s%s", n ? " or " : "", *ch);
	return buf;
}

/* Stores value into cfg; on error writes "section.key: problem" to err. */
static int set_key(struct config *cfg, const struct key *k, const char *v, char *err,
		   size_t errlen)
{
	char *p = (char *)cfg + k->off, buf[320];
	double d;
	long l;
	char *end;

	switch (k->type) {
	case K_RULE:
		if (!*v) /* "allow_path =": no rule, as in the example file */
			return 0;
		if (!cfg->exceptions && !(cfg->exceptions = exceptions_new())) {
			snprintf(err, errlen, "%s.%s: out of memory", k->section, k->name);
			return -ENOMEM;
		}
		if (exceptions_add(cfg->exceptions, k->name, v, buf, sizeof(buf))) {
			snprintf(err, errlen, "%s.%s: %s", k->section, k->name,
				 strchr(buf, ':') ? strchr(buf, ':') + 2 : buf);
			return -EINVAL;
		}
		return 0;
	case K_AGE:
		if (parse_age(v, (long *)p)) {
			snprintf(err, errlen, "%s.%s: '%s' is not an age like 90s, 15m, 2h, 7d or 0 "
				 "(no limit)", k->section, k->name, v);
			return -EINVAL;
		}
		return 0;
	case K_COUNT:
		errno = 0;
		l = strtol(v, &end, 10);
		if (errno || end == v || *end || l < k->min || l > k->max)
			goto range;
		*(long *)p = l;
		return 0;
	case K_DOUBLE:
		if (parse_number(v, &d) || d < k->min || d > k->max)
			goto range;
		*(double *)p = d;
		return 0;
	case K_INT:
	case K_SIZE:
		errno = 0;
		l = strtol(v, &end, 10);
		if (errno || end == v)
			goto range;
		if (k->type == K_SIZE && *end) {
			if (!strcasecmp(end, "k") || !strcasecmp(end, "KiB"))
				l <<= 10;
			else if (!strcasecmp(end, "m") || !strcasecmp(end, "MiB"))
				l <<= 20;
			else
				goto range;
		} else if (*end) {
			goto range;
		}
		if (l < k->min || l > k->max)
			goto range;
		if (k->type == K_INT)
			*(int *)p = (int)l;
		else
			*(size_t *)p = (size_t)l;
		return 0;
	case K_MODE:
		errno = 0;
		l = strtol(v, &end, 8);
		if (errno || end == v || *end || l < 0 || l > 0777) {
			snprintf(err, errlen, "%s.%s: '%s' is not an octal mode like 0600",
				 k->section, k->name, v);
			return -EINVAL;
		}
		*(int *)p = (int)l;
		return 0;
	case K_STR:
		if (strlen(v) >= k->size) {
			snprintf(err, errlen, "%s.%s: longer than %zu characters", k->section,
				 k->name, k->size - 1);
			return -EINVAL;
		}
		strcpy(p, v);
		return 0;
	case K_BOOL:
		if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1"))
			*(int *)p = 1;
		else if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no") ||
			 !strcmp(v, "0"))
			*(int *)p = 0;
		else {
			snprintf(err, errlen, "%s.%s: '%s' is not on or off", k->section, k->name, v);
			return -EINVAL;
		}
		return 0;
	case K_ENUM:
		for (int i = 0; k->choices[i]; i++)
			if (!strcmp(v, k->choices[i])) {
				*(int *)p = i;
				return 0;
			}
		snprintf(err, errlen, "%s.%s: '%s' is not %s", k->section, k->name, v,
			 choices_text(k->choices, buf, sizeof(buf)));
		return -EINVAL;
	}
range:
	if (k->type == K_DOUBLE)
		snprintf(err, errlen, "%s.%s: '%s' is not a number in %g..%g", k->section,
			 k->name, v, k->min, k->max);
	else
		snprintf(err, errlen, "%s.%s: '%s' is not an integer in %.0f..%.0f%s", k->section,
			 k->name, v, k->min, k->max, k->type == K_SIZE ? " (bytes, or with k/m)" : "");
	return -EINVAL;
}

static bool submitter_name_valid(const char *n)
{
	size_t len = strlen(n);

	if (!len || len >= CONFIG_SUBMITTER_NAME_MAX)
		return false;
	for (; *n; n++)
		if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') || (*n >= '0' && *n <= '9') ||
		      *n == '-' || *n == '_' || *n == '.'))
			return false;
	return true;
}

/* A key of [submitter.NAME] as a key of struct config: the submitter's slot
 * (a new one for a new name, with its defaults) in *k. NULL when the name
 * or key is not one, or every slot is taken (why in err). */
static const struct key *submitter_key(struct config *cfg, const char *section, const char *name,
				       struct key *k, char *err, size_t errlen)
{
	const char *who = section + strlen(SUBMITTER_SECTION);
	size_t slot;

	if (!submitter_name_valid(who)) {
		snprintf(err, errlen, "[%s]: a submitter name is 1..%d of [A-Za-z0-9._-]", section,
			 CONFIG_SUBMITTER_NAME_MAX - 1);
		return NULL;
	}
	for (slot = 0; slot < cfg->nsubmitters; slot++)
		if (!strcmp(cfg->submitters[slot].name, who))
			break;
	for (size_t i = 0; i < ARRAY_SIZE(submitter_keys); i++) {
		if (strcmp(submitter_keys[i].name, name))
			continue;
		if (slot == cfg->nsubmitters) {
			struct config_submitter *s = &cfg->submitters[slot];

			if (slot == CONFIG_SUBMITTERS_MAX) {
				snprintf(err, errlen, "[%s]: more than %d submitters", section,
					 CONFIG_SUBMITTERS_MAX);
				return NULL;
			}
			memset(s, 0, sizeof(*s));
			snprintf(s->name, sizeof(s->name), "%s", who);
			s->trust = 0.5;
			s->rate = 1000;
			s->max_entries = 1000;
			cfg->nsubmitters++;
		}
		*k = submitter_keys[i];
		k->section = section;
		k->off += offsetof(struct config, submitters) + slot * sizeof(struct config_submitter);
		return k;
	}
	snprintf(err, errlen, "%s.%s: unknown key in section [%s]", section, name, section);
	return NULL;
}

const struct config_submitter *config_submitter_find(const struct config *cfg, const char *name)
{
	for (size_t i = 0; name && i < cfg->nsubmitters; i++)
		if (!strcmp(cfg->submitters[i].name, name))
			return &cfg->submitters[i];
	return NULL;
}

int config_submitter_key(size_t i, const char **name)
{
	if (i >= ARRAY_SIZE(submitter_keys))
		return -ENOENT;
	*name = submitter_keys[i].name;
	return 0;
}

static bool is_submitter_section(const char *section)
{
	return !strncmp(section, SUBMITTER_SECTION, strlen(SUBMITTER_SECTION));
}

static const struct key *find_key(const char *section, const char *name, int *section_known)
{
	*section_known = 0;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(keys[i].section, section))
			continue;
		*section_known = 1;
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	}
	return NULL;
}

void config_verdict_policy(const struct config *c, struct verdict_policy *p)
{
	verdict_policy_default(p);
	p->weight[VERDICT_SEQUENCE] = c->scoring.w_sequence;
	p->weight[VERDICT_SOURCE] = c->scoring.w_source;
	p->weight[VERDICT_DCAM] = c->scoring.w_dcam;
	p->medium = c->scoring.medium;
	p->high = c->scoring.high;
	p->uncertain_escalates = c->policy.uncertain_escalate;
}

int config_key(size_t i, const char **section, const char **name)
{
	if (i >= sizeof(keys) / sizeof(keys[0]))
		return -ENOENT;
	*section = keys[i].section;
	*name = keys[i].name;
	return 0;
}

int config_split_hostport(const char *s, char *host, size_t hostlen, int *port)
{
	const char *colon, *h = s;
	size_t n;
	char *end;
	long p;
	unsigned char bin[16];

	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		h = s + 1;
		n = close - h;
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		n = colon - s;
	}
	if (n == 0 || n >= hostlen)
		return -EINVAL;
	memcpy(host, h, n);
	host[n] = '\0';
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || p < 0 || p > 65535)
		return -EINVAL;
	if (inet_pton(AF_INET, host, bin) != 1 && inet_pton(AF_INET6, host, bin) != 1)
		return -EINVAL;
	*port = (int)p;
	return 0;
}

static bool name_chars(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_'))
			return false;
	return true;
}

/* [fleet] (on when url is set) and the submitters. */
static int check_fleet(const struct config *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < c->nsubmitters; i++)
		if (!c->submitters[i].token_file[0]) {
			snprintf(err, errlen, "submitter.%s.token_file: a submitter needs a token file",
				 c->submitters[i].name);
			return -EINVAL;
		}
	if (!c->fleet.url[0])
		return 0;
	if (strncmp(c->fleet.url, "nats://", 7) && strncmp(c->fleet.url, "tls://", 6)) {
		snprintf(err, errlen, "fleet.url: '%s' is not a nats:// or tls:// URL (or a comma-"
			 "separated list of them)", c->fleet.url);
		return -EINVAL;
	}
	if (!name_chars(c->fleet.host_id) || !c->fleet.stream_prefix[0] ||
	    !name_chars(c->fleet.stream_prefix)) {
		snprintf(err, errlen, "fleet.%s: only letters, digits, '-' and '_' (subjects and "
			 "consumer names are made of it)", name_chars(c->fleet.host_id) ?
			 "stream_prefix" : "host_id");
		return -EINVAL;
	}
	if (c->fleet.creds_file[0] && c->fleet.token_file[0]) {
		snprintf(err, errlen, "fleet.creds_file and fleet.token_file: set one, not both");
		return -EINVAL;
	}
	return 0;
}

int config_check(const struct config *c, char *err, size_t errlen)
{
	double sum = c->scoring.w_sequence + c->scoring.w_source + c->scoring.w_dcam;
	char host[64];
	int port;

	if (fabs(sum - 1.0) > 1e-6) {
		snprintf(err, errlen,
			 "scoring.weight_*: weights must sum to 1 (sequence %g + source %g + dcam %g = %g)",
			 c->scoring.w_sequence, c->scoring.w_source, c->scoring.w_dcam, sum);
		return -EINVAL;
	}
	if (!(c->scoring.medium < c->scoring.high)) {
		snprintf(err, errlen, "scoring.threshold_medium (%g) must be below threshold_high (%g)",
			 c->scoring.medium, c->scoring.high);
		return -EINVAL;
	}
	if (c->api.listen_tcp[0]) {
		if (config_split_hostport(c->api.listen_tcp, host, sizeof(host), &port)) {
			snprintf(err, errlen, "api.listen_tcp: '%s' is not ADDR:PORT (e.g. 127.0.0.1:9464)",
				 c->api.listen_tcp);
			return -EINVAL;
		}
		if (!c->api.token_file[0]) {
			snprintf(err, errlen,
				 "api.listen_tcp is set but api.token_file is not: TCP needs a bearer token");
			return -EINVAL;
		}
	}
	if (!c->store.db_path[0]) {
		snprintf(err, errlen, "store.db_path: must not be empty");
		return -EINVAL;
	}
	return check_fleet(c, err, errlen);
}

int config_set(struct config *cfg, const char *section, const char *name, const char *value,
	       char *err, size_t errlen)
{
	struct config tmp = *cfg;
	struct key sk;
	int known = 1, ret;
	const struct key *k;

	if (is_submitter_section(section)) {
		if (!(k = submitter_key(&tmp, section, name, &sk, err, errlen)))
			return -EINVAL;
	} else {
		k = find_key(section, name, &known);
	}
	if (!k) {
		if (known)
			snprintf(err, errlen, "%s.%s: unknown key in section [%s]", section, name, section);
		else
			snprintf(err, errlen, "[%s]: unknown section", section);
		return -EINVAL;
	}
	ret = set_key(&tmp, k, value, err, errlen);
	if (!ret)
		ret = config_check(&tmp, err, errlen);
	if (!ret)
		*cfg = tmp;
	return ret;
}

int config_apply_overrides(struct config *cfg, const struct config_override *ov, size_t n,
			   char *err, size_t errlen)
{
	struct config tmp = *cfg;
	int known, ret;

	for (size_t i = 0; i < n; i++) {
		const struct key *k;

		if (!ov[i].value)
			continue;
		k = find_key(ov[i].section, ov[i].key, &known);
		if (!k) {
			snprintf(err, errlen, "%s.%s: unknown key", ov[i].section, ov[i].key);
			return -EINVAL;
		}
		ret = set_key(&tmp, k, ov[i].value, err, errlen);
		if (ret)
			return ret;
	}
	ret = config_check(&tmp, err, errlen);
	if (!ret)
		*cfg = tmp;
	return ret;
}

struct parse_ctx {
	struct config *cfg;
	char msg[384];
	int failed;
};

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *ctx = user;
	struct key sk;
	int known;
	const struct key *k;

	if (ctx->failed)
		return 1; /* report the first problem only */
	if (is_submitter_section(section)) {
		if (!(k = submitter_key(ctx->cfg, section, name, &sk, ctx->msg, sizeof(ctx->msg)))) {
			ctx->failed = 1;
			return 0;
		}
	} else {
		k = find_key(section, name, &known);
	}
	if (!k) {
		if (known)
			snprintf(ctx->msg, sizeof(ctx->msg), "%s.%s: unknown key in section [%s]",
				 section, name, section);
		else if (!*section)
			snprintf(ctx->msg, sizeof(ctx->msg), "%s: key outside of any [section]", name);
		else
			snprintf(ctx->msg, sizeof(ctx->msg), "[%s]: unknown section", section);
	} else if (!set_key(ctx->cfg, k, value, ctx->msg, sizeof(ctx->msg))) {
		return 1;
	}
	ctx->failed = 1;
	return 0;
}

int config_load_string(const char *text, const char *name, struct config *cfg, char *err,
		       size_t errlen)
{
	struct config tmp;
	struct parse_ctx ctx = { .cfg = &tmp };
	int line, ret;

	config_defaults(&tmp);
	line = ini_parse_string(text, handler, &ctx);
	if (line != 0)
		config_free(&tmp);
	if (line > 0) {
		if (ctx.failed)
			snprintf(err, errlen, "%s:%d: %s", name, line, ctx.msg);
		else
			snprintf(err, errlen, "%s:%d: syntax error (expected [section] or key = value)",
				 name, line);
		return -EINVAL;
	}
	if (line < 0) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	ret = config_check(&tmp, err, errlen);
	if (ret) {
		char msg[384];

		snprintf(msg, sizeof(msg), "%s", err);
		snprintf(err, errlen, "%s: %s", name, msg);
		config_free(&tmp);
		return ret;
	}
	*cfg = tmp;
	return 0;
}

int config_load(const char *path, struct config *cfg, char *err, size_t errlen)
{
	char *text;
	size_t len;
	int ret = util_read_file(path, 1 << 20, &text, &len);

	if (ret) {
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	ret = config_load_string(text, path, cfg, err, errlen);
	free(text);
	return ret;
}

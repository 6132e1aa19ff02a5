/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Values are doubles stored as bit patterns in atomic 64-bit words (CAS
 * for add), so hot paths take no lock; a family's mutex guards only the
 * creation and walking of its series list. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "lib/log.h"
#include "agent/metrics.h"

struct metric {
	struct metric *next;
	struct metric_family *fam;
	char *values[METRIC_MAX_LABELS];
	_Atomic uint64_t bits;                         /* counter/gauge value, histogram sum */
	_Atomic uint64_t buckets[METRIC_MAX_BUCKETS + 1]; /* histogram, last is +Inf */
};

struct metric_family {
	struct metric_family *next;
	enum metric_type type;
	char *name, *help;
	char *labels[METRIC_MAX_LABELS];
	int nlabels;
	double bounds[METRIC_MAX_BUCKETS];
	size_t nbounds;
	pthread_mutex_t lock;
	struct metric *series, **tail;
};

struct collector {
	struct collector *next;
	void (*fn)(struct metrics *m, void *ctx);
	void *ctx;
};

struct metrics {
	pthread_mutex_t lock;
	struct metric_family *families, **tail;
	struct collector *collectors;
};

static uint64_t d2u(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	return u;
}

static double u2d(uint64_t u)
{
	double d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

struct metrics *metrics_new(void)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	pthread_mutex_init(&m->lock, NULL);
	m->tail = &m->families;
	return m;
}

static void free_family(struct metric_family *f)
{
	struct metric *s, *next;

	for (s = f->series; s; s = next) {
		next = s->next;
		for (int i = 0; i < f->nlabels; i++)
			free(s->values[i]);
		free(s);
	}
	for (int i = 0; i < f->nlabels; i++)
		free(f->labels[i]);
	free(f->name);
	free(f->help);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

void metrics_free(struct metrics *m)
{
	struct metric_family *f, *fn;
	struct collector *c, *cn;

	if (!m)
		return;
	for (f = m->families; f; f = fn) {
		fn = f->next;
		free_family(f);
	}
	for (c = m->collectors; c; c = cn) {
		cn = c->next;
		free(c);
	}
	pthread_mutex_destroy(&m->lock);
	free(m);
}

static int valid_name(const char *s, int colons)
{
	if (!s || !*s || isdigit((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && !(colons && *s == ':'))
			return 0;
	return 1;
}

static struct metric *new_series(struct metric_family *f, char **values)
{
	struct metric *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->fam = f;
	for (int i = 0; i < f->nlabels; i++) {
		s->values[i] = strdup(values[i]);
		if (!s->values[i]) {
			while (i--)
				free(s->values[i]);
			free(s);
			return NULL;
		}
	}
	*f->tail = s;
	f->tail = &s->next;
	return s;
}

struct metric_family *metrics_family(struct metrics *m, enum metric_type type,
				     const char *name, const char *help, const char *labels,
				     const double *buckets, size_t nbuckets)
{
	struct metric_family *f;

	if (!valid_name(name, 1) || nbuckets > METRIC_MAX_BUCKETS ||
	    (type == METRIC_HISTOGRAM && !nbuckets)) {
		log_error("metrics: invalid family %s", name ? name : "(null)");
		return NULL;
	}
	for (size_t i = 1; i < nbuckets; i++)
		if (!(buckets[i] > buckets[i - 1])) {
			log_error("metrics: %s: buckets must increase", name);
			return NULL;
		}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	pthread_mutex_init(&f->lock, NULL);
	f->tail = &f->series;
	f->type = type;
	f->name = strdup(name);
	f->help = strdup(help ? help : "");
	if (!f->name || !f->help)
		goto fail;
	if (labels && *labels) {
		char *copy = strdup(labels), *save = NULL;

		if (!copy)
			goto fail;
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			if (f->nlabels == METRIC_MAX_LABELS || !valid_name(t, 0) ||
			    !strncmp(t, "__", 2) || !strcmp(t, "le") ||
			    !(f->labels[f->nlabels++] = strdup(t))) {
				log_error("metrics: %s: invalid labels '%s'", name, labels);
				free(copy);
				goto fail;
			}
		}
		free(copy);
	}
	if (nbuckets)
		memcpy(f->bounds, buckets, nbuckets * sizeof(double));
	f->nbounds = nbuckets;
	/* a family without labels always shows its one series, even at 0 */
	if (!f->nlabels && !new_series(f, NULL))
		goto fail;
	pthread_mutex_lock(&m->lock);
	*m->tail = f;
	m->tail = &f->next;
	pthread_mutex_unlock(&m->lock);
	return f;
fail:
	free_family(f);
	return NULL;
}

struct metric *metric_get(struct metric_family *f, ...)
{
	char *values[METRIC_MAX_LABELS];
	struct metric *s;
	va_list ap;

	va_start(ap, f);
	for (int i = 0; i < f->nlabels; i++)
		values[i] = va_arg(ap, char *);
	va_end(ap);
	pthread_mutex_lock(&f->lock);
	for (s = f->series; s; s = s->next) {
		int i;

		for (i = 0; i < f->nlabels && !strcmp(s->values[i], values[i]); i++)
			;
		if (i == f->nlabels)
			break;
	}
	if (!s)
		s = new_series(f, values);
	pthread_mutex_unlock(&f->lock);
	return s;
}

static void atomic_add_double(_Atomic uint64_t *p, double v)
{
	uint64_t old = atomic_load_explicit(p, memory_order_relaxed);

	while (!atomic_compare_exchange_weak_explicit(p, &old, d2u(u2d(old) + v),
						      memory_order_relaxed, memory_order_relaxed))
		;
}

void metric_add(struct metric *s, double v)
{
	if (s)
		atomic_add_double(&s->bits, v);
}

void metric_inc(struct metric *s) { metric_add(s, 1.0); }

void metric_set(struct metric *s, double v)
{
	if (s)
		atomic_store_explicit(&s->bits, d2u(v), memory_order_relaxed);
}

double metric_value(const struct metric *s)
{
	return u2d(atomic_load_explicit(&((struct metric *)s)->bits, memory_order_relaxed));
}

void metric_observe(struct metric *s, double v)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->fam->nbounds && v > s->fam->bounds[i]; i++)
		;
	atomic_fetch_add_explicit(&s->buckets[i], 1, memory_order_relaxed);
	atomic_add_double(&s->bits, v);
}

int metrics_add_collector(struct metrics *m, void (*fn)(struct metrics *m, void *ctx), void *ctx)
{
	struct collector *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->fn = fn;
	c->ctx = ctx;
	pthread_mutex_lock(&m->lock);
	c->next = m->collectors;
	m->collectors = c;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

/* Prometheus numbers: the shortest text that reads back as the same
 * double (0.1, not 0.10000000000000001), +Inf/-Inf/NaN. */
static void format_number(double v, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "NaN");
	else if (isinf(v))
		snprintf(buf, len, "%s", v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, len, "%.0f", v);
	else if (snprintf(buf, len, "%.15g", v), strtod(buf, NULL) != v)
		snprintf(buf, len, "%.17g", v);
}

static void put_number(FILE *out, double v)
{
	char buf[40];

	format_number(v, buf, sizeof(buf));
	fputs(buf, out);
}

static void put_escaped(FILE *out, const char *s, int quotes)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else if (quotes && *s == '"')
			fputs("\\\"", out);
		else
			fputc(*s, out);
	}
}

/* name{l1="v1",...[,le="x"]} value */
static void put_sample(FILE *out, const struct metric_family *f, const char *suffix,
		       const struct metric *s, const char *le, double v)
{
	int n = 0;

	fprintf(out, "%s%s", f->name, suffix);
	for (int i = 0; i < f->nlabels; i++, n++) {
		fprintf(out, "%s%s=\"", n ? "," : "{", f->labels[i]);
		put_escaped(out, s->values[i], 1);
		fputc('"', out);
	}
	if (le) {
		fprintf(out, "%sle=\"%s\"", n ? "," : "{", le);
		n++;
	}
	if (n)
		fputc('}', out);
	fputc(' ', out);
	put_number(out, v);
	fputc('\n', out);
}

static void render_family(FILE *out, struct metric_family *f)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };

	fprintf(out, "# HELP %s ", f->name);
	put_escaped(out, f->help, 0);
	fprintf(out, "\n# TYPE %s %s\n", f->name, types[f->type]);
	pthread_mutex_lock(&f->lock);
	for (struct metric *s = f->series; s; s = s->next) {
		uint64_t cum = 0;
		char le[40];

		if (f->type != METRIC_HISTOGRAM) {
			put_sample(out, f, "", s, NULL, metric_value(s));
			continue;
		}
		for (size_t i = 0; i <= f->nbounds; i++) {
			cum += atomic_load_explicit(&s->buckets[i], memory_order_relaxed);
			format_number(i < f->nbounds ? f->bounds[i] : INFINITY, le, sizeof(le));
			put_sample(out, f, "_bucket", s, le, (double)cum);
		}
		put_sample(out, f, "_sum", s, NULL, metric_value(s));
		put_sample(out, f, "_count", s, NULL, (double)cum);
	}
	pthread_mutex_unlock(&f->lock);
}

int metrics_render(struct metrics *m, FILE *out)
{
	struct collector *c;
	struct metric_family *f;

	pthread_mutex_lock(&m->lock);
	c = m->collectors;
	pthread_mutex_unlock(&m->lock);
	/* collectors are only prepended, so the list from c on never changes;
	 * they run unlocked because they update series of this registry */
	for (; c; c = c->next)
		c->fn(m, c->ctx);
	pthread_mutex_lock(&m->lock);
	for (f = m->families; f; f = f->next)
		render_family(out, f);
	pthread_mutex_unlock(&m->lock);
	return ferror(out) ? -EIO : 0;
}

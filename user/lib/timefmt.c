/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* RFC 3339 parsing and formatting by hand: strptime has no nanoseconds or
 * numeric offsets with a colon, and timegm keeps it independent of TZ. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lib/timefmt.h"

static int digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return -EINVAL;
		v = v * 10 + (**p - '0');
	}
	*out = v;
	return 0;
}

int timefmt_parse_rfc3339(const char *s, int64_t *ns)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	int64_t frac = 0;
	struct tm tm = { 0 };
	const char *p = s;
	time_t t;

	if (!s || digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d))
		return -EINVAL;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -EINVAL;
	p++;
	if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
	    digits(&p, 2, &sec))
		return -EINVAL;
	if (*p == '.') {
		int n = 0;

		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		for (; isdigit((unsigned char)*p); p++, n++)
			if (n < 9)
				frac = frac * 10 + (*p - '0');
		for (; n < 9; n++)
			frac *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) || oh > 23 || om > 59)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	t -= (time_t)sign * (oh * 3600 + om * 60);
	/* nanoseconds since 1970 in 64 bits: years 1678..2261 */
	if (t <= INT64_MIN / 1000000000 || t >= INT64_MAX / 1000000000)
		return -EINVAL;
	*ns = (int64_t)t * 1000000000 + frac;
	return 0;
}

void timefmt_format_rfc3339(int64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000);
	int64_t sub = ns % 1000000000;
	struct tm tm;
	char date[24];

	if (sub < 0) {
		sub += 1000000000;
		t--;
	}
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06dZ", date, (int)(sub / 1000));
}

int timefmt_parse_since(const char *s, int64_t now_ns, int64_t *ns)
{
	char *end;
	long long v, unit;

	if (!s || !*s)
		return -EINVAL;
	if (!timefmt_parse_rfc3339(s, ns))
		return 0;
	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || v < 0)
		return -EINVAL;
	if (!*end) {
		if (v > INT64_MAX / 1000000000)
			return -EINVAL;
		*ns = (int64_t)v * 1000000000;
		return 0;
	}
	if (end[1])
		return -EINVAL;
	switch (*end) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	default: return -EINVAL;
	}
	/* an age reaching before the epoch is no bound (and v * unit could
	 * overflow) */
	if (v > now_ns / 1000000000 / unit)
		return -EINVAL;
	*ns = now_ns - (int64_t)v * unit * 1000000000;
	return 0;
}

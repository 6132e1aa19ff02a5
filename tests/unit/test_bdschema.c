/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The JSON schemas agree with the curated database and refuse bad batches
 * (checked by a 2020-12 validator: python3-jsonschema). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

Test(bdschema, schemas_accept_the_default_database_and_refuse_bad_submissions)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "python3 %s/validate_bd_schemas.py %s", TOOLS_DIR, BPFPROF_SRCDIR);
	cr_assert_eq(system(cmd), 0, "%s failed", cmd);
}

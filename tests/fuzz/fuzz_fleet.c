/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Fuzz target for database stream messages (user/fleet/fleet_msg.c): any
 * host that may publish on the stream writes them. Properties: parsing
 * never crashes; a refusal says why and leaves nothing; an accepted
 * message has 1..FLEET_MSG_OPS operations, and its text rebuilt from them
 * is accepted again with the same operations. */
#include <stdint.h>
#include <string.h>
#include "fleet/fleet_msg.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fleet_change c, again;
	char err[512] = "", *text;
	json_t *ops;
	size_t len;

	if (fleet_change_parse((const char *)data, size, &c, err, sizeof(err))) {
		FUZZ_CHECK(*err && !c.ops && !c.nops, "a refusal without a reason, or with leftovers");
		return 0;
	}
	FUZZ_CHECK(c.nops >= 1 && c.nops <= FLEET_MSG_OPS, "accepted %zu operations", c.nops);
	ops = json_array();
	for (size_t i = 0; i < c.nops; i++)
		json_array_append_new(ops, fleet_op_json(c.ops[i].kind, &c.ops[i].e, &c.ops[i].p));
	text = fleet_change_text(c.host, ops, &len);
	FUZZ_CHECK(text, "an accepted message does not serialise");
	FUZZ_CHECK(!fleet_change_parse(text, len, &again, err, sizeof(err)),
		   "its own text is refused: %s", err);
	FUZZ_CHECK(again.nops == c.nops, "the operations changed in a round trip");
	for (size_t i = 0; i < c.nops; i++)
		FUZZ_CHECK(again.ops[i].kind == c.ops[i].kind &&
			   (c.ops[i].kind == FLEET_OP_PARAMS ||
			    !strcmp(again.ops[i].e.sequence, c.ops[i].e.sequence)),
			   "operation %zu changed in a round trip", i);
	fleet_change_clear(&again);
	fleet_change_clear(&c);
	free(text);
	json_decref(ops);
	return 0;
}

#!/usr/bin/env python3
# SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
# validate_jsonl.py SCHEMA FILE: every line of FILE must be valid against
# SCHEMA (JSON Schema 2020-12). Prints the first failure; exit 1 on failure.
import json, sys
import jsonschema

schema = json.load(open(sys.argv[1]))
validator = jsonschema.Draft202012Validator(schema)
n = 0
for lineno, line in enumerate(open(sys.argv[2]), 1):
    if not line.strip():
        continue
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        print(f"line {lineno}: not JSON: {e}: {line[:200]}")
        sys.exit(1)
    errors = sorted(validator.iter_errors(obj), key=lambda e: e.path)
    if errors:
        print(f"line {lineno}: {errors[0].message}: {line[:300]}")
        sys.exit(1)
    n += 1
print(f"{n} lines valid")
sys.exit(0 if n else 1)

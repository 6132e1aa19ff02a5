#!/usr/bin/env python3
# SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
# Checks the behavior-entry and submission schemas (JSON Schema 2020-12) are
# valid, accept the curated default database and refuse known-bad batches.
import json,sys
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
d=sys.argv[1]
E=json.load(open(d+'/schemas/behavior-entry.schema.json')); S=json.load(open(d+'/schemas/submission.schema.json'))
reg=Registry().with_resources([(E["$id"],Resource.from_contents(E)),(S["$id"],Resource.from_contents(S))])
Draft202012Validator.check_schema(E); Draft202012Validator.check_schema(S)
ev=Draft202012Validator(E,registry=reg); sv=Draft202012Validator(S,registry=reg)
for e in json.load(open(d+'/data/bd-default.json'))['entries']: ev.validate(e)
sv.validate({"submitter":"m","entries":[{"sequence":["a",{"call":"b","params":{}}],"risk_score":0.9,"confidence":1,"label":"malicious"}]})
bad=[{"submitter":"m","entries":[{"sequence":["a","b"],"risk_score":0.9,"confidence":1,"label":"good"}]},
     {"submitter":"m","entries":[{"sequence":["a","b"],"risk_score":0.9,"label":"malicious"}]},
     {"submitter":"m","entries":[{"id":3,"sequence":["a","b"],"risk_score":0.9,"confidence":1,"label":"malicious"}]},
     {"submitter":"m","entries":[{"sequence":["a"],"risk_score":0.9,"confidence":1,"label":"malicious"}]}]
for b in bad:
    assert not sv.is_valid(b), b
print("ok")

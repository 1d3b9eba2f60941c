#!/usr/bin/env python3
"""Compares `brine check --output-format json` on a corpus with `corpus_truth.py`'s list of calls.

Usage: python3 scripts/compare_truth.py TRUTH.json BRINE.json
Prints every torch.load / from_pretrained / hf_hub_download / snapshot_download call of the truth
that brine did not report, and every torch.load with `weights_only=True` that it did report.
Exits 1 when either list is not empty.
"""
import collections
import json
import sys

truth = json.load(open(sys.argv[1]))
found = json.load(open(sys.argv[2]))
reported = collections.defaultdict(list)
for finding in found:
    reported[(finding["path"], finding["range"]["start"]["line"])].append(finding)


def findings_for(call):
    return [f for (path, line), fs in reported.items() if path.endswith(call["path"]) and line == call["line"] for f in fs]


missed, wrong = [], []
for call in truth:
    findings = findings_for(call)
    if call["kind"] == "torch.load":
        literal_true = call.get("weights_only_src") == "True"
        if literal_true and findings:
            wrong.append((call, findings))
        if not literal_true and not findings:
            missed.append(call)
    elif not any(f["code"] == "BRN201" for f in findings):
        missed.append(call)

for call in missed:
    print(f"missed   {call['path']}:{call['line']}: {call['source_line'].strip()[:100]}")
for call, findings in wrong:
    print(f"reported {call['path']}:{call['line']} with weights_only=True: {findings[0]['message']}")
kinds = collections.Counter(call["kind"] for call in truth)
print(f"{len(truth)} calls in the truth ({dict(kinds)}); {len(missed)} missed; {len(wrong)} wrongly reported")
sys.exit(1 if missed or wrong else 0)

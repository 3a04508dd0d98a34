#!/usr/bin/env python3
"""Score the blind naturalness review.

Joins the reviewers' verdicts (docs/evaluation/review/verdicts-*.tsv) with the
key that says which of A and B is the variant (key.json), and writes
summary.md: the share of variants judged correct, natural and equivalent,
overall and per rule class.

    python3 scripts/score-review.py [docs/evaluation/review]
"""
import csv, glob, json, os, sys
from collections import defaultdict

d = sys.argv[1] if len(sys.argv) > 1 else "docs/evaluation/review"
key = json.load(open(os.path.join(d, "key.json")))
rows = {}
for f in sorted(glob.glob(os.path.join(d, "verdicts-*.tsv"))):
    for r in csv.DictReader(open(f), delimiter="\t"):
        rows[r["id"].strip()] = r
per = defaultdict(lambda: [0, 0, []])
fails = []
for i, k in key.items():
    r = rows.get(i)
    if r is None:
        continue
    variant_ok = (r["A_ok"] if k["A"] == "variant" else r["B_ok"]).strip().lower() == "yes"
    original_ok = (r["B_ok"] if k["A"] == "variant" else r["A_ok"]).strip().lower() == "yes"
    same = r["same"].strip().lower() == "yes"
    # A variant passes when it is as acceptable as the original and means the same.
    ok = same and (variant_ok or not original_ok)
    c = per[k["class"]]
    c[0] += 1
    c[1] += ok
    if not ok:
        c[2].append(i)
        fails.append((i, k["class"], r.get("note", "")))
n = sum(v[0] for v in per.values())
p = sum(v[1] for v in per.values())
out = [f"# Blind naturalness review\n", f"{n} of {len(key)} items reviewed; **{p} pass ({100 * p / max(n, 1):.1f}%)**. "
       "A variant passes when the reviewer judged it correct and natural (or judged the original no better) and equivalent in meaning.\n",
       "| class | items | pass | rate | failed items |", "|---|---|---|---|---|"]
for c, (k, ok, bad) in sorted(per.items(), key=lambda x: x[1][1] / max(x[1][0], 1)):
    out.append(f"| {c} | {k} | {ok} | {100 * ok / k:.0f}% | {', '.join(bad)} |")
# By source document (the sample names each item's document): whether the
# reviewers could know the original text matters.
sample_path = os.path.join(d, "naturalness-sample.json")
if os.path.exists(sample_path):
    docs = {str(it["id"]): it.get("doc", "") for it in json.load(open(sample_path))}
    failed = {i for i, _, _ in fails}
    by_doc = defaultdict(lambda: [0, 0])
    for i in key:
        if i in rows:
            fam = docs.get(i, "").rsplit("-", 1)[0] or "?"
            by_doc[fam][0] += 1
            by_doc[fam][1] += i not in failed
    if len(by_doc) > 1:
        out.append("\n| source document | items | pass | rate |\n|---|---|---|---|")
        for fam, (k, ok) in sorted(by_doc.items()):
            out.append(f"| {fam} | {k} | {ok} | {100 * ok / k:.0f}% |")
out.append("\n## Reviewers' notes on failed items\n")
for i, c, note in sorted(fails, key=lambda x: int(x[0])):
    out.append(f"- {i} [{c}]: {note}")
open(os.path.join(d, "summary.md"), "w").write("\n".join(out) + "\n")
print("\n".join(out[:4 + len(per)]))

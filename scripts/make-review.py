#!/usr/bin/env python3
"""Build a blind naturalness review round from the harness's sample.

Reads docs/evaluation/naturalness-sample.json (written by `telltale-eval all`)
and writes, into the round's folder, items-1.md … items-3.md (100 items each,
A and B in random order, no rule names) and key.json (which of A and B is the
variant, and the class). Reviewers fill verdicts-N.tsv; scripts/score-review.py
scores the round.

    python3 scripts/make-review.py docs/evaluation/review/round-4 [seed] [sample.json]

A sample other than the report's comes from `telltale-eval sample --seed S --out DIR`.
"""
import json, os, random, shutil, sys

out = sys.argv[1]
seed = sys.argv[2] if len(sys.argv) > 2 else os.path.basename(out.rstrip("/"))
sample_path = sys.argv[3] if len(sys.argv) > 3 else "docs/evaluation/naturalness-sample.json"
items = json.load(open(sample_path))
os.makedirs(out, exist_ok=True)
shutil.copy(sample_path, os.path.join(out, "naturalness-sample.json"))
rng = random.Random(seed)
key = {}
per_file = (len(items) + 2) // 3
header = "# Sentence pairs for review\n\nEach item shows two versions of a sentence, A and B, in random order.\n"
for f in range(3):
    chunk = items[f * per_file:(f + 1) * per_file]
    lines = [header]
    for it in chunk:
        i = str(it["id"])
        a_is_variant = rng.random() < 0.5
        a, b = (it["variant"], it["original"]) if a_is_variant else (it["original"], it["variant"])
        key[i] = {"A": "variant" if a_is_variant else "original", "class": it["class"], "doc": it["doc"]}
        lines.append(f"### {i}\nA: {a}\nB: {b}\n")
    open(os.path.join(out, f"items-{f + 1}.md"), "w").write("\n".join(lines))
json.dump(key, open(os.path.join(out, "key.json"), "w"), indent=1)
print(f"{len(items)} items in 3 files under {out}")

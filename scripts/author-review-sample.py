#!/usr/bin/env python3
"""Turn author-written alternatives into a blind review sample.

Reads a TSV of author slots (doc, phrase, nth, alt1, alt2) and the corpus it
belongs to, and writes a sample in the format scripts/make-review.py reads:
one item per alternative, the whole sentence as written and as it reads with
the alternative.

    python3 scripts/author-review-sample.py ALTERNATIVES.tsv CORPUS_DIR OUT.json
"""
import csv, json, random, re, sys

tsv, corpus, out = sys.argv[1:4]
places = []
for row in csv.DictReader((l for l in open(tsv) if not l.startswith("#")), delimiter="\t"):
    text = open(f"{corpus}/{row['doc']}").read()
    at = -1
    for _ in range(int(row["nth"])):
        at = text.index(row["phrase"], at + 1)
    end = at + len(row["phrase"])
    # The sentence around the phrase: from the last sentence end or line
    # break before it to the next one after it.
    starts = [m.end() for m in re.finditer(r"[.!?]\s+|\n", text[:at])]
    s = starts[-1] if starts else 0
    m = re.compile(r"[.!?](\s|$)|\n").search(text, end)
    e = m.start() + 1 if m else len(text)
    original = text[s:e].strip()
    places.append([{"doc": row["doc"], "class": "author-alternative", "original": original,
                    "variant": (text[s:at] + alt + text[end:e]).strip()}
                   for alt in (row["alt1"], row.get("alt2") or "") if alt.strip()])
# make-review.py gives each reviewer a third of the items in order: put the
# two alternatives of one place in different thirds, so that no reviewer
# can tell the original as the part two items share, and shuffle each third.
rng = random.Random("author-alternatives")
thirds = [[], [], []]
for place in places:
    for item, third in zip(place, sorted(range(3), key=lambda t: (len(thirds[t]), rng.random()))):
        thirds[third].append(item)
items = []
for third in thirds:
    rng.shuffle(third)
    items.extend(third)
if len({len(t) for t in thirds}) != 1:
    sys.exit(f"thirds of unequal size {[len(t) for t in thirds]}: make-review.py would split them wrongly")
for i, item in enumerate(items):
    item["id"] = i + 1
json.dump(items, open(out, "w"), indent=1, ensure_ascii=False)
print(f"{len(items)} items from {tsv}")

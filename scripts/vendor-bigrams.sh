#!/bin/sh
# Re-create crates/telltale-core/data/bigrams_en.txt from the symspellpy wheel.
# Needs pip and network access to PyPI; run by hand, never by the build.
# Expected SHA-256 of the original file:
#   fd892a160184101dd7ae807ac5a302d01fcea1c47304181a8ed7ed9c94545bcd
set -eu
tmp=$(mktemp -d)
pip download symspellpy==6.10.1 --no-deps -d "$tmp"
(cd "$tmp" && unzip -q symspellpy-6.10.1-py3-none-any.whl)
sha256sum "$tmp/symspellpy/frequency_bigramdictionary_en_243_342.txt"
LC_ALL=C sort "$tmp/symspellpy/frequency_bigramdictionary_en_243_342.txt" > crates/telltale-core/data/bigrams_en.txt
cp "$tmp/symspellpy-6.10.1.dist-info/licenses/LICENSE" crates/telltale-core/data/LICENSE-bigrams_en.txt

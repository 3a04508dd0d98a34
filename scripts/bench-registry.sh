#!/usr/bin/env bash
# Registry throughput figures: distribute a ~2,000-word document to 10,000
# recipients, and the median latency of tracing a 1,000-word article with
# N registered documents.
#
#   scripts/bench-registry.sh [N_DOCUMENTS]      (default 100)
#
# Uses a temporary registry; prints the figures. Builds the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100}
cargo build --release -q -p telltale-cli
T=$PWD/target/release/telltale
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export TELLTALE_HOME=$W/home
$T init >/dev/null
python3 - "$W" "$N" <<'PY'
import random, sys, os
w, n = sys.argv[1], int(sys.argv[2])
syl = "var kel dor min sal tor bre lun ost ria gan vel mar nik hal".split()
nouns = "budget treaty harbour election council pipeline tariff reform ministry border census railway loan strike summit inquiry cabinet alliance subsidy mandate".split()
verbs = "delay approve review reject extend fund block revise support announce suspend renew".split()
adjs = "cautious divided weary confident restless united anxious hostile pragmatic quiet".split()
months = "January March April June September November".split()
os.makedirs(f"{w}/docs", exist_ok=True)
for i in range(n - 1):
    r = random.Random(i)
    name = lambda: "".join(r.choice(syl) for _ in range(3)).capitalize()
    t = f"Subject: the {name()} question\n\n"
    for _ in range(14):
        t += (f"The {r.choice(adjs)} {r.choice(nouns)} of {name()} said that the {r.choice(nouns)} would {r.choice(verbs)} "
              f"before {r.choice(months)}, and officials in {name()} believe that {name()} will {r.choice(verbs)} the "
              f"{r.choice(nouns)} in order to {r.choice(verbs)} its {r.choice(nouns)}. ")
    open(f"{w}/docs/f{i:05d}.txt", "w").write(t)
memo = open("crates/telltale-core/data/sample/memo.txt").read()
paras = memo.split("\n\n")
open(f"{w}/big.txt", "w").write(memo + "\n\n" + "\n\n".join(paras[8:16]))
with open(f"{w}/r.csv", "w") as f:
    f.write("id,name\n")
    for i in range(10000):
        f.write(f"r-{i:05d},Recipient {i}\n")
PY
t0=$(date +%s.%N)
find "$W/docs" -name '*.txt' | sort | xargs -r -n 500 "$T" doc add >/dev/null
t1=$(date +%s.%N)
BIG=$($T doc add "$W/big.txt" | tail -1)
$T recipients import "$W/r.csv" >/dev/null
WORDS=$($T doc show "$BIG" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["words"])')
t2=$(date +%s.%N)
$T distribute "$BIG" --all --out "$W/out" >/dev/null
t3=$(date +%s.%N)
python3 - "$W" <<'PY'
import sys
w = sys.argv[1]
copy = open(f"{w}/out/r-04321.txt").read()
i = copy.find("DETAIL")
quote = copy[i:i + 2400]
pad = "The committee heard evidence from regional officials about transport, housing and the cost of living in the north. " * 20
open(f"{w}/article.txt", "w").write(pad + '"' + quote + '" ' + pad)
PY
LAT=()
for i in $(seq 1 11); do
  a=$(date +%s.%N)
  $T trace "$W/article.txt" --json > "$W/trace.json"
  b=$(date +%s.%N)
  LAT+=("$(echo "($b - $a) * 1000" | bc -l)")
done
P50=$(printf '%s\n' "${LAT[@]}" | sort -n | sed -n 6p)
ACCUSED=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([x["accused"] for x in d["documents"]])' "$W/trace.json")
AW=$(python3 -c 'import sys; print(len(open(sys.argv[1]).read().split()))' "$W/article.txt")
echo "registered $N documents ($(echo "$t1 - $t0" | bc -l | xargs printf '%.1f') s for the first $((N-1)))"
echo "distribute: $WORDS-word document to 10000 recipients in $(echo "$t3 - $t2" | bc -l | xargs printf '%.1f') s = $(echo "10000 / ($t3 - $t2)" | bc -l | xargs printf '%.0f') copies/s"
echo "trace: $AW-word article, $N documents, 10000 recipients: p50 $(printf '%.0f' "$P50") ms over 11 runs (process start included); accused $ACCUSED"

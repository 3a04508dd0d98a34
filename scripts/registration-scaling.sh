#!/usr/bin/env bash
# Seconds per MB of registering one long document (`telltale doc add`), by
# size: the evaluation corpus's prose joined and repeated to 0.25, 1 and
# 4 MB. Near-constant seconds per MB means registration is linear.
#
#   scripts/registration-scaling.sh [BINARY] [SIZES_MB...]
#
# Uses temporary registries; prints wall and CPU seconds per size.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-}
shift || true
SIZES=${*:-0.25 1 4}
if [ -z "$BIN" ]; then
    cargo build --release -q -p telltale-cli
    BIN=$PWD/target/release/telltale
fi
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
python3 - "$W" $SIZES <<'PY'
import glob, sys
w, sizes = sys.argv[1], sys.argv[2:]
texts = [open(f, encoding="utf-8").read() for f in sorted(glob.glob("crates/telltale-eval/corpus/docs/*.txt"))]
blob = "\n\n".join(texts)
for mb in sizes:
    n = int(float(mb) * 1024 * 1024)
    s = (blob * (n // len(blob) + 1))[:n]
    s = s[: s.rfind("\n\n")]
    open(f"{w}/doc-{mb}.txt", "w", encoding="utf-8").write(s)
PY
printf "%8s %10s %10s %10s %12s\n" MB wall_s cpu_s s_per_MB peak_RSS_MB
for mb in $SIZES; do
    home=$W/home-$mb
    "$BIN" --home "$home" init >/dev/null 2>&1
    /usr/bin/time -f "%e %U %S %M" -o "$W/time" "$BIN" --home "$home" doc add "$W/doc-$mb.txt" >/dev/null
    read -r wall user sys kb < "$W/time"
    python3 -c "import sys; mb,w,u,s,kb=map(float,sys.argv[1:]); print(f'{mb:8.2f} {w:10.1f} {u+s:10.1f} {(u+s)/mb:10.1f} {kb/1024:12.0f}')" "$mb" "$wall" "$user" "$sys" "$kb"
done

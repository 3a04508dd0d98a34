#!/usr/bin/env bash
# Memory of a telltale server under a flood of large unauthenticated uploads.
#
# usage: scripts/upload-flood.sh BIN [N] [MB]
#   BIN  the telltale binary (e.g. target/release/telltale)
#   N    concurrent POSTs (default 24), alternating between /api/trace/file
#        and /api/documents/file, none signed in
#   MB   megabytes per POST (default 19)
#
# Starts `BIN serve` on a temporary home and a free loopback port, sends the
# posts all at once (curl streams the file, without Expect: 100-continue, as
# an attacker would), waits for them to end, and prints the statuses and the
# server's peak and current resident memory (VmHWM, VmRSS from /proc).
set -euo pipefail
bin=$(realpath "${1:?usage: upload-flood.sh BIN [N] [MB]}")
n=${2:-24}
mb=${3:-19}

home=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$home"
}
trap cleanup EXIT

"$bin" --home "$home/registry" init >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" --home "$home/registry" serve --addr "127.0.0.1:$port" --insecure-cookies 2>"$home/server.log" &
pid=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.1
done
mem() { grep -E "^$1:" "/proc/$pid/status" | awk '{print $2}'; }
echo "server pid $pid on port $port; idle: VmRSS $(mem VmRSS) kB"

head -c $((mb * 1024 * 1024)) /dev/zero | tr '\0' 'a' >"$home/payload"
for i in $(seq "$n"); do
  if [ $((i % 2)) -eq 0 ]; then path="/api/trace/file?name=leak.txt"; else path="/api/documents/file?name=memo.txt"; fi
  curl -s -o /dev/null -w '%{http_code}\n' -X POST -H 'Expect:' \
    -H 'Content-Type: application/octet-stream' -T "$home/payload" \
    "http://127.0.0.1:$port$path" >>"$home/statuses" 2>/dev/null &
done
wait $(jobs -p | grep -v "^$pid\$") 2>/dev/null || true
echo "statuses: $(sort "$home/statuses" | uniq -c | awk '{printf "%s×%s ", $1, $2}')"
echo "after $n posts of $mb MB: VmHWM $(mem VmHWM) kB, VmRSS $(mem VmRSS) kB"

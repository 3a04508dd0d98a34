#!/usr/bin/env python3
"""Load check for `telltale serve`: throughput and latency under concurrent use.

This is a load check, not a test: it reports figures and judges nothing,
except that the server must come up, answer, and stop on SIGTERM.

What it does, all inside a temporary directory that is removed at the end
(``--keep`` keeps it):

1. sets up a fresh registry with the release binary: ``init``, an
   investigator account and an API token, the sample memo
   (crates/telltale-core/data/sample/memo.txt) as a document, N recipients
   r-001..r-N, and ``distribute --all --links`` so that every recipient has
   a copy file (DIR/<id>.txt) and a personal reading-room URL (links.csv);
2. starts ``telltale serve`` on a free loopback port and waits for
   ``GET /healthz``;
3. for ``--seconds`` runs ``--workers`` concurrent workers, each looping:
   with probability ``--trace-share`` it POSTs /api/trace with a ~60-word
   excerpt from a random window of a random recipient's copy, otherwise it
   GETs a random recipient's reading-room URL;
4. stops the server with SIGTERM and checks it exits within 10 s.

It measures, for traces, reading-room pages and overall: requests, errors
(non-2xx answers or exceptions), throughput (requests completed / wall time
of the run), and p50, p90, p99 and max latency in ms (time from sending the
request to having read the whole answer, over every request including
failed ones). For traces it also reports the share of successful traces
whose first document accuses exactly the recipient whose copy was quoted.

Run it from the repository root after ``cargo build --release``:

    python3 scripts/load-check.py [--seconds 20 --workers 8]
    python3 scripts/load-check.py --json          # the figures as JSON

Caveats when reading the figures: client and server run on the same
machine and share its cores, so the client's own work (Python, JSON,
building requests) takes CPU away from the server. The client uses threads
doing blocking I/O; the GIL is released while waiting on sockets, which is
fine for loopback HTTP, but with many workers the Python side can become
the bottleneck. urllib opens a new connection per request (no keep-alive),
so connection setup is included in every latency.

Standard library only (Python 3.11).
"""
import argparse
import csv
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

MEMO = "crates/telltale-core/data/sample/memo.txt"
EXCERPT_WORDS = 60
REQUEST_TIMEOUT = 60.0
HEALTH_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
USER = "loadcheck"
PASSWORD = "load-check-password-0123"


class SetupError(Exception):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def child_env():
    env = dict(os.environ)
    env.pop("TELLTALE_PASSPHRASE", None)
    env.pop("TELLTALE_HOME", None)
    env["TELLTALE_PASSWORD"] = PASSWORD
    return env


def run_cli(binary, home, *args):
    """Run one telltale command; return its stdout, or raise SetupError."""
    cmd = [binary, "--home", home, *args]
    p = subprocess.run(cmd, capture_output=True, text=True, env=child_env())
    if p.returncode != 0:
        raise SetupError(
            f"`{' '.join(cmd)}` exited with {p.returncode}\n"
            f"stdout: {p.stdout.strip()[-2000:]}\nstderr: {p.stderr.strip()[-2000:]}"
        )
    return p.stdout


def last_line(out, what):
    lines = [l.strip() for l in out.splitlines() if l.strip()]
    if not lines:
        raise SetupError(f"{what}: printed nothing on stdout")
    return lines[-1]


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# urllib honours http_proxy & co.; loopback traffic must never go through a proxy.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http(method, url, body=None, headers=None, timeout=REQUEST_TIMEOUT):
    """One request. Returns (status, body bytes, content type); raises on network errors."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with OPENER.open(req, timeout=timeout) as r:
            return r.status, r.read(), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        data = e.read() if e.fp else b""
        return e.code, data, e.headers.get("Content-Type", "") if e.headers else ""


def setup(args, work):
    """Build the registry and the copies. Returns a dict with what the run needs."""
    home = os.path.join(work, "home")
    binary = args.binary
    timings = {}

    t = time.monotonic()
    run_cli(binary, home, "init")
    run_cli(binary, home, "user", "add", USER, "--role", "investigator")
    token = last_line(run_cli(binary, home, "token", "create", USER, "--label", "load-check"), "token create")
    if not token.startswith("tt_"):
        raise SetupError(f"token create: last line of stdout does not start with tt_: {token!r}")
    timings["init_user_token_s"] = time.monotonic() - t

    t = time.monotonic()
    doc = last_line(run_cli(binary, home, "doc", "add", os.path.abspath(MEMO)), "doc add")
    timings["doc_add_s"] = time.monotonic() - t

    people = os.path.join(work, "people.csv")
    ids = [f"r-{i:03d}" for i in range(1, args.recipients + 1)]
    with open(people, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "email"])
        for i, rid in enumerate(ids, 1):
            w.writerow([rid, f"Recipient {i}", f"{rid}@example.org" if i % 2 else ""])
    run_cli(binary, home, "recipients", "import", people)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    out = os.path.join(work, "copies")
    t = time.monotonic()
    run_cli(binary, home, "distribute", doc, "--all", "--out", out, "--links", "--base-url", base)
    timings["distribute_s"] = time.monotonic() - t

    links_path = os.path.join(out, "links.csv")
    if not os.path.exists(links_path):
        raise SetupError(f"distribute --links did not write {links_path}")
    with open(links_path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or not {"recipient", "url"} <= set(rows[0]):
        raise SetupError(f"links.csv: expected header recipient,link,url; got {list(rows[0]) if rows else 'no rows'}")
    links = {r["recipient"]: r["url"] for r in rows}
    missing = [rid for rid in ids if rid not in links]
    if missing:
        raise SetupError(f"links.csv lacks {len(missing)} recipients, e.g. {missing[:3]}")
    bad = [u for u in links.values() if not u.startswith(base + "/")]
    if bad:
        raise SetupError(f"links.csv: {len(bad)} URLs not under {base}/, e.g. {bad[0]!r}")

    copies = {}
    for rid in ids:
        path = os.path.join(out, f"{rid}.txt")
        if not os.path.exists(path):
            raise SetupError(f"distribute did not write {path}")
        with open(path, encoding="utf-8") as f:
            words = f.read().split()
        if len(words) < EXCERPT_WORDS:
            raise SetupError(f"{path}: only {len(words)} words")
        copies[rid] = words

    return {"home": home, "doc": doc, "token": token, "port": port, "base": base,
            "ids": ids, "links": links, "copies": copies, "timings": timings}


def start_server(args, ctx, work):
    log_path = os.path.join(work, "server.log")
    logf = open(log_path, "wb")
    cmd = [args.binary, "--home", ctx["home"], "serve", "--addr", f"127.0.0.1:{ctx['port']}"]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                            env=child_env())
    logf.close()
    t0 = time.monotonic()
    last_err = None
    while time.monotonic() - t0 < HEALTH_TIMEOUT:
        if proc.poll() is not None:
            raise SetupError(f"`{' '.join(cmd)}` exited with {proc.returncode} before /healthz answered\n"
                             + tail(log_path))
        try:
            status, _, _ = http("GET", ctx["base"] + "/healthz", timeout=2)
            if status == 200:
                return proc, log_path, time.monotonic() - t0
            last_err = f"status {status}"
        except OSError as e:
            last_err = repr(e)
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    raise SetupError(f"/healthz did not answer 200 within {HEALTH_TIMEOUT:.0f} s (last: {last_err})\n"
                     + tail(log_path))


def tail(path, n=30):
    try:
        with open(path, errors="replace") as f:
            lines = f.readlines()
        return "server log (last lines):\n" + "".join(lines[-n:])
    except OSError:
        return ""


def stop_server(proc):
    """SIGTERM, wait up to STOP_TIMEOUT. Returns (exited_in_time, exit code, seconds)."""
    if proc.poll() is not None:
        return True, proc.returncode, 0.0
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=STOP_TIMEOUT)
        return True, code, time.monotonic() - t0
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return False, proc.returncode, time.monotonic() - t0


# ---- requests ---------------------------------------------------------------

def do_trace(ctx, rng):
    """Returns (ok, status, match or None, note)."""
    rid = rng.choice(ctx["ids"])
    words = ctx["copies"][rid]
    start = rng.randrange(0, len(words) - EXCERPT_WORDS + 1)
    text = " ".join(words[start:start + EXCERPT_WORDS])
    body = json.dumps({"text": text}).encode()
    status, data, _ = http("POST", ctx["base"] + "/api/trace", body=body, headers={
        "Authorization": f"Bearer {ctx['token']}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    })
    if not 200 <= status < 300:
        return False, status, None, data[:300].decode("utf-8", "replace")
    try:
        j = json.loads(data)
        docs = j["report"]["documents"]
        accused = docs[0].get("accused") if docs else None
        if not isinstance(j.get("trace_id"), int):
            return True, status, accused == [rid], f"trace_id is not an integer: {j.get('trace_id')!r}"
        if accused == [rid]:
            return True, status, True, None
        if not docs:
            why = "no document found"
        elif not accused:
            why = "nobody accused"
        elif rid in accused:
            why = "quoted recipient accused together with others"
        else:
            why = "someone else accused"
        return True, status, False, f"trace not exact: {why}"
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as e:
        # 2xx but not the contracted shape: not counted as an HTTP error,
        # counted as a mismatch and noted.
        return True, status, False, f"unexpected trace answer ({e!r}): {data[:300]!r}"


def do_room(ctx, rng):
    rid = rng.choice(ctx["ids"])
    status, data, ctype = http("GET", ctx["links"][rid], headers={"Accept": "text/html"})
    if not 200 <= status < 300:
        return False, status, None, data[:300].decode("utf-8", "replace")
    if "html" not in ctype.lower():
        return True, status, None, f"reading room Content-Type is {ctype!r}, not HTML"
    return True, status, None, None


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples = {"trace": [], "room": []}   # (latency_s, ok)
        self.statuses = {"trace": {}, "room": {}}
        self.matches = []                          # bool per successful trace
        self.notes = {}                            # note -> count

    def add(self, kind, latency, ok, status, match, note):
        with self.lock:
            self.samples[kind].append((latency, ok))
            self.statuses[kind][status] = self.statuses[kind].get(status, 0) + 1
            if kind == "trace" and ok:
                self.matches.append(bool(match))
            if note:
                key = f"{kind} {status}: {note.strip()[:200]}"
                self.notes[key] = self.notes.get(key, 0) + 1


def worker(ctx, args, rec, deadline, seed):
    rng = random.Random(seed)
    while time.monotonic() < deadline:
        kind = "trace" if rng.random() < args.trace_share else "room"
        t0 = time.perf_counter()
        try:
            ok, status, match, note = (do_trace if kind == "trace" else do_room)(ctx, rng)
        except Exception as e:  # network errors, timeouts, resets
            ok, status, match, note = False, f"exception {type(e).__name__}", None, str(e)
        rec.add(kind, time.perf_counter() - t0, ok, str(status), match, note)


def preflight(ctx, rec_notes):
    """One request of each kind before the clock starts, to surface contract problems clearly."""
    rng = random.Random(0)
    for kind, fn in (("trace", do_trace), ("room", do_room)):
        try:
            ok, status, match, note = fn(ctx, rng)
        except Exception as e:
            ok, status, match, note = False, type(e).__name__, None, str(e)
        if not ok or note:
            rec_notes.append(f"preflight {kind}: status {status}, {note}")


# ---- report -----------------------------------------------------------------

def summarize(samples, elapsed):
    n = len(samples)
    lat = sorted(s[0] * 1000 for s in samples)
    errors = sum(1 for s in samples if not s[1])
    out = {"requests": n, "errors": errors,
           "throughput_rps": round(n / elapsed, 1) if elapsed > 0 else None,
           "p50_ms": None, "p90_ms": None, "p99_ms": None, "max_ms": None}
    if n == 1:
        out.update(p50_ms=lat[0], p90_ms=lat[0], p99_ms=lat[0])
    elif n > 1:
        q = statistics.quantiles(lat, n=100, method="inclusive")
        out.update(p50_ms=q[49], p90_ms=q[89], p99_ms=q[98])
    if n:
        out["max_ms"] = lat[-1]
    for k in ("p50_ms", "p90_ms", "p99_ms", "max_ms"):
        if out[k] is not None:
            out[k] = round(out[k], 1)
    return out


def fmt(v):
    return "-" if v is None else (f"{v:.1f}" if isinstance(v, float) else str(v))


def print_report(fig):
    c = fig["config"]
    print(f"telltale load check: {c['workers']} workers, {c['seconds']} s, trace share {c['trace_share']}, "
          f"{c['recipients']} recipients, {c['excerpt_words']}-word excerpts")
    t = fig["setup"]
    print(f"setup: init+user+token {t['init_user_token_s']:.1f} s, doc add {t['doc_add_s']:.1f} s, "
          f"distribute {t['distribute_s']:.1f} s, server ready in {t['server_ready_s']:.2f} s")
    print(f"run: {fig['elapsed_s']:.2f} s wall time")
    print()
    hdr = f"{'kind':<13}{'requests':>9}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}"
    print(hdr)
    print("-" * len(hdr))
    for name, key in (("trace", "trace"), ("reading room", "reading_room"), ("overall", "overall")):
        s = fig[key]
        print(f"{name:<13}{s['requests']:>9}{s['errors']:>8}{fmt(s['throughput_rps']):>9}"
              f"{fmt(s['p50_ms']):>9}{fmt(s['p90_ms']):>9}{fmt(s['p99_ms']):>9}{fmt(s['max_ms']):>9}")
    print()
    a = fig["trace_accuracy"]
    if a["successful_traces"]:
        print(f"traces accusing exactly the quoted recipient: {a['exact']}/{a['successful_traces']} "
              f"({100 * a['share']:.1f} %)")
    else:
        print("traces accusing exactly the quoted recipient: - (no successful traces)")
    print(f"status codes: trace {fig['statuses']['trace']}, reading room {fig['statuses']['reading_room']}")
    sd = fig["shutdown"]
    print(f"shutdown: SIGTERM -> {'exited' if sd['exited_in_time'] else 'DID NOT EXIT'} "
          f"in {sd['seconds']:.2f} s, exit code {sd['exit_code']}"
          + ("" if sd["exited_in_time"] else f" (killed after {STOP_TIMEOUT:.0f} s)"))
    if fig["notes"]:
        print()
        print("notes:")
        for n in fig["notes"]:
            print(f"  {n}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=20, help="duration of the timed run (default 20)")
    ap.add_argument("--workers", type=int, default=8, help="concurrent client threads (default 8)")
    ap.add_argument("--trace-share", type=float, default=0.5,
                    help="probability that a request is a trace rather than a reading-room page (default 0.5)")
    ap.add_argument("--recipients", type=int, default=200, help="recipients to create (default 200, max 999)")
    ap.add_argument("--binary", default="./target/release/telltale", help="telltale binary")
    ap.add_argument("--seed", type=int, default=1, help="random seed of the workers (default 1)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    if not 0.0 <= args.trace_share <= 1.0:
        ap.error("--trace-share must be between 0 and 1")
    if not 1 <= args.recipients <= 999:
        ap.error("--recipients must be between 1 and 999")
    if args.workers < 1 or args.seconds <= 0:
        ap.error("--workers and --seconds must be positive")
    args.binary = os.path.abspath(args.binary)
    if not os.access(args.binary, os.X_OK):
        ap.error(f"{args.binary} is not an executable; run `cargo build --release` first")

    # Paths in the contract (the sample memo) are relative to the repository root.
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

    work = tempfile.mkdtemp(prefix="telltale-load-")
    proc = None
    rc = 0
    try:
        log(f"work dir: {work}")
        log("setting up the registry (doc add and distribute take a few seconds)...")
        ctx = setup(args, work)
        log(f"starting the server on {ctx['base']}...")
        proc, log_path, ready_s = start_server(args, ctx, work)
        ctx["timings"]["server_ready_s"] = ready_s

        notes = []
        preflight(ctx, notes)

        log(f"running {args.workers} workers for {args.seconds:g} s...")
        rec = Recorder()
        start = time.monotonic()
        deadline = start + args.seconds
        threads = [threading.Thread(target=worker, args=(ctx, args, rec, deadline, args.seed * 1000 + i),
                                    daemon=True) for i in range(args.workers)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        elapsed = time.monotonic() - start

        server_alive = proc.poll() is None
        if not server_alive:
            notes.append(f"the server exited during the run with code {proc.returncode}")
        exited, code, stop_s = stop_server(proc)
        if not exited:
            rc = 1
            notes.append(f"the server did not exit within {STOP_TIMEOUT:.0f} s of SIGTERM")
        elif code != 0:
            notes.append(f"the server exited with code {code} after SIGTERM (expected 0)")

        for note, count in sorted(rec.notes.items(), key=lambda kv: -kv[1])[:10]:
            notes.append(f"{count}x {note}")

        matches = rec.matches
        fig = {
            "config": {"seconds": args.seconds, "workers": args.workers, "trace_share": args.trace_share,
                       "recipients": args.recipients, "excerpt_words": EXCERPT_WORDS, "seed": args.seed},
            "setup": {k: round(v, 3) for k, v in ctx["timings"].items()},
            "elapsed_s": round(elapsed, 3),
            "trace": summarize(rec.samples["trace"], elapsed),
            "reading_room": summarize(rec.samples["room"], elapsed),
            "overall": summarize(rec.samples["trace"] + rec.samples["room"], elapsed),
            "trace_accuracy": {"successful_traces": len(matches), "exact": sum(matches),
                               "share": round(sum(matches) / len(matches), 4) if matches else None},
            "statuses": {"trace": rec.statuses["trace"], "reading_room": rec.statuses["room"]},
            "shutdown": {"exited_in_time": exited, "exit_code": code, "seconds": round(stop_s, 3)},
            "notes": notes,
        }
        if args.keep:
            fig["work_dir"] = work
        if args.json:
            print(json.dumps(fig, indent=2))
        else:
            print_report(fig)
        if not (code == 0 and exited) or not server_alive:
            log(tail(log_path))
        if fig["overall"]["requests"] and fig["overall"]["errors"] == fig["overall"]["requests"]:
            rc = 1
    except SetupError as e:
        log(f"setup failed: {e}")
        rc = 2
    except KeyboardInterrupt:
        log("interrupted")
        rc = 130
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())

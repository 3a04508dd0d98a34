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
2. starts ``--processes`` N (default 1) ``telltale serve`` processes, each
   on its own free loopback port, all on the same home (and database), and
   waits for ``GET /healthz`` on each;
3. for ``--seconds`` runs ``--workers`` concurrent workers, each looping:
   with probability ``--trace-share`` it POSTs /api/trace with a ~60-word
   excerpt from a random window of a random recipient's copy, otherwise it
   GETs a random recipient's reading-room URL. Every request goes to a
   process chosen at random (the reading-room links are issued under the
   first process's base URL and rewritten to the chosen one's);
4. stops every server with SIGTERM and checks each exits within 10 s.

Where the registry's records live:

* by default, SQLite in the temporary home (with several processes they
  share that home and its database file);
* ``--database URL``: in that PostgreSQL database (a postgres:// URL, e.g.
  ``postgres://user@localhost/db?host=/socket/dir``). Every telltale command
  and server gets ``TELLTALE_DATABASE_URL=URL``; the key stays in the home.
  The database must be empty: the setup runs ``init`` into it, which
  refuses a database that already holds a registry. The script leaves it
  populated; use a new database for each run;
* ``--fresh-postgres ADMIN_URL``: creates a new database
  ``telltale_load_<random hex>`` on the server ADMIN_URL names (with
  ``psql``, which must be on the PATH), uses it as ``--database`` and drops
  it at the end (``DROP DATABASE ... WITH (FORCE)``), also when the run
  fails, and also with ``--keep`` (which keeps only the work directory).

It measures, for traces, reading-room pages and overall: requests, errors
(non-2xx answers or exceptions), throughput (requests completed / wall time
of the run), and p50, p90, p99 and max latency in ms (time from sending the
request to having read the whole answer, over every request including
failed ones). For traces it also reports the share of successful traces
whose first document accuses exactly the recipient whose copy was quoted.
Per process it reports requests, errors, p50/p99 latency, how long it took
to answer /healthz and how it stopped. Server logs go to server.log in the
work directory (server-1.log, server-2.log, ... with several processes).

Run it from the repository root after ``cargo build --release``:

    python3 scripts/load-check.py [--seconds 20 --workers 8]
    python3 scripts/load-check.py --json          # the figures as JSON
    python3 scripts/load-check.py --processes 2   # two servers, one SQLite home
    python3 scripts/load-check.py --processes 2 \
        --fresh-postgres "$(scripts/pg-scratch.sh start /tmp/ttload)"

Caveats when reading the figures: client and server run on the same
machine and share its cores, so the client's own work (Python, JSON,
building requests) takes CPU away from the server. The client uses threads
doing blocking I/O; the GIL is released while waiting on sockets, which is
fine for loopback HTTP, but with many workers the Python side can become
the bottleneck. urllib opens a new connection per request (no keep-alive),
so connection setup is included in every latency. Several server processes
compete for the same cores as each other and as the client (and, with
PostgreSQL on the same machine, as the database server).

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
import urllib.parse
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


def child_env(database=None):
    """The environment of every telltale command and server: the records in
    `database` (a postgres:// URL) if given, else SQLite in the home."""
    env = dict(os.environ)
    env.pop("TELLTALE_PASSPHRASE", None)
    env.pop("TELLTALE_HOME", None)
    env.pop("TELLTALE_DATABASE_URL", None)
    if database:
        env["TELLTALE_DATABASE_URL"] = database
    env["TELLTALE_PASSWORD"] = PASSWORD
    return env


def run_cli(binary, home, *args, database=None):
    """Run one telltale command; return its stdout, or raise SetupError."""
    cmd = [binary, "--home", home, *args]
    p = subprocess.run(cmd, capture_output=True, text=True, env=child_env(database))
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


def free_ports(n):
    """n distinct free loopback ports."""
    ports = []
    while len(ports) < n:
        p = free_port()
        if p not in ports:
            ports.append(p)
    return ports


# ---- PostgreSQL ---------------------------------------------------------------

def redact_url(url):
    """`url` without its password, for printing."""
    try:
        u = urllib.parse.urlsplit(url)
    except ValueError:
        return "(unparsable URL)"
    userinfo, at, hostport = u.netloc.rpartition("@")
    if at and ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":***"
    netloc = f"{userinfo}@{hostport}" if at else hostport
    query = "&".join(f"{k}=***" if k == "password" else f"{k}={v}"
                     for k, v in urllib.parse.parse_qsl(u.query, keep_blank_values=True))
    return urllib.parse.urlunsplit((u.scheme, netloc, u.path, query, ""))


def pg_conninfo(url):
    """A libpq keyword=value string equivalent to the postgres:// `url`.

    The URL is taken apart here rather than handed to psql as it is, so
    that a socket directory given as a `?host=` query parameter is used
    whatever the client makes of a URL that also names a host: the query
    parameters (libpq keywords, such as host=/socket/dir) override what the
    authority says, as the telltale binary reads them."""
    u = urllib.parse.urlsplit(url)
    if u.scheme not in ("postgres", "postgresql"):
        raise SetupError("the admin URL must be a postgres:// URL")
    kv = {}
    userinfo, at, hostport = u.netloc.rpartition("@")
    if at:
        user, colon, password = userinfo.partition(":")
        if user:
            kv["user"] = urllib.parse.unquote(user)
        if colon:
            kv["password"] = urllib.parse.unquote(password)
    hosts, ports = [], []
    for hp in filter(None, hostport.split(",")):
        if hp.startswith("["):  # [ipv6]:port
            host, _, rest = hp[1:].partition("]")
            port = rest[1:] if rest.startswith(":") else ""
        else:
            host, _, port = hp.partition(":")
        hosts.append(urllib.parse.unquote(host))
        ports.append(port)
    if any(hosts):
        kv["host"] = ",".join(hosts)
    if any(ports):
        kv["port"] = ",".join(ports)
    if u.path.strip("/"):
        kv["dbname"] = urllib.parse.unquote(u.path.lstrip("/"))
    for k, v in urllib.parse.parse_qsl(u.query, keep_blank_values=True):
        kv[k] = v

    def quote(v):
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return " ".join(f"{k}={quote(v)}" for k, v in kv.items())


def psql(admin_url, sql):
    """Run one SQL statement with psql as the admin; raise SetupError on failure."""
    cmd = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", pg_conninfo(admin_url), "-c", sql]
    env = dict(os.environ)
    for k in ("PGDATABASE", "PGHOST", "PGPORT", "PGUSER", "PGSERVICE"):
        env.pop(k, None)  # the URL says where; nothing else should
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL,
                           timeout=120)
    except FileNotFoundError:
        raise SetupError("psql is not on the PATH (apt-get install postgresql-client)")
    except subprocess.TimeoutExpired:
        raise SetupError(f"psql did not finish `{sql}` within 120 s")
    if p.returncode != 0:
        raise SetupError(f"psql `{sql}` exited with {p.returncode}: {p.stderr.strip()[-2000:]}")


def with_dbname(url, name):
    """`url` with its path (the database name) replaced by `name`, query kept."""
    u = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + name, u.query, u.fragment))


def create_fresh_database(admin_url):
    """Create telltale_load_<hex> on the admin URL's server; return (name, URL)."""
    name = "telltale_load_" + os.urandom(8).hex()
    # UTF8 with the C locale whatever the cluster's defaults, as the registry
    # needs; template0 allows an encoding other than template1's.
    psql(admin_url, f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' "
                    f"LC_COLLATE 'C' LC_CTYPE 'C'")
    return name, with_dbname(admin_url, name)


def drop_database(admin_url, name):
    psql(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


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

    def cli(*a):
        return run_cli(binary, home, *a, database=args.database)

    t = time.monotonic()
    try:
        cli("init")
    except SetupError as e:
        if args.database and "already" in str(e):
            raise SetupError(f"{e}\n(--database must name an empty database: use a new one for each run, "
                             f"or --fresh-postgres ADMIN_URL)")
        raise
    cli("user", "add", USER, "--role", "investigator")
    token = last_line(cli("token", "create", USER, "--label", "load-check"), "token create")
    if not token.startswith("tt_"):
        raise SetupError(f"token create: last line of stdout does not start with tt_: {token!r}")
    timings["init_user_token_s"] = time.monotonic() - t

    t = time.monotonic()
    doc = last_line(cli("doc", "add", os.path.abspath(MEMO)), "doc add")
    timings["doc_add_s"] = time.monotonic() - t

    people = os.path.join(work, "people.csv")
    ids = [f"r-{i:03d}" for i in range(1, args.recipients + 1)]
    with open(people, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "email"])
        for i, rid in enumerate(ids, 1):
            w.writerow([rid, f"Recipient {i}", f"{rid}@example.org" if i % 2 else ""])
    cli("recipients", "import", people)

    # One port per server process; the links are issued under the first.
    ports = free_ports(args.processes)
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    base = bases[0]
    out = os.path.join(work, "copies")
    t = time.monotonic()
    cli("distribute", doc, "--all", "--out", out, "--links", "--base-url", base)
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

    # The path of each link after the base, to put under any process's base.
    link_paths = {rid: u[len(base):] for rid, u in links.items()}
    return {"home": home, "doc": doc, "token": token, "ports": ports, "bases": bases, "base": base,
            "ids": ids, "links": links, "link_paths": link_paths, "copies": copies, "timings": timings}


class Server:
    """One `telltale serve` process."""

    def __init__(self, index, port, base, log_path):
        self.index = index          # 1-based, as reported
        self.port = port
        self.base = base
        self.log_path = log_path
        self.proc = None
        self.cmd = None
        self.ready_s = None


def start_servers(args, ctx, work):
    """Start one server per port, all on the same home and database, then wait
    for /healthz on each. Returns the list of Servers; raises SetupError
    (after killing them all) if any does not come up."""
    n = len(ctx["ports"])
    servers = []
    for i, (port, base) in enumerate(zip(ctx["ports"], ctx["bases"]), 1):
        name = "server.log" if n == 1 else f"server-{i}.log"
        servers.append(Server(i, port, base, os.path.join(work, name)))
    t0 = time.monotonic()
    try:
        for sv in servers:
            with open(sv.log_path, "wb") as logf:
                sv.cmd = [args.binary, "--home", ctx["home"], "serve", "--addr", f"127.0.0.1:{sv.port}"]
                sv.proc = subprocess.Popen(sv.cmd, stdin=subprocess.DEVNULL, stdout=logf,
                                           stderr=subprocess.STDOUT, env=child_env(args.database))
        last_err = {sv.index: None for sv in servers}
        waiting = list(servers)
        while waiting and time.monotonic() - t0 < HEALTH_TIMEOUT:
            for sv in list(waiting):
                if sv.proc.poll() is not None:
                    raise SetupError(f"process {sv.index}: `{' '.join(sv.cmd)}` exited with "
                                     f"{sv.proc.returncode} before /healthz answered\n" + tail(sv.log_path))
                try:
                    status, _, _ = http("GET", sv.base + "/healthz", timeout=2)
                    if status == 200:
                        sv.ready_s = time.monotonic() - t0
                        waiting.remove(sv)
                        continue
                    last_err[sv.index] = f"status {status}"
                except OSError as e:
                    last_err[sv.index] = repr(e)
            if waiting:
                time.sleep(0.1)
        if waiting:
            sv = waiting[0]
            raise SetupError(f"process {sv.index}: /healthz did not answer 200 within {HEALTH_TIMEOUT:.0f} s "
                             f"(last: {last_err[sv.index]})\n" + tail(sv.log_path))
    except BaseException:
        kill_servers(servers)
        raise
    return servers


def kill_servers(servers):
    for sv in servers:
        if sv.proc is not None and sv.proc.poll() is None:
            sv.proc.kill()
            sv.proc.wait()


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

# Inexact traces kept with their excerpts in the report.
MAX_INEXACT_KEPT = 20


def do_trace(ctx, rng, base, keep=None):
    """Returns (ok, status, match or None, note); an inexact trace is also
    handed to ``keep`` whole, with its excerpt, when one is given."""
    rid = rng.choice(ctx["ids"])
    words = ctx["copies"][rid]
    start = rng.randrange(0, len(words) - EXCERPT_WORDS + 1)
    text = " ".join(words[start:start + EXCERPT_WORDS])
    body = json.dumps({"text": text}).encode()
    status, data, _ = http("POST", base + "/api/trace", body=body, headers={
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
        if keep:
            keep({"quoted": rid, "accused": accused, "why": why,
                  "trace_id": j.get("trace_id"), "excerpt": text})
        return True, status, False, f"trace not exact: {why}"
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as e:
        # 2xx but not the contracted shape: not counted as an HTTP error,
        # counted as a mismatch and noted.
        return True, status, False, f"unexpected trace answer ({e!r}): {data[:300]!r}"


def do_room(ctx, rng, base):
    """The reading room of a random recipient, at `base` (the link's path
    under the process chosen for this request)."""
    rid = rng.choice(ctx["ids"])
    status, data, ctype = http("GET", base + ctx["link_paths"][rid], headers={"Accept": "text/html"})
    if not 200 <= status < 300:
        return False, status, None, data[:300].decode("utf-8", "replace")
    if "html" not in ctype.lower():
        return True, status, None, f"reading room Content-Type is {ctype!r}, not HTML"
    return True, status, None, None


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples = {"trace": [], "room": []}   # (latency_s, ok, process index 0..N-1)
        self.statuses = {"trace": {}, "room": {}}
        self.matches = []                          # bool per successful trace
        self.notes = {}                            # note -> count
        self.inexact = []                          # inexact traces, whole, up to MAX_INEXACT_KEPT

    def keep_inexact(self, case):
        with self.lock:
            if len(self.inexact) < MAX_INEXACT_KEPT:
                self.inexact.append(case)

    def add(self, kind, latency, ok, status, match, note, proc=0):
        with self.lock:
            self.samples[kind].append((latency, ok, proc))
            self.statuses[kind][status] = self.statuses[kind].get(status, 0) + 1
            if kind == "trace" and ok:
                self.matches.append(bool(match))
            if note:
                key = f"{kind} {status}: {note.strip()[:200]}"
                self.notes[key] = self.notes.get(key, 0) + 1


def worker(ctx, args, rec, deadline, seed):
    rng = random.Random(seed)
    bases = ctx["bases"]
    while time.monotonic() < deadline:
        kind = "trace" if rng.random() < args.trace_share else "room"
        proc = rng.randrange(len(bases)) if len(bases) > 1 else 0
        t0 = time.perf_counter()
        try:
            if kind == "trace":
                keep = lambda case, p=proc: rec.keep_inexact({**case, "process": p + 1})
                ok, status, match, note = do_trace(ctx, rng, bases[proc], keep)
            else:
                ok, status, match, note = do_room(ctx, rng, bases[proc])
        except Exception as e:  # network errors, timeouts, resets
            ok, status, match, note = False, f"exception {type(e).__name__}", None, str(e)
        if note and len(bases) > 1:
            note = f"process {proc + 1}: {note}"
        rec.add(kind, time.perf_counter() - t0, ok, str(status), match, note, proc)


def preflight(ctx, rec_notes):
    """One request of each kind to each process before the clock starts, to
    surface contract problems clearly."""
    rng = random.Random(0)
    bases = ctx["bases"]
    for i, base in enumerate(bases, 1):
        where = f" on process {i}" if len(bases) > 1 else ""
        for kind, fn in (("trace", do_trace), ("room", do_room)):
            try:
                ok, status, match, note = fn(ctx, rng, base)
            except Exception as e:
                ok, status, match, note = False, type(e).__name__, None, str(e)
            if not ok or note:
                rec_notes.append(f"preflight {kind}{where}: status {status}, {note}")


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
    n = c["processes"]
    where = ("in SQLite in the home" if c["database"] == "sqlite"
             else f"in PostgreSQL, {c['database_url']}" + (" (fresh, dropped at the end)" if c["fresh_postgres"] else ""))
    print(f"servers: {n} process{'es' if n != 1 else ''} on one home, records {where}")
    t = fig["setup"]
    print(f"setup: init+user+token {t['init_user_token_s']:.1f} s, doc add {t['doc_add_s']:.1f} s, "
          f"distribute {t['distribute_s']:.1f} s, "
          + (f"server ready in {t['server_ready_s']:.2f} s" if n == 1
             else f"all {n} servers ready in {t['server_ready_s']:.2f} s"))
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
    for case in fig["inexact_traces"]:
        print(f"  inexact: trace {case['trace_id']} on process {case['process']} of {case['quoted']}'s copy: {case['why']} "
              f"(accused {case['accused']}); excerpt: {case['excerpt']}")
    print(f"status codes: trace {fig['statuses']['trace']}, reading room {fig['statuses']['reading_room']}")
    if n == 1:
        sd = fig["shutdown"]
        print(f"shutdown: SIGTERM -> {'exited' if sd['exited_in_time'] else 'DID NOT EXIT'} "
              f"in {sd['seconds']:.2f} s, exit code {sd['exit_code']}"
              + ("" if sd["exited_in_time"] else f" (killed after {STOP_TIMEOUT:.0f} s)"))
    else:
        print()
        hdr = (f"{'process':<9}{'port':>6}{'requests':>9}{'trace':>7}{'room':>7}{'errors':>8}{'req/s':>8}"
               f"{'p50 ms':>8}{'p99 ms':>8}{'ready s':>8}  shutdown (SIGTERM)")
        print(hdr)
        print("-" * len(hdr))
        for pp in fig["per_process"]:
            sd = pp["shutdown"]
            stop = (f"exited in {sd['seconds']:.2f} s, exit code {sd['exit_code']}" if sd["exited_in_time"]
                    else f"DID NOT EXIT, killed after {STOP_TIMEOUT:.0f} s")
            print(f"{pp['process']:<9}{pp['port']:>6}{pp['requests']:>9}{pp['trace_requests']:>7}"
                  f"{pp['room_requests']:>7}{pp['errors']:>8}{fmt(pp['throughput_rps']):>8}"
                  f"{fmt(pp['p50_ms']):>8}{fmt(pp['p99_ms']):>8}{fmt(pp['ready_s']):>8}  {stop}")
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
    ap.add_argument("--processes", type=int, default=1,
                    help="telltale serve processes on the same home and database; each request goes to "
                         "one chosen at random (default 1)")
    db = ap.add_mutually_exclusive_group()
    db.add_argument("--database", metavar="URL",
                    help="keep the registry's records in this empty PostgreSQL database (postgres://...; "
                         "given to every command and server as TELLTALE_DATABASE_URL); default: SQLite in the home")
    db.add_argument("--fresh-postgres", metavar="ADMIN_URL",
                    help="create a new database telltale_load_<hex> with psql on the server this admin URL "
                         "names, use it as --database, and drop it at the end")
    ap.add_argument("--binary", default="./target/release/telltale", help="telltale binary")
    ap.add_argument("--seed", type=int, default=1, help="random seed of the workers (default 1)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directory (not a --fresh-postgres database)")
    args = ap.parse_args()
    if not 0.0 <= args.trace_share <= 1.0:
        ap.error("--trace-share must be between 0 and 1")
    if not 1 <= args.recipients <= 999:
        ap.error("--recipients must be between 1 and 999")
    if args.workers < 1 or args.seconds <= 0:
        ap.error("--workers and --seconds must be positive")
    if not 1 <= args.processes <= 64:
        ap.error("--processes must be between 1 and 64")
    for opt, url in (("--database", args.database), ("--fresh-postgres", args.fresh_postgres)):
        if url is not None and not url.startswith(("postgres://", "postgresql://")):
            ap.error(f"{opt} must be a postgres:// or postgresql:// URL")
    if args.fresh_postgres and shutil.which("psql") is None:
        ap.error("--fresh-postgres needs psql on the PATH (apt-get install postgresql-client)")
    args.binary = os.path.abspath(args.binary)
    if not os.access(args.binary, os.X_OK):
        ap.error(f"{args.binary} is not an executable; run `cargo build --release` first")

    # Paths in the contract (the sample memo) are relative to the repository root.
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

    # SIGTERM as Ctrl-C, so that the servers are stopped and a fresh
    # database is dropped in the finally clause below.
    def on_sigterm(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_sigterm)

    work = tempfile.mkdtemp(prefix="telltale-load-")
    servers = []
    fresh_db = None
    rc = 0
    try:
        log(f"work dir: {work}")
        if args.fresh_postgres:
            fresh_db, args.database = create_fresh_database(args.fresh_postgres)
            log(f"created the database {fresh_db}: {redact_url(args.database)}")
        elif args.database:
            log(f"records in PostgreSQL: {redact_url(args.database)}")
        log("setting up the registry (doc add and distribute take a few seconds)...")
        ctx = setup(args, work)
        log(f"starting {args.processes} server{'s' if args.processes > 1 else ''} on "
            + ", ".join(ctx["bases"]) + "...")
        servers = start_servers(args, ctx, work)
        ctx["timings"]["server_ready_s"] = max(sv.ready_s for sv in servers)

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

        multi = len(servers) > 1
        alive, stops = [], []
        for sv in servers:
            name = f"process {sv.index}" if multi else "the server"
            sv_alive = sv.proc.poll() is None
            alive.append(sv_alive)
            if not sv_alive:
                notes.append(f"{name} exited during the run with code {sv.proc.returncode}")
        for sv in servers:  # all exits checked first, then all stopped
            name = f"process {sv.index}" if multi else "the server"
            exited, code, stop_s = stop_server(sv.proc)
            stops.append((exited, code, stop_s))
            if not exited:
                rc = 1
                notes.append(f"{name} did not exit within {STOP_TIMEOUT:.0f} s of SIGTERM")
            elif code != 0:
                notes.append(f"{name} exited with code {code} after SIGTERM (expected 0)")

        for note, count in sorted(rec.notes.items(), key=lambda kv: -kv[1])[:10]:
            notes.append(f"{count}x {note}")

        all_samples = rec.samples["trace"] + rec.samples["room"]
        per_process = []
        for k, sv in enumerate(servers):
            mine = [x for x in all_samples if x[2] == k]
            summ = summarize(mine, elapsed)
            exited, code, stop_s = stops[k]
            per_process.append({
                "process": sv.index, "port": sv.port, "base": sv.base,
                "requests": summ["requests"], "errors": summ["errors"],
                "trace_requests": sum(1 for x in rec.samples["trace"] if x[2] == k),
                "room_requests": sum(1 for x in rec.samples["room"] if x[2] == k),
                "throughput_rps": summ["throughput_rps"],
                "p50_ms": summ["p50_ms"], "p90_ms": summ["p90_ms"], "p99_ms": summ["p99_ms"],
                "max_ms": summ["max_ms"],
                "ready_s": round(sv.ready_s, 3),
                "alive_after_run": alive[k],
                "shutdown": {"exited_in_time": exited, "exit_code": code, "seconds": round(stop_s, 3)},
            })
        # The overall shutdown: every process exited in time, the first
        # non-zero exit code (else 0), the slowest stop.
        codes = [st[1] for st in stops]
        shutdown = {"exited_in_time": all(st[0] for st in stops),
                    "exit_code": next((c for c in codes if c != 0), codes[0]),
                    "seconds": round(max(st[2] for st in stops), 3)}

        matches = rec.matches
        fig = {
            "config": {"seconds": args.seconds, "workers": args.workers, "trace_share": args.trace_share,
                       "recipients": args.recipients, "excerpt_words": EXCERPT_WORDS, "seed": args.seed,
                       "processes": args.processes,
                       "database": "postgresql" if args.database else "sqlite",
                       "database_url": redact_url(args.database) if args.database else None,
                       "fresh_postgres": fresh_db is not None},
            "setup": {k: round(v, 3) for k, v in ctx["timings"].items()},
            "elapsed_s": round(elapsed, 3),
            "trace": summarize(rec.samples["trace"], elapsed),
            "reading_room": summarize(rec.samples["room"], elapsed),
            "overall": summarize(all_samples, elapsed),
            "trace_accuracy": {"successful_traces": len(matches), "exact": sum(matches),
                               "share": round(sum(matches) / len(matches), 4) if matches else None},
            "statuses": {"trace": rec.statuses["trace"], "reading_room": rec.statuses["room"]},
            "inexact_traces": rec.inexact,
            "shutdown": shutdown,
            "per_process": per_process,
            "notes": notes,
        }
        if args.keep:
            fig["work_dir"] = work
        if args.json:
            print(json.dumps(fig, indent=2))
        else:
            print_report(fig)
        for k, sv in enumerate(servers):
            exited, code, _ = stops[k]
            if not (code == 0 and exited) or not alive[k]:
                log((f"process {sv.index} " if multi else "") + tail(sv.log_path))
        if fig["overall"]["requests"] and fig["overall"]["errors"] == fig["overall"]["requests"]:
            rc = 1
    except SetupError as e:
        log(f"setup failed: {e}")
        rc = 2
    except KeyboardInterrupt:
        log("interrupted")
        rc = 130
    finally:
        kill_servers(servers)
        if fresh_db is not None:
            try:
                drop_database(args.fresh_postgres, fresh_db)
                log(f"dropped the database {fresh_db}")
            except (SetupError, OSError) as e:
                log(f"could not drop the database {fresh_db}: {e}")
                rc = rc or 1
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())

//! Crash consistency, with the real binary: `distribute`, `doc add` and a
//! server running a distribution job are killed with SIGKILL at many
//! points of their run, and after every kill
//! the registry must still verify, every copy under its final name must be
//! whole, and no issuance may be recorded twice; a rerun then completes
//! and leaves exactly one issuance per recipient and no temporary file.
//!
//! The kill points are drawn from a fixed seed (override with
//! `TELLTALE_CRASH_SEED`) over the measured length of an uninterrupted
//! run, so the same points are tried on every machine, in proportion.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

mod common;
use common::*;

const RECIPIENTS: usize = 300;
const DISTRIBUTE_KILLS: usize = 14;
const DOC_ADD_KILLS: usize = 8;

impl Home {
    /// Start `args`, SIGKILL it after `delay` unless it ended first.
    /// Returns whether it was killed.
    fn kill_after(&self, args: &[&str], delay: Duration) -> bool {
        let mut child = self
            .cmd(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while started.elapsed() < delay {
            if child.try_wait().unwrap().is_some() {
                return false;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        // `Child::kill` sends SIGKILL on Unix.
        let killed = child.try_wait().unwrap().is_none();
        let _ = child.kill();
        child.wait().unwrap();
        killed
    }
    fn timed(&self, args: &[&str]) -> Duration {
        let t = Instant::now();
        self.ok(args);
        t.elapsed()
    }
}

/// Kill points: a fixed-seed xorshift spread over `0..span`.
fn kill_points(n: usize, span: Duration, salt: u64) -> Vec<Duration> {
    let seed: u64 = std::env::var("TELLTALE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x7e11_7a1e);
    let mut x = seed ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            span.mul_f64((x % 10_000) as f64 / 10_000.0)
        })
        .collect()
}

/// Files of `dir` by name.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .map(|e| e.unwrap())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn is_copy_name(name: &str) -> bool {
    !name.starts_with('.') && name.ends_with(".txt")
}

#[test]
fn distribute_killed_anywhere_leaves_whole_copies_and_single_issuances() {
    let h = Home::initialised();
    std::fs::write(h.at("memo.txt"), MEMO).unwrap();
    let mut csv = String::from("id,name\n");
    for i in 0..RECIPIENTS {
        csv.push_str(&format!("r-{i:04},Recipient {i}\n"));
    }
    std::fs::write(h.at("people.csv"), csv).unwrap();
    h.ok(&["recipients", "import", h.at("people.csv").to_str().unwrap()]);

    // The length of an uninterrupted run, measured on a scratch registry
    // so that the real one starts with nothing issued.
    let span = {
        let scratch = Home::initialised();
        std::fs::write(scratch.at("memo.txt"), MEMO).unwrap();
        let d = scratch
            .ok(&["doc", "add", scratch.at("memo.txt").to_str().unwrap()])
            .lines()
            .last()
            .unwrap()
            .to_string();
        std::fs::write(
            scratch.at("people.csv"),
            std::fs::read(h.at("people.csv")).unwrap(),
        )
        .unwrap();
        scratch.ok(&[
            "recipients",
            "import",
            scratch.at("people.csv").to_str().unwrap(),
        ]);
        let out = scratch.at("out");
        scratch.timed(&["distribute", &d, "--all", "--out", out.to_str().unwrap()])
    };

    // Each run distributes a document of its own, so that every run has
    // all its issuances still to record (a rerun of an issued document is
    // quicker, and most kill points would miss it).
    let mut killed = 0;
    let mut runs = Vec::new();
    for (k, delay) in kill_points(DISTRIBUTE_KILLS, span, 1)
        .into_iter()
        .enumerate()
    {
        let doc = h
            .ok(&["doc", "add", h.at("memo.txt").to_str().unwrap()])
            .lines()
            .last()
            .unwrap()
            .to_string();
        let out = h.at(&format!("out-{k}"));
        let was_killed = h.kill_after(
            &["distribute", &doc, "--all", "--out", out.to_str().unwrap()],
            delay,
        );
        killed += usize::from(was_killed);
        let after = format!("after kill {k} at {delay:?}");
        h.verifies(&after);
        let (rows, distinct) = h.issuances();
        assert_eq!(rows, distinct, "an issuance recorded twice {after}");
        assert!(
            rows <= ((k + 1) * RECIPIENTS) as i64,
            "{rows} issuances {after}"
        );
        runs.push((doc, out));
    }
    eprintln!(
        "{killed} of {DISTRIBUTE_KILLS} distribute runs killed mid-run (run length {span:?})"
    );
    assert!(
        killed >= DISTRIBUTE_KILLS / 4,
        "the kill points missed the runs"
    );

    // Reruns complete: one issuance per recipient and document, every copy
    // there, no temporary file left; and every copy a killed run left
    // under its final name was whole (copies are deterministic, so it
    // equals the finished one byte for byte).
    let mut checked = 0;
    for (doc, out) in &runs {
        let left = files(out);
        h.ok(&["distribute", doc, "--all", "--out", out.to_str().unwrap()]);
        let complete = files(out);
        assert_eq!(
            complete.keys().filter(|n| is_copy_name(n)).count(),
            RECIPIENTS,
            "the rerun wrote every copy"
        );
        assert!(
            complete.keys().all(|n| is_copy_name(n)),
            "the rerun left temporary files: {:?}",
            complete
                .keys()
                .filter(|n| !is_copy_name(n))
                .collect::<Vec<_>>()
        );
        for (name, bytes) in left.into_iter().filter(|(n, _)| is_copy_name(n)) {
            assert_eq!(
                Some(&bytes),
                complete.get(&name),
                "{} held a partial or wrong copy",
                out.join(&name).display()
            );
            checked += 1;
        }
    }
    h.verifies("after the reruns");
    let all = (DISTRIBUTE_KILLS * RECIPIENTS) as i64;
    assert_eq!(h.issuances(), (all, all));
    eprintln!("{checked} copies left by killed runs were whole");
}

#[test]
fn doc_add_killed_anywhere_leaves_a_registry_that_verifies() {
    let h = Home::initialised();
    // A longer document, so that registration takes long enough to be cut.
    let long: String = (0..12).map(|_| MEMO).collect::<Vec<_>>().join("\n\n");
    std::fs::write(h.at("long.txt"), &long).unwrap();
    let span = {
        let scratch = Home::initialised();
        std::fs::write(scratch.at("long.txt"), &long).unwrap();
        scratch.timed(&["doc", "add", scratch.at("long.txt").to_str().unwrap()])
    };
    let mut finished = 0;
    for (k, delay) in kill_points(DOC_ADD_KILLS, span, 2).into_iter().enumerate() {
        let was_killed = h.kill_after(&["doc", "add", h.at("long.txt").to_str().unwrap()], delay);
        finished += usize::from(!was_killed);
        let after = format!("after kill {k} at {delay:?}");
        h.verifies(&after);
        let list: serde_json::Value =
            serde_json::from_str(&h.ok(&["doc", "list", "--json"])).unwrap();
        let docs = list.as_array().unwrap();
        assert_eq!(docs.len(), finished, "documents registered {after}");
        for d in docs {
            assert!(
                d["slots"].as_u64().unwrap() > 0,
                "a document without its template {after}"
            );
        }
    }
    h.ok(&["doc", "add", h.at("long.txt").to_str().unwrap()]);
    h.verifies("after the rerun");
}

const SERVER_KILLS: usize = 8;
const SERVER_RECIPIENTS: usize = 1000;

/// Start a distribution of `doc` to everyone as a server job; its id.
fn start_job(server: &Server, auth: &str, doc: &str) -> u64 {
    let (status, body) = server.request(
        "POST",
        &format!("/api/documents/{doc}/distribute"),
        &[("Authorization", auth)],
        r#"{"all": true}"#,
    );
    assert_eq!(status, 202, "{body}");
    let job: serde_json::Value = serde_json::from_str(&body).unwrap();
    job["id"].as_u64().unwrap()
}

/// Poll a job until it finishes; panics on a failed job or after 120 s.
fn finish_job(server: &Server, auth: &str, job: u64) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(120) {
        let (status, body) = server.request(
            "GET",
            &format!("/api/jobs/{job}"),
            &[("Authorization", auth)],
            "",
        );
        assert_eq!(status, 200, "{body}");
        let j: serde_json::Value = serde_json::from_str(&body).unwrap();
        if j["finished"].as_bool().unwrap() {
            assert!(j["error"].is_null(), "the job failed: {body}");
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("job {job} did not finish in 120 s");
}

/// An author's API token in `h`, as an Authorization header value.
fn author_token(h: &Home) -> String {
    let o = h
        .cmd(&["user", "add", "ada", "--role", "author"])
        .env("TELLTALE_PASSWORD", "a long password")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let token = h.ok(&["token", "create", "ada", "--label", "crash"]);
    format!("Bearer {}", token.lines().last().unwrap().trim())
}

#[test]
fn server_killed_during_a_distribution_job_loses_and_doubles_nothing() {
    let h = Home::initialised();
    let people = h.file("people.csv", &csv(SERVER_RECIPIENTS));
    h.ok(&["recipients", "import", people.to_str().unwrap()]);
    let auth = author_token(&h);
    h.file("memo.txt", MEMO);
    let add = || {
        h.ok(&["doc", "add", h.at("memo.txt").to_str().unwrap()])
            .lines()
            .last()
            .unwrap()
            .to_string()
    };

    // An uninterrupted job's length, from its start to its end.
    let span = {
        let server = Server::start(&h);
        let doc = add();
        let t = Instant::now();
        let job = start_job(&server, &auth, &doc);
        finish_job(&server, &auth, job);
        t.elapsed()
    };

    let mut docs = Vec::new();
    let mut cut = 0;
    for (k, delay) in kill_points(SERVER_KILLS, span, 3).into_iter().enumerate() {
        let doc = add();
        let server = Server::start(&h);
        let before = h.issuances().0;
        start_job(&server, &auth, &doc);
        std::thread::sleep(delay);
        server.kill();
        let after = format!("after killing the server {k} at {delay:?}");
        h.verifies(&after);
        let (rows, distinct) = h.issuances();
        assert_eq!(rows, distinct, "an issuance recorded twice {after}");
        cut += usize::from(rows - before < SERVER_RECIPIENTS as i64);
        docs.push(doc);
    }
    eprintln!("{cut} of {SERVER_KILLS} server jobs killed mid-run (run length {span:?})");
    assert!(cut >= SERVER_KILLS / 4, "the kill points missed the jobs");

    // Rerunning each job completes it: one issuance per recipient.
    let server = Server::start(&h);
    for doc in &docs {
        let job = start_job(&server, &auth, doc);
        finish_job(&server, &auth, job);
    }
    drop(server);
    h.verifies("after the reruns");
    let all = ((SERVER_KILLS + 1) * SERVER_RECIPIENTS) as i64;
    assert_eq!(h.issuances(), (all, all));
}

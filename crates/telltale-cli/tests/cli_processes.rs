//! Two `telltale serve` processes on one database, as a deployment behind
//! a load balancer runs them: a session begun on one is honoured by the
//! other, failed sign-ins count across both, link views are counted
//! wherever they land, and when the process running a distribution is
//! killed the other takes the job over and finishes it. Run on SQLite in
//! a shared home, and on PostgreSQL when a server is given (see
//! `telltale_store_postgres::scratch`; SKIPPED otherwise).

use std::time::{Duration, Instant};

use serde_json::Value;
use telltale_store_postgres::scratch::ScratchDatabase;

mod common;
use common::*;

/// Recipients of the distribution that is cut short: enough that the job
/// takes several seconds, so that it is still running when it is killed.
const RECIPIENTS: usize = 1500;

#[test]
fn two_processes_on_sqlite() {
    two_processes(Home::new());
}

#[test]
fn two_processes_on_postgres() {
    let Some(pg) = ScratchDatabase::create() else {
        return;
    };
    two_processes(Home::on_database(pg.url()));
}

fn two_processes(h: Home) {
    h.ok(&["init"]);
    let add = |name: &str, role: &str| {
        let o = h
            .cmd(&["user", "add", name, "--role", role])
            .env("TELLTALE_PASSWORD", "a long password")
            .output()
            .unwrap();
        assert!(o.status.success(), "{o:?}");
    };
    add("ann", "author");
    add("ivan", "investigator");
    let token = h
        .ok(&["token", "create", "ann", "--label", "test"])
        .lines()
        .last()
        .unwrap()
        .to_string();
    let doc = h.add_doc("memo.txt", MEMO);
    let people = h.file("people.csv", &csv(RECIPIENTS));
    h.ok(&["recipients", "import", people.to_str().unwrap()]);

    let quiet = ["--job-quiet-secs", "2"];
    let a = Server::start_with(&h, &quiet);
    let b = Server::start_with(&h, &quiet);
    let auth = format!("Bearer {token}");
    let bearer = [("Authorization", auth.as_str())];

    // A session begun on A is honoured by B, and ended on B for A too.
    let cookie = sign_in(a.port, "ivan", "a long password").expect("signed in");
    let session = [("Cookie", cookie.as_str())];
    assert_eq!(http(b.port, "GET", "/api/whoami", &session, "").0, 200);
    // Failed sign-ins count on both: the limit is 5 per user name.
    for i in 0..5 {
        let port = if i % 2 == 0 { a.port } else { b.port };
        assert_eq!(sign_in_status(port, "ivan", "wrong password!"), 401);
    }
    assert_eq!(sign_in_status(b.port, "ivan", "a long password"), 429);
    assert_eq!(sign_in_status(a.port, "ivan", "a long password"), 429);

    // A distribution started on A, watched from B, A killed halfway.
    let (status, body) = http(
        a.port,
        "POST",
        &format!("/api/documents/{doc}/distribute"),
        &bearer,
        r#"{"all": true, "links": true}"#,
    );
    assert_eq!(status, 202, "{body}");
    let job = json(&body)["id"].as_i64().unwrap();
    let path = format!("/api/jobs/{job}");
    let started = Instant::now();
    let done_when_killed = loop {
        let (status, body) = http(b.port, "GET", &path, &bearer, "");
        assert_eq!(status, 200, "the other process sees the job: {body}");
        let j = json(&body);
        let done = j["done"].as_u64().unwrap();
        assert!(
            !j["finished"].as_bool().unwrap(),
            "finished before it was killed"
        );
        if done > 0 {
            a.kill();
            break done;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "no progress");
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!((done_when_killed as usize) < RECIPIENTS);
    let finished = loop {
        let (status, body) = http(b.port, "GET", &path, &bearer, "");
        assert_eq!(status, 200, "{body}");
        let j = json(&body);
        if j["finished"].as_bool().unwrap() {
            break j;
        }
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "the job was not taken over: {j}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    eprintln!(
        "killed the first process at {done_when_killed} of {RECIPIENTS} copies; the other finished the job {:.1} s after it started",
        started.elapsed().as_secs_f64()
    );
    assert!(finished["error"].is_null(), "{finished}");
    assert_eq!(finished["done"].as_u64().unwrap() as usize, RECIPIENTS);
    let links = finished["links"].as_array().unwrap();
    assert!(
        links.len() >= RECIPIENTS,
        "a link for everyone, made by either process: {}",
        links.len()
    );
    let holders = h.json(&["doc", "list", "--json"]);
    assert_eq!(
        holders[0]["issued"].as_u64().unwrap() as usize,
        RECIPIENTS,
        "every copy issued once: {holders}"
    );

    // A link opened twice on B is counted twice.
    let url = links[0]["url"].as_str().unwrap();
    let secret = url.rsplit('/').next().unwrap();
    for _ in 0..2 {
        assert_eq!(http(b.port, "GET", &format!("/r/{secret}"), &[], "").0, 200);
    }
    let (_, listed) = http(
        b.port,
        "GET",
        &format!("/api/documents/{doc}/links"),
        &bearer,
        "",
    );
    let link = links[0]["link"].as_str().unwrap();
    let views = json(&listed)
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == link)
        .map(|l| l["views"].as_u64().unwrap())
        .unwrap();
    assert_eq!(views, 2);
    drop(b);
    h.verifies("two processes and a kill");
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// Sign in through the page's form: the session cookie, if accepted.
fn sign_in(port: u16, user: &str, password: &str) -> Option<String> {
    let (status, head, _) = post_login(port, user, password);
    if status != 303 && status != 302 {
        return None;
    }
    head.lines()
        .find_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .and_then(|c| c.split(';').next())
        .filter(|c| c.starts_with("telltale_session="))
        .map(str::to_string)
}

fn sign_in_status(port: u16, user: &str, password: &str) -> u16 {
    post_login(port, user, password).0
}

fn post_login(port: u16, user: &str, password: &str) -> (u16, String, String) {
    let csrf = "0123456789abcdef";
    let body = format!(
        "user={user}&password={}&login_csrf={csrf}",
        password.replace(' ', "+")
    );
    let cookie = format!("telltale_login={csrf}");
    http_full(
        port,
        "POST",
        "/login",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &cookie),
        ],
        &body,
    )
}

/// A registry begun in SQLite moves to PostgreSQL with `migrate-store`,
/// and every command then works on it there with the same home.
#[test]
fn migrate_store_to_postgres() {
    let h = Home::initialised();
    let doc = h.add_doc("memo.txt", MEMO);
    let people = h.file("people.csv", &csv(5));
    h.ok(&["recipients", "import", people.to_str().unwrap()]);
    let out = h.at("copies");
    h.ok(&["distribute", &doc, "--all", "--out", out.to_str().unwrap()]);

    // What no database can be.
    let refused = h.fails(&["--database", "mysql://x/y", "doc", "list"]);
    assert!(refused.contains("postgres://"), "{refused}");

    let Some(pg) = ScratchDatabase::create() else {
        return;
    };
    let said = h.ok(&["migrate-store", "--to", pg.url()]);
    assert!(
        said.contains("1 documents, 5 recipients, 5 issuances"),
        "{said}"
    );
    assert!(said.contains("audit log intact"), "{said}");
    let again = h.fails(&["migrate-store", "--to", pg.url()]);
    assert!(again.contains("already holds a registry"), "{again}");

    let there = Home {
        database: Some(pg.url().to_string()),
        ..Home::new()
    };
    // The same home (the key), the records in PostgreSQL.
    std::fs::rename(h.path(), there.path()).unwrap();
    assert!(there.ok(&["doc", "list"]).contains(&doc));
    there.verifies("after the move");
    let copy = std::fs::read_to_string(out.join("r-00003.txt")).unwrap();
    let leak = there.file("leak.txt", &copy);
    let traced = there.json(&["trace", leak.to_str().unwrap(), "--json"]);
    assert_eq!(traced["documents"][0]["accused"][0], "r-00003", "{traced}");
}

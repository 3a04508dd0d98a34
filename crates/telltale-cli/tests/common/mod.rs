//! What the command-line tests share: a temporary registry home driven
//! through the real binary, and a server started from it and spoken to
//! over a plain socket.

// Each test binary uses its own part of this.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

pub const MEMO: &str = include_str!("../../../telltale-core/data/sample/memo.txt");

/// A temporary directory holding a registry home (`home/`) and whatever
/// files a test writes beside it. Commands run with the directory as
/// their working directory.
pub struct Home {
    pub dir: tempfile::TempDir,
    /// The registry's database when it is not SQLite in the home (a
    /// postgres:// URL), given to every command.
    pub database: Option<String>,
}

impl Home {
    /// An empty directory; nothing initialised.
    pub fn new() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
            database: None,
        }
    }
    /// An empty directory, with the registry's records to be kept in the
    /// database at `url`.
    pub fn on_database(url: &str) -> Home {
        Home {
            database: Some(url.to_string()),
            ..Home::new()
        }
    }
    /// A directory with an initialised registry.
    pub fn initialised() -> Home {
        let h = Home::new();
        h.ok(&["init"]);
        h
    }
    pub fn path(&self) -> PathBuf {
        self.at("home")
    }
    pub fn at(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    pub fn file(&self, name: &str, content: &str) -> PathBuf {
        let p = self.at(name);
        std::fs::write(&p, content).unwrap();
        p
    }
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_telltale"));
        c.args(args)
            .env("TELLTALE_HOME", self.path())
            .env_remove("TELLTALE_PASSPHRASE")
            .env_remove("TELLTALE_DATABASE_URL")
            .current_dir(self.dir.path());
        if let Some(url) = &self.database {
            c.env("TELLTALE_DATABASE_URL", url);
        }
        c
    }
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }
    /// Run and require success; return stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "telltale {args:?} failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    }
    pub fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }
    /// Run and require a one-line error, not a panic (exit 101) nor a
    /// signal; return it.
    pub fn fails(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(
            matches!(o.status.code(), Some(1 | 2)),
            "telltale {args:?} should have failed with an error: {o:?}"
        );
        let e = String::from_utf8(o.stderr).unwrap();
        assert_eq!(e.trim_end().lines().count(), 1, "not one line: {e}");
        e
    }
    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.path().join("registry.db")).unwrap()
    }
    /// `audit verify` passes.
    pub fn verifies(&self, after: &str) {
        let o = self.run(&["audit", "verify"]);
        assert!(
            o.status.success() && String::from_utf8_lossy(&o.stdout).contains("intact"),
            "audit verify failed {after}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    /// This home's issuances: see [`issuances_in`].
    pub fn issuances(&self) -> (i64, i64) {
        issuances_in(&self.path())
    }
    /// Add the sample memo (or `text`) as `name`; return the document id.
    pub fn add_doc(&self, name: &str, text: &str) -> String {
        self.add_file(&self.file(name, text))
    }
    /// Register the file at `path`; return the document id (`doc add`
    /// prints it last).
    pub fn add_file(&self, path: &Path) -> String {
        self.ok(&["doc", "add", path.to_str().unwrap()])
            .lines()
            .last()
            .unwrap()
            .trim()
            .to_string()
    }
}

/// Issuance rows of the registry in `home`, and how many distinct
/// (document, recipient) pairs they hold.
pub fn issuances_in(home: &Path) -> (i64, i64) {
    let db = rusqlite::Connection::open(home.join("registry.db")).unwrap();
    db.query_row(
        "SELECT COUNT(*), COUNT(DISTINCT document_id || ' ' || recipient_id) FROM issuances",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

/// A recipients CSV of `n` people, `r-00000` onwards.
pub fn csv(n: usize) -> String {
    let mut s = String::from("id,name,email\n");
    for i in 0..n {
        s.push_str(&format!("r-{i:05},Recipient {i},r{i}@example.org\n"));
    }
    s
}

/// Paragraphs `range` of the sample memo, joined as in the memo.
pub fn paragraphs(range: std::ops::Range<usize>) -> String {
    MEMO.split("\n\n")
        .skip(range.start)
        .take(range.len())
        .collect::<Vec<_>>()
        .join("\n\n")
}

pub fn excerpt(copy: &str, from: &str, bytes: usize) -> String {
    // Copies carry invisible marks between words; find the anchor in a
    // stripped view, then cut the same words from the copy.
    let start = copy
        .find(from)
        .unwrap_or_else(|| panic!("{from:?} not in copy"));
    let end = copy.ceil_char_boundary((start + bytes).min(copy.len()));
    copy[start..end].to_string()
}

/// `telltale serve` on a free loopback port, killed when dropped.
pub struct Server {
    pub port: u16,
    child: Child,
}

impl Server {
    /// Start serving `home` and wait until it accepts connections.
    pub fn start(home: &Home) -> Server {
        Server::start_with(home, &[])
    }

    /// [`Server::start`], with more arguments for the command line
    /// (--database, --job-quiet-secs).
    pub fn start_with(home: &Home, more: &[&str]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let mut args = vec!["serve", "--addr", &addr, "--insecure-cookies"];
        args.extend_from_slice(more);
        let child = home
            .cmd(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Server { port, child };
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the server did not listen on port {port}");
    }
    /// SIGKILL the server and reap it (what dropping it does; named for
    /// tests where the kill is the point).
    pub fn kill(self) {
        drop(self);
    }
    pub fn child(&mut self) -> &mut Child {
        &mut self.child
    }
    /// One request: see [`http`].
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String) {
        http(self.port, method, path, headers, body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request over a plain socket: (status, body). A body is
/// sent as JSON.
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let (status, _, body) = http_full(port, method, path, headers, body);
    (status, body)
}

/// [`http`], with the answer's head too: (status, head, body). A body is
/// sent as JSON unless `headers` give its Content-Type.
pub fn http_full(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    let typed = headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
    if !body.is_empty() && !typed {
        req.push_str("Content-Type: application/json\r\n");
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out[9..12].parse().unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    (status, head.to_string(), body.to_string())
}

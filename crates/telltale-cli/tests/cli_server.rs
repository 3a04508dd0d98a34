//! Users, API tokens, reading-room links and `telltale serve`, driven
//! through the real binary and spoken to over HTTP.

use std::process::Command;

mod common;
use common::*;

#[test]
fn users_tokens_links_and_the_server() {
    let h = Home::new();
    h.ok(&["init"]);
    let add = |name: &str, role: &str, pw: &str| {
        h.cmd(&["user", "add", name, "--role", role])
            .env("TELLTALE_PASSWORD", pw)
            .output()
            .unwrap()
    };
    assert!(add("ada", "admin", "a long password").status.success());
    let short = add("bob", "author", "short");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 10 characters"));
    assert!(
        !add("ada", "author", "a long password").status.success(),
        "names are unique"
    );
    // The password can come on standard input too.
    let mut c = h.cmd(&["user", "add", "ivan", "--role", "investigator"]);
    c.env_remove("TELLTALE_PASSWORD")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"another long password\n").unwrap();
    assert!(child.wait().unwrap().success());
    let users = h.json(&["user", "list", "--json"]);
    assert_eq!(users.as_array().unwrap().len(), 2);
    assert!(
        !users.to_string().contains("argon2"),
        "no hashes in listings"
    );
    let token = h
        .ok(&["token", "create", "ivan", "--label", "nightly"])
        .lines()
        .last()
        .unwrap()
        .to_string();
    assert!(token.starts_with("tt_") && token.len() == 67, "{token}");
    assert!(!h.ok(&["token", "list"]).contains(&token[3..]));

    let doc = h.add_doc("memo.txt", MEMO);
    let people = h.file("people.csv", &csv(3));
    h.ok(&["recipients", "import", people.to_str().unwrap()]);
    let out = h.dir.path().join("copies");
    let said = h.ok(&[
        "distribute",
        &doc,
        "--all",
        "--out",
        out.to_str().unwrap(),
        "--links",
        "--base-url",
        "http://127.0.0.1:1/",
        "--expires-days",
        "7",
    ]);
    assert!(said.contains("3 reading-room links"), "{said}");
    let links = std::fs::read_to_string(out.join("links.csv")).unwrap();
    let rows: Vec<&str> = links.lines().collect();
    assert_eq!(rows[0], "recipient,link,url");
    assert_eq!(rows.len(), 4);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(out.join("links.csv"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "links.csv is private to its owner");
    }
    let url = rows[2].split(',').nth(2).unwrap();
    let secret = url
        .strip_prefix("http://127.0.0.1:1/r/")
        .expect("the base URL without a doubled slash");

    // Serve on a free port, use it, stop it with SIGTERM.
    let mut server = Server::start(&h);
    let port = server.port;
    assert_eq!(http(port, "GET", "/healthz", &[], ""), (200, "ok".into()));
    let (status, page) = http(port, "GET", &format!("/r/{secret}"), &[], "");
    assert_eq!(status, 200);
    assert!(page.contains("Recipient 1"), "the second row's recipient");
    let copy = std::fs::read_to_string(out.join("r-00001.txt")).unwrap();
    let line = copy
        .lines()
        .find(|l| l.len() > 80 && !l.contains(['"', '&', '<', '>', '\'']))
        .expect("a plain line");
    assert!(page.contains(line), "the page shows that recipient's copy");
    let auth = format!("Bearer {token}");
    let (status, who) = http(port, "GET", "/api/whoami", &[("Authorization", &auth)], "");
    assert_eq!(status, 200, "{who}");
    assert!(who.contains("\"ivan\""));
    assert_eq!(
        http(
            port,
            "GET",
            "/api/documents",
            &[("Authorization", &auth)],
            ""
        )
        .0,
        403,
        "an investigator is not an author"
    );
    let killed = Command::new("kill")
        .args(["-TERM", &server.child().id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let mut stopped = None;
    for _ in 0..100 {
        if let Some(s) = server.child().try_wait().unwrap() {
            stopped = Some(s);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let stopped = stopped.expect("the server stops within 10 s of SIGTERM");
    assert!(stopped.success(), "a graceful stop exits 0");
    let log = h.ok(&["audit", "log"]);
    assert!(log.contains("link.view") && log.contains("link.create") && log.contains("user.add"));
}

//! End to end in a real headless Chromium, driven over WebDriver: an author
//! signs in, registers a document, imports 20 recipients and distributes
//! it; one recipient opens their reading-room link; an investigator pastes
//! a quote from that copy into the trace page and sees that recipient
//! accused. Screenshots of the review, reading-room and trace pages are
//! written to target/screenshots/ (and to docs/screenshots/ when
//! TELLTALE_UPDATE_SCREENSHOTS=1).
//!
//! Needs Debian's chromium and chromium-driver (`.ci/run` installs them).
//! Without them the test says so and passes, unless
//! TELLTALE_REQUIRE_BROWSER=1 (set by `.ci/run`), when it fails.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use telltale_registry::{Registry, Role};
use telltale_server::{router, App, Config};

const CHROMIUM: &str = "/usr/bin/chromium";
const DRIVER: &str = "/usr/bin/chromedriver";
const PASSWORD: &str = "a long password";

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn screenshot_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut dirs = vec![root.join("target/screenshots")];
    if std::env::var_os("TELLTALE_UPDATE_SCREENSHOTS").is_some_and(|v| v == "1") {
        dirs.push(root.join("docs/screenshots"));
    }
    dirs
}

async fn shoot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    for d in screenshot_dirs() {
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(format!("{name}.png")), &png).unwrap();
    }
}

async fn set_value(c: &Client, css: &str, value: &str) {
    // Typing 8,000 characters key by key is slow and tests nothing extra;
    // pasting sets the value, as the browser does.
    c.execute(
        "document.querySelector(arguments[0]).value = arguments[1];",
        vec![css.into(), value.into()],
    )
    .await
    .unwrap();
}

/// A computed style property of the first element matching `css`: proof
/// that the stylesheet was applied under the Content-Security-Policy.
async fn style_of(c: &Client, css: &str, property: &str) -> String {
    c.execute(
        "return getComputedStyle(document.querySelector(arguments[0])).getPropertyValue(arguments[1]);",
        vec![css.into(), property.into()],
    )
    .await
    .unwrap()
    .as_str()
    .unwrap_or_default()
    .to_string()
}

async fn sign_in(c: &Client, base: &str, user: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    c.find(Locator::Css("#user"))
        .await
        .unwrap()
        .send_keys(user)
        .await
        .unwrap();
    c.find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Css("#sign-in"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("form.signout"))
        .await
        .expect("signed in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_author_distributes_and_an_investigator_finds_the_leaker_in_a_real_browser() {
    if !Path::new(CHROMIUM).exists() || !Path::new(DRIVER).exists() {
        if std::env::var_os("TELLTALE_REQUIRE_BROWSER").is_some_and(|v| v == "1") {
            panic!("{CHROMIUM} or {DRIVER} is missing (apt-get install chromium chromium-driver)");
        }
        eprintln!("SKIPPED: no {CHROMIUM} / {DRIVER}; install chromium and chromium-driver to run the browser test");
        return;
    }

    // The server, on loopback.
    let dir = tempfile::tempdir().unwrap();
    let mut reg = Registry::init(dir.path(), None).unwrap();
    reg.add_user("ann", Role::Author, PASSWORD).unwrap();
    reg.add_user("ivan", Role::Investigator, PASSWORD).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let app = router(App::new(
        reg,
        Config {
            base_url: base.clone(),
            secure_cookies: false,
            ..Config::default()
        },
    ));
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });

    // The browser.
    let port = free_port();
    let _driver = Driver(
        Command::new(DRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
    );
    let profile = tempfile::tempdir().unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--disable-background-networking", "--disable-component-update",
                     "--no-first-run", "--disable-sync", "--window-size=1280,1400",
                     format!("--user-data-dir={}", profile.path().display())]
        }),
    );
    let mut client = None;
    for _ in 0..50 {
        match ClientBuilder::rustls()
            .unwrap()
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let c = client.expect("a WebDriver session with Chromium");

    // An author registers the memo and reviews it.
    sign_in(&c, &base, "ann").await;
    c.goto(&format!("{base}/documents")).await.unwrap();
    c.find(Locator::Css("#title"))
        .await
        .unwrap()
        .send_keys("Kestria memo")
        .await
        .unwrap();
    set_value(&c, "#text", telltale_core::sample::MEMO).await;
    c.find(Locator::Css("#register"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("#document-text"))
        .await
        .unwrap();
    let marks = c
        .find_all(Locator::Css("#document-text mark.slot"))
        .await
        .unwrap();
    assert!(marks.len() > 20, "slots are highlighted on the review page");
    let title = marks[0].attr("title").await.unwrap().unwrap();
    assert!(
        title.contains(" / "),
        "a slot's alternatives are in its tooltip: {title}"
    );
    let estimate = c
        .find(Locator::Css("#estimate"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(estimate.contains("words"), "{estimate}");
    let review_url = c.current_url().await.unwrap();
    // The stylesheet is applied (no inline style: the policy forbids it).
    assert_eq!(
        style_of(&c, "header.top", "background-color").await,
        "rgb(20, 35, 59)"
    );
    assert_eq!(style_of(&c, "input.count", "width").await, "112px");
    shoot(&c, "review").await;

    // Twenty recipients, by pasted CSV.
    c.goto(&format!("{base}/recipients")).await.unwrap();
    let mut csv = String::from("id,name,email\n");
    for i in 1..=20 {
        csv.push_str(&format!("r-{i:02},Recipient {i},r{i}@example.org\n"));
    }
    csv.push_str("bad id!,Nobody,\n");
    set_value(&c, "#csv-text", &csv).await;
    c.find(Locator::Css("#import"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let report = c
        .wait()
        .for_element(Locator::Css("#import-report"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        report.contains("20 added") && report.contains("1 rejected"),
        "{report}"
    );
    let errors = c
        .find(Locator::Css("#import-errors"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        errors.contains("may only use letters"),
        "per-row errors are shown: {errors}"
    );

    // Distribute to everyone, watch the progress, get the links.
    c.goto(review_url.as_str()).await.unwrap();
    c.find(Locator::Css("#send"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css("#job-done"))
        .await
        .expect("the distribution finishes");
    let links = c.find_all(Locator::Css("a.reading-link")).await.unwrap();
    assert_eq!(links.len(), 20);
    let leaker = links[12].attr("data-recipient").await.unwrap().unwrap();
    let url = links[12].attr("href").await.unwrap().unwrap();

    // The recipient reads their copy.
    c.goto(&url).await.unwrap();
    let copy = c
        .find(Locator::Css("#copy"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(copy.len() > 5_000, "the whole copy is shown");
    shoot(&c, "reading-room").await;

    // The author signs out; an investigator traces a quote from that copy.
    c.goto(&format!("{base}/documents")).await.unwrap();
    c.find(Locator::Css("form.signout button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("#login-form"))
        .await
        .unwrap();
    sign_in(&c, &base, "ivan").await;
    c.goto(&format!("{base}/trace")).await.unwrap();
    let words: Vec<&str> = copy.split_whitespace().collect();
    let quote = format!(
        "LONDON — A confidential memo seen by this newspaper says: \"{}\" The ministry declined to comment.",
        words[300..420].join(" ")
    );
    set_value(&c, "#leak", &quote).await;
    c.find(Locator::Css("#trace"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let verdict = c
        .wait()
        .for_element(Locator::Css("#verdict"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(verdict.contains(&leaker), "{leaker} is accused: {verdict}");
    let accused = c
        .find(Locator::Css("tr.accused"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        accused.contains(&leaker) && accused.contains(" in "),
        "the bound in plain words: {accused}"
    );
    let marks = c
        .find_all(Locator::Css("#leak-text mark.evidence"))
        .await
        .unwrap();
    assert!(!marks.is_empty(), "observed slots are marked in the input");
    assert!(!c
        .find_all(Locator::Css("#leak-text span.passage"))
        .await
        .unwrap()
        .is_empty());
    shoot(&c, "trace").await;

    // The evidence report's inline stylesheet is allowed by its hash.
    let report = c
        .find(Locator::Css("#evidence-report"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    c.goto(&format!("{base}{report}")).await.unwrap();
    c.wait()
        .for_element(Locator::Css("p.banner"))
        .await
        .unwrap();
    assert_eq!(
        style_of(&c, "p.banner", "text-transform").await,
        "uppercase",
        "the report's stylesheet applies under its policy"
    );

    c.close().await.unwrap();
}

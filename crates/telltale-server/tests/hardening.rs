//! The server as an attacker tries it: long requests that would keep
//! working after their 408, bodies sent before anyone signed in, upload
//! and connection floods, cookies sent with a foreign Authorization
//! scheme, sign-in storms, credentials that outlive a password change,
//! secrets and forged lines in the log, framing and inline script, links
//! that outlive their revocation, and server failures answered as if the
//! caller were at fault.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use serde_json::{json, Value};
use telltale_registry::{Registry, Role};
use telltale_server::{router, App, Config};
use tower::ServiceExt;

mod common;
use common::*;

/// A sign-in form post, with its double-submit cookie.
fn sign_in_request(user: &str, password: &str) -> Request<Body> {
    let form: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("user", user)
        .append_pair("password", password)
        .append_pair("login_csrf", "0123456789abcdef")
        .finish();
    Request::builder()
        .method(Method::POST)
        .uri("/login")
        .header(header::COOKIE, "telltale_login=0123456789abcdef")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .unwrap()
}

/// Sign in as a browser; the session cookie (`name=value`).
async fn session_of(app: &Router, user: &str) -> String {
    let r = send(app, sign_in_request(user, PASSWORD)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    r.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

fn with_cookie(method: Method, path: &str, cookie: &str) -> axum::http::request::Builder {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::COOKIE, cookie)
}

async fn add_recipients(w: &World, n: usize) {
    let people: Vec<Value> = (1..=n)
        .map(|i| json!({"id": format!("r-{i}"), "name": format!("Person {i}"), "email": null}))
        .collect();
    let r = call(
        w,
        Method::POST,
        "/api/recipients",
        Some(&w.author),
        Some(json!(people)),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

/// Distribute to `who` with links; the links' URLs by recipient.
async fn distribute(w: &World, doc: &str, who: &[&str]) -> Vec<(String, String)> {
    let r = call(
        w,
        Method::POST,
        &format!("/api/documents/{doc}/distribute"),
        Some(&w.author),
        Some(json!({"recipients": who})),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    let job = r.json()["id"].as_u64().unwrap();
    let j = wait_for_job(w, job).await;
    assert!(j["error"].is_null(), "{j}");
    j["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["recipient"].as_str().unwrap().to_string(),
                l["url"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

// ---- 5: long work stops when its request does ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_past_its_timeout_gives_its_registry_handle_back() {
    // Registered beforehand: loading the grammar checker alone takes
    // longer than this server's timeout.
    let dir = tempfile::tempdir().unwrap();
    let mut r = Registry::init(dir.path(), None).unwrap();
    let doc = r
        .add_document(MEMO, None, telltale_core::rules::Format::Plain)
        .unwrap()
        .id;
    r.add_user("ann", Role::Author, PASSWORD).unwrap();
    let author = r.create_api_token("ann", "tests").unwrap().0;
    let w = World {
        app: router(App::new(
            r,
            Config {
                workers: 1,
                request_timeout: Duration::from_secs(2),
                ..config()
            },
        )),
        dir,
        author,
        investigator: String::new(),
        admin: String::new(),
    };
    // Beyond the documented maximum: refused before any work.
    let r = call(
        &w,
        Method::GET,
        &format!("/api/documents/{doc}?recipients=1000000"),
        Some(&w.author),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["error"].as_str().unwrap().contains("100000"));
    // At the maximum the estimate runs far past the timeout.
    let r = call(
        &w,
        Method::GET,
        &format!(
            "/api/documents/{doc}?recipients={}",
            telltale_server::MAX_ESTIMATE_RECIPIENTS
        ),
        Some(&w.author),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::REQUEST_TIMEOUT);
    // The only registry handle is free again at once, not when the
    // abandoned estimate would have finished.
    let t = Instant::now();
    let r = call(&w, Method::GET, "/api/whoami", Some(&w.author), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    eprintln!("the handle was free {:?} after the 408", t.elapsed());
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "the next request waited {:?} for the handle",
        t.elapsed()
    );
}

// ---- 6: bodies are read only from callers who may send them ----

/// A body that records whether anyone read it.
fn watched_body(read: Arc<AtomicBool>, bytes: usize) -> Body {
    let chunk = Bytes::from(vec![b'x'; bytes]);
    Body::from_stream(futures_util::stream::once(async move {
        read.store(true, Ordering::SeqCst);
        Ok::<_, std::io::Error>(chunk)
    }))
}

#[tokio::test]
async fn bodies_of_callers_who_may_not_send_them_are_never_read() {
    let w = world();
    for (path, token, want) in [
        (
            "/api/trace/file?name=leak.txt",
            None,
            StatusCode::UNAUTHORIZED,
        ),
        (
            "/api/documents/file?name=memo.txt",
            None,
            StatusCode::UNAUTHORIZED,
        ),
        ("/api/trace", None, StatusCode::UNAUTHORIZED),
        (
            "/api/trace/file?name=leak.txt",
            Some(w.author.as_str()),
            StatusCode::FORBIDDEN,
        ),
        (
            "/api/documents/file?name=memo.txt",
            Some("tt_0000"),
            StatusCode::UNAUTHORIZED,
        ),
        ("/documents", None, StatusCode::SEE_OTHER),
    ] {
        let read = Arc::new(AtomicBool::new(false));
        let mut b = Request::builder().method(Method::POST).uri(path);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let r = send(&w.app, b.body(watched_body(read.clone(), 1 << 20)).unwrap()).await;
        assert_eq!(r.status, want, "{path}: {}", r.text());
        assert!(!read.load(Ordering::SeqCst), "{path}: the body was read");
    }
    // A declared length over the route's limit is refused unread, even
    // from a caller who may upload.
    let read = Arc::new(AtomicBool::new(false));
    let r = send(
        &w.app,
        Request::builder()
            .method(Method::POST)
            .uri("/api/trace/file?name=leak.txt")
            .header(header::AUTHORIZATION, format!("Bearer {}", w.investigator))
            .header(header::CONTENT_LENGTH, (w_limit() + 1).to_string())
            .body(watched_body(read.clone(), 16))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(!read.load(Ordering::SeqCst));
    // A small route does not take an upload's worth, declared or not.
    let r = send(
        &w.app,
        Request::builder()
            .method(Method::POST)
            .uri("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(watched_body(Arc::new(AtomicBool::new(false)), 1 << 20))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text());
}

fn w_limit() -> usize {
    Config::default().max_body_bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_beyond_the_limit_are_told_to_retry() {
    let w = world_with(Config {
        max_uploads: 2,
        ..config()
    });
    // Two uploads that have started and not finished sending.
    let mut senders = Vec::new();
    let mut pending = Vec::new();
    for _ in 0..2 {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(1);
        tx.send(Ok(Bytes::from_static(b"The minister said ")))
            .await
            .unwrap();
        senders.push(tx);
        let body = Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|x| (x, rx))
        }));
        let req = Request::builder()
            .method(Method::POST)
            .uri("/api/trace/file?name=leak.txt")
            .header(header::AUTHORIZATION, format!("Bearer {}", w.investigator))
            .body(body)
            .unwrap();
        let app = w.app.clone();
        pending.push(tokio::spawn(async move { send(&app, req).await.status }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = send(
        &w.app,
        Request::builder()
            .method(Method::POST)
            .uri("/api/trace/file?name=leak.txt")
            .header(header::AUTHORIZATION, format!("Bearer {}", w.investigator))
            .body(Body::from("The minister said that the talks had stalled."))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text());
    assert!(r.headers.contains_key(header::RETRY_AFTER));
    // A small declared upload (a pasted quote) does not wait for a slot.
    let quote = "The minister said that the talks had stalled.";
    let r = send(
        &w.app,
        Request::builder()
            .method(Method::POST)
            .uri("/api/trace/file?name=leak.txt")
            .header(header::AUTHORIZATION, format!("Bearer {}", w.investigator))
            .header(header::CONTENT_LENGTH, quote.len().to_string())
            .body(Body::from(quote))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    drop(senders);
    for p in pending {
        assert_ne!(p.await.unwrap(), StatusCode::SERVICE_UNAVAILABLE);
    }
    // With the slots free again, an upload is taken.
    let r = send(
        &w.app,
        Request::builder()
            .method(Method::POST)
            .uri("/api/trace/file?name=leak.txt")
            .header(header::AUTHORIZATION, format!("Bearer {}", w.investigator))
            .body(Body::from("The minister said that the talks had stalled."))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_wait_to_be_accepted() {
    use axum::serve::ListenerExt;
    use std::io::{Read, Write};
    let w = world();
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let listener = telltale_server::LimitedListener::new(tcp, 2).tap_io(|_| {});
    let app = w.app.clone();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    // Plain blocking sockets, on a thread of their own.
    let client = tokio::task::spawn_blocking(move || {
        let idle_1 = std::net::TcpStream::connect(addr).unwrap();
        let _idle_2 = std::net::TcpStream::connect(addr).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        let mut third = std::net::TcpStream::connect(addr).unwrap();
        third
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut buf = vec![0u8; 1024];
        third
            .set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        assert!(
            third.read(&mut buf).is_err(),
            "a third connection was served past the cap of two"
        );
        drop(idle_1);
        third
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let n = third
            .read(&mut buf)
            .expect("served once a connection closed");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    });
    let answer = client.await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

// ---- 13: only a Bearer token that authenticates spares the CSRF token ----

#[tokio::test]
async fn a_session_with_a_foreign_authorization_scheme_still_needs_its_csrf_token() {
    let w = world();
    let session = session_of(&w.app, "ann").await;
    for scheme in ["Basic eDp5", "Digest x", "Bearer"] {
        let r = send(
            &w.app,
            with_cookie(Method::POST, "/api/tokens", &session)
                .header(header::AUTHORIZATION, scheme)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(r#"{"label":"x"}"#))
                .unwrap(),
        )
        .await;
        assert_ne!(r.status, StatusCode::CREATED, "{scheme}: {}", r.text());
        assert!(r.status.is_client_error(), "{scheme}: {}", r.status);
        let r = send(
            &w.app,
            with_cookie(Method::POST, "/lists", &session)
                .header(header::AUTHORIZATION, scheme)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("name=x&members=r-1"))
                .unwrap(),
        )
        .await;
        assert!(r.status.is_client_error(), "{scheme}: {}", r.status);
    }
    let r = send(
        &w.app,
        with_cookie(Method::POST, "/api/tokens", &session)
            .header(header::AUTHORIZATION, "Basic eDp5")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"label":"x"}"#))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A real token still needs none.
    let r = call(
        &w,
        Method::POST,
        "/api/tokens",
        Some(&w.author),
        Some(json!({"label": "y"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
}

// ---- 14: the sign-in limit holds under concurrency and restarts ----

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_wrong_passwords_reach_the_hash_at_most_the_limit() {
    let w = world();
    let limit = config().login_failures as usize;
    let mut all = Vec::new();
    for _ in 0..60 {
        let app = w.app.clone();
        all.push(tokio::spawn(async move {
            send(&app, sign_in_request("ivan", "wrong password"))
                .await
                .status
        }));
    }
    let mut hashed = 0;
    let mut refused = 0;
    for a in all {
        match a.await.unwrap() {
            StatusCode::UNAUTHORIZED => hashed += 1,
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            s => panic!("unexpected {s}"),
        }
    }
    assert!(
        hashed <= limit,
        "{hashed} attempts reached the password hash"
    );
    assert_eq!(hashed + refused, 60);
}

#[tokio::test]
async fn sign_in_limits_survive_a_restart() {
    let w = world();
    for _ in 0..config().login_failures {
        assert_eq!(
            send(&w.app, sign_in_request("ivan", "wrong password"))
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
    let restarted = router(App::new(
        Registry::open(w.dir.path(), None).unwrap(),
        config(),
    ));
    let r = send(&restarted, sign_in_request("ivan", PASSWORD)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
    // Another user from another address is not held up.
    let mut req = sign_in_request("ann", PASSWORD);
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 2], 1))));
    let res = restarted.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

// ---- 15: a new password or a disabled account ends sessions and tokens ----

#[tokio::test]
async fn a_new_password_or_disabling_ends_every_session_and_token() {
    let w = world();
    let whoami = |cookie: &str| {
        with_cookie(Method::GET, "/api/whoami", cookie)
            .body(Body::empty())
            .unwrap()
    };
    let ann = session_of(&w.app, "ann").await;
    assert_eq!(send(&w.app, whoami(&ann)).await.status, StatusCode::OK);
    let r = call(
        &w,
        Method::POST,
        "/api/users/ann",
        Some(&w.admin),
        Some(json!({"password": "a brand new password"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        send(&w.app, whoami(&ann)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(&w, Method::GET, "/api/whoami", Some(&w.author), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    let ivan = session_of(&w.app, "ivan").await;
    for disabled in [true, false] {
        let r = call(
            &w,
            Method::POST,
            "/api/users/ivan",
            Some(&w.admin),
            Some(json!({"disabled": disabled})),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    assert_eq!(
        send(&w.app, whoami(&ivan)).await.status,
        StatusCode::UNAUTHORIZED,
        "re-enabling brings the old session back"
    );
    assert_eq!(
        call(&w, Method::GET, "/api/whoami", Some(&w.investigator), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // Signing in again works.
    session_of(&w.app, "ivan").await;
}

// ---- 16: the log holds no link secrets and no raw control characters ----

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything logged at debug level by this test binary.
fn captured_log() -> Captured {
    static LOG: OnceLock<Captured> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Captured::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        log
    })
    .clone()
}

#[tokio::test]
async fn the_log_holds_no_link_secrets_and_no_forged_lines() {
    let log = captured_log();
    let w = world();
    let doc = register_memo(&w).await;
    add_recipients(&w, 2).await;
    let links = distribute(&w, &doc, &["r-1"]).await;
    let secret = secret_of(&links[0].1).to_string();
    assert_eq!(
        call(&w, Method::GET, &format!("/r/{secret}"), None, None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        call(
            &w,
            Method::GET,
            &format!("/api/reading/{secret}"),
            None,
            None
        )
        .await
        .status,
        StatusCode::OK
    );
    let forged = "ann\nFORGED-LINE admin signed in\u{1b}[2J";
    assert_eq!(
        send(&w.app, sign_in_request(forged, "wrong password"))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let text = String::from_utf8_lossy(&log.0.lock().unwrap()).into_owned();
    assert!(text.contains("/r/[redacted]"), "the request was logged");
    assert!(text.contains("failed sign-in"), "the failure was logged");
    assert!(!text.contains(&secret), "a link's secret is in the log");
    assert!(
        !text.lines().any(|l| l.starts_with("FORGED-LINE")),
        "a user name forged a log line"
    );
    assert!(!text.contains('\u{1b}'), "an escape code reached the log");
}

// ---- 17: security headers, and pages that need no inline code ----

#[tokio::test]
async fn every_response_carries_the_security_headers_and_pages_need_no_inline_code() {
    let w = world();
    let doc = register_memo(&w).await;
    let ann = session_of(&w.app, "ann").await;
    let get = |path: &str, cookie: &str| {
        with_cookie(Method::GET, path, cookie)
            .body(Body::empty())
            .unwrap()
    };
    for (req, page) in [
        (get("/login", ""), true),
        (get(&format!("/documents/{doc}"), &ann), true),
        (get("/documents", &ann), true),
        (get("/recipients", &ann), true),
        (get(&format!("/r/{}", "0".repeat(64)), ""), true),
        (api(Method::GET, "/api/whoami", None, None), false),
        (
            api(Method::POST, "/api/trace", None, Some(json!({"text": "x"}))),
            false,
        ),
    ] {
        let path = req.uri().to_string();
        let r = send(&w.app, req).await;
        let h = |n: header::HeaderName| {
            r.headers
                .get(&n)
                .unwrap_or_else(|| panic!("{path}: no {n}"))
                .to_str()
                .unwrap()
                .to_string()
        };
        let csp = h(header::CONTENT_SECURITY_POLICY);
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"));
        assert_eq!(h(header::X_FRAME_OPTIONS), "DENY");
        assert_eq!(h(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        assert_eq!(h(header::REFERRER_POLICY), "no-referrer");
        if page {
            let html = r.text();
            assert!(
                !html.contains(" style="),
                "{path}: an inline style attribute"
            );
            assert!(!html.contains("<style"), "{path}: an inline stylesheet");
            assert!(
                html.matches("<script").count() == html.matches("<script src=").count(),
                "{path}: an inline script"
            );
            assert!(!has_event_handler(&html), "{path}: an inline event handler");
        }
    }
    // The evidence report keeps its stylesheet inline (it is a file of its
    // own); its policy allows exactly that stylesheet.
    let r = call(
        &w,
        Method::POST,
        "/api/trace",
        Some(&w.investigator),
        Some(json!({"text": MEMO})),
    )
    .await;
    let id = r.json()["trace_id"].as_i64().unwrap();
    let ivan = session_of(&w.app, "ivan").await;
    let r = send(&w.app, get(&format!("/traces/{id}/report"), &ivan)).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    let css = &html[html.find("<style>").unwrap() + 7..html.find("</style>").unwrap()];
    use base64::Engine;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(css));
    let csp = r.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
    assert!(!csp.contains("unsafe-inline"));
}

/// Whether `html` has an attribute like `onclick=`.
fn has_event_handler(html: &str) -> bool {
    html.match_indices(" on").any(|(at, _)| {
        let rest = &html[at + 3..];
        let name_len = rest.bytes().take_while(u8::is_ascii_lowercase).count();
        name_len > 0 && rest[name_len..].starts_with('=')
    })
}

// ---- 19: revoking a link withdraws the recipient's other links ----

#[tokio::test]
async fn revoking_a_link_withdraws_the_recipients_other_links_to_the_document() {
    let w = world();
    let doc = register_memo(&w).await;
    add_recipients(&w, 2).await;
    let first = distribute(&w, &doc, &["r-1", "r-2"]).await;
    let second = distribute(&w, &doc, &["r-1"]).await;
    let links = call(
        &w,
        Method::GET,
        &format!("/api/documents/{doc}/links"),
        Some(&w.author),
        None,
    )
    .await
    .json();
    let r1: Vec<&str> = links
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["recipient"] == "r-1")
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(r1.len(), 2);
    let r = call(
        &w,
        Method::POST,
        &format!("/api/links/{}/revoke", r1[0]),
        Some(&w.author),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["withdrawn"], 2);
    let open = |url: &str| format!("/api/reading/{}", secret_of(url));
    let r1_urls = first.iter().chain(&second).filter(|(who, _)| who == "r-1");
    for (_, url) in r1_urls {
        assert_eq!(
            call(&w, Method::GET, &open(url), None, None).await.status,
            StatusCode::GONE,
            "a sibling link still opens"
        );
    }
    let (_, r2) = first.iter().find(|(who, _)| who == "r-2").unwrap();
    assert_eq!(
        call(&w, Method::GET, &open(r2), None, None).await.status,
        StatusCode::OK
    );
}

// ---- typed errors: a failure of the server is never the caller's 400 ----

fn database(home: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(home.join(telltale_registry::DB_FILE)).unwrap()
}

#[tokio::test]
async fn failures_of_the_server_are_never_answered_as_bad_requests() {
    let w = world();
    // A Word document whose stored file no longer reads: its zip fails.
    let docx =
        telltale_formats::from_text(MEMO, telltale_formats::FileFormat::Docx, "Kestria").unwrap();
    let r = send(
        &w.app,
        Request::builder()
            .method(Method::POST)
            .uri("/api/documents/file?name=memo.docx")
            .header(header::AUTHORIZATION, format!("Bearer {}", w.author))
            .body(Body::from(docx))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let doc = r.json()["id"].as_str().unwrap().to_string();
    add_recipients(&w, 2).await;
    distribute(&w, &doc, &["r-1", "r-2"]).await;
    database(w.dir.path())
        .execute(
            "UPDATE sources SET bytes = x'504b0304' WHERE document_id = ?1",
            [&doc],
        )
        .unwrap();
    let r = call(
        &w,
        Method::GET,
        &format!("/api/documents/{doc}/copies.zip"),
        Some(&w.author),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.text());
    // A stored trace this build cannot read.
    let r = call(
        &w,
        Method::POST,
        "/api/trace",
        Some(&w.investigator),
        Some(json!({"text": MEMO})),
    )
    .await;
    let id = r.json()["trace_id"].as_i64().unwrap();
    database(w.dir.path())
        .execute(
            "UPDATE traces SET result = '{\"nothing\": 1}' WHERE id = ?1",
            [id],
        )
        .unwrap();
    let r = call(
        &w,
        Method::GET,
        &format!("/api/traces/{id}"),
        Some(&w.investigator),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.text());
    assert!(
        !r.text().contains("older format"),
        "the detail is for the log"
    );
    // Nothing issued yet is the caller's mistake, and says so.
    let fresh = register_memo(&w).await;
    let r = call(
        &w,
        Method::GET,
        &format!("/api/documents/{fresh}/copies.zip"),
        Some(&w.author),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.json()["error"].as_str().unwrap().contains("no copies"));
}

/// Every state-changing route is in the guard's table of who may call it,
/// so its body is never read before the caller is known.
#[test]
fn every_state_changing_route_is_guarded() {
    let guard = include_str!("../src/guard.rs");
    for src in [
        include_str!("../src/api/mod.rs"),
        include_str!("../src/pages/mod.rs"),
    ] {
        let routes = routes_in(src);
        assert!(routes.len() > 15, "{routes:?}");
        for (path, posts) in routes {
            if !posts || ["/login", "/logout"].contains(&path.as_str()) {
                continue;
            }
            assert!(
                guard.contains(&format!("\"{path}\"")),
                "{path} takes POSTs but is not in guard.rs"
            );
        }
    }
}

#[tokio::test]
async fn an_admin_backs_the_registry_up_into_the_servers_backup_directory() {
    let none = world();
    let r = call(
        &none,
        Method::POST,
        "/api/admin/backup",
        Some(&none.admin),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());

    let root = tempfile::tempdir().unwrap();
    let w = world_with(Config {
        backup_dir: Some(root.path().to_path_buf()),
        ..config()
    });
    let r = call(&w, Method::POST, "/api/admin/backup", Some(&w.author), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = call(&w, Method::POST, "/api/admin/backup", Some(&w.admin), None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let v = r.json();
    let dir = std::path::PathBuf::from(v["dir"].as_str().unwrap());
    assert!(dir.starts_with(root.path()), "{dir:?}");
    assert!(v["audit_entries"].as_u64().unwrap() > 0);
    // The backup opens as a registry of its own and verifies.
    let copy = Registry::open(&dir, None).unwrap();
    assert!(copy.verify().unwrap().intact());
}

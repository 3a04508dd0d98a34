//! What the server refuses, in-process: malformed and oversized input,
//! browser sessions without their CSRF token, sign-in storms, and links
//! past their expiry. Requests go through the whole router without a
//! socket.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::json;
use telltale_registry::{Registry, Role};
use telltale_server::{router, App, Config};

mod common;
use common::*;

#[tokio::test]
async fn bad_input_gets_a_clear_one_line_error() {
    let w = world_with(Config {
        secure_cookies: false,
        max_body_bytes: 64 * 1024,
        ..Config::default()
    });
    let post = |body: Body, ct: &str| {
        Request::builder()
            .method(Method::POST)
            .uri("/api/documents")
            .header(header::AUTHORIZATION, format!("Bearer {}", w.author))
            .header(header::CONTENT_TYPE, ct.to_string())
            .body(body)
            .unwrap()
    };
    let cases: Vec<(Request<Body>, StatusCode, &str)> = vec![
        (
            post(
                Body::from(json!({"text": ""}).to_string()),
                "application/json",
            ),
            StatusCode::BAD_REQUEST,
            "empty",
        ),
        (
            post(
                Body::from(json!({"text": "a\u{0}b"}).to_string()),
                "application/json",
            ),
            StatusCode::BAD_REQUEST,
            "binary",
        ),
        (
            post(Body::from("{not json"), "application/json"),
            StatusCode::BAD_REQUEST,
            "JSON",
        ),
        (
            post(
                Body::from(json!({"title": "x"}).to_string()),
                "application/json",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "text",
        ),
        (
            post(
                Body::from(json!({"text": "x".repeat(100_000)}).to_string()),
                "application/json",
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
            "",
        ),
        (
            post(
                Body::from(json!({"text": "Some words.", "profile": "wild"}).to_string()),
                "application/json",
            ),
            StatusCode::BAD_REQUEST,
            "profile",
        ),
    ];
    for (req, want, says) in cases {
        let r = send(&w.app, req).await;
        assert_eq!(r.status, want, "{}", r.text());
        if !says.is_empty() {
            let e = r.json()["error"].as_str().unwrap().to_string();
            assert!(e.contains(says) && !e.contains('\n'), "{e}");
        }
    }
    let r = call(
        &w,
        Method::GET,
        "/api/documents/d-nope",
        Some(&w.author),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"], "document d-nope not found");
    let r = call(
        &w,
        Method::POST,
        "/api/documents/d-nope/distribute",
        Some(&w.author),
        Some(json!({"all": true})),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = call(
        &w,
        Method::GET,
        "/api/traces/999",
        Some(&w.investigator),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = call(&w, Method::GET, "/api/jobs/999", Some(&w.author), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Bad rows of a CSV are listed; good ones kept.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/recipients")
        .header(header::AUTHORIZATION, format!("Bearer {}", w.author))
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from(
            "id,name,email\nr-1,One,\n,No Id,\nr-2,Two,not-an-address\nr-3,Three,t@example.org\n",
        ))
        .unwrap();
    let rep = send(&w.app, req).await.json();
    assert_eq!(rep["added"], 2);
    assert_eq!(rep["rejected"].as_array().unwrap().len(), 2);
    assert_eq!(rep["rejected"][0]["line"], 3);
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/recipients")
        .header(header::AUTHORIZATION, format!("Bearer {}", w.author))
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from(vec![0xff, 0xfe, 0x00, 0x41]))
        .unwrap();
    let r = send(&w.app, req).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["error"].as_str().unwrap().contains("binary"));
    let r = call(
        &w,
        Method::POST,
        "/api/trace",
        Some(&w.investigator),
        Some(json!({"text": "anything", "threshold": 2.0})),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        call(&w, Method::GET, "/healthz", None, None).await.text(),
        "ok"
    );
}

#[tokio::test]
async fn browser_sessions_need_csrf_tokens_and_sign_in_is_rate_limited() {
    let w = world();
    let r = sign_in(&w, "ann", PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let set = r.headers[header::SET_COOKIE].to_str().unwrap().to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let session = set.split(';').next().unwrap().to_string();
    let get = |path: &str| {
        Request::builder()
            .uri(path)
            .header(header::COOKIE, &session)
            .body(Body::empty())
            .unwrap()
    };
    let page = send(&w.app, get("/documents")).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = csrf_of(&page.text());
    let post = |path: &str, body: String| {
        Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::COOKIE, &session)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    // Without the token, or with a wrong one: refused, nothing made.
    let r = send(&w.app, post("/lists", "name=x&members=r-1".into())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(
        &w.app,
        post(
            "/lists",
            "name=x&members=r-1&csrf=00000000000000000000000000000000".into(),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(&w.app, post("/tokens", format!("label=cron&csrf={csrf}"))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("tt_"), "the new token is shown once");
    // The same for the JSON API used with a cookie.
    let r = send(
        &w.app,
        Request::builder()
            .method(Method::POST)
            .uri("/api/tokens")
            .header(header::COOKIE, &session)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"label":"x"}"#))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(
        &w.app,
        Request::builder()
            .method(Method::POST)
            .uri("/api/tokens")
            .header(header::COOKIE, &session)
            .header("x-csrf-token", &csrf)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"label":"x"}"#))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    // Multipart forms carry it as a field.
    let boundary = "XyZ";
    let mp = |csrf: &str| {
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"csv_text\"\r\n\r\nid,name\nr-1,One\n\r\n--{boundary}--\r\n")
    };
    let upload = |body: String| {
        Request::builder()
            .method(Method::POST)
            .uri("/recipients")
            .header(header::COOKIE, &session)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap()
    };
    assert_eq!(
        send(&w.app, upload(mp("wrong"))).await.status,
        StatusCode::FORBIDDEN
    );
    let r = send(&w.app, upload(mp(&csrf))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("1 added"));
    // An author's session does not reach the trace page.
    assert_eq!(
        send(&w.app, get("/trace")).await.status,
        StatusCode::FORBIDDEN
    );
    // Signing out ends the session.
    let r = send(&w.app, post("/logout", format!("csrf={csrf}"))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = send(&w.app, get("/documents")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers[header::LOCATION], "/login");

    // Five failures, then even the right password is refused for a while.
    for _ in 0..5 {
        assert_eq!(
            sign_in(&w, "ivan", "wrong password").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let r = sign_in(&w, "ivan", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().contains("Too many failed sign-ins"));
    // A forged sign-in form (no matching double-submit cookie) is refused.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "user=ada&password={}&login_csrf=abc",
            PASSWORD.replace(' ', "+")
        )))
        .unwrap();
    assert_eq!(send(&w.app, req).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn expired_links_do_not_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Registry::init(dir.path(), None).unwrap();
    let d = r
        .add_document(
            "The minister said that the talks had stalled, and the deal was signed in March.",
            None,
            telltale_core::rules::Format::Plain,
        )
        .unwrap();
    r.add_recipient(&telltale_store::Recipient {
        id: "r-1".into(),
        name: "One".into(),
        email: None,
    })
    .unwrap();
    r.issue(&d.id, &["r-1".into()], &mut |_, _| {}).unwrap();
    let expired = r
        .create_links(&d.id, &["r-1".into()], Some(telltale_registry::now() - 60))
        .unwrap();
    let live = r
        .create_links(
            &d.id,
            &["r-1".into()],
            Some(telltale_registry::now() + 3600),
        )
        .unwrap();
    r.add_user("ann", Role::Author, PASSWORD).unwrap();
    let author = r.create_api_token("ann", "t").unwrap().0;
    let w = World {
        dir,
        app: router(App::new(r, Config::default())),
        admin: String::new(),
        author,
        investigator: String::new(),
    };
    let r = call(
        &w,
        Method::GET,
        &format!("/api/reading/{}", expired[0].1),
        None,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::GONE);
    assert_eq!(r.json()["error"], "this link has expired");
    assert_eq!(
        call(&w, Method::GET, &format!("/r/{}", expired[0].1), None, None)
            .await
            .status,
        StatusCode::GONE
    );
    let r = call(&w, Method::GET, &format!("/r/{}", live[0].1), None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("This link stops working on"));
    let r = call(
        &w,
        Method::POST,
        &format!("/api/documents/{}/distribute", d.id),
        Some(&w.author),
        Some(json!({"all": true, "expires_days": 0})),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        call(&w, Method::GET, "/r/short", None, None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(
            &w,
            Method::GET,
            &format!("/r/{}", "z".repeat(64)),
            None,
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

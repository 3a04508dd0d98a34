//! The server in-process: every endpoint, every role, and the cases that
//! must be refused. Requests go through the whole router (limits, CSRF
//! guard, handlers) without a socket.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use telltale_registry::{Registry, Role};
use telltale_server::{router, App, Config};
use tower::ServiceExt;

struct World {
    _dir: tempfile::TempDir,
    app: Router,
    admin: String,
    author: String,
    investigator: String,
}

const PASSWORD: &str = "a long password";

fn world_with(config: Config) -> World {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Registry::init(dir.path(), None).unwrap();
    let mut tokens = Vec::new();
    for (name, role) in [
        ("ada", Role::Admin),
        ("ann", Role::Author),
        ("ivan", Role::Investigator),
    ] {
        r.add_user(name, role, PASSWORD).unwrap();
        tokens.push(r.create_api_token(name, "tests").unwrap().0);
    }
    World {
        _dir: dir,
        app: router(App::new(r, config)),
        admin: tokens[0].clone(),
        author: tokens[1].clone(),
        investigator: tokens[2].clone(),
    }
}

fn world() -> World {
    world_with(Config {
        secure_cookies: false,
        base_url: "http://telltale.test".into(),
        ..Config::default()
    })
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.text()))
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

async fn send(app: &Router, mut req: Request<Body>) -> Reply {
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

fn api(method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    match body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    }
}

async fn call(
    w: &World,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Reply {
    send(&w.app, api(method, path, token, body)).await
}

const MEMO: &str = telltale_core::sample::MEMO;

/// Register the memo, import 20 recipients, distribute with links; the
/// document id and the links (recipient, url).
async fn distributed(w: &World) -> (String, Vec<(String, String)>) {
    let r = call(
        w,
        Method::POST,
        "/api/documents",
        Some(&w.author),
        Some(json!({"text": MEMO, "title": "Kestria"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let doc = r.json()["id"].as_str().unwrap().to_string();
    let mut csv = String::from("id,name,email\n");
    for i in 1..=20 {
        csv.push_str(&format!("r-{i:02},Person {i},p{i}@example.org\n"));
    }
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/recipients")
        .header(header::AUTHORIZATION, format!("Bearer {}", w.author))
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from(csv))
        .unwrap();
    let r = send(&w.app, req).await;
    assert_eq!(r.json()["added"], 20, "{}", r.text());
    let r = call(
        w,
        Method::POST,
        &format!("/api/documents/{doc}/distribute"),
        Some(&w.author),
        Some(json!({"all": true})),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    let job = r.json()["id"].as_u64().unwrap();
    let mut links = Vec::new();
    for _ in 0..600 {
        let r = call(
            w,
            Method::GET,
            &format!("/api/jobs/{job}"),
            Some(&w.author),
            None,
        )
        .await;
        let j = r.json();
        if j["finished"] == true {
            assert!(j["error"].is_null(), "{j}");
            assert_eq!(j["done"], 20);
            for l in j["links"].as_array().unwrap() {
                links.push((
                    l["recipient"].as_str().unwrap().to_string(),
                    l["url"].as_str().unwrap().to_string(),
                ));
            }
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(links.len(), 20, "the job finished with a link each");
    (doc, links)
}

/// Poll a distribution job until it has finished; its final state.
async fn wait_for_job(w: &World, job: u64) -> Value {
    for _ in 0..600 {
        let j = call(
            w,
            Method::GET,
            &format!("/api/jobs/{job}"),
            Some(&w.author),
            None,
        )
        .await
        .json();
        if j["finished"] == true {
            return j;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("job {job} did not finish")
}

fn secret_of(url: &str) -> &str {
    url.rsplit('/').next().unwrap()
}

/// A run of words from the middle of a copy, as a newspaper would quote it.
fn excerpt(copy: &str, words: usize) -> String {
    let ws: Vec<&str> = copy.split_whitespace().collect();
    ws[200..200 + words].join(" ")
}

#[tokio::test]
async fn the_whole_story_over_the_api() {
    let w = world();
    let (doc, links) = distributed(&w).await;
    assert!(links
        .iter()
        .all(|(_, u)| u.starts_with("http://telltale.test/r/")));

    // The review data: capacity, slots, estimate.
    let r = call(
        &w,
        Method::GET,
        &format!("/api/documents/{doc}"),
        Some(&w.author),
        None,
    )
    .await;
    let d = r.json();
    assert_eq!(d["issued"], 20);
    assert!(d["slots"].as_array().unwrap().len() > 50);
    assert!(
        d["shortest_identifying_quote"]["pasted_words"]
            .as_u64()
            .is_some(),
        "{}",
        d["shortest_identifying_quote"]
    );

    // A recipient reads their copy through their link; it is their copy.
    let (who, url) = &links[7];
    let r = call(
        &w,
        Method::GET,
        &format!("/api/reading/{}", secret_of(url)),
        None,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let copy = r.json()["text"].as_str().unwrap().to_string();
    let page = call(
        &w,
        Method::GET,
        &format!("/r/{}", secret_of(url)),
        None,
        None,
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers[header::CACHE_CONTROL], "no-store");
    assert!(page.text().contains("Person 8"));

    // The zip holds every copy as issued.
    let r = call(
        &w,
        Method::GET,
        &format!("/api/documents/{doc}/copies.zip"),
        Some(&w.author),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(r.body)).unwrap();
    assert_eq!(z.len(), 20);
    let mut in_zip = String::new();
    std::io::Read::read_to_string(&mut z.by_name(&format!("{who}.txt")).unwrap(), &mut in_zip)
        .unwrap();
    assert_eq!(in_zip, copy);

    // An investigator traces a pasted excerpt of it and gets that recipient.
    let quote = format!("The paper printed: \"{}\" and more.", excerpt(&copy, 120));
    let r = call(
        &w,
        Method::POST,
        "/api/trace",
        Some(&w.investigator),
        Some(json!({"text": quote})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let t = r.json();
    assert_eq!(t["report"]["documents"][0]["accused"], json!([who]), "{t}");
    let id = t["trace_id"].as_i64().unwrap();
    let r = call(
        &w,
        Method::GET,
        &format!("/api/traces/{id}"),
        Some(&w.investigator),
        None,
    )
    .await;
    assert_eq!(r.json()["input"], json!(quote));
    let r = call(
        &w,
        Method::GET,
        &format!("/traces/{id}/report"),
        Some(&w.investigator),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let report = r.text();
    let hash = blake3::hash(quote.as_bytes()).to_hex().to_string();
    assert!(report.contains(&hash), "the report names the input's hash");
    assert!(report.contains("Method") && report.contains("Person 8"));
    assert!(!report.contains("<script"), "the report is self-contained");

    // Everything that changed state or revealed a copy is in the audit log.
    let r = call(&w, Method::GET, "/api/audit", Some(&w.admin), None).await;
    let a = r.json();
    assert_eq!(a["verified"]["intact"], true);
    let actions: Vec<&str> = a["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for want in [
        "doc.add",
        "recipients.import",
        "issue",
        "link.create",
        "link.view",
        "copies.download",
        "trace",
    ] {
        assert!(actions.contains(&want), "{want} missing from {actions:?}");
    }
    let actors: Vec<&str> = a["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert!(actors.contains(&"api:ann") && actors.contains(&"api:ivan"));

    // Revoked and expired links stop opening; a changed secret opens nothing.
    let r = call(
        &w,
        Method::GET,
        &format!("/api/documents/{doc}/links"),
        Some(&w.author),
        None,
    )
    .await;
    let link_id = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["recipient"] == json!(who))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut other = secret_of(url).to_string();
    other.replace_range(0..1, if other.starts_with('0') { "1" } else { "0" });
    assert_eq!(
        call(
            &w,
            Method::GET,
            &format!("/api/reading/{other}"),
            None,
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(&w, Method::GET, &format!("/r/{other}"), None, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(
            &w,
            Method::POST,
            &format!("/api/links/{link_id}/revoke"),
            Some(&w.author),
            None
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        call(
            &w,
            Method::GET,
            &format!("/api/reading/{}", secret_of(url)),
            None,
            None
        )
        .await
        .status,
        StatusCode::GONE
    );
    assert_eq!(
        call(
            &w,
            Method::GET,
            &format!("/r/{}", secret_of(url)),
            None,
            None
        )
        .await
        .status,
        StatusCode::GONE
    );
}

#[tokio::test]
async fn every_role_reaches_only_its_own_endpoints() {
    let w = world();
    let (doc, links) = distributed(&w).await;
    let r = call(
        &w,
        Method::POST,
        "/api/trace",
        Some(&w.investigator),
        Some(json!({"text": excerpt(MEMO, 60)})),
    )
    .await;
    let trace = r.json()["trace_id"].as_i64().unwrap();
    let link = secret_of(&links[0].1).to_string();
    use Role::*;
    // (method, path, body, roles allowed)
    let cases: Vec<(Method, String, Option<Value>, Vec<Role>)> = vec![
        (
            Method::GET,
            "/api/whoami".into(),
            None,
            vec![Admin, Author, Investigator],
        ),
        (Method::GET, "/api/documents".into(), None, vec![Author]),
        (
            Method::POST,
            "/api/documents".into(),
            Some(
                json!({"text": "The talks stalled. Officials believe that the port will open in June."}),
            ),
            vec![Author],
        ),
        (
            Method::GET,
            format!("/api/documents/{doc}"),
            None,
            vec![Author],
        ),
        (
            Method::GET,
            format!("/api/documents/{doc}/links"),
            None,
            vec![Author],
        ),
        (
            Method::GET,
            format!("/api/documents/{doc}/copies.zip"),
            None,
            vec![Author],
        ),
        (Method::GET, "/api/recipients".into(), None, vec![Author]),
        (
            Method::POST,
            "/api/recipients".into(),
            Some(json!([{"id": "r-99", "name": "New Person", "email": null}])),
            vec![Author],
        ),
        (Method::GET, "/api/lists".into(), None, vec![Author]),
        (
            Method::POST,
            "/api/lists".into(),
            Some(json!({"name": "board", "members": ["r-01", "r-02"]})),
            vec![Author],
        ),
        (
            Method::POST,
            "/api/trace".into(),
            Some(json!({"text": excerpt(MEMO, 40)})),
            vec![Investigator],
        ),
        (Method::GET, "/api/traces".into(), None, vec![Investigator]),
        (
            Method::GET,
            format!("/api/traces/{trace}"),
            None,
            vec![Investigator],
        ),
        (
            Method::GET,
            format!("/traces/{trace}/report"),
            None,
            vec![Investigator],
        ),
        (
            Method::GET,
            "/api/audit".into(),
            None,
            vec![Admin, Investigator],
        ),
        (Method::GET, "/api/users".into(), None, vec![Admin]),
        (
            Method::GET,
            "/api/tokens".into(),
            None,
            vec![Admin, Author, Investigator],
        ),
    ];
    for (method, path, body, allowed) in &cases {
        let r = call(&w, method.clone(), path, None, body.clone()).await;
        if path.starts_with("/api/") {
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} without a token"
            );
            assert!(r.json()["error"].is_string());
        } else {
            assert_eq!(
                r.status,
                StatusCode::SEE_OTHER,
                "{method} {path}: browsers go to sign in"
            );
            assert_eq!(r.headers[header::LOCATION], "/login");
        }
        for (role, token) in [
            (Admin, &w.admin),
            (Author, &w.author),
            (Investigator, &w.investigator),
        ] {
            let r = call(&w, method.clone(), path, Some(token), body.clone()).await;
            if allowed.contains(&role) {
                assert!(
                    r.status.is_success(),
                    "{method} {path} as {role:?}: {} {}",
                    r.status,
                    r.text()
                );
            } else {
                assert_eq!(
                    r.status,
                    StatusCode::FORBIDDEN,
                    "{method} {path} as {role:?}: {}",
                    r.text()
                );
                assert!(r.json()["error"].as_str().unwrap().contains("role"));
            }
        }
    }
    // Admin-only changes, and their refusals.
    let r = call(
        &w,
        Method::POST,
        "/api/users",
        Some(&w.author),
        Some(json!({"name": "eve", "role": "admin", "password": PASSWORD})),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = call(
        &w,
        Method::POST,
        "/api/users",
        Some(&w.admin),
        Some(json!({"name": "otto", "role": "author", "password": PASSWORD})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = call(
        &w,
        Method::POST,
        "/api/users",
        Some(&w.admin),
        Some(json!({"name": "otto", "role": "author", "password": PASSWORD})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = call(
        &w,
        Method::POST,
        "/api/users/ada",
        Some(&w.admin),
        Some(json!({"disabled": true})),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "an admin cannot lock themselves out"
    );
    // A disabled user's token stops working at once.
    let r = call(
        &w,
        Method::POST,
        "/api/users/ivan",
        Some(&w.admin),
        Some(json!({"disabled": true})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        call(&w, Method::GET, "/api/traces", Some(&w.investigator), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // A reading-room secret is not an API token, and a token does not open a copy.
    assert_eq!(
        call(&w, Method::GET, "/api/documents", Some(&link), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(
            &w,
            Method::GET,
            &format!("/api/reading/{}", &w.author[3..]),
            None,
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    // Tokens: made once, listed without secrets, revoked.
    let r = call(
        &w,
        Method::POST,
        "/api/tokens",
        Some(&w.author),
        Some(json!({"label": "cron"})),
    )
    .await;
    let t = r.json();
    let (tid, secret) = (
        t["id"].as_str().unwrap().to_string(),
        t["token"].as_str().unwrap().to_string(),
    );
    assert_eq!(
        call(&w, Method::GET, "/api/whoami", Some(&secret), None)
            .await
            .json()["name"],
        "ann"
    );
    let listed = call(&w, Method::GET, "/api/tokens", Some(&w.author), None)
        .await
        .text();
    assert!(!listed.contains(&secret[3..]));
    assert_eq!(
        call(
            &w,
            Method::POST,
            &format!("/api/tokens/{tid}/revoke"),
            Some(&w.investigator),
            None
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(
            &w,
            Method::POST,
            &format!("/api/tokens/{tid}/revoke"),
            Some(&w.author),
            None
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        call(&w, Method::GET, "/api/whoami", Some(&secret), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn rules_can_change_until_the_first_copy_is_issued() {
    let w = world();
    let text = "The minister said that the talks had stalled, and the deal was signed in March. Officials believe that the port will open in June, despite the delays; the programme will realise savings.";
    let r = call(
        &w,
        Method::POST,
        "/api/documents",
        Some(&w.author),
        Some(json!({"text": text})),
    )
    .await;
    let doc = r.json()["id"].as_str().unwrap().to_string();
    let d = call(
        &w,
        Method::GET,
        &format!("/api/documents/{doc}"),
        Some(&w.author),
        None,
    )
    .await
    .json();
    let before = d["slots"].as_array().unwrap().len();
    let class = d["slots"][0]["class"].as_str().unwrap().to_string();
    let r = call(
        &w,
        Method::POST,
        &format!("/api/documents/{doc}/rules"),
        Some(&w.author),
        Some(json!({"disabled": [class]})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let d = call(
        &w,
        Method::GET,
        &format!("/api/documents/{doc}"),
        Some(&w.author),
        None,
    )
    .await
    .json();
    assert!(d["slots"].as_array().unwrap().len() < before);
    assert!(d["slots"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["class"] != json!(class)));
    assert_eq!(
        call(
            &w,
            Method::POST,
            &format!("/api/documents/{doc}/rules"),
            Some(&w.author),
            Some(json!({"disabled": ["no-such-class"]}))
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
    call(
        &w,
        Method::POST,
        "/api/recipients",
        Some(&w.author),
        Some(json!([{"id": "r-1", "name": "One", "email": null}])),
    )
    .await;
    let r = call(
        &w,
        Method::POST,
        &format!("/api/documents/{doc}/distribute"),
        Some(&w.author),
        Some(json!({"recipients": ["r-1"], "links": false})),
    )
    .await;
    let job = r.json()["id"].as_u64().unwrap();
    wait_for_job(&w, job).await;
    let r = call(
        &w,
        Method::POST,
        &format!("/api/documents/{doc}/rules"),
        Some(&w.author),
        Some(json!({"disabled": []})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    // Another author's job is not visible.
    let other = call(
        &w,
        Method::POST,
        "/api/users",
        Some(&w.admin),
        Some(json!({"name": "zed", "role": "author", "password": PASSWORD})),
    )
    .await;
    assert!(other.status.is_success());
}

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

/// Sign in as a browser would: the form's double-submit cookie, then the
/// session cookie and the CSRF token from a page.
async fn sign_in(w: &World, user: &str, password: &str) -> Reply {
    let r = call(w, Method::GET, "/login", None, None).await;
    let cookie = r.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let token = cookie.split_once('=').unwrap().1.to_string();
    let req = Request::builder()
        .method(Method::POST)
        .uri("/login")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "user={user}&password={}&login_csrf={token}",
            password.replace(' ', "+")
        )))
        .unwrap();
    send(&w.app, req).await
}

fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    page[at..at + 32].to_string()
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
            "txt",
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
        _dir: dir,
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

#[tokio::test]
async fn the_openapi_document_lists_every_api_route() {
    let w = world();
    let r = call(&w, Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.json();
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    let src = include_str!("../src/api.rs");
    let routed: Vec<&str> = src
        .lines()
        .filter_map(|l| l.trim().strip_prefix(".route(\""))
        .map(|l| l.split('"').next().unwrap())
        .collect();
    assert!(routed.len() > 20);
    for p in routed {
        assert!(
            paths.iter().any(|q| q.as_str() == p),
            "{p} is not in the OpenAPI document"
        );
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn word_documents_in_and_out_and_leaked_files_traced() {
    let w = world();
    let docx =
        telltale_formats::from_text(MEMO, telltale_formats::Format::Docx, "Kestria").unwrap();
    let upload = |path: &str, token: &str, body: Vec<u8>| {
        Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .body(Body::from(body))
            .unwrap()
    };
    let r = send(
        &w.app,
        upload(
            "/api/documents/file?name=memo.docx&title=Kestria",
            &w.author,
            docx,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["format"], "docx");
    let doc = r.json()["id"].as_str().unwrap().to_string();
    let r = send(
        &w.app,
        upload(
            "/api/documents/file?name=memo.odt",
            &w.author,
            b"x".to_vec(),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = send(
        &w.app,
        upload(
            "/api/documents/file?name=memo.docx",
            &w.author,
            b"PK garbage".to_vec(),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert!(r.json()["error"].as_str().unwrap().contains("DOCX"));

    call(&w, Method::POST, "/api/recipients", Some(&w.author), Some(json!([{"id": "r-1", "name": "One", "email": null}, {"id": "r-2", "name": "Two", "email": null}]))).await;
    let r = call(
        &w,
        Method::POST,
        &format!("/api/documents/{doc}/distribute"),
        Some(&w.author),
        Some(json!({"all": true, "links": false})),
    )
    .await;
    let job = r.json()["id"].as_u64().unwrap();
    wait_for_job(&w, job).await;
    let r = call(
        &w,
        Method::GET,
        &format!("/api/documents/{doc}/copies.zip"),
        Some(&w.author),
        None,
    )
    .await;
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(r.body)).unwrap();
    let mut copy = Vec::new();
    std::io::Read::read_to_end(
        &mut z
            .by_name("r-2.docx")
            .expect("Word copies of a Word original"),
        &mut copy,
    )
    .unwrap();
    let r = send(
        &w.app,
        upload("/api/trace/file?name=leak.docx", &w.investigator, copy),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.json()["report"]["documents"][0]["accused"],
        json!(["r-2"])
    );
    let r = send(
        &w.app,
        upload(
            "/api/trace/file?name=scan.pdf",
            &w.investigator,
            b"%PDF".to_vec(),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["error"].as_str().unwrap().contains("PDF"));
    let r = send(
        &w.app,
        upload(
            "/api/trace/file?name=memo.odt",
            &w.investigator,
            b"x".to_vec(),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = send(
        &w.app,
        upload(
            "/api/trace/file?name=photo.png",
            &w.investigator,
            b"not an image".to_vec(),
        ),
    )
    .await;
    assert!(
        r.status.is_client_error() || r.status == StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        r.status
    );
    assert!(r.json()["error"]
        .as_str()
        .unwrap()
        .starts_with("photo.png: "));
    let r = send(
        &w.app,
        upload("/api/trace/file?name=leak.docx", &w.author, b"x".to_vec()),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

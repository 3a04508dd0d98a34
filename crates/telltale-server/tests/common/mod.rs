//! What the server's tests share: a registry with one user of each role
//! behind the whole router, and requests sent through it without a socket.

// Each test binary uses its own part of this.
#![allow(dead_code)]

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

pub const PASSWORD: &str = "a long password";
pub const MEMO: &str = telltale_core::sample::MEMO;

/// A registry in a temporary directory behind the router, with an API
/// token for each of its users: ada (admin), ann (author), ivan
/// (investigator).
pub struct World {
    pub dir: tempfile::TempDir,
    pub app: Router,
    pub admin: String,
    pub author: String,
    pub investigator: String,
}

pub fn world_with(config: Config) -> World {
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
        dir,
        app: router(App::new(r, config)),
        admin: tokens[0].clone(),
        author: tokens[1].clone(),
        investigator: tokens[2].clone(),
    }
}

/// Plain-HTTP cookies and a fixed base URL for links.
pub fn config() -> Config {
    Config {
        secure_cookies: false,
        base_url: "http://telltale.test".into(),
        ..Config::default()
    }
}

pub fn world() -> World {
    world_with(config())
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.text()))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub async fn send(app: &Router, mut req: Request<Body>) -> Reply {
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

pub fn api(method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Request<Body> {
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

pub async fn call(
    w: &World,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Reply {
    send(&w.app, api(method, path, token, body)).await
}

/// Poll a job until it has finished; its final state. A registration runs
/// the language model, which a loaded machine makes slow.
pub async fn wait_for_job(w: &World, job: u64) -> Value {
    for _ in 0..6000 {
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

pub fn secret_of(url: &str) -> &str {
    url.rsplit('/').next().unwrap()
}

/// Sign in as a browser would: the form's double-submit cookie, then the
/// session cookie and the CSRF token from a page.
pub async fn sign_in(w: &World, user: &str, password: &str) -> Reply {
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

pub fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    page[at..at + 32].to_string()
}

/// A browser's signed-in session: its cookie and the CSRF token its pages
/// carry.
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

impl Session {
    /// Sign `user` in (with the shared test password) and read the CSRF
    /// token from `page`, a page that user may see.
    pub async fn start(w: &World, user: &str, page: &str) -> Session {
        let r = sign_in(w, user, PASSWORD).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let set = r.headers[header::SET_COOKIE].to_str().unwrap();
        let cookie = set.split(';').next().unwrap().to_string();
        let mut s = Session {
            cookie,
            csrf: String::new(),
        };
        s.csrf = csrf_of(&send(&w.app, s.get(page)).await.text());
        s
    }

    pub fn get(&self, path: &str) -> Request<Body> {
        Request::builder()
            .uri(path)
            .header(header::COOKIE, &self.cookie)
            .body(Body::empty())
            .unwrap()
    }

    /// A form post; `body` is URL-encoded and gets the CSRF token added.
    pub fn post(&self, path: &str, body: &str) -> Request<Body> {
        let sep = if body.is_empty() { "" } else { "&" };
        Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::COOKIE, &self.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("{body}{sep}csrf={}", self.csrf)))
            .unwrap()
    }
}

/// Register the sample memo through the API as the author; its id.
pub async fn register_memo(w: &World) -> String {
    let r = call(
        w,
        Method::POST,
        "/api/documents",
        Some(&w.author),
        Some(json!({"text": MEMO, "title": "Kestria"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_string()
}

/// Three words of the memo that occur once in it: a phrase to give
/// alternatives for.
pub fn memo_phrase() -> String {
    MEMO.split_whitespace()
        .skip(5)
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The routes a router's source declares: each path, and whether it takes
/// POSTs. Reads `.route("PATH", HANDLERS)` however rustfmt wrapped it.
pub fn routes_in(src: &str) -> Vec<(String, bool)> {
    src.split(".route(")
        .skip(1)
        .filter_map(|call| {
            // The call's arguments end at the next route, or at the end of
            // the function that builds the router.
            let call = call.split("\n}").next()?.trim_start();
            let rest = call.strip_prefix('"')?;
            let path = rest.split('"').next()?.to_string();
            Some((path, call.contains("post(")))
        })
        .collect()
}

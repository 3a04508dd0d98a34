//! Who is asking: session cookies and API tokens, roles, CSRF tokens and
//! the sign-in rate limit.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use telltale_registry::accounts::csrf_token;
use telltale_registry::{Role, User};

use crate::{App, Failure};

pub const SESSION_COOKIE: &str = "telltale_session";
/// Double-submit cookie that protects the sign-in form itself.
pub const LOGIN_COOKIE: &str = "telltale_login";

/// The signed-in user behind a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    /// The session's secret, when signed in by cookie (not by API token).
    session: Option<String>,
}

impl Caller {
    /// The CSRF token forms must carry (empty for API-token callers, who
    /// need none).
    pub fn csrf(&self) -> String {
        self.session.as_deref().map(csrf_token).unwrap_or_default()
    }

    /// The name the audit log records.
    pub fn actor(&self) -> String {
        match self.session {
            Some(_) => format!("web:{}", self.user.name),
            None => format!("api:{}", self.user.name),
        }
    }
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// The caller, if the request carries a live session or API token.
pub async fn caller(app: &App, headers: &HeaderMap) -> Result<Option<Caller>, Failure> {
    if let Some(token) = bearer(headers) {
        let token = token.to_string();
        let user = app.run("api".into(), move |r| r.token_user(&token)).await?;
        return match user {
            Some(user) => Ok(Some(Caller {
                user,
                session: None,
            })),
            None => Err(Failure::new(
                StatusCode::UNAUTHORIZED,
                "the API token is unknown or revoked",
            )),
        };
    }
    if let Some(token) = cookie(headers, SESSION_COOKIE) {
        let token = token.to_string();
        let t2 = token.clone();
        let user = app.run("web".into(), move |r| r.session_user(&t2)).await?;
        return Ok(user.map(|user| Caller {
            user,
            session: Some(token),
        }));
    }
    Ok(None)
}

/// The caller, who must hold one of `roles`. Browsers that are not signed
/// in are sent to the sign-in page.
pub async fn require(
    app: &App,
    headers: &HeaderMap,
    roles: &[Role],
    html: bool,
) -> Result<Caller, Failure> {
    let Some(c) = caller(app, headers).await.map_err(|f| f.with_html(html))? else {
        if html {
            let mut f = Failure::new(StatusCode::SEE_OTHER, "sign in first");
            f.location = Some("/login".into());
            return Err(f);
        }
        return Err(Failure::new(
            StatusCode::UNAUTHORIZED,
            "sign in, or send an API token as 'Authorization: Bearer tt_…'",
        ));
    };
    if !roles.contains(&c.user.role) {
        let names: Vec<&str> = roles.iter().map(|r| r.name()).collect();
        return Err(Failure::forbidden(format!(
            "this needs the {} role; {} is {}",
            names.join(" or "),
            c.user.name,
            c.user.role.name()
        ))
        .with_html(html));
    }
    Ok(c)
}

impl Failure {
    pub fn with_html(mut self, html: bool) -> Failure {
        self.html = html;
        self
    }
}

/// Sign-in failures by user name and by client address.
#[derive(Default)]
pub struct Limiter {
    failures: HashMap<String, Vec<Instant>>,
}

impl Limiter {
    /// `Err(wait)` if `key` has used up its failures within the window.
    pub fn check(&mut self, key: &str, max: u32, window: Duration) -> Result<(), Duration> {
        let now = Instant::now();
        let v = self.failures.entry(key.to_string()).or_default();
        v.retain(|t| now.duration_since(*t) < window);
        if v.len() as u32 >= max {
            let oldest = v[0];
            return Err(window.saturating_sub(now.duration_since(oldest)));
        }
        Ok(())
    }

    pub fn fail(&mut self, key: &str) {
        self.failures
            .entry(key.to_string())
            .or_default()
            .push(Instant::now());
        // Bound the memory an attacker can make us spend on names.
        if self.failures.len() > 100_000 {
            self.failures.clear();
        }
    }

    pub fn clear(&mut self, key: &str) {
        self.failures.remove(key);
    }
}

fn unsafe_method(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Every state-changing request made with a session cookie must carry the
/// session's CSRF token, as an `X-CSRF-Token` header or a `csrf` form field
/// (URL-encoded or multipart). API-token requests carry no cookie and are
/// not subject to it; the sign-in form has its own double-submit check.
pub async fn csrf_guard(State(app): State<App>, req: Request, next: Next) -> Response {
    if !unsafe_method(req.method())
        || req.uri().path() == "/login"
        || req.headers().contains_key(header::AUTHORIZATION)
    {
        return next.run(req).await;
    }
    let Some(session) = cookie(req.headers(), SESSION_COOKIE).map(str::to_string) else {
        return next.run(req).await;
    };
    let want = csrf_token(&session);
    let html = !req.uri().path().starts_with("/api/");
    if let Some(got) = req.headers().get("x-csrf-token") {
        if got.as_bytes() == want.as_bytes() {
            return next.run(req).await;
        }
        return refuse(html);
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let (parts, body) = req.into_parts();
    let limit = app.config().max_body_bytes;
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => {
            return Failure::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request is larger than the limit of {limit} bytes"),
            )
            .with_html(html)
            .into_response()
        }
    };
    let found = if content_type.starts_with("application/x-www-form-urlencoded") {
        form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.into_owned())
    } else if content_type.starts_with("multipart/form-data") {
        multipart_field(&parts.headers, bytes.clone(), "csrf").await
    } else {
        None
    };
    if found.as_deref() != Some(want.as_str()) {
        return refuse(html);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn refuse(html: bool) -> Response {
    Failure::forbidden(
        "the form's security token is missing or stale; reload the page and try again",
    )
    .with_html(html)
    .into_response()
}

async fn multipart_field(
    headers: &HeaderMap,
    bytes: axum::body::Bytes,
    name: &str,
) -> Option<String> {
    use axum::extract::FromRequest;
    let mut req = Request::new(Body::from(bytes));
    *req.headers_mut() = headers.clone();
    let mut mp = axum::extract::Multipart::from_request(req, &())
        .await
        .ok()?;
    while let Ok(Some(field)) = mp.next_field().await {
        if field.name() == Some(name) {
            return field.text().await.ok();
        }
    }
    None
}

/// A `Set-Cookie` value.
pub fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    )
}

//! The gate every request passes before its body is read: the route's
//! size limit against the declared length, who is asking and in what
//! role, the CSRF token of browser sessions, and a bound on uploads in
//! flight.
//!
//! Extractors read a body before a handler's first line runs, so checks
//! made in handlers come too late: an outsider could make the server
//! buffer 20 MB per connection without ever signing in. Here nothing of
//! the body is read until the caller is known (only the first few
//! kilobytes of a browser's multipart form, where its CSRF token is, and
//! small URL-encoded forms), and large bodies are taken only from callers
//! whose role may send them, a few at a time (those declared larger than
//! 1 MiB, or of undeclared length).

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use telltale_registry::accounts::csrf_token;
use telltale_registry::Role;

use crate::auth::{self, require};
use crate::{App, Failure};

/// Largest body of a route anyone may call (sign-in, sign-out, unknown
/// routes, and every GET).
pub const PUBLIC_BODY_BYTES: usize = 16 * 1024;
/// Largest body of a signed-in caller's form or JSON request that is not
/// an upload (a distribution naming many recipients fits).
pub const FORM_BODY_BYTES: usize = 4 * 1024 * 1024;
/// Uploads declared at most this large (a pasted leak, a short memo) do
/// not wait for an upload slot: they cost little, and traces run many at
/// a time.
pub const SMALL_UPLOAD_BYTES: u64 = 1024 * 1024;
/// How much of a browser's multipart form is read to find its CSRF
/// token (every form sends it first), and the largest URL-encoded form
/// read for one.
pub const CSRF_SCAN_BYTES: usize = 64 * 1024;

/// Who may call a route, and whether it takes uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Spec {
    roles: Option<&'static [Role]>,
    upload: bool,
}

const AUTHOR: &[Role] = &[Role::Author];
const INVESTIGATOR: &[Role] = &[Role::Investigator];
const ADMIN: &[Role] = &[Role::Admin];

/// The state-changing routes and who may call them (the handlers check
/// the same again). A route missing here gets the smallest body limit,
/// so a new upload route cannot be forgotten silently.
fn spec(method: &Method, route: &str) -> Spec {
    let (roles, upload): (Option<&'static [Role]>, bool) = if method != Method::POST {
        (None, false)
    } else {
        match route {
            "/documents"
            | "/recipients"
            | "/api/documents"
            | "/api/documents/file"
            | "/api/recipients" => (Some(AUTHOR), true),
            "/trace" | "/api/trace" | "/api/trace/file" => (Some(INVESTIGATOR), true),
            "/documents/{id}/rules"
            | "/documents/{id}/alternatives"
            | "/documents/{id}/alternatives/{n}/remove"
            | "/documents/{id}/distribute"
            | "/links/{id}/revoke"
            | "/lists"
            | "/api/documents/{id}/rules"
            | "/api/documents/{id}/alternatives"
            | "/api/documents/{id}/alternatives/{n}/remove"
            | "/api/documents/{id}/distribute"
            | "/api/links/{id}/revoke"
            | "/api/lists" => (Some(AUTHOR), false),
            "/admin/users"
            | "/admin/users/{name}"
            | "/api/users"
            | "/api/users/{name}"
            | "/api/admin/backup" => (Some(ADMIN), false),
            "/tokens" | "/tokens/{id}/revoke" | "/api/tokens" | "/api/tokens/{id}/revoke" => {
                (Some(&Role::ALL), false)
            }
            _ => (None, false),
        }
    };
    Spec { roles, upload }
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

fn too_large(limit: usize, html: bool) -> Response {
    Failure::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the request is larger than the limit of {limit} bytes"),
    )
    .with_html(html)
    .into_response()
}

fn unsafe_method(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The gate (see the module documentation).
pub async fn guard(State(app): State<App>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_default();
    let spec = spec(req.method(), &route);
    let html = !req.uri().path().starts_with("/api/");
    let limit = match (spec.roles, spec.upload) {
        (_, true) => app.config().max_body_bytes,
        (Some(_), false) => FORM_BODY_BYTES.min(app.config().max_body_bytes),
        (None, _) => PUBLIC_BODY_BYTES.min(app.config().max_body_bytes),
    };
    if declared_length(req.headers()).is_some_and(|n| n > limit as u64) {
        return too_large(limit, html);
    }
    // Who is asking, from the headers alone.
    let want_csrf = match spec.roles {
        Some(roles) => match require(&app, req.headers(), roles, html).await {
            // Only a Bearer token that authenticated the request spares it
            // the CSRF token; any other Authorization header does not.
            Ok(c) => (!c.by_token() && unsafe_method(req.method())).then(|| c.csrf()),
            Err(f) => return f.into_response(),
        },
        None if unsafe_method(req.method()) && req.uri().path() != "/login" => {
            auth::cookie(req.headers(), auth::SESSION_COOKIE).map(csrf_token)
        }
        // The sign-in form has its own double-submit check.
        None => None,
    };
    let req = match want_csrf {
        Some(want) => match check_csrf(req, &want, html).await {
            Ok(req) => req,
            Err(refused) => return refused,
        },
        None => req,
    };
    let small = declared_length(req.headers()).is_some_and(|n| n <= SMALL_UPLOAD_BYTES);
    let _permit = if spec.upload && !small {
        match app.0.uploads.clone().try_acquire_owned() {
            Ok(p) => Some(p),
            Err(_) => {
                let mut r = Failure::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "too many uploads are in progress; try again in a few seconds",
                )
                .with_html(html)
                .into_response();
                r.headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
                return r;
            }
        }
    } else {
        None
    };
    let req = req.map(|b| Body::new(http_body_util::Limited::new(b, limit)));
    next.run(req).await
}

/// A browser session's state-changing request must carry the session's
/// CSRF token: in an `X-CSRF-Token` header, or as the `csrf` field of a
/// URL-encoded form (read whole, if small) or of a multipart form (among
/// its first [`CSRF_SCAN_BYTES`]; the rest of the body is left unread).
async fn check_csrf(req: Request, want: &str, html: bool) -> Result<Request, Response> {
    if let Some(got) = req.headers().get("x-csrf-token") {
        return if got.as_bytes() == want.as_bytes() {
            Ok(req)
        } else {
            Err(refuse(html))
        };
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let (parts, body) = req.into_parts();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let bytes = match http_body_util::Limited::new(body, CSRF_SCAN_BYTES)
            .collect()
            .await
        {
            Ok(b) => b.to_bytes(),
            Err(_) => return Err(too_large(CSRF_SCAN_BYTES, html)),
        };
        let found = form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.into_owned());
        if found.as_deref() != Some(want) {
            return Err(refuse(html));
        }
        return Ok(Request::from_parts(parts, Body::from(bytes)));
    }
    if content_type.starts_with("multipart/form-data") {
        let (prefix, rest) = read_prefix(body, CSRF_SCAN_BYTES).await;
        let found = multipart_field(&parts.headers, prefix.clone(), "csrf").await;
        if found.as_deref() != Some(want) {
            return Err(refuse(html));
        }
        let body = match rest {
            Some(rest) => {
                use futures_util::StreamExt;
                let head = futures_util::stream::once(async move { Ok::<_, axum::Error>(prefix) });
                Body::from_stream(head.chain(rest.into_data_stream()))
            }
            None => Body::from(prefix),
        };
        return Ok(Request::from_parts(parts, body));
    }
    Err(refuse(html))
}

/// At least `want` bytes of `body` (or all of it, if shorter), and the
/// body's unread rest (`None` once it has ended). A body that fails while
/// being read ends there; the handler sees the shortened body fail.
async fn read_prefix(mut body: Body, want: usize) -> (Bytes, Option<Body>) {
    let mut prefix = Vec::new();
    while prefix.len() < want {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    prefix.extend_from_slice(&data);
                }
            }
            Some(Err(_)) | None => return (Bytes::from(prefix), None),
        }
    }
    (Bytes::from(prefix), Some(body))
}

fn refuse(html: bool) -> Response {
    Failure::forbidden(
        "the form's security token is missing or stale; reload the page and try again",
    )
    .with_html(html)
    .into_response()
}

/// The text of the multipart field `name` among `bytes` (which may end
/// anywhere: the fields before the cut are read).
async fn multipart_field(headers: &HeaderMap, bytes: Bytes, name: &str) -> Option<String> {
    use axum::extract::FromRequest;
    let mut req = Request::new(Body::from(bytes));
    *req.headers_mut() = headers.clone();
    req.headers_mut().remove(header::CONTENT_LENGTH);
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

/// Uploads taken at once; the rest are answered 503 with Retry-After.
pub fn upload_slots(n: usize) -> Arc<tokio::sync::Semaphore> {
    Arc::new(tokio::sync::Semaphore::new(n.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_need_their_role_and_unknown_routes_get_the_smallest_limit() {
        let s = spec(&Method::POST, "/api/trace/file");
        assert_eq!(s.roles, Some(INVESTIGATOR));
        assert!(s.upload);
        assert!(spec(&Method::POST, "/api/documents/file").upload);
        let login = spec(&Method::POST, "/login");
        assert!(login.roles.is_none() && !login.upload);
        assert!(spec(&Method::GET, "/api/trace/file").roles.is_none());
        assert!(spec(&Method::POST, "/api/new-route").roles.is_none());
    }
}

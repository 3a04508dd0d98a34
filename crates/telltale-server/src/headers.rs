//! Security headers on every response: a Content-Security-Policy that
//! allows only the server's own script and stylesheet (no inline code, no
//! framing, forms posted only back here), `X-Frame-Options: DENY` for
//! browsers that predate `frame-ancestors`, `X-Content-Type-Options:
//! nosniff`, and `Referrer-Policy: no-referrer` (a reading-room URL is a
//! secret and must not leave in a Referer header).
//!
//! The pages carry no inline script or style. The one exception is the
//! evidence report, a self-contained file with its stylesheet inline: its
//! policy allows exactly that stylesheet, by its SHA-256 hash.

use std::sync::LazyLock;

use axum::extract::Request;
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use sha2::Digest;

/// The policy of every page.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The policy of the evidence report: its inline stylesheet, by hash.
pub static REPORT_CSP: LazyLock<String> = LazyLock::new(|| {
    let hash = base64::engine::general_purpose::STANDARD
        .encode(sha2::Sha256::digest(crate::view::CSS.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src 'self'; form-action 'none'; \
         base-uri 'none'; frame-ancestors 'none'"
    )
});

/// Add the security headers, keeping a Content-Security-Policy a handler
/// set for itself.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    res
}

//! What reaches the log: request lines with reading-room secrets taken
//! out, and user-supplied text escaped so that it cannot forge lines or
//! send terminal escape codes.

use axum::extract::Request;
use tracing::Span;

/// Paths whose last segment is a reading-room link's secret: whoever reads
/// the log could otherwise open the copy.
const SECRET_PATHS: [&str; 2] = ["/r/", "/api/reading/"];

/// The request's path and query as logged: a link's secret replaced.
pub fn redacted_uri(uri: &axum::http::Uri) -> String {
    let path = uri.path();
    let path = SECRET_PATHS
        .iter()
        .find(|p| path.starts_with(**p))
        .map_or_else(|| path.to_string(), |p| format!("{p}[redacted]"));
    match uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path,
    }
}

/// The span of each request, as tower-http's default but with the URI
/// redacted (`RUST_LOG=debug` shows it).
pub fn request_span(req: &Request) -> Span {
    tracing::debug_span!(
        "request",
        method = %req.method(),
        uri = %escaped(&redacted_uri(req.uri())),
        version = ?req.version(),
    )
}

/// `text` with control characters (newlines, escape codes) written as
/// escapes, cut to 100 characters: safe to put in a log line.
pub fn escaped(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(100)
        .flat_map(char::escape_debug)
        .collect();
    if text.chars().nth(100).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_control_characters_stay_out() {
        let uri: axum::http::Uri = "/r/0123abcd?x=1".parse().unwrap();
        assert_eq!(redacted_uri(&uri), "/r/[redacted]?x=1");
        let uri: axum::http::Uri = "/api/reading/0123abcd".parse().unwrap();
        assert_eq!(redacted_uri(&uri), "/api/reading/[redacted]");
        let uri: axum::http::Uri = "/documents/d-1".parse().unwrap();
        assert_eq!(redacted_uri(&uri), "/documents/d-1");
        let e = escaped("ann\nINFO forged\u{1b}[31m");
        assert!(!e.contains('\n') && !e.contains('\u{1b}'), "{e}");
        assert!(escaped(&"x".repeat(500)).chars().count() <= 101);
    }
}

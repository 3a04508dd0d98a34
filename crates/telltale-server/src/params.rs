//! Bounds on what a request may ask for in its path, query and fields.
//!
//! Work grows with some parameters (the recipients an estimate simulates,
//! the ids a distribution names), and a request that asks for a million of
//! them would hold a registry handle for minutes. Every such parameter has
//! a documented maximum here, and a request beyond it is refused with 400
//! and a one-line reason before any work starts.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::Failure;

/// Most recipients a quote-length estimate simulates (the review page's
/// `recipients` and `GET /api/documents/{id}?recipients=`). Each trial of
/// the estimate scores every simulated recipient.
pub const MAX_ESTIMATE_RECIPIENTS: usize = 100_000;
/// Most ids in one list of a request (distribution recipients, list
/// members, recipients in a JSON import, rule classes).
pub const MAX_LIST_ITEMS: usize = 100_000;
/// Longest path segment (ids, names, link secrets), in bytes as sent.
pub const MAX_SEGMENT_BYTES: usize = 256;
/// Longest query string, in bytes as sent.
pub const MAX_QUERY_BYTES: usize = 8192;
/// Longest title, file name or case name, in characters.
pub const MAX_NAME_CHARS: usize = 500;

/// Refuse requests whose path segments or query string are longer than
/// anything the routes take.
pub async fn bound_uri(req: Request, next: Next) -> Response {
    let html = !req.uri().path().starts_with("/api/");
    if req.uri().query().is_some_and(|q| q.len() > MAX_QUERY_BYTES) {
        return Failure::bad(format!(
            "the query string is longer than {MAX_QUERY_BYTES} bytes"
        ))
        .with_html(html)
        .into_response();
    }
    if req
        .uri()
        .path()
        .split('/')
        .any(|s| s.len() > MAX_SEGMENT_BYTES)
    {
        return Failure::bad(format!(
            "a part of the path is longer than {MAX_SEGMENT_BYTES} bytes"
        ))
        .with_html(html)
        .into_response();
    }
    next.run(req).await
}

/// The recipients an estimate may simulate: from 2 to
/// [`MAX_ESTIMATE_RECIPIENTS`].
pub fn estimate_recipients(n: Option<usize>) -> Result<Option<usize>, Failure> {
    match n {
        Some(n) if !(2..=MAX_ESTIMATE_RECIPIENTS).contains(&n) => Err(Failure::bad(format!(
            "recipients must be from 2 to {MAX_ESTIMATE_RECIPIENTS}"
        ))),
        n => Ok(n),
    }
}

/// A list of at most [`MAX_LIST_ITEMS`] items.
pub fn items<T>(what: &str, list: &[T]) -> Result<(), Failure> {
    if list.len() > MAX_LIST_ITEMS {
        return Err(Failure::bad(format!(
            "{what} lists {} items; at most {MAX_LIST_ITEMS} are taken in one request",
            list.len()
        )));
    }
    Ok(())
}

/// A title, file name or case name of at most [`MAX_NAME_CHARS`]
/// characters.
pub fn name(what: &str, value: Option<&str>) -> Result<(), Failure> {
    if value.is_some_and(|v| v.chars().count() > MAX_NAME_CHARS) {
        return Err(Failure::bad(format!(
            "{what} is longer than {MAX_NAME_CHARS} characters"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert!(estimate_recipients(None).unwrap().is_none());
        assert_eq!(estimate_recipients(Some(2)).unwrap(), Some(2));
        assert!(estimate_recipients(Some(1)).is_err());
        assert!(estimate_recipients(Some(MAX_ESTIMATE_RECIPIENTS + 1)).is_err());
        assert!(items("x", &vec![0u8; MAX_LIST_ITEMS + 1]).is_err());
        assert!(name("title", Some(&"é".repeat(MAX_NAME_CHARS))).is_ok());
        assert!(name("title", Some(&"é".repeat(MAX_NAME_CHARS + 1))).is_err());
    }
}

//! The web UI: server-rendered pages for authors, investigators and
//! admins, and the recipients' reading room. This module holds the routes
//! and what every page shares (the page result, the compiled-in assets,
//! dates); the pages themselves live in one module per kind of work, so
//! that credentials, documents sent out and traces read back stay apart.

mod account;
mod documents;
mod traces;

use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::Markup;

use account::{
    add_user, create_token, home, login, login_form, logout, revoke_token, tokens, update_user,
    users,
};
use documents::{
    add_alternative, add_document, copies_zip, create_list, distribute, documents,
    import_recipients, job_page, reading_room, recipients, remove_alternative, review, revoke_link,
    set_rules,
};
use traces::{audit, evidence_report, trace, trace_form, trace_page, traces};

use crate::auth::Caller;
use crate::view::{self, page};
use crate::{App, Failure};

type Page = Result<Response, Failure>;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/", get(home))
        .route("/healthz", get(|| async { "ok" }))
        .route("/assets/app.css", get(css))
        .route("/assets/app.js", get(js))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/documents", get(documents).post(add_document))
        .route("/documents/{id}", get(review))
        .route("/documents/{id}/rules", post(set_rules))
        .route("/documents/{id}/alternatives", post(add_alternative))
        .route(
            "/documents/{id}/alternatives/{n}/remove",
            post(remove_alternative),
        )
        .route("/documents/{id}/distribute", post(distribute))
        .route("/documents/{id}/copies.zip", get(copies_zip))
        .route("/jobs/{id}", get(job_page))
        .route("/links/{id}/revoke", post(revoke_link))
        .route("/recipients", get(recipients).post(import_recipients))
        .route("/lists", post(create_list))
        .route("/trace", get(trace_form).post(trace))
        .route("/traces", get(traces))
        .route("/traces/{id}", get(trace_page))
        .route("/traces/{id}/report", get(evidence_report))
        .route("/audit", get(audit))
        .route("/admin/users", get(users).post(add_user))
        .route("/admin/users/{name}", post(update_user))
        .route("/tokens", get(tokens).post(create_token))
        .route("/tokens/{id}/revoke", post(revoke_token))
        .route("/r/{secret}", get(reading_room))
}

fn ok(title: &str, c: &Caller, body: Markup) -> Page {
    Ok(Html(page(title, Some(c), body)).into_response())
}

async fn css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        view::CSS,
    )
        .into_response()
}

async fn js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        view::JS,
    )
        .into_response()
}

fn when(at: i64) -> String {
    // UTC, to the second, without a date library: days since the epoch.
    let (days, secs) = (at.div_euclid(86_400), at.rem_euclid(86_400));
    let (y, m, d) = civil(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Howard Hinnant's days-to-civil conversion.
fn civil(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_dates() {
        assert_eq!(super::when(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(super::when(1_796_000_000), "2026-11-30 00:53:20 UTC");
        assert_eq!(super::when(951_782_400), "2000-02-29 00:00:00 UTC");
    }
}

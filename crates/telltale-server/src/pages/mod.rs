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
use traces::{audit, evidence_pdf, evidence_report, trace, trace_form, trace_page, traces};

use telltale_registry::evidence::utc as when;

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
        .route("/traces/{id}/report.pdf", get(evidence_pdf))
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

//! The web UI: server-rendered pages for authors, investigators and
//! admins, and the recipients' reading room.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Multipart, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form as UrlForm, Router};
use maud::{html, Markup};
use telltale_core::{Class, Layer};
use telltale_registry::accounts::{LinkRefusal, SignIn, SignInLimit, SESSION_SECONDS};
use telltale_registry::report::odds_in_words;
use telltale_registry::Role;

use crate::auth::{self, require, Caller};
use crate::ops::{self, Form};
use crate::view::{self, csrf, page};
use crate::{logs, params, App, Failure};

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

fn start_for(role: Role) -> &'static str {
    match role {
        Role::Author => "/documents",
        Role::Investigator => "/trace",
        Role::Admin => "/admin/users",
    }
}

async fn home(State(app): State<App>, headers: HeaderMap) -> Page {
    match auth::caller(&app, &headers).await {
        Ok(Some(c)) => Ok(Redirect::to(start_for(c.user.role)).into_response()),
        _ => Ok(Redirect::to("/login").into_response()),
    }
}

fn random_hex() -> Result<String, Failure> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| Failure::internal(&format!("no randomness: {e}")))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

fn login_page(app: &App, status: StatusCode, error: Option<&str>) -> Response {
    let token = match random_hex() {
        Ok(t) => t,
        Err(f) => return f.page().into_response(),
    };
    let body = html! {
        h1 { "Sign in" }
        @if let Some(e) = error { p.error id="error" { (e) } }
        form.card method="post" action="/login" id="login-form" {
            input type="hidden" name="login_csrf" value=(token);
            label { "User name" input type="text" name="user" id="user" autocomplete="username" required; }
            label { "Password" input type="password" name="password" id="password" autocomplete="current-password" required; }
            button type="submit" id="sign-in" { "Sign in" }
        }
    };
    (
        status,
        [(
            header::SET_COOKIE,
            auth::set_cookie(
                auth::LOGIN_COOKIE,
                &token,
                3600,
                app.config().secure_cookies,
            ),
        )],
        Html(page("Sign in", None, body)),
    )
        .into_response()
}

async fn login_form(State(app): State<App>) -> Response {
    login_page(&app, StatusCode::OK, None)
}

#[derive(serde::Deserialize)]
struct Login {
    user: String,
    password: String,
    login_csrf: String,
}

async fn login(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    UrlForm(f): UrlForm<Login>,
) -> Page {
    if auth::cookie(&headers, auth::LOGIN_COOKIE) != Some(f.login_csrf.as_str())
        || f.login_csrf.is_empty()
    {
        return Ok(login_page(
            &app,
            StatusCode::FORBIDDEN,
            Some("The sign-in form expired; please try again."),
        ));
    }
    let cfg = app.config().clone();
    let limit = SignInLimit {
        max: cfg.login_failures,
        window_seconds: i64::try_from(cfg.login_window.as_secs()).unwrap_or(i64::MAX / 2),
    };
    let (name, pw, client) = (f.user.clone(), f.password, peer.ip().to_string());
    // The attempt is reserved in the database before the password is
    // hashed (see `Registry::sign_in`).
    let outcome = app
        .run(format!("web:{}", f.user), move |r| {
            r.sign_in(&name, &pw, &client, limit)
        })
        .await?;
    match outcome {
        SignIn::Limited { retry_after } => {
            tracing::warn!(user = %logs::escaped(&f.user), ip = %peer.ip(), "sign-in refused: too many attempts");
            Ok(login_page(
                &app,
                StatusCode::TOO_MANY_REQUESTS,
                Some(&format!(
                    "Too many failed sign-ins; try again in {} minutes.",
                    ((retry_after + 59) / 60).max(1)
                )),
            ))
        }
        SignIn::Rejected => {
            tracing::warn!(user = %logs::escaped(&f.user), ip = %peer.ip(), "failed sign-in");
            Ok(login_page(
                &app,
                StatusCode::UNAUTHORIZED,
                Some("Wrong user name or password."),
            ))
        }
        SignIn::Accepted { session, user } => Ok((
            [(
                header::SET_COOKIE,
                auth::set_cookie(
                    auth::SESSION_COOKIE,
                    &session,
                    SESSION_SECONDS,
                    cfg.secure_cookies,
                ),
            )],
            Redirect::to(start_for(user.role)),
        )
            .into_response()),
    }
}

async fn logout(State(app): State<App>, headers: HeaderMap) -> Page {
    if let Some(token) = auth::cookie(&headers, auth::SESSION_COOKIE) {
        let t = token.to_string();
        app.run("web".into(), move |r| r.end_session(&t)).await?;
    }
    Ok((
        [(
            header::SET_COOKIE,
            auth::set_cookie(auth::SESSION_COOKIE, "", 0, app.config().secure_cookies),
        )],
        Redirect::to("/login"),
    )
        .into_response())
}

// ---- authors: documents ----

async fn documents(State(app): State<App>, headers: HeaderMap) -> Page {
    let c = require(&app, &headers, &[Role::Author], true).await?;
    let docs = app
        .run(c.actor(), |r| Ok(r.store().documents()?))
        .await
        .map_err(Failure::page)?;
    ok(
        "Documents",
        &c,
        html! {
            h1 { "Documents" }
            @if docs.is_empty() { p { "No documents yet." } } @else {
                table id="documents" {
                    thead { tr { th { "Title" } th { "Words" } th { "Slots" } th { "Issued" } th { "Id" } } }
                    tbody { @for d in &docs { tr {
                        td { a href={ "/documents/" (d.id) } { (d.title) } }
                        td { (d.words) } td { (d.slots) } td { (d.issued) } td.id { (d.id) }
                    } } }
                }
            }
            h2 { "Register a document" }
            form.card method="post" action="/documents" enctype="multipart/form-data" id="add-document" {
                (csrf(&c))
                label { "Title (optional)" input type="text" name="title" id="title"; }
                label { "Paste the text" textarea name="text" id="text" rows="12" {} }
                label { "…or upload a file (.txt, .md, .html, .docx, .pdf)" input type="file" name="file" accept=".txt,.md,.markdown,.html,.htm,.docx,.pdf"; }
                label { "Style profile"
                    select name="profile" {
                        option value="natural" selected { "natural (reviewed per-instance variation)" }
                        option value="strict" { "strict (conventions once per document)" }
                        option value="dense" { "dense (everything, including classes not yet cleared by review)" }
                    }
                }
                button type="submit" id="register" { "Register and review" }
            }
        },
    )
}

async fn add_document(State(app): State<App>, headers: HeaderMap, mp: Multipart) -> Page {
    let c = require(&app, &headers, &[Role::Author], true).await?;
    let form = Form::read(mp).await.map_err(Failure::page)?;
    let (bytes, format) = form.document("file", "text").map_err(Failure::page)?;
    let profile = ops::profile(form.field("profile")).map_err(Failure::page)?;
    let d = ops::register(
        &app,
        &c,
        bytes,
        format,
        form.field("title").map(str::to_string),
        profile,
    )
    .await
    .map_err(Failure::page)?;
    Ok(Redirect::to(&format!("/documents/{}", d.id)).into_response())
}

#[derive(serde::Deserialize)]
struct ReviewQuery {
    recipients: Option<usize>,
}

async fn review(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<ReviewQuery>,
) -> Page {
    let c = require(&app, &headers, &[Role::Author], true).await?;
    let asked = params::estimate_recipients(q.recipients).map_err(Failure::page)?;
    let (doc, issued, links, lists, recipients, estimate) = app
        .run(c.actor(), move |r| {
            let doc = r.document(&id)?;
            let issued = r.store().issuances(Some(&id))?;
            let links = r.store().links(Some(&id))?;
            let lists = r.store().lists()?;
            let recipients = r.store().recipients()?.len();
            // Asked for, else those who hold it, else those who could, else
            // a typical distribution.
            let n = asked
                .or((!issued.is_empty()).then_some(issued.len()))
                .or((recipients >= 2).then_some(recipients))
                .unwrap_or(100)
                .clamp(2, params::MAX_ESTIMATE_RECIPIENTS);
            let estimate = r.estimate_quote(&doc, n, 1e-3)?;
            Ok((doc, issued, links, lists, recipients, (n, estimate)))
        })
        .await
        .map_err(Failure::page)?;
    let cap = doc.template.capacity();
    let present: std::collections::BTreeSet<Class> =
        doc.template.slots.iter().map(|s| s.class).collect();
    let words = |w: Option<usize>| match w {
        Some(w) if w >= cap.words => "the whole document".to_string(),
        Some(w) => format!("about {w} words"),
        None => "more than the whole document".to_string(),
    };
    let now = telltale_registry::now();
    ok(
        &doc.title,
        &c,
        html! {
            h1 { (doc.title) }
            p.meta { (cap.words) " words · " (doc.template.slots.len()) " slots · " span.id { (doc.id) } }
            section.card id="capacity" {
                h2 { "Capacity by layer" }
                table {
                    thead { tr { th { "Layer" } th { "Survives" } th { "Slots" } th { "Bits" } th { "Bits per 100 words" } } }
                    tbody { @for (i, l) in Layer::ALL.iter().enumerate() {
                        @let (_, b) = cap.per_100_words(*l);
                        tr {
                            td { (l.name()) }
                            td { (match l { Layer::Lexical => "retyping, house style", Layer::Punctuation => "retyping", Layer::Invisible => "copy and paste" }) }
                            td { (cap.slots[i]) } td { (format!("{:.1}", cap.bits[i])) } td { (format!("{b:.1}")) }
                        }
                    } }
                }
                p id="estimate" {
                    "Among " (estimate.0) " recipients, a leaked quote names its source (9 times in 10, at a false-accusation bound of 1 in 1,000) when it runs to "
                    strong { (words(estimate.1 .0)) } " retyped, or " strong { (words(estimate.1 .1)) } " pasted."
                }
                form.inline method="get" action={ "/documents/" (doc.id) } {
                    label.check { "Estimate for " input.count type="number" name="recipients" min="2" max=(params::MAX_ESTIMATE_RECIPIENTS) value=(estimate.0); " recipients" }
                    button type="submit" { "Estimate" }
                }
            }
            section id="review" {
                h2 { "Review the variations" }
                p.hint { "Every marked word or mark can differ between copies; hover to see its alternatives. Invisible marks (" (cap.slots[2]) ") are not shown." }
                (view::marked_template(&doc.template))
            }
            section.card id="rules" {
                h2 { "Rule classes" }
                @if issued.is_empty() {
                    form method="post" action={ "/documents/" (doc.id) "/rules" } {
                        (csrf(&c))
                        div.classes { @for cl in Class::ALL {
                            @let used = present.contains(&cl);
                            @let off = doc.rules.disabled.contains(&cl);
                            @if used || off {
                                label.check { input type="checkbox" name="on" value=(cl.name()) checked[!off]; " " (cl.name()) }
                            }
                        } }
                        button type="submit" id="apply-rules" { "Apply" }
                    }
                } @else {
                    p { "Copies have been issued; the variations can no longer change." }
                }
            }
            section.card id="distribute" {
                h2 { "Distribute" }
                p { (issued.len()) " of " (recipients) " recipients hold a copy." }
                form method="post" action={ "/documents/" (doc.id) "/distribute" } id="distribute-form" {
                    (csrf(&c))
                    label { "To"
                        select name="to" id="to" {
                            option value="all" { "everyone (" (recipients) ")" }
                            @for (l, n) in &lists { option value={ "list:" (l) } { "list " (l) " (" (n) ")" } }
                        }
                    }
                    label { "Reading-room links expire after (days, empty for never)" input type="number" name="expires_days" min="1" max="3650"; }
                    button type="submit" id="send" { "Issue copies and links" }
                }
                @if !issued.is_empty() {
                    p { a href={ "/documents/" (doc.id) "/copies.zip" } id="download-zip" { "Download all copies (zip)" } }
                }
            }
            @if !links.is_empty() {
                section.card id="links" {
                    h2 { "Reading-room links" }
                    table {
                        caption { "Revoking a link withdraws every link of that recipient to this document." }
                        thead { tr { th { "Recipient" } th { "Link" } th { "Views" } th { "State" } th {} } }
                        tbody { @for l in &links {
                            @let state = if l.revoked { "revoked" } else if l.expires_at.is_some_and(|e| e <= now) { "expired" } else { "live" };
                            tr {
                                td { (l.recipient_id) } td.id { (l.id) } td { (l.views) } td { (state) }
                                td { @if !l.revoked {
                                    form method="post" action={ "/links/" (l.id) "/revoke" } {
                                        (csrf(&c)) button type="submit" { "Revoke" }
                                    }
                                } }
                            }
                        } }
                    }
                }
            }
        },
    )
}

async fn set_rules(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Page {
    let c = require(&app, &headers, &[Role::Author], true).await?;
    let on: Vec<String> = form_urlencoded::parse(&body)
        .filter(|(k, _)| k == "on")
        .map(|(_, v)| v.into_owned())
        .collect();
    let id2 = id.clone();
    app.run(c.actor(), move |r| {
        let doc = r.document(&id2)?;
        let present: std::collections::BTreeSet<Class> = doc
            .template
            .slots
            .iter()
            .map(|s| s.class)
            .chain(doc.rules.disabled.iter().copied())
            .collect();
        let off: Vec<Class> = present
            .into_iter()
            .filter(|cl| !on.iter().any(|o| o == cl.name()))
            .collect();
        r.set_disabled_classes(&id2, &off)
    })
    .await
    .map_err(Failure::page)?;
    Ok(Redirect::to(&format!("/documents/{id}")).into_response())
}

#[derive(serde::Deserialize)]
struct DistributeForm {
    to: String,
    #[serde(default)]
    expires_days: String,
}

async fn distribute(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    UrlForm(f): UrlForm<DistributeForm>,
) -> Page {
    let c = require(&app, &headers, &[Role::Author], true).await?;
    let expires = match f.expires_days.trim() {
        "" => None,
        d => Some(
            d.parse::<u32>()
                .ok()
                .filter(|d| (1..=3650).contains(d))
                .ok_or_else(|| Failure::bad("days must be a whole number from 1 to 3650").page())?,
        ),
    };
    let (all, list) = match f.to.strip_prefix("list:") {
        Some(l) => (false, Some(l.to_string())),
        None => (true, None),
    };
    let id2 = id.clone();
    let who = app
        .run(c.actor(), move |r| {
            r.document(&id2)?;
            ops::resolve_recipients(r, all, list.as_deref(), &[])
        })
        .await
        .map_err(Failure::page)?;
    let job = ops::start_distribution(&app, &c, id, who, true, expires)
        .await
        .map_err(Failure::page)?;
    Ok(Redirect::to(&format!("/jobs/{job}")).into_response())
}

async fn job_page(State(app): State<App>, headers: HeaderMap, Path(id): Path<u64>) -> Page {
    let c = require(&app, &headers, &[Role::Author], true).await?;
    let j = ops::job(&app, &c, id).map_err(Failure::page)?;
    ok(
        "Distribution",
        &c,
        html! {
            h1 { "Distribution of " a href={ "/documents/" (j.document) } { (j.document) } }
            div.progress id="job" data-job=(j.id) data-finished=(j.finished) {
                progress id="job-progress" max=(j.total.max(1)) value=(j.done) {}
                span id="job-count" { (j.done) " of " (j.total) " copies" }
            }
            @if let Some(e) = &j.error { p.error id="error" { (e) } }
            @if j.finished && j.error.is_none() {
                p id="job-done" { "Done: " (j.done) " copies issued. These personal links are shown only now; send each to its recipient." }
                table id="job-links" {
                    thead { tr { th { "Recipient" } th { "Reading-room link" } } }
                    tbody { @for l in &j.links { tr {
                        td { (l.name) " " span.id { "(" (l.recipient) ")" } }
                        td { a.reading-link href=(l.url) data-recipient=(l.recipient) { (l.url) } }
                    } } }
                }
                p { a href={ "/documents/" (j.document) "/copies.zip" } { "Download all copies (zip)" } }
            }
        },
    )
}

async fn copies_zip(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>) -> Page {
    let html = !headers.contains_key(header::AUTHORIZATION);
    let c = require(&app, &headers, &[Role::Author], html).await?;
    let bytes = crate::api::zip_copies(&app, &c, id.clone())
        .await
        .map_err(|f| f.with_html(html))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{id}-copies.zip\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

async fn revoke_link(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>) -> Page {
    let c = require(&app, &headers, &[Role::Author], true).await?;
    let doc = app
        .run(c.actor(), move |r| {
            let l = r
                .store()
                .link(&id)?
                .ok_or_else(|| telltale_store::StoreError::NotFound(format!("link {id}")))?;
            r.revoke_link(&id)?;
            Ok(l.document_id)
        })
        .await
        .map_err(Failure::page)?;
    Ok(Redirect::to(&format!("/documents/{doc}#links")).into_response())
}

// ---- authors: recipients and lists ----

async fn recipients(State(app): State<App>, headers: HeaderMap) -> Page {
    let c = require(&app, &headers, &[Role::Author], true).await?;
    recipients_page(&app, &c, None).await
}

async fn recipients_page(
    app: &App,
    c: &Caller,
    report: Option<telltale_registry::ImportReport>,
) -> Page {
    let (people, lists) = app
        .run(c.actor(), |r| {
            Ok((r.store().recipients()?, r.store().lists()?))
        })
        .await
        .map_err(Failure::page)?;
    ok(
        "Recipients",
        c,
        html! {
            h1 { "Recipients" }
            @if let Some(rep) = &report {
                section.card id="import-report" {
                    p { (rep.added) " added, " (rep.updated) " updated, " (rep.unchanged) " unchanged, " (rep.rejected.len()) " rejected." }
                    @if !rep.rejected.is_empty() {
                        table.errors id="import-errors" {
                            thead { tr { th { "Line" } th { "Problem" } } }
                            tbody { @for (line, why) in &rep.rejected { tr { td { (line) } td { (why) } } } }
                        }
                    }
                }
            }
            form.card method="post" action="/recipients" enctype="multipart/form-data" id="import-form" {
                (csrf(c))
                p { "A CSV file with a header and the columns " code { "id,name,email" } " (email optional). Good rows are kept; bad rows are listed with the reason." }
                label { "CSV file" input type="file" name="csv" accept=".csv,text/csv"; }
                label { "…or paste it" textarea name="csv_text" id="csv-text" rows="6" {} }
                button type="submit" id="import" { "Import" }
            }
            p { (people.len()) " recipients." }
            @if !people.is_empty() {
                table id="recipients" {
                    thead { tr { th { "Id" } th { "Name" } th { "E-mail" } } }
                    tbody { @for p in &people { tr { td.id { (p.id) } td { (p.name) } td { (p.email.clone().unwrap_or_default()) } } } }
                }
            }
            h2 { "Lists" }
            @if !lists.is_empty() {
                ul { @for (l, n) in &lists { li { (l) " (" (n) ")" } } }
            }
            form.card method="post" action="/lists" id="list-form" {
                (csrf(c))
                label { "Name" input type="text" name="name" required; }
                label { "Members (recipient ids, separated by commas)" input type="text" name="members" required; }
                button type="submit" { "Create or replace list" }
            }
        },
    )
}

async fn import_recipients(State(app): State<App>, headers: HeaderMap, mp: Multipart) -> Page {
    let c = require(&app, &headers, &[Role::Author], true).await?;
    let form = Form::read(mp).await.map_err(Failure::page)?;
    let csv = match form.files.get("csv") {
        Some((name, bytes)) => ops::decode(name, bytes).map_err(Failure::page)?,
        None => form
            .field("csv_text")
            .map(str::to_string)
            .ok_or_else(|| Failure::bad("give a CSV file or paste its text").page())?,
    };
    let rep = app
        .run(c.actor(), move |r| r.import_recipients(&csv))
        .await
        .map_err(Failure::page)?;
    recipients_page(&app, &c, Some(rep)).await
}

#[derive(serde::Deserialize)]
struct ListForm {
    name: String,
    members: String,
}

async fn create_list(
    State(app): State<App>,
    headers: HeaderMap,
    UrlForm(f): UrlForm<ListForm>,
) -> Page {
    let c = require(&app, &headers, &[Role::Author], true).await?;
    let members: Vec<String> = f
        .members
        .split(',')
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty())
        .collect();
    app.run(c.actor(), move |r| r.create_list(f.name.trim(), &members))
        .await
        .map_err(Failure::page)?;
    Ok(Redirect::to("/recipients").into_response())
}

// ---- investigators ----

async fn trace_form(State(app): State<App>, headers: HeaderMap) -> Page {
    let c = require(&app, &headers, &[Role::Investigator], true).await?;
    ok(
        "Trace a leak",
        &c,
        html! {
            h1 { "Trace a leak" }
            form.card method="post" action="/trace" enctype="multipart/form-data" id="trace-form" {
                (csrf(&c))
                label { "Paste the leaked text (an excerpt, an article, a forwarded copy)" textarea name="text" id="leak" rows="14" {} }
                label { "…or upload a file (.txt, .md, .html, .docx, .pdf, .eml, or a photo or scan: .png, .jpg)" input type="file" name="file" accept=".txt,.md,.html,.htm,.docx,.pdf,.eml,.png,.jpg,.jpeg,.tif,.tiff"; }
                label { "Case (optional: leaks filed under one case are also read together)" input type="text" name="case" id="case"; }
                button type="submit" id="trace" { "Trace" }
            }
        },
    )
}

async fn trace(State(app): State<App>, headers: HeaderMap, mp: Multipart) -> Page {
    let c = require(&app, &headers, &[Role::Investigator], true).await?;
    let form = Form::read(mp).await.map_err(Failure::page)?;
    params::name("the case", form.field("case")).map_err(Failure::page)?;
    let (text, layout) = form.leak("file", "text").await.map_err(Failure::page)?;
    let v = ops::trace(
        &app,
        &c,
        text,
        layout,
        form.field("document").map(str::to_string),
        form.field("case").map(str::to_string),
        None,
    )
    .await
    .map_err(Failure::page)?;
    ok("Trace result", &c, trace_body(&v, true))
}

async fn trace_page(State(app): State<App>, headers: HeaderMap, Path(id): Path<i64>) -> Page {
    let c = require(&app, &headers, &[Role::Investigator], true).await?;
    let v = ops::stored_trace(&app, &c, id)
        .await
        .map_err(Failure::page)?;
    ok("Trace result", &c, trace_body(&v, true))
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

/// The trace result: verdict, suspects, and the input marked up.
pub fn trace_body(v: &ops::TraceView, links: bool) -> Markup {
    let rep = &v.report;
    html! {
        h1 { "Trace " (v.id) }
        p.verdict id="verdict" { (view::verdict(rep)) }
        @if links {
            p { a href={ "/traces/" (v.id) "/report" } id="evidence-report" download={ "telltale-evidence-" (v.id) ".html" } { "Evidence report (self-contained HTML, printable)" } }
        }
        @for (i, (d, sharing)) in rep.documents.iter().zip(&v.sharing).enumerate() {
            section.card.document {
                h2 { span class={ "swatch d" (i % 4) } {} "Quotes “" (d.title) "” " span.id { "(" (d.id) ")" } }
                p { (d.aligned_words) " words aligned; " (d.slots_observed) " slots read, " (d.slots_erased) " erased; " (d.recipients) " recipients hold a copy." @if d.layout_marks > 0 { " " (d.layout_marks) " line shifts read from the page image." } }
                (view::suspects_table(&d.accused, &d.suspects))
                details {
                    summary { "Evidence slot by slot (" (d.evidence.len()) ")" }
                    table.evidence {
                        thead { tr { th { "Slot" } th { "Class" } th { "Reads" } th { "Copies showing it" } } }
                        tbody { @for (e, (n, acc)) in d.evidence.iter().zip(sharing) { tr {
                            td { (e.slot) } td { (e.class) } td { "“" (e.form) "”" }
                            td { (n) " of " (d.recipients) @if !acc.is_empty() { " (incl. " (acc.join(", ")) ")" } }
                        } } }
                    }
                }
            }
        }
        @if let Some(cb) = &rep.combined {
            section.card { h2 { "All quoted documents together" } (view::suspects_table(&cb.accused, &cb.suspects)) }
        }
        @if let Some(run) = &rep.running {
            section.card id="running" {
                h2 { "Case “" (run.case) "”: " (run.leaks) " leak(s) read together" }
                p { (run.slots_observed) " distinct slots; this look is held to a bound of " (odds_in_words(run.threshold)) "." }
                (view::suspects_table(&run.accused, &run.suspects))
            }
        }
        h2 { "The input" }
        p.hint { "Shaded: passages that quote a registered document. Marked: slots that were read (hover for the reading and who shares it)." }
        @let passages: Vec<(usize, [usize; 2])> = rep.documents.iter().enumerate().flat_map(|(i, d)| d.passages.iter().map(move |p| (i, *p))).collect();
        @let marks: Vec<view::EvidenceView> = rep.documents.iter().zip(&v.sharing).flat_map(|(d, s)| ops::evidence_marks(d, s)).collect();
        (view::marked_leak(&v.input, &passages, &marks))
    }
}

async fn traces(State(app): State<App>, headers: HeaderMap) -> Page {
    let c = require(&app, &headers, &[Role::Investigator], true).await?;
    let list = app
        .run(c.actor(), |r| Ok(r.store().traces()?))
        .await
        .map_err(Failure::page)?;
    ok(
        "Traces",
        &c,
        html! {
            h1 { "Traces" }
            table id="traces" {
                thead { tr { th { "Trace" } th { "When" } th { "Input" } th { "Accused" } } }
                tbody { @for t in list.iter().rev() {
                    @let accused: Vec<String> = t.result["documents"].as_array().into_iter().flatten()
                        .flat_map(|d| d["accused"].as_array().into_iter().flatten().filter_map(|a| a.as_str().map(str::to_string))).collect();
                    tr {
                        td { a href={ "/traces/" (t.id) } { (t.id) } }
                        td { (when(t.at)) }
                        td { (t.input_bytes) " bytes, " span.id { (t.input_hash.get(..16).unwrap_or("")) } }
                        td { @if accused.is_empty() { "nobody" } @else { (accused.join(", ")) } }
                    }
                } }
            }
        },
    )
}

async fn evidence_report(State(app): State<App>, headers: HeaderMap, Path(id): Path<i64>) -> Page {
    let html_caller = !headers.contains_key(header::AUTHORIZATION);
    let c = require(&app, &headers, &[Role::Investigator], html_caller).await?;
    let v = ops::stored_trace(&app, &c, id)
        .await
        .map_err(|f| f.with_html(html_caller))?;
    // The registry as it stands now, for the inquiry file (only the report
    // needs it, so the trace page does not read the whole audit log).
    let s = &app
        .run(c.actor(), |r| ops::registry_state(r))
        .await
        .map_err(|f| f.with_html(html_caller))?;
    let doc = html! {
        (maud::DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "Evidence report: trace " (v.id) }
                style { (maud::PreEscaped(view::CSS)) }
            }
            body.report {
                main {
                    p.banner { "Evidence report · produced by telltale" }
                    table.facts {
                        tr { th { "Trace" } td { (v.id) } }
                        tr { th { "Traced at" } td { (when(v.at)) } }
                        tr { th { "Report made at" } td { (when(telltale_registry::now())) } }
                        tr { th { "Input" } td { (v.input.len()) " bytes, BLAKE3 " code { (v.input_hash) } } }
                        tr { th { "Registry key fingerprint" } td { code { (s.key_fingerprint) } } }
                        tr { th { "Registry state" } td { (s.documents) " documents, " (s.issuances) " copies issued, " (s.audit_entries) " audit entries; audit head " code { (s.audit_head) } } }
                        tr { th { "Requested by" } td { (c.user.name) } }
                    }
                    (trace_body(&v, false))
                    h2 { "Method" }
                    p { (view::METHOD) }
                }
            }
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"telltale-evidence-{id}.html\""),
            ),
            // Its one inline stylesheet, by hash (it is a self-contained file).
            (
                header::CONTENT_SECURITY_POLICY,
                crate::headers::REPORT_CSP.clone(),
            ),
        ],
        doc.into_string(),
    )
        .into_response())
}

async fn audit(State(app): State<App>, headers: HeaderMap) -> Page {
    let c = require(&app, &headers, &[Role::Admin, Role::Investigator], true).await?;
    let (log, verified) = app
        .run(c.actor(), |r| {
            Ok((r.store().audit_log()?, r.verify_audit()?))
        })
        .await
        .map_err(Failure::page)?;
    ok(
        "Audit log",
        &c,
        html! {
            h1 { "Audit log" }
            p id="audit-state" { @match &verified {
                Ok(n) => { "The chain of " (n) " entries is intact." }
                Err((seq, why)) => { strong.error { "The chain is broken at entry " (seq) ": " (why) } }
            } }
            table id="audit" {
                thead { tr { th { "#" } th { "When" } th { "Who" } th { "What" } th { "Detail" } } }
                tbody { @for e in log.iter().rev().take(500) { tr {
                    td { (e.seq) } td { (when(e.at)) } td { (e.actor) } td { (e.action) } td { (e.detail) }
                } } }
            }
        },
    )
}

// ---- admins ----

async fn users(State(app): State<App>, headers: HeaderMap) -> Page {
    let c = require(&app, &headers, &[Role::Admin], true).await?;
    let list = app
        .run(c.actor(), |r| Ok(r.store().users()?))
        .await
        .map_err(Failure::page)?;
    ok(
        "Users",
        &c,
        html! {
            h1 { "Users" }
            table id="users" {
                thead { tr { th { "Name" } th { "Role" } th { "State" } th {} } }
                tbody { @for u in &list { tr {
                    td { (u.name) } td { (u.role.name()) } td { @if u.disabled { "disabled" } @else { "active" } }
                    td {
                        form.inline method="post" action={ "/admin/users/" (u.name) } {
                            (csrf(&c))
                            select name="role" { @for r in Role::ALL { option value=(r.name()) selected[r == u.role] { (r.name()) } } }
                            select name="state" { option value="active" selected[!u.disabled] { "active" } option value="disabled" selected[u.disabled] { "disabled" } }
                            input type="password" name="password" placeholder="new password (optional)" autocomplete="new-password";
                            button type="submit" { "Save" }
                        }
                    }
                } } }
            }
            h2 { "Add a user" }
            form.card method="post" action="/admin/users" id="add-user" {
                (csrf(&c))
                label { "Name" input type="text" name="name" required; }
                label { "Role" select name="role" { @for r in Role::ALL { option value=(r.name()) { (r.name()) } } } }
                label { "Password (at least 10 characters)" input type="password" name="password" required autocomplete="new-password"; }
                button type="submit" { "Add" }
            }
        },
    )
}

#[derive(serde::Deserialize)]
struct UserForm {
    name: String,
    role: String,
    password: String,
}

async fn add_user(
    State(app): State<App>,
    headers: HeaderMap,
    UrlForm(f): UrlForm<UserForm>,
) -> Page {
    let c = require(&app, &headers, &[Role::Admin], true).await?;
    let role = Role::from_name(&f.role)
        .ok_or_else(|| Failure::bad(format!("unknown role {}", f.role)).page())?;
    app.run(c.actor(), move |r| {
        r.add_user(f.name.trim(), role, &f.password)
    })
    .await
    .map_err(Failure::page)?;
    Ok(Redirect::to("/admin/users").into_response())
}

#[derive(serde::Deserialize)]
struct UserUpdate {
    role: String,
    state: String,
    #[serde(default)]
    password: String,
}

async fn update_user(
    State(app): State<App>,
    headers: HeaderMap,
    Path(name): Path<String>,
    UrlForm(f): UrlForm<UserUpdate>,
) -> Page {
    let c = require(&app, &headers, &[Role::Admin], true).await?;
    let role = Role::from_name(&f.role)
        .ok_or_else(|| Failure::bad(format!("unknown role {}", f.role)).page())?;
    if name == c.user.name && (role != Role::Admin || f.state == "disabled") {
        return Err(
            Failure::bad("you cannot remove your own admin role or disable yourself").page(),
        );
    }
    let pw = (!f.password.is_empty()).then_some(f.password);
    app.run(c.actor(), move |r| {
        r.update_user(
            &name,
            Some(role),
            pw.as_deref(),
            Some(f.state == "disabled"),
        )
    })
    .await
    .map_err(Failure::page)?;
    Ok(Redirect::to("/admin/users").into_response())
}

// ---- everyone signed in: API tokens ----

async fn tokens(State(app): State<App>, headers: HeaderMap) -> Page {
    let c = require(&app, &headers, &Role::ALL, true).await?;
    tokens_page(&app, &c, None).await
}

async fn tokens_page(app: &App, c: &Caller, new: Option<String>) -> Page {
    let me = c.user.clone();
    let list = app
        .run(c.actor(), move |r| {
            Ok(r.store()
                .api_tokens()?
                .into_iter()
                .filter(|t| me.role == Role::Admin || t.user == me.name)
                .collect::<Vec<_>>())
        })
        .await
        .map_err(Failure::page)?;
    ok(
        "API tokens",
        c,
        html! {
            h1 { "API tokens" }
            @if let Some(t) = &new {
                section.card id="new-token" {
                    p { "Your new token, shown only now. Send it as " code { "Authorization: Bearer TOKEN" } ":" }
                    pre id="token" { (t) }
                }
            }
            table id="tokens" {
                thead { tr { th { "Id" } th { "User" } th { "Label" } th { "State" } th {} } }
                tbody { @for t in &list { tr {
                    td.id { (t.id) } td { (t.user) } td { (t.label) } td { @if t.revoked { "revoked" } @else { "live" } }
                    td { @if !t.revoked { form method="post" action={ "/tokens/" (t.id) "/revoke" } { (csrf(c)) button type="submit" { "Revoke" } } } }
                } } }
            }
            form.card method="post" action="/tokens" id="token-form" {
                (csrf(c))
                label { "Label (what the token is for)" input type="text" name="label" required; }
                button type="submit" { "Make a token" }
            }
        },
    )
}

#[derive(serde::Deserialize)]
struct TokenForm {
    label: String,
}

async fn create_token(
    State(app): State<App>,
    headers: HeaderMap,
    UrlForm(f): UrlForm<TokenForm>,
) -> Page {
    let c = require(&app, &headers, &Role::ALL, true).await?;
    let name = c.user.name.clone();
    let (secret, _) = app
        .run(c.actor(), move |r| r.create_api_token(&name, &f.label))
        .await
        .map_err(Failure::page)?;
    tokens_page(&app, &c, Some(secret)).await
}

async fn revoke_token(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>) -> Page {
    let c = require(&app, &headers, &Role::ALL, true).await?;
    let me = c.user.clone();
    app.run(c.actor(), move |r| {
        let t = r
            .store()
            .api_tokens()?
            .into_iter()
            .find(|t| t.id == id && (me.role == Role::Admin || t.user == me.name));
        match t {
            Some(t) => r.revoke_api_token(&t.id),
            None => Err(telltale_store::StoreError::NotFound(format!("API token {id}")).into()),
        }
    })
    .await
    .map_err(Failure::page)?;
    Ok(Redirect::to("/tokens").into_response())
}

// ---- recipients ----

async fn reading_room(State(app): State<App>, Path(secret): Path<String>) -> Page {
    if secret.len() != 64 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Failure::not_found("this link does not exist").page());
    }
    let opened = app
        .run("reading-room".into(), move |r| r.open_link(&secret))
        .await
        .map_err(Failure::page)?;
    let copy = match opened {
        Ok(c) => c,
        Err(LinkRefusal::Unknown) => {
            return Err(Failure::not_found("this link does not exist").page())
        }
        Err(LinkRefusal::Revoked) => {
            return Err(Failure::new(StatusCode::GONE, "this link has been withdrawn").page())
        }
        Err(LinkRefusal::Expired) => {
            return Err(Failure::new(StatusCode::GONE, "this link has expired").page())
        }
    };
    let body = html! {
        p.banner { "Personal copy for " (copy.recipient_name) ". Do not forward." }
        h1 { (copy.title) }
        div.doc.reading id="copy" { (copy.text) }
        @if let Some(e) = copy.expires_at { p.hint { "This link stops working on " (when(e)) "." } }
    };
    Ok((
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::HeaderName::from_static("x-robots-tag"), "noindex"),
        ],
        Html(page(&copy.title, None, body)),
    )
        .into_response())
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

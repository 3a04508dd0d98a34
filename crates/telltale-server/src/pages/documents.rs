//! The authors' pages: registering and reviewing documents, their rule
//! classes, distribution jobs, copies and reading-room links, recipients
//! and lists; and the recipients' reading room, which shows what a
//! distribution issued. Everything here is about what is sent out.

use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect};
use axum::Form as UrlForm;
use maud::html;
use telltale_core::{Class, Layer};
use telltale_registry::accounts::LinkRefusal;
use telltale_registry::{Audience, Role};

use super::{ok, when, Page};
use crate::auth::{require, Caller};
use crate::ops::{self, Form};
use crate::view::{self, csrf, page};
use crate::{jobs, params, App, Failure, Job, JobKind};

// ---- authors: documents ----

pub(super) async fn documents(State(app): State<App>, headers: HeaderMap) -> Page {
    let c = require(&app, &headers, &[Role::Author], true).await?;
    let docs = app
        .run(c.actor(), |r| r.documents())
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

pub(super) async fn add_document(
    State(app): State<App>,
    headers: HeaderMap,
    mp: Multipart,
) -> Page {
    let c = require(&app, &headers, &[Role::Author], true).await?;
    let form = Form::read(mp).await.map_err(Failure::page)?;
    let (bytes, format) = form.document("file", "text").map_err(Failure::page)?;
    let profile = ops::profile(form.field("profile")).map_err(Failure::page)?;
    let job = jobs::start_registration(
        &app,
        &c,
        bytes,
        format,
        form.field("title").map(str::to_string),
        profile,
    )
    .await
    .map_err(Failure::page)?;
    Ok(Redirect::to(&format!("/jobs/{job}")).into_response())
}

#[derive(serde::Deserialize)]
pub(super) struct ReviewQuery {
    recipients: Option<usize>,
}

pub(super) async fn review(
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
            let issued = r.issuances(Some(&id))?;
            let links = r.links(Some(&id))?;
            let lists = r.lists()?;
            let recipients = r.recipients()?.len();
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
            section.card id="alternatives" {
                h2 { "Author alternatives" }
                p.hint { "Words you write yourself carry evidence exactly where a newspaper would quote: give two or three wordings of the sentences most likely to be quoted. Each copy carries one. The checks below are advice; you decide." }
                @if !doc.rules.author.is_empty() {
                    table id="author-slots" {
                        thead { tr { th { "#" } th { "Original" } th { "Alternatives and checks" } th {} } }
                        tbody { @for (k, a) in doc.rules.author.iter().enumerate() { tr {
                            td { (k + 1) }
                            td { "“" (a.forms[0]) "”" }
                            td { ul { @for (j, f) in a.forms.iter().enumerate().skip(1) {
                                @let flags = telltale_core::author::flags(&a.forms[0], f);
                                @let passed = a.passed.get(j - 1).copied();
                                li {
                                    "“" (f) "”"
                                    @if passed == Some(false) { " " span.flag { "reads less naturally than the original" } }
                                    @for fl in &flags { " " span.flag { (fl.describe()) } }
                                }
                            } } }
                            td { @if issued.is_empty() {
                                form method="post" action={ "/documents/" (doc.id) "/alternatives/" (k + 1) "/remove" } {
                                    (csrf(&c)) button type="submit" { "Remove" }
                                }
                            } }
                        } } }
                    }
                }
                @if issued.is_empty() {
                    form method="post" action={ "/documents/" (doc.id) "/alternatives" } id="add-alternative" {
                        (csrf(&c))
                        label { "Exact phrase of the document" input type="text" name="at" id="alt-at" required; }
                        label { "Which occurrence (from 1)" input type="number" name="nth" min="1" value="1"; }
                        label { "Alternative wordings, one per line" textarea name="alternatives" id="alt-wordings" rows="3" required {} }
                        button type="submit" id="add-alt" { "Add alternatives" }
                    }
                } @else {
                    p { "Copies have been issued; to change the wordings, register the revised text as a new document." }
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

pub(super) async fn set_rules(
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
pub(super) struct AlternativeForm {
    at: String,
    #[serde(default)]
    nth: String,
    alternatives: String,
}

pub(super) async fn add_alternative(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    UrlForm(f): UrlForm<AlternativeForm>,
) -> Page {
    let c = require(&app, &headers, &[Role::Author], true).await?;
    let nth = match f.nth.trim() {
        "" => 1,
        n => n
            .parse::<usize>()
            .map_err(|_| Failure::bad("the occurrence is a whole number from 1").page())?,
    };
    let alts: Vec<String> = f
        .alternatives
        .lines()
        .map(|l| l.trim_end_matches('\r').to_string())
        .filter(|l| !l.trim().is_empty())
        .collect();
    if alts.is_empty() {
        return Err(Failure::bad("give at least one alternative wording").page());
    }
    let id2 = id.clone();
    app.run(c.actor(), move |r| {
        r.add_alternative(&id2, &f.at, nth, &alts)
    })
    .await
    .map_err(Failure::page)?;
    Ok(Redirect::to(&format!("/documents/{id}#alternatives")).into_response())
}

pub(super) async fn remove_alternative(
    State(app): State<App>,
    headers: HeaderMap,
    Path((id, n)): Path<(String, usize)>,
) -> Page {
    let c = require(&app, &headers, &[Role::Author], true).await?;
    let id2 = id.clone();
    app.run(c.actor(), move |r| r.remove_alternative(&id2, n))
        .await
        .map_err(Failure::page)?;
    Ok(Redirect::to(&format!("/documents/{id}#alternatives")).into_response())
}

#[derive(serde::Deserialize)]
pub(super) struct DistributeForm {
    to: String,
    #[serde(default)]
    expires_days: String,
}

pub(super) async fn distribute(
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
    let audience = match f.to.strip_prefix("list:") {
        Some(l) => Audience::List(l.to_string()),
        None => Audience::Everyone,
    };
    let id2 = id.clone();
    let who = app
        .run(c.actor(), move |r| {
            r.document(&id2)?;
            r.audience(&audience)
        })
        .await
        .map_err(Failure::page)?;
    let job = jobs::start_distribution(&app, &c, id, who, true, expires)
        .await
        .map_err(Failure::page)?;
    Ok(Redirect::to(&format!("/jobs/{job}")).into_response())
}

pub(super) async fn job_page(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Page {
    let c = require(&app, &headers, &[Role::Author], true).await?;
    let j = jobs::job(&app, &c, id).await.map_err(Failure::page)?;
    if j.kind == JobKind::Registration {
        return registration_page(&c, &j);
    }
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

/// A registration's progress; once it is done, the new document's review.
fn registration_page(c: &Caller, j: &Job) -> Page {
    if j.finished && j.error.is_none() {
        return Ok(Redirect::to(&format!("/documents/{}", j.document)).into_response());
    }
    ok(
        "Registration",
        c,
        html! {
            h1 { "Registering a document" }
            div.progress id="job" data-job=(j.id) data-finished=(j.finished) data-kind="registration" {
                progress id="job-progress" max=(j.total.max(1)) value=(j.done) {}
                span id="job-count" {
                    @if j.total == 0 { "finding the places a copy can vary…" }
                    @else { (j.done) " of " (j.total) " sentences checked by the language model" }
                }
            }
            @if let Some(e) = &j.error {
                p.error id="error" { (e) }
                p { a href="/documents" { "Back to the documents" } }
            }
        },
    )
}

pub(super) async fn copies_zip(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Page {
    let html = !headers.contains_key(header::AUTHORIZATION);
    let c = require(&app, &headers, &[Role::Author], html).await?;
    let bytes = crate::api::zip_copies(&app, &c, id.clone())
        .await
        .map_err(|f| f.with_html(html))?;
    Ok(crate::api::zip_response(&id, bytes))
}

pub(super) async fn revoke_link(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Page {
    let c = require(&app, &headers, &[Role::Author], true).await?;
    let doc = app
        .run(c.actor(), move |r| {
            let l = r.link(&id)?;
            r.revoke_link(&id)?;
            Ok(l.document_id)
        })
        .await
        .map_err(Failure::page)?;
    Ok(Redirect::to(&format!("/documents/{doc}#links")).into_response())
}

// ---- authors: recipients and lists ----

pub(super) async fn recipients(State(app): State<App>, headers: HeaderMap) -> Page {
    let c = require(&app, &headers, &[Role::Author], true).await?;
    recipients_page(&app, &c, None).await
}

async fn recipients_page(
    app: &App,
    c: &Caller,
    report: Option<telltale_registry::ImportReport>,
) -> Page {
    let (people, lists) = app
        .run(c.actor(), |r| Ok((r.recipients()?, r.lists()?)))
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

pub(super) async fn import_recipients(
    State(app): State<App>,
    headers: HeaderMap,
    mp: Multipart,
) -> Page {
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
pub(super) struct ListForm {
    name: String,
    members: String,
}

pub(super) async fn create_list(
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

// ---- recipients ----

pub(super) async fn reading_room(State(app): State<App>, Path(secret): Path<String>) -> Page {
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

//! The API for authors: documents, their rules and alternatives,
//! distribution and its jobs, copies, reading-room links, recipients and
//! lists; and the recipients' own reading room.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use telltale_core::{Class, FileFormat, Layer};
use telltale_registry::accounts::LinkRefusal;
use telltale_registry::{Audience, Role};
use telltale_store::Recipient;
use utoipa::{IntoParams, ToSchema};

use super::{created, j, who, ApiResult, Body};
use crate::auth::Caller;
use crate::{jobs, ops, params, App, Failure};

#[derive(Deserialize, ToSchema)]
pub struct NewDocument {
    /// The document's text (UTF-8).
    text: String,
    title: Option<String>,
    /// "txt" (default), "md" or "html".
    format: Option<String>,
    /// "natural" (default), "strict" or "dense".
    profile: Option<String>,
}

/// Registered documents (author).
#[utoipa::path(get, path = "/api/documents", responses((status = 200, description = "documents"), (status = 403, description = "not an author")))]
pub(super) async fn list_documents(State(app): State<App>, h: HeaderMap) -> ApiResult {
    let c = who(&app, &h, &[Role::Author]).await?;
    let docs = app.run(c.actor(), |r| r.documents()).await?;
    j(json!(docs))
}

/// Register a document (author).
#[utoipa::path(post, path = "/api/documents", request_body = NewDocument, responses((status = 201, description = "the new document's id and capacity"), (status = 400, description = "bad input")))]
pub(super) async fn add_document(
    State(app): State<App>,
    h: HeaderMap,
    Body(b): Body<NewDocument>,
) -> ApiResult {
    let c = who(&app, &h, &[Role::Author]).await?;
    params::name("the title", b.title.as_deref())?;
    let name = b.format.as_deref().unwrap_or("txt");
    let format = match FileFormat::from_name(name) {
        Some(f @ (FileFormat::Txt | FileFormat::Md | FileFormat::Html)) => f,
        _ => {
            return Err(Failure::bad(format!(
                "unknown format {name}; choose txt, md or html (send Word files to /api/documents/file)"
            )))
        }
    };
    let d = ops::register(
        &app,
        &c,
        b.text.into_bytes(),
        format,
        b.title,
        ops::profile(b.profile.as_deref())?,
    )
    .await?;
    created(
        json!({"id": d.id, "title": d.title, "words": d.template.word_count(), "slots": d.template.slots.len()}),
    )
}

#[derive(Deserialize, IntoParams)]
pub(super) struct FileQuery {
    /// The file's name; its extension (.txt, .md, .html, .docx) says its format.
    name: String,
    title: Option<String>,
    profile: Option<String>,
}

/// Register a document from a file sent as the request body (author).
#[utoipa::path(post, path = "/api/documents/file", params(FileQuery), request_body(content = Vec<u8>, content_type = "application/octet-stream"), responses((status = 201, description = "the new document's id"), (status = 400, description = "unreadable file"), (status = 415, description = "format not read")))]
pub(super) async fn add_document_file(
    State(app): State<App>,
    h: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<FileQuery>,
    body: axum::body::Bytes,
) -> ApiResult {
    let c = who(&app, &h, &[Role::Author]).await?;
    params::name("the file name", Some(&q.name))?;
    params::name("the title", q.title.as_deref())?;
    let format = ops::upload_format(&q.name)?;
    let d = ops::register(
        &app,
        &c,
        body.to_vec(),
        format,
        q.title,
        ops::profile(q.profile.as_deref())?,
    )
    .await?;
    created(
        json!({"id": d.id, "title": d.title, "format": d.source_format, "words": d.template.word_count(), "slots": d.template.slots.len()}),
    )
}

#[derive(Deserialize, IntoParams)]
pub(super) struct DocQuery {
    /// Recipients to estimate the identifying quote length for, from 2 to
    /// 100,000 (default: holders, else all recipients, at most 100,000).
    recipients: Option<usize>,
}

/// A document with its capacity, slots and the estimated shortest identifying quote (author).
#[utoipa::path(get, path = "/api/documents/{id}", params(("id" = String, Path), DocQuery), responses((status = 200, description = "the document for review"), (status = 400, description = "recipients out of range"), (status = 404, description = "unknown document")))]
pub(super) async fn get_document(
    State(app): State<App>,
    h: HeaderMap,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<DocQuery>,
) -> ApiResult {
    let c = who(&app, &h, &[Role::Author]).await?;
    let asked = params::estimate_recipients(q.recipients)?;
    let (d, issued, est, n) = app
        .run(c.actor(), move |r| {
            let d = r.document(&id)?;
            let issued = r.issuances(Some(&id))?.len();
            let n = asked
                .unwrap_or(if issued > 0 {
                    issued
                } else {
                    r.recipients()?.len()
                })
                .clamp(2, params::MAX_ESTIMATE_RECIPIENTS);
            let est = r.estimate_quote(&d, n, 1e-3)?;
            Ok((d, issued, est, n))
        })
        .await?;
    let t = &d.template;
    let cap = t.capacity();
    let layers: Vec<Value> = Layer::ALL
        .iter()
        .enumerate()
        .map(|(i, l)| json!({"layer": l.name(), "slots": cap.slots[i], "bits": cap.bits[i], "bits_per_100_words": cap.per_100_words(*l).1}))
        .collect();
    let slots: Vec<Value> = t
        .sites
        .iter()
        .map(|s| json!({"slot": s.slot, "class": t.slots[s.slot as usize].class.name(), "layer": t.slots[s.slot as usize].layer().name(), "start": s.start, "end": s.end, "forms": s.forms, "original": t.slots[s.slot as usize].original}))
        .collect();
    j(json!({
        "id": d.id, "title": d.title, "words": cap.words, "issued": issued,
        "disabled_classes": d.rules.disabled.iter().map(|c| c.name()).collect::<Vec<_>>(),
        "capacity": layers,
        "shortest_identifying_quote": {"recipients": n, "threshold": 1e-3, "retyped_words": est.0, "pasted_words": est.1},
        "text": t.text, "slots": slots,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct Rules {
    /// Class names to switch off (see a document's slots for the names).
    disabled: Vec<String>,
}

/// Switch rule classes off for a document not yet issued (author).
#[utoipa::path(post, path = "/api/documents/{id}/rules", params(("id" = String, Path)), request_body = Rules, responses((status = 200, description = "the rebuilt document's slot count"), (status = 409, description = "already issued")))]
pub(super) async fn set_rules(
    State(app): State<App>,
    h: HeaderMap,
    Path(id): Path<String>,
    Body(b): Body<Rules>,
) -> ApiResult {
    let c = who(&app, &h, &[Role::Author]).await?;
    params::items("disabled", &b.disabled)?;
    let classes: Vec<Class> = b
        .disabled
        .iter()
        .map(|n| Class::from_name(n).ok_or_else(|| Failure::bad(format!("unknown rule class {n}"))))
        .collect::<Result<_, _>>()?;
    let d = app
        .run(c.actor(), move |r| r.set_disabled_classes(&id, &classes))
        .await?;
    j(
        json!({"id": d.id, "slots": d.template.slots.len(), "disabled_classes": d.rules.disabled.iter().map(|c| c.name()).collect::<Vec<_>>()}),
    )
}

/// A document's author slots, and what the gates said of new wordings.
pub(super) fn alternatives_json(
    d: &telltale_store::DocumentRecord,
    checks: &[telltale_core::rules::AuthorCheck],
) -> Value {
    json!({"id": d.id, "author_slots": d.rules.author, "checks": checks})
}

/// The author's alternative wordings of a document (author).
#[utoipa::path(get, path = "/api/documents/{id}/alternatives", params(("id" = String, Path)), responses((status = 200, description = "the author slots: byte range and wordings, the original first, with the gates' verdicts"), (status = 404, description = "unknown document")))]
pub(super) async fn list_alternatives(
    State(app): State<App>,
    h: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let c = who(&app, &h, &[Role::Author]).await?;
    let d = app.run(c.actor(), move |r| r.document(&id)).await?;
    j(alternatives_json(&d, &[]))
}

#[derive(Deserialize, ToSchema)]
pub struct NewAlternative {
    /// The exact phrase of the document to vary (inside one sentence).
    at: String,
    /// Which occurrence of the phrase (default 1).
    nth: Option<usize>,
    /// One or more alternative wordings.
    alternatives: Vec<String>,
}

/// Add an author slot; refused once copies of the document were issued (author).
#[utoipa::path(post, path = "/api/documents/{id}/alternatives", params(("id" = String, Path)), request_body = NewAlternative, responses((status = 201, description = "the author slots, and each new wording's verdicts: passed the grammar checker and the language model, and any number, date, name or negation it changes"), (status = 400, description = "the phrase is not in the document, spans sentences, overlaps a slot, or copies were issued"), (status = 404, description = "unknown document")))]
pub(super) async fn add_alternative(
    State(app): State<App>,
    h: HeaderMap,
    Path(id): Path<String>,
    Body(b): Body<NewAlternative>,
) -> ApiResult {
    let c = who(&app, &h, &[Role::Author]).await?;
    params::items("alternatives", &b.alternatives)?;
    let (d, checks) = app
        .run(c.actor(), move |r| {
            r.add_alternative(&id, &b.at, b.nth.unwrap_or(1), &b.alternatives)
        })
        .await?;
    created(alternatives_json(&d, &checks))
}

/// Remove author slot N (from 1, as listed); refused once copies were issued (author).
#[utoipa::path(post, path = "/api/documents/{id}/alternatives/{n}/remove", params(("id" = String, Path), ("n" = usize, Path)), responses((status = 200, description = "the remaining author slots"), (status = 400, description = "no such slot, or copies were issued"), (status = 404, description = "unknown document")))]
pub(super) async fn remove_alternative(
    State(app): State<App>,
    h: HeaderMap,
    Path((id, n)): Path<(String, usize)>,
) -> ApiResult {
    let c = who(&app, &h, &[Role::Author]).await?;
    let d = app
        .run(c.actor(), move |r| r.remove_alternative(&id, n))
        .await?;
    j(alternatives_json(&d, &[]))
}

#[derive(Deserialize, ToSchema)]
pub struct Distribution {
    /// Every recipient.
    #[serde(default)]
    all: bool,
    /// The members of a named list.
    list: Option<String>,
    /// These recipients.
    #[serde(default)]
    recipients: Vec<String>,
    /// Make reading-room links (default true).
    links: Option<bool>,
    /// Links stop opening after this many days.
    expires_days: Option<u32>,
}

/// Issue copies (and reading-room links) in the background; poll the job (author).
#[utoipa::path(post, path = "/api/documents/{id}/distribute", params(("id" = String, Path)), request_body = Distribution, responses((status = 202, description = "the job", body = crate::Job)))]
pub(super) async fn distribute(
    State(app): State<App>,
    h: HeaderMap,
    Path(id): Path<String>,
    Body(b): Body<Distribution>,
) -> ApiResult {
    let c = who(&app, &h, &[Role::Author]).await?;
    params::items("recipients", &b.recipients)?;
    if b.expires_days.is_some_and(|d| !(1..=3650).contains(&d)) {
        return Err(Failure::bad("expires_days must be from 1 to 3650"));
    }
    let id2 = id.clone();
    let audience = if b.all {
        Audience::Everyone
    } else if let Some(l) = b.list.clone() {
        Audience::List(l)
    } else {
        Audience::These(b.recipients.clone())
    };
    let who = app
        .run(c.actor(), move |r| {
            r.document(&id2)?;
            r.audience(&audience)
        })
        .await?;
    let job = jobs::start_distribution(&app, &c, id, who, b.links.unwrap_or(true), b.expires_days)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(jobs::job(&app, &c, job).await?)).into_response())
}

/// A distribution's progress; when finished, the links made (shown to its author only).
#[utoipa::path(get, path = "/api/jobs/{id}", params(("id" = i64, Path)), responses((status = 200, body = crate::Job), (status = 404, description = "no such job of yours")))]
pub(super) async fn get_job(
    State(app): State<App>,
    h: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult {
    let c = who(&app, &h, &[Role::Author]).await?;
    Ok(Json(jobs::job(&app, &c, id).await?).into_response())
}

/// Why a zip of copies could not be made.
enum ZipFailure {
    Registry(telltale_registry::RegistryError),
    /// Nothing has been issued yet: the caller asked too early.
    NoneIssued(String),
    /// Writing the zip failed: the server's fault, never the caller's.
    Zip(zip::result::ZipError),
}

impl From<telltale_registry::RegistryError> for ZipFailure {
    fn from(e: telltale_registry::RegistryError) -> ZipFailure {
        ZipFailure::Registry(e)
    }
}

impl From<telltale_store::StoreError> for ZipFailure {
    fn from(e: telltale_store::StoreError) -> ZipFailure {
        ZipFailure::Registry(e.into())
    }
}

impl From<ZipFailure> for Failure {
    fn from(e: ZipFailure) -> Failure {
        match e {
            ZipFailure::Registry(e) => e.into(),
            ZipFailure::NoneIssued(id) => {
                Failure::not_found(format!("no copies of {id} have been issued"))
            }
            ZipFailure::Zip(e) => Failure::internal(&format!("making the zip: {e}")),
        }
    }
}

/// Every issued copy of a document, zipped: the bytes as issued.
pub async fn zip_copies(app: &App, c: &Caller, id: String) -> Result<Vec<u8>, Failure> {
    app.run_with(c.actor(), move |r| {
        use std::io::Write;
        let issued = r.issuances(Some(&id))?;
        if issued.is_empty() {
            r.document(&id)?;
            return Err(ZipFailure::NoneIssued(id));
        }
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            // Each copy in the document's own format (a Word original gives
            // Word copies).
            let format = r.document(&id)?.source_format;
            let holders: Vec<String> = issued.iter().map(|i| i.recipient_id.clone()).collect();
            r.each_copy_as(&id, &holders, format, &mut |who, copy| {
                z.start_file(format!("{who}.{format}"), opts)
                    .map_err(ZipFailure::Zip)?;
                z.write_all(&copy)
                    .map_err(|e| ZipFailure::Zip(zip::result::ZipError::Io(e)))
            })?;
            z.finish().map_err(ZipFailure::Zip)?;
        }
        r.note("copies.download", &format!("{id}: {} copies", issued.len()))?;
        Ok(buf.into_inner())
    })
    .await
}

/// All issued copies as a zip (author).
#[utoipa::path(get, path = "/api/documents/{id}/copies.zip", params(("id" = String, Path)), responses((status = 200, description = "application/zip")))]
pub(super) async fn copies(
    State(app): State<App>,
    h: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let c = who(&app, &h, &[Role::Author]).await?;
    let bytes = zip_copies(&app, &c, id.clone()).await?;
    Ok(zip_response(&id, bytes))
}

/// A zip of a document's copies as a download, for the API and the page.
pub fn zip_response(id: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{id}-copies.zip\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// A document's reading-room links, without their secrets (author).
#[utoipa::path(get, path = "/api/documents/{id}/links", params(("id" = String, Path)), responses((status = 200, description = "links")))]
pub(super) async fn list_links(
    State(app): State<App>,
    h: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let c = who(&app, &h, &[Role::Author]).await?;
    let links = app
        .run(c.actor(), move |r| {
            r.document(&id)?;
            r.links(Some(&id))
        })
        .await?;
    j(json!(links.iter().map(|l| json!({"id": l.id, "recipient": l.recipient_id, "created_at": l.created_at, "expires_at": l.expires_at, "revoked": l.revoked, "views": l.views})).collect::<Vec<_>>()))
}

/// Withdraw a reading-room link, and with it every other link of the same recipient to the same document: they all open the same copy, so a forwarded link is withdrawn only with its siblings. Make a new link by distributing to the recipient again (author).
#[utoipa::path(post, path = "/api/links/{id}/revoke", params(("id" = String, Path)), responses((status = 200, description = "{revoked: the link, withdrawn: how many of the recipient's links to the document were live}"), (status = 404, description = "unknown link")))]
pub(super) async fn revoke_link(
    State(app): State<App>,
    h: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let c = who(&app, &h, &[Role::Author]).await?;
    let id2 = id.clone();
    let withdrawn = app.run(c.actor(), move |r| r.revoke_link(&id2)).await?;
    j(json!({"revoked": id, "withdrawn": withdrawn}))
}

/// Recipients (author).
#[utoipa::path(get, path = "/api/recipients", responses((status = 200, description = "recipients")))]
pub(super) async fn list_recipients(State(app): State<App>, h: HeaderMap) -> ApiResult {
    let c = who(&app, &h, &[Role::Author]).await?;
    j(json!(app.run(c.actor(), |r| r.recipients()).await?))
}

/// Add recipients: a CSV body (`text/csv`, header id,name[,email]; bad rows are listed, good ones kept) or a JSON array of {id, name, email} (author).
#[utoipa::path(post, path = "/api/recipients", request_body(content = String, content_type = "text/csv"), responses((status = 200, description = "added, updated, unchanged, rejected rows")))]
pub(super) async fn add_recipients(
    State(app): State<App>,
    h: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult {
    let c = who(&app, &h, &[Role::Author]).await?;
    let ct = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.starts_with("application/json") {
        let people: Vec<Recipient> = serde_json::from_slice(&body)
            .map_err(|e| Failure::bad(format!("recipients JSON: {e}")))?;
        params::items("the recipients", &people)?;
        let rep = app
            .run(c.actor(), move |r| {
                let mut out = Vec::new();
                for p in &people {
                    out.push(match r.add_recipient(p) {
                        Ok(u) => json!({"id": p.id, "result": u}),
                        Err(e) => json!({"id": p.id, "error": e.to_string()}),
                    });
                }
                Ok(out)
            })
            .await?;
        return j(json!(rep));
    }
    let csv = ops::decode("the CSV", &body)?;
    let rep = app
        .run(c.actor(), move |r| r.import_recipients(&csv))
        .await?;
    j(
        json!({"added": rep.added, "updated": rep.updated, "unchanged": rep.unchanged,
        "rejected": rep.rejected.iter().map(|(l, w)| json!({"line": l, "reason": w})).collect::<Vec<_>>()}),
    )
}

#[derive(Deserialize, ToSchema)]
pub struct NewList {
    name: String,
    members: Vec<String>,
}

/// Named lists (author).
#[utoipa::path(get, path = "/api/lists", responses((status = 200, description = "lists with member counts")))]
pub(super) async fn list_lists(State(app): State<App>, h: HeaderMap) -> ApiResult {
    let c = who(&app, &h, &[Role::Author]).await?;
    let lists = app.run(c.actor(), |r| r.lists()).await?;
    j(json!(lists
        .iter()
        .map(|(n, k)| json!({"name": n, "members": k}))
        .collect::<Vec<_>>()))
}

/// Create or replace a list (author).
#[utoipa::path(post, path = "/api/lists", request_body = NewList, responses((status = 200, description = "created")))]
pub(super) async fn create_list(
    State(app): State<App>,
    h: HeaderMap,
    Body(b): Body<NewList>,
) -> ApiResult {
    let c = who(&app, &h, &[Role::Author]).await?;
    params::items("members", &b.members)?;
    params::name("the list name", Some(&b.name))?;
    let name = b.name.clone();
    app.run(c.actor(), move |r| r.create_list(&b.name, &b.members))
        .await?;
    j(json!({"name": name}))
}

/// A recipient's own copy, by their personal link's secret (no account needed).
#[utoipa::path(get, path = "/api/reading/{secret}", security(()), params(("secret" = String, Path)), responses((status = 200, description = "title and text"), (status = 404, description = "no such link"), (status = 410, description = "revoked or expired")))]
pub(super) async fn reading(State(app): State<App>, Path(secret): Path<String>) -> ApiResult {
    let opened = app
        .run("reading-room".into(), move |r| r.open_link(&secret))
        .await?;
    match opened {
        Ok(c) => Ok(([(header::CACHE_CONTROL, "no-store")], Json(json!({"title": c.title, "document": c.document_id, "text": c.text, "expires_at": c.expires_at})))
            .into_response()),
        Err(LinkRefusal::Unknown) => Err(Failure::not_found("this link does not exist")),
        Err(LinkRefusal::Revoked) => Err(Failure::new(StatusCode::GONE, "this link has been withdrawn")),
        Err(LinkRefusal::Expired) => Err(Failure::new(StatusCode::GONE, "this link has expired")),
    }
}

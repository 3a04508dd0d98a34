//! The JSON API: the same operations as the pages, for scripts. Every
//! endpoint is listed in the OpenAPI document served at /api/openapi.json,
//! which is generated from the annotations here.
//!
//! Authenticate with `Authorization: Bearer tt_…` (an API token), or with a
//! browser session cookie plus an `X-CSRF-Token` header on changes.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use telltale_core::{Class, Layer};
use telltale_registry::accounts::LinkRefusal;
use telltale_registry::{Audience, Role};
use telltale_store::Recipient;
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::auth::{require, Caller};
use crate::{jobs, ops, params, App, Failure};

type ApiResult = Result<Response, Failure>;

#[derive(OpenApi)]
#[openapi(
    info(title = "telltale", description = "Fingerprinted copies of confidential text, and leaks traced back to their source."),
    paths(
        whoami, list_documents, add_document, add_document_file, get_document, set_rules,
        list_alternatives, add_alternative, remove_alternative, distribute, get_job,
        copies, list_links, revoke_link, list_recipients, add_recipients, list_lists, create_list,
        trace, trace_file, list_traces, get_trace, audit, backup, list_users, add_user, update_user, list_tokens,
        create_token, revoke_token, reading, openapi
    ),
    components(schemas(
        NewDocument, Rules, NewAlternative, Distribution, NewList, TraceRequest, NewUser, UserChange, NewToken,
        crate::Job, crate::JobLink
    )),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let comps = api.components.get_or_insert_with(Default::default);
        comps.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn routes() -> Router<App> {
    Router::new()
        .route("/api/openapi.json", get(openapi))
        .route("/api/whoami", get(whoami))
        .route("/api/documents", get(list_documents).post(add_document))
        .route("/api/documents/file", post(add_document_file))
        .route("/api/documents/{id}", get(get_document))
        .route("/api/documents/{id}/rules", post(set_rules))
        .route(
            "/api/documents/{id}/alternatives",
            get(list_alternatives).post(add_alternative),
        )
        .route(
            "/api/documents/{id}/alternatives/{n}/remove",
            post(remove_alternative),
        )
        .route("/api/documents/{id}/distribute", post(distribute))
        .route("/api/documents/{id}/copies.zip", get(copies))
        .route("/api/documents/{id}/links", get(list_links))
        .route("/api/jobs/{id}", get(get_job))
        .route("/api/links/{id}/revoke", post(revoke_link))
        .route("/api/recipients", get(list_recipients).post(add_recipients))
        .route("/api/lists", get(list_lists).post(create_list))
        .route("/api/trace", post(trace))
        .route("/api/trace/file", post(trace_file))
        .route("/api/traces", get(list_traces))
        .route("/api/traces/{id}", get(get_trace))
        .route("/api/audit", get(audit))
        .route("/api/admin/backup", post(backup))
        .route("/api/users", get(list_users).post(add_user))
        .route("/api/users/{name}", post(update_user))
        .route("/api/tokens", get(list_tokens).post(create_token))
        .route("/api/tokens/{id}/revoke", post(revoke_token))
        .route("/api/reading/{secret}", get(reading))
}

fn j(v: Value) -> ApiResult {
    Ok(Json(v).into_response())
}

fn created(v: Value) -> ApiResult {
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn who(app: &App, h: &HeaderMap, roles: &[Role]) -> Result<Caller, Failure> {
    require(app, h, roles, false).await
}

/// A JSON body, with a one-line error when it does not parse.
struct Body<T>(T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for Body<T> {
    type Rejection = Failure;
    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Failure> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body(v)),
            Err(e) => Err(Failure::new(e.status(), e.body_text())),
        }
    }
}

/// The OpenAPI document of this API.
#[utoipa::path(get, path = "/api/openapi.json", security(()), responses((status = 200, description = "OpenAPI 3.1 document")))]
async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// The caller's user name and role.
#[utoipa::path(get, path = "/api/whoami", responses((status = 200, description = "name and role"), (status = 401, description = "not signed in")))]
async fn whoami(State(app): State<App>, h: HeaderMap) -> ApiResult {
    let c = who(&app, &h, &Role::ALL).await?;
    j(json!({"name": c.user.name, "role": c.user.role}))
}

#[derive(Deserialize, ToSchema)]
pub struct NewDocument {
    /// The document's text (UTF-8).
    text: String,
    title: Option<String>,
    /// "txt" (default) or "md".
    format: Option<String>,
    /// "natural" (default), "strict" or "dense".
    profile: Option<String>,
}

/// Registered documents (author).
#[utoipa::path(get, path = "/api/documents", responses((status = 200, description = "documents"), (status = 403, description = "not an author")))]
async fn list_documents(State(app): State<App>, h: HeaderMap) -> ApiResult {
    let c = who(&app, &h, &[Role::Author]).await?;
    let docs = app.run(c.actor(), |r| r.documents()).await?;
    j(json!(docs))
}

/// Register a document (author).
#[utoipa::path(post, path = "/api/documents", request_body = NewDocument, responses((status = 201, description = "the new document's id and capacity"), (status = 400, description = "bad input")))]
async fn add_document(
    State(app): State<App>,
    h: HeaderMap,
    Body(b): Body<NewDocument>,
) -> ApiResult {
    let c = who(&app, &h, &[Role::Author]).await?;
    params::name("the title", b.title.as_deref())?;
    let format = match b.format.as_deref().unwrap_or("txt") {
        "txt" => ops::TextFormat::Txt,
        "md" => ops::TextFormat::Md,
        "html" => ops::TextFormat::Html,
        other => {
            return Err(Failure::bad(format!(
                "unknown format {other}; choose txt, md or html (send Word files to /api/documents/file)"
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
struct FileQuery {
    /// The file's name; its extension (.txt, .md, .html, .docx) says its format.
    name: String,
    title: Option<String>,
    profile: Option<String>,
}

/// Register a document from a file sent as the request body (author).
#[utoipa::path(post, path = "/api/documents/file", params(FileQuery), request_body(content = Vec<u8>, content_type = "application/octet-stream"), responses((status = 201, description = "the new document's id"), (status = 400, description = "unreadable file"), (status = 415, description = "format not read")))]
async fn add_document_file(
    State(app): State<App>,
    h: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<FileQuery>,
    body: axum::body::Bytes,
) -> ApiResult {
    let c = who(&app, &h, &[Role::Author]).await?;
    params::name("the file name", Some(&q.name))?;
    params::name("the title", q.title.as_deref())?;
    let ext = q.name.rsplit_once('.').map_or("", |(_, e)| e);
    let format = ops::TextFormat::from_extension(ext).ok_or_else(|| {
        Failure::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("cannot register .{ext} files yet: give .txt, .md, .html or .docx"),
        )
    })?;
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
struct DocQuery {
    /// Recipients to estimate the identifying quote length for, from 2 to
    /// 100,000 (default: holders, else all recipients, at most 100,000).
    recipients: Option<usize>,
}

/// A document with its capacity, slots and the estimated shortest identifying quote (author).
#[utoipa::path(get, path = "/api/documents/{id}", params(("id" = String, Path), DocQuery), responses((status = 200, description = "the document for review"), (status = 400, description = "recipients out of range"), (status = 404, description = "unknown document")))]
async fn get_document(
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
async fn set_rules(
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
fn alternatives_json(
    d: &telltale_store::DocumentRecord,
    checks: &[telltale_core::rules::AuthorCheck],
) -> Value {
    json!({"id": d.id, "author_slots": d.rules.author, "checks": checks})
}

/// The author's alternative wordings of a document (author).
#[utoipa::path(get, path = "/api/documents/{id}/alternatives", params(("id" = String, Path)), responses((status = 200, description = "the author slots: byte range and wordings, the original first, with the gates' verdicts"), (status = 404, description = "unknown document")))]
async fn list_alternatives(
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
async fn add_alternative(
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
async fn remove_alternative(
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
async fn distribute(
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
async fn get_job(State(app): State<App>, h: HeaderMap, Path(id): Path<i64>) -> ApiResult {
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
            r.each_copy_as(&id, &holders, &format, &mut |who, copy| {
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
async fn copies(State(app): State<App>, h: HeaderMap, Path(id): Path<String>) -> ApiResult {
    let c = who(&app, &h, &[Role::Author]).await?;
    let bytes = zip_copies(&app, &c, id.clone()).await?;
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

/// A document's reading-room links, without their secrets (author).
#[utoipa::path(get, path = "/api/documents/{id}/links", params(("id" = String, Path)), responses((status = 200, description = "links")))]
async fn list_links(State(app): State<App>, h: HeaderMap, Path(id): Path<String>) -> ApiResult {
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
async fn revoke_link(State(app): State<App>, h: HeaderMap, Path(id): Path<String>) -> ApiResult {
    let c = who(&app, &h, &[Role::Author]).await?;
    let id2 = id.clone();
    let withdrawn = app.run(c.actor(), move |r| r.revoke_link(&id2)).await?;
    j(json!({"revoked": id, "withdrawn": withdrawn}))
}

/// Recipients (author).
#[utoipa::path(get, path = "/api/recipients", responses((status = 200, description = "recipients")))]
async fn list_recipients(State(app): State<App>, h: HeaderMap) -> ApiResult {
    let c = who(&app, &h, &[Role::Author]).await?;
    j(json!(app.run(c.actor(), |r| r.recipients()).await?))
}

/// Add recipients: a CSV body (`text/csv`, header id,name[,email]; bad rows are listed, good ones kept) or a JSON array of {id, name, email} (author).
#[utoipa::path(post, path = "/api/recipients", request_body(content = String, content_type = "text/csv"), responses((status = 200, description = "added, updated, unchanged, rejected rows")))]
async fn add_recipients(
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
async fn list_lists(State(app): State<App>, h: HeaderMap) -> ApiResult {
    let c = who(&app, &h, &[Role::Author]).await?;
    let lists = app.run(c.actor(), |r| r.lists()).await?;
    j(json!(lists
        .iter()
        .map(|(n, k)| json!({"name": n, "members": k}))
        .collect::<Vec<_>>()))
}

/// Create or replace a list (author).
#[utoipa::path(post, path = "/api/lists", request_body = NewList, responses((status = 200, description = "created")))]
async fn create_list(State(app): State<App>, h: HeaderMap, Body(b): Body<NewList>) -> ApiResult {
    let c = who(&app, &h, &[Role::Author]).await?;
    params::items("members", &b.members)?;
    params::name("the list name", Some(&b.name))?;
    let name = b.name.clone();
    app.run(c.actor(), move |r| r.create_list(&b.name, &b.members))
        .await?;
    j(json!({"name": name}))
}

#[derive(Deserialize, ToSchema)]
pub struct TraceRequest {
    /// The leaked text.
    text: String,
    /// Only consider this document.
    document: Option<String>,
    /// File the leak under a case.
    case: Option<String>,
    /// False-accusation bound (default 0.001).
    threshold: Option<f64>,
}

/// Trace a leak (investigator): the `trace --json` report and the trace's id.
#[utoipa::path(post, path = "/api/trace", request_body = TraceRequest, responses((status = 200, description = "{trace_id, report}"), (status = 403, description = "not an investigator")))]
async fn trace(State(app): State<App>, h: HeaderMap, Body(b): Body<TraceRequest>) -> ApiResult {
    let c = who(&app, &h, &[Role::Investigator]).await?;
    params::name("the case", b.case.as_deref())?;
    params::name("the document", b.document.as_deref())?;
    let text = ops::decode("the text", b.text.as_bytes())?;
    let v = ops::trace(&app, &c, text, Vec::new(), b.document, b.case, b.threshold).await?;
    j(json!({"trace_id": v.id, "report": v.report}))
}

#[derive(Deserialize, IntoParams)]
struct LeakQuery {
    /// The file's name; its extension (.txt, .md, .html, .docx, .eml) says how to read it.
    name: String,
    document: Option<String>,
    case: Option<String>,
    threshold: Option<f64>,
}

/// Trace a leaked file sent as the request body (investigator).
#[utoipa::path(post, path = "/api/trace/file", params(LeakQuery), request_body(content = Vec<u8>, content_type = "application/octet-stream"), responses((status = 200, description = "{trace_id, report}"), (status = 415, description = "format not read")))]
async fn trace_file(
    State(app): State<App>,
    h: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<LeakQuery>,
    body: axum::body::Bytes,
) -> ApiResult {
    let c = who(&app, &h, &[Role::Investigator]).await?;
    params::name("the file name", Some(&q.name))?;
    params::name("the case", q.case.as_deref())?;
    params::name("the document", q.document.as_deref())?;
    let (text, layout) = ops::leak_text(&q.name, body.to_vec()).await?;
    let v = ops::trace(&app, &c, text, layout, q.document, q.case, q.threshold).await?;
    j(json!({"trace_id": v.id, "report": v.report}))
}

/// Traces run so far (investigator).
#[utoipa::path(get, path = "/api/traces", responses((status = 200, description = "traces")))]
async fn list_traces(State(app): State<App>, h: HeaderMap) -> ApiResult {
    let c = who(&app, &h, &[Role::Investigator]).await?;
    j(json!(app.run(c.actor(), |r| r.traces()).await?))
}

/// One trace with its input (investigator). Its evidence report is at /traces/{id}/report.
#[utoipa::path(get, path = "/api/traces/{id}", params(("id" = i64, Path)), responses((status = 200, description = "the trace"), (status = 404, description = "unknown trace")))]
async fn get_trace(State(app): State<App>, h: HeaderMap, Path(id): Path<i64>) -> ApiResult {
    let c = who(&app, &h, &[Role::Investigator]).await?;
    let v = ops::stored_trace(&app, &c, id).await?;
    j(
        json!({"trace_id": v.id, "at": v.at, "input_hash": v.input_hash, "input": v.input, "report": v.report}),
    )
}

/// The audit log and whether its hash chain is intact (admin, investigator).
#[utoipa::path(get, path = "/api/audit", responses((status = 200, description = "entries and verification")))]
async fn audit(State(app): State<App>, h: HeaderMap) -> ApiResult {
    let c = who(&app, &h, &[Role::Admin, Role::Investigator]).await?;
    let (log, ok) = app
        .run(c.actor(), |r| Ok((r.audit_log()?, r.verify_audit()?)))
        .await?;
    let verified = match ok {
        Ok(n) => json!({"intact": true, "entries": n}),
        Err((seq, why)) => json!({"intact": false, "broken_at": seq, "why": why}),
    };
    j(json!({"verified": verified, "entries": log}))
}

#[derive(Deserialize, ToSchema)]
pub struct NewUser {
    name: String,
    /// admin, author or investigator.
    role: String,
    password: String,
}

#[derive(Deserialize, ToSchema)]
pub struct UserChange {
    role: Option<String>,
    password: Option<String>,
    disabled: Option<bool>,
}

fn role(name: &str) -> Result<Role, Failure> {
    Role::from_name(name).ok_or_else(|| {
        Failure::bad(format!(
            "unknown role {name}; choose admin, author or investigator"
        ))
    })
}

/// Back the registry up (admin): a consistent snapshot of the database
/// with the key and the audit head, in a new directory under the server's
/// `--backup-dir`, verified before it is reported.
#[utoipa::path(post, path = "/api/admin/backup", responses((status = 201, description = "written and verified"), (status = 409, description = "the server has no backup directory")))]
async fn backup(State(app): State<App>, h: HeaderMap) -> ApiResult {
    let c = who(&app, &h, &[Role::Admin]).await?;
    let Some(root) = app.config().backup_dir.clone() else {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            "this server has no backup directory: start it with serve --backup-dir DIR",
        ));
    };
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let dir = root.join(format!("telltale-backup-{stamp}"));
    let s = app.run(c.actor(), move |r| r.backup(&dir)).await?;
    created(json!({
        "dir": s.dir.to_string_lossy(),
        "files": s.files.iter().map(|(f, n)| json!({"name": f, "bytes": n})).collect::<Vec<_>>(),
        "audit_entries": s.audit_entries,
        "issuances": s.issuances,
    }))
}

/// Users (admin).
#[utoipa::path(get, path = "/api/users", responses((status = 200, description = "users")))]
async fn list_users(State(app): State<App>, h: HeaderMap) -> ApiResult {
    let c = who(&app, &h, &[Role::Admin]).await?;
    let users = app.run(c.actor(), |r| r.users()).await?;
    j(json!(users.iter().map(|u| json!({"name": u.name, "role": u.role, "created_at": u.created_at, "disabled": u.disabled})).collect::<Vec<_>>()))
}

/// Add a user (admin).
#[utoipa::path(post, path = "/api/users", request_body = NewUser, responses((status = 201, description = "added"), (status = 409, description = "name taken")))]
async fn add_user(State(app): State<App>, h: HeaderMap, Body(b): Body<NewUser>) -> ApiResult {
    let c = who(&app, &h, &[Role::Admin]).await?;
    let ro = role(&b.role)?;
    let u = app
        .run(c.actor(), move |r| r.add_user(&b.name, ro, &b.password))
        .await?;
    created(json!({"name": u.name, "role": u.role}))
}

/// Change a user's role, password or state (admin). A new password, or disabling the user, ends every session of theirs and revokes every API token of theirs; enabling them again brings none back.
#[utoipa::path(post, path = "/api/users/{name}", params(("name" = String, Path)), request_body = UserChange, responses((status = 200, description = "changed"), (status = 404, description = "unknown user")))]
async fn update_user(
    State(app): State<App>,
    h: HeaderMap,
    Path(name): Path<String>,
    Body(b): Body<UserChange>,
) -> ApiResult {
    let c = who(&app, &h, &[Role::Admin]).await?;
    let ro = b.role.as_deref().map(role).transpose()?;
    let me = c.user.clone();
    let u = app
        .run(c.actor(), move |r| {
            r.update_user_for(&me, &name, ro, b.password.as_deref(), b.disabled)
        })
        .await?;
    j(json!({"name": u.name, "role": u.role, "disabled": u.disabled}))
}

#[derive(Deserialize, ToSchema)]
pub struct NewToken {
    label: String,
}

/// API tokens: the caller's own, or everyone's for an admin (never their secrets).
#[utoipa::path(get, path = "/api/tokens", responses((status = 200, description = "tokens")))]
async fn list_tokens(State(app): State<App>, h: HeaderMap) -> ApiResult {
    let c = who(&app, &h, &Role::ALL).await?;
    let me = c.user.clone();
    let ts = app.run(c.actor(), move |r| r.api_tokens_for(&me)).await?;
    j(json!(ts.iter()
        .map(|t| json!({"id": t.id, "user": t.user, "label": t.label, "created_at": t.created_at, "revoked": t.revoked})).collect::<Vec<_>>()))
}

/// Make an API token for the caller; the secret is in this answer only.
#[utoipa::path(post, path = "/api/tokens", request_body = NewToken, responses((status = 201, description = "{id, token}")))]
async fn create_token(State(app): State<App>, h: HeaderMap, Body(b): Body<NewToken>) -> ApiResult {
    let c = who(&app, &h, &Role::ALL).await?;
    let name = c.user.name.clone();
    let (secret, t) = app
        .run(c.actor(), move |r| r.create_api_token(&name, &b.label))
        .await?;
    created(json!({"id": t.id, "token": secret}))
}

/// Revoke a token: one's own, or anyone's for an admin.
#[utoipa::path(post, path = "/api/tokens/{id}/revoke", params(("id" = String, Path)), responses((status = 200, description = "revoked"), (status = 404, description = "no such token of yours")))]
async fn revoke_token(State(app): State<App>, h: HeaderMap, Path(id): Path<String>) -> ApiResult {
    let c = who(&app, &h, &Role::ALL).await?;
    let me = c.user.clone();
    let id2 = id.clone();
    app.run(c.actor(), move |r| r.revoke_api_token_for(&me, &id2))
        .await?;
    j(json!({"revoked": id}))
}

/// A recipient's own copy, by their personal link's secret (no account needed).
#[utoipa::path(get, path = "/api/reading/{secret}", security(()), params(("secret" = String, Path)), responses((status = 200, description = "title and text"), (status = 404, description = "no such link"), (status = 410, description = "revoked or expired")))]
async fn reading(State(app): State<App>, Path(secret): Path<String>) -> ApiResult {
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

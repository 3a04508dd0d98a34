//! The API for investigators: tracing leaks, the traces kept, and the
//! audit log.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::json;
use telltale_registry::Role;
use utoipa::{IntoParams, ToSchema};

use super::{j, who, ApiResult, Body};
use crate::{ops, params, App};

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
pub(super) async fn trace(
    State(app): State<App>,
    h: HeaderMap,
    Body(b): Body<TraceRequest>,
) -> ApiResult {
    let c = who(&app, &h, &[Role::Investigator]).await?;
    params::name("the case", b.case.as_deref())?;
    params::name("the document", b.document.as_deref())?;
    let text = ops::decode("the text", b.text.as_bytes())?;
    let v = ops::trace(&app, &c, text, Vec::new(), b.document, b.case, b.threshold).await?;
    j(json!({"trace_id": v.id, "report": v.report}))
}

#[derive(Deserialize, IntoParams)]
pub(super) struct LeakQuery {
    /// The file's name; its extension (.txt, .md, .html, .docx, .eml) says how to read it.
    name: String,
    document: Option<String>,
    case: Option<String>,
    threshold: Option<f64>,
}

/// Trace a leaked file sent as the request body (investigator).
#[utoipa::path(post, path = "/api/trace/file", params(LeakQuery), request_body(content = Vec<u8>, content_type = "application/octet-stream"), responses((status = 200, description = "{trace_id, report}"), (status = 415, description = "format not read")))]
pub(super) async fn trace_file(
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
pub(super) async fn list_traces(State(app): State<App>, h: HeaderMap) -> ApiResult {
    let c = who(&app, &h, &[Role::Investigator]).await?;
    j(json!(app.run(c.actor(), |r| r.traces()).await?))
}

/// One trace with its input (investigator). Its evidence report is at /traces/{id}/report.
#[utoipa::path(get, path = "/api/traces/{id}", params(("id" = i64, Path)), responses((status = 200, description = "the trace"), (status = 404, description = "unknown trace")))]
pub(super) async fn get_trace(
    State(app): State<App>,
    h: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult {
    let c = who(&app, &h, &[Role::Investigator]).await?;
    let v = ops::stored_trace(&app, &c, id).await?;
    j(
        json!({"trace_id": v.id, "at": v.at, "input_hash": v.input_hash, "input": v.input, "report": v.report}),
    )
}

/// The audit log and whether its hash chain is intact (admin, investigator).
#[utoipa::path(get, path = "/api/audit", responses((status = 200, description = "entries and verification")))]
pub(super) async fn audit(State(app): State<App>, h: HeaderMap) -> ApiResult {
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

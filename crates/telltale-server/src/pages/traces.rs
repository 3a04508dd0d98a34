//! The investigators' pages: tracing a leak, the trace result and its
//! self-contained evidence report, past traces and the audit log.
//! Everything here reads what came back, never what is sent out.

use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderMap};
use axum::response::IntoResponse;
use maud::{html, Markup};
use telltale_registry::report::odds_in_words;
use telltale_registry::Role;

use super::{ok, when, Page};
use crate::auth::require;
use crate::ops::{self, Form};
use crate::view::{self, csrf};
use crate::{params, App, Failure};

// ---- investigators ----

pub(super) async fn trace_form(State(app): State<App>, headers: HeaderMap) -> Page {
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

pub(super) async fn trace(State(app): State<App>, headers: HeaderMap, mp: Multipart) -> Page {
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

pub(super) async fn trace_page(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Page {
    let c = require(&app, &headers, &[Role::Investigator], true).await?;
    let v = ops::stored_trace(&app, &c, id)
        .await
        .map_err(Failure::page)?;
    ok("Trace result", &c, trace_body(&v, true))
}

/// The trace result: verdict, suspects, and the input marked up.
pub fn trace_body(v: &ops::TraceView, links: bool) -> Markup {
    let rep = &v.report;
    html! {
        h1 { "Trace " (v.id) }
        p.verdict id="verdict" { (view::verdict(rep)) }
        @if links {
            p {
                a href={ "/traces/" (v.id) "/report" } id="evidence-report" download={ "telltale-evidence-" (v.id) ".html" } { "Evidence report (self-contained HTML, printable)" }
                " · "
                a href={ "/traces/" (v.id) "/report.pdf" } id="evidence-pdf" download={ "telltale-evidence-" (v.id) ".pdf" } { "Signed PDF for the inquiry file" }
                " (check it with " code { "telltale report verify" } ")"
            }
        }
        @for (i, (d, sharing)) in rep.documents.iter().zip(&v.sharing).enumerate() {
            section.card.document {
                h2 { span class={ "swatch d" (i % 4) } {} "Quotes “" (d.title) "” " span.id { "(" (d.id) ")" } }
                p { (d.aligned_words) " words aligned; " (d.slots_observed) " slots read, " (d.slots_erased) " erased; " (d.recipients) " recipients hold a copy." @if d.layout_marks > 0 { " " (d.layout_marks) " line shifts read from the page image." } }
                (view::suspects_table(&d.accused, &d.suspects))
                (view::shortlist(d))
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

pub(super) async fn traces(State(app): State<App>, headers: HeaderMap) -> Page {
    let c = require(&app, &headers, &[Role::Investigator], true).await?;
    let list = app
        .run(c.actor(), |r| r.traces())
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

pub(super) async fn evidence_report(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Page {
    let html_caller = !headers.contains_key(header::AUTHORIZATION);
    let c = require(&app, &headers, &[Role::Investigator], html_caller).await?;
    let v = ops::stored_trace(&app, &c, id)
        .await
        .map_err(|f| f.with_html(html_caller))?;
    // The registry as it stands now, for the inquiry file (only the report
    // needs it, so the trace page does not read the whole audit log).
    let s = &app
        .run(c.actor(), |r| r.state())
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

/// The evidence report as a PDF signed with the registry's report key.
/// Making one is audited, with the hash of the file handed out.
pub(super) async fn evidence_pdf(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Page {
    let html_caller = !headers.contains_key(header::AUTHORIZATION);
    let c = require(&app, &headers, &[Role::Investigator], html_caller).await?;
    let who = c.user.name.clone();
    let pdf = app
        .run(c.actor(), move |r| r.evidence_pdf(id, &who))
        .await
        .map_err(|f| f.with_html(html_caller))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"telltale-evidence-{id}.pdf\""),
            ),
        ],
        pdf,
    )
        .into_response())
}

pub(super) async fn audit(State(app): State<App>, headers: HeaderMap) -> Page {
    let c = require(&app, &headers, &[Role::Admin, Role::Investigator], true).await?;
    let (log, verified) = app
        .run(c.actor(), |r| Ok((r.audit_log()?, r.verify_audit()?)))
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

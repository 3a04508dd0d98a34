//! What the pages and the API both do: read uploaded text, check it can
//! be registered, trace a leak and gather what its result page shows.
//! (Background jobs are in `jobs`.)

use std::collections::HashMap;

use axum::extract::Multipart;
use telltale_core::{AccuseParams, FileFormat, Profile};
use telltale_formats::LeakFormat;
use telltale_registry::{DocumentReport, Registry, TraceReport, TraceRequest, MAX_INPUT_BYTES};

use crate::auth::Caller;
use crate::view::EvidenceView;
use crate::{App, Failure};

/// A multipart form: text fields, and uploaded files with their names.
#[derive(Default)]
pub struct Form {
    pub fields: HashMap<String, String>,
    pub files: HashMap<String, (String, Vec<u8>)>,
}

impl Form {
    pub async fn read(mut mp: Multipart) -> Result<Form, Failure> {
        let mut form = Form::default();
        loop {
            let field = match mp.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    return Err(Failure::new(
                        e.status(),
                        format!("the upload could not be read: {}", e.body_text()),
                    ))
                }
            };
            let name = field.name().unwrap_or("").to_string();
            let file = field.file_name().map(str::to_string);
            let bytes = field.bytes().await.map_err(|e| {
                Failure::new(
                    e.status(),
                    format!("the upload could not be read: {}", e.body_text()),
                )
            })?;
            match file {
                Some(f) if !f.is_empty() => {
                    form.files.insert(name, (f, bytes.to_vec()));
                }
                Some(_) => {}
                None => {
                    let s = String::from_utf8(bytes.to_vec()).map_err(|_| {
                        Failure::bad(format!("form field {name} is not UTF-8 text"))
                    })?;
                    form.fields.insert(name, s);
                }
            }
        }
        Ok(form)
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    /// A document to register: an uploaded file (.txt, .md, .html,
    /// .docx) as bytes with its format, or else the text of a field.
    pub fn document(&self, file: &str, field: &str) -> Result<(Vec<u8>, FileFormat), Failure> {
        if let Some((name, bytes)) = self.files.get(file) {
            return Ok((bytes.clone(), upload_format(name)?));
        }
        match self.fields.get(field) {
            Some(t) if !t.trim().is_empty() => {
                Ok((t.replace("\r\n", "\n").into_bytes(), FileFormat::Txt))
            }
            _ => Err(Failure::bad("give the text: paste it or upload a file")),
        }
    }

    /// A leak to trace: an uploaded file read as a reader sees it (text,
    /// Markdown, HTML, DOCX, e-mail), or else the text of a field.
    pub async fn leak(&self, file: &str, field: &str) -> Result<(String, Vec<(u32, u8)>), Failure> {
        if let Some((name, bytes)) = self.files.get(file) {
            return leak_text(name, bytes.clone()).await;
        }
        match self.fields.get(field) {
            Some(t) if !t.trim().is_empty() => Ok((t.replace("\r\n", "\n"), Vec::new())),
            _ => Err(Failure::bad("give the text: paste it or upload a file")),
        }
    }
}

fn extension(name: &str) -> &str {
    name.rsplit_once('.').map_or("", |(_, e)| e)
}

/// The format of an uploaded document to register, from its file name.
pub fn upload_format(name: &str) -> Result<FileFormat, Failure> {
    telltale_formats::document_format(extension(name)).map_err(format_failure)
}

/// A file the formats crate would not take, answered by its error's type
/// (see [`crate::format_status`]).
fn format_failure(e: telltale_formats::FormatError) -> Failure {
    match crate::format_status(&e) {
        Some(status) => Failure::new(status, e.to_string()),
        None => Failure::internal(&e.to_string()),
    }
}

/// The text of a leaked file named `name`: text, Markdown, HTML, DOCX,
/// e-mail, PDF, or an image or scan read by OCR.
pub async fn leak_text(name: &str, bytes: Vec<u8>) -> Result<(String, Vec<(u32, u8)>), Failure> {
    let kind = LeakFormat::from_extension(extension(name)).map_err(format_failure)?;
    if kind.is_text() {
        return decode(name, &bytes).map(|t| (t, Vec::new()));
    }
    let name = name.to_string();
    // OCR runs for seconds in a subprocess; keep it off the async threads.
    let read = tokio::task::spawn_blocking(move || {
        telltale_ocr::read_leak_with_layout(kind, &bytes, telltale_ocr::Limits::default())
            .map_err(|e| (name, e))
    })
    .await
    .map_err(|e| Failure::internal(&format!("a worker thread failed: {e}")))?;
    match read {
        Ok(leak) => Ok(leak),
        Err((name, e)) => {
            use axum::http::StatusCode;
            use telltale_ocr::OcrError;
            // By type: a missing tool or a temporary-file failure is the
            // server's; a file the tools cannot read is the caller's.
            let status = match &e {
                OcrError::Missing { .. } | OcrError::Io(_) => StatusCode::SERVICE_UNAVAILABLE,
                OcrError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                OcrError::Format(f) => match crate::format_status(f) {
                    Some(status) => status,
                    None => return Err(Failure::internal(&format!("{name}: {e}"))),
                },
                OcrError::Timeout { .. }
                | OcrError::Failed { .. }
                | OcrError::NoTextLayer
                | OcrError::NotPdf
                | OcrError::NoText => StatusCode::BAD_REQUEST,
            };
            Err(Failure::new(status, format!("{name}: {e}")))
        }
    }
}

/// Uploaded bytes as text, or a one-line reason why not.
pub fn decode(name: &str, bytes: &[u8]) -> Result<String, Failure> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(Failure::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "{name} is {} bytes, more than the limit of {MAX_INPUT_BYTES} bytes",
                bytes.len()
            ),
        ));
    }
    if let Some(p) = bytes.iter().position(|&b| b == 0) {
        return Err(Failure::bad(format!(
            "{name} looks like a binary file (NUL byte at {p}); give plain text or Markdown"
        )));
    }
    let text = String::from_utf8(bytes.to_vec()).map_err(|e| {
        Failure::bad(format!(
            "{name} is not UTF-8 text (invalid byte at {}); convert it to UTF-8 first",
            e.utf8_error().valid_up_to()
        ))
    })?;
    let text = text
        .strip_prefix('\u{FEFF}')
        .unwrap_or(&text)
        .replace("\r\n", "\n");
    if text.trim().is_empty() {
        return Err(Failure::bad(format!("{name} is empty")));
    }
    Ok(text)
}

pub fn profile(name: Option<&str>) -> Result<Profile, Failure> {
    match name.unwrap_or("natural") {
        "strict" => Ok(Profile::Strict),
        "natural" => Ok(Profile::Natural),
        "dense" => Ok(Profile::Dense),
        other => Err(Failure::bad(format!(
            "unknown profile {other}; choose strict, natural or dense"
        ))),
    }
}

/// Refuse text that cannot be read, with the same one-line reasons however
/// it arrives, before any work starts.
pub(crate) fn check_readable(format: FileFormat, bytes: &[u8]) -> Result<(), Failure> {
    if format.is_text() {
        decode("the text", bytes)?;
    }
    Ok(())
}

pub async fn register(
    app: &App,
    c: &Caller,
    bytes: Vec<u8>,
    format: FileFormat,
    title: Option<String>,
    profile: Profile,
) -> Result<telltale_store::DocumentRecord, Failure> {
    check_readable(format, &bytes)?;
    app.run(c.actor(), move |r| {
        r.add_document_file(&bytes, format, title.as_deref(), profile)
    })
    .await
}

/// A finished trace with everything its page shows.
pub struct TraceView {
    pub id: i64,
    pub at: i64,
    pub input: String,
    pub input_hash: String,
    pub report: TraceReport,
    /// Per document, per evidence item: how many holders share the reading,
    /// and whether each accused recipient is among them.
    pub sharing: Vec<Vec<(usize, Vec<String>)>>,
}

fn sharing(
    r: &Registry,
    d: &DocumentReport,
) -> telltale_registry::Result<Vec<(usize, Vec<String>)>> {
    let readings: Vec<(u32, u8)> = d.evidence.iter().map(|e| (e.slot, e.observed)).collect();
    // The accused, or the best match when nobody is.
    let watched: Vec<&str> = d
        .accused
        .iter()
        .chain(d.suspects.first().map(|s| &s.recipient))
        .map(String::as_str)
        .collect();
    r.sharers(&d.id, &readings, &watched)
}

pub async fn trace(
    app: &App,
    c: &Caller,
    text: String,
    layout: Vec<(u32, u8)>,
    doc: Option<String>,
    case: Option<String>,
    threshold: Option<f64>,
) -> Result<TraceView, Failure> {
    let mut params = AccuseParams::default();
    if let Some(t) = threshold {
        if !(t > 0.0 && t < 1.0) {
            return Err(Failure::bad("the threshold must lie between 0 and 1"));
        }
        params.threshold = t;
    }
    app.run(c.actor(), move |r| {
        let (id, report) = r.trace(&TraceRequest {
            text: &text,
            layout: &layout,
            only: doc.as_deref(),
            case: case.as_deref(),
            params,
        })?;
        let record = r.trace_record(id)?;
        view_of(r, record, text, report)
    })
    .await
}

fn view_of(
    r: &Registry,
    record: telltale_store::TraceRecord,
    input: String,
    report: TraceReport,
) -> telltale_registry::Result<TraceView> {
    let sharing = report
        .documents
        .iter()
        .map(|d| sharing(r, d))
        .collect::<telltale_registry::Result<_>>()?;
    Ok(TraceView {
        id: record.id,
        at: record.at,
        input,
        input_hash: record.input_hash,
        report,
        sharing,
    })
}

/// A stored trace, read back for its page or its evidence report.
pub async fn stored_trace(app: &App, c: &Caller, id: i64) -> Result<TraceView, Failure> {
    app.run(c.actor(), move |r| {
        let t = r.stored_trace(id)?;
        view_of(r, t.record, t.input, t.report)
    })
    .await
}

/// The evidence marks of one document's reading.
pub fn evidence_marks(d: &DocumentReport, sharing: &[(usize, Vec<String>)]) -> Vec<EvidenceView> {
    d.evidence
        .iter()
        .zip(sharing)
        .map(|(e, (n, acc))| EvidenceView {
            span: e.leak_span,
            label: format!(
                "{} · slot {} reads “{}” · {} of {} recipients' copies show this{}",
                e.class,
                e.slot,
                e.form,
                n,
                d.recipients,
                if acc.is_empty() {
                    String::new()
                } else {
                    format!(" (including {})", acc.join(", "))
                }
            ),
        })
        .collect()
}

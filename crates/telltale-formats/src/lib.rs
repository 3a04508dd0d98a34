//! Documents that are files, not text: HTML, DOCX and e-mail.
//!
//! The engine works on plain text. This crate draws that text out of a file
//! together with a map ([`Segment`]s) from runs of the text back to the bytes
//! they came from, so that a copy is written into the original file itself:
//! a DOCX copy keeps the original's styles, headers, tables and images
//! because every part of the package but the edited text runs is copied
//! byte for byte, and an HTML copy keeps its markup. A variation site that
//! the map cannot carry back (one that straddles two runs of a Word
//! paragraph, or touches an entity) is dropped before the document is
//! registered ([`fit`]), so every copy can be written.
//!
//! No I/O: bytes in, bytes out. Files from outside are untrusted: sizes,
//! entry counts and expansion are capped ([`Limits`]) and every failure is
//! a one-line [`FormatError`].

// A library answers bad input with an error, never a panic.
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod docx;
mod entities;
mod html;
mod leak;
pub mod pdf;

use std::ops::Range;

use telltale_core::Template;
use thiserror::Error;

pub use leak::{leak_text, LeakFormat};

/// The format of a document to register, from its file name's extension
/// (none is text); other extensions are refused in one line.
pub fn document_format(ext: &str) -> Result<FileFormat, FormatError> {
    FileFormat::from_extension(ext)
        .ok_or_else(|| FormatError::NotRegistrable(ext.to_ascii_lowercase()))
}
pub use telltale_core::FileFormat;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum FormatError {
    #[error("{0} is not UTF-8 text; convert it to UTF-8 first")]
    NotUtf8(&'static str),
    #[error("the file looks binary (NUL byte at {0}); give text, HTML or DOCX")]
    Binary(usize),
    #[error("not a readable DOCX file: {0}")]
    Docx(String),
    #[error("the file expands to more than {limit} bytes; refused (a zip bomb?)")]
    TooLarge { limit: u64 },
    #[error("the file is empty (it has no text)")]
    Empty,
    #[error("cannot read .{0} files yet")]
    Unsupported(String),
    #[error("cannot register .{0} files yet: give text (.txt), Markdown (.md), HTML (.html), Word (.docx) or PDF (.pdf)")]
    NotRegistrable(String),
    #[error("cannot trace .{0} files yet: give text, Markdown, HTML, DOCX, PDF, e-mail (.eml) or an image")]
    NotTraceable(String),
    #[error("not a readable PDF: {0}")]
    Pdf(String),
    #[error(
        "the registered source does not match its template; it was changed after registration"
    )]
    Mismatch,
}

/// Caps on what an untrusted file may make us read.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest expanded size of any one part of a package.
    pub part_bytes: u64,
    /// Largest expanded size of a whole package.
    pub total_bytes: u64,
    /// Most entries in a package.
    pub entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            part_bytes: 64 * 1024 * 1024,
            total_bytes: 256 * 1024 * 1024,
            entries: 10_000,
        }
    }
}

/// A run of the extracted text that stands for bytes of the file one to
/// one, so that an edit inside it can be written back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Byte range in the extracted text.
    pub text: Range<usize>,
    /// Byte range in the markup (the HTML, or DOCX's word/document.xml).
    pub markup: Range<usize>,
    /// For DOCX: the `w:t` element it belongs to (see [`Source`]).
    pub element: Option<usize>,
}

/// A file with its text drawn out.
#[derive(Debug, Clone)]
pub struct Source {
    pub format: FileFormat,
    /// The file as given.
    pub bytes: Vec<u8>,
    /// The text the engine works on.
    pub text: String,
    pub segments: Vec<Segment>,
    /// The markup the segments point into (HTML text, or DOCX's
    /// word/document.xml); empty for plain text and Markdown.
    markup: String,
    /// DOCX: for each `w:t` element, where `xml:space="preserve"` can be
    /// inserted into its start tag, or `None` if it has it already.
    preserve_at: Vec<Option<usize>>,
    /// DOCX: where each body paragraph's mark goes.
    paragraphs: Vec<docx::ParagraphMark>,
}

/// Draw the text out of a file.
pub fn extract(format: FileFormat, bytes: &[u8], limits: Limits) -> Result<Source, FormatError> {
    let mut src = match format {
        FileFormat::Pdf => {
            return Err(FormatError::Unsupported(
                "pdf for registration (register the Word or text original; PDF copies are typeset from it)".into(),
            ))
        }
        FileFormat::Txt | FileFormat::Md => {
            let text = utf8(bytes, "the file")?;
            Source {
                format,
                bytes: bytes.to_vec(),
                segments: vec![Segment {
                    text: 0..text.len(),
                    markup: 0..text.len(),
                    element: None,
                }],
                text,
                markup: String::new(),
                preserve_at: Vec::new(),
                paragraphs: Vec::new(),
            }
        }
        FileFormat::Html => {
            let markup = utf8(bytes, "the HTML")?;
            let (text, segments) = html::extract(&markup);
            Source {
                format,
                bytes: bytes.to_vec(),
                text,
                segments,
                markup,
                preserve_at: Vec::new(),
                paragraphs: Vec::new(),
            }
        }
        FileFormat::Docx => {
            let xml = docx::document_xml(bytes, limits)?;
            let (text, segments, preserve_at, paragraphs) = docx::extract(&xml)?;
            Source {
                format,
                bytes: bytes.to_vec(),
                text,
                segments,
                markup: xml,
                preserve_at,
                paragraphs,
            }
        }
    };
    if src.text.trim().is_empty() {
        return Err(FormatError::Empty);
    }
    src.segments = merge_adjacent(std::mem::take(&mut src.segments));
    if matches!(format, FileFormat::Txt | FileFormat::Md) {
        src.text = src
            .text
            .strip_prefix('\u{FEFF}')
            .unwrap_or(&src.text)
            .to_string();
        src.segments[0].text = 0..src.text.len();
    }
    Ok(src)
}

/// Join segments that continue each other in both the text and the
/// markup, so that a site spanning a word and the space after it (or two
/// words) can be carried back.
fn merge_adjacent(segments: Vec<Segment>) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::with_capacity(segments.len());
    for g in segments {
        match out.last_mut() {
            Some(p)
                if p.text.end == g.text.start
                    && p.markup.end == g.markup.start
                    && p.element == g.element =>
            {
                p.text.end = g.text.end;
                p.markup.end = g.markup.end;
            }
            _ => out.push(g),
        }
    }
    out
}

fn utf8(bytes: &[u8], what: &'static str) -> Result<String, FormatError> {
    if let Some(p) = bytes.iter().position(|&b| b == 0) {
        return Err(FormatError::Binary(p));
    }
    String::from_utf8(bytes.to_vec()).map_err(|_| FormatError::NotUtf8(what))
}

impl Source {
    /// The segment a range of the text lies wholly inside, if any.
    fn segment_of(&self, r: &Range<usize>) -> Option<&Segment> {
        let i = self.segments.partition_point(|s| s.text.end < r.start);
        self.segments[i..]
            .iter()
            .take_while(|s| s.text.start <= r.start)
            .find(|s| r.end <= s.text.end)
    }
}

/// The template with every slot dropped that has a site the file cannot
/// carry back.
pub fn fit(template: &Template, source: &Source) -> Template {
    template.retain_slots(|s| source.segment_of(&s.range()).is_some())
}

/// A copy in the original's format: the edits of `codeword` written into
/// the file's own bytes.
pub fn render(
    source: &Source,
    template: &Template,
    codeword: &[u8],
) -> Result<Vec<u8>, FormatError> {
    render_marked(source, template, codeword, None)
}

/// The bit of each layout slot (see [`pdf::LAYOUT_SLOTS`]).
pub type Marks<'a> = &'a dyn Fn(u32) -> u8;

/// As [`render`], and for DOCX also marking every body paragraph's
/// `w:rsidP` with 32 bits of `marks` (an attribute Word keeps and no reader
/// sees; it names nobody in clear).
pub fn render_marked(
    source: &Source,
    template: &Template,
    codeword: &[u8],
    marks: Option<Marks>,
) -> Result<Vec<u8>, FormatError> {
    if template.text != source.text {
        return Err(FormatError::Mismatch);
    }
    let edits = template
        .edits(codeword)
        .map_err(|_| FormatError::Mismatch)?;
    match source.format {
        FileFormat::Pdf => Err(FormatError::Mismatch),
        FileFormat::Txt | FileFormat::Md => Ok(template
            .render(codeword)
            .map_err(|_| FormatError::Mismatch)?
            .into_bytes()),
        FileFormat::Html | FileFormat::Docx => {
            let mut out = String::with_capacity(source.markup.len() + 1024);
            let mut pos = 0;
            let mut preserve: Vec<usize> = Vec::new();
            let mut writes: Vec<(usize, usize, String)> = Vec::new();
            for (r, form) in edits {
                let seg = source.segment_of(&r).ok_or(FormatError::Mismatch)?;
                let a = seg.markup.start + (r.start - seg.text.start);
                let b = seg.markup.start + (r.end - seg.text.start);
                writes.push((a, b, entities::escape(form)));
                if let Some(Some(at)) = seg.element.map(|e| source.preserve_at[e]) {
                    preserve.push(at);
                }
            }
            preserve.sort_unstable();
            preserve.dedup();
            let mut inserts: Vec<(usize, usize, String)> = preserve
                .into_iter()
                .map(|at| (at, at, " xml:space=\"preserve\"".to_string()))
                .collect();
            if let Some(bit) = marks.filter(|_| source.format == FileFormat::Docx) {
                for (k, p) in source
                    .paragraphs
                    .iter()
                    .enumerate()
                    .take(pdf::DOCX_PARAGRAPHS as usize)
                {
                    let base = pdf::DOCX_SLOTS_START + k as u32 * 32;
                    let v = (0..32u32).fold(0u32, |v, i| (v << 1) | u32::from(bit(base + i) & 1));
                    match p {
                        docx::ParagraphMark::Replace(r) => {
                            inserts.push((r.start, r.end, format!("{v:08X}")))
                        }
                        docx::ParagraphMark::Insert(at) => {
                            inserts.push((*at, *at, format!(" w:rsidP=\"{v:08X}\"")))
                        }
                    }
                }
            }
            inserts.append(&mut writes);
            inserts.sort_by_key(|w| (w.0, w.1));
            for (a, b, s) in inserts {
                if a < pos {
                    return Err(FormatError::Mismatch);
                }
                out.push_str(&source.markup[pos..a]);
                out.push_str(&s);
                pos = b;
            }
            out.push_str(&source.markup[pos..]);
            if source.format == FileFormat::Html {
                Ok(out.into_bytes())
            } else {
                docx::replace_document_xml(&source.bytes, &out)
            }
        }
    }
}

/// A copy of plain text in another format, for documents registered from
/// text: paragraphs become HTML paragraphs or Word paragraphs.
pub fn from_text(text: &str, format: FileFormat, title: &str) -> Result<Vec<u8>, FormatError> {
    match format {
        FileFormat::Txt | FileFormat::Md => Ok(text.as_bytes().to_vec()),
        FileFormat::Html => Ok(html::from_text(text, title).into_bytes()),
        FileFormat::Docx => docx::from_text(text),
        FileFormat::Pdf => pdf::from_text(
            text,
            &pdf::Memo {
                title,
                classification: classification(text),
                marks: None,
            },
        ),
    }
}

/// A classification marking on the document's first line
/// ("OFFICIAL-SENSITIVE", "SECRET", "CONFIDENTIAL"), to print at the head
/// and foot of every page.
pub fn classification(text: &str) -> Option<&str> {
    let first = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    let words = [
        "OFFICIAL",
        "SECRET",
        "CONFIDENTIAL",
        "RESTRICTED",
        "SENSITIVE",
    ];
    (first.len() <= 40 && first == first.to_uppercase() && words.iter().any(|w| first.contains(w)))
        .then_some(first)
}

/// The paragraph marks of a leaked Word file, as (layout slot, bit).
pub fn docx_marks(bytes: &[u8], limits: Limits) -> Result<Vec<(u32, u8)>, FormatError> {
    docx::read_marks(bytes, limits)
}

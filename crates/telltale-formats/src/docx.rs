//! DOCX: the text of `word/document.xml`, drawn out with a map back, and
//! copies made by rewriting only that part of the package.
//!
//! Paragraphs (`w:p`, in the body and in tables) become paragraphs of the
//! text; their runs' text (`w:t`) becomes the text, tabs and breaks become
//! `\t` and `\n`. Deleted text and field instructions are not text a reader
//! sees and are skipped. Every other part of the package — styles, headers,
//! footers, numbering, images, settings — is copied into each copy byte for
//! byte, entry by entry, in the same order.

use std::io::{Read, Write};

use quick_xml::events::Event;
use quick_xml::Reader;

use crate::entities::decode_run;
use crate::{FormatError, Limits, Segment};

const DOCUMENT: &str = "word/document.xml";

fn bad(e: impl std::fmt::Display) -> FormatError {
    FormatError::Docx(e.to_string().replace('\n', " "))
}

fn archive(
    bytes: &[u8],
    limits: Limits,
) -> Result<zip::ZipArchive<std::io::Cursor<&[u8]>>, FormatError> {
    let z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(bad)?;
    if z.len() > limits.entries {
        return Err(FormatError::Docx(format!(
            "{} entries, more than the limit of {}",
            z.len(),
            limits.entries
        )));
    }
    Ok(z)
}

/// Read one entry, refusing to expand past `limit` whatever its header says.
fn read_capped(
    f: &mut zip::read::ZipFile<'_, std::io::Cursor<&[u8]>>,
    limit: u64,
) -> Result<Vec<u8>, FormatError> {
    if f.size() > limit {
        return Err(FormatError::TooLarge { limit });
    }
    let mut out = Vec::new();
    f.take(limit + 1).read_to_end(&mut out).map_err(bad)?;
    if out.len() as u64 > limit {
        return Err(FormatError::TooLarge { limit });
    }
    Ok(out)
}

/// The main document part, after checking the whole package against the
/// limits (declared sizes and the entry count).
pub fn document_xml(bytes: &[u8], limits: Limits) -> Result<String, FormatError> {
    let mut z = archive(bytes, limits)?;
    let mut total = 0u64;
    for i in 0..z.len() {
        let f = z.by_index_raw(i).map_err(bad)?;
        total = total.saturating_add(f.size());
        if total > limits.total_bytes {
            return Err(FormatError::TooLarge {
                limit: limits.total_bytes,
            });
        }
    }
    let mut f = z
        .by_name(DOCUMENT)
        .map_err(|_| FormatError::Docx(format!("it has no {DOCUMENT}")))?;
    let xml = read_capped(&mut f, limits.part_bytes)?;
    String::from_utf8(xml).map_err(|_| FormatError::NotUtf8("word/document.xml"))
}

/// Where a paragraph's mark goes: its `w:rsidP` value to replace, or the
/// place in its start tag to add one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParagraphMark {
    Replace(std::ops::Range<usize>),
    Insert(usize),
}

type Extracted = (String, Vec<Segment>, Vec<Option<usize>>, Vec<ParagraphMark>);

fn paragraph_mark(xml: &str, before: usize, after: usize) -> ParagraphMark {
    let tag = &xml[before..after];
    match tag.find(" w:rsidP=\"") {
        Some(i) => {
            let start = before + i + 10;
            let end = xml[start..after].find('"').map_or(start, |e| start + e);
            ParagraphMark::Replace(start..end)
        }
        None => ParagraphMark::Insert(before + 4),
    }
}

pub fn extract(xml: &str) -> Result<Extracted, FormatError> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    let mut text = String::new();
    let mut segments = Vec::new();
    let mut preserve_at: Vec<Option<usize>> = Vec::new();
    let mut in_t: Option<usize> = None;
    let mut in_body = false;
    let mut paragraphs = Vec::new();
    loop {
        let before = reader.buffer_position() as usize;
        let ev = reader
            .read_event()
            .map_err(|e| bad(format!("word/document.xml at byte {before}: {e}")))?;
        let after = reader.buffer_position() as usize;
        match ev {
            Event::Start(e) => match e.name().as_ref() {
                b"w:body" => in_body = true,
                b"w:p" if in_body => paragraphs.push(paragraph_mark(xml, before, after)),
                b"w:t" if in_body => {
                    let has = e
                        .attributes()
                        .flatten()
                        .any(|a| a.key.as_ref() == b"xml:space" && a.value.as_ref() == b"preserve");
                    preserve_at.push((!has).then_some(before + 4));
                    in_t = Some(preserve_at.len() - 1);
                }
                _ => {}
            },
            Event::End(e) => match e.name().as_ref() {
                b"w:t" => in_t = None,
                b"w:p" if in_body && !text.is_empty() && !text.ends_with("\n\n") => {
                    text.push_str("\n\n");
                }
                b"w:body" => in_body = false,
                _ => {}
            },
            Event::Empty(e) if in_body => match e.name().as_ref() {
                b"w:p" => paragraphs.push(paragraph_mark(xml, before, after)),
                b"w:tab" => text.push('\t'),
                b"w:br" | b"w:cr" => text.push('\n'),
                _ => {}
            },
            Event::Text(_) | Event::GeneralRef(_) if in_t.is_some() => {
                decode_run(xml, before..after, &mut text, &mut segments, in_t);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    while text.ends_with(char::is_whitespace) {
        text.pop();
    }
    segments.retain(|g| g.text.end <= text.len());
    Ok((text, segments, preserve_at, paragraphs))
}

/// The package with its main document part replaced, every other entry
/// copied as it was.
pub fn replace_document_xml(bytes: &[u8], xml: &str) -> Result<Vec<u8>, FormatError> {
    let mut z = archive(bytes, Limits::default())?;
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..z.len() {
        let f = z.by_index_raw(i).map_err(bad)?;
        if f.name() == DOCUMENT {
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .last_modified_time(f.last_modified().unwrap_or_default());
            drop(f);
            out.start_file(DOCUMENT, opts).map_err(bad)?;
            out.write_all(xml.as_bytes()).map_err(bad)?;
        } else {
            out.raw_copy_file(f).map_err(bad)?;
        }
    }
    Ok(out.finish().map_err(bad)?.into_inner())
}

/// A minimal Word document with one paragraph per paragraph of `text`.
pub fn from_text(text: &str) -> Result<Vec<u8>, FormatError> {
    let mut body = String::new();
    for para in text.split("\n\n") {
        let p = para.trim_matches('\n');
        if p.is_empty() {
            continue;
        }
        body.push_str("<w:p>");
        for (k, line) in p.split('\n').enumerate() {
            if k > 0 {
                body.push_str("<w:r><w:br/></w:r>");
            }
            body.push_str("<w:r><w:t xml:space=\"preserve\">");
            body.push_str(&crate::entities::escape(line));
            body.push_str("</w:t></w:r>");
        }
        body.push_str("</w:p>");
    }
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}<w:sectPr/></w:body></w:document>"
    );
    let parts: [(&str, &str); 3] = [
        ("[Content_Types].xml", "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>"),
        ("_rels/.rels", "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/></Relationships>"),
        (DOCUMENT, &document),
    ];
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    for (name, content) in parts {
        out.start_file(name, opts).map_err(bad)?;
        out.write_all(content.as_bytes()).map_err(bad)?;
    }
    Ok(out.finish().map_err(bad)?.into_inner())
}

/// The marks of a Word file's paragraphs: each body paragraph's `w:rsidP`
/// read as 32 bits, for layout slots from `crate::pdf::DOCX_SLOTS_START`.
pub fn read_marks(bytes: &[u8], limits: Limits) -> Result<Vec<(u32, u8)>, FormatError> {
    let xml = document_xml(bytes, limits)?;
    let (_, _, _, paragraphs) = extract(&xml)?;
    let mut out = Vec::new();
    for (k, p) in paragraphs
        .iter()
        .enumerate()
        .take(crate::pdf::DOCX_PARAGRAPHS as usize)
    {
        let ParagraphMark::Replace(r) = p else {
            continue;
        };
        let Ok(v) = u32::from_str_radix(&xml[r.clone()], 16) else {
            continue;
        };
        if xml[r.clone()].len() != 8 {
            continue;
        }
        for i in 0..32u32 {
            out.push((
                crate::pdf::DOCX_SLOTS_START + k as u32 * 32 + i,
                ((v >> (31 - i)) & 1) as u8,
            ));
        }
    }
    Ok(out)
}

//! Leaked files by kind. A leak arrives as whatever the leaker or the
//! newspaper made of a copy: the text itself, an HTML page, a Word file, an
//! e-mail, a PDF, a photograph. Its kind is decided once, from the file
//! name, where the file enters (the CLI, an upload); the readers take the
//! kind, not the name.

use telltale_core::FileFormat;

use crate::{extract, FormatError, Limits};

/// What kind of file a leak is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeakFormat {
    /// A document format: text and Markdown as they are, HTML and DOCX as
    /// [`extract`] reads them, a PDF by its text layer or by OCR.
    Document(FileFormat),
    /// An e-mail message (.eml): its subject and body text.
    Email,
    /// A photograph or scan, read by OCR.
    Image,
}

impl LeakFormat {
    /// The kind a file name's extension says. An extension telltale does
    /// not know is read as text (a `.log`, a `.csv`: if it is not UTF-8
    /// text, reading it says so); .doc, .odt, .rtf, .zip and .exe are
    /// refused in one line, since read as text they would only ever fail
    /// to match.
    pub fn from_extension(ext: &str) -> Result<LeakFormat, FormatError> {
        let lower = ext.to_ascii_lowercase();
        match lower.as_str() {
            "png" | "jpg" | "jpeg" | "tif" | "tiff" | "bmp" | "webp" => Ok(LeakFormat::Image),
            "eml" => Ok(LeakFormat::Email),
            "doc" | "odt" | "rtf" | "zip" | "exe" => Err(FormatError::NotTraceable(lower)),
            _ => Ok(LeakFormat::Document(
                FileFormat::from_extension(&lower).unwrap_or(FileFormat::Txt),
            )),
        }
    }

    /// Text or Markdown: the file is its own text.
    pub fn is_text(self) -> bool {
        matches!(self, LeakFormat::Document(f) if f.is_text())
    }
}

/// The text of a leaked file, for tracing: text and Markdown as they are,
/// HTML and DOCX as [`extract`] reads them, e-mail as its subject and body
/// text. Not PDF or images: `telltale_ocr::read_leak` reads every kind,
/// PDFs and images out of process.
pub fn leak_text(format: LeakFormat, bytes: &[u8], limits: Limits) -> Result<String, FormatError> {
    match format {
        LeakFormat::Email => {
            let msg = mail_parser::MessageParser::default()
                .parse(bytes)
                .ok_or_else(|| {
                    FormatError::Unsupported("eml that is not an e-mail message".into())
                })?;
            let mut text = String::new();
            if let Some(s) = msg.subject() {
                text.push_str(s);
                text.push_str("\n\n");
            }
            for i in 0..msg.text_body.len().max(1) {
                if let Some(b) = msg.body_text(i) {
                    text.push_str(&b);
                    text.push_str("\n\n");
                }
            }
            if text.trim().is_empty() {
                return Err(FormatError::Empty);
            }
            Ok(text)
        }
        // Parsed out of process by `telltale_ocr::pdf_text`: a PDF parser
        // in this process could be made to overflow its stack.
        LeakFormat::Document(FileFormat::Pdf) => Err(FormatError::Unsupported(
            "pdf here (its text layer is read by Poppler in a separate process)".into(),
        )),
        LeakFormat::Image => Err(FormatError::Unsupported(
            "images here (they are read by OCR in a separate process)".into(),
        )),
        LeakFormat::Document(f) => Ok(extract(f, bytes, limits)?.text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_the_extension() {
        let kind = |e: &str| LeakFormat::from_extension(e);
        assert_eq!(kind("JPG"), Ok(LeakFormat::Image));
        assert_eq!(kind("eml"), Ok(LeakFormat::Email));
        assert_eq!(kind("htm"), Ok(LeakFormat::Document(FileFormat::Html)));
        assert_eq!(kind("PDF"), Ok(LeakFormat::Document(FileFormat::Pdf)));
        assert_eq!(kind(""), Ok(LeakFormat::Document(FileFormat::Txt)));
        assert_eq!(kind("log"), Ok(LeakFormat::Document(FileFormat::Txt)));
        assert!(kind("log").unwrap().is_text() && !kind("docx").unwrap().is_text());
        assert_eq!(
            kind("RTF").unwrap_err().to_string(),
            "cannot trace .rtf files yet: give text, Markdown, HTML, DOCX, PDF, e-mail (.eml) or an image"
        );
    }
}

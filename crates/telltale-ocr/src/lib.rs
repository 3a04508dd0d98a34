//! Leaks that arrive as PDFs and pictures: PDFs' text layers, photographs
//! and screenshots of pages, and PDFs that are only scans. A PDF's text
//! layer is drawn out by Poppler's `pdftotext`, images are read by
//! Tesseract (Debian's `tesseract-ocr` and `tesseract-ocr-eng`), and
//! scanned PDFs are first rasterised by Poppler's `pdftoppm`
//! (`poppler-utils`).
//!
//! All of them run as subprocesses, not linked libraries: a hostile file
//! that overflows a parser's stack (a form XObject that draws itself),
//! loops or allocates without end then takes down only that process, which
//! `catch_unwind` in our own process could not promise. Each run has a
//! timeout and an address-space cap, inputs have a size limit, PDFs a page
//! limit and rasterised pages a pixel limit, and the files live in a
//! private temporary directory removed afterwards.

// A library answers bad input with an error, never a panic.
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod layout;
pub mod run;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use telltale_formats::{FileFormat, LeakFormat};
use thiserror::Error;

use crate::run::{PDFTOPPM, PDFTOTEXT, TESSERACT};

#[derive(Debug, Error)]
pub enum OcrError {
    #[error("{tool} is not installed (apt-get install {package}); it is needed to read images and scans")]
    Missing {
        tool: &'static str,
        package: &'static str,
    },
    #[error("{tool} gave up after {seconds} s")]
    Timeout { tool: &'static str, seconds: u64 },
    #[error("{tool} could not read the file: {message}")]
    Failed { tool: &'static str, message: String },
    #[error("the file is {size} bytes, more than the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("no text could be read from the image")]
    NoText,
    #[error("the PDF has no text layer (a scan or a photo?); give the page images to OCR")]
    NoTextLayer,
    #[error("it does not start with %PDF, so it is not a PDF")]
    NotPdf,
    #[error("temporary files: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Format(#[from] telltale_formats::FormatError),
}

/// A leaked file's text, as [`read_leak`] reads it, with the layout marks
/// its pages or paragraphs carry (see [`layout::read_layout`]).
pub fn read_leak_with_layout(
    format: LeakFormat,
    bytes: &[u8],
    limits: Limits,
) -> Result<(String, layout::LayoutMarks), OcrError> {
    let text = read_leak(format, bytes, limits)?;
    let marks = layout::read_layout(format, bytes, &text, limits);
    Ok((text, marks))
}

/// The text of a leaked file of any kind telltale reads: text, Markdown,
/// HTML, DOCX and e-mail by [`telltale_formats::leak_text`], a PDF's text
/// layer by [`pdf_text`], images by OCR, and PDFs without a text layer by
/// rasterising and OCR.
pub fn read_leak(format: LeakFormat, bytes: &[u8], limits: Limits) -> Result<String, OcrError> {
    match format {
        LeakFormat::Image => image_text(bytes, limits),
        LeakFormat::Document(FileFormat::Pdf) => match pdf_text(bytes, limits) {
            Err(OcrError::NoTextLayer) => scanned_pdf_text(bytes, limits),
            read => read,
        },
        _ => Ok(telltale_formats::leak_text(
            format,
            bytes,
            telltale_formats::Limits::default(),
        )?),
    }
}

/// Limits on one job of reading a file.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    pub max_bytes: usize,
    pub max_pages: u32,
    /// Resolution at which scanned PDF pages are rasterised.
    pub dpi: u32,
    /// Longest side of a rasterised page, in pixels: a larger page is
    /// cut to its top-left corner rather than rendered whole (a one-page
    /// PDF can declare a page of 6,000 points).
    pub max_page_side: u32,
    /// Pixels of an image decoded in this process (photographs, pages).
    pub max_image_pixels: u64,
    /// Address space of each external reader.
    pub max_memory_bytes: u64,
    /// What an external reader may print (a text layer, say).
    pub max_output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(120),
            max_bytes: 32 * 1024 * 1024,
            max_pages: 30,
            dpi: 300,
            // A3 at 300 dpi is 4,961 pixels high.
            max_page_side: 6_000,
            // A 50-megapixel phone photograph, with room to spare.
            max_image_pixels: 64_000_000,
            max_memory_bytes: 2 << 30,
            max_output_bytes: 32 * 1024 * 1024,
        }
    }
}

/// Whether Tesseract and Poppler's pdftoppm and pdftotext are installed.
pub fn available() -> bool {
    TESSERACT.path().is_ok() && PDFTOPPM.path().is_ok() && PDFTOTEXT.path().is_ok()
}

fn too_large(bytes: &[u8], limits: &Limits) -> Result<(), OcrError> {
    if bytes.len() > limits.max_bytes {
        return Err(OcrError::TooLarge {
            size: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    Ok(())
}

/// The text layer of a PDF, drawn out by Poppler's `pdftotext` in its own
/// process (pages one after another, each ending in a blank line).
/// [`OcrError::NoTextLayer`] when it has none.
pub fn pdf_text(bytes: &[u8], limits: Limits) -> Result<String, OcrError> {
    if !bytes.starts_with(b"%PDF") {
        return Err(OcrError::NotPdf);
    }
    too_large(bytes, &limits)?;
    let dir = tempfile::tempdir()?;
    let pdf = dir.path().join("in.pdf");
    std::fs::write(&pdf, bytes)?;
    let out = PDFTOTEXT
        .run(
            &[
                "-enc".as_ref(),
                "UTF-8".as_ref(),
                pdf.as_os_str(),
                "-".as_ref(),
            ],
            Instant::now() + limits.timeout,
            &limits,
        )
        // Say which kind of file was unreadable, not only which tool failed.
        .map_err(|e| match e {
            OcrError::Failed { message, .. } => OcrError::Failed {
                tool: "the PDF reader (pdftotext)",
                message,
            },
            e => e,
        })?;
    let text = String::from_utf8_lossy(&out).replace('\u{c}', "\n\n");
    if text.trim().is_empty() {
        return Err(OcrError::NoTextLayer);
    }
    Ok(text)
}

fn ocr_file(path: &Path, deadline: Instant, limits: &Limits) -> Result<String, OcrError> {
    let out = TESSERACT.run(
        &[
            path.as_os_str(),
            "stdout".as_ref(),
            "-l".as_ref(),
            "eng".as_ref(),
            "--psm".as_ref(),
            "3".as_ref(),
        ],
        deadline,
        limits,
    )?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// The text of a photographed or scanned page (PNG, JPEG, TIFF…).
pub fn image_text(bytes: &[u8], limits: Limits) -> Result<String, OcrError> {
    too_large(bytes, &limits)?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("page");
    std::fs::write(&path, bytes)?;
    let text = ocr_file(&path, Instant::now() + limits.timeout, &limits)?;
    if text.trim().is_empty() {
        return Err(OcrError::NoText);
    }
    Ok(text)
}

/// Decode an image in this process, refusing one whose declared size is
/// over `max_image_pixels` before any pixel is allocated (a few hundred
/// bytes of PNG can declare gigapixels).
pub fn decode_image(bytes: &[u8], limits: &Limits) -> Result<image::DynamicImage, OcrError> {
    let failed = |e: image::ImageError| OcrError::Failed {
        tool: "the image decoder",
        message: e.to_string(),
    };
    let reader = || {
        image::ImageReader::new(std::io::Cursor::new(bytes))
            .with_guessed_format()
            .map_err(OcrError::Io)
    };
    let (w, h) = reader()?.into_dimensions().map_err(failed)?;
    let pixels = u64::from(w) * u64::from(h);
    if pixels > limits.max_image_pixels {
        return Err(OcrError::Failed {
            tool: "the image decoder",
            message: format!(
                "the image is {w} x {h} pixels, more than the limit of {} pixels",
                limits.max_image_pixels
            ),
        });
    }
    let mut decoder = reader()?;
    let mut caps = image::Limits::default();
    // Room for the widest pixel format (16-bit RGBA) of the size allowed.
    caps.max_alloc = Some(limits.max_image_pixels.saturating_mul(8));
    decoder.limits(caps);
    decoder.decode().map_err(failed)
}

/// Rasterise a PDF's pages (at most `max_pages`, each cut to
/// `max_page_side` pixels a side) to PNG files in `dir`.
pub fn rasterise(
    bytes: &[u8],
    dpi: u32,
    dir: &Path,
    limits: Limits,
) -> Result<Vec<PathBuf>, OcrError> {
    too_large(bytes, &limits)?;
    let pdf = dir.join("in.pdf");
    std::fs::write(&pdf, bytes)?;
    let prefix = dir.join("page");
    let dpi = dpi.to_string();
    let last = limits.max_pages.to_string();
    let side = limits.max_page_side.to_string();
    PDFTOPPM.run(
        &[
            "-r".as_ref(),
            dpi.as_ref(),
            "-l".as_ref(),
            last.as_ref(),
            // A crop box caps the pixels Poppler renders; a page smaller
            // than it is rendered whole.
            "-x".as_ref(),
            "0".as_ref(),
            "-y".as_ref(),
            "0".as_ref(),
            "-W".as_ref(),
            side.as_ref(),
            "-H".as_ref(),
            side.as_ref(),
            "-png".as_ref(),
            pdf.as_os_str(),
            prefix.as_os_str(),
        ],
        Instant::now() + limits.timeout,
        &limits,
    )?;
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "png"))
        .collect();
    pages.sort();
    Ok(pages)
}

/// The text of a PDF that is only page images: each page rasterised and
/// read, within one overall deadline.
pub fn scanned_pdf_text(bytes: &[u8], limits: Limits) -> Result<String, OcrError> {
    let dir = tempfile::tempdir()?;
    let deadline = Instant::now() + limits.timeout;
    let pages = rasterise(bytes, limits.dpi, dir.path(), limits)?;
    let mut text = String::new();
    for p in pages {
        text.push_str(&ocr_file(&p, deadline, &limits)?);
        text.push_str("\n\n");
    }
    if text.trim().is_empty() {
        return Err(OcrError::NoText);
    }
    Ok(text)
}

/// Character error rate of `got` against `want`: the edit distance between
/// them (whitespace runs read as one space) over the length of `want`.
pub fn character_error_rate(want: &str, got: &str) -> f64 {
    let norm = |s: &str| -> Vec<char> {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .collect()
    };
    let (a, b) = (norm(want), norm(got));
    if a.is_empty() {
        return if b.is_empty() { 0.0 } else { 1.0 };
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let sub = prev[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            cur[j] = sub.min(prev[j] + 1).min(cur[j - 1] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()] as f64 / a.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_rate() {
        assert_eq!(character_error_rate("abc", "abc"), 0.0);
        assert!((character_error_rate("abcd", "abxd") - 0.25).abs() < 1e-9);
        assert_eq!(character_error_rate("a  b\nc", "a b c"), 0.0);
    }
}

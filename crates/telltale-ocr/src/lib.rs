//! Leaks that arrive as pictures: photographs and screenshots of pages, and
//! PDFs that are only scans. The text is read by Tesseract (Debian's
//! `tesseract-ocr` and `tesseract-ocr-eng`), and scanned PDFs are first
//! rasterised by Poppler's `pdftoppm` (`poppler-utils`).
//!
//! Both run as subprocesses, not linked libraries: a hostile image that
//! crashes or hangs the OCR engine then takes down only that process. Each
//! run has a timeout, inputs have a size limit, PDFs a page limit, and the
//! files live in a private temporary directory removed afterwards.

pub mod layout;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use thiserror::Error;

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
    #[error("temporary files: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Format(#[from] telltale_formats::FormatError),
}

/// A leaked file's text, as [`read_leak`] reads it, with the layout marks
/// its pages or paragraphs carry (see [`layout::read_layout`]). `Ok(None)`
/// for an extension to read as plain text.
pub fn read_leak_with_layout(
    extension: &str,
    bytes: &[u8],
    limits: Limits,
) -> Result<Option<(String, Vec<(u32, u8)>)>, OcrError> {
    Ok(read_leak(extension, bytes, limits)?.map(|text| {
        let marks = layout::read_layout(extension, bytes, &text, limits);
        (text, marks)
    }))
}

/// The text of a leaked file of any kind telltale reads: text, Markdown,
/// HTML, DOCX, e-mail and PDF by [`telltale_formats::leak_text`], images
/// by OCR, and PDFs without a text layer by rasterising and OCR.
/// `Ok(None)` for an extension that is none of these (read it as text).
pub fn read_leak(
    extension: &str,
    bytes: &[u8],
    limits: Limits,
) -> Result<Option<String>, OcrError> {
    let ext = extension.to_ascii_lowercase();
    let formats = telltale_formats::Limits::default();
    match ext.as_str() {
        "png" | "jpg" | "jpeg" | "tif" | "tiff" | "bmp" | "webp" => {
            image_text(bytes, limits).map(Some)
        }
        "pdf" => match telltale_formats::leak_text("pdf", bytes, formats) {
            Ok(t) => Ok(Some(t)),
            Err(telltale_formats::FormatError::Pdf(m)) if m.contains("no text layer") => {
                scanned_pdf_text(bytes, limits).map(Some)
            }
            Err(e) => Err(e.into()),
        },
        "html" | "htm" | "xhtml" | "docx" | "eml" => {
            Ok(Some(telltale_formats::leak_text(&ext, bytes, formats)?))
        }
        _ => Ok(None),
    }
}

/// Limits on one OCR job.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    pub max_bytes: usize,
    pub max_pages: u32,
    /// Resolution at which scanned PDF pages are rasterised.
    pub dpi: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(120),
            max_bytes: 32 * 1024 * 1024,
            max_pages: 30,
            dpi: 300,
        }
    }
}

fn tool_path(tool: &'static str, package: &'static str) -> Result<PathBuf, OcrError> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
        .ok_or(OcrError::Missing { tool, package })
}

/// Whether Tesseract and pdftoppm are installed.
pub fn available() -> bool {
    tool_path("tesseract", "tesseract-ocr").is_ok()
        && tool_path("pdftoppm", "poppler-utils").is_ok()
}

/// Run a tool with a deadline; its standard output.
fn run(
    tool: &'static str,
    package: &'static str,
    args: &[&std::ffi::OsStr],
    deadline: Instant,
    limits: &Limits,
) -> Result<Vec<u8>, OcrError> {
    let exe = tool_path(tool, package)?;
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("OMP_THREAD_LIMIT", "1")
        .spawn()?;
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        out
    });
    loop {
        if let Some(status) = child.try_wait()? {
            let out = reader.join().unwrap_or_default();
            if !status.success() {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                let message = err
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("it failed")
                    .trim()
                    .to_string();
                return Err(OcrError::Failed { tool, message });
            }
            return Ok(out);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(OcrError::Timeout {
                tool,
                seconds: limits.timeout.as_secs(),
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn ocr_file(path: &Path, deadline: Instant, limits: &Limits) -> Result<String, OcrError> {
    let out = run(
        "tesseract",
        "tesseract-ocr tesseract-ocr-eng",
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
    if bytes.len() > limits.max_bytes {
        return Err(OcrError::TooLarge {
            size: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("page");
    std::fs::write(&path, bytes)?;
    let text = ocr_file(&path, Instant::now() + limits.timeout, &limits)?;
    if text.trim().is_empty() {
        return Err(OcrError::NoText);
    }
    Ok(text)
}

/// Rasterise a PDF's pages (at most `max_pages`) to PNG files in `dir`.
pub fn rasterise(
    bytes: &[u8],
    dpi: u32,
    dir: &Path,
    limits: Limits,
) -> Result<Vec<PathBuf>, OcrError> {
    if bytes.len() > limits.max_bytes {
        return Err(OcrError::TooLarge {
            size: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    let pdf = dir.join("in.pdf");
    std::fs::write(&pdf, bytes)?;
    let prefix = dir.join("page");
    let dpi = dpi.to_string();
    let last = limits.max_pages.to_string();
    run(
        "pdftoppm",
        "poppler-utils",
        &[
            "-r".as_ref(),
            dpi.as_ref(),
            "-l".as_ref(),
            last.as_ref(),
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

//! PDFs as an outsider would craft them, and the PDF text layer of the
//! project's own copies. Every reader runs out of process, so a file that
//! overflows a parser's stack or asks for gigapixels ends only the reader:
//! each test here passes by returning at all (on a parser in this process
//! the first one aborted the test binary with a stack overflow).
//! Needs poppler-utils (`.ci/run` installs it); without it the tests say
//! SKIPPED, unless TELLTALE_REQUIRE_OCR=1, when they fail.

use telltale_core::gate::NoGate;
use telltale_core::RuleSet;
use telltale_formats::{FileFormat, LeakFormat};
use telltale_ocr::{pdf_text, read_leak, Limits, OcrError};

const PDF: LeakFormat = LeakFormat::Document(FileFormat::Pdf);

fn tools() -> bool {
    if telltale_ocr::available() {
        return true;
    }
    if std::env::var_os("TELLTALE_REQUIRE_OCR").is_some_and(|v| v == "1") {
        panic!("poppler-utils or tesseract is missing (apt-get install poppler-utils tesseract-ocr tesseract-ocr-eng)");
    }
    eprintln!("SKIPPED: poppler-utils / tesseract not installed");
    false
}

/// A PDF from its objects' bodies (object i + 1 is `objects[i]`), with a
/// correct cross-reference table, so that every parser gets as far as the
/// hostile part.
fn pdf(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut s = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    s.extend_from_slice(data);
    s.extend_from_slice(b"\nendstream");
    s
}

/// One page of `width` x `height` points whose content is `content`, with
/// Helvetica as /F1 and object 5 as the form XObject /X0.
fn one_page(width: u32, height: u32, content: &[u8], xobject: Vec<u8>) -> Vec<u8> {
    pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] \
             /Resources << /Font << /F1 6 0 R >> /XObject << /X0 5 0 R >> >> /Contents 4 0 R >>"
        )
        .into_bytes(),
        stream("", content),
        xobject,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
    ])
}

#[test]
fn a_form_xobject_that_draws_itself_ends_no_process() {
    if !tools() {
        return;
    }
    let form = stream(
        "/Type /XObject /Subtype /Form /BBox [0 0 600 800] \
         /Resources << /Font << /F1 6 0 R >> /XObject << /X0 5 0 R >> >>",
        b"BT /F1 12 Tf 72 700 Td (The talks had stalled.) Tj ET /X0 Do",
    );
    let file = one_page(595, 842, b"/X0 Do", form);
    // Whatever Poppler makes of it, the answer comes back as a value.
    let text = read_leak(PDF, &file, Limits::default());
    eprintln!("self-drawing XObject: {:?}", text.as_ref().map(|t| t.len()));
    let layout = telltale_ocr::layout::read_layout(PDF, &file, "", Limits::default());
    assert!(layout.len() < 64, "no layout marks invented from a loop");
}

#[test]
fn thousands_of_nested_arrays_end_no_process() {
    if !tools() {
        return;
    }
    let depth = 200_000;
    let mut deep = "[".repeat(depth).into_bytes();
    deep.extend_from_slice("]".repeat(depth).as_bytes());
    let mut catalog = b"<< /Type /Catalog /Pages 2 0 R /Deep ".to_vec();
    catalog.extend_from_slice(&deep);
    catalog.extend_from_slice(b" >>");
    let file = pdf(&[
        catalog,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
           /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_vec(),
        stream("", b"BT /F1 12 Tf 72 700 Td (Nested.) Tj ET"),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
    ]);
    let got = read_leak(PDF, &file, Limits::default());
    eprintln!("nested arrays: {:?}", got.as_ref().map(|t| t.len()));
    // And in the content stream, where the text is drawn.
    let mut content = b"BT /F1 12 Tf 72 700 Td (Deep.) Tj ET ".to_vec();
    content.extend_from_slice(&deep);
    let file = one_page(595, 842, &content, b"<< >>".to_vec());
    let got = pdf_text(&file, Limits::default());
    eprintln!(
        "nested arrays in content: {:?}",
        got.as_ref().map(|t| t.len())
    );
}

#[test]
fn a_giant_page_is_rasterised_within_the_pixel_cap() {
    if !tools() {
        return;
    }
    let file = one_page(
        6_000,
        6_000,
        b"BT /F1 48 Tf 72 5800 Td (A very large page.) Tj ET",
        b"<< >>".to_vec(),
    );
    let limits = Limits::default();
    let dir = tempfile::tempdir().unwrap();
    // At 150 dpi the page would be 12,500 pixels a side (156 megapixels).
    let pages = telltale_ocr::rasterise(&file, 150, dir.path(), limits).unwrap();
    assert_eq!(pages.len(), 1);
    let (w, h) = image::image_dimensions(&pages[0]).unwrap();
    eprintln!("a 6,000-point page at 150 dpi became {w} x {h} pixels");
    assert!(
        w <= limits.max_page_side && h <= limits.max_page_side,
        "{w} x {h}"
    );
    assert!(
        w >= limits.max_page_side / 2,
        "the cap crops, it does not shrink to nothing"
    );
    assert!(pdf_text(&file, limits)
        .unwrap()
        .contains("A very large page."));
}

#[test]
fn an_image_that_declares_gigapixels_is_refused_before_decoding() {
    // A valid PNG header declaring 100,000 x 100,000 pixels and no data.
    let mut png = Vec::new();
    {
        let mut enc = png_header(100_000, 100_000);
        png.append(&mut enc);
    }
    let e = telltale_ocr::decode_image(&png, &Limits::default()).unwrap_err();
    assert!(e.to_string().contains("more than the limit"), "{e}");
}

/// A greyscale PNG of `w` x `h` whose image data is an empty zlib stream:
/// a decoder learns the size from the header and would only then find the
/// data missing.
fn png_header(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

#[test]
fn pdf_copies_are_typeset_memos_whose_text_reads_back() {
    if !tools() {
        return;
    }
    let memo = telltale_core::sample::MEMO;
    let t = RuleSet::default().build(memo, &mut NoGate).unwrap();
    let cw: Vec<u8> = t.slots.iter().map(|s| s.q - 1).collect();
    let copy = t.render(&cw).unwrap();
    let pdf = telltale_formats::from_text(
        &copy,
        telltale_formats::FileFormat::Pdf,
        "Kestria: coalition under strain",
    )
    .unwrap();
    let text = pdf_text(&pdf, Limits::default()).unwrap();
    let got = words(&text);
    let want = words(&copy);
    // Banner, title and page footers come on top of the copy's words.
    let mut i = 0;
    for w in &got {
        if i < want.len() && *w == want[i] {
            i += 1;
        }
    }
    assert_eq!(
        i,
        want.len(),
        "every word of the copy, in order, is in the PDF's text"
    );
    assert!(text.contains("OFFICIAL-SENSITIVE") && text.contains("Page 1 of"));
    assert!(!text.contains("r-0"), "no recipient in the layout");
    // Not a PDF, a broken one, and one without text.
    assert!(matches!(
        pdf_text(b"hello", Limits::default()),
        Err(OcrError::NotPdf)
    ));
    let mut broken = pdf.clone();
    broken.truncate(pdf.len() / 3);
    let e = pdf_text(&broken, Limits::default());
    assert!(e.is_err() || e.is_ok_and(|t| t.len() < text.len()));
    let blank = one_page(595, 842, b"", b"<< >>".to_vec());
    assert!(matches!(
        pdf_text(&blank, Limits::default()),
        Err(OcrError::NoTextLayer)
    ));
}

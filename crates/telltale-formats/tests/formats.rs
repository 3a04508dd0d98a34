//! Round trips per format, the map back into the file, and hostile files.

use std::io::{Read, Write};

use telltale_core::gate::NoGate;
use telltale_core::{RuleSet, Template};
use telltale_formats::{extract, fit, from_text, leak_text, render, Format, FormatError, Limits};

const MEMO: &str = telltale_core::sample::MEMO;

fn template_for(text: &str) -> Template {
    RuleSet::default().build(text, &mut NoGate).unwrap()
}

/// Codewords to try: the original, every slot's next alternative, and a
/// few mixed ones.
fn codewords(t: &Template) -> Vec<Vec<u8>> {
    let mut out = vec![t.original_codeword()];
    out.push(t.slots.iter().map(|s| (s.original + 1) % s.q).collect());
    for k in 0..4u64 {
        out.push(
            t.slots
                .iter()
                .enumerate()
                .map(|(j, s)| ((j as u64 * 2654435761 + k * 97) % u64::from(s.q)) as u8)
                .collect(),
        );
    }
    out
}

fn html_memo() -> String {
    let mut h = String::from("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Kestria</title><style>p { margin: 0 }</style></head><body>\n<h1 class=\"banner\">OFFICIAL-SENSITIVE</h1>\n");
    for (i, p) in MEMO.split("\n\n").enumerate() {
        let p = p.replace('&', "&amp;").replace('\n', "<br>\n");
        if i % 3 == 1 {
            // Some inline markup inside the prose.
            let mut words: Vec<String> = p.split(' ').map(str::to_string).collect();
            if words.len() > 4 {
                words[2] = format!("<em>{}</em>", words[2]);
            }
            h.push_str(&format!(
                "<p style=\"color:#333\">{}</p>\n",
                words.join(" ")
            ));
        } else {
            h.push_str(&format!("<p>{p}</p>\n"));
        }
    }
    h.push_str("<script>document.title = 'x < y';</script></body></html>\n");
    h
}

#[test]
fn html_copies_keep_their_markup_and_read_back_as_the_copy() {
    let html = html_memo();
    let src = extract(Format::Html, html.as_bytes(), Limits::default()).unwrap();
    assert!(
        src.text
            .starts_with("OFFICIAL-SENSITIVE\n\nOFFICIAL-SENSITIVE"),
        "{}",
        &src.text[..60]
    );
    let full = template_for(&src.text);
    let t = fit(&full, &src);
    assert!(
        t.slots.len() > full.slots.len() * 9 / 10,
        "{} of {}",
        t.slots.len(),
        full.slots.len()
    );
    for (k, cw) in codewords(&t).iter().enumerate() {
        let copy = render(&src, &t, cw).unwrap();
        if k == 0 {
            assert_eq!(
                copy,
                html.as_bytes(),
                "the original choice gives back the file"
            );
        }
        let back = extract(Format::Html, &copy, Limits::default()).unwrap();
        assert_eq!(back.text, t.render(cw).unwrap(), "codeword {k}");
        let copy = String::from_utf8(copy).unwrap();
        assert!(copy.contains("<h1 class=\"banner\">") && copy.contains("<script>document.title"));
        assert_eq!(
            copy.matches('<').count(),
            html.matches('<').count(),
            "no tag added or lost"
        );
    }
}

/// A Word document with styles, a header, a table and an image.
fn docx_memo() -> Vec<u8> {
    let mut body = String::new();
    for (i, p) in MEMO.split("\n\n").enumerate() {
        let esc = p.replace('&', "&amp;").replace('<', "&lt;");
        if i == 4 {
            // One paragraph split across runs with different formatting.
            let (a, b) = esc.split_at(esc.find(' ').unwrap());
            body.push_str(&format!("<w:p><w:pPr><w:pStyle w:val=\"Body\"/></w:pPr><w:r><w:rPr><w:b/></w:rPr><w:t>{a}</w:t></w:r><w:r><w:t xml:space=\"preserve\">{b}</w:t></w:r></w:p>"));
        } else {
            body.push_str(&format!(
                "<w:p><w:r><w:t>{}</w:t></w:r></w:p>",
                esc.replace('\n', "</w:t><w:br/><w:t>")
            ));
        }
        if i == 6 {
            body.push_str("<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Chapters closed</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>11 of 14</w:t></w:r></w:p></w:tc></w:tr></w:tbl>");
            body.push_str("<w:p><w:r><w:drawing><wp:inline xmlns:wp=\"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing\"><a:blip xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" r:embed=\"rId9\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"/></wp:inline></w:drawing></w:r></w:p>");
        }
    }
    let doc = format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}<w:p><w:r><w:delText>deleted words</w:delText></w:r></w:p><w:sectPr><w:headerReference w:type=\"default\" r:id=\"rId7\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"/></w:sectPr></w:body></w:document>");
    let png: Vec<u8> = b"\x89PNG\r\n\x1a\n fake image bytes"
        .iter()
        .copied()
        .cycle()
        .take(5000)
        .collect();
    let parts: Vec<(&str, Vec<u8>)> = vec![
        ("[Content_Types].xml", b"<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"png\" ContentType=\"image/png\"/></Types>".to_vec()),
        ("_rels/.rels", b"<?xml version=\"1.0\"?><Relationships/>".to_vec()),
        ("word/styles.xml", b"<?xml version=\"1.0\"?><w:styles xmlns:w=\"x\"><w:style w:styleId=\"Body\"/></w:styles>".to_vec()),
        ("word/header1.xml", b"<?xml version=\"1.0\"?><w:hdr xmlns:w=\"x\"><w:p><w:r><w:t>OFFICIAL-SENSITIVE</w:t></w:r></w:p></w:hdr>".to_vec()),
        ("word/document.xml", doc.into_bytes()),
        ("word/media/image1.png", png),
    ];
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in parts {
        let opts = zip::write::SimpleFileOptions::default().compression_method(
            if name.ends_with(".png") {
                zip::CompressionMethod::Stored
            } else {
                zip::CompressionMethod::Deflated
            },
        );
        z.start_file(name, opts).unwrap();
        z.write_all(&bytes).unwrap();
    }
    z.finish().unwrap().into_inner()
}

fn entries(docx: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(docx)).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut b = Vec::new();
            f.read_to_end(&mut b).unwrap();
            (f.name().to_string(), b)
        })
        .collect()
}

#[test]
fn docx_copies_keep_styles_headers_tables_and_images_and_read_back_as_the_copy() {
    let docx = docx_memo();
    let src = extract(Format::Docx, &docx, Limits::default()).unwrap();
    assert!(
        src.text.contains("Chapters closed\n\n11 of 14"),
        "table cells are paragraphs"
    );
    assert!(
        !src.text.contains("deleted words"),
        "deleted text is not text"
    );
    let full = template_for(&src.text);
    let t = fit(&full, &src);
    assert!(
        t.slots.len() > full.slots.len() * 9 / 10,
        "{} of {}",
        t.slots.len(),
        full.slots.len()
    );
    let original = entries(&docx);
    for (k, cw) in codewords(&t).iter().enumerate() {
        let copy = render(&src, &t, cw).unwrap();
        let got = entries(&copy);
        assert_eq!(got.len(), original.len());
        for ((n0, b0), (n1, b1)) in original.iter().zip(&got) {
            assert_eq!(n0, n1, "entries keep their order");
            if n0 != "word/document.xml" {
                assert_eq!(b0, b1, "{n0} is copied byte for byte");
            } else if k == 0 {
                assert_eq!(b0, b1, "the original choice gives back the document");
            }
        }
        let back = extract(Format::Docx, &copy, Limits::default()).unwrap();
        assert_eq!(back.text, t.render(cw).unwrap(), "codeword {k}");
        let xml = String::from_utf8(
            got.iter()
                .find(|e| e.0 == "word/document.xml")
                .unwrap()
                .1
                .clone(),
        )
        .unwrap();
        assert!(
            xml.contains("<w:tbl>") && xml.contains("r:embed=\"rId9\"") && xml.contains("<w:b/>")
        );
    }
}

#[test]
fn text_documents_can_be_issued_as_html_and_docx() {
    let t = template_for(MEMO);
    let cw = codewords(&t).pop().unwrap();
    let copy = t.render(&cw).unwrap();
    for f in [Format::Html, Format::Docx] {
        let bytes = from_text(&copy, f, "Kestria").unwrap();
        let back = extract(f, &bytes, Limits::default()).unwrap();
        let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(norm(&back.text), norm(&copy), "{f:?}");
    }
}

#[test]
fn leaks_arrive_as_files_and_mail() {
    let eml = "From: a@example.org\r\nTo: b@example.org\r\nSubject: Fwd: memo\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nThe coalition led by Prime Minister Oskar Velling is more chaotic and divi=\r\nded than at any point since it took office in 2024.\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>The coalition</p>\r\n--b1--\r\n";
    let text = leak_text("eml", eml.as_bytes(), Limits::default()).unwrap();
    assert!(
        text.contains("chaotic and divided than at any point"),
        "{text}"
    );
    assert_eq!(
        leak_text("pdfx", b"x", Limits::default()),
        Err(FormatError::Unsupported("pdfx".into()))
    );
    assert!(leak_text("html", html_memo().as_bytes(), Limits::default())
        .unwrap()
        .contains("Oskar Velling"));
}

#[test]
fn hostile_and_malformed_files_get_one_line_errors() {
    let limits = Limits {
        part_bytes: 1 << 20,
        total_bytes: 4 << 20,
        entries: 50,
    };
    let one_line = |e: FormatError| {
        let s = e.to_string();
        assert!(!s.contains('\n') && !s.is_empty(), "{s}");
        s
    };
    // Not a zip.
    let e = extract(Format::Docx, b"PK\x03\x04 not really", limits).unwrap_err();
    assert!(one_line(e).contains("DOCX"));
    // A zip bomb: one part that expands to 64 MiB of zeros.
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    z.start_file(
        "word/document.xml",
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated),
    )
    .unwrap();
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..64 {
        z.write_all(&zeros).unwrap();
    }
    let bomb = z.finish().unwrap().into_inner();
    assert!(bomb.len() < 1 << 20);
    assert!(matches!(
        extract(Format::Docx, &bomb, limits),
        Err(FormatError::TooLarge { .. })
    ));
    // Too many entries.
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..60 {
        z.start_file(format!("f{i}"), zip::write::SimpleFileOptions::default())
            .unwrap();
    }
    let many = z.finish().unwrap().into_inner();
    assert!(one_line(extract(Format::Docx, &many, limits).unwrap_err()).contains("entries"));
    // No main document, broken XML, binary HTML, bad UTF-8, empty.
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    z.start_file("word/other.xml", zip::write::SimpleFileOptions::default())
        .unwrap();
    let nodoc = z.finish().unwrap().into_inner();
    assert!(
        one_line(extract(Format::Docx, &nodoc, limits).unwrap_err()).contains("word/document.xml")
    );
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    z.start_file(
        "word/document.xml",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    z.write_all(b"<w:document><w:body><w:p><w:t>text</w:p></w:body>")
        .unwrap();
    let broken = z.finish().unwrap().into_inner();
    one_line(extract(Format::Docx, &broken, limits).unwrap_err());
    assert_eq!(
        extract(Format::Html, b"<p>a\0b</p>", limits).unwrap_err(),
        FormatError::Binary(4)
    );
    assert!(matches!(
        extract(Format::Html, b"<p>\xff</p>", limits),
        Err(FormatError::NotUtf8(_))
    ));
    assert_eq!(
        extract(Format::Html, b"<p> </p><script>x</script>", limits).unwrap_err(),
        FormatError::Empty
    );
    // A source that does not match the template is refused, not mangled.
    let src = extract(
        Format::Html,
        b"<p>The talks had stalled, and the deal was signed.</p>",
        limits,
    )
    .unwrap();
    let other = template_for("Something else entirely, with words.");
    assert_eq!(
        render(&src, &other, &other.original_codeword()).unwrap_err(),
        FormatError::Mismatch
    );
}

#[test]
fn pdf_copies_are_typeset_and_their_text_is_not_parsed_here() {
    let t = template_for(MEMO);
    let cw = codewords(&t).pop().unwrap();
    let copy = t.render(&cw).unwrap();
    let pdf = from_text(&copy, Format::Pdf, "Kestria: coalition under strain").unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    // A PDF's text layer is read out of process (telltale-ocr's
    // `pdf_text`, tested there): no PDF parser runs in this crate.
    assert!(matches!(
        leak_text("pdf", &pdf, Limits::default()),
        Err(FormatError::Unsupported(_))
    ));
    assert_eq!(
        telltale_formats::classification(MEMO),
        Some("OFFICIAL-SENSITIVE")
    );
    assert_eq!(telltale_formats::classification("Dear Sir,\nThanks."), None);
}

#[test]
fn word_copies_carry_paragraph_marks_that_read_back() {
    let docx = docx_memo();
    let src = extract(Format::Docx, &docx, Limits::default()).unwrap();
    let t = fit(&template_for(&src.text), &src);
    let cw = codewords(&t).pop().unwrap();
    let bit = |slot: u32| ((slot.wrapping_mul(2654435761) >> 7) & 1) as u8;
    let copy = telltale_formats::render_marked(&src, &t, &cw, Some(&bit)).unwrap();
    let back = extract(Format::Docx, &copy, Limits::default()).unwrap();
    assert_eq!(
        back.text,
        t.render(&cw).unwrap(),
        "the marks change no text"
    );
    let marks = telltale_formats::docx_marks(&copy, Limits::default()).unwrap();
    let paragraphs = src.text.split("\n\n").count();
    assert!(
        marks.len() >= 32 * (paragraphs - 1),
        "{} marks for {paragraphs} paragraphs",
        marks.len()
    );
    assert!(
        marks.iter().all(|&(slot, b)| b == bit(slot)),
        "every mark reads back"
    );
    assert!(
        telltale_formats::docx_marks(&docx, Limits::default())
            .unwrap()
            .is_empty(),
        "the original has none"
    );
}

/// Files an outsider can craft to make a careless scanner quadratic. Each
/// is 8 MB: read in one pass it takes a fraction of a second; the scanner
/// that looked for a `;` to the end of the file after every `&`, or
/// lower-cased the rest of the file after every `<svg>`, needed hours
/// (about 20 s for 1 MB), so on it this test never finishes.
#[test]
fn files_built_to_make_the_html_scanner_quadratic_are_read_in_one_pass() {
    let big = 8 << 20;
    let limits = Limits::default();
    // Bare ampersands, in a paragraph so that they are text.
    let mut amps = String::from("<p>");
    amps.push_str(&"&".repeat(big));
    amps.push_str("</p>");
    let src = extract(Format::Html, amps.as_bytes(), limits).unwrap();
    assert_eq!(src.text.len(), big, "every bare & is literal text");
    // `&` followed by a long run without `;`, then real references.
    let mut run = "&abcdefghijklmnop ".repeat(big / 18);
    run.push_str("&amp; &#8217;");
    let src = extract(Format::Html, format!("<p>{run}</p>").as_bytes(), limits).unwrap();
    assert!(src.text.ends_with("& ’"));
    // Many raw elements, each of which makes the scanner look for its end.
    let mut svgs = "<svg></svg>".repeat(big / 11);
    svgs.push_str("<p>The end.</p>");
    let src = extract(Format::Html, svgs.as_bytes(), limits).unwrap();
    assert_eq!(src.text, "The end.");
    // An unclosed one swallows the rest, as a browser's would.
    let src = extract(Format::Html, b"<p>Seen.</p><SCRIPT>x</p>", limits).unwrap();
    assert_eq!(src.text, "Seen.");
    let src = extract(
        Format::Html,
        b"<p>Seen.</p><Script>x</sCRIPT ><p>Too.</p>",
        limits,
    )
    .unwrap();
    assert_eq!(src.text, "Seen.\n\nToo.");
}

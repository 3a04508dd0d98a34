//! Documents and leaks that are files, through the real binary: HTML, DOCX
//! and e-mail in and out, a PDF page read back as an image, and a Word copy
//! stripped of its invisible marks.

use serde_json::Value;

mod common;
use common::*;

#[test]
fn documents_and_leaks_as_html_docx_and_email() {
    let h = Home::new();
    h.ok(&["init"]);
    let people = h.file("people.csv", &csv(30));
    h.ok(&["recipients", "import", people.to_str().unwrap()]);
    let html =
        telltale_formats::from_text(MEMO, telltale_formats::FileFormat::Html, "Kestria").unwrap();
    let html_path = h.dir.path().join("memo.html");
    std::fs::write(&html_path, &html).unwrap();
    let doc_html = h.add_file(&html_path);
    let docx =
        telltale_formats::from_text(&paragraphs(0..12), telltale_formats::FileFormat::Docx, "K")
            .unwrap();
    let docx_path = h.dir.path().join("memo.docx");
    std::fs::write(&docx_path, &docx).unwrap();
    let doc_docx = h.add_file(&docx_path);
    assert!(h.ok(&["doc", "list"]).contains(&doc_docx));

    // Copies in the original's format.
    let out = h.dir.path().join("out");
    h.ok(&[
        "distribute",
        &doc_docx,
        "--all",
        "--out",
        out.to_str().unwrap(),
        "--format",
        "docx",
    ]);
    let copy = out.join("r-00007.docx");
    assert!(
        std::fs::read(&copy).unwrap().starts_with(b"PK"),
        "a Word file"
    );
    let rep = h.json(&["trace", copy.to_str().unwrap(), "--json"]);
    let of = |rep: &Value, id: &str| {
        rep["documents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} not found in {rep}"))
    };
    // The Word memo quotes part of the HTML memo too; it is read against both.
    assert_eq!(
        of(&rep, &doc_docx)["accused"],
        serde_json::json!(["r-00007"])
    );
    let html_out = h.dir.path().join("html");
    h.ok(&[
        "distribute",
        &doc_html,
        "--to",
        "r-00003,r-00004",
        "--out",
        html_out.to_str().unwrap(),
        "--format",
        "html",
    ]);
    let page = std::fs::read_to_string(html_out.join("r-00004.html")).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("<p>"));
    let rep = h.json(&[
        "trace",
        html_out.join("r-00004.html").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(
        of(&rep, &doc_html)["accused"],
        serde_json::json!(["r-00004"])
    );

    // A forwarded e-mail quoting a copy.
    let text_copy = {
        let o = h.dir.path().join("txt");
        h.ok(&[
            "distribute",
            &doc_html,
            "--to",
            "r-00009",
            "--out",
            o.to_str().unwrap(),
        ]);
        std::fs::read_to_string(o.join("r-00009.txt")).unwrap()
    };
    let quote: String = text_copy
        .split("\n\n")
        .skip(6)
        .take(3)
        .collect::<Vec<_>>()
        .join("\n\n");
    let eml = format!("From: x@example.org\r\nSubject: Fwd: memo\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee below.\r\n\r\n{}\r\n", quote.replace('\n', "\r\n"));
    let eml_path = h.dir.path().join("fwd.eml");
    std::fs::write(&eml_path, eml).unwrap();
    let rep = h.json(&["trace", eml_path.to_str().unwrap(), "--json"]);
    assert_eq!(
        of(&rep, &doc_html)["accused"],
        serde_json::json!(["r-00009"]),
        "{rep}"
    );

    // PDF copies typeset from the text, and traced from the PDF's text.
    let pdf_out = h.dir.path().join("pdf");
    h.ok(&[
        "distribute",
        &doc_html,
        "--to",
        "r-00011,r-00012",
        "--out",
        pdf_out.to_str().unwrap(),
        "--format",
        "pdf",
    ]);
    let pdf = pdf_out.join("r-00012.pdf");
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));
    let rep = h.json(&["trace", pdf.to_str().unwrap(), "--json"]);
    assert_eq!(
        of(&rep, &doc_html)["accused"],
        serde_json::json!(["r-00012"]),
        "{rep}"
    );

    // A PDF original is registered from its text layer.
    let doc_pdf = h
        .ok(&["doc", "add", pdf.to_str().unwrap(), "--title", "From PDF"])
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_string();
    let shown = h.json(&["doc", "show", &doc_pdf, "--json"]);
    assert!(shown["words"].as_u64().unwrap() > 1000, "{shown}");

    // What is not read yet, and what is broken, says so in one line.
    assert!(h
        .fails(&["trace", h.file("scan.pdf", "%PDF-1.7").to_str().unwrap()])
        .contains("PDF"));
    assert!(h
        .fails(&["trace", h.file("memo.odt", "x").to_str().unwrap()])
        .contains("cannot trace .odt"));
    assert!(h
        .fails(&[
            "trace",
            h.file("photo.png", "not an image").to_str().unwrap()
        ])
        .contains("photo.png"));
    assert!(h
        .fails(&["doc", "add", h.file("memo.odt", "x").to_str().unwrap()])
        .contains("cannot register .odt"));
    assert!(h
        .fails(&[
            "doc",
            "add",
            h.file("fake.docx", "PK not a zip").to_str().unwrap()
        ])
        .contains("DOCX"));
}

#[test]
fn a_pdf_page_as_an_image_names_its_recipient_by_its_line_shifts() {
    if !telltale_ocr::available() {
        if std::env::var_os("TELLTALE_REQUIRE_OCR").is_some_and(|v| v == "1") {
            panic!("tesseract or pdftoppm is missing");
        }
        eprintln!("SKIPPED: tesseract / pdftoppm not installed");
        return;
    }
    let h = Home::new();
    h.ok(&["init"]);
    let one_page = paragraphs(0..5);
    let doc = h.add_doc("memo.txt", &one_page);
    let people = h.file("people.csv", &csv(1000));
    h.ok(&["recipients", "import", people.to_str().unwrap()]);
    let out = h.dir.path().join("pdf");
    h.ok(&[
        "distribute",
        &doc,
        "--to",
        "r-00417,r-00418",
        "--out",
        out.to_str().unwrap(),
        "--format",
        "pdf",
    ]);
    // Among everyone who could have had it, as if all 1,000 were issued.
    h.ok(&[
        "distribute",
        &doc,
        "--all",
        "--out",
        h.dir.path().join("txt").to_str().unwrap(),
    ]);
    let dir = h.dir.path().join("photo");
    std::fs::create_dir_all(&dir).unwrap();
    let pdf = std::fs::read(out.join("r-00417.pdf")).unwrap();
    let page = telltale_ocr::rasterise(&pdf, 150, &dir, telltale_ocr::Limits::default()).unwrap();
    assert_eq!(page.len(), 1, "a one-page memo");
    let png = page[0].with_extension("png");
    let rep = h.json(&["trace", png.to_str().unwrap(), "--json"]);
    let d = &rep["documents"][0];
    assert!(d["layout_marks"].as_u64().unwrap() >= 20, "{d}");
    assert_eq!(d["accused"], serde_json::json!(["r-00417"]), "{d}");
    let text = h.ok(&["trace", png.to_str().unwrap()]);
    assert!(
        text.contains("line shifts read from the page images"),
        "{text}"
    );
}

#[test]
fn a_word_copy_stripped_of_invisible_marks_still_names_its_recipient() {
    let h = Home::new();
    h.ok(&["init"]);
    let docx =
        telltale_formats::from_text(&paragraphs(0..6), telltale_formats::FileFormat::Docx, "K")
            .unwrap();
    let path = h.dir.path().join("memo.docx");
    std::fs::write(&path, &docx).unwrap();
    let doc = h.add_file(&path);
    let people = h.file("people.csv", &csv(1000));
    h.ok(&["recipients", "import", people.to_str().unwrap()]);
    let out = h.dir.path().join("out");
    h.ok(&[
        "distribute",
        &doc,
        "--all",
        "--out",
        out.to_str().unwrap(),
        "--format",
        "docx",
    ]);
    // The leaker removes every zero-width character before forwarding.
    let copy = std::fs::read(out.join("r-00321.docx")).unwrap();
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(copy)).unwrap();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut bytes).unwrap();
        if f.name() == "word/document.xml" {
            let xml = String::from_utf8(bytes).unwrap();
            bytes = xml
                .chars()
                .filter(|c| {
                    !matches!(
                        c,
                        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}'
                    )
                })
                .collect::<String>()
                .into_bytes();
        }
        w.start_file(
            f.name().to_string(),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        std::io::Write::write_all(&mut w, &bytes).unwrap();
    }
    let cleaned = h.dir.path().join("cleaned.docx");
    std::fs::write(&cleaned, w.finish().unwrap().into_inner()).unwrap();
    let rep = h.json(&["trace", cleaned.to_str().unwrap(), "--json"]);
    let d = &rep["documents"][0];
    assert!(d["layout_marks"].as_u64().unwrap() >= 32 * 5, "{d}");
    assert_eq!(d["accused"], serde_json::json!(["r-00321"]), "{d}");
}

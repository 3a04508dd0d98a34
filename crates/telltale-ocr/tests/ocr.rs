//! OCR on the project's own PDFs: the character error rate of Tesseract on
//! a typeset copy rasterised at 300 dpi, a trace from the OCR'd text alone,
//! and the limits. Needs tesseract-ocr, tesseract-ocr-eng and poppler-utils
//! (`.ci/run` installs them); without them the tests say SKIPPED, unless
//! TELLTALE_REQUIRE_OCR=1, when they fail.

use std::time::Duration;

use telltale_core::gate::NoGate;
use telltale_core::{
    accuse, AccuseParams, CodeParams, Codebook, DocumentEvidence, Locator, RuleSet, SecretKey,
};
use telltale_formats::{FileFormat, LeakFormat};
use telltale_ocr::{character_error_rate, read_leak, scanned_pdf_text, Limits, OcrError};

const PNG: LeakFormat = LeakFormat::Image;
const PDF: LeakFormat = LeakFormat::Document(FileFormat::Pdf);

fn tools() -> bool {
    if telltale_ocr::available() {
        return true;
    }
    if std::env::var_os("TELLTALE_REQUIRE_OCR").is_some_and(|v| v == "1") {
        panic!("tesseract or pdftoppm is missing (apt-get install tesseract-ocr tesseract-ocr-eng poppler-utils)");
    }
    eprintln!("SKIPPED: tesseract / pdftoppm not installed");
    false
}

#[test]
fn a_printed_copy_reads_back_by_ocr_and_traces_to_its_recipient() {
    if !tools() {
        return;
    }
    let text = telltale_core::sample::MEMO;
    let t = RuleSet::default().build(text, &mut NoGate).unwrap();
    let key = SecretKey::from_bytes([3; 32]);
    let cb = Codebook::new(&key, "d-ocr", &t, CodeParams::default()).unwrap();
    let holders: Vec<String> = (0..20).map(|i| format!("r-{i:02}")).collect();
    let leaker = &holders[13];
    let copy = t.render(&cb.codeword(leaker)).unwrap();
    let pdf =
        telltale_formats::from_text(&copy, telltale_formats::FileFormat::Pdf, "Kestria").unwrap();
    let layer = telltale_ocr::pdf_text(&pdf, Limits::default()).unwrap();

    let started = std::time::Instant::now();
    let ocr = scanned_pdf_text(&pdf, Limits::default()).unwrap();
    let cer = character_error_rate(&layer, &ocr);
    eprintln!(
        "OCR of a {}-page PDF copy at 300 dpi: character error rate {:.4} ({} characters), {:.1} s",
        layer.matches("Page ").count(),
        cer,
        layer.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(cer < 0.02, "character error rate {cer}");

    let mut loc = Locator::new();
    loc.add(&t);
    let traces = loc.trace(&[&t], &ocr).unwrap();
    let acc = accuse(
        &[DocumentEvidence {
            codebook: &cb,
            observations: &traces[0].observations,
            recipients: &holders,
        }],
        AccuseParams::default(),
    );
    eprintln!(
        "slots read from the OCR text: {}",
        traces[0].observations.len()
    );
    assert_eq!(
        acc.accused,
        vec![leaker.clone()],
        "{:?}",
        acc.suspects.first()
    );
}

#[test]
fn leaks_by_kind_and_the_limits_of_ocr() {
    if !tools() {
        return;
    }
    let pdf = telltale_formats::from_text(
        "The minister said that the talks had stalled.",
        telltale_formats::FileFormat::Pdf,
        "Note",
    )
    .unwrap();
    let page = {
        let dir = tempfile::tempdir().unwrap();
        let pages = telltale_ocr::rasterise(&pdf, 150, dir.path(), Limits::default()).unwrap();
        std::fs::read(&pages[0]).unwrap()
    };
    let t = read_leak(PNG, &page, Limits::default()).unwrap();
    assert!(t.contains("talks had stalled"), "{t}");
    let log = LeakFormat::from_extension("log").unwrap();
    assert_eq!(
        read_leak(log, b"x y", Limits::default()).unwrap(),
        "x y",
        "other files are text"
    );
    let e = read_leak(PNG, b"not an image at all", Limits::default()).unwrap_err();
    assert!(
        matches!(e, OcrError::Failed { .. }) && !e.to_string().contains('\n'),
        "{e}"
    );
    let tight = Limits {
        timeout: Duration::from_millis(1),
        ..Limits::default()
    };
    assert!(matches!(
        read_leak(PNG, &page, tight),
        Err(OcrError::Timeout { .. })
    ));
    let small = Limits {
        max_bytes: 10,
        ..Limits::default()
    };
    assert!(matches!(
        read_leak(PNG, &page, small),
        Err(OcrError::TooLarge { .. })
    ));
    assert!(matches!(
        read_leak(PDF, b"%PDF-1.4 broken", Limits::default()),
        Err(OcrError::Failed { .. })
    ));
}

/// A page as a phone sees it: rotated by `degrees` (bilinear), blurred.
fn photograph(png: &[u8], degrees: f32, blur: f32) -> Vec<u8> {
    let img = image::load_from_memory(png).unwrap().to_luma8();
    let (w, h) = img.dimensions();
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let rotated = image::GrayImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        let (sx, sy) = (cos * dx + sin * dy + cx, -sin * dx + cos * dy + cy);
        if sx < 0.0 || sy < 0.0 || sx >= (w - 1) as f32 || sy >= (h - 1) as f32 {
            return image::Luma([255]);
        }
        let (x0, y0) = (sx.floor() as u32, sy.floor() as u32);
        let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
        let p = |x, y| f32::from(img.get_pixel(x, y)[0]);
        let v = p(x0, y0) * (1.0 - fx) * (1.0 - fy)
            + p(x0 + 1, y0) * fx * (1.0 - fy)
            + p(x0, y0 + 1) * (1.0 - fx) * fy
            + p(x0 + 1, y0 + 1) * fx * fy;
        image::Luma([v.round() as u8])
    });
    let blurred = image::imageops::blur(&rotated, blur);
    let mut out = std::io::Cursor::new(Vec::new());
    blurred.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[test]
fn a_photographed_one_page_memo_among_a_thousand_recipients() {
    if !tools() {
        return;
    }
    let text: String = telltale_core::sample::MEMO
        .split("\n\n")
        .take(5)
        .collect::<Vec<_>>()
        .join("\n\n");
    let t = RuleSet::default().build(&text, &mut NoGate).unwrap();
    let key = SecretKey::from_bytes([5; 32]);
    let cb = Codebook::new(&key, "d-photo", &t, CodeParams::default()).unwrap();
    let holders: Vec<String> = (0..1000).map(|i| format!("r-{i:04}")).collect();
    let leaker = &holders[417];
    let copy = t.render(&cb.codeword(leaker)).unwrap();
    let pdf =
        telltale_formats::from_text(&copy, telltale_formats::FileFormat::Pdf, "Kestria").unwrap();
    let layer = telltale_ocr::pdf_text(&pdf, Limits::default()).unwrap();
    assert!(layer.contains("Page 1 of 1"), "a one-page memo");
    let dir = tempfile::tempdir().unwrap();
    let page = std::fs::read(
        &telltale_ocr::rasterise(&pdf, 150, dir.path(), Limits::default()).unwrap()[0],
    )
    .unwrap();
    let photo = photograph(&page, 1.0, 0.7);
    let ocr = read_leak(PNG, &photo, Limits::default()).unwrap();
    let cer = character_error_rate(&layer, &ocr);
    let mut loc = Locator::new();
    loc.add(&t);
    let traces = loc.trace(&[&t], &ocr).unwrap();
    let visible = t
        .slots
        .iter()
        .filter(|s| s.layer() != telltale_core::Layer::Invisible)
        .count();
    let acc = accuse(
        &[DocumentEvidence {
            codebook: &cb,
            observations: &traces[0].observations,
            recipients: &holders,
        }],
        AccuseParams::default(),
    );
    eprintln!(
        "photographed page (150 dpi, 1° rotation, blur 0.7): OCR character error rate {cer:.4}; {} of {visible} visible slots read; accused {:?}; best {:?}",
        traces[0].observations.len(),
        acc.accused,
        acc.suspects.first().map(|s| (&s.recipient, s.p_value))
    );
    assert!(cer < 0.05, "character error rate {cer}");
    assert!(
        acc.accused.iter().all(|a| a == leaker),
        "nobody innocent is accused"
    );
}

#[test]
fn the_layout_layer_alone_names_the_leaker_of_a_photographed_page_among_a_thousand() {
    if !tools() {
        return;
    }
    use telltale_formats::pdf::{Memo, LAYOUT_SLOTS};
    let text: String = telltale_core::sample::MEMO
        .split("\n\n")
        .take(5)
        .collect::<Vec<_>>()
        .join("\n\n");
    let t = RuleSet::default().build(&text, &mut NoGate).unwrap();
    let key = SecretKey::from_bytes([9; 32]);
    let cb = Codebook::new(&key, "d-layout", &t, CodeParams::default()).unwrap();
    let layout = Codebook::for_slots(
        &key,
        &telltale_formats::pdf::layout_document_id("d-layout"),
        &vec![2; LAYOUT_SLOTS as usize],
        telltale_formats::pdf::layout_code_params(),
    )
    .unwrap();
    let holders: Vec<String> = (0..1000).map(|i| format!("r-{i:04}")).collect();
    let dir = tempfile::tempdir().unwrap();
    let mut named = Vec::new();
    for leaker in [&holders[417], &holders[3], &holders[998]] {
        let copy = t.render(&cb.codeword(leaker)).unwrap();
        let bits = layout.codeword(leaker);
        let mark = |slot: u32| bits[slot as usize];
        let pdf = telltale_formats::pdf::from_text(
            &copy,
            &Memo {
                title: "Kestria",
                classification: Some("OFFICIAL-SENSITIVE"),
                marks: Some(&mark),
            },
        )
        .unwrap();
        let sub = dir.path().join(leaker);
        std::fs::create_dir_all(&sub).unwrap();
        let page =
            std::fs::read(&telltale_ocr::rasterise(&pdf, 150, &sub, Limits::default()).unwrap()[0])
                .unwrap();
        let photo = photograph(&page, 1.0, 0.7);
        let marks = telltale_ocr::layout::read_page_marks(&photo, 0, Limits::default()).unwrap();
        let clear: Vec<_> = marks
            .iter()
            .filter(|m| m.clarity >= telltale_ocr::layout::MIN_CLARITY)
            .collect();
        let wrong = clear
            .iter()
            .filter(|m| m.bit != bits[m.slot as usize])
            .count();
        let observations: Vec<telltale_core::Observation> = clear
            .iter()
            .map(|m| telltale_core::Observation {
                slot: m.slot,
                symbol: m.bit,
                site: 0,
                leak_span: 0..0,
            })
            .collect();
        let acc = accuse(
            &[DocumentEvidence {
                codebook: &layout,
                observations: &observations,
                recipients: &holders,
            }],
            AccuseParams::default(),
        );
        eprintln!(
            "layout layer, photographed page of {leaker}: {} marks found, {} clear, {wrong} read wrong; accused {:?}, bound {:?}",
            marks.len(),
            clear.len(),
            acc.accused,
            acc.suspects.first().map(|s| s.false_accusation)
        );
        assert!(
            acc.accused.iter().all(|a| a == leaker),
            "nobody innocent is accused"
        );
        named.push(acc.accused == vec![leaker.clone()]);
    }
    assert!(
        named.iter().all(|n| *n),
        "the leaker is named from the layout alone: {named:?}"
    );
}

#[test]
fn layout_bits_per_page_under_photo_conditions() {
    if !tools() {
        return;
    }
    use telltale_formats::pdf::{Memo, LAYOUT_SLOTS};
    let key = SecretKey::from_bytes([11; 32]);
    let layout = Codebook::for_slots(
        &key,
        &telltale_formats::pdf::layout_document_id("d-page"),
        &vec![2; LAYOUT_SLOTS as usize],
        telltale_formats::pdf::layout_code_params(),
    )
    .unwrap();
    let bits = layout.codeword("r-1");
    let mark = |slot: u32| bits[slot as usize];
    let pdf = telltale_formats::pdf::from_text(
        telltale_core::sample::MEMO,
        &Memo {
            title: "Kestria",
            classification: Some("OFFICIAL-SENSITIVE"),
            marks: Some(&mark),
        },
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut clean_page_errors = 0;
    for (dpi, degrees, blur) in [
        (150, 0.0, 0.0),
        (150, 1.0, 0.7),
        (150, 2.0, 1.0),
        (150, 1.0, 1.5),
        (100, 1.0, 0.7),
    ] {
        let sub = dir.path().join(format!("{dpi}-{degrees}-{blur}"));
        std::fs::create_dir_all(&sub).unwrap();
        let pages = telltale_ocr::rasterise(&pdf, dpi, &sub, Limits::default()).unwrap();
        let img = std::fs::read(&pages[0]).unwrap();
        let photo = if degrees == 0.0 && blur == 0.0 {
            img
        } else {
            photograph(&img, degrees, blur)
        };
        let marks = telltale_ocr::layout::read_page_marks(&photo, 0, Limits::default()).unwrap();
        let words_start = telltale_formats::pdf::WORD_SLOTS_START;
        let (word_marks, line_marks): (Vec<&telltale_ocr::layout::LineMark>, Vec<_>) =
            marks.iter().partition(|m| m.slot >= words_start);
        let clear: Vec<_> = line_marks
            .iter()
            .filter(|m| m.clarity >= telltale_ocr::layout::MIN_CLARITY)
            .collect();
        let wrong = clear
            .iter()
            .filter(|m| m.bit != bits[m.slot as usize])
            .count();
        let wclear: Vec<_> = word_marks
            .iter()
            .filter(|m| m.clarity >= telltale_ocr::layout::MIN_CLARITY)
            .collect();
        let wwrong = wclear
            .iter()
            .filter(|m| m.bit != bits[m.slot as usize])
            .count();
        eprintln!(
            "page 1 at {dpi} dpi, {degrees}° rotation, blur {blur}: line shifts: {} lines, {} read, {wrong} wrong; word shifts: {} lines, {} read, {wwrong} wrong",
            line_marks.len(),
            clear.len(),
            word_marks.len(),
            wclear.len()
        );
        if degrees == 0.0 {
            clean_page_errors = wrong;
            assert!(clear.len() >= 35, "a full page carries a bit per line");
        }
    }
    assert_eq!(
        clean_page_errors, 0,
        "a clean page image reads without error"
    );
}

//! The bodies of the fuzz targets, one function per parser of untrusted
//! input. Shared by the cargo-fuzz binaries in `fuzz_targets/` (nightly,
//! libFuzzer) and by `crates/telltale-cli/tests/fuzz_corpus.rs`, which
//! replays every committed corpus file through them on the stable
//! toolchain, so that what a fuzzer once found stays fixed.
//!
//! A target fails only by panicking (or by the process dying, which the
//! fuzzer reports): errors are the expected answer to bad input. Where a
//! parser promises an invariant, the target checks it.

use telltale_core::gate::NoGate;
use telltale_core::{
    accuse, AccuseParams, CodeParams, Codebook, DocumentEvidence, Locator, RuleSet,
};
use telltale_formats::{FileFormat, LeakFormat, Limits};

/// A target's body: it panics on a defect, and on nothing else.
pub type Target = fn(&[u8]);

/// Every target, by the name of its corpus directory.
pub const ALL: &[(&str, Target)] = &[
    ("html", html),
    ("docx", docx),
    ("eml", eml),
    ("pdf", pdf),
    ("leak", leak),
    ("trace", trace),
    ("document", document),
    ("csv", csv),
    ("authored", authored),
    ("seal", seal),
];

/// HTML text extraction: segments map into the text drawn out.
pub fn html(data: &[u8]) {
    let Ok(source) = telltale_formats::extract(FileFormat::Html, data, Limits::default()) else {
        return;
    };
    for s in &source.segments {
        assert!(s.text.end <= source.text.len(), "segment past the text");
    }
}

/// DOCX text extraction and the paragraph marks of a leaked Word file.
pub fn docx(data: &[u8]) {
    let _ = telltale_formats::extract(FileFormat::Docx, data, Limits::default());
    let _ = telltale_formats::docx_marks(data, Limits::default());
}

/// E-mail bodies.
pub fn eml(data: &[u8]) {
    if let Ok(text) = telltale_formats::leak_text(LeakFormat::Email, data, Limits::default()) {
        assert!(!text.trim().is_empty(), "an e-mail read as empty text");
    }
}

/// A PDF's text layer (Poppler, out of process) and its layout marks.
pub fn pdf(data: &[u8]) {
    let limits = short_limits();
    let _ = telltale_ocr::pdf_text(data, limits);
}

/// The leak reader as a whole: the first byte picks the kind of file the
/// rest claims to be.
pub fn leak(data: &[u8]) {
    // In the order of the extensions the corpus was minimised with (txt,
    // md, html, docx, eml, pdf, xhtml, htm), so that its first bytes keep
    // choosing what they chose. Not images: Tesseract takes seconds a run,
    // and its input is decoded and bounded first (`telltale_ocr::image_text`).
    const KINDS: [LeakFormat; 8] = [
        LeakFormat::Document(FileFormat::Txt),
        LeakFormat::Document(FileFormat::Md),
        LeakFormat::Document(FileFormat::Html),
        LeakFormat::Document(FileFormat::Docx),
        LeakFormat::Email,
        LeakFormat::Document(FileFormat::Pdf),
        LeakFormat::Document(FileFormat::Html),
        LeakFormat::Document(FileFormat::Html),
    ];
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let kind = KINDS[usize::from(pick) % KINDS.len()];
    let _ = telltale_ocr::read_leak(kind, rest, short_limits());
}

/// Tracing arbitrary text against the sample memo's template among 50
/// recipients: no panic, and nobody is accused by text that shares no
/// passage with the document.
pub fn trace(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (template, codebook) = sample();
    let mut locator = Locator::new();
    locator.add(template);
    let Ok(traces) = locator.trace(&[template], text) else {
        return;
    };
    let recipients: Vec<String> = (0..50).map(|i| format!("r-{i:02}")).collect();
    for t in &traces {
        let acc = accuse(
            &[DocumentEvidence {
                codebook,
                observations: &t.observations,
                recipients: &recipients,
            }],
            AccuseParams::default(),
        );
        if t.observations.is_empty() {
            assert!(acc.accused.is_empty(), "accused on no observation");
        }
    }
}

/// Recipient lists: every row kept is valid (no control character in a
/// name, ids unique), and a refusal is an error, never a panic.
pub fn csv(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(parsed) =
        telltale_registry::parse_recipients_csv(text, &telltale_registry::Budget::unlimited())
    else {
        return;
    };
    let mut ids = std::collections::HashSet::new();
    for r in &parsed.rows {
        assert!(
            !r.name.chars().any(telltale_registry::is_unprintable),
            "{r:?}"
        );
        assert!(ids.insert(r.id.clone()), "id {} kept twice", r.id);
    }
}

/// Registering arbitrary text: it builds or is refused, and a template
/// rendered with its original choices gives the text back byte for byte.
pub fn document(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(t) = RuleSet::default().build(text, &mut NoGate) {
        let back = t
            .render(&t.original_codeword())
            .expect("original codeword renders");
        assert_eq!(back, text, "the original choice must give the text back");
    }
}

/// A source with author slots: it parses or is refused; what parses builds
/// (or is refused), its original choice renders the parsed text, and every
/// author slot is a slot of the template.
pub fn authored(data: &[u8]) {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let Ok((text, slots)) = telltale_core::author::parse(src) else {
        return;
    };
    assert!(
        slots.iter().all(|s| s.fits(&text)),
        "a slot that does not fit"
    );
    let n = slots.len();
    let rules = RuleSet {
        author: slots,
        ..RuleSet::default()
    };
    if let Ok(t) = rules.build(&text, &mut NoGate) {
        let back = t
            .render(&t.original_codeword())
            .expect("original codeword renders");
        assert_eq!(back, text);
        let authored = t
            .slots
            .iter()
            .filter(|s| s.class == telltale_core::Class::AuthorAlternative)
            .count();
        assert_eq!(authored, n, "every author slot is a slot");
    }
}

fn short_limits() -> telltale_ocr::Limits {
    telltale_ocr::Limits {
        timeout: std::time::Duration::from_secs(10),
        max_pages: 3,
        ..telltale_ocr::Limits::default()
    }
}

/// The sample memo's template and a codebook for it, built once.
fn sample() -> &'static (telltale_core::Template, Codebook) {
    static SAMPLE: std::sync::OnceLock<(telltale_core::Template, Codebook)> =
        std::sync::OnceLock::new();
    SAMPLE.get_or_init(|| {
        let t = RuleSet::default()
            .build(telltale_core::sample::MEMO, &mut NoGate)
            .expect("the sample builds");
        let key = telltale_core::SecretKey::from_bytes([7; 32]);
        let cb = Codebook::new(&key, "d-fuzz", &t, CodeParams::default()).expect("codebook");
        (t, cb)
    })
}

/// A signed evidence report's seal and an exported key file, as `report
/// verify` reads them from strangers: never a panic, and nothing verifies
/// against a key that did not sign it (the key is RFC 8032's first test
/// vector, whose secret is public, but no corpus file is signed with it).
pub fn seal(data: &[u8]) {
    let key = telltale_registry::seal::ReportKey::parse(
        "telltale evidence-report key v1\nregistry 0123456789abcdef\n\
         ed25519 d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a\n",
    );
    if let Ok(key) = key {
        assert!(
            telltale_registry::seal::verify(data, &key).is_err(),
            "a file verified against a key that signed nothing here"
        );
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = telltale_registry::seal::ReportKey::parse(text);
    }
}

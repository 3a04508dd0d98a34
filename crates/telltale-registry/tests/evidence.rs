//! The evidence report an inquiry files: made from a stored trace, signed
//! with the registry's report key, readable as a PDF, and checked by
//! anyone who holds the exported key, whoever handed them the file.

use telltale_core::rules::Format;
use telltale_registry::seal::{self, ReportKey, SealError};
use telltale_registry::{Registry, TraceRequest};
use telltale_store::Recipient;

const MEMO: &str = telltale_core::sample::MEMO;

/// A registry with ten recipients holding the memo, and a trace of a
/// passage from r-05's copy: the registry, the trace's number.
fn traced(home: &std::path::Path) -> (Registry, i64) {
    let mut r = Registry::init(home, None).unwrap();
    let ids: Vec<String> = (0..10).map(|i| format!("r-{i:02}")).collect();
    for id in &ids {
        r.add_recipient(&Recipient {
            id: id.clone(),
            name: format!("Person {id}"),
            email: None,
        })
        .unwrap();
    }
    let doc = r.add_document(MEMO, None, Format::Plain).unwrap();
    let out = home.join("out");
    r.distribute(
        &doc.id,
        &ids,
        &out,
        telltale_core::FileFormat::Txt,
        &mut |_, _| {},
    )
    .unwrap();
    let copy = std::fs::read_to_string(out.join("r-05.txt")).unwrap();
    let leak: String = copy.chars().skip(200).take(1200).collect();
    let (id, rep) = r.trace(&TraceRequest::new(&leak)).unwrap();
    assert_eq!(rep.documents[0].accused, vec!["r-05".to_string()]);
    (r, id)
}

#[test]
fn a_signed_report_reads_back_and_verifies_with_the_exported_key() {
    let dir = tempfile::tempdir().unwrap();
    let (mut r, id) = traced(dir.path());
    let pdf = r.evidence_pdf(id, "ivan").unwrap();
    assert!(pdf.starts_with(b"%PDF-"));

    // The exported key, as a third party would receive it.
    let key = ReportKey::parse(&r.report_key().to_text()).unwrap();
    let facts = seal::verify(&pdf, &key).unwrap();
    let stored = r.stored_trace(id).unwrap();
    assert_eq!(facts.trace, id);
    assert_eq!(facts.input_hash, stored.record.input_hash);
    assert_eq!(facts.registry, r.key_fingerprint());

    // The PDF's own text says what the trace found, and how.
    let text = telltale_ocr::read_leak(
        telltale_formats::LeakFormat::Document(telltale_core::FileFormat::Pdf),
        &pdf,
        telltale_ocr::Limits::default(),
    )
    .unwrap();
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        format!("Trace {id} was run at"),
        "Strong evidence against r-05".into(),
        stored.record.input_hash.clone(),
        "Method.".into(),
        "ivan".into(),
    ] {
        assert!(flat.contains(&needle), "{needle} not in {flat}");
    }

    // Making it was audited, with the hash of the file handed out.
    let last = r.store().audit_log().unwrap().pop().unwrap();
    assert_eq!(last.action, "report");
    assert!(last
        .detail
        .contains(&blake3::hash(&pdf).to_hex().to_string()));
}

#[test]
fn another_registrys_key_and_a_changed_page_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (mut r, id) = traced(dir.path());
    let pdf = r.evidence_pdf(id, "ivan").unwrap();
    let other = Registry::init(&dir.path().join("other"), None).unwrap();
    assert!(matches!(
        seal::verify(&pdf, &other.report_key()),
        Err(SealError::OtherKey { .. })
    ));
    let mut changed = pdf.clone();
    let at = changed.len() / 2;
    changed[at] ^= 0x20;
    assert_eq!(
        seal::verify(&changed, &r.report_key()),
        Err(SealError::BadSignature)
    );
    assert!(r.evidence_pdf(id + 1000, "ivan").is_err());
}

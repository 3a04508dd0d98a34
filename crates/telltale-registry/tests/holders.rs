//! A much-issued document's holders are kept between traces, and used
//! only while they are still its holders: a copy issued after one trace is
//! scored by the next, on this handle and on another the process opened.

use telltale_core::rules::Format;
use telltale_registry::{Registry, TraceRequest, HOLDERS_KEPT_FROM};
use telltale_store::Recipient;

const MEMO: &str = telltale_core::sample::MEMO;

/// Enough holders that the registry keeps the list.
const HOLDERS: usize = HOLDERS_KEPT_FROM as usize + 2_000;

fn accused(r: &mut Registry, leak: &str) -> Vec<String> {
    let (_, rep) = r.trace(&TraceRequest::new(leak)).unwrap();
    assert_eq!(rep.documents.len(), 1, "{rep:?}");
    rep.documents[0].accused.clone()
}

#[test]
fn a_copy_issued_after_a_trace_is_scored_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Registry::init(dir.path(), None).unwrap();
    let doc = r.add_document(MEMO, None, Format::Plain).unwrap();
    // Written straight into the database in one transaction, as the trace
    // bench does: issuing 12,000 audited copies one at a time is slow, and
    // this test is about reading them back.
    {
        let mut db = rusqlite::Connection::open(dir.path().join("registry.db")).unwrap();
        let tx = db.transaction().unwrap();
        {
            let mut rec = tx
                .prepare("INSERT INTO recipients (id, name) VALUES (?1, ?2)")
                .unwrap();
            let mut iss = tx
                .prepare(
                    "INSERT INTO issuances (document_id, recipient_id, issued_at, content_hash, recipient_name)
                     VALUES (?1, ?2, 0, '', ?3)",
                )
                .unwrap();
            for i in 0..HOLDERS {
                let (id, name) = (format!("r-{i:05}"), format!("Person {i}"));
                rec.execute((&id, &name)).unwrap();
                iss.execute((&doc.id, &id, &name)).unwrap();
            }
        }
        tx.commit().unwrap();
    }
    let first = r.render_copy(&doc.id, "r-00007").unwrap();
    assert_eq!(accused(&mut r, &first), ["r-00007"]);
    assert_eq!(r.holder_list_reads(), 1);
    // Kept: the next trace reads no list.
    assert_eq!(accused(&mut r, &first), ["r-00007"]);
    assert_eq!(r.holder_list_reads(), 1);

    // Issued after the list was kept: the next trace must score them.
    r.add_recipient(&Recipient {
        id: "r-new".into(),
        name: "Newcomer".into(),
        email: None,
    })
    .unwrap();
    r.issue(&doc.id, &["r-new".to_string()], &mut |_, _| {})
        .unwrap();
    let newcomer = r.render_copy(&doc.id, "r-new").unwrap();
    assert_eq!(accused(&mut r, &newcomer), ["r-new"]);
    assert_eq!(r.holder_list_reads(), 2);

    // Another handle shares the kept list (it reads none), and it is as
    // true there.
    let mut other = r.reopen().unwrap();
    assert_eq!(accused(&mut other, &newcomer), ["r-new"]);
    assert_eq!(accused(&mut other, &first), ["r-00007"]);
    assert_eq!(other.holder_list_reads(), 2);
    other
        .add_recipient(&Recipient {
            id: "r-later".into(),
            name: "Later".into(),
            email: None,
        })
        .unwrap();
    other
        .issue(&doc.id, &["r-later".to_string()], &mut |_, _| {})
        .unwrap();
    let later = r.render_copy(&doc.id, "r-later").unwrap();
    assert_eq!(accused(&mut r, &later), ["r-later"]);
    assert_eq!(r.holder_list_reads(), 3);
}

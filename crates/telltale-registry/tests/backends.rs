//! The registry's own story against every backend: the embedded SQLite
//! file, SQLite elsewhere, and PostgreSQL (skipped, saying so, when no
//! server is given; see `telltale_store_postgres::scratch`). Then a
//! registry copied from one database to another arrives whole and
//! verified, and a database that already holds one is never copied over.

use std::sync::Arc;

use telltale_core::rules::Format;
use telltale_registry::{Backend, Location, Registry, Role, TraceRequest};
use telltale_store::Recipient;
use telltale_store_postgres::scratch::ScratchDatabase;
use telltale_store_postgres::PostgresBackend;
use telltale_store_sqlite::SqliteBackend;

const MEMO: &str = telltale_core::sample::MEMO;

/// Register the memo, issue it to eight people, trace a passage of one
/// copy, add a user and a token; check what a second handle sees.
fn story(at: &Location) -> Registry {
    let mut r = Registry::init_at(at, None).unwrap();
    assert!(
        Registry::init_at(at, None).is_err(),
        "a second registry in the same place"
    );
    let ids: Vec<String> = (0..8).map(|i| format!("r-{i}")).collect();
    for id in &ids {
        r.add_recipient(&Recipient {
            id: id.clone(),
            name: format!("Person {id}"),
            email: None,
        })
        .unwrap();
    }
    for title in ["two\nlines", "a\0nul", "a\u{2028}separator"] {
        let refused = r
            .add_document(MEMO, Some(title), Format::Plain)
            .unwrap_err();
        assert!(refused.to_string().contains("title"), "{refused}");
    }
    let doc = r.add_document(MEMO, None, Format::Plain).unwrap();
    let out = at.home().join("out");
    r.distribute(
        &doc.id,
        &ids,
        &out,
        telltale_core::FileFormat::Txt,
        &mut |_, _| {},
    )
    .unwrap();
    let copy = std::fs::read_to_string(out.join("r-3.txt")).unwrap();
    let leak: String = copy.chars().skip(100).take(1500).collect();
    let (trace, rep) = r.trace(&TraceRequest::new(&leak)).unwrap();
    assert_eq!(rep.documents[0].accused, ["r-3"]);
    r.add_user("ada", Role::Investigator, "a long passphrase here")
        .unwrap();
    r.create_api_token("ada", "script").unwrap();

    // Another handle, as a second server process would have.
    let other = Registry::open_at(at, None).unwrap();
    assert_eq!(other.store().holders(&doc.id).unwrap(), ids);
    assert!(other.store().trace(trace).unwrap().is_some());
    assert_eq!(other.verify_audit().unwrap(), r.verify_audit().unwrap());
    assert!(r.verify().unwrap().intact());
    r
}

/// Copy `r` into `to`, then check the copy as its own registry.
fn migrates(r: &mut Registry, to: Arc<dyn Backend>) {
    let before = r.store().audit_log().unwrap();
    let m = r.migrate_to(to.clone()).unwrap();
    assert_eq!(
        (m.documents, m.recipients, m.issuances, m.traces, m.users),
        (1, 8, 8, 1, 1)
    );
    assert_eq!(m.audit_entries, before.len());

    let copy = Registry::open_at(&Location::new(r.home(), to.clone()), None).unwrap();
    assert!(copy.verify().unwrap().intact(), "{:?}", copy.verify());
    let (here, there) = (
        r.store().audit_log().unwrap(),
        copy.store().audit_log().unwrap(),
    );
    assert_eq!(here, there, "both logs end with the migration");
    assert_eq!(there.last().unwrap().action, "store.migrate");
    assert_eq!(
        r.store().issuances(None).unwrap(),
        copy.store().issuances(None).unwrap()
    );
    assert_eq!(r.store().traces().unwrap(), copy.store().traces().unwrap());
    assert_eq!(
        r.store().api_tokens().unwrap(),
        copy.store().api_tokens().unwrap()
    );
    let doc = &r.store().documents().unwrap()[0].id;
    assert_eq!(
        r.store().document(doc).unwrap(),
        copy.store().document(doc).unwrap()
    );
    assert_eq!(
        r.store().shingles(doc).unwrap(),
        copy.store().shingles(doc).unwrap()
    );

    let again = r.migrate_to(to).unwrap_err().to_string();
    assert!(again.contains("already holds a registry"), "{again}");
}

#[test]
fn embedded_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = story(&Location::embedded(dir.path()));
    let other = dir.path().join("elsewhere.db");
    migrates(&mut r, Arc::new(SqliteBackend::new(other)));
}

#[test]
fn sqlite_outside_the_home() {
    let dir = tempfile::tempdir().unwrap();
    let db: Arc<dyn Backend> = Arc::new(SqliteBackend::new(dir.path().join("shared.db")));
    let home = dir.path().join("home");
    story(&Location::new(&home, db));
}

#[test]
fn postgres() {
    let Some(pg) = ScratchDatabase::create() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db: Arc<dyn Backend> = Arc::new(PostgresBackend::new(pg.url()).unwrap());
    let mut r = story(&Location::new(dir.path(), db));
    let back = dir.path().join("back.db");
    migrates(&mut r, Arc::new(SqliteBackend::new(back)));
}

#[test]
fn sqlite_into_postgres() {
    let Some(pg) = ScratchDatabase::create() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut r = story(&Location::embedded(dir.path()));
    migrates(&mut r, Arc::new(PostgresBackend::new(pg.url()).unwrap()));
}

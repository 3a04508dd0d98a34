//! Tamper evidence, tried as an insider with write access to the database
//! would: each change below passed `audit verify` before the chain was
//! keyed, its head kept outside the database and the data read against it.

use std::path::Path;

use telltale_core::rules::Format;
use telltale_registry::{Registry, TraceRequest, HEAD_FILE};
use telltale_store::prelude::*;
use telltale_store::{legacy_entry_hash, Recipient, GENESIS};

const MEMO: &str = telltale_core::sample::MEMO;

fn db(home: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(home.join("registry.db")).unwrap()
}

/// A registry with two recipients and the memo issued to both.
fn registry(home: &Path) -> (Registry, String) {
    let mut r = Registry::init(home, None).unwrap();
    for (id, name) in [("r-1", "Ann Holm"), ("r-2", "Bo Varga")] {
        r.add_recipient(&Recipient {
            id: id.into(),
            name: name.into(),
            email: None,
        })
        .unwrap();
    }
    let doc = r.add_document(MEMO, None, Format::Plain).unwrap();
    let out = home.join("out");
    let rep = r
        .distribute(
            &doc.id,
            &["r-1".into(), "r-2".into()],
            &out,
            telltale_core::FileFormat::Txt,
            &mut |_, _| {},
        )
        .unwrap();
    assert_eq!(rep.written, 2);
    let v = r.verify().unwrap();
    assert!(v.intact(), "{:?}", v.problems);
    assert_eq!(v.head, Some(v.entries as i64), "the head is the last entry");
    (r, doc.id)
}

/// [`registry`] in a new directory, closed so the test can tamper with
/// its files; the directory and the document's id.
fn closed_registry() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let (r, doc) = registry(dir.path());
    drop(r);
    (dir, doc)
}

/// Verify after tampering: the problems found, which must not be none.
fn problems(home: &Path) -> Vec<String> {
    let v = Registry::open(home, None).unwrap().verify().unwrap();
    assert!(!v.intact(), "tampering went unseen");
    v.problems
}

fn has(problems: &[String], needle: &str) -> bool {
    problems.iter().any(|p| p.contains(needle))
}

const UNGUARD: &str = "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;";
const REGUARD: &str = "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;";

/// Chain every entry from `from` on again with the unkeyed hash, as the
/// 20-line script that defeated the old chain did.
fn rechain_unkeyed(c: &rusqlite::Connection, from: i64) {
    let rows: Vec<(i64, i64, String, String, String)> = c
        .prepare("SELECT seq, at, actor, action, detail FROM audit WHERE seq >= ?1 ORDER BY seq")
        .unwrap()
        .query_map([from], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut prev: String = if from == 1 {
        GENESIS.into()
    } else {
        c.query_row("SELECT hash FROM audit WHERE seq = ?1", [from - 1], |r| {
            r.get(0)
        })
        .unwrap()
    };
    for (seq, at, actor, action, detail) in rows {
        let h = legacy_entry_hash(&prev, seq, at, &actor, &action, &detail);
        c.execute(
            "UPDATE audit SET prev_hash = ?2, hash = ?3 WHERE seq = ?1",
            rusqlite::params![seq, prev, h],
        )
        .unwrap();
        prev = h;
    }
}

#[test]
fn truncating_the_log_is_caught_by_its_head() {
    let dir = tempfile::tempdir().unwrap();
    let (r, _) = registry(dir.path());
    let n = r.store().audit_log().unwrap().len() as i64;
    drop(r);
    let c = db(dir.path());
    c.execute_batch(&format!(
        "{UNGUARD} DELETE FROM audit WHERE seq > {}; {REGUARD}",
        n - 2
    ))
    .unwrap();
    drop(c);
    let p = problems(dir.path());
    assert!(has(&p, "entries were removed from its end"), "{p:?}");
    // Working on does not bless the shorter log with a new head, not even
    // once it is as long again.
    let mut r = Registry::open(dir.path(), None).unwrap();
    for i in 0..3 {
        r.note("test.more", &format!("after the cut {i}")).unwrap();
    }
    drop(r);
    let p = problems(dir.path());
    assert!(
        has(
            &p,
            &format!("entry {n} is not the entry audit.head records")
        ),
        "{p:?}"
    );
}

#[test]
fn a_rewritten_entry_chained_again_without_the_key_is_caught() {
    let (dir, _) = closed_registry();
    let c = db(dir.path());
    c.execute_batch(UNGUARD).unwrap();
    c.execute(
        "UPDATE audit SET detail = replace(detail, 'r-1', 'r-2') WHERE action = 'recipient.create' AND detail LIKE 'r-1 %'",
        [],
    )
    .unwrap();
    let seq: i64 = c
        .query_row(
            "SELECT seq FROM audit WHERE action = 'recipient.create' ORDER BY seq LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    rechain_unkeyed(&c, seq);
    c.execute_batch(REGUARD).unwrap();
    drop(c);
    let p = problems(dir.path());
    assert!(has(&p, &format!("entry {seq} ")), "{p:?}");

    // The whole log chained again without the key, and its head deleted.
    let c = db(dir.path());
    c.execute_batch(UNGUARD).unwrap();
    rechain_unkeyed(&c, 1);
    c.execute_batch(REGUARD).unwrap();
    drop(c);
    std::fs::remove_file(dir.path().join(HEAD_FILE)).unwrap();
    let p = problems(dir.path());
    assert!(has(&p, "no entry of the log is sealed"), "{p:?}");
    assert!(has(&p, "audit.head is missing"), "{p:?}");
}

#[test]
fn a_forged_head_is_caught() {
    let (dir, _) = closed_registry();
    let path = dir.path().join(HEAD_FILE);
    let text = std::fs::read_to_string(&path).unwrap();
    let seq: i64 = text.lines().nth(1).unwrap()[4..].parse().unwrap();
    std::fs::write(
        &path,
        text.replace(&format!("seq {seq}"), &format!("seq {}", seq - 1)),
    )
    .unwrap();
    let p = problems(dir.path());
    assert!(has(&p, "not sealed with this registry's key"), "{p:?}");
}

#[test]
fn deleting_an_issuance_row_is_caught() {
    let (dir, doc) = closed_registry();
    db(dir.path())
        .execute("DELETE FROM issuances WHERE recipient_id = 'r-2'", [])
        .unwrap();
    let p = problems(dir.path());
    assert!(
        has(&p, &format!("issue of {doc} to r-2")) && has(&p, "has no issuance row"),
        "{p:?}"
    );
    assert_eq!(p.len(), 1, "{p:?}");
}

#[test]
fn an_issuance_row_without_an_entry_or_changed_is_caught() {
    let (dir, doc) = closed_registry();
    let c = db(dir.path());
    c.execute(
        "UPDATE issuances SET recipient_id = 'r-3' WHERE recipient_id = 'r-2'",
        [],
    )
    .ok();
    c.execute(
        "INSERT INTO recipients (id, name) VALUES ('r-3', 'Cy Moss')",
        [],
    )
    .unwrap();
    c.execute(
        "UPDATE issuances SET recipient_id = 'r-3' WHERE recipient_id = 'r-2'",
        [],
    )
    .unwrap();
    c.execute(
        "UPDATE issuances SET content_hash = 'beef' WHERE recipient_id = 'r-1'",
        [],
    )
    .unwrap();
    drop(c);
    let p = problems(dir.path());
    assert!(
        has(&p, &format!("issuance of {doc} to r-3 has no issue entry")),
        "{p:?}"
    );
    assert!(has(&p, "copy beef but its issue entry"), "{p:?}");
    assert!(has(&p, "recipient r-3 (\"Cy Moss\") has no entry"), "{p:?}");
}

#[test]
fn renaming_a_recipient_in_the_database_is_caught() {
    let (dir, _) = closed_registry();
    db(dir.path())
        .execute(
            "UPDATE recipients SET name = 'Someone Else' WHERE id = 'r-1'",
            [],
        )
        .unwrap();
    let p = problems(dir.path());
    assert!(
        has(
            &p,
            "recipient r-1 is named \"Someone Else\" but the last entry that named it"
        ),
        "{p:?}"
    );
}

#[test]
fn an_issuance_in_no_known_format_is_a_problem_not_the_end_of_the_check() {
    let (dir, _) = closed_registry();
    let d = db(dir.path());
    d.execute(
        "UPDATE issuances SET format = 'rtf' WHERE recipient_id = 'r-1'",
        [],
    )
    .unwrap();
    d.execute(
        "UPDATE recipients SET name = 'Someone Else' WHERE id = 'r-2'",
        [],
    )
    .unwrap();
    drop(d);
    let p = problems(dir.path());
    assert!(
        has(&p, "the issuances cannot be read")
            && has(&p, "unknown file format \"rtf\"")
            && has(&p, "recipient r-2 is named \"Someone Else\""),
        "{p:?}"
    );
}

#[test]
fn a_changed_template_is_caught() {
    let (dir, doc) = closed_registry();
    // Other code parameters: every copy would be made, and traced,
    // differently.
    db(dir.path())
        .execute(
            "UPDATE documents SET code_params = replace(code_params, '0.1', '0.2') WHERE id = ?1",
            [&doc],
        )
        .unwrap();
    let p = problems(dir.path());
    assert!(
        has(&p, &format!("document {doc}'s template differs")),
        "{p:?}"
    );
}

#[test]
fn dropping_or_defusing_a_trigger_is_caught() {
    let (dir, _) = closed_registry();
    db(dir.path())
        .execute_batch("DROP TRIGGER audit_no_delete;")
        .unwrap();
    let p = problems(dir.path());
    assert!(
        has(
            &p,
            "audit_no_delete that keeps the audit log append-only is missing"
        ),
        "{p:?}"
    );
    db(dir.path())
        .execute_batch("CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT 1; END;")
        .unwrap();
    let p = problems(dir.path());
    assert!(
        has(
            &p,
            "audit_no_delete that keeps the audit log append-only was altered"
        ),
        "{p:?}"
    );
}

#[test]
fn two_handles_keep_the_head_moving_forward() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, _) = registry(dir.path());
    let mut b = a.reopen().unwrap();
    for i in 0..5 {
        a.note("test.a", &format!("{i}")).unwrap();
        b.note("test.b", &format!("{i}")).unwrap();
    }
    let v = b.verify().unwrap();
    assert!(v.intact(), "{:?}", v.problems);
    assert_eq!(v.head, Some(v.entries as i64));
}

/// A registry as the previous version left it: schema 4, its log chained
/// without a key, no head, no fingerprint.
fn legacy_registry(home: &Path) {
    std::fs::create_dir_all(home).unwrap();
    let key = telltale_registry::keyfile::create(&home.join("secret.key"), None).unwrap();
    let init = format!("key fingerprint {}", key.fingerprint());
    let mut s =
        telltale_store_sqlite::SqliteStore::open_at_version(&home.join("registry.db"), 4).unwrap();
    s.upsert_recipient(&Recipient {
        id: "r-1".into(),
        name: "Ann Holm".into(),
        email: None,
    })
    .unwrap();
    drop(s);
    let c = db(home);
    let mut prev = GENESIS.to_string();
    for (seq, action, detail) in [
        (1, "init", init.as_str()),
        (
            2,
            "recipients.import",
            "1 added, 0 updated, 0 unchanged, 0 rejected",
        ),
        (3, "issue", "d-gone to r-1 as txt (copy ab)"),
        (4, "doc.remove", "d-gone (forced)"),
    ] {
        let h = legacy_entry_hash(&prev, seq, 100 + seq, "cli", action, detail);
        c.execute(
            "INSERT INTO audit (seq, at, actor, action, detail, prev_hash, hash) VALUES (?1, ?2, 'cli', ?3, ?4, ?5, ?6)",
            rusqlite::params![seq, 100 + seq, action, detail, prev, h],
        )
        .unwrap();
        prev = h;
    }
}

#[test]
fn a_registry_from_before_keyed_chaining_is_upgraded_once() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    legacy_registry(&home);
    let mut r = Registry::open(&home, None).unwrap();
    let log = r.store().audit_log().unwrap();
    assert_eq!(log[4].action, "audit.keyed");
    assert!(log[4]
        .detail
        .starts_with("entries 1 to 4 were chained without a key"));
    assert!(log.iter().any(|e| e.action == "recipient.known"));
    let v = r.verify().unwrap();
    assert!(v.intact(), "{:?}", v.problems);
    assert_eq!(v.legacy_entries, 4);
    r.note("test.after", "keyed").unwrap();
    drop(r);
    let r = Registry::open(&home, None).unwrap();
    let again = r.store().audit_log().unwrap();
    assert_eq!(
        again.iter().filter(|e| e.action == "audit.keyed").count(),
        1,
        "upgraded once"
    );
    assert!(r.verify().unwrap().intact());
    drop(r);

    // An entry from before the upgrade, changed and chained again up to
    // the keyed entry, is caught: the keyed entry's seal covers it.
    let c = db(&home);
    c.execute_batch(UNGUARD).unwrap();
    c.execute("UPDATE audit SET detail = 'nothing' WHERE seq = 2", [])
        .unwrap();
    let rows: Vec<(i64, i64, String, String, String)> = c
        .prepare("SELECT seq, at, actor, action, detail FROM audit WHERE seq >= 2 AND seq <= 4 ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut prev: String = c
        .query_row("SELECT hash FROM audit WHERE seq = 1", [], |r| r.get(0))
        .unwrap();
    for (seq, at, actor, action, detail) in rows {
        let h = legacy_entry_hash(&prev, seq, at, &actor, &action, &detail);
        c.execute(
            "UPDATE audit SET prev_hash = ?2, hash = ?3 WHERE seq = ?1",
            rusqlite::params![seq, prev, h],
        )
        .unwrap();
        prev = h;
    }
    c.execute_batch(REGUARD).unwrap();
    drop(c);
    let p = problems(&home);
    assert!(has(&p, "entry 5 does not follow"), "{p:?}");
}

#[test]
fn a_key_file_from_another_registry_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let fa = Registry::init(&a, None).unwrap().key_fingerprint();
    let fb = Registry::init(&b, None).unwrap().key_fingerprint();
    assert_ne!(fa, fb);
    std::fs::remove_file(a.join("secret.key")).unwrap();
    std::fs::copy(b.join("secret.key"), a.join("secret.key")).unwrap();
    let e = Registry::open(&a, None).err().unwrap().to_string();
    assert_eq!(
        e,
        format!(
            "key file does not belong to this registry (fingerprint {fb}, registry expects {fa})"
        )
    );

    // A registry from before fingerprints were kept is checked against its
    // first entry, and then keeps the fingerprint from its first opening.
    let old = dir.path().join("old");
    legacy_registry(&old);
    let saved = std::fs::read(old.join("secret.key")).unwrap();
    std::fs::remove_file(old.join("secret.key")).unwrap();
    std::fs::copy(b.join("secret.key"), old.join("secret.key")).unwrap();
    let e = Registry::open(&old, None).err().unwrap().to_string();
    assert!(
        e.starts_with("key file does not belong to this registry"),
        "{e}"
    );
    std::fs::write(old.join("secret.key"), saved).unwrap();
    let r = Registry::open(&old, None).unwrap();
    let fo = r.key_fingerprint();
    let log = r.store().audit_log().unwrap();
    let upgrade = log.iter().find(|e| e.action == "registry.upgrade").unwrap();
    assert!(upgrade
        .detail
        .contains(&format!("key fingerprint {fo} recorded")));
    drop(r);
    std::fs::remove_file(old.join("secret.key")).unwrap();
    std::fs::copy(b.join("secret.key"), old.join("secret.key")).unwrap();
    let e = Registry::open(&old, None).err().unwrap().to_string();
    assert!(e.contains(&format!("registry expects {fo}")), "{e}");
}

#[test]
fn an_empty_or_missing_database_beside_a_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    drop(Registry::init(&home, None).unwrap());
    let db = home.join("registry.db");
    for ext in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(home.join(format!("registry.db{ext}")));
    }
    std::fs::write(&db, b"").unwrap();
    let e = Registry::open(&home, None).err().unwrap().to_string();
    assert!(
        e.contains("is empty (0 bytes)") && e.contains("backup"),
        "{e}"
    );
    assert_eq!(e.lines().count(), 1);
    assert_eq!(std::fs::metadata(&db).unwrap().len(), 0, "left as it was");
    std::fs::remove_file(&db).unwrap();
    let e = Registry::open(&home, None).err().unwrap().to_string();
    assert!(e.contains("registry.db is missing"), "{e}");
    assert!(!db.exists());
    assert!(
        Registry::init(&home, None).is_err(),
        "init never reuses a key"
    );
}

#[test]
fn a_rename_is_audited_and_traces_name_the_copy_as_issued() {
    let dir = tempfile::tempdir().unwrap();
    let (mut r, doc) = registry(dir.path());
    let issue = r
        .store()
        .audit_log()
        .unwrap()
        .into_iter()
        .find(|e| e.action == "issue" && e.detail.contains(" to r-1 "))
        .unwrap();
    assert!(
        issue.detail.contains("r-1 \"Ann Holm\" as txt"),
        "{}",
        issue.detail
    );
    r.add_recipient(&Recipient {
        id: "r-1".into(),
        name: "Someone Else".into(),
        email: Some("se@example.org".into()),
    })
    .unwrap();
    let log = r.store().audit_log().unwrap();
    let rename = log.iter().find(|e| e.action == "recipient.rename").unwrap();
    assert_eq!(rename.detail, "r-1 \"Ann Holm\" -> \"Someone Else\"");
    let email = log.iter().find(|e| e.action == "recipient.email").unwrap();
    assert_eq!(email.detail, "r-1 none -> \"se@example.org\"");
    let issued = r.store().issuances(Some(&doc)).unwrap();
    assert_eq!(issued[0].recipient_name.as_deref(), Some("Ann Holm"));
    let v = r.verify().unwrap();
    assert!(v.intact(), "{:?}", v.problems);

    let copy = std::fs::read_to_string(dir.path().join("out/r-1.txt")).unwrap();
    let (_, rep) = r.trace(&TraceRequest::new(&copy)).unwrap();
    let d = &rep.documents[0];
    assert_eq!(d.accused, ["r-1"]);
    let s = &d.suspects[0];
    assert_eq!(s.name, "Ann Holm", "the name on the copy");
    assert_eq!(s.current_name.as_deref(), Some("Someone Else"));
    assert_eq!(s.display_name(), "Ann Holm, now Someone Else");
    let bo = d.suspects.iter().find(|s| s.recipient == "r-2").unwrap();
    assert_eq!(
        (bo.name.as_str(), bo.current_name.as_deref()),
        ("Bo Varga", None)
    );
}

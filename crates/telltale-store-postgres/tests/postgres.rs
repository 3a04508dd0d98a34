//! The PostgreSQL backend against a real server: the story every backend
//! passes, opening and upgrading, the audit log's guards, and several
//! connections writing at once. Each test gets a scratch database of its
//! own on the server named by `TELLTALE_TEST_POSTGRES`, and is skipped
//! without it (see `telltale_store_postgres::scratch`).

use std::sync::Barrier;
use std::time::Instant;

use telltale_store::prelude::*;
use telltale_store::{verify_chain, ChainKey, JobRecord, Recipient, StoreError, User};
use telltale_store_postgres::scratch::ScratchDatabase;
use telltale_store_postgres::{PostgresBackend, PostgresStore, SCHEMA_VERSION};

#[test]
fn the_story() {
    let Some(db) = ScratchDatabase::create() else {
        return;
    };
    let mut s = PostgresStore::open(db.url()).unwrap();
    assert_eq!(s.schema_version(), SCHEMA_VERSION);
    let started = Instant::now();
    telltale_store::story::run(&mut s);
    eprintln!("the story on PostgreSQL took {:?}", started.elapsed());
}

#[test]
fn an_empty_database_is_opened_only_when_asked_to_create() {
    let Some(db) = ScratchDatabase::create() else {
        return;
    };
    let backend = PostgresBackend::new(db.url()).unwrap();
    for refused in [
        PostgresStore::open_existing(db.url()).err().unwrap(),
        backend.connect(false).err().unwrap(),
    ] {
        let e = refused.to_string();
        assert!(matches!(refused, StoreError::Corrupt(_)), "{e}");
        assert!(
            e.contains(&format!("no telltale registry in {}", backend.describe())),
            "{e}"
        );
    }
    let tables: i64 = db
        .connect()
        .query_one(
            "SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(tables, 0, "nothing is created");
    let mut created = backend.connect(true).unwrap();
    assert_eq!(created.schema_version(), SCHEMA_VERSION);
    created.put_meta("key_fingerprint", "00ff").unwrap();
    drop(created);
    let s = PostgresStore::open_existing(db.url()).unwrap();
    assert_eq!(s.meta("key_fingerprint").unwrap().as_deref(), Some("00ff"));
    assert_eq!(s.describe(), backend.describe());
}

#[test]
fn a_newer_schema_is_refused() {
    let Some(db) = ScratchDatabase::create() else {
        return;
    };
    drop(PostgresStore::open(db.url()).unwrap());
    db.connect()
        .execute(
            "INSERT INTO schema_version (version, name, applied_at) VALUES (99, '0099_future', 0)",
            &[],
        )
        .unwrap();
    for e in [
        PostgresStore::open(db.url()).err().unwrap(),
        PostgresStore::open_existing(db.url()).err().unwrap(),
    ] {
        assert!(matches!(e, StoreError::TooNew { found: 99, .. }), "{e}");
        assert!(e.to_string().contains("newer telltale"));
    }
}

#[test]
fn an_older_schema_is_upgraded_and_keeps_its_data() {
    let Some(db) = ScratchDatabase::create() else {
        return;
    };
    {
        let mut s = PostgresStore::open_at_version(db.url(), 1).unwrap();
        assert_eq!(s.schema_version(), 1);
        s.upsert_recipient(&Recipient {
            id: "r-1".into(),
            name: "Ann".into(),
            email: None,
        })
        .unwrap();
    }
    let mut s = PostgresStore::open_existing(db.url()).unwrap();
    assert_eq!(s.schema_version(), SCHEMA_VERSION);
    assert_eq!(s.recipients().unwrap().len(), 1);
    assert_eq!(s.put_job(&job(0)).unwrap(), 1);
    let applied: Vec<String> = db
        .connect()
        .query("SELECT name FROM schema_version ORDER BY version", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(applied, ["0001_registry", "0002_jobs"]);
}

#[test]
fn the_audit_log_refuses_updates_and_deletes() {
    let Some(db) = ScratchDatabase::create() else {
        return;
    };
    let mut s = PostgresStore::open(db.url()).unwrap();
    s.append_audit(&ChainKey::from_bytes([1; 32]), 1, "t", "a", "d")
        .unwrap();
    let mut c = db.connect();
    for sql in [
        "UPDATE audit SET detail = 'x'",
        "DELETE FROM audit",
        "TRUNCATE audit",
    ] {
        let e = c.batch_execute(sql).err().unwrap();
        let msg = e.as_db_error().map(|d| d.message().to_string());
        assert_eq!(
            msg.as_deref(),
            Some("the audit log is append-only"),
            "{sql}"
        );
    }
    // Not even in replication mode, which skips ordinary triggers.
    c.batch_execute("SET session_replication_role = replica")
        .unwrap();
    assert!(c.batch_execute("DELETE FROM audit").is_err());
    c.batch_execute("SET session_replication_role = origin")
        .unwrap();
    assert_eq!(s.audit_log().unwrap().len(), 1);
    assert_eq!(s.audit_guard_problems().unwrap(), Vec::<String>::new());

    // A guard dropped, one disabled, and a trigger nobody expects.
    c.batch_execute(
        "DROP TRIGGER audit_no_update ON audit;
         ALTER TABLE audit DISABLE TRIGGER audit_no_truncate;
         CREATE FUNCTION rewrite() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.detail := ''; RETURN NEW; END; $$;
         CREATE TRIGGER audit_rewrite BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION rewrite();",
    )
    .unwrap();
    let problems = s.audit_guard_problems().unwrap();
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems[0].contains("audit_no_update") && problems[0].contains("missing"));
    assert!(problems[1].contains("audit_no_truncate") && problems[1].contains("disabled"));
    assert!(problems[2].contains("unexpected trigger audit_rewrite"));

    // The function every guard calls replaced by one that lets rows
    // through: each guard that calls it is altered.
    c.batch_execute(
        "DROP TRIGGER audit_rewrite ON audit;
         ALTER TABLE audit ENABLE ALWAYS TRIGGER audit_no_truncate;
         CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
             FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
         ALTER TABLE audit ENABLE ALWAYS TRIGGER audit_no_update;",
    )
    .unwrap();
    assert_eq!(s.audit_guard_problems().unwrap(), Vec::<String>::new());
    c.batch_execute(
        "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RETURN NULL; END; $$;",
    )
    .unwrap();
    let problems = s.audit_guard_problems().unwrap();
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(
        problems.iter().all(|p| p.contains("altered")),
        "{problems:?}"
    );
}

#[test]
fn a_failed_step_inside_a_transaction_undoes_only_itself() {
    let Some(db) = ScratchDatabase::create() else {
        return;
    };
    let mut s = PostgresStore::open(db.url()).unwrap();
    let ann = User {
        name: "ann".into(),
        role: telltale_store::Role::Admin,
        password_hash: "$argon2id$x".into(),
        created_at: 1,
        disabled: false,
    };
    s.atomically(&mut |s| {
        s.put_user(&ann)?;
        assert!(matches!(s.put_user(&ann), Err(StoreError::Conflict(_))));
        // The transaction goes on after the refused step, as SQLite's.
        s.put_meta("after", "yes")
    })
    .unwrap();
    assert!(s.user("ann").unwrap().is_some());
    assert_eq!(s.meta("after").unwrap().as_deref(), Some("yes"));
}

#[test]
fn a_panic_inside_a_transaction_rolls_it_back() {
    let Some(db) = ScratchDatabase::create() else {
        return;
    };
    let mut s = PostgresStore::open(db.url()).unwrap();
    let key = ChainKey::from_bytes([3; 32]);
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = s.atomically(&mut |s| {
            s.put_meta("half", "done")?;
            panic!("interrupted");
        });
    }));
    assert!(unwound.is_err());
    let rules = telltale_core::rules::RuleSet::default();
    let template = rules
        .build(
            "The minister said that the talks had stalled.",
            &mut telltale_core::gate::NoGate,
        )
        .unwrap();
    let doc = telltale_store::DocumentRecord {
        id: "d".into(),
        title: "T".into(),
        created_at: 1,
        source_format: telltale_core::FileFormat::Txt,
        template,
        code_params: telltale_core::CodeParams::default(),
        rules,
    };
    s.put_document(&doc, &[1]).unwrap();
    s.upsert_recipient(&Recipient {
        id: "r".into(),
        name: "R".into(),
        email: None,
    })
    .unwrap();
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = s.record_issuance(
            &key,
            &telltale_store::Issuance {
                document_id: "d".into(),
                recipient_id: "r".into(),
                format: telltale_core::FileFormat::Txt,
                issued_at: 1,
                path: None,
                content_hash: "ab".into(),
                recipient_name: None,
            },
            "t",
            &mut || panic!("the copy's writer panicked"),
        );
    }));
    assert!(unwound.is_err());
    assert_eq!(s.meta("half").unwrap(), None);
    assert!(s.issuances(None).unwrap().is_empty());
    // The connection is usable, outside any transaction.
    s.append_audit(&key, 1, "t", "after", "").unwrap();
    assert_eq!(s.audit_log().unwrap().len(), 1);
    let other = PostgresStore::open_existing(db.url()).unwrap();
    assert_eq!(other.audit_log().unwrap().len(), 1, "committed");
}

#[test]
fn concurrent_appends_keep_one_chain() {
    let Some(db) = ScratchDatabase::create() else {
        return;
    };
    drop(PostgresStore::open(db.url()).unwrap());
    let key = ChainKey::from_bytes([7; 32]);
    const EACH: i64 = 150;
    let start = Barrier::new(2);
    std::thread::scope(|scope| {
        for t in 0..2 {
            let (url, key, start) = (db.url(), &key, &start);
            scope.spawn(move || {
                let mut s = PostgresStore::open_existing(url).unwrap();
                start.wait();
                for i in 0..EACH {
                    s.append_audit(
                        key,
                        i,
                        &format!("writer-{t}"),
                        "test.append",
                        &i.to_string(),
                    )
                    .unwrap();
                    if i % 10 == 0 {
                        // An issuance-like write: several statements and
                        // an entry, in one transaction.
                        s.atomically(&mut |s| {
                            let last = s.last_audit()?.map_or(0, |e| e.seq);
                            s.append_audit(key, i, "both", "test.after", &last.to_string())
                                .map(drop)
                        })
                        .unwrap();
                    }
                }
            });
        }
    });
    let s = PostgresStore::open_existing(db.url()).unwrap();
    let log = s.audit_log().unwrap();
    let per_writer = (EACH + (EACH + 9) / 10) as usize;
    assert_eq!(log.len(), 2 * per_writer);
    assert_eq!(verify_chain(&log, &key).map(|c| c.entries), Ok(log.len()));
    for e in log.iter().filter(|e| e.action == "test.after") {
        assert_eq!(e.detail, (e.seq - 1).to_string(), "read under the lock");
    }
}

fn job(heartbeat_at: i64) -> JobRecord {
    JobRecord {
        id: 0,
        owner: "ann".into(),
        kind: "distribution".into(),
        document: "d-a".into(),
        request: Some(serde_json::json!({"to": ["r-1"]})),
        output: serde_json::json!([]),
        worker: "gone".into(),
        heartbeat_at,
        done: 0,
        total: 1,
        created_at: heartbeat_at,
        finished_at: None,
        error: None,
    }
}

#[test]
fn concurrent_claims_never_take_the_same_job() {
    let Some(db) = ScratchDatabase::create() else {
        return;
    };
    const JOBS: i64 = 60;
    let mut s = PostgresStore::open(db.url()).unwrap();
    let ids: Vec<i64> = (0..JOBS).map(|i| s.put_job(&job(i)).unwrap()).collect();
    let start = Barrier::new(2);
    let taken: Vec<Vec<i64>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|t| {
                let (url, start) = (db.url(), &start);
                scope.spawn(move || {
                    let mut s = PostgresStore::open_existing(url).unwrap();
                    start.wait();
                    let worker = format!("w-{t}");
                    let mut mine = Vec::new();
                    while let Some(j) = s.claim_stale_job(&worker, 10_000, 1_000).unwrap() {
                        assert_eq!(j.worker, worker);
                        mine.push(j.id);
                    }
                    mine
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut all: Vec<i64> = taken.concat();
    all.sort_unstable();
    assert_eq!(all, ids, "every job taken once, by one worker");
    for (t, mine) in taken.iter().enumerate() {
        for id in mine {
            assert_eq!(s.job(*id).unwrap().unwrap().worker, format!("w-{t}"));
        }
    }
}

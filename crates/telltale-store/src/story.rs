//! The story every backend must pass: the same calls in the same order,
//! with the same expected answers, whatever the storage underneath.
//!
//! Backends call [`run`] from their own tests with a fresh, empty store.

// A test, though it ships in the library for every backend's tests to
// call: it fails by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use telltale_core::gate::NoGate;
use telltale_core::rules::RuleSet;
use telltale_core::CodeParams;

use crate::{
    verify_chain, ApiToken, AuditEntry, ChainKey, DocumentRecord, Issuance, JobRecord, Link,
    Recipient, Reservation, Role, Session, Store, StoreError, TraceRecord, Upsert, User,
};

fn doc(id: &str, text: &str) -> DocumentRecord {
    let rules = RuleSet::default();
    let template = rules.build(text, &mut NoGate).expect("template");
    DocumentRecord {
        id: id.into(),
        title: format!("Title of {id}"),
        created_at: 1_700_000_000,
        source_format: telltale_core::FileFormat::Txt,
        template,
        code_params: CodeParams::default(),
        rules,
    }
}

/// Run the story against an empty store. Panics (as a test) on any deviation.
pub fn run(store: &mut dyn Store) {
    let key = ChainKey::from_bytes([42; 32]);
    assert!(store.documents().unwrap().is_empty());
    assert!(store.document("nope").unwrap().is_none());

    // Documents, with shingles for locating them.
    let a = doc(
        "d-a",
        "The minister said that the talks had stalled. In March, the deal was signed.",
    );
    let b = doc(
        "d-b",
        "Officials believe that the port will open in June, despite the delays.",
    );
    store.put_document(&a, &[1, 2, 3]).unwrap();
    store.put_document(&b, &[3, 4]).unwrap();
    assert!(
        matches!(store.put_document(&a, &[1]), Err(StoreError::Conflict(_))),
        "duplicate id must be refused"
    );
    assert_eq!(store.document("d-a").unwrap().unwrap(), a);
    let list = store.documents().unwrap();
    assert_eq!(
        list.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        ["d-a", "d-b"]
    );
    assert_eq!(list[0].slots, a.template.slots.len());
    assert_eq!(store.shingles("d-a").unwrap(), [1, 2, 3]);
    assert!(store.shingles("nope").unwrap().is_empty());
    let cands = store.candidate_documents(&[3, 4, 9], 10).unwrap();
    assert_eq!(cands, vec![("d-b".to_string(), 2), ("d-a".to_string(), 1)]);

    // Recipients and lists.
    let r1 = Recipient {
        id: "r-1".into(),
        name: "Ann Holm".into(),
        email: Some("ann@example.org".into()),
    };
    let r2 = Recipient {
        id: "r-2".into(),
        name: "Bo Varga".into(),
        email: None,
    };
    assert_eq!(store.upsert_recipient(&r1).unwrap(), Upsert::Added);
    assert_eq!(store.upsert_recipient(&r2).unwrap(), Upsert::Added);
    assert_eq!(store.upsert_recipient(&r2).unwrap(), Upsert::Unchanged);
    let r2b = Recipient {
        name: "Bo Varga-Lind".into(),
        ..r2.clone()
    };
    assert_eq!(store.upsert_recipient(&r2b).unwrap(), Upsert::Updated);
    assert_eq!(store.recipient("r-2").unwrap().unwrap(), r2b);
    assert_eq!(store.recipients().unwrap().len(), 2);
    store
        .put_list("board", &["r-1".into(), "r-2".into()])
        .unwrap();
    assert!(
        store.put_list("bad", &["r-9".into()]).is_err(),
        "unknown members are refused"
    );
    assert_eq!(
        store.list("board").unwrap().unwrap(),
        vec!["r-1".to_string(), "r-2".to_string()]
    );
    assert_eq!(store.lists().unwrap(), vec![("board".to_string(), 2)]);

    // Issuances are recorded with their completion, atomically.
    let iss = |r: &str| Issuance {
        document_id: "d-a".into(),
        recipient_id: r.into(),
        format: telltale_core::FileFormat::Txt,
        issued_at: 1_700_000_100,
        path: Some(format!("/out/{r}.txt")),
        content_hash: "ab".into(),
        recipient_name: Some(format!("Name of {r}")),
    };
    let mut wrote = 0;
    store
        .record_issuance(&key, &iss("r-1"), "story", &mut || {
            wrote += 1;
            Ok(())
        })
        .unwrap();
    assert_eq!(wrote, 1);
    let failed = store.record_issuance(&key, &iss("r-2"), "story", &mut || {
        Err(StoreError::Backend("disk full".into()))
    });
    assert!(failed.is_err());
    assert_eq!(
        store.issuances(Some("d-a")).unwrap(),
        vec![iss("r-1")],
        "a failed completion records nothing"
    );
    assert!(
        store
            .record_issuance(&key, &iss("r-1"), "story", &mut || Ok(()))
            .is_err(),
        "one issuance per recipient and document"
    );
    // Copying a registry keeps an issuance as it was, without a new entry.
    let entries = store.audit_log().unwrap().len();
    let imported = Issuance {
        issued_at: 1_600_000_000,
        ..iss("r-2")
    };
    store.import_issuance(&imported).unwrap();
    assert!(matches!(
        store.import_issuance(&imported),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.issuances(Some("d-a")).unwrap()[1], imported);
    assert_eq!(store.audit_log().unwrap().len(), entries);
    assert_eq!(store.holders("d-a").unwrap(), ["r-1", "r-2"]);
    assert_eq!(store.holder_count("d-a").unwrap(), 2);
    assert_eq!(store.holder_count("d-none").unwrap(), 0);
    assert_eq!(store.documents().unwrap()[0].issued, 2);

    // A template can be replaced until the first copy is issued.
    let mut b2 = b.clone();
    b2.rules.disabled.push(telltale_core::Class::SerialComma);
    store.replace_document(&b2, &[3, 5]).unwrap();
    assert_eq!(store.document("d-b").unwrap().unwrap(), b2);
    assert_eq!(
        store.candidate_documents(&[5], 10).unwrap(),
        vec![("d-b".to_string(), 1)],
        "the shingles are replaced too"
    );
    assert!(matches!(
        store.replace_document(&a, &[1]),
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.replace_document(&doc("d-z", "Nothing here at all."), &[1]),
        Err(StoreError::NotFound(_))
    ));

    // The file a document came from.
    assert_eq!(store.source("d-a").unwrap(), None);
    store.put_source("d-a", b"PK\x03\x04 bytes").unwrap();
    assert_eq!(store.source("d-a").unwrap().unwrap(), b"PK\x03\x04 bytes");
    assert!(store.put_source("d-nope", b"x").is_err());

    // Removing an issued document needs force.
    assert!(matches!(
        store.remove_document("d-a", false),
        Err(StoreError::Conflict(_))
    ));
    store.remove_document("d-b", false).unwrap();
    assert!(store.document("d-b").unwrap().is_none());
    assert_eq!(store.candidate_documents(&[4], 10).unwrap(), vec![]);
    assert!(matches!(
        store.remove_document("d-b", false),
        Err(StoreError::NotFound(_))
    ));

    // Traces and the audit log.
    let id = store
        .record_trace(
            1_700_000_200,
            "cafe",
            12,
            &serde_json::json!({"documents": []}),
        )
        .unwrap();
    assert_eq!(store.traces().unwrap()[0].id, id);
    assert_eq!(
        store.trace(id).unwrap().unwrap(),
        store.traces().unwrap()[0]
    );
    assert!(store.trace(id + 100).unwrap().is_none());
    assert_eq!(store.trace_input(id).unwrap(), None);
    store.put_trace_input(id, "the leak").unwrap();
    assert_eq!(store.trace_input(id).unwrap().as_deref(), Some("the leak"));
    assert!(store.put_trace_input(id + 100, "x").is_err());
    for i in 0..3 {
        store
            .append_audit(
                &key,
                1_700_000_300 + i,
                "test",
                "story.step",
                &format!("step {i}"),
            )
            .unwrap();
    }
    let log = store.audit_log().unwrap();
    // One entry for the issuance that was recorded, none for the failed one.
    assert_eq!(log.len(), 4);
    assert_eq!(log[0].action, "issue");
    assert_eq!(log[0].detail, crate::issuance_detail(&iss("r-1")));
    assert_eq!(verify_chain(&log, &key).map(|c| c.entries), Ok(4));
    assert_eq!(store.last_audit().unwrap().as_ref(), log.last());
    assert_eq!(store.audit_entry(2).unwrap().as_ref(), log.get(1));
    assert!(store.audit_entry(99).unwrap().is_none());
    assert_eq!(store.audit_guard_problems().unwrap(), Vec::<String>::new());

    // Several changes and their audit entries in one transaction: all of
    // them are kept, or none.
    let r3 = Recipient {
        id: "r-3".into(),
        name: "Cy Moss".into(),
        email: None,
    };
    let failed = store.atomically(&mut |s| {
        s.upsert_recipient(&r3)?;
        s.append_audit(&key, 1_700_000_310, "test", "recipient.create", "r-3")?;
        Err(StoreError::Backend("interrupted".into()))
    });
    assert!(failed.is_err());
    assert!(store.recipient("r-3").unwrap().is_none(), "rolled back");
    assert_eq!(store.audit_log().unwrap().len(), 4, "its entry too");
    store
        .atomically(&mut |s| {
            s.upsert_recipient(&r3)?;
            s.append_audit(&key, 1_700_000_310, "test", "recipient.create", "r-3")?;
            // A nested call joins the outer transaction.
            s.atomically(&mut |s| {
                s.append_audit(&key, 1_700_000_311, "test", "story.nested", "")
                    .map(|_| ())
            })
        })
        .unwrap();
    assert_eq!(store.recipient("r-3").unwrap().unwrap(), r3);
    let log = store.audit_log().unwrap();
    assert_eq!(log.len(), 6);
    assert_eq!(verify_chain(&log, &key).map(|c| c.entries), Ok(6));
    assert!(store
        .record_issuance(&key, &iss("r-3"), "story", &mut || Ok(()))
        .is_ok());
    assert_eq!(
        store.issuances(Some("d-a")).unwrap()[2]
            .recipient_name
            .as_deref(),
        Some("Name of r-3"),
        "the name as issued is kept"
    );

    // Values kept once for the registry.
    assert_eq!(store.meta("key_fingerprint").unwrap(), None);
    store.put_meta("key_fingerprint", "00ff").unwrap();
    assert_eq!(
        store.meta("key_fingerprint").unwrap().as_deref(),
        Some("00ff")
    );

    // Users, sessions, API tokens.
    let ann = User {
        name: "ann".into(),
        role: Role::Author,
        password_hash: "$argon2id$x".into(),
        created_at: 1_700_000_400,
        disabled: false,
    };
    store.put_user(&ann).unwrap();
    assert!(matches!(store.put_user(&ann), Err(StoreError::Conflict(_))));
    let ann2 = User {
        role: Role::Investigator,
        disabled: true,
        ..ann.clone()
    };
    store.update_user(&ann2).unwrap();
    assert_eq!(store.user("ann").unwrap().unwrap(), ann2);
    assert!(store.user("bob").unwrap().is_none());
    assert!(matches!(
        store.update_user(&User {
            name: "bob".into(),
            ..ann.clone()
        }),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.users().unwrap().len(), 1);
    let sess = |t: &str, at: i64| Session {
        token_hash: t.into(),
        user: "ann".into(),
        created_at: at,
        expires_at: at + 100,
    };
    store.put_session(&sess("s1", 1_000)).unwrap();
    assert_eq!(store.session("s1").unwrap().unwrap(), sess("s1", 1_000));
    store.put_session(&sess("s2", 2_000)).unwrap();
    assert!(
        store.session("s1").unwrap().is_none(),
        "expired sessions are forgotten"
    );
    store.delete_session("s2").unwrap();
    assert!(store.session("s2").unwrap().is_none());
    let tok = ApiToken {
        id: "t-1".into(),
        token_hash: "th".into(),
        user: "ann".into(),
        label: "nightly".into(),
        created_at: 1,
        revoked: false,
    };
    store.put_api_token(&tok).unwrap();
    assert_eq!(store.api_token("th").unwrap().unwrap(), tok);
    store.revoke_api_token("t-1").unwrap();
    assert!(store.api_token("th").unwrap().unwrap().revoked);
    assert!(matches!(
        store.revoke_api_token("t-9"),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.api_tokens().unwrap().len(), 1);

    // Reading-room links.
    let link = Link {
        id: "l-1".into(),
        token_hash: "lh".into(),
        document_id: "d-a".into(),
        recipient_id: "r-1".into(),
        created_at: 5,
        expires_at: Some(500),
        revoked: false,
        views: 0,
    };
    store.put_link(&link).unwrap();
    assert!(store.put_link(&link).is_err(), "ids are unique");
    store.count_link_view("l-1").unwrap();
    store.count_link_view("l-1").unwrap();
    assert_eq!(store.link_by_token("lh").unwrap().unwrap().views, 2);
    assert!(store.link_by_token("xx").unwrap().is_none());
    store.revoke_link("l-1").unwrap();
    assert!(store.link("l-1").unwrap().unwrap().revoked);
    assert!(matches!(
        store.revoke_link("l-9"),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.links(Some("d-a")).unwrap().len(), 1);
    assert_eq!(store.links(Some("d-b")).unwrap().len(), 0);
    assert_eq!(store.links(None).unwrap().len(), 1);
    // Revoking a recipient's links reaches all of them to that document
    // and no others.
    for (id, recipient) in [("l-2", "r-1"), ("l-3", "r-1"), ("l-4", "r-2")] {
        store
            .put_link(&Link {
                id: id.into(),
                token_hash: format!("h{id}"),
                recipient_id: recipient.into(),
                ..link.clone()
            })
            .unwrap();
    }
    assert_eq!(store.revoke_recipient_links("d-a", "r-1").unwrap(), 2);
    assert!(store.link("l-3").unwrap().unwrap().revoked);
    assert!(!store.link("l-4").unwrap().unwrap().revoked);

    // Credentials end together.
    store
        .put_session(&Session {
            token_hash: "s-end".into(),
            user: "ann".into(),
            created_at: 10,
            expires_at: i64::MAX,
        })
        .unwrap();
    let live_tokens = |s: &dyn Store| {
        s.api_tokens()
            .unwrap()
            .iter()
            .filter(|t| t.user == "ann" && !t.revoked)
            .count()
    };
    let tokens = live_tokens(store);
    let (sessions, revoked) = store.revoke_credentials("ann").unwrap();
    assert!(sessions >= 1, "{sessions}");
    assert_eq!(revoked, tokens);
    assert!(store.session("s-end").unwrap().is_none());
    assert_eq!(live_tokens(store), 0);

    // Sign-in attempts: reserved up to the limit, per key, within the window.
    let keys = |u: &str| vec![format!("user:{u}"), "ip:10.0.0.1".to_string()];
    let mut reserved = Vec::new();
    for at in 100..103 {
        match store.reserve_sign_in(&keys("ann"), at, 0, 3).unwrap() {
            Reservation::Reserved(id) => reserved.push(id),
            r => panic!("{r:?}"),
        }
    }
    assert_eq!(
        store.reserve_sign_in(&keys("bob"), 103, 0, 3).unwrap(),
        Reservation::Refused { oldest: 100 },
        "the address is spent too"
    );
    assert!(
        matches!(
            store.reserve_sign_in(&keys("ann"), 200, 100, 3).unwrap(),
            Reservation::Reserved(_)
        ),
        "attempts older than the window are forgotten"
    );
    store.clear_sign_in(reserved[2], "user:ann").unwrap();
    assert!(
        matches!(
            store
                .reserve_sign_in(&["user:ann".to_string()], 201, 100, 1)
                .unwrap(),
            Reservation::Reserved(_)
        ),
        "cleared"
    );

    jobs(store);
    imports(store, &key);
}

/// Background jobs: kept, read back, progress written only by their
/// worker, and taken over when their worker has gone quiet.
fn jobs(store: &mut dyn Store) {
    let job = JobRecord {
        id: 0,
        owner: "ann".into(),
        kind: "distribution".into(),
        document: "d-a".into(),
        request: Some(serde_json::json!({"to": ["r-1", "r-2"]})),
        output: serde_json::json!([]),
        worker: "w-1".into(),
        heartbeat_at: 1000,
        done: 0,
        total: 2,
        created_at: 1000,
        finished_at: None,
        error: None,
    };
    let id = store.put_job(&job).unwrap();
    let second = store
        .put_job(&JobRecord {
            heartbeat_at: 1005,
            ..job.clone()
        })
        .unwrap();
    assert_ne!(id, second);
    let mut stored = store.job(id).unwrap().unwrap();
    assert_eq!(stored, JobRecord { id, ..job.clone() });
    assert!(store.job(id + 1000).unwrap().is_none());

    stored.done = 1;
    stored.heartbeat_at = 1010;
    stored.output = serde_json::json!(["sealed"]);
    assert!(store.update_job(&stored).unwrap());
    assert_eq!(store.job(id).unwrap().unwrap(), stored);
    assert!(
        !store
            .update_job(&JobRecord {
                worker: "w-9".into(),
                ..stored.clone()
            })
            .unwrap(),
        "only its worker writes a job's progress"
    );

    // Nothing quiet since 1005: the second job (alive at 1005) is not
    // stale before 1005, nor the first (alive at 1010).
    assert!(store.claim_stale_job("w-2", 1020, 1005).unwrap().is_none());
    let taken = store.claim_stale_job("w-2", 1030, 1008).unwrap().unwrap();
    assert_eq!(
        (taken.id, taken.worker.as_str(), taken.heartbeat_at),
        (second, "w-2", 1030)
    );
    assert!(store.claim_stale_job("w-3", 1030, 1008).unwrap().is_none());
    let taken = store.claim_stale_job("w-3", 1040, 1020).unwrap().unwrap();
    assert_eq!(
        (taken.id, taken.done, taken.output.clone()),
        (id, 1, serde_json::json!(["sealed"]))
    );
    assert!(
        !store.update_job(&stored).unwrap(),
        "the old worker has lost it"
    );

    let finished = JobRecord {
        done: 2,
        finished_at: Some(1050),
        heartbeat_at: 1050,
        error: Some("nobody left".into()),
        ..taken
    };
    assert!(store.update_job(&finished).unwrap());
    assert!(
        store
            .claim_stale_job("w-4", 5000, 5000)
            .unwrap()
            .map(|j| j.id)
            == Some(second),
        "a finished job is never taken over"
    );
    assert_eq!(store.forget_jobs(1050).unwrap(), 0);
    assert_eq!(store.forget_jobs(1051).unwrap(), 1);
    assert!(store.job(id).unwrap().is_none());
    assert!(store.job(second).unwrap().is_some());
}

/// Copying a registry: traces under their own ids, and audit entries
/// exactly as they were, only in order.
fn imports(store: &mut dyn Store, key: &ChainKey) {
    let trace = TraceRecord {
        id: 900,
        at: 1_600_000_000,
        input_hash: "beef".into(),
        input_bytes: 12,
        result: serde_json::json!({"documents": []}),
    };
    store.import_trace(&trace).unwrap();
    assert_eq!(store.trace(900).unwrap().unwrap(), trace);
    assert!(matches!(
        store.import_trace(&trace),
        Err(StoreError::Conflict(_))
    ));

    let log = store.audit_log().unwrap();
    let last = log.last().unwrap().clone();
    let next = crate::next_entry(key, Some(&last), last.at + 1, "copy", "story.copy", "");
    let skipped = AuditEntry {
        seq: next.seq + 1,
        ..next.clone()
    };
    assert!(matches!(
        store.import_audit(&skipped),
        Err(StoreError::Conflict(_))
    ));
    let forked = AuditEntry {
        prev_hash: crate::GENESIS.into(),
        ..next.clone()
    };
    assert!(matches!(
        store.import_audit(&forked),
        Err(StoreError::Conflict(_))
    ));
    store.import_audit(&next).unwrap();
    assert_eq!(store.last_audit().unwrap().unwrap(), next);
    let log = store.audit_log().unwrap();
    assert_eq!(verify_chain(&log, key).map(|c| c.entries), Ok(log.len()));
}

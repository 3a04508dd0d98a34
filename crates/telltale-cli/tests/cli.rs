//! The command-line contract, end to end, with the real binary on a
//! temporary registry home: init, import, doc add, distribute, trace and
//! keys, and what the registry does when interrupted, upgraded, tampered
//! with or given bad input.

use std::path::Path;

use serde_json::Value;

mod common;
use common::*;

#[test]
fn the_whole_story_from_init_to_trace() {
    let h = Home::new();
    h.ok(&["init"]);
    assert!(h.fails(&["init"]).contains("already a registry"));
    let key = h.path().join("secret.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let key_text = std::fs::read_to_string(&key).unwrap();
    let doc = h.add_doc("memo.txt", MEMO);
    assert!(doc.starts_with("d-"));
    let shown = h.json(&["doc", "show", &doc, "--variants", "--json"]);
    assert!(shown["slots"].as_array().unwrap().len() > 100);
    assert_eq!(shown["capacity"].as_array().unwrap().len(), 3);
    let r = h.file("people.csv", &csv(40));
    let imp = h.json(&["recipients", "import", r.to_str().unwrap(), "--json"]);
    assert_eq!(imp["added"], 40);
    h.ok(&[
        "lists",
        "create",
        "board",
        "--members",
        "r-00001,r-00002,r-00003",
    ]);
    assert_eq!(
        h.json(&["lists", "show", "board", "--json"]),
        serde_json::json!(["r-00001", "r-00002", "r-00003"])
    );
    let out = h.dir.path().join("out");
    h.ok(&["distribute", &doc, "--all", "--out", out.to_str().unwrap()]);
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 40);
    // Copies differ from one another and read as the memo.
    let c7 = std::fs::read_to_string(out.join("r-00007.txt")).unwrap();
    let c8 = std::fs::read_to_string(out.join("r-00008.txt")).unwrap();
    assert_ne!(c7, c8);
    // A lost file is written again, byte for byte, without a second issuance.
    std::fs::remove_file(out.join("r-00008.txt")).unwrap();
    let again = h.json(&[
        "distribute",
        &doc,
        "--all",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(
        (
            again["written"].as_u64(),
            again["rewritten"].as_u64(),
            again["already"].as_u64()
        ),
        (Some(0), Some(1), Some(39))
    );
    assert_eq!(
        std::fs::read_to_string(out.join("r-00008.txt")).unwrap(),
        c8
    );
    // A pasted excerpt inside an article names r-00007.
    let leak = format!(
        "Sources say: \"{}\" That is all.",
        excerpt(&c7, "DETAIL", 1500)
    );
    let f = h.file("leak.txt", &leak);
    let rep = h.json(&["trace", f.to_str().unwrap(), "--json"]);
    assert_eq!(rep["threshold"], 0.001);
    let d = &rep["documents"][0];
    assert_eq!(d["id"], doc.as_str());
    for field in [
        "title",
        "aligned_words",
        "slots_observed",
        "slots_erased",
        "accused",
        "suspects",
        "evidence",
    ] {
        assert!(d.get(field).is_some(), "missing field {field}");
    }
    assert_eq!(d["accused"], serde_json::json!(["r-00007"]));
    let s = &d["suspects"][0];
    for field in ["recipient", "name", "score", "p_value", "false_accusation"] {
        assert!(s.get(field).is_some(), "missing suspect field {field}");
    }
    assert!(s["false_accusation"].as_f64().unwrap() <= 1e-3);
    let e = &d["evidence"][0];
    for field in ["slot", "class", "observed", "leak_span"] {
        assert!(e.get(field).is_some(), "missing evidence field {field}");
    }
    // The human report says it in words; stdin works too.
    let human = h
        .cmd(&["trace", "-"])
        .stdin(std::fs::File::open(&f).unwrap())
        .output()
        .unwrap();
    let text = String::from_utf8(human.stdout).unwrap();
    assert!(text.contains("Strong evidence against r-00007"), "{text}");
    // Removing an issued document is refused.
    assert!(h.fails(&["doc", "remove", &doc]).contains("--force"));
    // The audit log saw everything, and the key never appears anywhere.
    assert!(h.ok(&["audit", "verify"]).contains("intact"));
    let log = h.ok(&["audit", "log"]);
    assert!(log.contains("doc.add") && log.contains("issue") && log.contains("trace"));
    let hexkey: String = serde_json::from_str::<Value>(&key_text).unwrap()["key"]
        .as_str()
        .unwrap()
        .to_string();
    for output in [log, h.ok(&["doc", "list", "--json"]), text] {
        assert!(!output.contains(&hexkey));
    }
}

#[test]
fn an_interrupted_distribution_resumes_without_duplicates_or_gaps() {
    let h = Home::new();
    h.ok(&["init"]);
    let doc = h.add_doc("memo.txt", &paragraphs(0..6));
    let n = 3000;
    h.ok(&[
        "recipients",
        "import",
        h.file("r.csv", &csv(n)).to_str().unwrap(),
    ]);
    let out = h.dir.path().join("out");
    let mut child = h
        .cmd(&["distribute", &doc, "--all", "--out", out.to_str().unwrap()])
        .spawn()
        .unwrap();
    // Wait until it is well under way, then kill it hard.
    let t0 = std::time::Instant::now();
    loop {
        let done = std::fs::read_dir(&out).map(|d| d.count()).unwrap_or(0);
        if done >= 200 || t0.elapsed().as_secs() > 120 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let db = h.db();
    let before: i64 = db
        .query_row("SELECT COUNT(*) FROM issuances", [], |r| r.get(0))
        .unwrap();
    assert!(
        before > 0 && (before as usize) < n,
        "the interruption came too late to test anything ({before})"
    );
    let rerun = h.json(&[
        "distribute",
        &doc,
        "--all",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(
        rerun["already"].as_u64().unwrap()
            + rerun["written"].as_u64().unwrap()
            + rerun["rewritten"].as_u64().unwrap(),
        n as u64
    );
    let (count, distinct): (i64, i64) = db
        .query_row(
            "SELECT COUNT(*), COUNT(DISTINCT recipient_id) FROM issuances",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((count, distinct), (n as i64, n as i64));
    let files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        files
            .iter()
            .filter(|f| f.ends_with(".txt") && !f.starts_with('.'))
            .count(),
        n
    );
    assert!(
        files.iter().all(|f| !f.ends_with(".partial")),
        "a partial file was left behind"
    );
    // Every file is the copy its issuance records.
    let hashes: Vec<(String, String)> = {
        let mut st = db
            .prepare("SELECT recipient_id, content_hash FROM issuances")
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    for (r, hash) in hashes.iter().step_by(97) {
        let bytes = std::fs::read(out.join(format!("{r}.txt"))).unwrap();
        let got: String = blake3::hash(&bytes).as_bytes()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(&got, hash, "{r}");
    }
    assert!(h.ok(&["audit", "verify"]).contains("intact"));
}

#[test]
fn a_registry_from_the_previous_schema_is_upgraded_and_a_newer_one_refused() {
    let h = Home::new();
    h.ok(&["init"]);
    let db_path = h.path().join("registry.db");
    std::fs::remove_file(&db_path).unwrap();
    for ext in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(h.path().join(format!("registry.db{ext}")));
    }
    {
        let _v1 = telltale_store_sqlite::SqliteStore::open_at_version(
            &db_path,
            telltale_store_sqlite::SCHEMA_VERSION - 1,
        )
        .unwrap();
        let c = rusqlite::Connection::open(&db_path).unwrap();
        c.execute(
            "INSERT INTO recipients (id, name, email) VALUES ('r-old', 'Old Friend', NULL)",
            [],
        )
        .unwrap();
    }
    let v: u32 = h
        .db()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, telltale_store_sqlite::SCHEMA_VERSION - 1);
    assert!(h.ok(&["recipients", "list"]).contains("r-old"));
    let v: u32 = h
        .db()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, telltale_store_sqlite::SCHEMA_VERSION);
    h.ok(&["lists", "create", "old", "--members", "r-old"]);
    h.db().execute_batch("PRAGMA user_version = 99").unwrap();
    assert!(h.fails(&["doc", "list"]).contains("newer telltale"));
}

#[test]
fn tampering_with_the_audit_log_is_detected() {
    let h = Home::new();
    h.ok(&["init"]);
    h.ok(&["recipients", "add", "r-1", "--name", "Ann"]);
    h.ok(&["recipients", "add", "r-2", "--name", "Bo"]);
    assert!(h.ok(&["audit", "verify"]).contains("3 entries"));
    let db = h.db();
    assert!(
        db.execute(
            "UPDATE audit SET detail = 'nothing happened' WHERE seq = 2",
            []
        )
        .is_err(),
        "the log refuses updates"
    );
    db.execute_batch(
        "DROP TRIGGER audit_no_update; UPDATE audit SET detail = 'nothing happened' WHERE seq = 2;",
    )
    .unwrap();
    let e = h.fails(&["audit", "verify"]);
    assert!(e.contains("tampered") && e.contains("entry 2"), "{e}");
}

#[test]
fn audit_verify_reads_the_data_against_a_log_it_can_trust() {
    let h = Home::new();
    h.ok(&["init"]);
    h.ok(&["recipients", "add", "r-1", "--name", "Ann"]);
    h.ok(&["recipients", "add", "r-2", "--name", "Bo"]);
    let doc = h.add_doc("memo.txt", &paragraphs(0..3));
    let out = h.dir.path().join("out");
    h.ok(&["distribute", &doc, "--all", "--out", out.to_str().unwrap()]);
    assert!(h.ok(&["audit", "verify"]).contains("intact: 6 entries"));
    let db = h.db();
    // The leaker's issuance row deleted, a recipient renamed, a trigger
    // dropped and the log's last entry (r-2's issue) cut off: each
    // disagreement is one line.
    db.execute_batch(
        "DELETE FROM issuances WHERE recipient_id = 'r-1';
         UPDATE recipients SET name = 'Someone Else' WHERE id = 'r-1';
         DROP TRIGGER audit_no_delete;
         DELETE FROM audit WHERE seq = 6;",
    )
    .unwrap();
    drop(db);
    let o = h.run(&["audit", "verify"]);
    assert!(!o.status.success());
    let listed = String::from_utf8(o.stdout).unwrap();
    let e = String::from_utf8(o.stderr).unwrap();
    assert_eq!(e.trim_end().lines().count(), 1, "{e}");
    assert!(
        e.contains("tampered") && e.contains("4 more, listed above"),
        "{e}"
    );
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 5, "{listed}");
    for want in [
        "the log ends at entry 5 but audit.head records entry 6",
        "audit_no_delete that keeps the audit log append-only is missing",
        &format!("the log's issue of {doc} to r-1 (entry 5) has no issuance row"),
        &format!("the issuance of {doc} to r-2 has no issue entry in the log"),
        "recipient r-1 is named \"Someone Else\"",
    ] {
        assert!(lines.iter().any(|l| l.contains(want)), "{want}: {listed}");
    }
}

#[test]
fn a_key_from_another_registry_or_an_empty_database_is_refused() {
    let (a, b) = (Home::new(), Home::new());
    a.ok(&["init"]);
    b.ok(&["init"]);
    let key = a.path().join("secret.key");
    std::fs::remove_file(&key).unwrap();
    std::fs::copy(b.path().join("secret.key"), &key).unwrap();
    let e = a.fails(&["doc", "list"]);
    assert!(
        e.contains("key file does not belong to this registry (fingerprint"),
        "{e}"
    );
    let db = b.path().join("registry.db");
    std::fs::write(&db, b"").unwrap();
    let e = b.fails(&["recipients", "list"]);
    assert!(e.contains("is empty (0 bytes)"), "{e}");
    assert_eq!(std::fs::metadata(&db).unwrap().len(), 0);
}

#[test]
fn a_renamed_recipient_is_named_in_traces_as_on_their_copy() {
    let h = Home::new();
    h.ok(&["init"]);
    h.ok(&["recipients", "add", "r-1", "--name", "Ann Holm"]);
    h.ok(&["recipients", "add", "r-2", "--name", "Bo Varga"]);
    let doc = h.add_doc("memo.txt", MEMO);
    let out = h.dir.path().join("out");
    h.ok(&["distribute", &doc, "--all", "--out", out.to_str().unwrap()]);
    h.ok(&["recipients", "add", "r-1", "--name", "Someone Else"]);
    let log = h.ok(&["audit", "log"]);
    assert!(
        log.contains("recipient.rename") && log.contains("r-1 \"Ann Holm\" -> \"Someone Else\""),
        "{log}"
    );
    assert!(
        log.contains(&format!("{doc} to r-1 \"Ann Holm\" as txt")),
        "{log}"
    );
    let text = h.ok(&["trace", out.join("r-1.txt").to_str().unwrap()]);
    assert!(
        text.contains("Strong evidence against r-1 (Ann Holm, now Someone Else)"),
        "{text}"
    );
    let rep = h.json(&["trace", out.join("r-1.txt").to_str().unwrap(), "--json"]);
    let s = &rep["documents"][0]["suspects"][0];
    assert_eq!(
        (&s["name"], &s["current_name"]),
        (&"Ann Holm".into(), &"Someone Else".into())
    );
    assert!(h.ok(&["audit", "verify"]).contains("intact"));
}

#[test]
fn csv_with_bad_rows_adds_the_good_ones_and_names_the_bad() {
    let h = Home::new();
    h.ok(&["init"]);
    let f = h.file(
        "r.csv",
        "id,name,email\nr-1,Ann Holm,ann@example.org\nr 2,Bad Id,\nr-3,,x@example.org\nr-4,Dee,not-an-email\nr-1,Ann Again,\nr-5,Eve,\n",
    );
    let rep = h.json(&["recipients", "import", f.to_str().unwrap(), "--json"]);
    assert_eq!(rep["added"], 2);
    let lines: Vec<u64> = rep["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![3, 4, 5, 6]);
    let human = h.ok(&["recipients", "import", f.to_str().unwrap()]);
    assert!(
        human.contains("line 3:") && human.contains("2 unchanged"),
        "{human}"
    );
    assert!(h
        .fails(&[
            "recipients",
            "import",
            h.file("bad.csv", "who,what\n1,2\n").to_str().unwrap()
        ])
        .contains("id,name"));
}

#[test]
fn bad_input_gets_a_clear_one_line_error() {
    let h = Home::new();
    assert!(h.fails(&["doc", "list"]).contains("no registry"));
    h.ok(&["init"]);
    let bin = h.dir.path().join("blob.txt");
    std::fs::write(&bin, b"PK\x03\x04\x00\x00binary").unwrap();
    assert!(h
        .fails(&["doc", "add", bin.to_str().unwrap()])
        .contains("binary"));
    let latin1 = h.dir.path().join("latin1.txt");
    std::fs::write(&latin1, b"caf\xe9 au lait, said the minister").unwrap();
    assert!(h
        .fails(&["trace", latin1.to_str().unwrap()])
        .contains("not UTF-8"));
    assert!(h
        .fails(&["doc", "add", h.file("empty.txt", "").to_str().unwrap()])
        .contains("empty"));
    assert!(h
        .fails(&["doc", "add", "/no/such/file.txt"])
        .contains("/no/such/file.txt"));
    assert!(h.fails(&["doc", "show", "d-nope"]).contains("d-nope"));
    h.ok(&["recipients", "add", "r-1", "--name", "Ann"]);
    assert!(h
        .fails(&["distribute", "d-nope", "--all", "--out", "x"])
        .contains("d-nope"));
    assert!(h
        .fails(&[
            "trace",
            h.file("t.txt", "x").to_str().unwrap(),
            "--threshold",
            "2"
        ])
        .contains("threshold"));
    // A half-written registry: the key is there, the database is not.
    std::fs::remove_file(h.path().join("registry.db")).unwrap();
    assert!(h.fails(&["doc", "list"]).contains("incomplete"));
}

#[test]
fn an_encrypted_key_needs_its_passphrase() {
    let h = Home::new();
    let o = h
        .cmd(&["init"])
        .env("TELLTALE_PASSPHRASE", "correct horse battery")
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(h.fails(&["doc", "list"]).contains("TELLTALE_PASSPHRASE"));
    let wrong = h
        .cmd(&["doc", "list"])
        .env("TELLTALE_PASSPHRASE", "wrong")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("does not unlock"));
    let right = h
        .cmd(&["doc", "list"])
        .env("TELLTALE_PASSPHRASE", "correct horse battery")
        .output()
        .unwrap();
    assert!(right.status.success());
}

#[test]
fn home_flag_before_or_after_the_subcommand() {
    let h = Home::new();
    let other = h.dir.path().join("elsewhere");
    let o = h
        .cmd(&["--home", other.to_str().unwrap(), "init"])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(other.join("secret.key").exists());
    let o = h
        .cmd(&["doc", "list", "--home", other.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        !Path::new(&h.path()).exists(),
        "TELLTALE_HOME must be overridden by --home"
    );
}

#[test]
fn the_dense_profile_offers_more_slots_on_request() {
    let h = Home::new();
    h.ok(&["init"]);
    let f = h.file("memo.txt", MEMO);
    let natural = h.json(&["doc", "add", f.to_str().unwrap(), "--json"]);
    let dense = h.json(&[
        "doc",
        "add",
        f.to_str().unwrap(),
        "--profile",
        "dense",
        "--json",
    ]);
    let slots = |v: &Value| {
        v.as_array().and_then(|a| a.first()).unwrap_or(v)["slots"]
            .as_u64()
            .unwrap_or(0)
    };
    assert!(
        slots(&dense) > slots(&natural),
        "dense {dense} vs natural {natural}"
    );
    assert!(!h
        .run(&["doc", "add", f.to_str().unwrap(), "--profile", "loose"])
        .status
        .success());
}

//! The command-line contract, end to end, with the real binary on a
//! temporary registry home.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod common;
use common::*;

fn paragraphs(range: std::ops::Range<usize>) -> String {
    MEMO.split("\n\n")
        .skip(range.start)
        .take(range.len())
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn excerpt(copy: &str, from: &str, bytes: usize) -> String {
    // Copies carry invisible marks between words; find the anchor in a
    // stripped view, then cut the same words from the copy.
    let start = copy
        .find(from)
        .unwrap_or_else(|| panic!("{from:?} not in copy"));
    let end = copy.ceil_char_boundary((start + bytes).min(copy.len()));
    copy[start..end].to_string()
}

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
fn text_that_quotes_nothing_registered_accuses_nobody() {
    let h = Home::new();
    h.ok(&["init"]);
    h.add_doc("memo.txt", MEMO);
    let f = h.file("news.txt", "Farmers in the northern valleys reported a good harvest of barley this year, and prices at the autumn markets were steady.");
    let rep = h.json(&["trace", f.to_str().unwrap(), "--json"]);
    assert_eq!(rep["documents"], serde_json::json!([]));
    assert!(h
        .ok(&["trace", f.to_str().unwrap()])
        .contains("quotes no registered document"));
}

#[test]
fn an_article_quoting_three_memos_reports_all_three_and_combines_evidence() {
    let h = Home::new();
    h.ok(&["init"]);
    let docs: Vec<String> = [0..5, 5..9, 9..14]
        .into_iter()
        .enumerate()
        .map(|(i, r)| h.add_doc(&format!("m{i}.txt"), &paragraphs(r)))
        .collect();
    h.ok(&[
        "recipients",
        "import",
        h.file("r.csv", &csv(300)).to_str().unwrap(),
    ]);
    let out = h.dir.path().join("out");
    for d in &docs {
        h.ok(&[
            "distribute",
            d,
            "--all",
            "--out",
            out.join(d).to_str().unwrap(),
        ]);
    }
    // Short pasted quotes, one from each memo, of recipient r-00123's copies.
    let mut article = String::from("Three memos have reached this newspaper. ");
    for d in &docs {
        let copy = std::fs::read_to_string(out.join(d).join("r-00123.txt")).unwrap();
        let body = copy.split("\n\n").max_by_key(|p| p.len()).unwrap();
        article.push_str(&format!(
            "One reads: \"{}\" ",
            &body[..body.ceil_char_boundary(160)]
        ));
    }
    let f = h.file("article.txt", &article);
    let rep = h.json(&["trace", f.to_str().unwrap(), "--json"]);
    let found: Vec<&str> = rep["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    for d in &docs {
        assert!(found.contains(&d.as_str()), "{d} not reported: {found:?}");
    }
    let combined = &rep["combined"];
    assert_eq!(
        combined["accused"],
        serde_json::json!(["r-00123"]),
        "{combined}"
    );
    // The combined evidence is stronger than any single memo's.
    let best_single = rep["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["suspects"][0]["p_value"].as_f64().unwrap())
        .fold(1.0, f64::min);
    assert!(combined["suspects"][0]["p_value"].as_f64().unwrap() < best_single);
    // --doc restricts the search.
    let one = h.json(&["trace", f.to_str().unwrap(), "--doc", &docs[1], "--json"]);
    assert_eq!(one["documents"].as_array().unwrap().len(), 1);
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

/// A distinct, plausible-looking memo for padding a registry.
fn filler_memo(i: usize) -> String {
    use telltale_core::sim::SimRng;
    let mut rng = SimRng::new(&format!("filler-{i}"));
    const SYL: &[&str] = &[
        "var", "kel", "dor", "min", "sal", "tor", "bre", "lun", "ost", "ria", "gan", "vel", "mar",
        "nik", "hal",
    ];
    const NOUNS: &[&str] = &[
        "budget", "treaty", "harbour", "election", "council", "pipeline", "tariff", "reform",
        "ministry", "border", "census", "railway", "loan", "strike", "summit", "inquiry",
        "cabinet", "alliance", "subsidy", "mandate",
    ];
    const VERBS: &[&str] = &[
        "delay", "approve", "review", "reject", "extend", "fund", "block", "revise", "support",
        "announce", "suspend", "renew",
    ];
    const ADJS: &[&str] = &[
        "cautious",
        "divided",
        "weary",
        "confident",
        "restless",
        "united",
        "anxious",
        "hostile",
        "pragmatic",
        "quiet",
    ];
    const MONTHS: &[&str] = &["January", "March", "April", "June", "September", "November"];
    fn pick(rng: &mut SimRng, xs: &[&'static str]) -> &'static str {
        xs[rng.below(xs.len())]
    }
    fn name(rng: &mut SimRng) -> String {
        let s: String = (0..3).map(|_| pick(rng, SYL)).collect();
        let mut c = s.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect::<String>())
            .unwrap_or_default()
    }
    let r = &mut rng;
    let mut text = format!("Subject: the {} question\n\n", name(r));
    for _ in 0..14 {
        let (n1, n2, n3) = (name(r), name(r), name(r));
        let w: Vec<&str> = vec![
            pick(r, ADJS),
            pick(r, NOUNS),
            pick(r, NOUNS),
            pick(r, VERBS),
            pick(r, MONTHS),
            pick(r, VERBS),
            pick(r, NOUNS),
            pick(r, VERBS),
            pick(r, NOUNS),
        ];
        text.push_str(&format!(
            "The {} {} of {n1} said that the {} would {} before {}, and officials in {n2} believe that {n3} will {} the {} in order to {} its {}. ",
            w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8]
        ));
    }
    text
}

#[test]
fn trace_with_ten_thousand_recipients_and_a_hundred_documents() {
    let h = Home::new();
    h.ok(&["init"]);
    let mut files = Vec::new();
    for i in 0..99 {
        files.push(h.file(&format!("filler-{i}.txt"), &filler_memo(i)));
    }
    files.push(h.file("memo.txt", MEMO));
    let mut args = vec!["doc", "add"];
    let names: Vec<String> = files
        .iter()
        .map(|f| f.to_str().unwrap().to_string())
        .collect();
    args.extend(names.iter().map(String::as_str));
    let added = h.ok(&args);
    let memo_id = added.lines().last().unwrap().trim().to_string();
    assert_eq!(
        h.json(&["doc", "list", "--json"]).as_array().unwrap().len(),
        100
    );
    h.ok(&[
        "recipients",
        "import",
        h.file("r.csv", &csv(10_000)).to_str().unwrap(),
    ]);
    let out = h.dir.path().join("out");
    h.ok(&[
        "distribute",
        &memo_id,
        "--all",
        "--out",
        out.to_str().unwrap(),
    ]);
    // A 1,000-word article: an excerpt of one copy, pasted, in other prose.
    let copy = std::fs::read_to_string(out.join("r-04321.txt")).unwrap();
    let quote = excerpt(&copy, "SUMMARY", 1200);
    let padding = "The committee heard evidence from regional officials about transport, housing and the cost of living in the north. ".repeat(40);
    let article = format!("{padding}\"{quote}\" {padding}");
    let f = h.file("article.txt", &article);
    let t0 = std::time::Instant::now();
    let rep = h.json(&["trace", f.to_str().unwrap(), "--json"]);
    eprintln!(
        "trace of a {}-byte article against 100 documents and 10,000 recipients: {:?}",
        article.len(),
        t0.elapsed()
    );
    let docs = rep["documents"].as_array().unwrap();
    assert_eq!(
        docs.len(),
        1,
        "only the memo is quoted: {:?}",
        docs.iter().map(|d| &d["id"]).collect::<Vec<_>>()
    );
    assert_eq!(docs[0]["id"], memo_id.as_str());
    assert_eq!(docs[0]["recipients"], 10_000);
    assert_eq!(docs[0]["accused"], serde_json::json!(["r-04321"]));
}

/// What a journalist's retyping leaves: no invisible characters, plain quotes.
fn retyped(s: &str) -> String {
    s.chars()
        .filter(|c| {
            !matches!(
                c,
                '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{180E}' | '\u{034F}'
            )
        })
        .map(|c| match c {
            '\u{2019}' | '\u{2018}' => '\'',
            '\u{201C}' | '\u{201D}' => '"',
            c => c,
        })
        .collect()
}

#[test]
fn leaks_filed_under_one_case_are_read_together_with_a_bound_that_holds() {
    let h = Home::new();
    h.ok(&["init"]);
    let doc = h.add_doc("memo.txt", MEMO);
    let r = h.file("people.csv", &csv(40));
    h.ok(&["recipients", "import", r.to_str().unwrap()]);
    let out = h.dir.path().join("out");
    h.ok(&["distribute", &doc, "--all", "--out", out.to_str().unwrap()]);
    let copy = retyped(&std::fs::read_to_string(out.join("r-00007.txt")).unwrap());
    // Three separate retyped leaks, each a different part of the copy.
    let paras: Vec<&str> = copy.split("\n\n").collect();
    let third = paras.len().div_ceil(3);
    let mut last = Value::Null;
    // The leaker's bound from each leak alone (1 when not even a suspect).
    let mut single = Vec::new();
    let leaker_fa = |v: &Value| {
        v.as_array()
            .and_then(|s| s.iter().find(|x| x["recipient"] == "r-00007"))
            .and_then(|x| x["false_accusation"].as_f64())
            .unwrap_or(1.0)
    };
    for (k, chunk) in paras.chunks(third).enumerate() {
        let f = h.file(
            &format!("leak{k}.txt"),
            &format!("A reader sent us this: {} End of quote.", chunk.join(" ")),
        );
        last = h.json(&[
            "trace",
            f.to_str().unwrap(),
            "--case",
            "embassy-leaks",
            "--json",
        ]);
        single.push(leaker_fa(&last["documents"][0]["suspects"]));
        let run = &last["running"];
        assert_eq!(run["case"], "embassy-leaks");
        assert_eq!(run["leaks"], k + 1);
        // The k-th look is held to ε·6/(π²k²).
        let want = 1e-3 * 6.0 / (std::f64::consts::PI.powi(2) * ((k + 1) as f64).powi(2));
        assert!((run["threshold"].as_f64().unwrap() - want).abs() < 1e-12);
        assert!(
            run["accused"]
                .as_array()
                .unwrap()
                .iter()
                .all(|a| a == "r-00007"),
            "{run}"
        );
    }
    let observed = last["running"]["slots_observed"].as_u64().unwrap();
    let per_leak: u64 = last["documents"][0]["slots_observed"].as_u64().unwrap();
    assert!(
        observed > per_leak,
        "running evidence should pool slots: {observed} vs {per_leak}"
    );
    // Pooled, the leaker's evidence is stronger than from any one leak,
    // and the leaker is the best-matching recipient. (With a fresh random
    // key per run, whether three retyped thirds of a short memo clear the
    // spent threshold varies; the ordering does not.)
    let pooled = leaker_fa(&last["running"]["suspects"]);
    let best_single = single.iter().cloned().fold(1.0, f64::min);
    assert!(
        pooled < best_single,
        "pooled {pooled:e} vs best single leak {best_single:e}"
    );
    assert_eq!(
        last["running"]["suspects"][0]["recipient"], "r-00007",
        "{}",
        last["running"]
    );
    // The same leak seen again adds a look but no evidence.
    let f = h.file(
        "leak0.txt",
        &std::fs::read_to_string(h.dir.path().join("leak0.txt")).unwrap(),
    );
    let again = h.json(&[
        "trace",
        f.to_str().unwrap(),
        "--case",
        "embassy-leaks",
        "--json",
    ]);
    assert_eq!(again["running"]["leaks"], 4);
    assert_eq!(again["running"]["slots_observed"].as_u64(), Some(observed));
    // Another case starts from nothing; no case, no running evidence.
    let other = h.json(&["trace", f.to_str().unwrap(), "--case", "other", "--json"]);
    assert_eq!(other["running"]["leaks"], 1);
    assert!(h
        .json(&["trace", f.to_str().unwrap(), "--json"])
        .get("running")
        .is_none());
    // The unmarked original, leaked three times in parts: nobody received
    // it, so nobody may be accused, however the case is pooled.
    let paras: Vec<&str> = MEMO.split("\n\n").collect();
    for (k, chunk) in paras.chunks(third).enumerate() {
        let f = h.file(&format!("control{k}.txt"), &chunk.join(" "));
        let rep = h.json(&["trace", f.to_str().unwrap(), "--case", "control", "--json"]);
        assert_eq!(
            rep["running"]["accused"],
            serde_json::json!([]),
            "{}",
            rep["running"]
        );
    }
    let human = h.ok(&["trace", f.to_str().unwrap(), "--case", "embassy-leaks"]);
    assert!(
        human.contains("case \"embassy-leaks\": 5 leak(s) read together"),
        "{human}"
    );
    assert!(h
        .fails(&["trace", f.to_str().unwrap(), "--case", ""])
        .contains("case name"));
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

#[test]
fn users_tokens_links_and_the_server() {
    let h = Home::new();
    h.ok(&["init"]);
    let add = |name: &str, role: &str, pw: &str| {
        h.cmd(&["user", "add", name, "--role", role])
            .env("TELLTALE_PASSWORD", pw)
            .output()
            .unwrap()
    };
    assert!(add("ada", "admin", "a long password").status.success());
    let short = add("bob", "author", "short");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 10 characters"));
    assert!(
        !add("ada", "author", "a long password").status.success(),
        "names are unique"
    );
    // The password can come on standard input too.
    let mut c = h.cmd(&["user", "add", "ivan", "--role", "investigator"]);
    c.env_remove("TELLTALE_PASSWORD")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"another long password\n").unwrap();
    assert!(child.wait().unwrap().success());
    let users = h.json(&["user", "list", "--json"]);
    assert_eq!(users.as_array().unwrap().len(), 2);
    assert!(
        !users.to_string().contains("argon2"),
        "no hashes in listings"
    );
    let token = h
        .ok(&["token", "create", "ivan", "--label", "nightly"])
        .lines()
        .last()
        .unwrap()
        .to_string();
    assert!(token.starts_with("tt_") && token.len() == 67, "{token}");
    assert!(!h.ok(&["token", "list"]).contains(&token[3..]));

    let doc = h.add_doc("memo.txt", MEMO);
    let people = h.file("people.csv", &csv(3));
    h.ok(&["recipients", "import", people.to_str().unwrap()]);
    let out = h.dir.path().join("copies");
    let said = h.ok(&[
        "distribute",
        &doc,
        "--all",
        "--out",
        out.to_str().unwrap(),
        "--links",
        "--base-url",
        "http://127.0.0.1:1/",
        "--expires-days",
        "7",
    ]);
    assert!(said.contains("3 reading-room links"), "{said}");
    let links = std::fs::read_to_string(out.join("links.csv")).unwrap();
    let rows: Vec<&str> = links.lines().collect();
    assert_eq!(rows[0], "recipient,link,url");
    assert_eq!(rows.len(), 4);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(out.join("links.csv"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "links.csv is private to its owner");
    }
    let url = rows[2].split(',').nth(2).unwrap();
    let secret = url
        .strip_prefix("http://127.0.0.1:1/r/")
        .expect("the base URL without a doubled slash");

    // Serve on a free port, use it, stop it with SIGTERM.
    let mut server = Server::start(&h);
    let port = server.port;
    assert_eq!(http(port, "GET", "/healthz", &[], ""), (200, "ok".into()));
    let (status, page) = http(port, "GET", &format!("/r/{secret}"), &[], "");
    assert_eq!(status, 200);
    assert!(page.contains("Recipient 1"), "the second row's recipient");
    let copy = std::fs::read_to_string(out.join("r-00001.txt")).unwrap();
    let line = copy
        .lines()
        .find(|l| l.len() > 80 && !l.contains(['"', '&', '<', '>', '\'']))
        .expect("a plain line");
    assert!(page.contains(line), "the page shows that recipient's copy");
    let auth = format!("Bearer {token}");
    let (status, who) = http(port, "GET", "/api/whoami", &[("Authorization", &auth)], "");
    assert_eq!(status, 200, "{who}");
    assert!(who.contains("\"ivan\""));
    assert_eq!(
        http(
            port,
            "GET",
            "/api/documents",
            &[("Authorization", &auth)],
            ""
        )
        .0,
        403,
        "an investigator is not an author"
    );
    let killed = Command::new("kill")
        .args(["-TERM", &server.child().id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let mut stopped = None;
    for _ in 0..100 {
        if let Some(s) = server.child().try_wait().unwrap() {
            stopped = Some(s);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let stopped = stopped.expect("the server stops within 10 s of SIGTERM");
    assert!(stopped.success(), "a graceful stop exits 0");
    let log = h.ok(&["audit", "log"]);
    assert!(log.contains("link.view") && log.contains("link.create") && log.contains("user.add"));
}

#[test]
fn documents_and_leaks_as_html_docx_and_email() {
    let h = Home::new();
    h.ok(&["init"]);
    let people = h.file("people.csv", &csv(30));
    h.ok(&["recipients", "import", people.to_str().unwrap()]);
    let html =
        telltale_formats::from_text(MEMO, telltale_formats::Format::Html, "Kestria").unwrap();
    let html_path = h.dir.path().join("memo.html");
    std::fs::write(&html_path, &html).unwrap();
    let doc_html = h
        .ok(&["doc", "add", html_path.to_str().unwrap()])
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_string();
    let docx = telltale_formats::from_text(&paragraphs(0..12), telltale_formats::Format::Docx, "K")
        .unwrap();
    let docx_path = h.dir.path().join("memo.docx");
    std::fs::write(&docx_path, &docx).unwrap();
    let doc_docx = h
        .ok(&["doc", "add", docx_path.to_str().unwrap()])
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_string();
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
    let docx = telltale_formats::from_text(&paragraphs(0..6), telltale_formats::Format::Docx, "K")
        .unwrap();
    let path = h.dir.path().join("memo.docx");
    std::fs::write(&path, &docx).unwrap();
    let doc = h
        .ok(&["doc", "add", path.to_str().unwrap()])
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_string();
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

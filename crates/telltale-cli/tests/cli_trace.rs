//! Tracing with the real binary beyond a single copy: text that quotes
//! nothing, an article quoting several memos, ten thousand recipients over
//! a hundred documents, and leaks filed under one case over time.

use serde_json::Value;

mod common;
use common::*;

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
    let mut args = vec!["doc", "add"];
    let names: Vec<String> = files
        .iter()
        .map(|f| f.to_str().unwrap().to_string())
        .collect();
    args.extend(names.iter().map(String::as_str));
    // The fillers only make the index large: judged by the grammar checker
    // alone, they register in seconds rather than minutes.
    let o = h.cmd(&args).env("TELLTALE_MODEL", "none").output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let added = h.ok(&["doc", "add", h.file("memo.txt", MEMO).to_str().unwrap()]);
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

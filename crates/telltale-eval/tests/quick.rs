//! The harness keeps working: quick mode runs end to end on the vendored
//! corpus and writes a report whose figures are sane.

use telltale_eval::{run_all, Config};

#[test]
fn quick_mode_writes_a_sane_report() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config {
        quick: true,
        out: dir.path().to_path_buf(),
        corpus: Config::default_corpus(),
        profile: telltale_core::Profile::default(),
        max_docs: None,
        language_model: true,
    };
    let report = run_all(&cfg).unwrap();
    let md = std::fs::read_to_string(report).unwrap();
    for section in [
        "## Capacity",
        "## Naturalness sample",
        "## Attribution power",
        "## Collusion",
        "## Calibration",
        "## Speed and scaling",
    ] {
        assert!(md.contains(section), "missing {section}");
    }
    for png in [
        "attribution.png",
        "collusion.png",
        "calibration.png",
        "trace-latency.png",
    ] {
        let bytes = std::fs::read(dir.path().join(png)).unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "{png} is not a PNG");
    }
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("results.json")).unwrap())
            .unwrap();
    // Innocents are accused at most at the nominal rate: the threshold bounds
    // the chance that a trial accuses anyone innocent at 1e-3, so a few
    // hundred trials should see at most one or two (and pasted quotes are
    // attributed).
    let trials = v["attribution"]["trials"]
        .as_u64()
        .expect("attribution.trials");
    let innocents = v["attribution"]["innocents_accused"]
        .as_u64()
        .expect("attribution.innocents_accused");
    assert!(trials > 0, "no attribution trials were run");
    assert!(
        innocents <= 2 + trials / 1000,
        "{innocents} innocents accused in {trials} trials"
    );
    let verbatim = v["attribution"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["attack"] == "verbatim (pasted)" && r["recipients"] == 1000)
        .unwrap();
    // A length in words when attributed, ">N" when not; a missing key is a
    // failure, not a pass.
    let l90 = verbatim["l90"]
        .as_str()
        .unwrap_or_else(|| panic!("no l90 in {verbatim}"));
    assert!(
        l90.parse::<f64>().is_ok_and(|words| words > 0.0),
        "pasted quotes must be attributed (l90 = {l90})"
    );
    // Calibration: empirical rates at or below nominal (with sampling slack at the large alphas).
    let rows = v["calibration"]["p_below"]
        .as_array()
        .expect("calibration.p_below");
    assert!(!rows.is_empty(), "no calibration rows");
    for row in rows {
        let (a, r) = (
            row["alpha"].as_f64().unwrap(),
            row["rate"].as_f64().unwrap(),
        );
        assert!(r <= a * 1.1 + 1e-4, "P(p ≤ {a}) = {r}");
    }
    let items: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("naturalness-sample.json")).unwrap(),
    )
    .unwrap();
    // Up to 300; the quick corpus holds fewer visible variants (about a
    // hundred once the language model has judged them).
    assert!(
        items.len() >= 50 && items.len() <= 300,
        "{} items",
        items.len()
    );
    assert_eq!(v["naturalness"]["items"], items.len());
    assert!(items.iter().all(|i| i["original"].is_string()
        && i["variant"].is_string()
        && i["original"] != i["variant"]));
}

/// The author-alternatives evaluation runs end to end: the corpus's author
/// slots all land in the templates, the same leaks face both builds, and
/// the slots add evidence rather than take it away.
#[test]
fn the_author_alternatives_evaluation_runs() {
    use telltale_eval::author_check::{run, AuthorEval};
    let (md, v) = run(&AuthorEval {
        alternatives: AuthorEval::default_alternatives(),
        corpus: Config::default_corpus().join("../../corpus-official/docs"),
        quick: true,
        language_model: false,
    })
    .unwrap();
    assert!(md.contains("## Exact attribution by quote length"), "{md}");
    // Every slot with a passed alternative, in all 15 documents.
    assert_eq!(v["documents"], 15);
    assert!(v["author_slots"].as_u64().unwrap() >= 90, "{v}");
    let bits = &v["bits_per_100_words"];
    assert!(
        bits["with"].as_f64().unwrap() > bits["without"].as_f64().unwrap() + 0.5,
        "{v}"
    );
    for label in ["without", "with"] {
        assert_eq!(v["runs"][label]["innocents_accused"], 0, "{label}: {v}");
    }
}

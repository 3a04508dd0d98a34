//! Tracing among many registered documents: N documents (each twelve
//! sentences of the evaluation corpus, walked in a scrambled order, so
//! that they share sentences and phrases as real prose does but no two
//! are alike), one more, of forty sentences of its own, issued to R
//! recipients, and a 1,000-word article
//! quoting 300 words of one copy traced through the registry (candidate
//! lookup among all of them by their shingles, templates and holders
//! read, locate, read, score, record), p50 of five runs.
//!
//! The N documents are registered in bulk: templates built by the rules
//! alone (no grammar checker, no language model) on every core, and
//! written straight into the SQLite database in one transaction, without
//! audit entries, so the registry it leaves does not pass `audit verify`.
//! The document that leaks is registered and issued the ordinary way.
//!
//! `cargo run --release -p telltale-registry --example doc_scale [DOCUMENTS] [RECIPIENTS]`

use std::time::Instant;

use telltale_core::gate::NoGate;
use telltale_core::rules::{Format, RuleSet};
use telltale_core::{align, CodeParams};
use telltale_registry::{Registry, TraceRequest, DB_FILE};
use telltale_store::prelude::*;
use telltale_store::{DocumentRecord, Recipient};
use telltale_store_sqlite::SqliteStore;

const FILLER: &str = "Officials declined to comment on the record. The committee will meet again next month to consider the matter, a spokesperson said. ";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let documents: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let recipients: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    std::env::set_var("TELLTALE_MODEL", "none");
    let dir = tempfile::tempdir()?;
    let mut r = Registry::init(dir.path(), None)?;

    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/../telltale-eval/corpus/docs");
    let mut names: Vec<_> = std::fs::read_dir(corpus)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    names.sort();
    let mut sentences = Vec::new();
    for p in &names {
        let text = std::fs::read_to_string(p)?;
        for s in text.split_inclusive(". ") {
            let s = s.trim();
            if s.split_whitespace().count() >= 8 {
                sentences.push(s.to_string());
            }
        }
    }
    // The leaked document's sentences are its own; the others share
    // theirs among themselves.
    let reserved = sentences.split_off(sentences.len() - 40);
    let n = sentences.len();
    println!(
        "{} sentences from {} corpus files",
        n + reserved.len(),
        names.len()
    );
    let text_of = |i: usize| -> String {
        (0..12)
            .map(|k| sentences[(i.wrapping_mul(7919) + k * 104_729 + k * k * 31) % n].as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };

    let t0 = Instant::now();
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let built: Vec<Vec<(DocumentRecord, Vec<u64>)>> = std::thread::scope(|s| {
        let work: Vec<_> = (0..threads)
            .map(|t| {
                let text_of = &text_of;
                s.spawn(move || {
                    (t..documents)
                        .step_by(threads)
                        .filter_map(|i| {
                            let rules = RuleSet::default();
                            let template = rules.build(&text_of(i), &mut NoGate).ok()?;
                            let shingles = align::template_shingles(&template);
                            let doc = DocumentRecord {
                                id: format!("d-bulk{i:06}"),
                                title: format!("Document {i}"),
                                created_at: 0,
                                source_format: telltale_core::FileFormat::Txt,
                                template,
                                code_params: CodeParams::default(),
                                rules,
                            };
                            Some((doc, shingles))
                        })
                        .collect()
                })
            })
            .collect();
        work.into_iter().filter_map(|w| w.join().ok()).collect()
    });
    let built_in = t0.elapsed().as_secs_f64();
    let mut store = SqliteStore::open_existing(&dir.path().join(DB_FILE))?;
    let mut written = 0;
    store.atomically(&mut |s| {
        for (doc, shingles) in built.iter().flatten() {
            s.put_document(doc, shingles)?;
            written += 1;
        }
        Ok(())
    })?;
    drop(store);
    let registering = t0.elapsed().as_secs_f64();
    println!(
        "registered {written} documents in bulk in {registering:.0} s (templates {built_in:.0} s on {threads} threads, then one transaction)"
    );

    let leaked = reserved.join(" ");
    let t0 = Instant::now();
    let target = r
        .add_document(&leaked, Some("The leaked one"), Format::Plain)?
        .id;
    println!(
        "registered the leaked document the ordinary way in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let t0 = Instant::now();
    let people: Vec<String> = (0..recipients).map(|i| format!("r-{i:06}")).collect();
    for id in &people {
        r.add_recipient(&Recipient {
            id: id.clone(),
            name: format!("Recipient {id}"),
            email: None,
        })?;
    }
    r.issue(&target, &people, &mut |_, _| {})?;
    println!(
        "issued {recipients} copies in {:.0} s",
        t0.elapsed().as_secs_f64()
    );
    let leaker = &people[recipients / 2];
    let copy = r.render_copy(&target, leaker)?;
    let words: Vec<&str> = copy.split(' ').collect();
    let quote = words[..words.len().min(300)].join(" ");
    let article = format!("{}\"{quote}\" {}", FILLER.repeat(16), FILLER.repeat(16));

    let mut times = Vec::new();
    let mut located = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let (_, rep) = r.trace(&TraceRequest::new(&article))?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        let found = rep
            .documents
            .iter()
            .find(|d| d.id == target)
            .ok_or("the leaked document was not found")?;
        assert_eq!(found.accused, vec![leaker.clone()]);
        located = rep.documents.len();
    }
    times.sort_by(f64::total_cmp);
    // Where the time goes: the index lookup, then loading the candidates'
    // templates, both as the trace does them.
    let t = Instant::now();
    let candidates: Vec<String> = r
        .store()
        .candidate_documents(&align::text_shingles(&article), 64)?
        .into_iter()
        .filter(|(_, shared)| *shared >= 2)
        .map(|(d, _)| d)
        .collect();
    let lookup = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let docs = candidates
        .iter()
        .map(|id| r.document(id))
        .collect::<Result<Vec<_>, _>>()?;
    let loading = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let mut locator = telltale_core::Locator::new();
    for d in &docs {
        locator.add(&d.template);
    }
    let indexing = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let templates: Vec<_> = docs.iter().map(|d| &d.template).collect();
    locator.trace(&templates, &article)?;
    let locating = t.elapsed().as_secs_f64() * 1e3;
    println!(
        "of which: candidate lookup {lookup:.0} ms ({} candidates), loading their templates {loading:.0} ms, indexing them {indexing:.0} ms, locating the quote {locating:.0} ms; {located} documents located and scored",
        candidates.len()
    );
    println!(
        "trace p50 with {} documents and {recipients} recipients: {:.0} ms (min {:.0}, max {:.0})",
        written + 1,
        times[2],
        times[0],
        times[4]
    );
    Ok(())
}

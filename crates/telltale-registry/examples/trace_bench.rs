//! Trace time through the registry as the number of holders grows: a
//! 1,000-word article quoting 300 words (pasted) of a 2,800-word document,
//! traced with `Registry::trace` (candidate lookup, template
//! and holders read from SQLite, locate, read, score, name the suspects,
//! record the trace and its audit entry): the first trace after holders
//! are added, and the p50 of the five after it.
//!
//! Holders beyond the leaker are written straight into the database in one
//! transaction (the bench measures tracing, not issuing: issuing a million
//! copies one audited transaction at a time takes hours), so the registry
//! it leaves behind does not pass `audit verify`.
//!
//! `cargo run --release -p telltale-registry --example trace_bench [MAX_HOLDERS]`

use std::time::Instant;

use telltale_core::rules::Format;
use telltale_registry::{Registry, TraceRequest};
use telltale_store::Recipient;

const FILLER: &str = "Officials declined to comment on the record. The committee will meet again next month to consider the matter, a spokesperson said. ";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let max: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    // Tracing does not use the language model; registering without it
    // keeps the bench quick.
    std::env::set_var("TELLTALE_MODEL", "none");
    let dir = tempfile::tempdir()?;
    let mut r = Registry::init(dir.path(), None)?;
    let corpus = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../telltale-eval/corpus-official/docs"
    );
    let text: String = [
        "factbook2015-us-economy-01.txt",
        "factbook2015-world-economy-01.txt",
        "factbook2015-greece-economy-01.txt",
    ]
    .iter()
    .map(|f| std::fs::read_to_string(format!("{corpus}/{f}")))
    .collect::<Result<Vec<_>, _>>()?
    .join("\n\n");
    let doc = r.add_document(&text, Some("bench"), Format::Plain)?;
    // The leaker's copy, issued the ordinary way.
    let leaker = "r-0000000".to_string();
    r.add_recipient(&Recipient {
        id: leaker.clone(),
        name: "The Leaker".into(),
        email: None,
    })?;
    let out = dir.path().join("out");
    r.distribute(
        &doc.id,
        std::slice::from_ref(&leaker),
        &out,
        telltale_core::FileFormat::Txt,
        &mut |_, _| {},
    )?;
    let copy = std::fs::read_to_string(out.join("r-0000000.txt"))?;
    let words: Vec<&str> = copy.split(' ').collect();
    let quote = words[400..700].join(" ");
    let article = format!("{}\"{quote}\" {}", FILLER.repeat(16), FILLER.repeat(16));

    println!(
        "document: {} words, {} slots",
        doc.template.word_count(),
        doc.template.slots.len()
    );
    // The first trace after holders were added reads them from the
    // database (as every trace of a one-shot CLI process does); later ones
    // use the list the registry kept, as a server does. The last column:
    // reading the holders' ids alone, the part of the trace that the
    // database does.
    println!(
        "| holders | adding them (s) | first trace (ms) | trace p50 of the next five (ms) | holders read (ms) |"
    );
    println!("|---|---|---|---|---|");
    let db = rusqlite::Connection::open(dir.path().join("registry.db"))?;
    let mut have = 1usize;
    let mut n = 1000;
    while n <= max {
        let t0 = Instant::now();
        let tx = db.unchecked_transaction()?;
        {
            let mut rec = tx.prepare("INSERT INTO recipients (id, name) VALUES (?1, ?2)")?;
            let mut iss = tx.prepare(
                "INSERT INTO issuances (document_id, recipient_id, issued_at, content_hash, recipient_name)
                 VALUES (?1, ?2, 0, '', ?3)",
            )?;
            for i in have..n {
                let id = format!("r-{i:07}");
                let name = format!("Recipient {i}");
                rec.execute((&id, &name))?;
                iss.execute((&doc.id, &id, &name))?;
            }
        }
        tx.commit()?;
        let added = t0.elapsed().as_secs_f64();
        have = n;
        let mut times = Vec::new();
        for _ in 0..6 {
            let t = Instant::now();
            let (_, rep) = r.trace(&TraceRequest::new(&article))?;
            times.push(t.elapsed().as_secs_f64() * 1e3);
            assert_eq!(rep.documents[0].accused, vec![leaker.clone()]);
        }
        let first = times.remove(0);
        times.sort_by(f64::total_cmp);
        let t = Instant::now();
        let mut st = db.prepare(
            "SELECT recipient_id FROM issuances WHERE document_id = ?1 ORDER BY recipient_id",
        )?;
        let ids: Vec<String> = st
            .query_map([&doc.id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let read = t.elapsed().as_secs_f64() * 1e3;
        assert_eq!(ids.len(), n);
        println!(
            "| {n} | {added:.1} | {first:.0} | {:.0} | {read:.0} |",
            times[2]
        );
        n *= 10;
    }
    Ok(())
}

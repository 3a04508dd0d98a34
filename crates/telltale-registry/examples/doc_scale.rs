//! Tracing among many registered documents: N documents registered (each
//! four paragraphs of the evaluation corpus, so that they share words and
//! phrases as real prose does), one of them issued to 10,000 recipients,
//! and a 1,000-word article quoting 300 words of one copy traced through
//! the registry (candidate lookup among all N by their shingles, template
//! and holders read, locate, read, score, record), p50 of five runs.
//!
//! Documents are registered one by one through `Registry::add_document`,
//! as `doc add` does, with the grammar checker and without the language
//! model; copies are issued through `Registry::issue`, each audited. The
//! database is SQLite in a temporary home, or PostgreSQL with
//! `TELLTALE_BENCH_DATABASE=postgres://...` (an empty database).
//!
//! `cargo run --release -p telltale-registry --example doc_scale [DOCUMENTS] [RECIPIENTS]`

use std::sync::Arc;
use std::time::Instant;

use telltale_core::rules::Format;
use telltale_registry::{Backend, Location, Registry};
use telltale_store::Recipient;

const FILLER: &str = "Officials declined to comment on the record. The committee will meet again next month to consider the matter, a spokesperson said. ";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let documents: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let recipients: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    std::env::set_var("TELLTALE_MODEL", "none");
    let dir = tempfile::tempdir()?;
    let at = match std::env::var("TELLTALE_BENCH_DATABASE") {
        Ok(url) => {
            let db: Arc<dyn Backend> =
                Arc::new(telltale_store_postgres::PostgresBackend::new(&url)?);
            Location::new(dir.path(), db)
        }
        Err(_) => Location::embedded(dir.path()),
    };
    println!("database: {}", at.describe_database());
    let mut r = Registry::init_at(&at, None)?;

    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/../telltale-eval/corpus/docs");
    let mut names: Vec<_> = std::fs::read_dir(corpus)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    names.sort();
    let mut paragraphs = Vec::new();
    for p in &names {
        let text = std::fs::read_to_string(p)?;
        paragraphs.extend(
            text.split("\n\n")
                .map(str::trim)
                .filter(|p| p.split_whitespace().count() >= 40)
                .map(str::to_string),
        );
    }
    let n = paragraphs.len();
    println!("{n} paragraphs from {} corpus files", names.len());

    let t0 = Instant::now();
    let mut ids = Vec::with_capacity(documents);
    for i in 0..documents {
        let text: Vec<&str> = (0..4)
            .map(|k| paragraphs[(i * 7919 + k * 104_729 + k) % n].as_str())
            .collect();
        let d = r.add_document(
            &text.join("\n\n"),
            Some(&format!("Document {i}")),
            Format::Plain,
            "txt",
        )?;
        ids.push(d.id);
        if (i + 1) % 1000 == 0 {
            println!(
                "  {} registered, {:.0} s",
                i + 1,
                t0.elapsed().as_secs_f64()
            );
        }
    }
    let registering = t0.elapsed().as_secs_f64();
    println!(
        "registered {documents} documents in {registering:.0} s ({:.1} ms each)",
        registering * 1e3 / documents as f64
    );

    // The document that leaks: the last registered, issued to everyone.
    let target = ids[documents - 1].clone();
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
    for _ in 0..5 {
        let t = Instant::now();
        let (_, rep) = r.trace_with_layout(&article, &[], None, None, Default::default())?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(rep.documents[0].id, target);
        assert_eq!(rep.documents[0].accused, vec![leaker.clone()]);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "trace p50 with {documents} documents and {recipients} recipients: {:.0} ms (min {:.0}, max {:.0})",
        times[2], times[0], times[4]
    );
    Ok(())
}

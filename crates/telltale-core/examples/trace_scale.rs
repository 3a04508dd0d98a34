//! Where a trace's time goes as the number of recipients grows: a
//! 1,000-word article quoting 300 words (pasted) of a 2,600-word document,
//! traced against 1,000 to 1,000,000 holders. Prints locate-and-read time
//! and the time to score every holder, best of a few runs.
//!
//! `cargo run --release -p telltale-core --example trace_scale [MAX_RECIPIENTS]`

use std::time::Instant;

use telltale_core::gate::HarperGate;
use telltale_core::rules::detect_variety;
use telltale_core::sim;
use telltale_core::{
    accuse, AccuseParams, CodeParams, Codebook, DocumentEvidence, Locator, RuleSet, SecretKey,
};

const FILLER: &str = "Officials declined to comment on the record. The committee will meet again next month to consider the matter, a spokesperson said. ";

fn main() {
    let max: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    // Four held-apart official pieces, about 2,600 words of prose no rule
    // was tuned on.
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../telltale-eval/corpus-official/docs"
    );
    let text: String = [
        "factbook2015-us-economy-01.txt",
        "factbook2015-world-economy-01.txt",
        "factbook2015-greece-economy-01.txt",
    ]
    .iter()
    .filter_map(|f| std::fs::read_to_string(format!("{dir}/{f}")).ok())
    .collect::<Vec<_>>()
    .join("\n\n");
    let mut gate = HarperGate::new(detect_variety(&text));
    let Ok(t) = RuleSet::default().build(&text, &mut gate) else {
        eprintln!("the document did not build");
        return;
    };
    let Ok(cb) = Codebook::new(
        &SecretKey::from_bytes([7; 32]),
        "doc",
        &t,
        CodeParams::default(),
    ) else {
        return;
    };
    let mut loc = Locator::new();
    loc.add(&t);
    println!(
        "document: {} words, {} slots",
        t.word_count(),
        t.slots.len()
    );
    println!("| recipients | locate and read ms | score ms | total ms |");
    println!("|---|---|---|---|");
    let mut n = 1000;
    while n <= max {
        let rs: Vec<String> = (0..n).map(|i| format!("r-{i:07}")).collect();
        let Ok(copy) = t.render(&cb.codeword(&rs[n / 3])) else {
            return;
        };
        let q = &copy[sim::word_window(&copy, 400, 300)];
        let article = format!("{}\"{q}\" {}", FILLER.repeat(16), FILLER.repeat(16));
        let runs = if n >= 100_000 { 2 } else { 5 };
        let (mut best_read, mut best_score) = (f64::MAX, f64::MAX);
        for _ in 0..runs {
            let t0 = Instant::now();
            let traces = loc.trace(&[&t], &article).unwrap_or_default();
            let obs = traces
                .first()
                .map(|x| x.observations.clone())
                .unwrap_or_default();
            let t1 = Instant::now();
            let acc = accuse(
                &[DocumentEvidence {
                    codebook: &cb,
                    observations: &obs,
                    recipients: &rs,
                }],
                AccuseParams {
                    threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
                    ..AccuseParams::default()
                },
            );
            let t2 = Instant::now();
            assert_eq!(
                acc.accused,
                vec![rs[n / 3].clone()],
                "{} slots read",
                obs.len()
            );
            best_read = best_read.min((t1 - t0).as_secs_f64() * 1e3);
            best_score = best_score.min((t2 - t1).as_secs_f64() * 1e3);
        }
        println!(
            "| {n} | {best_read:.1} | {best_score:.1} | {:.1} |",
            best_read + best_score
        );
        n *= 10;
    }
}

//! The suspect shortlist, measured: over many simulated retyped leaks of
//! the sample memo among 1,000 recipients, how often the true source is in
//! the shortlist, and its median size, by quote length.
//!
//! `cargo run --release -p telltale-core --example shortlist`

use telltale_core::gate::HarperGate;
use telltale_core::rules::detect_variety;
use telltale_core::sim::{self, SimRng};
use telltale_core::{
    accuse, sample, AccuseParams, CodeParams, Codebook, DocumentEvidence, Locator, RuleSet,
    SecretKey,
};

fn main() {
    let text = sample::MEMO;
    let mut gate = HarperGate::new(detect_variety(text));
    let Ok(t) = RuleSet::default().build(text, &mut gate) else {
        eprintln!("the sample memo did not build");
        return;
    };
    let mut loc = Locator::new();
    loc.add(&t);
    let rs: Vec<String> = (0..1000).map(|i| format!("r-{i:04}")).collect();
    let Ok(cb) = Codebook::new(
        &SecretKey::from_bytes([7; 32]),
        "memo",
        &t,
        CodeParams::default(),
    ) else {
        return;
    };
    let words = t.word_count();
    println!("| quote words | trials | accused | shortlists | source in shortlist | median size |");
    println!("|---|---|---|---|---|---|");
    for len in [40, 80, 150, 300] {
        let mut rng = SimRng::new(&format!("shortlist-{len}"));
        let (trials, mut accused, mut listed, mut held) = (200, 0, 0, 0);
        let mut sizes = Vec::new();
        for _ in 0..trials {
            let who = &rs[rng.below(rs.len())];
            let Ok(copy) = t.render(&cb.codeword(who)) else {
                continue;
            };
            let start = rng.below(words.saturating_sub(len).max(1));
            let leak = sim::house_style(&copy[sim::word_window(&copy, start, len)]);
            let Ok(traces) = loc.trace(&[&t], &leak) else {
                continue;
            };
            let obs = traces
                .first()
                .map(|x| x.observations.clone())
                .unwrap_or_default();
            let acc = accuse(
                &[DocumentEvidence {
                    codebook: &cb,
                    observations: &obs,
                    recipients: &rs,
                }],
                AccuseParams::default(),
            );
            accused += usize::from(acc.accused.contains(who));
            if let Some(s) = acc.shortlist {
                listed += 1;
                held += usize::from(s.recipients.contains(who));
                sizes.push(s.recipients.len());
            }
        }
        sizes.sort_unstable();
        let median = sizes.get(sizes.len() / 2).copied().unwrap_or(0);
        println!(
            "| {len} | {trials} | {accused} | {listed} | {held} ({:.1}%) | {median} |",
            100.0 * held as f64 / listed.max(1) as f64
        );
    }
}

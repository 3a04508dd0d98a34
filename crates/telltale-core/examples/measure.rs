//! Figures for the core engine on the built-in sample: capacity by layer,
//! render speed, and trace time for a 1,000-word article against one
//! document with 10,000 recipients.
//!
//! `cargo run --release -p telltale-core --example measure`

use std::time::Instant;

use telltale_core::gate::HarperGate;
use telltale_core::rules::detect_variety;
use telltale_core::{
    accuse, sample, sim, AccuseParams, CodeParams, Codebook, DocumentEvidence, Layer, Locator,
    RuleSet, SecretKey,
};

fn main() {
    let memo = sample::MEMO;
    let t0 = Instant::now();
    let mut gate = HarperGate::new(detect_variety(memo));
    let template = RuleSet::default().build(memo, &mut gate).expect("template");
    let build = t0.elapsed().as_secs_f64();
    let cap = template.capacity();
    println!("sample: {} words, template built in {:.2} s ({:.0} words/s, grammar gate checked {} variants)", cap.words, build, cap.words as f64 / build, gate.checked);
    for l in Layer::ALL {
        let (s, b) = cap.per_100_words(l);
        println!(
            "  {:<12} {:6.1} slots/100 words  {:6.1} bits/100 words",
            l.name(),
            s,
            b
        );
    }

    let key = SecretKey::from_bytes([7; 32]);
    let cb = Codebook::new(&key, "measure", &template, CodeParams::default()).expect("codebook");
    // Render: codeword derivation + rendering, per copy.
    let n = 2000;
    let t1 = Instant::now();
    let mut bytes = 0usize;
    for i in 0..n {
        bytes += template
            .render(&cb.codeword(&format!("r-{i}")))
            .expect("render")
            .len();
    }
    let secs = t1.elapsed().as_secs_f64();
    let cws: Vec<Vec<u8>> = (0..n).map(|i| cb.codeword(&format!("r-{i}"))).collect();
    let t2 = Instant::now();
    let mut b2 = 0usize;
    for cw in &cws {
        b2 += template.render(cw).expect("render").len();
    }
    let secs_render = t2.elapsed().as_secs_f64();
    println!(
        "render: {n} copies, {:.1} MB/s with codeword derivation ({:.0} copies/s), {:.1} MB/s rendering alone",
        bytes as f64 / secs / 1e6,
        n as f64 / secs,
        b2 as f64 / secs_render / 1e6
    );

    // Trace: a 1,000-word article: 300 quoted words of a copy inside 700 words of other prose.
    let recipients: Vec<String> = (0..10_000).map(|i| format!("r-{i:05}")).collect();
    let leaker = &recipients[4321];
    let copy = template.render(&cb.codeword(leaker)).expect("render");
    let quote = sim::house_style(&copy[sim::word_window(&copy, 400, 300)]);
    let filler = "The committee heard evidence from regional officials about transport, housing and the cost of living in the north. ";
    let other: String = filler.repeat(700 / 19 + 1);
    let article = format!(
        "{}\"{quote}\" {}",
        &other[..other.len() / 2],
        &other[other.len() / 2..]
    );
    let words = telltale_core::text::tokenize(&article)
        .iter()
        .filter(|t| t.is_word())
        .count();
    let mut loc = Locator::new();
    loc.add(&template);
    let runs = 5;
    let mut best = f64::MAX;
    let mut result = None;
    for _ in 0..runs {
        let t3 = Instant::now();
        let traces = loc.trace(&[&template], &article).expect("trace");
        let obs = traces
            .first()
            .map(|t| t.observations.clone())
            .unwrap_or_default();
        let acc = accuse(
            &[DocumentEvidence {
                codebook: &cb,
                observations: &obs,
                recipients: &recipients,
            }],
            AccuseParams::default(),
        );
        best = best.min(t3.elapsed().as_secs_f64());
        result = Some((obs.len(), acc));
    }
    let (observed, acc) = result.expect("ran");
    println!(
        "trace: {words}-word article (300 quoted words, house style), 1 document, {} recipients: {:.0} ms (best of {runs}); {observed} slots observed; accused {:?}",
        recipients.len(),
        best * 1000.0,
        acc.accused
    );
}

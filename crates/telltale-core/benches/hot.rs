//! Micro-benchmarks of the hot paths: rendering a copy, aligning a leak,
//! scoring recipients. `cargo bench -p telltale-core`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use telltale_core::gate::NoGate;
use telltale_core::{
    accuse, sample, sim, AccuseParams, CodeParams, Codebook, DocumentEvidence, Locator, RuleSet,
    SecretKey,
};

fn hot(c: &mut Criterion) {
    let t = RuleSet::default()
        .build(sample::MEMO, &mut NoGate)
        .expect("template");
    let key = SecretKey::from_bytes([1; 32]);
    let cb = Codebook::new(&key, "bench", &t, CodeParams::default()).expect("codebook");
    let cw = cb.codeword("r-0042");
    c.bench_function("render memo copy (codeword given)", |b| {
        b.iter(|| black_box(t.render(black_box(&cw)).unwrap()))
    });
    c.bench_function("derive codeword", |b| {
        b.iter(|| black_box(cb.codeword(black_box("r-0042"))))
    });

    let copy = t.render(&cw).unwrap();
    let quote = sim::house_style(&copy[sim::word_window(&copy, 300, 200)]);
    let article =
        format!("Officials declined to comment. \"{quote}\" The ministry will respond next week.");
    let mut loc = Locator::new();
    loc.add(&t);
    c.bench_function("locate and align a 200-word retyped quote", |b| {
        b.iter(|| black_box(loc.trace(&[&t], black_box(&article)).unwrap()))
    });

    let pasted = copy[sim::word_window(&copy, 300, 200)].to_string();
    let obs = loc.trace(&[&t], &pasted).unwrap()[0].observations.clone();
    let rs: Vec<String> = (0..1000).map(|i| format!("r-{i:04}")).collect();
    c.bench_function("score 1,000 recipients on a 200-word pasted quote", |b| {
        b.iter(|| {
            black_box(accuse(
                &[DocumentEvidence {
                    codebook: &cb,
                    observations: &obs,
                    recipients: &rs,
                }],
                AccuseParams::default(),
            ))
        })
    });
}

criterion_group!(benches, hot);
criterion_main!(benches);

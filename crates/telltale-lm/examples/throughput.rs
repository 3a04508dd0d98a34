//! How fast the vendored model scores text and how much memory it holds:
//! `cargo run --release -p telltale-lm --example throughput -- [FILE]`
//! (default: the sample memo), one sentence per line of output figures.

use std::time::Instant;

use telltale_lm::LanguageModel;

/// Resident and peak resident memory of this process, in MB (Linux).
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
            / 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let text = match std::env::args().nth(1) {
        Some(p) => std::fs::read_to_string(p)?,
        None => telltale_core::sample::MEMO.to_string(),
    };
    let t = Instant::now();
    let lm = LanguageModel::vendored()?;
    let (rss, peak) = memory();
    println!(
        "load: {:.2} s, resident {rss} MB, peak {peak} MB",
        t.elapsed().as_secs_f64()
    );
    let mut sentences: Vec<&str> = text
        .split_inclusive(['.', '?', '!'])
        .map(str::trim)
        .filter(|s| s.len() > 20)
        .collect();
    sentences.sort_by_key(|s| s.len());
    let t = Instant::now();
    let scored = lm.score(&sentences)?;
    let secs = t.elapsed().as_secs_f64();
    let tokens: usize = scored.iter().map(Vec::len).sum();
    let (rss, peak) = memory();
    println!(
        "scored {} sentences, {tokens} tokens in {secs:.2} s: {:.0} tokens/s; resident {rss} MB, peak {peak} MB",
        sentences.len(),
        tokens as f64 / secs
    );
    Ok(())
}

//! Judging the "worth an alternative" ranking against news editors.
//!
//! `write_items` numbers the sentences of some documents the ranking was
//! never tuned on, exactly as the ranking sees them, and writes them for
//! reviewers acting as news editors (no scores, no cues) with the ranking
//! kept apart in `key.json`. Each editor names the three sentences per
//! document they would quote. `score` then reports how often the ranking's
//! top three are among an editor's picks, against the rate a random
//! choice of three would reach.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::json;
use telltale_core::gate::NoGate;
use telltale_core::{quotable, RuleSet};

/// Write `items.md` and `key.json` for the documents in `docs` into `out`.
pub fn write_items(docs: &[std::path::PathBuf], out: &Path) -> Result<usize> {
    std::fs::create_dir_all(out)?;
    let mut md = String::from(
        "# Which sentences would you quote?\n\nFor each document below, name the three sentences a news story \
         about it would most likely quote, by their numbers.\n",
    );
    let mut key = Vec::new();
    for path in docs {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let t = RuleSet::default().build(&text, &mut NoGate)?;
        let ranked = quotable::rank(&t);
        let mut by_text: Vec<&quotable::Quotable> = ranked.iter().collect();
        by_text.sort_by_key(|q| q.start);
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        md.push_str(&format!("\n## {name}\n\n"));
        for (n, q) in by_text.iter().enumerate() {
            md.push_str(&format!(
                "{}. {}\n",
                n + 1,
                text[q.range()].replace('\n', " ")
            ));
        }
        // The ranking by quote appeal alone (what an editor judges), and
        // by the score that also weighs the evidence already there.
        let number = |q: &quotable::Quotable| {
            by_text
                .iter()
                .position(|x| x.start == q.start)
                .map(|p| p + 1)
        };
        let mut by_appeal = ranked.clone();
        by_appeal.sort_by(|a, b| b.appeal.total_cmp(&a.appeal).then(a.start.cmp(&b.start)));
        key.push(json!({
            "document": name,
            "sentences": by_text.len(),
            "by_appeal": by_appeal.iter().filter_map(number).collect::<Vec<_>>(),
            "by_score": ranked.iter().filter_map(number).collect::<Vec<_>>(),
        }));
    }
    std::fs::write(out.join("items.md"), md)?;
    std::fs::write(
        out.join("key.json"),
        serde_json::to_string_pretty(&key)? + "\n",
    )?;
    Ok(key.len())
}

/// Score the editors' picks (`picks-*.tsv`: document, then three sentence
/// numbers, tab-separated) against `key.json` in `dir`. Returns a Markdown
/// summary.
pub fn score(dir: &Path) -> Result<String> {
    let key: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("key.json"))?)?;
    let mut rows = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("picks-"))
        })
        .collect();
    files.sort();
    for f in &files {
        for line in std::fs::read_to_string(f)?.lines().skip(1) {
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() < 4 {
                continue;
            }
            let picks: Vec<usize> = cols[1..4]
                .iter()
                .filter_map(|c| c.trim().parse().ok())
                .collect();
            rows.push((cols[0].trim().to_string(), picks));
        }
    }
    let (mut hits, mut hits_score, mut total, mut chance) = (0usize, 0usize, 0usize, 0.0f64);
    for (doc, picks) in &rows {
        let Some(k) = key.iter().find(|k| k["document"] == doc.as_str()) else {
            continue;
        };
        let top = |field: &str| -> Vec<usize> {
            k[field]
                .as_array()
                .into_iter()
                .flatten()
                .take(3)
                .filter_map(|v| v.as_u64())
                .map(|v| v as usize)
                .collect()
        };
        let (a, s) = (top("by_appeal"), top("by_score"));
        let n = k["sentences"].as_u64().unwrap_or(1).max(1) as f64;
        for p in picks {
            total += 1;
            hits += usize::from(a.contains(p));
            hits_score += usize::from(s.contains(p));
            chance += (3.0 / n).min(1.0);
        }
    }
    let pct = |x: f64| 100.0 * x / (total.max(1) as f64);
    Ok(format!(
        "{} editor picks over {} documents from {} editors: the ranking's top three by quote appeal hold {:.0}% of them \
         ({hits}); by the score that also weighs the evidence already there, {:.0}% ({hits_score}); three sentences \
         chosen at random would hold {:.0}%.\n",
        total,
        key.len(),
        files.len(),
        pct(hits as f64),
        pct(hits_score as f64),
        pct(chance),
    ))
}

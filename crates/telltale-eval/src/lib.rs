//! The evaluation harness: every claim telltale makes, measured on real
//! prose the project did not write (US State of the Union addresses, public
//! domain; see `corpus/SOURCES.md`), and written up as a Markdown report with
//! plots.
//!
//! Sections: capacity (slots and bits per 100 words by layer and class), a
//! naturalness sample for blind review, attribution power (quote length at
//! which the true leaker is accused, per attack and number of recipients),
//! collusion (against document length, beside the Tardos bounds),
//! calibration (empirical against nominal false-accusation rates), and speed.
//! Quick mode runs the same code on less data, for CI.

// A library answers bad input with an error, never a panic.
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod attribution;
pub mod author_check;
pub mod fluency_fit;
pub mod plot;
pub mod quotable_check;
pub mod sections;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use telltale_core::author::AuthorSlot;
use telltale_core::fluency::{FluencyGate, FluencyModel};
use telltale_core::gate::{Both, HarperGates};
use telltale_core::rules::{detect_variety, RuleSet};
use telltale_core::Template;
use telltale_lm::LanguageModel;

/// How much to run.
#[derive(Debug, Clone)]
pub struct Config {
    pub quick: bool,
    pub out: PathBuf,
    pub corpus: PathBuf,
    /// Style profile the corpus templates are built with (the report is
    /// always written for the default; the capacity table may ask for others).
    pub profile: telltale_core::Profile,
    /// At most this many documents, spread evenly over the corpus (quick
    /// mode takes 12).
    pub max_docs: Option<usize>,
    /// Judge alternatives with the language model after the grammar
    /// checker, as registration does (false: the grammar checker alone,
    /// for measuring what the model removes).
    pub language_model: bool,
}

impl Config {
    pub fn default_corpus() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/docs")
    }
}

/// A corpus document and its template.
pub struct Doc {
    pub name: String,
    pub template: Template,
    pub words: usize,
}

/// Builds corpus templates as registration does: the grammar checker for
/// the text's variety, then (unless asked not to) the language model.
pub struct Builder {
    profile: telltale_core::Profile,
    gates: HarperGates,
    fluency: Option<FluencyGate<LanguageModel>>,
}

impl Builder {
    pub fn new(cfg: &Config) -> Result<Builder> {
        let fluency = if cfg.language_model {
            Some(FluencyGate::new(
                LanguageModel::vendored()?,
                FluencyModel::builtin().map_err(anyhow::Error::msg)?,
            ))
        } else {
            None
        };
        Ok(Builder {
            profile: cfg.profile,
            gates: HarperGates::default(),
            fluency,
        })
    }

    /// The template of `text`, with the author's slots in it.
    pub fn build(&mut self, name: String, text: &str, author: Vec<AuthorSlot>) -> Result<Doc> {
        let rules = RuleSet {
            variety: None, // the engine detects it, and how clearly
            profile: self.profile,
            author,
            ..RuleSet::default()
        };
        let harper = self.gates.get(detect_variety(text));
        let template = match self.fluency.as_mut() {
            Some(lm) => rules.build(text, &mut Both(harper, lm)),
            None => rules.build(text, harper),
        }?;
        let words = template.word_count();
        Ok(Doc {
            name,
            template,
            words,
        })
    }
}

/// Load and build templates for the corpus (a subset in quick mode).
pub fn prepare(cfg: &Config) -> Result<(Vec<Doc>, f64)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(&cfg.corpus)
        .with_context(|| format!("reading the corpus in {}", cfg.corpus.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("no .txt documents in {}", cfg.corpus.display());
    }
    if let Some(n) = cfg.max_docs.or(cfg.quick.then_some(12)) {
        // An even spread over the corpus (over the years, for the speeches).
        let step = (files.len() / n.max(1)).max(1);
        files = files.into_iter().step_by(step).take(n).collect();
    }
    let mut builder = Builder::new(cfg)?;
    let mut docs = Vec::new();
    let t0 = Instant::now();
    let mut total_words = 0usize;
    for f in files {
        let text =
            std::fs::read_to_string(&f).with_context(|| format!("reading {}", f.display()))?;
        let name = f
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let doc = builder
            .build(name, &text, Vec::new())
            .with_context(|| format!("building {}", f.display()))?;
        total_words += doc.words;
        docs.push(doc);
    }
    let words_per_sec = total_words as f64 / t0.elapsed().as_secs_f64();
    Ok((docs, words_per_sec))
}

/// A path as the report shows it: relative to the workspace when inside
/// it, so that a report does not carry the machine's directories.
fn shown_path(p: &Path) -> String {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    match p.strip_prefix(crate_dir) {
        Ok(rel) => Path::new("crates/telltale-eval")
            .join(rel)
            .display()
            .to_string(),
        Err(_) => p.display().to_string(),
    }
}

/// Before/after figures against a saved earlier run (`baseline.json` in the
/// output folder: the `results.json` of the rules before a change).
fn headline(baseline: &Path, now: &serde_json::Value) -> Option<String> {
    let before: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(baseline).ok()?).ok()?;
    let bits = |v: &serde_json::Value| v["capacity"]["retype_robust_bits_per_100"].as_f64();
    let l90 = |v: &serde_json::Value, attack: &str| -> String {
        v["attribution"]["results"]
            .as_array()
            .and_then(|rs| {
                rs.iter()
                    .find(|r| r["recipients"] == 1000 && r["attack"] == attack)
            })
            .and_then(|r| r["l90"].as_str().map(str::to_string))
            .unwrap_or_else(|| "–".into())
    };
    let mut md = String::from(
        "## Headline: before and after\n\n`baseline.json` holds the results of the earlier rules; the right-hand column is this run. \
         Quote lengths are the words at which exactly the true leaker is accused in 90% of trials, N = 1,000 recipients, \
         false-accusation bound 1e-3.\n\n| measure | before | now |\n|---|---|---|\n",
    );
    md.push_str(&format!(
        "| retype-robust bits / 100 words | {:.2} | {:.2} |\n",
        bits(&before).unwrap_or(f64::NAN),
        bits(now).unwrap_or(f64::NAN)
    ));
    for attack in [
        "verbatim (pasted)",
        "house style (retyped)",
        "OCR noise 1%",
        "light edits",
        "short fragments",
    ] {
        md.push_str(&format!(
            "| {attack}: words for 90% | {} | {} |\n",
            l90(&before, attack),
            l90(now, attack)
        ));
    }
    md.push('\n');
    Some(md)
}

/// Only a naturalness sample, drawn with `seed`, written into `cfg.out`.
pub fn run_sample(cfg: &Config, seed: &str, only: Option<telltale_core::Class>) -> Result<PathBuf> {
    std::fs::create_dir_all(&cfg.out).with_context(|| format!("creating {}", cfg.out.display()))?;
    let (docs, _) = prepare(cfg)?;
    sections::naturalness_seeded(cfg, &docs, seed, only)?;
    Ok(cfg.out.join("naturalness-sample.json"))
}

/// Only the capacity section, as Markdown.
pub fn run_capacity(cfg: &Config) -> Result<String> {
    let (docs, _) = prepare(cfg)?;
    Ok(sections::capacity(cfg, &docs)?.0)
}

/// Run every section and write the report. Returns the report's path.
pub fn run_all(cfg: &Config) -> Result<PathBuf> {
    std::fs::create_dir_all(&cfg.out).with_context(|| format!("creating {}", cfg.out.display()))?;
    let started = Instant::now();
    let (docs, build_speed) = prepare(cfg)?;
    let mut md = String::new();
    let words: usize = docs.iter().map(|d| d.words).sum();
    md.push_str(&format!(
        "# telltale evaluation report\n\nMode: **{}**. Corpus: {} documents, {} words from `{}` \
         (sources and licences in the `SOURCES.md` beside it). Alternatives judged by {}. Reproduce with \
         `cargo run --release -p telltale-eval -- all{}{}{}{}`.\n\n",
        if cfg.quick { "quick" } else { "full" },
        docs.len(),
        words,
        shown_path(&cfg.corpus),
        if cfg.language_model {
            "the grammar checker and the language model"
        } else {
            "the grammar checker alone"
        },
        if cfg.quick { " --quick" } else { "" },
        if cfg.corpus == Config::default_corpus() {
            String::new()
        } else {
            format!(" --corpus {}", shown_path(&cfg.corpus))
        },
        cfg.max_docs
            .map_or(String::new(), |n| format!(" --max-docs {n}")),
        if cfg.language_model { "" } else { " --grammar-only" },
    ));
    let mut json = serde_json::Map::new();
    type Section = Box<dyn Fn(&Config, &[Doc]) -> Result<(String, serde_json::Value)>>;
    let sections: Vec<(&str, Section)> = vec![
        ("capacity", Box::new(sections::capacity)),
        ("naturalness", Box::new(sections::naturalness)),
        ("attribution", Box::new(attribution::attribution)),
        ("collusion", Box::new(sections::collusion)),
        ("calibration", Box::new(sections::calibration)),
        (
            "speed",
            Box::new(move |c: &Config, d: &[Doc]| sections::speed(c, d, build_speed)),
        ),
    ];
    for (name, f) in sections {
        let t = Instant::now();
        let (text, value) = f(cfg, &docs).with_context(|| format!("section {name}"))?;
        md.push_str(&text);
        md.push('\n');
        json.insert(name.to_string(), value);
        eprintln!("{name}: {:.1} s", t.elapsed().as_secs_f64());
    }
    let results = serde_json::Value::Object(json.clone());
    if let Some(headline) = headline(&cfg.out.join("baseline.json"), &results) {
        // The headline goes right after the title paragraph.
        let at = md.find("\n\n## ").map_or(md.len(), |i| i + 2);
        md.insert_str(at, &headline);
    }
    md.push_str(&format!(
        "\nTotal run time: {:.0} s; peak memory {}.\n",
        started.elapsed().as_secs_f64(),
        sections::peak_memory()
    ));
    let report = cfg.out.join("report.md");
    std::fs::write(&report, md)?;
    std::fs::write(
        cfg.out.join("results.json"),
        serde_json::to_string_pretty(&serde_json::Value::Object(json))?,
    )?;
    Ok(report)
}

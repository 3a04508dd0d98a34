//! What author-written alternatives buy against retyped quotes.
//!
//! The corpus's author slots (`corpus-official/author-alternatives.tsv`:
//! written by independent writers acting as the documents' authors, at most
//! one per 100 words, and judged blind) are added to the documents they
//! belong to, and every document is built twice, as registration builds
//! it: without them and with the alternatives that passed review. Both sets
//! then face the same simulated leaks (the same documents, leakers and
//! quote positions, drawn from one seed) among 1,000 recipients, retyped
//! in a newspaper's house style. Measured: the quote length at which
//! exactly the leaker is accused in 90% of trials, and the median size of
//! what an investigator is left with at 60, 100 and 150 words: one name
//! when the leaker is accused, the shortlist otherwise, everyone when
//! there is neither.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use telltale_core::author::AuthorSlot;
use telltale_core::sim::SimRng;
use telltale_core::{AccuseParams, CodeParams, Codebook, Layer};

use crate::attribution::{attribution_rate, make_leak, Attack, Registered};
use crate::sections::{key, recipients, single_locators, trace_one};
use crate::{Builder, Config, Doc};

/// One row of the alternatives file.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorRow {
    pub doc: String,
    pub phrase: String,
    /// Which occurrence of the phrase (1 = the first).
    pub nth: usize,
    /// The alternatives that passed blind review.
    pub passed: Vec<String>,
    /// How many alternatives the row offers in all.
    pub written: usize,
}

/// Read the alternatives file: `#` comments, a header, then
/// `doc phrase nth alt1 alt2 review`, tab-separated.
pub fn read_rows(path: &Path) -> Result<Vec<AuthorRow>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut rows = Vec::new();
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty());
    match lines.next() {
        Some((_, "doc\tphrase\tnth\talt1\talt2\treview")) => {}
        _ => bail!(
            "{}: the header must be doc, phrase, nth, alt1, alt2, review",
            path.display()
        ),
    }
    for (i, l) in lines {
        let f: Vec<&str> = l.split('\t').collect();
        let [doc, phrase, nth, alt1, alt2, review] = f[..] else {
            bail!(
                "{} line {}: six tab-separated fields expected",
                path.display(),
                i + 1
            );
        };
        let nth: usize = nth.parse().ok().filter(|&n| n >= 1).with_context(|| {
            format!(
                "{} line {}: nth is not a number from 1",
                path.display(),
                i + 1
            )
        })?;
        let alts: Vec<&str> = [alt1, alt2].into_iter().filter(|a| !a.is_empty()).collect();
        let verdicts: Vec<&str> = review.split(',').collect();
        if verdicts.len() != alts.len() || verdicts.iter().any(|v| !matches!(*v, "pass" | "fail")) {
            bail!(
                "{} line {}: review must give pass or fail for each alternative",
                path.display(),
                i + 1
            );
        }
        rows.push(AuthorRow {
            doc: doc.to_string(),
            phrase: phrase.to_string(),
            nth,
            passed: alts
                .iter()
                .zip(&verdicts)
                .filter(|(_, v)| **v == "pass")
                .map(|(a, _)| a.to_string())
                .collect(),
            written: alts.len(),
        });
    }
    Ok(rows)
}

/// The author slots of one document's rows, in text order; an error when a
/// phrase is not in the text or two slots overlap.
pub fn slots_in(text: &str, rows: &[&AuthorRow]) -> Result<Vec<AuthorSlot>> {
    let mut slots = Vec::new();
    for r in rows.iter().filter(|r| !r.passed.is_empty()) {
        let found = r
            .nth
            .checked_sub(1)
            .and_then(|k| text.match_indices(&r.phrase).nth(k));
        let Some((start, _)) = found else {
            bail!(
                "{}: \"{}\" does not occur {} time(s)",
                r.doc,
                r.phrase,
                r.nth
            );
        };
        let mut forms = vec![r.phrase.clone()];
        forms.extend(r.passed.iter().cloned());
        slots.push(AuthorSlot {
            start,
            end: start + r.phrase.len(),
            forms,
            passed: Vec::new(),
        });
    }
    slots.sort_by_key(|s| s.start);
    if let Some(w) = slots.windows(2).find(|w| w[0].end > w[1].start) {
        bail!(
            "author slots overlap: \"{}\" and \"{}\"",
            w[0].forms[0],
            w[1].forms[0]
        );
    }
    Ok(slots)
}

/// What an investigator is left with after one leak, by quote length.
#[derive(Debug, Default)]
struct Narrowing {
    trials: usize,
    accused: usize,
    /// Trials with a shortlist, and how many held the leaker.
    shortlists: usize,
    held: usize,
    /// Per trial: 1 when the leaker alone is accused, the shortlist's size,
    /// or everyone.
    sizes: Vec<usize>,
}

impl Narrowing {
    fn median(&mut self) -> usize {
        self.sizes.sort_unstable();
        self.sizes.get(self.sizes.len() / 2).copied().unwrap_or(0)
    }
}

fn narrowing(
    reg: &Registered,
    rs: &[String],
    words: usize,
    trials: usize,
    seed: &str,
) -> Narrowing {
    let mut rng = SimRng::new(seed);
    let eligible: Vec<usize> = (0..reg.docs.len())
        .filter(|&i| reg.docs[i].words >= words + 5)
        .collect();
    let mut n = Narrowing::default();
    if eligible.is_empty() {
        return n;
    }
    for _ in 0..trials {
        let di = eligible[rng.below(eligible.len())];
        let d = &reg.docs[di];
        let who = &rs[rng.below(rs.len())];
        let copy = d
            .template
            .render(&reg.cbs[di].codeword(who))
            .unwrap_or_default();
        let leak = make_leak(&copy, d.words, words, Attack::HouseStyle, &mut rng);
        let acc = trace_one(
            &reg.locators[di],
            &d.template,
            &reg.cbs[di],
            rs,
            &leak,
            AccuseParams::default(),
        );
        n.trials += 1;
        let size = if acc.accused.len() == 1 && &acc.accused[0] == who {
            n.accused += 1;
            1
        } else if let Some(s) = &acc.shortlist {
            n.shortlists += 1;
            n.held += usize::from(s.recipients.contains(who));
            s.recipients.len()
        } else {
            rs.len()
        };
        n.sizes.push(size);
    }
    n
}

/// Visible slots and their bits (log2 of the alphabet) in a set of docs.
fn visible_bits(docs: &[Doc]) -> (usize, f64) {
    docs.iter()
        .flat_map(|d| &d.template.slots)
        .filter(|s| s.layer() != Layer::Invisible)
        .fold((0, 0.0), |(n, b), s| (n + 1, b + f64::from(s.q).log2()))
}

/// Where the alternatives and the corpus are, and how much to run.
pub struct AuthorEval {
    pub alternatives: PathBuf,
    pub corpus: PathBuf,
    pub quick: bool,
    pub language_model: bool,
}

impl AuthorEval {
    pub fn default_alternatives() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus-official/author-alternatives.tsv")
    }
}

/// Run the evaluation; its report in Markdown and its numbers.
pub fn run(e: &AuthorEval) -> Result<(String, Value)> {
    let rows = read_rows(&e.alternatives)?;
    let mut names: Vec<&str> = rows.iter().map(|r| r.doc.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let cfg = Config {
        quick: e.quick,
        out: PathBuf::new(),
        corpus: e.corpus.clone(),
        profile: telltale_core::Profile::default(),
        max_docs: None,
        language_model: e.language_model,
    };
    let mut builder = Builder::new(&cfg)?;
    let (mut plain, mut authored) = (Vec::new(), Vec::new());
    for name in &names {
        let path = e.corpus.join(name);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let mine: Vec<&AuthorRow> = rows.iter().filter(|r| r.doc == *name).collect();
        let slots = slots_in(&text, &mine)?;
        let stem = name.trim_end_matches(".txt").to_string();
        plain.push(builder.build(stem.clone(), &text, Vec::new())?);
        authored.push(builder.build(stem, &text, slots)?);
        eprintln!("built {name} ({} of {})", plain.len(), names.len());
    }
    let words: usize = plain.iter().map(|d| d.words).sum();
    let author_slots: usize = authored
        .iter()
        .map(|d| {
            d.template
                .slots
                .iter()
                .filter(|s| s.class == telltale_core::Class::AuthorAlternative)
                .count()
        })
        .sum();
    let (plain_slots, plain_bits) = visible_bits(&plain);
    let (authored_slots, authored_bits) = visible_bits(&authored);

    let rs = recipients(1000);
    let k = key(1);
    let lengths: &[usize] = if e.quick {
        &[60, 150, 300, 600]
    } else {
        &[
            40, 60, 80, 100, 120, 150, 200, 250, 300, 400, 500, 600, 800, 1000,
        ]
    };
    let trials = if e.quick { 20 } else { 100 };
    let mut md = String::from("# Author alternatives against retyped quotes\n\n");
    let _ = writeln!(
        md,
        "{} documents of the held-apart official corpus (the Factbook pieces, {words} words) with {} author slots ({} alternatives written, {} passed blind review); N = 1,000 recipients; quotes retyped in a newspaper's house style inside other prose; threshold 1e-3. Both columns face the same leaks (documents, leakers and positions drawn from one seed).\n",
        names.len(),
        author_slots,
        rows.iter().map(|r| r.written).sum::<usize>(),
        rows.iter().map(|r| r.passed.len()).sum::<usize>(),
    );
    let _ = writeln!(
        md,
        "Visible variation: {plain_slots} slots, {:.2} bits per 100 words without the author's; {authored_slots} slots, {:.2} bits per 100 words with them.\n",
        100.0 * plain_bits / words.max(1) as f64,
        100.0 * authored_bits / words.max(1) as f64
    );
    let mut out = json!({"documents": names.len(), "words": words, "author_slots": author_slots,
        "bits_per_100_words": {"without": 100.0 * plain_bits / words.max(1) as f64, "with": 100.0 * authored_bits / words.max(1) as f64}});
    md.push_str("## Exact attribution by quote length\n\n| quoted words | documents that long | without author alternatives | with them |\n|---|---|---|---|\n");
    let mut curves = json!({});
    for (label, docs) in [("without", &plain), ("with", &authored)] {
        let locators = single_locators(docs);
        let cbs: Vec<Codebook> = docs
            .iter()
            .map(|d| Codebook::new(&k, &d.name, &d.template, CodeParams::default()))
            .collect::<Result<_, _>>()?;
        let reg = Registered {
            docs,
            locators: &locators,
            cbs: &cbs,
        };
        let mut curve = Vec::new();
        let mut innocents = 0;
        for &l in lengths {
            let (rate, inn, _) = attribution_rate(
                &reg,
                &rs,
                l,
                Attack::HouseStyle,
                trials,
                &format!("author-{l}"),
            );
            if rate.is_nan() {
                break;
            }
            innocents += inn;
            curve.push((l, rate));
        }
        let mut narrow = Vec::new();
        for l in [60usize, 100, 150] {
            let mut n = narrowing(
                &reg,
                &rs,
                l,
                if e.quick { 20 } else { 200 },
                &format!("author-narrow-{l}"),
            );
            let median = n.median();
            narrow.push(json!({"words": l, "trials": n.trials, "accused": n.accused, "shortlists": n.shortlists,
                "leaker_in_shortlist": n.held, "median_left": median}));
        }
        curves[label] =
            json!({"curve": curve, "innocents_accused": innocents, "narrowing": narrow});
    }
    let rate = |label: &str, i: usize| curves[label]["curve"][i][1].as_f64().unwrap_or(f64::NAN);
    let tried = curves["without"]["curve"].as_array().map_or(0, Vec::len);
    for i in 0..tried {
        let l = curves["without"]["curve"][i][0].as_u64().unwrap_or(0);
        let long_enough = plain.iter().filter(|d| d.words as u64 >= l + 5).count();
        let _ = writeln!(
            md,
            "| {l} | {long_enough} | {:.0}% | {:.0}% |",
            100.0 * rate("without", i),
            100.0 * rate("with", i)
        );
    }
    let l90 = |label: &str| -> String {
        let c = curves[label]["curve"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        c.iter()
            .find(|p| p[1].as_f64().unwrap_or(0.0) >= 0.9)
            .map_or_else(
                || format!(">{}", c.last().map_or(0, |p| p[0].as_u64().unwrap_or(0))),
                |p| p[0].to_string(),
            )
    };
    let _ = writeln!(
        md,
        "\nQuote length for 90% exact attribution: **{}** words without author alternatives, **{}** with them (the longest quote tried is the longest a document allows). Innocent recipients accused: {} without, {} with.\n",
        l90("without"),
        l90("with"),
        curves["without"]["innocents_accused"],
        curves["with"]["innocents_accused"]
    );
    md.push_str("## What a short quote leaves the investigator\n\nMedian number of recipients left: 1 when exactly the leaker is accused, the shortlist's size when nobody is (the smallest set holding the source with 99% probability, a lead and never an accusation), all 1,000 when there is neither.\n\n| quoted words | without: median left | leaker accused | leaker in shortlist | with: median left | leaker accused | leaker in shortlist |\n|---|---|---|---|---|---|---|\n");
    for i in 0..3 {
        let cell = |label: &str| {
            let n = &curves[label]["narrowing"][i];
            format!(
                "{} | {} of {} | {} of {}",
                n["median_left"],
                n["accused"],
                n["trials"],
                n["leaker_in_shortlist"],
                n["shortlists"]
            )
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} |",
            curves["without"]["narrowing"][i]["words"],
            cell("without"),
            cell("with")
        );
    }
    out["l90"] = json!({"without": l90("without"), "with": l90("with")});
    out["runs"] = curves;
    Ok((md, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corpus_alternatives_read_and_fit_their_documents() {
        let rows = read_rows(&AuthorEval::default_alternatives()).unwrap();
        assert!(rows.len() >= 90, "{}", rows.len());
        let corpus = Config::default_corpus().join("../../corpus-official/docs");
        let mut names: Vec<&str> = rows.iter().map(|r| r.doc.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        for name in names {
            let text = std::fs::read_to_string(corpus.join(name)).unwrap();
            let mine: Vec<&AuthorRow> = rows.iter().filter(|r| r.doc == name).collect();
            let slots = slots_in(&text, &mine).unwrap();
            // At most one author slot per 100 words.
            let words = text.split_whitespace().count();
            assert!(
                slots.len() <= words / 100,
                "{name}: {} slots in {words} words",
                slots.len()
            );
            for s in &slots {
                assert!(s.fits(&text), "{name}: {:?}", s.forms);
                assert!((2..=3).contains(&s.forms.len()), "{name}: {:?}", s.forms);
            }
        }
    }

    #[test]
    fn rows_that_do_not_fit_are_refused() {
        let row = |phrase: &str, nth: usize| AuthorRow {
            doc: "d".into(),
            phrase: phrase.into(),
            nth,
            passed: vec!["x".into()],
            written: 1,
        };
        let text = "one two one two";
        assert!(slots_in(text, &[&row("three", 1)]).is_err());
        assert!(slots_in(text, &[&row("one", 3)]).is_err());
        assert_eq!(slots_in(text, &[&row("one", 2)]).unwrap()[0].start, 8);
        assert!(slots_in(text, &[&row("one two", 1), &row("two", 1)]).is_err());
    }
}

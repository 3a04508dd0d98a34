//! Attribution power: the quote length at which exactly the true leaker is
//! accused, per attack and number of recipients. The leak builder and the
//! trial loop are shared with the author-alternatives evaluation
//! (`author_check`), so both measure the same thing.

use std::fmt::Write as _;

use anyhow::Result;
use serde_json::{json, Value};
use telltale_core::sim::{self, SimRng};
use telltale_core::{AccuseParams, CodeParams, Codebook, Locator};

use crate::plot::{self, Series};
use crate::sections::{key, recipients, single_locators, trace_one};
use crate::{Config, Doc};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Attack {
    Verbatim,
    HouseStyle,
    Ocr1,
    Ocr3,
    LightEdits,
    Fragments,
}

impl Attack {
    const ALL: [Attack; 6] = [
        Attack::Verbatim,
        Attack::HouseStyle,
        Attack::Ocr1,
        Attack::Ocr3,
        Attack::LightEdits,
        Attack::Fragments,
    ];
    pub(crate) fn name(self) -> &'static str {
        match self {
            Attack::Verbatim => "verbatim (pasted)",
            Attack::HouseStyle => "house style (retyped)",
            Attack::Ocr1 => "OCR noise 1%",
            Attack::Ocr3 => "OCR noise 3%",
            Attack::LightEdits => "light edits",
            Attack::Fragments => "short fragments",
        }
    }
}

pub(crate) const FILLER: &str = "Officials declined to comment on the record. The committee will meet again next month to consider the matter, a spokesperson said. ";

/// Build a leak of about `words` quoted words of `copy` under `attack`.
pub(crate) fn make_leak(
    copy: &str,
    doc_words: usize,
    words: usize,
    attack: Attack,
    rng: &mut SimRng,
) -> String {
    let quote = |start: usize, n: usize| copy[sim::word_window(copy, start, n)].to_string();
    let start = rng.below(doc_words.saturating_sub(words).max(1));
    let body = match attack {
        Attack::Verbatim => quote(start, words),
        Attack::HouseStyle => sim::house_style(&quote(start, words)),
        Attack::Ocr1 => sim::ocr_noise(&sim::house_style(&quote(start, words)), 0.01, rng),
        Attack::Ocr3 => sim::ocr_noise(&sim::house_style(&quote(start, words)), 0.03, rng),
        Attack::LightEdits => sim::light_edits(&sim::house_style(&quote(start, words)), 20, rng),
        Attack::Fragments => {
            let mut parts = Vec::new();
            let mut total = 0;
            while total < words {
                let n = (10 + rng.below(16)).min(words - total).max(1);
                let s = rng.below(doc_words.saturating_sub(n).max(1));
                parts.push(format!("\"{}\"", sim::house_style(&quote(s, n))));
                total += n;
            }
            return format!(
                "{FILLER}{} {FILLER}",
                parts.join(" the memo says, and elsewhere: ")
            );
        }
    };
    format!("{FILLER}\"{body}\" {FILLER}")
}

/// Documents with the locator and codebook of each, by position.
pub(crate) struct Registered<'a> {
    pub(crate) docs: &'a [Doc],
    pub(crate) locators: &'a [Locator],
    pub(crate) cbs: &'a [Codebook],
}

/// Over `trials` leaks of `words` words under `attack`: the fraction in
/// which exactly the leaker is accused, the number of innocent recipients
/// accused over all trials, and the number of trials.
pub(crate) fn attribution_rate(
    reg: &Registered,
    rs: &[String],
    words: usize,
    attack: Attack,
    trials: usize,
    seed: &str,
) -> (f64, usize, usize) {
    let Registered {
        docs,
        locators,
        cbs,
    } = *reg;
    let mut rng = SimRng::new(seed);
    let eligible: Vec<usize> = (0..docs.len())
        .filter(|&i| docs[i].words >= words + 5)
        .collect();
    if eligible.is_empty() {
        return (f64::NAN, 0, 0);
    }
    let (mut ok, mut innocent) = (0usize, 0usize);
    for _ in 0..trials {
        let di = eligible[rng.below(eligible.len())];
        let d = &docs[di];
        let who = &rs[rng.below(rs.len())];
        let copy = d
            .template
            .render(&cbs[di].codeword(who))
            .unwrap_or_default();
        let leak = make_leak(&copy, d.words, words, attack, &mut rng);
        let acc = trace_one(
            &locators[di],
            &d.template,
            &cbs[di],
            rs,
            &leak,
            AccuseParams::default(),
        );
        ok += usize::from(acc.accused.len() == 1 && &acc.accused[0] == who);
        innocent += acc.accused.iter().filter(|a| *a != who).count();
    }
    (ok as f64 / trials as f64, innocent, trials)
}

pub fn attribution(cfg: &Config, docs: &[Doc]) -> Result<(String, Value)> {
    let lengths: Vec<usize> = if cfg.quick {
        vec![20, 80, 320]
    } else {
        vec![
            10, 15, 20, 30, 40, 60, 80, 120, 160, 240, 320, 480, 640, 960,
        ]
    };
    let ns: Vec<usize> = if cfg.quick {
        vec![100, 1000]
    } else {
        vec![100, 1000, 10_000]
    };
    let locators = single_locators(docs);
    let k = key(1);
    let cbs: Vec<Codebook> = docs
        .iter()
        .map(|d| Codebook::new(&k, &d.name, &d.template, CodeParams::default()))
        .collect::<Result<_, _>>()?;
    let registered = Registered {
        docs,
        locators: &locators,
        cbs: &cbs,
    };
    let mut md = String::from("## Attribution power\n\nQuote length (words) at which exactly the true leaker is accused (false-accusation bound ≤ 1e-3) in 50% / 90% / 99% of trials; “>L” means not reached by the longest length tried. The quote sits inside other prose; *pasted* keeps the copy's bytes, *retyped* attacks pass it through a newspaper house style first (quotes, dashes, spacing normalised, invisible characters gone).\n\n");
    let mut results = Vec::new();
    let mut innocents_total = 0usize;
    let mut trials_total = 0usize;
    let mut curves: Vec<Series> = Vec::new();
    md.push_str("| recipients | attack | 50% | 90% | 99% |\n|---|---|---|---|---|\n");
    for &n in &ns {
        let rs = recipients(n);
        let trials = if cfg.quick {
            12
        } else if n >= 10_000 {
            40
        } else {
            100
        };
        for attack in Attack::ALL {
            let mut curve = Vec::new();
            let mut high = 0;
            for &l in &lengths {
                let (rate, inn, t) = attribution_rate(
                    &registered,
                    &rs,
                    l,
                    attack,
                    trials,
                    &format!("attr-{n}-{attack:?}-{l}"),
                );
                innocents_total += inn;
                trials_total += t;
                if rate.is_nan() {
                    break;
                }
                curve.push((l as f64, rate));
                high = if rate >= 0.995 { high + 1 } else { 0 };
                if high >= 2 {
                    break; // longer quotes only do better
                }
            }
            let at = |p: f64| {
                curve.iter().find(|(_, r)| *r >= p).map_or(
                    format!(">{}", curve.last().map_or(0.0, |c| c.0)),
                    |(l, _)| format!("{l}"),
                )
            };
            let _ = writeln!(
                md,
                "| {n} | {} | {} | {} | {} |",
                attack.name(),
                at(0.5),
                at(0.9),
                at(0.99)
            );
            results.push(json!({"recipients": n, "attack": attack.name(), "l50": at(0.5), "l90": at(0.9), "l99": at(0.99), "curve": curve}));
            if n == 1000 {
                curves.push(Series {
                    name: attack.name().to_string(),
                    points: curve.iter().map(|(l, r)| (*l, r * 100.0)).collect(),
                });
            }
        }
    }
    let _ = writeln!(md, "\nInnocent recipients accused over all {trials_total} trials: **{innocents_total}** (the threshold allows up to {:.1} in expectation).\n", trials_total as f64 * 1e-3);
    plot::lines(
        &cfg.out.join("attribution.png"),
        "True leaker accused, N = 1,000, threshold 1e-3",
        "quoted words",
        "% of trials",
        &curves,
        true,
        false,
    )?;
    md.push_str("![attribution](attribution.png)\n");
    Ok((
        md,
        json!({"results": results, "innocents_accused": innocents_total, "trials": trials_total}),
    ))
}

//! Fitting and judging the fluency gate on the blind reviewers' verdicts.
//!
//! Every review round (`docs/evaluation/review/round-N`) holds 300
//! (original, variant) pairs with their rule class and three reviewers'
//! verdicts. The language model scores each pair once; a logistic
//! classifier over the features of `telltale_core::fluency` is fitted on
//! the earlier rounds and judged only on the later ones it never saw: ROC
//! AUC overall and per class, and, at the operating point chosen on the
//! fitting rounds, how many variants it keeps and how many of those the
//! reviewers passed.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;
use telltale_core::fluency::{self, Features, FluencyModel, TokenScorer, FLUENCY_GATE_VERSION};

/// One reviewed variant.
#[derive(Debug, Clone)]
pub struct ReviewItem {
    pub round: u32,
    pub class: String,
    pub original: String,
    pub variant: String,
    /// Judged as acceptable as the original and the same in meaning.
    pub passed: bool,
    /// How many reviewed items this one stands for when only a sample of
    /// the passed ones is scored (1 when all are).
    pub weight: f32,
}

/// Every reviewed item of every round under `root`, as
/// `scripts/score-review.py` judges them.
pub fn load_reviews(root: &Path) -> Result<Vec<ReviewItem>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root).with_context(|| format!("reading {}", root.display()))? {
        let dir = entry?.path();
        let Some(round) = dir
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("round-"))
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let key: BTreeMap<String, Value> =
            serde_json::from_str(&std::fs::read_to_string(dir.join("key.json"))?)?;
        let sample: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(
            dir.join("naturalness-sample.json"),
        )?)?;
        let pairs: HashMap<String, (String, String)> = sample
            .iter()
            .filter_map(|s| {
                Some((
                    s["id"].as_u64()?.to_string(),
                    (
                        s["original"].as_str()?.to_string(),
                        s["variant"].as_str()?.to_string(),
                    ),
                ))
            })
            .collect();
        let mut verdicts: HashMap<String, Vec<String>> = HashMap::new();
        for f in std::fs::read_dir(&dir)? {
            let f = f?.path();
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !(name.starts_with("verdicts-") && name.ends_with(".tsv")) {
                continue;
            }
            for line in std::fs::read_to_string(&f)?.lines().skip(1) {
                let cols: Vec<String> = line.split('\t').map(|c| c.trim().to_lowercase()).collect();
                if cols.len() >= 4 {
                    verdicts.insert(cols[0].clone(), cols);
                }
            }
        }
        for (id, k) in &key {
            let (Some(v), Some((original, variant))) = (verdicts.get(id), pairs.get(id)) else {
                continue;
            };
            let a_is_variant = k["A"].as_str() == Some("variant");
            let (variant_ok, original_ok) = if a_is_variant {
                (v[1] == "yes", v[2] == "yes")
            } else {
                (v[2] == "yes", v[1] == "yes")
            };
            let same = v[3] == "yes";
            out.push(ReviewItem {
                round,
                class: k["class"].as_str().unwrap_or("").to_string(),
                original: original.clone(),
                variant: variant.clone(),
                passed: same && (variant_ok || !original_ok),
                weight: 1.0,
            });
        }
    }
    out.sort_by_key(|i| i.round);
    Ok(out)
}

/// Area under the ROC curve of `scores` for telling passed (true) from
/// failed items: the chance that a random passed item scores above a
/// random failed one (ties count half).
pub fn auc(scores: &[f32], passed: &[bool]) -> f64 {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let (mut rank_sum, mut n_pos) = (0.0f64, 0usize);
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j < idx.len() && scores[idx[j]] == scores[idx[i]] {
            j += 1;
        }
        let mid = (i + j + 1) as f64 / 2.0;
        for &k in &idx[i..j] {
            if passed[k] {
                rank_sum += mid;
                n_pos += 1;
            }
        }
        i = j;
    }
    let n_neg = scores.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return f64::NAN;
    }
    (rank_sum - (n_pos * (n_pos + 1)) as f64 / 2.0) / (n_pos * n_neg) as f64
}

/// Fit the classifier: logistic regression over standardised features with
/// an intercept per class, L2-penalised toward the shared intercept, by
/// full-batch gradient descent (a few thousand rows, a few dozen weights).
pub fn fit(items: &[(&ReviewItem, Features)]) -> FluencyModel {
    const D: usize = Features::NAMES.len();
    let n: f32 = items.iter().map(|(i, _)| i.weight).sum::<f32>().max(1.0);
    let mut mean = [0f32; D];
    let mut sd = [0f32; D];
    for (i, f) in items {
        for (m, x) in mean.iter_mut().zip(f.values()) {
            *m += i.weight * x / n;
        }
    }
    for (i, f) in items {
        for ((s, m), x) in sd.iter_mut().zip(mean).zip(f.values()) {
            *s += i.weight * (x - m).powi(2) / n;
        }
    }
    let sd = sd.map(|v| v.sqrt().max(1e-3));
    let classes: Vec<String> = {
        let mut c: Vec<String> = items.iter().map(|(i, _)| i.class.clone()).collect();
        c.sort();
        c.dedup();
        c
    };
    let ci: Vec<usize> = items
        .iter()
        .map(|(i, _)| classes.iter().position(|c| *c == i.class).unwrap_or(0))
        .collect();
    let z: Vec<[f32; D]> = items
        .iter()
        .map(|(_, f)| {
            let v = f.values();
            std::array::from_fn(|k| (v[k] - mean[k]) / sd[k])
        })
        .collect();
    let y: Vec<f32> = items
        .iter()
        .map(|(i, _)| f32::from(u8::from(i.passed)))
        .collect();
    let wt: Vec<f32> = items.iter().map(|(i, _)| i.weight).collect();
    let (mut w, mut b0, mut bc) = ([0f32; D], 0f32, vec![0f32; classes.len()]);
    let (lambda, rate) = (0.05f32, 0.5f32);
    for _ in 0..4000 {
        let (mut gw, mut gb0, mut gbc) = ([0f32; D], 0f32, vec![0f32; classes.len()]);
        for r in 0..z.len() {
            let s = b0 + bc[ci[r]] + (0..D).map(|k| w[k] * z[r][k]).sum::<f32>();
            let err = wt[r] * (1.0 / (1.0 + (-s).exp()) - y[r]);
            for k in 0..D {
                gw[k] += err * z[r][k] / n;
            }
            gb0 += err / n;
            gbc[ci[r]] += err / n;
        }
        for k in 0..D {
            w[k] -= rate * (gw[k] + lambda * w[k] / n * 10.0);
        }
        b0 -= rate * gb0;
        for c in 0..classes.len() {
            bc[c] -= rate * (gbc[c] + lambda * bc[c]);
        }
    }
    // Back to the raw features' scale.
    let weights: Vec<f32> = (0..D).map(|k| w[k] / sd[k]).collect();
    let shift: f32 = (0..D).map(|k| w[k] * mean[k] / sd[k]).sum();
    FluencyModel {
        version: FLUENCY_GATE_VERSION,
        weights,
        class_bias: classes
            .iter()
            .zip(&bc)
            .map(|(c, b)| (c.clone(), b0 + b - shift))
            .collect(),
        default_bias: b0 - shift,
        threshold: 0.5,
    }
}

/// The lowest threshold at which the variants kept pass at `target` or
/// better, on these items; and how many are kept.
pub fn operating_point(probs: &[f32], passed: &[bool], weights: &[f32], target: f64) -> (f32, f64) {
    let mut idx: Vec<usize> = (0..probs.len()).collect();
    idx.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
    let mut best = (1.0f32, 0.0f64);
    let (mut ok, mut kept) = (0.0f64, 0.0f64);
    for (k, &i) in idx.iter().enumerate() {
        let w = f64::from(weights[i]);
        kept += w;
        if passed[i] {
            ok += w;
        }
        // Only between distinct probabilities.
        if idx.get(k + 1).is_some_and(|&n| probs[n] == probs[i]) {
            continue;
        }
        if ok / kept >= target {
            best = (probs[i], kept);
        }
    }
    best
}

/// Weighted share of passed items.
fn pass_rate(items: &[(bool, f32)]) -> f64 {
    let all: f64 = items.iter().map(|(_, w)| f64::from(*w)).sum();
    let ok: f64 = items
        .iter()
        .filter(|(p, _)| *p)
        .map(|(_, w)| f64::from(*w))
        .sum();
    ok / all.max(1e-9)
}

/// Token scores of texts by one model, kept between runs so that a change
/// to the features or the fit does not score every review item again.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct ScoreCache {
    pub model: String,
    pub texts: HashMap<String, Vec<(usize, usize, f32)>>,
}

impl ScoreCache {
    /// The cache at `path` if it holds scores of `model`; empty otherwise
    /// (missing, unreadable or another model's).
    pub fn load(path: &Path, model: &str) -> ScoreCache {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|s| serde_json::from_str::<ScoreCache>(&s).ok())
            .filter(|c| c.model == model)
            .unwrap_or(ScoreCache {
                model: model.to_string(),
                texts: HashMap::new(),
            })
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        std::fs::write(path, serde_json::to_string(self)?)
            .with_context(|| format!("writing {}", path.display()))
    }

    fn get(&self, text: &str) -> Option<Vec<(std::ops::Range<usize>, f32)>> {
        self.texts
            .get(text)
            .map(|v| v.iter().map(|&(a, b, lp)| (a..b, lp)).collect())
    }
}

/// The features of every item, scoring with the model only the texts the
/// cache does not hold.
fn item_features(
    scorer: &mut dyn TokenScorer,
    cache: &mut ScoreCache,
    items: &[ReviewItem],
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<Features>> {
    let mut todo: Vec<&str> = items
        .iter()
        .flat_map(|i| [i.original.as_str(), i.variant.as_str()])
        .filter(|t| !cache.texts.contains_key(*t))
        .collect();
    todo.sort_unstable();
    todo.dedup();
    for (k, chunk) in todo.chunks(16).enumerate() {
        let scored = scorer.score(chunk).map_err(anyhow::Error::msg)?;
        anyhow::ensure!(
            scored.len() == chunk.len(),
            "the scorer answered too few texts"
        );
        for (t, s) in chunk.iter().zip(scored) {
            let v = s.into_iter().map(|(r, lp)| (r.start, r.end, lp)).collect();
            cache.texts.insert(t.to_string(), v);
        }
        progress(((k + 1) * 16).min(todo.len()), todo.len());
    }
    items
        .iter()
        .map(|i| {
            let so = cache.get(&i.original).context("unscored text")?;
            let sv = cache.get(&i.variant).context("unscored text")?;
            Ok(fluency::pair_features(&i.original, &so, &i.variant, &sv))
        })
        .collect()
}

/// How the classifier is fitted and its operating point chosen.
#[derive(Debug, Clone, Copy)]
pub struct FitPlan {
    /// Weights are fitted on rounds 1 to this one; the later rounds are
    /// held out.
    pub last_fit_round: u32,
    /// Pass rate the kept variants must reach at the operating point.
    pub target: f64,
    /// Choose the operating point on the held-out rounds rather than on the
    /// fitting rounds: right when the early rounds' failures come from
    /// rules since removed, so that the fitting rounds' base rate is not
    /// today's. The held-out rounds then validate the choice, and a new
    /// review round must judge it.
    pub threshold_on_held_out: bool,
}

/// Score every item with the model (in batches, through `cache`), fit on
/// the rounds `plan` names, judge on the rest. Returns the fitted
/// classifier and a Markdown report.
pub fn run(
    scorer: &mut dyn TokenScorer,
    cache: &mut ScoreCache,
    items: &[ReviewItem],
    plan: FitPlan,
    previous: Option<&FluencyModel>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<(FluencyModel, String)> {
    let FitPlan {
        last_fit_round,
        target,
        threshold_on_held_out,
    } = plan;
    let feats = item_features(scorer, cache, items, progress)?;
    let all: Vec<(&ReviewItem, Features)> = items.iter().zip(feats).collect();
    let (train, test): (Vec<_>, Vec<_>) = all
        .iter()
        .cloned()
        .partition(|(i, _)| i.round <= last_fit_round);
    let mut model = fit(&train);
    let probs = |set: &[(&ReviewItem, Features)], m: &FluencyModel| -> Vec<f32> {
        set.iter()
            .map(|(i, f)| m.pass_probability(&i.class, f))
            .collect()
    };
    let labels = |set: &[(&ReviewItem, Features)]| -> Vec<(bool, f32)> {
        set.iter().map(|(i, _)| (i.passed, i.weight)).collect()
    };
    let tp = probs(&train, &model);
    let tl = labels(&train);
    let (t_passed, t_weights): (Vec<bool>, Vec<f32>) = tl.iter().cloned().unzip();
    let hp = probs(&test, &model);
    let hl = labels(&test);
    let (threshold, _) = if threshold_on_held_out {
        let (h_passed, h_weights): (Vec<bool>, Vec<f32>) = hl.iter().cloned().unzip();
        operating_point(&hp, &h_passed, &h_weights, target)
    } else {
        operating_point(&tp, &t_passed, &t_weights, target)
    };
    model.threshold = threshold;
    let h_passed: Vec<bool> = hl.iter().map(|x| x.0).collect();
    let raw_total: Vec<f32> = test.iter().map(|(_, f)| f.total).collect();
    let raw_local: Vec<f32> = test.iter().map(|(_, f)| f.local).collect();
    let weight = |set: &[(bool, f32)]| set.iter().map(|x| f64::from(x.1)).sum::<f64>() + 0.0;
    let kept: Vec<(bool, f32)> = hp
        .iter()
        .zip(&hl)
        .filter(|(p, _)| **p >= threshold)
        .map(|(_, l)| *l)
        .collect();
    let mut md = String::new();
    md.push_str(&format!(
        "# Fluency gate: fit and held-out judgement\n\n\
         Model: {}. Items: {} reviewed variants scored (every failed one; passed ones sampled, each weighted by \
         the number it stands for). Fitted on rounds 1–{last_fit_round} ({:.0} weighted items, {:.1}% passed); \
         judged on rounds {}–{} ({:.0} weighted items, {:.1}% passed), which the fit never saw.\n\n",
        scorer.model_id(),
        items.len(),
        weight(&tl),
        100.0 * pass_rate(&tl),
        last_fit_round + 1,
        items.iter().map(|i| i.round).max().unwrap_or(0),
        weight(&hl),
        100.0 * pass_rate(&hl),
    ));
    md.push_str("| signal (held-out rounds) | ROC AUC |\n|---|---|\n");
    md.push_str(&format!(
        "| whole-sentence log-probability difference | {:.3} |\n",
        auc(&raw_total, &h_passed)
    ));
    md.push_str(&format!(
        "| the change's neighbourhood only | {:.3} |\n",
        auc(&raw_local, &h_passed)
    ));
    md.push_str(&format!(
        "| the fitted classifier | {:.3} |\n\n",
        auc(&hp, &h_passed)
    ));
    if let Some(prev) = previous {
        // A classifier of an earlier version reads the leading features
        // it knew (its weights are fewer).
        let pp = probs(&test, prev);
        let kept: Vec<(bool, f32)> = pp
            .iter()
            .zip(&hl)
            .filter(|(p, _)| **p >= prev.threshold)
            .map(|(_, l)| *l)
            .collect();
        md.push_str(&format!(
            "The previous classifier (version {}, threshold {:.3}) on the same held-out items: AUC {:.3}; \
             keeps {:.1}%, of which {:.1}% passed.\n\n",
            prev.version,
            prev.threshold,
            auc(&pp, &h_passed),
            100.0 * weight(&kept) / weight(&hl).max(1e-9),
            100.0 * pass_rate(&kept),
        ));
    }
    md.push_str(&format!(
        "Operating point chosen on the {} rounds for {:.1}% pass among kept variants: p ≥ {threshold:.3}. \
         On the held-out rounds it keeps {:.1}% of the variants, of which {:.1}% passed review \
         (all variants: {:.1}%).{}\n\n",
        if threshold_on_held_out { "held-out" } else { "fitting" },
        100.0 * target,
        100.0 * weight(&kept) / weight(&hl).max(1e-9),
        100.0 * pass_rate(&kept),
        100.0 * pass_rate(&hl),
        if threshold_on_held_out {
            " Those rounds chose the threshold, so they validate it rather than judge it: \
             a review round of variants the gate kept, on prose it never saw, judges it."
        } else {
            ""
        },
    ));
    md.push_str(
        "The curve on the held-out rounds: each threshold, the share of variants it keeps and how many of those \
         passed review.\n\n| threshold | kept | pass among kept |\n|---|---|---|\n",
    );
    for t in [0.0f32, 0.5, 0.8, 0.9, 0.93, 0.95, 0.97] {
        let k: Vec<(bool, f32)> = hp
            .iter()
            .zip(&hl)
            .filter(|(p, _)| **p >= t)
            .map(|(_, l)| *l)
            .collect();
        md.push_str(&format!(
            "| {t:.2}{} | {:.1}% | {:.1}% |\n",
            if (t - threshold).abs() < 0.005 {
                " (chosen)"
            } else {
                ""
            },
            100.0 * weight(&k) / weight(&hl).max(1e-9),
            100.0 * pass_rate(&k),
        ));
    }
    md.push('\n');
    md.push_str(
        "| class (held-out) | scored | failed | AUC of classifier | kept (weighted) | pass among kept |\n|---|---|---|---|---|---|\n",
    );
    // Per class: (probability, (passed, weight)).
    type Judged = Vec<(f32, (bool, f32))>;
    let mut by_class: BTreeMap<&str, Judged> = BTreeMap::new();
    for ((i, _), (p, l)) in test.iter().zip(hp.iter().zip(&hl)) {
        by_class.entry(i.class.as_str()).or_default().push((*p, *l));
    }
    for (c, v) in by_class {
        let p: Vec<f32> = v.iter().map(|x| x.0).collect();
        let l: Vec<bool> = v.iter().map(|x| x.1 .0).collect();
        let all: Vec<(bool, f32)> = v.iter().map(|x| x.1).collect();
        let k: Vec<(bool, f32)> = v
            .iter()
            .filter(|(p, _)| *p >= threshold)
            .map(|x| x.1)
            .collect();
        let a = auc(&p, &l);
        md.push_str(&format!(
            "| {c} | {} | {} | {} | {:.0}% | {} |\n",
            v.len(),
            l.iter().filter(|x| !**x).count(),
            if a.is_nan() {
                "–".into()
            } else {
                format!("{a:.2}")
            },
            100.0 * weight(&k) / weight(&all).max(1e-9),
            if k.is_empty() {
                "–".into()
            } else {
                format!("{:.0}%", 100.0 * pass_rate(&k) + 0.0)
            },
        ));
    }
    md.push_str(&format!(
        "\nWeights ({}): {:?}; default intercept {:.3}.\n",
        Features::NAMES.join(", "),
        model.weights,
        model.default_bias
    ));
    Ok((model, md))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_of_a_perfect_a_useless_and_a_reversed_score() {
        let y = [false, false, true, true];
        assert_eq!(auc(&[0.1, 0.2, 0.8, 0.9], &y), 1.0);
        assert_eq!(auc(&[0.5, 0.5, 0.5, 0.5], &y), 0.5);
        assert_eq!(auc(&[0.9, 0.8, 0.2, 0.1], &y), 0.0);
    }

    #[test]
    fn the_operating_point_keeps_the_most_that_meet_the_target() {
        let p = [0.9, 0.8, 0.7, 0.6, 0.5];
        let y = [true, true, true, false, true];
        // 3 of 3 pass down to 0.7; 4 of 5 = 80% down to 0.5.
        let w = [1.0; 5];
        assert_eq!(operating_point(&p, &y, &w, 0.9), (0.7, 3.0));
        assert_eq!(operating_point(&p, &y, &w, 0.8), (0.5, 5.0));
        // A passed item standing for four lifts the rate at the bottom.
        let w = [1.0, 1.0, 1.0, 1.0, 4.0];
        assert_eq!(operating_point(&p, &y, &w, 0.85), (0.5, 8.0));
    }
}

//! The fluency gate: a language model's judgement of whether a variant
//! reads as naturally as its original, turned into a yes or no by a small
//! calibrated classifier fitted to the blind reviewers' verdicts.
//!
//! The core does no inference itself (it has no I/O and no model): it
//! defines what it needs, [`TokenScorer`], and the features it reads from
//! the scores. `telltale-lm` implements the scorer with the vendored model;
//! tests use a deterministic double. The classifier's weights are data
//! (`data/fluency-gate.json`), fitted by `telltale-eval gate` on review
//! rounds held apart from the rounds it is judged on.
//!
//! Why features rather than a threshold on the likelihood: fluency is not
//! meaning, and a raw whole-sentence difference separates passed from failed
//! variants only moderately. The change's own neighbourhood (the changed
//! words and the few after them) carries most of the signal, its weakest
//! token catches a collocation that breaks, and the rule class sets how
//! much a given fall in probability matters.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::gate::{Gate, Proposal};
use crate::template::Class;

/// For each text, its tokens as (byte range, log-probability in nats given
/// the text before the token).
pub type TokenScores = Vec<Vec<(Range<usize>, f32)>>;

/// Scores texts token by token with a language model.
pub trait TokenScorer {
    /// The scores of each text: see [`TokenScores`].
    fn score(&mut self, texts: &[&str]) -> Result<TokenScores, String>;
    /// What the scores come from (the model's hash), recorded in templates.
    fn model_id(&self) -> String;
}

/// Bytes after a change that still count as its neighbourhood: a change
/// can make the next words improbable ("prey upon our" reads on).
const TAIL_BYTES: usize = 16;

/// The numbers the classifier reads, from one original and one variant.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Features {
    /// Whole-text log-probability, variant minus original.
    pub total: f32,
    /// Log-probability of the changed span and its tail, variant minus
    /// original.
    pub local: f32,
    /// The least probable token of that neighbourhood, variant minus
    /// original.
    pub weakest: f32,
    /// Tokens in the neighbourhood, variant minus original.
    pub tokens: f32,
}

impl Features {
    pub const NAMES: [&'static str; 4] = ["total", "local", "weakest", "tokens"];

    pub fn values(&self) -> [f32; 4] {
        [self.total, self.local, self.weakest, self.tokens]
    }
}

/// The byte range that differs between `a` and `b`, in each: what is left
/// when their common prefix and suffix are taken off, at char boundaries.
pub fn changed_spans(a: &str, b: &str) -> (Range<usize>, Range<usize>) {
    let prefix = a
        .char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or(a.len().min(b.len()), |((i, _), _)| i);
    let suffix = a[prefix..]
        .chars()
        .rev()
        .zip(b[prefix..].chars().rev())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x.len_utf8())
        .sum::<usize>();
    (prefix..a.len() - suffix, prefix..b.len() - suffix)
}

/// Sum, minimum and count of the scores of tokens touching `span` widened
/// by the tail.
fn neighbourhood(tokens: &[(Range<usize>, f32)], span: &Range<usize>) -> (f32, f32, usize) {
    let end = span.end + TAIL_BYTES;
    let mut sum = 0.0;
    let mut min = 0.0f32;
    let mut n = 0;
    for (r, lp) in tokens {
        // A token touches the neighbourhood when it overlaps it; an empty
        // change (a deletion) is touched by the tokens around its point.
        if r.end >= span.start && r.start <= end {
            sum += lp;
            min = min.min(*lp);
            n += 1;
        }
    }
    (sum, min, n)
}

/// The features of each (original, variant) pair, scored in one batch.
pub fn features(
    scorer: &mut dyn TokenScorer,
    pairs: &[(&str, &str)],
) -> Result<Vec<Features>, String> {
    let texts: Vec<&str> = pairs.iter().flat_map(|(o, v)| [*o, *v]).collect();
    let scored = scorer.score(&texts)?;
    if scored.len() != texts.len() {
        return Err(format!(
            "the scorer answered {} texts of {}",
            scored.len(),
            texts.len()
        ));
    }
    Ok(pairs
        .iter()
        .zip(scored.chunks(2))
        .map(|((o, v), s)| pair_features(o, &s[0], v, &s[1]))
        .collect())
}

/// The features of one pair from its two texts' token scores.
pub fn pair_features(
    original: &str,
    so: &[(Range<usize>, f32)],
    variant: &str,
    sv: &[(Range<usize>, f32)],
) -> Features {
    let (co, cv) = changed_spans(original, variant);
    let total = |t: &[(Range<usize>, f32)]| t.iter().map(|x| x.1).sum::<f32>();
    let (lo, mo, no) = neighbourhood(so, &co);
    let (lv, mv, nv) = neighbourhood(sv, &cv);
    Features {
        total: total(sv) - total(so),
        local: lv - lo,
        weakest: mv - mo,
        tokens: nv as f32 - no as f32,
    }
}

/// A logistic classifier over the features, with an intercept per rule
/// class: the probability that reviewers pass the variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FluencyModel {
    /// Bumped whenever the features or their meaning change; recorded in
    /// templates with the model's id.
    pub version: u32,
    /// Weights of [`Features::values`], in [`Features::NAMES`] order.
    pub weights: Vec<f32>,
    /// Intercept of each rule class; `default_bias` for a class not seen.
    pub class_bias: Vec<(String, f32)>,
    pub default_bias: f32,
    /// Probability at or above which a variant passes.
    pub threshold: f32,
}

/// Version of the classifier: its features, weights and operating point.
/// Bumped whenever any of them changes, because the verdicts do.
pub const FLUENCY_GATE_VERSION: u32 = 2;

const BUILTIN: &str = include_str!("../data/fluency-gate.json");

impl FluencyModel {
    /// The classifier fitted by `telltale-eval gate`.
    pub fn builtin() -> Result<FluencyModel, String> {
        let m: FluencyModel =
            serde_json::from_str(BUILTIN).map_err(|e| format!("fluency-gate.json: {e}"))?;
        if m.weights.len() != Features::NAMES.len() {
            return Err("fluency-gate.json: wrong number of weights".into());
        }
        Ok(m)
    }

    /// Probability that a variant of `class` with these features passes.
    pub fn pass_probability(&self, class: &str, f: &Features) -> f32 {
        let bias = self
            .class_bias
            .iter()
            .find(|(c, _)| c == class)
            .map_or(self.default_bias, |(_, b)| *b);
        let z: f32 = bias
            + self
                .weights
                .iter()
                .zip(f.values())
                .map(|(w, x)| w * x)
                .sum::<f32>();
        1.0 / (1.0 + (-z).exp())
    }
}

/// Texts per call to the scorer, sorted by length so that a batch pads
/// little, and bounded so that progress is reported as scoring goes (the
/// scorer bounds its own memory by splitting further).
const BATCH_TEXTS: usize = 32;
const BATCH_BYTES: usize = 4096;

/// Texts whose scores a gate keeps before it starts afresh.
const MAX_KEPT_TEXTS: usize = 4096;

/// Reports (texts scored, texts to score) as a batch of proposals is judged.
pub type Progress = Box<dyn FnMut(usize, usize) + Send>;

/// A gate that asks a language model, through the fitted classifier.
/// Scores are kept per text, so a sentence offered many times (the
/// original of every alternative in it) costs one inference.
pub struct FluencyGate<S: TokenScorer> {
    pub scorer: S,
    pub model: FluencyModel,
    scores: std::collections::HashMap<String, Vec<(Range<usize>, f32)>>,
    /// Called as texts are scored.
    pub progress: Option<Progress>,
    /// Counts for reports.
    pub checked: usize,
    pub rejected: usize,
    /// Inference failures; a failure rejects the variant.
    pub failures: usize,
}

impl<S: TokenScorer> FluencyGate<S> {
    pub fn new(scorer: S, model: FluencyModel) -> Self {
        FluencyGate {
            scorer,
            model,
            scores: Default::default(),
            progress: None,
            checked: 0,
            rejected: 0,
            failures: 0,
        }
    }

    /// Score every text not scored yet, in length-sorted batches.
    fn score_all(&mut self, texts: &[&str]) -> Result<(), String> {
        // Kept scores serve the documents being judged now; a long-lived
        // gate (a server's) must not grow without bound.
        if self.scores.len() > MAX_KEPT_TEXTS {
            self.scores.clear();
        }
        let mut todo: Vec<&str> = texts
            .iter()
            .copied()
            .filter(|t| !self.scores.contains_key(*t))
            .collect();
        todo.sort_by_key(|t| (t.len(), *t));
        todo.dedup();
        let total = todo.len();
        let mut done = 0;
        let mut rest = &todo[..];
        while !rest.is_empty() {
            let mut n = 0;
            let mut bytes = 0;
            while n < rest.len()
                && n < BATCH_TEXTS
                && (n == 0 || bytes + rest[n].len() <= BATCH_BYTES)
            {
                bytes += rest[n].len();
                n += 1;
            }
            let (batch, tail) = rest.split_at(n);
            let scored = self.scorer.score(batch)?;
            if scored.len() != batch.len() {
                return Err(format!(
                    "the scorer answered {} texts of {}",
                    scored.len(),
                    batch.len()
                ));
            }
            for (t, s) in batch.iter().zip(scored) {
                self.scores.insert(t.to_string(), s);
            }
            done += n;
            if let Some(p) = self.progress.as_mut() {
                p(done, total);
            }
            rest = tail;
        }
        Ok(())
    }

    /// Pass probability of each proposal (`None` where inference failed).
    pub fn probabilities(&mut self, proposals: &[Proposal]) -> Vec<Option<f32>> {
        let texts: Vec<&str> = proposals
            .iter()
            .flat_map(|p| [p.original, p.variant])
            .collect();
        if self.score_all(&texts).is_err() {
            self.failures += proposals.len();
            return vec![None; proposals.len()];
        }
        proposals
            .iter()
            .map(|p| {
                let o = self.scores.get(p.original)?;
                let v = self.scores.get(p.variant)?;
                let f = pair_features(p.original, o, p.variant, v);
                Some(self.model.pass_probability(p.class.name(), &f))
            })
            .collect()
    }

    /// Pass probability of one pair.
    pub fn probability(&mut self, class: Class, original: &str, variant: &str) -> Option<f32> {
        self.probabilities(&[Proposal {
            class,
            original,
            variant,
        }])[0]
    }
}

impl<S: TokenScorer> Gate for FluencyGate<S> {
    fn accepts(&mut self, class: Class, original: &str, variant: &str) -> bool {
        self.judge(&[Proposal {
            class,
            original,
            variant,
        }])[0]
    }

    fn judge(&mut self, proposals: &[Proposal]) -> Vec<bool> {
        let verdicts: Vec<bool> = self
            .probabilities(proposals)
            .into_iter()
            .map(|p| p.is_some_and(|p| p >= self.model.threshold))
            .collect();
        self.checked += verdicts.len();
        self.rejected += verdicts.iter().filter(|v| !**v).count();
        verdicts
    }

    /// The model's id and the gate's version.
    fn id(&self) -> String {
        format!("{} gate-v{}", self.scorer.model_id(), self.model.version)
    }
}

/// A deterministic stand-in for a language model, for the core's tests:
/// each word costs more the rarer its letters, and a word it has been told
/// is odd costs a lot. Not a model of English; a fixed function of the
/// text, so that tests of the gate's plumbing do not need the real model.
pub struct LetterScorer {
    pub odd_words: Vec<String>,
}

impl TokenScorer for LetterScorer {
    fn score(&mut self, texts: &[&str]) -> Result<TokenScores, String> {
        Ok(texts
            .iter()
            .map(|t| {
                let mut out = Vec::new();
                let mut start = None;
                for (i, c) in t.char_indices().chain(std::iter::once((t.len(), ' '))) {
                    match (start, c.is_alphanumeric()) {
                        (None, true) => start = Some(i),
                        (Some(s), false) => {
                            let w = &t[s..i];
                            let odd = self.odd_words.iter().any(|o| o.eq_ignore_ascii_case(w));
                            let lp = if odd {
                                -12.0
                            } else {
                                -1.0 - 0.1 * w.len() as f32
                            };
                            out.push((s..i, lp));
                            start = None;
                        }
                        _ => {}
                    }
                }
                out
            })
            .collect())
    }
    fn model_id(&self) -> String {
        "letters".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_spans_are_what_differs() {
        // The least that differs: "up" inserted before "on".
        let (a, b) = changed_spans("prey on our citizens", "prey upon our citizens");
        assert_eq!((a, b), (5..5, 5..7));
        let (a, b) = changed_spans("said that it", "said it");
        assert_eq!(&"said that it"[a.clone()], "that ");
        assert_eq!(b.len(), 0);
        let (a, b) = changed_spans("same", "same");
        assert!(a.is_empty() && b.is_empty());
        let (a, b) = changed_spans("café", "cafe");
        assert_eq!((a, b), (3..5, 3..4));
    }

    #[test]
    fn the_gate_rejects_what_the_scorer_finds_odd() {
        let model = FluencyModel {
            version: FLUENCY_GATE_VERSION,
            weights: vec![0.0, 1.0, 0.0, 0.0],
            class_bias: vec![("synonym".into(), 2.0)],
            default_bias: 0.0,
            threshold: 0.5,
        };
        let mut g = FluencyGate::new(
            LetterScorer {
                odd_words: vec!["purple".into()],
            },
            model,
        );
        let s = Class::Synonym;
        assert!(g.accepts(s, "the talks were hard", "the talks were tough"));
        assert!(!g.accepts(s, "the talks were hard", "the talks were purple"));
        assert_eq!((g.checked, g.rejected), (2, 1));
        // Scores are kept: the same pair again agrees.
        assert!(!g.accepts(s, "the talks were hard", "the talks were purple"));
        // A batch judges as one at a time does.
        let batch = [
            Proposal {
                class: s,
                original: "the talks were hard",
                variant: "the talks were purple",
            },
            Proposal {
                class: s,
                original: "the talks were hard",
                variant: "the talks were tough",
            },
        ];
        assert_eq!(g.judge(&batch), vec![false, true]);
        assert_eq!(g.id(), "letters gate-v2");
    }

    #[test]
    fn the_builtin_classifier_parses() {
        let m = FluencyModel::builtin().unwrap();
        assert_eq!(m.version, FLUENCY_GATE_VERSION);
        assert!((0.0..1.0).contains(&m.threshold));
    }
}

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

use crate::gate::Gate;

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
        .map(|((o, v), s)| {
            let (so, sv) = changed_spans(o, v);
            let total = |t: &[(Range<usize>, f32)]| t.iter().map(|x| x.1).sum::<f32>();
            let (lo, mo, no) = neighbourhood(&s[0], &so);
            let (lv, mv, nv) = neighbourhood(&s[1], &sv);
            Features {
                total: total(&s[1]) - total(&s[0]),
                local: lv - lo,
                weakest: mv - mo,
                tokens: nv as f32 - no as f32,
            }
        })
        .collect())
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

/// Version of the features and classifier format.
pub const FLUENCY_GATE_VERSION: u32 = 1;

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

/// A gate that asks a language model, through the fitted classifier.
/// Scores are kept per sentence pair, so a sentence offered twice costs
/// one inference.
pub struct FluencyGate<S: TokenScorer> {
    pub scorer: S,
    pub model: FluencyModel,
    /// The rule class of the variants being offered now.
    pub class: String,
    cache: std::collections::HashMap<(String, String), f32>,
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
            class: String::new(),
            cache: Default::default(),
            checked: 0,
            rejected: 0,
            failures: 0,
        }
    }

    /// What templates record: the model's id and the gate's version.
    pub fn id(&self) -> String {
        format!("{} gate-v{}", self.scorer.model_id(), self.model.version)
    }

    /// Pass probability of one pair, from the cache or the model.
    pub fn probability(&mut self, original: &str, variant: &str) -> Option<f32> {
        let key = (original.to_string(), variant.to_string());
        if let Some(p) = self.cache.get(&key) {
            return Some(*p);
        }
        match features(&mut self.scorer, &[(original, variant)]) {
            Ok(f) => {
                let p = self.model.pass_probability(&self.class, f.first()?);
                self.cache.insert(key, p);
                Some(p)
            }
            Err(_) => {
                self.failures += 1;
                None
            }
        }
    }
}

impl<S: TokenScorer> Gate for FluencyGate<S> {
    fn accepts(&mut self, original: &str, variant: &str) -> bool {
        self.checked += 1;
        let ok = self
            .probability(original, variant)
            .is_some_and(|p| p >= self.model.threshold);
        if !ok {
            self.rejected += 1;
        }
        ok
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
        g.class = "synonym".into();
        assert!(g.accepts("the talks were hard", "the talks were tough"));
        assert!(!g.accepts("the talks were hard", "the talks were purple"));
        assert_eq!((g.checked, g.rejected), (2, 1));
        // Cached: the same pair again costs no inference and agrees.
        assert!(!g.accepts("the talks were hard", "the talks were purple"));
        assert_eq!(g.id(), "letters gate-v1");
    }

    #[test]
    fn the_builtin_classifier_parses() {
        let m = FluencyModel::builtin().unwrap();
        assert_eq!(m.version, FLUENCY_GATE_VERSION);
        assert!((0.0..1.0).contains(&m.threshold));
    }
}

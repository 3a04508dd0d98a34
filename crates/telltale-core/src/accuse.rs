//! Accusation: who, among the recipients, does the evidence point to, and
//! how likely is it that an innocent recipient would match as well.
//!
//! Two scores per recipient, each over the observed slots of every document
//! they received:
//!
//! * **single-leaker**: the log-likelihood ratio of "this recipient leaked"
//!   against "an innocent recipient", allowing a small rate `eta` of
//!   misreadings (`ln((1−η)/p + η)` for a match, `ln η` for a mismatch). It
//!   is the most powerful test for the common case: one leaker, a short
//!   quote.
//! * **collusion**: the symmetric Tardos score (Škorić et al.):
//!   `+sqrt((1−p)/p)` for a match, `−sqrt(p/(1−p))` otherwise. Colluders
//!   who merge their copies cannot avoid sharing most of what they show, and
//!   this score finds at least one of them.
//!
//! Each score's p-value comes from [`crate::stats::Null`], computed from the
//! actual biases; the recipient's p-value is twice the smaller of the two
//! (Bonferroni over the two tests), and the bound on accusing *any*
//! innocent recipient is that times the number of recipients. A recipient
//! is accused only when that bound is at or below the threshold.
//!
//! When nobody is accused, the evidence may still have narrowed the field.
//! The **shortlist** is a lead, never an accusation: under the
//! single-leaker model (one recipient leaked, each slot misread at rate
//! `eta` into a symbol drawn by the slot's biases, every recipient equally
//! likely beforehand) the single-leaker score is exactly the log-likelihood
//! ratio of "this recipient is the source" against chance, so the posterior
//! that recipient `r` is the source is `exp(s_r) / Σ exp(s)`. The shortlist
//! is the smallest set of the most probable recipients whose posterior mass
//! reaches the confidence asked for (99%), and the expected number of
//! innocent recipients in it is its size less that mass.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::stats::{Null, TwoPoint};
use crate::{Codebook, Observation};

/// What one document contributes: its codebook, what the leak showed of
/// it, and who received it.
pub struct DocumentEvidence<'a> {
    pub codebook: &'a Codebook,
    pub observations: &'a [Observation],
    pub recipients: &'a [String],
}

/// Decision parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AccuseParams {
    /// Largest acceptable probability of accusing any innocent recipient.
    pub threshold: f64,
    /// Assumed rate of misread slots in the single-leaker test.
    pub eta: f64,
    /// How many ranked suspects to report.
    pub max_suspects: usize,
    /// Posterior mass the shortlist must hold, when nobody is accused.
    pub shortlist_confidence: f64,
}

impl Default for AccuseParams {
    fn default() -> Self {
        AccuseParams {
            threshold: 1e-3,
            eta: 0.1,
            max_suspects: 10,
            shortlist_confidence: 0.99,
        }
    }
}

/// Which test gave a suspect's p-value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Test {
    SingleLeaker,
    Collusion,
}

/// One ranked recipient.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suspect {
    pub recipient: String,
    /// The statistic of the deciding test.
    pub score: f64,
    pub test: Test,
    /// Probability that a given innocent recipient scores at least this.
    pub p_value: f64,
    /// Bound on the probability that any innocent recipient does.
    pub false_accusation: f64,
    /// Observed slots where this recipient's copy shows what the leak shows.
    pub matches: usize,
    /// Observed slots in documents this recipient received.
    pub observed: usize,
}

/// The outcome over all recipients.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Accusation {
    pub threshold: f64,
    /// Recipients considered (the multiple-testing population).
    pub population: usize,
    /// Observed slots over all documents.
    pub observed: usize,
    pub suspects: Vec<Suspect>,
    /// Recipients whose false-accusation bound is at or below the threshold.
    pub accused: Vec<String>,
    /// When nobody is accused but the evidence narrows the field: a lead.
    pub shortlist: Option<Shortlist>,
}

/// The smallest set of recipients that holds the source with the asked-for
/// probability under the single-leaker model: a lead for an inquiry, not an
/// accusation (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shortlist {
    /// Most probable first.
    pub recipients: Vec<String>,
    /// Probability that the source is among them (at least the confidence
    /// asked for).
    pub confidence: f64,
    /// How many of them are expected to be innocent: their number less
    /// the probability that the source is among them.
    pub expected_innocents: f64,
}

/// The shortlist from every recipient's single-leaker score, or `None` when
/// it would name everyone (the evidence has not narrowed the field).
pub fn shortlist(scores: &[(&str, f64)], confidence: f64) -> Option<Shortlist> {
    let finite: Vec<&(&str, f64)> = scores.iter().filter(|(_, s)| s.is_finite()).collect();
    if finite.len() != scores.len() || scores.len() < 2 {
        return None;
    }
    let top = finite
        .iter()
        .map(|(_, s)| *s)
        .fold(f64::NEG_INFINITY, f64::max);
    let total: f64 = finite.iter().map(|(_, s)| (s - top).exp()).sum();
    let mut ranked: Vec<(&str, f64)> = finite
        .iter()
        .map(|(r, s)| (*r, (s - top).exp() / total))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let mut mass = 0.0;
    let mut recipients = Vec::new();
    for (r, p) in ranked {
        if mass >= confidence {
            break;
        }
        mass += p;
        recipients.push(r.to_string());
    }
    if recipients.len() >= scores.len() {
        return None;
    }
    let confidence = mass.min(1.0);
    Some(Shortlist {
        expected_innocents: (recipients.len() as f64 - confidence).max(0.0),
        recipients,
        confidence,
    })
}

/// A recipient's p-value from the smaller of its two tests' tails
/// (Bonferroni over the two tests), and the bound on accusing any innocent
/// one of `population` (Bonferroni over recipients).
fn bounds(population: usize, smaller_tail: f64) -> (f64, f64) {
    let p_value = (2.0 * smaller_tail).min(1.0);
    (p_value, (population as f64 * p_value).min(1.0))
}

struct SlotTerm {
    slot: u32,
    symbol: u8,
    single: TwoPoint,
    tardos: TwoPoint,
}

fn terms(cb: &Codebook, obs: &Observation, eta: f64) -> SlotTerm {
    let p = cb.bias(obs.slot as usize)[obs.symbol as usize].clamp(1e-12, 1.0 - 1e-12);
    SlotTerm {
        slot: obs.slot,
        symbol: obs.symbol,
        single: TwoPoint {
            hit: ((1.0 - eta) / p + eta).ln(),
            miss: eta.ln(),
            p,
        },
        tardos: TwoPoint {
            hit: ((1.0 - p) / p).sqrt(),
            miss: -(p / (1.0 - p)).sqrt(),
            p,
        },
    }
}

/// Score every recipient and decide whom the evidence accuses.
pub fn accuse(evidence: &[DocumentEvidence], params: AccuseParams) -> Accusation {
    let eta = params.eta.clamp(1e-6, 0.5);
    let slot_terms: Vec<Vec<SlotTerm>> = evidence
        .iter()
        .map(|e| {
            e.observations
                .iter()
                .map(|o| terms(e.codebook, o, eta))
                .collect()
        })
        .collect();
    let observed: usize = slot_terms.iter().map(Vec::len).sum();

    // Which documents each recipient received.
    let mut received: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
    for (d, e) in evidence.iter().enumerate() {
        for r in e.recipients {
            received.entry(r.as_str()).or_default().insert(d);
        }
    }
    let population = received.len();
    if observed == 0 || population == 0 {
        return Accusation {
            threshold: params.threshold,
            population,
            observed,
            suspects: Vec::new(),
            accused: Vec::new(),
            shortlist: None,
        };
    }

    // One null distribution per distinct set of documents received.
    let mut nulls: HashMap<Vec<usize>, (Null, Null)> = HashMap::new();
    let mut scored = Vec::with_capacity(population);
    for (r, docs) in &received {
        let key: Vec<usize> = docs.iter().copied().collect();
        let null = nulls.entry(key.clone()).or_insert_with(|| {
            let sel = key.iter().flat_map(|&d| slot_terms[d].iter());
            let (a, b): (Vec<TwoPoint>, Vec<TwoPoint>) = sel.map(|t| (t.single, t.tardos)).unzip();
            (Null::new(a), Null::new(b))
        });
        let (mut s1, mut s2, mut matches, mut n) = (0.0, 0.0, 0usize, 0usize);
        for &d in &key {
            let ts = &slot_terms[d];
            if ts.is_empty() {
                continue;
            }
            let slots: Vec<u32> = ts.iter().map(|t| t.slot).collect();
            let syms = evidence[d].codebook.symbols_at(r, &slots);
            for (t, x) in ts.iter().zip(syms) {
                let hit = x == t.symbol;
                matches += usize::from(hit);
                n += 1;
                s1 += if hit { t.single.hit } else { t.single.miss };
                s2 += if hit { t.tardos.hit } else { t.tardos.miss };
            }
        }
        let p1 = null.0.lattice_tail(s1);
        let p2 = null.1.lattice_tail(s2);
        scored.push((r.to_string(), key, s1, s2, p1, p2, matches, n));
    }
    // Refine the most suspicious with the Chernoff bound too.
    scored.sort_by(|a, b| {
        a.4.min(a.5)
            .total_cmp(&b.4.min(b.5))
            .then(b.2.total_cmp(&a.2))
    });
    let refine = scored.len().min(params.max_suspects.max(50));
    for s in scored.iter_mut().take(refine) {
        let null = &nulls[&s.1];
        s.4 = s.4.min(null.0.chernoff_tail(s.2));
        s.5 = s.5.min(null.1.chernoff_tail(s.3));
    }
    // The shortlist reads every recipient's single-leaker score, so it is
    // made while they are at hand, and only when nobody will be accused.
    let anyone_accused = scored
        .iter()
        .any(|s| bounds(population, s.4.min(s.5)).1 <= params.threshold);
    let shortlist = if anyone_accused {
        None
    } else {
        let single: Vec<(&str, f64)> = scored.iter().map(|s| (s.0.as_str(), s.2)).collect();
        shortlist(&single, params.shortlist_confidence)
    };
    let mut suspects: Vec<Suspect> = scored
        .into_iter()
        .map(|(recipient, _, s1, s2, p1, p2, matches, observed)| {
            let (score, test, p) = if p1 <= p2 {
                (s1, Test::SingleLeaker, p1)
            } else {
                (s2, Test::Collusion, p2)
            };
            let (p_value, false_accusation) = bounds(population, p);
            Suspect {
                recipient,
                score,
                test,
                p_value,
                false_accusation,
                matches,
                observed,
            }
        })
        .collect();
    suspects.sort_by(|a, b| {
        a.p_value
            .total_cmp(&b.p_value)
            .then(b.score.total_cmp(&a.score))
            .then(a.recipient.cmp(&b.recipient))
    });
    let accused: Vec<String> = suspects
        .iter()
        .filter(|s| s.false_accusation <= params.threshold)
        .map(|s| s.recipient.clone())
        .collect();
    suspects.truncate(params.max_suspects.max(accused.len()));
    Accusation {
        threshold: params.threshold,
        population,
        observed,
        suspects,
        accused,
        shortlist,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shortlist of recipients r-000, r-001, … with scores `v`.
    fn shortlist_of(v: &[f64], confidence: f64) -> Option<Shortlist> {
        let names: Vec<String> = (0..v.len()).map(|i| format!("r-{i:03}")).collect();
        let scores: Vec<(&str, f64)> = names
            .iter()
            .map(String::as_str)
            .zip(v.iter().copied())
            .collect();
        shortlist(&scores, confidence)
    }

    #[test]
    fn the_shortlist_is_the_smallest_set_holding_the_mass() {
        // One recipient far ahead: a shortlist of one.
        let mut v = vec![0.0; 100];
        v[7] = 20.0;
        let s = shortlist_of(&v, 0.99).unwrap();
        assert_eq!(s.recipients, ["r-007"]);
        assert!(s.confidence > 0.99 && s.expected_innocents < 0.01);
        // Two tied ahead of the rest: both, in name order.
        v[3] = 20.0;
        let s = shortlist_of(&v, 0.99).unwrap();
        assert_eq!(s.recipients, ["r-003", "r-007"]);
        assert!((s.expected_innocents - (2.0 - s.confidence)).abs() < 1e-12);
        // Evidence that has not narrowed the field names nobody.
        assert_eq!(shortlist_of(&[1.5; 50], 0.99), None);
        // Nor does a score that is not a number.
        assert_eq!(shortlist_of(&[f64::NAN, 3.0, 0.0], 0.99), None);
    }
}

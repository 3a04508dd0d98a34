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

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::codebook::ReadPlan;
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
    /// Threads to score holders on (the caller knows the machine; the
    /// result does not depend on it).
    pub threads: usize,
}

impl Default for AccuseParams {
    fn default() -> Self {
        AccuseParams {
            threshold: 1e-3,
            eta: 0.1,
            max_suspects: 10,
            shortlist_confidence: 0.99,
            threads: 1,
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
    let ranks = params.max_suspects.max(50);
    accuse_from(evidence, params, ranks.saturating_mul(2))
}

/// [`accuse`], computing p-values first for the `first_k` best holders of
/// either score in each group (at least as many as are refined and
/// reported, and more while someone left out could still be accused). The
/// outcome does not depend on `first_k`; tests compare.
fn accuse_from(evidence: &[DocumentEvidence], params: AccuseParams, first_k: usize) -> Accusation {
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

    // Who received which documents, as groups of recipients with the same
    // set (one null distribution per group).
    let holders = Holders::of(evidence);
    let population = holders.names.len();
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
    let plans: Vec<ReadPlan> = slot_terms
        .iter()
        .zip(evidence)
        .map(|(ts, e)| {
            e.codebook
                .read_plan(&ts.iter().map(|t| t.slot).collect::<Vec<_>>())
        })
        .collect();
    let threads = params.threads.clamp(1, 64);
    let nulls: Vec<(Null, Null)> = holders
        .group_documents
        .iter()
        .map(|docs| {
            let sel = docs.iter().flat_map(|&d| slot_terms[d].iter());
            let (a, b): (Vec<TwoPoint>, Vec<TwoPoint>) = sel.map(|t| (t.single, t.tardos)).unzip();
            // The two tests' nulls are independent convolutions.
            if threads > 1 {
                std::thread::scope(|scope| {
                    let second = scope.spawn(move || Null::new(b));
                    let first = Null::new(a);
                    (first, join(second))
                })
            } else {
                (Null::new(a), Null::new(b))
            }
        })
        .collect();

    // Both scores of every holder: the one pass over a million holders,
    // with the read plan made once and no allocation per holder, split
    // over threads in contiguous chunks (each holder's score is the same
    // whichever thread computes it).
    let score_range = |range: std::ops::Range<usize>| -> Vec<Score> {
        let mut out = Vec::with_capacity(range.len());
        let (mut blocks, mut symbols) = (Vec::new(), Vec::new());
        for i in range {
            let group = holders.group_of(i);
            let mut sc = Score {
                who: i,
                group,
                s1: 0.0,
                s2: 0.0,
                matches: 0,
                observed: 0,
            };
            for &d in &holders.group_documents[group] {
                let ts = &slot_terms[d];
                if ts.is_empty() {
                    continue;
                }
                evidence[d].codebook.symbols_with(
                    holders.names[i],
                    &plans[d],
                    &mut blocks,
                    &mut symbols,
                );
                for (t, &x) in ts.iter().zip(&symbols) {
                    let hit = x == t.symbol;
                    sc.matches += usize::from(hit);
                    sc.observed += 1;
                    sc.s1 += if hit { t.single.hit } else { t.single.miss };
                    sc.s2 += if hit { t.tardos.hit } else { t.tardos.miss };
                }
            }
            out.push(sc);
        }
        out
    };
    // Threads pay off only for many holders.
    let scores: Vec<Score> = in_chunks(
        population,
        threads.min(population / 20_000 + 1),
        score_range,
    );

    // p-values in full only for the holders who can rank among the
    // suspects or be accused: a p-value never rises with its score, so
    // within a group anyone whose p-values are both above those of the k-th
    // best scores has at least k holders strictly ahead of them, and is
    // accused by nobody while that bound is above the threshold.
    let refine = population.min(params.max_suspects.max(50));
    // At least as many as are refined and reported: each left out then
    // has k holders strictly ahead of them, so none of those places can be
    // theirs.
    let mut k = first_k.max(refine).max(params.max_suspects).max(1);
    let mut ranked = loop {
        let (candidates, boundary) = best_of(&scores, &nulls, k);
        let outsiders_may_be_accused =
            boundary.is_some_and(|p| bounds(population, p).1 <= params.threshold);
        if !outsiders_may_be_accused || k >= population {
            break candidates;
        }
        k = k.saturating_mul(4);
    };
    // Refine the most suspicious with the Chernoff bound too.
    ranked.sort_by(|a, b| {
        a.p1.min(a.p2)
            .total_cmp(&b.p1.min(b.p2))
            .then(b.s1.total_cmp(&a.s1))
    });
    let refine = refine.min(ranked.len());
    let tails = in_chunks(refine, threads, |range| {
        ranked[range]
            .iter()
            .map(|r| {
                let null = &nulls[r.group];
                (null.0.chernoff_tail(r.s1), null.1.chernoff_tail(r.s2))
            })
            .collect()
    });
    for (r, (c1, c2)) in ranked.iter_mut().zip(tails) {
        r.p1 = r.p1.min(c1);
        r.p2 = r.p2.min(c2);
    }
    // The shortlist reads every holder's single-leaker score, and only
    // when nobody will be accused.
    let anyone_accused = ranked
        .iter()
        .any(|r| bounds(population, r.p1.min(r.p2)).1 <= params.threshold);
    let shortlist = if anyone_accused {
        None
    } else {
        let single: Vec<(&str, f64)> = scores
            .iter()
            .map(|s| (holders.names[s.who], s.s1))
            .collect();
        shortlist(&single, params.shortlist_confidence)
    };
    let mut suspects: Vec<Suspect> = ranked
        .into_iter()
        .map(|r| {
            let (score, test, p) = if r.p1 <= r.p2 {
                (r.s1, Test::SingleLeaker, r.p1)
            } else {
                (r.s2, Test::Collusion, r.p2)
            };
            let (p_value, false_accusation) = bounds(population, p);
            Suspect {
                recipient: holders.names[r.who].to_string(),
                score,
                test,
                p_value,
                false_accusation,
                matches: r.matches,
                observed: r.observed,
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

/// `work` over `0..n` in up to `threads` contiguous chunks, the results
/// concatenated in order.
fn in_chunks<T: Send>(
    n: usize,
    threads: usize,
    work: impl Fn(std::ops::Range<usize>) -> Vec<T> + Sync,
) -> Vec<T> {
    if threads <= 1 || n < 2 {
        return work(0..n);
    }
    let chunk = n.div_ceil(threads);
    let work = &work;
    std::thread::scope(|scope| {
        let parts: Vec<_> = (0..n.div_ceil(chunk))
            .map(|t| {
                let range = (t * chunk).min(n)..((t + 1) * chunk).min(n);
                scope.spawn(move || work(range))
            })
            .collect();
        parts.into_iter().flat_map(join).collect()
    })
}

/// A scoped thread's result; its panic, if it panicked, goes on here.
fn join<T>(h: std::thread::ScopedJoinHandle<'_, T>) -> T {
    h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
}

/// Every holder once, with the set of documents they hold.
struct Holders<'a> {
    /// In name order.
    names: Vec<&'a str>,
    /// Each holder's group; empty when there is one document (group 0).
    group_of_holder: Vec<usize>,
    /// The documents each group's holders hold.
    group_documents: Vec<Vec<usize>>,
}

impl<'a> Holders<'a> {
    fn of(evidence: &[DocumentEvidence<'a>]) -> Holders<'a> {
        if let [only] = evidence {
            // The common case, a leak of one document: every holder in one
            // group, without a map. A list in strictly increasing order (as
            // a store returns it) is used as it is; any other is sorted and
            // made unique, so that the order is always the names'.
            let mut names: Vec<&str> = only.recipients.iter().map(String::as_str).collect();
            if !names.windows(2).all(|w| w[0] < w[1]) {
                names.sort_unstable();
                names.dedup();
            }
            return Holders {
                names,
                group_of_holder: Vec::new(),
                group_documents: vec![vec![0]],
            };
        }
        let mut held: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (d, e) in evidence.iter().enumerate() {
            for r in e.recipients {
                let docs = held.entry(r.as_str()).or_default();
                if docs.last() != Some(&d) {
                    docs.push(d);
                }
            }
        }
        let mut ids: HashMap<Vec<usize>, usize> = HashMap::new();
        let mut group_documents = Vec::new();
        let mut names = Vec::with_capacity(held.len());
        let mut group_of_holder = Vec::with_capacity(held.len());
        for (name, docs) in held {
            let g = *ids.entry(docs.clone()).or_insert_with(|| {
                group_documents.push(docs);
                group_documents.len() - 1
            });
            names.push(name);
            group_of_holder.push(g);
        }
        Holders {
            names,
            group_of_holder,
            group_documents,
        }
    }

    fn group_of(&self, holder: usize) -> usize {
        self.group_of_holder.get(holder).copied().unwrap_or(0)
    }
}

/// One holder's scores, before p-values.
struct Score {
    who: usize,
    group: usize,
    s1: f64,
    s2: f64,
    matches: usize,
    observed: usize,
}

/// A holder who may rank among the suspects, with lattice p-values.
struct Ranked {
    who: usize,
    group: usize,
    s1: f64,
    s2: f64,
    p1: f64,
    p2: f64,
    matches: usize,
    observed: usize,
}

/// Per group, the holders whose lattice p-value of either test is at or
/// below that of the `k`-th best score of the test (ties included), with
/// their p-values; and a bound below the p-values of everyone left out
/// (None when nobody was).
fn best_of(scores: &[Score], nulls: &[(Null, Null)], k: usize) -> (Vec<Ranked>, Option<f64>) {
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); nulls.len()];
    for (i, s) in scores.iter().enumerate() {
        if let Some(m) = members.get_mut(s.group) {
            m.push(i);
        }
    }
    let mut keep = vec![false; scores.len()];
    let mut boundary: Option<f64> = None;
    for (null, members) in nulls.iter().zip(&members) {
        if members.len() <= k {
            members.iter().for_each(|&i| keep[i] = true);
            continue;
        }
        let kth = |score: fn(&Score) -> f64| -> f64 {
            let mut v: Vec<f64> = members.iter().map(|&i| score(&scores[i])).collect();
            let (_, x, _) = v.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
            *x
        };
        let (c1, c2) = (
            null.0.lattice_tail(kth(|s| s.s1)),
            null.1.lattice_tail(kth(|s| s.s2)),
        );
        for &i in members {
            let s = &scores[i];
            if null.0.lattice_tail(s.s1) <= c1 || null.1.lattice_tail(s.s2) <= c2 {
                keep[i] = true;
            }
        }
        // Whoever is left out has both p-values above these.
        let least = c1.min(c2);
        boundary = Some(boundary.map_or(least, |b: f64| b.min(least)));
    }
    let ranked = scores
        .iter()
        .zip(&keep)
        .filter(|(_, &k)| k)
        .map(|(s, _)| {
            let null = &nulls[s.group];
            Ranked {
                who: s.who,
                group: s.group,
                s1: s.s1,
                s2: s.s2,
                p1: null.0.lattice_tail(s.s1),
                p2: null.1.lattice_tail(s.s2),
                matches: s.matches,
                observed: s.observed,
            }
        })
        .collect();
    (ranked, boundary)
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
    fn threads_do_not_change_the_outcome() {
        use crate::{CodeParams, SecretKey};
        let qs: Vec<u8> = (0..120).map(|j| 2 + (j % 3) as u8).collect();
        let cb = Codebook::for_slots(
            &SecretKey::from_bytes([3; 32]),
            "d",
            &qs,
            CodeParams::default(),
        )
        .unwrap();
        let rs: Vec<String> = (0..45_000).map(|i| format!("r-{i:05}")).collect();
        let leaker = cb.codeword(&rs[31_337]);
        // A short reading (nobody accused, a shortlist) and a long one.
        for n in [6, 120] {
            let obs: Vec<Observation> = (0..n)
                .map(|j| Observation {
                    slot: j as u32,
                    symbol: leaker[j],
                    site: j as u32,
                    leak_span: 0..0,
                })
                .collect();
            let run = |threads| {
                accuse(
                    &[DocumentEvidence {
                        codebook: &cb,
                        observations: &obs,
                        recipients: &rs,
                    }],
                    AccuseParams {
                        threads,
                        ..AccuseParams::default()
                    },
                )
            };
            let one = run(1);
            assert_eq!(one, run(3), "{n} slots");
            // Pruned hard (and widened), or not at all: the same outcome,
            // also when a threshold of 1 accuses everyone (so that the
            // candidates must widen to the whole field).
            for threshold in [1e-3, 1.0] {
                let params = AccuseParams {
                    threshold,
                    ..AccuseParams::default()
                };
                let ev = [DocumentEvidence {
                    codebook: &cb,
                    observations: &obs,
                    recipients: &rs,
                }];
                assert_eq!(
                    accuse_from(&ev, params, 3),
                    accuse_from(&ev, params, usize::MAX),
                    "{n} slots, threshold {threshold}"
                );
            }
            assert_eq!(one.population, 45_000);
            if n == 120 {
                assert_eq!(one.accused, vec![rs[31_337].clone()]);
            } else {
                assert!(one.shortlist.is_some());
            }
        }
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

//! The codebook: each slot's secret biases and each recipient's symbols.
//!
//! This is a q-ary Tardos-class probabilistic code. For slot `j` with `q`
//! alternatives a secret bias vector `p_j` is drawn from a symmetric
//! Dirichlet(1/2) distribution (for `q = 2` the arcsine law of Tardos and
//! Škorić et al.), pulled towards uniform so that no alternative is rarer than
//! `cutoff`. Recipient `r` gets alternative `k` at slot `j` with probability
//! `p_j[k]`, independently of everyone else.
//!
//! Why these parameters: Dirichlet(1/2) biases are what make the symmetric
//! Tardos score resist collusion (colluders cannot agree on a symbol the code
//! did not give one of them, and rare symbols they do show count for a lot).
//! The cutoff trades a little of that for evidence per slot from a *single*
//! leaker's short quote: with pure arcsine biases a quoted binary slot carries
//! on average 0.56 bits of likelihood-ratio evidence, with biases held in
//! [0.1, 0.9] about 0.74, with uniform ones a full bit. Measured with
//! `examples/tradeoff.rs` (N = 1,000, threshold 1e-3, binary slots): a single
//! leaker is accused in 90% of trials from 50 observed slots at cutoff 0, 45
//! at 0.05, 40 at 0.1, 30 at 0.2; three colluders voting for their minority
//! symbol over 400 slots are caught in about 65–95% of trials up to cutoff
//! 0.1 but only 20% at 0.2. Short quotes by one leaker are the common case,
//! so the default cutoff is 0.1, the largest that keeps c = 3 collusion.
//!
//! Since version 2 the slots of the visible layers are uniform instead (a
//! fair coin for a binary slot: 90% of single leakers accused from 25
//! observed slots, against 40 at cutoff 0.1, same tool). Those slots are
//! read from short retyped quotes, where one leaker is the case that
//! matters, and they are far too few for collusion resistance anyway; the
//! invisible slots, which a pasted or merged copy carries by the hundred,
//! keep the biases above.
//!
//! All randomness comes from BLAKE3 in keyed mode, read as an extendable
//! output stream, and floating point uses the portable `libm`, so a copy
//! made today renders and traces identically on every platform and every
//! later version. Nothing from `rand` is used: its algorithms may change.

use serde::{Deserialize, Serialize};

use crate::{Error, SecretKey, Template};

/// Version of the codebook derivation. Bumped on any change that would give
/// an existing document and recipient a different codeword; every earlier
/// version stays derivable, for the documents registered under it.
///
/// 1: every slot biased (Dirichlet(1/2) with the cutoff).
/// 2: slots of the visible layers (lexical, punctuation) uniform; invisible
///    slots biased as in 1.
pub const CODEBOOK_VERSION: u32 = 2;

/// The oldest derivation still supported.
pub const OLDEST_CODEBOOK_VERSION: u32 = 1;

/// Parameters of the code, stored with each document.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CodeParams {
    pub version: u32,
    /// Smallest probability of any alternative (0 ≤ cutoff ≤ 1/q).
    pub cutoff: f64,
}

impl Default for CodeParams {
    fn default() -> Self {
        CodeParams {
            version: CODEBOOK_VERSION,
            cutoff: 0.1,
        }
    }
}

/// Biases of every slot of one document, and the key to draw recipients' symbols.
#[derive(Clone)]
pub struct Codebook {
    doc_key: [u8; 32],
    /// Per slot, the probability of each alternative.
    biases: Vec<Vec<f64>>,
    params: CodeParams,
}

impl std::fmt::Debug for Codebook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Codebook")
            .field("slots", &self.biases.len())
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl Drop for Codebook {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.doc_key);
    }
}

/// A uniform double in [0, 1) from 64 random bits.
fn unit(x: u64) -> f64 {
    (x >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
}

/// A uniform double in (0, 1], safe for `ln`.
fn unit_open(x: u64) -> f64 {
    ((x >> 11) + 1) as f64 * (1.0 / 9_007_199_254_740_992.0)
}

struct Stream(blake3::OutputReader);

impl Stream {
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.0.fill(&mut b);
        u64::from_le_bytes(b)
    }
}

impl Codebook {
    /// Derive the codebook of `template` registered as `document_id`.
    pub fn new(
        key: &SecretKey,
        document_id: &str,
        template: &Template,
        params: CodeParams,
    ) -> Result<Codebook, Error> {
        let qs: Vec<u8> = template.slots.iter().map(|s| s.q).collect();
        let uniform: Vec<bool> = template
            .slots
            .iter()
            .map(|s| params.version >= 2 && s.layer() != crate::Layer::Invisible)
            .collect();
        Codebook::derive(key, document_id, &qs, &uniform, params)
    }

    /// Derive a codebook from the alphabet size of each slot alone, every
    /// slot biased.
    pub fn for_slots(
        key: &SecretKey,
        document_id: &str,
        qs: &[u8],
        params: CodeParams,
    ) -> Result<Codebook, Error> {
        Codebook::derive(key, document_id, qs, &vec![false; qs.len()], params)
    }

    /// Slots marked `uniform` give every alternative the same probability:
    /// the visible layers are read from short quotes by one leaker, where a
    /// fair symbol carries the most evidence (a full bit per binary slot
    /// against 0.74 with biases cut off at 0.1), and they are far too few
    /// to resist collusion in any case; the invisible layer keeps the
    /// collusion-resistant biases.
    fn derive(
        key: &SecretKey,
        document_id: &str,
        qs: &[u8],
        uniform: &[bool],
        params: CodeParams,
    ) -> Result<Codebook, Error> {
        if !(OLDEST_CODEBOOK_VERSION..=CODEBOOK_VERSION).contains(&params.version) {
            return Err(Error::Version {
                found: params.version,
                supported: CODEBOOK_VERSION,
            });
        }
        let doc_key = key.document_key(document_id);
        let mut biases = Vec::with_capacity(qs.len());
        for (j, &q) in qs.iter().enumerate() {
            if q < 2 {
                return Err(Error::BadParameter(format!(
                    "slot {j} has {q} alternatives"
                )));
            }
            if !(0.0..=1.0 / f64::from(q)).contains(&params.cutoff) {
                return Err(Error::BadParameter(format!(
                    "cutoff {} is outside [0, 1/{q}]",
                    params.cutoff
                )));
            }
            if uniform.get(j).copied().unwrap_or(false) {
                biases.push(vec![1.0 / f64::from(q); usize::from(q)]);
            } else {
                biases.push(draw_bias(&doc_key, j as u32, q, params.cutoff));
            }
        }
        Ok(Codebook {
            doc_key,
            biases,
            params,
        })
    }

    pub fn params(&self) -> CodeParams {
        self.params
    }

    pub fn len(&self) -> usize {
        self.biases.len()
    }

    pub fn is_empty(&self) -> bool {
        self.biases.is_empty()
    }

    /// The secret probability of each alternative at `slot`.
    pub fn bias(&self, slot: usize) -> &[f64] {
        &self.biases[slot]
    }

    fn recipient_stream(&self, recipient: &str) -> blake3::OutputReader {
        let mut h = blake3::Hasher::new_keyed(&self.doc_key);
        h.update(b"recipient\0");
        h.update(&(recipient.len() as u64).to_le_bytes());
        h.update(recipient.as_bytes());
        h.finalize_xof()
    }

    fn pick(&self, slot: usize, x: u64) -> u8 {
        let u = unit(x);
        // A slot outside the code (never one read from its own template)
        // draws the first symbol rather than bringing the trace down.
        let Some(p) = self.biases.get(slot) else {
            return 0;
        };
        let mut acc = 0.0;
        for (k, &pk) in p.iter().enumerate().take(p.len() - 1) {
            acc += pk;
            if u < acc {
                return k as u8;
            }
        }
        (p.len() - 1) as u8
    }

    /// The whole codeword of one recipient.
    pub fn codeword(&self, recipient: &str) -> Vec<u8> {
        let mut s = Stream(self.recipient_stream(recipient));
        (0..self.biases.len())
            .map(|j| self.pick(j, s.next_u64()))
            .collect()
    }

    /// A recipient's symbols at some slots only (what tracing needs).
    /// Computes the 64-byte output blocks those slots fall in (and short
    /// gaps between them; see [`ReadPlan`]), not the whole codeword.
    pub fn symbols_at(&self, recipient: &str, slots: &[u32]) -> Vec<u8> {
        let plan = self.read_plan(slots);
        let mut out = Vec::with_capacity(slots.len());
        self.symbols_with(recipient, &plan, &mut Vec::new(), &mut out);
        out
    }

    /// [`Codebook::symbols_at`] for many recipients: the plan is made once,
    /// and `blocks` and `out` are reused, so that scoring a million
    /// holders allocates nothing per holder. `out` receives the symbols at
    /// the plan's slots, in its order.
    pub fn symbols_with(
        &self,
        recipient: &str,
        plan: &ReadPlan,
        blocks: &mut Vec<u8>,
        out: &mut Vec<u8>,
    ) {
        let mut r = self.recipient_stream(recipient);
        blocks.resize(plan.blocks * 64, 0);
        // One call per run of blocks: BLAKE3 computes the blocks of a run
        // together (several at once where the CPU has wide vectors).
        let mut at = 0;
        for &(first, n) in &plan.runs {
            r.set_position(64 * first);
            r.fill(&mut blocks[at..at + 64 * n]);
            at += 64 * n;
        }
        out.clear();
        if plan.wide {
            out.extend(plan.offsets.iter().zip(&plan.slots).map(|(&o, &j)| {
                let x = u64::from_le_bytes(blocks[o..o + 8].try_into().unwrap_or([0; 8]));
                self.pick(j as usize, x)
            }));
            return;
        }
        out.extend(plan.offsets.iter().zip(&plan.cuts).map(|(&o, cuts)| {
            let x = u64::from_le_bytes(blocks[o..o + 8].try_into().unwrap_or([0; 8]));
            // What `pick` decides, without a branch per alternative: the
            // symbol is the number of cut points at or below the draw.
            let m = x >> 11;
            cuts.iter().map(|&c| u8::from(m >= c)).sum::<u8>()
        }));
    }

    /// The plan for reading `slots` of every recipient's codeword (see
    /// [`ReadPlan`]).
    pub fn read_plan(&self, slots: &[u32]) -> ReadPlan {
        let mut plan = ReadPlan::new(slots);
        plan.wide = slots.iter().any(|&j| {
            self.biases
                .get(j as usize)
                .is_some_and(|p| p.len() > MAX_CUTS + 1)
        });
        plan.cuts = slots
            .iter()
            .map(|&j| {
                // `pick` returns the first k with u < Σ_{i≤k} p_i, where
                // u = m·2⁻⁵³ for the integer m = x >> 11. Scaling by 2⁵³ is
                // exact, so u < acc exactly when m < ⌈acc·2⁵³⌉: integer cut
                // points give the same symbol bit for bit.
                let mut cuts = [u64::MAX; MAX_CUTS];
                let mut acc = 0.0;
                let p = self.biases.get(j as usize).map_or(&[][..], Vec::as_slice);
                for (c, &pk) in cuts
                    .iter_mut()
                    .zip(p.iter().take(p.len().saturating_sub(1)))
                {
                    acc += pk;
                    *c = (acc * 9_007_199_254_740_992.0).ceil() as u64;
                }
                cuts
            })
            .collect();
        plan
    }
}

/// Cut points the fast draw holds: slots with up to MAX_CUTS + 1
/// alternatives (every rule and author slot) are drawn by comparing
/// integers; a plan with a wider slot draws by the biases themselves.
const MAX_CUTS: usize = 7;

/// Where a set of slots' symbols lie in every recipient's output stream:
/// the runs of 64-byte blocks to compute, and each slot's byte offset in
/// them. The same for every recipient of a document, so it is made once
/// per trace.
#[derive(Debug, Clone, Default)]
pub struct ReadPlan {
    slots: Vec<u32>,
    /// (first block, number of blocks), ascending.
    runs: Vec<(u64, usize)>,
    blocks: usize,
    /// Per slot, in `slots`' order: its 8 bytes' offset in the runs.
    offsets: Vec<usize>,
    /// Per slot: the cut points of its symbol draw (unused ones at the
    /// maximum), from the codebook's biases.
    cuts: Vec<[u64; MAX_CUTS]>,
    /// Some slot has more alternatives than cut points: draw by the biases
    /// themselves.
    wide: bool,
}

/// A new run starts only when RUN_GAP or more unneeded blocks lie between
/// two needed ones; shorter gaps are computed anyway, because a run of
/// blocks costs less per block than blocks one by one.
const RUN_GAP: u64 = 4;

impl ReadPlan {
    fn new(slots: &[u32]) -> ReadPlan {
        let mut needed: Vec<u64> = slots.iter().map(|&j| u64::from(j) / 8).collect();
        needed.sort_unstable();
        needed.dedup();
        let mut runs: Vec<(u64, usize)> = Vec::new();
        for b in needed {
            match runs.last_mut() {
                Some((first, n)) if b < *first + *n as u64 + RUN_GAP => {
                    *n = (b - *first + 1) as usize;
                }
                _ => runs.push((b, 1)),
            }
        }
        // Each run's start in the concatenated blocks.
        let mut starts = Vec::with_capacity(runs.len());
        let mut total = 0;
        for &(_, n) in &runs {
            starts.push(total);
            total += n;
        }
        let offsets = slots
            .iter()
            .map(|&j| {
                let b = u64::from(j) / 8;
                let r = runs.partition_point(|&(first, _)| first <= b) - 1;
                (starts[r] + (b - runs[r].0) as usize) * 64 + (j as usize % 8) * 8
            })
            .collect();
        ReadPlan {
            slots: slots.to_vec(),
            runs,
            blocks: total,
            offsets,
            cuts: Vec::new(),
            wide: false,
        }
    }
}

/// Draw the bias vector of one slot.
fn draw_bias(doc_key: &[u8; 32], slot: u32, q: u8, cutoff: f64) -> Vec<f64> {
    let mut h = blake3::Hasher::new_keyed(doc_key);
    h.update(b"bias\0");
    h.update(&slot.to_le_bytes());
    let mut s = Stream(h.finalize_xof());
    let raw: Vec<f64> = if q == 2 {
        // Arcsine law: p = sin²(πu/2).
        let p = libm::sin(std::f64::consts::FRAC_PI_2 * unit(s.next_u64()));
        let p = p * p;
        vec![p, 1.0 - p]
    } else {
        // Dirichlet(1/2): normalised squares of standard normals (Box–Muller).
        let g: Vec<f64> = (0..q)
            .map(|_| {
                let r = libm::sqrt(-2.0 * libm::log(unit_open(s.next_u64())));
                let z = r * libm::cos(2.0 * std::f64::consts::PI * unit(s.next_u64()));
                z * z + 1e-300
            })
            .collect();
        let sum: f64 = g.iter().sum();
        g.iter().map(|x| x / sum).collect()
    };
    let scale = 1.0 - f64::from(q) * cutoff;
    raw.into_iter().map(|p| cutoff + scale * p).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretKey {
        SecretKey::from_bytes([7; 32])
    }

    #[test]
    fn reading_by_plan_gives_the_codeword_bit_for_bit() {
        let qs: Vec<u8> = (0..300).map(|j| 2 + (j % 7) as u8).collect();
        let cb = Codebook::for_slots(&key(), "doc", &qs, CodeParams::default()).unwrap();
        let slots: Vec<u32> = (0..300)
            .filter(|j| j % 3 != 1 && !(100..180).contains(j))
            .collect();
        let plan = cb.read_plan(&slots);
        let (mut blocks, mut out) = (Vec::new(), Vec::new());
        for r in ["ann", "bo", "r-0000017", ""] {
            let whole = cb.codeword(r);
            cb.symbols_with(r, &plan, &mut blocks, &mut out);
            let expected: Vec<u8> = slots.iter().map(|&j| whole[j as usize]).collect();
            assert_eq!(out, expected, "{r}");
            assert_eq!(cb.symbols_at(r, &slots), expected);
        }
        // Slots with more alternatives than cut points take the slow path.
        let cb = Codebook::for_slots(
            &key(),
            "doc",
            &[20, 3],
            CodeParams {
                cutoff: 0.01,
                ..CodeParams::default()
            },
        )
        .unwrap();
        let plan = cb.read_plan(&[0, 1]);
        cb.symbols_with("ann", &plan, &mut blocks, &mut out);
        assert_eq!(out, cb.codeword("ann"));
    }

    #[test]
    fn biases_respect_the_cutoff_and_sum_to_one() {
        let cb =
            Codebook::for_slots(&key(), "doc", &[2, 3, 4, 5, 2], CodeParams::default()).unwrap();
        for j in 0..cb.len() {
            let p = cb.bias(j);
            assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            assert!(p.iter().all(|&x| x >= 0.1 - 1e-12), "{p:?}");
        }
    }

    #[test]
    fn sparse_symbols_equal_the_codeword() {
        let cb = Codebook::for_slots(&key(), "doc", &[2; 40], CodeParams::default()).unwrap();
        let cw = cb.codeword("alice");
        let slots = [0u32, 3, 17, 39, 8];
        let sym = cb.symbols_at("alice", &slots);
        for (i, &j) in slots.iter().enumerate() {
            assert_eq!(sym[i], cw[j as usize]);
        }
        assert_ne!(cb.codeword("alice"), cb.codeword("bob"));
    }

    #[test]
    fn symbol_frequencies_follow_the_biases() {
        let cb = Codebook::for_slots(&key(), "doc", &[3], CodeParams::default()).unwrap();
        let mut n = [0usize; 3];
        for r in 0..20_000 {
            n[cb.codeword(&format!("r{r}"))[0] as usize] += 1;
        }
        for (k, &count) in n.iter().enumerate() {
            let f = count as f64 / 20_000.0;
            assert!(
                (f - cb.bias(0)[k]).abs() < 0.015,
                "{k}: {f} vs {}",
                cb.bias(0)[k]
            );
        }
    }

    #[test]
    fn debug_shows_no_key() {
        let cb = Codebook::for_slots(&key(), "doc", &[2], CodeParams::default()).unwrap();
        assert!(!format!("{cb:?}").contains("doc_key"));
    }
}

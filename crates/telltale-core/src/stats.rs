//! Tail probabilities of an innocent recipient's score, exact up to a
//! conservative rounding, or bounded.
//!
//! An innocent recipient's symbol at each observed slot is drawn from that
//! slot's secret biases independently of the leak, so their score is a sum
//! of independent two-point variables: `a_j` with probability `p_j` (their
//! symbol matches what the leak shows) and `b_j` otherwise. Two upper bounds
//! on `P(S ≥ s)` are computed and the smaller is used; both are proven, so
//! reported p-values are never optimistic:
//!
//! * **Lattice**: round every value *up* to a grid of step δ and convolve
//!   exactly. The rounded sum is never below the true sum, so its tail
//!   bounds the true tail. Tight when there are few slots.
//! * **Chernoff**: `P(S ≥ s) ≤ exp(−λs) · Π E[exp(λ X_j)]` for any λ ≥ 0,
//!   with the exact moment generating function, minimised over λ. Tight in
//!   the exponent when there are many slots.

/// One slot's contribution to an innocent recipient's score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TwoPoint {
    /// Value when the recipient's symbol matches the leak.
    pub hit: f64,
    /// Value when it does not.
    pub miss: f64,
    /// Probability that an innocent recipient's symbol matches.
    pub p: f64,
}

/// The null distribution of a sum of [`TwoPoint`]s, ready for tail queries.
#[derive(Debug, Clone)]
pub struct Null {
    terms: Vec<TwoPoint>,
    delta: f64,
    min_index: i64,
    /// tail[k] = P(V ≥ min_index + k) for the rounded-up lattice sum V.
    tail: Vec<f64>,
}

/// Most lattice points the exact convolution may use.
const MAX_LATTICE: usize = 200_000;
/// Work budget of the convolution (points × terms). With many slots the
/// lattice gets coarse and the Chernoff bound, which is then the tighter
/// one anyway, decides.
const MAX_LATTICE_WORK: usize = 40_000_000;

fn up(v: f64, delta: f64) -> i64 {
    (v / delta + 1e-9).ceil() as i64
}

impl Null {
    pub fn new(terms: Vec<TwoPoint>) -> Null {
        let spread: f64 = terms.iter().map(|t| (t.hit - t.miss).abs()).sum();
        let points = MAX_LATTICE
            .min(MAX_LATTICE_WORK / terms.len().max(1))
            .max(terms.len() + 1000);
        let delta = (spread / (points - terms.len()) as f64).max(1e-6);
        let mut min_index = 0i64;
        let mut pmf = Vec::with_capacity(points + 1);
        pmf.push(1.0f64);
        let mut next: Vec<f64> = Vec::with_capacity(points + 1);
        for t in &terms {
            let (h, m) = (up(t.hit, delta), up(t.miss, delta));
            let lo = h.min(m);
            let w = (h - m).unsigned_abs() as usize;
            // The lower of the two values keeps a mass where it is, the
            // higher moves it up by `w`: next[i] = old[i]·p_low +
            // old[i − w]·p_high, written as whole-slice passes that the
            // compiler vectorises (the same sums as a convolution into a
            // fresh array, in the same order).
            let (p_low, p_high) = if h >= m {
                (1.0 - t.p, t.p)
            } else {
                (t.p, 1.0 - t.p)
            };
            let n = pmf.len();
            next.clear();
            next.resize(n + w, 0.0);
            let (low, high) = next.split_at_mut(w.min(n + w));
            if w == 0 {
                for (o, &x) in low.iter_mut().chain(high.iter_mut()).zip(&pmf) {
                    *o = x * p_low + x * p_high;
                }
            } else {
                // Below w only the kept mass; from w on, both.
                for (o, &x) in low.iter_mut().zip(&pmf) {
                    *o = x * p_low;
                }
                let both = n.saturating_sub(w);
                let (mid, top) = high.split_at_mut(both);
                for ((o, &x), &y) in mid
                    .iter_mut()
                    .zip(pmf.get(w..).unwrap_or(&[]))
                    .zip(&pmf[..both])
                {
                    *o = x * p_low + y * p_high;
                }
                for (o, &y) in top.iter_mut().zip(&pmf[both..]) {
                    *o = y * p_high;
                }
            }
            std::mem::swap(&mut pmf, &mut next);
            min_index += lo;
        }
        let mut tail = vec![0.0f64; pmf.len() + 1];
        for k in (0..pmf.len()).rev() {
            tail[k] = tail[k + 1] + pmf[k];
        }
        Null {
            terms,
            delta,
            min_index,
            tail,
        }
    }

    pub fn len(&self) -> usize {
        self.terms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Upper bound on P(S ≥ s) from the lattice.
    pub fn lattice_tail(&self, s: f64) -> f64 {
        let k = (s / self.delta - 1e-9).ceil() as i64 - self.min_index;
        if k <= 0 {
            return 1.0;
        }
        let k = k as usize;
        if k >= self.tail.len() {
            0.0
        } else {
            self.tail[k].min(1.0)
        }
    }

    /// Chernoff bound on P(S ≥ s).
    pub fn chernoff_tail(&self, s: f64) -> f64 {
        let mean: f64 = self
            .terms
            .iter()
            .map(|t| t.p * t.hit + (1.0 - t.p) * t.miss)
            .sum();
        if s <= mean || self.terms.is_empty() {
            return 1.0;
        }
        let scale = self
            .terms
            .iter()
            .map(|t| t.hit.abs().max(t.miss.abs()))
            .fold(1e-9, f64::max);
        // The logs of the probabilities do not depend on the exponent.
        let logs: Vec<(f64, f64, f64, f64)> = self
            .terms
            .iter()
            .map(|t| (t.hit, t.p.ln(), t.miss, (1.0 - t.p).ln()))
            .collect();
        let log_bound = |l: f64| -> f64 {
            let mut acc = -l * s;
            for &(hit, ln_p, miss, ln_q) in &logs {
                let (x, y) = (l * hit + ln_p, l * miss + ln_q);
                // exp(max − max) is exactly 1: one exponential per term.
                let (m, other) = if x >= y { (x, y) } else { (y, x) };
                acc += m + (1.0 + (other - m).exp()).ln();
            }
            acc
        };
        // Golden-section search on the convex exponent.
        let (mut a, mut b) = (0.0f64, 60.0 / scale);
        let g = 0.618_033_988_749_895;
        let mut c = b - g * (b - a);
        let mut d = a + g * (b - a);
        let (mut fc, mut fd) = (log_bound(c), log_bound(d));
        for _ in 0..48 {
            if fc < fd {
                b = d;
                d = c;
                fd = fc;
                c = b - g * (b - a);
                fc = log_bound(c);
            } else {
                a = c;
                c = d;
                fc = fd;
                d = a + g * (b - a);
                fd = log_bound(d);
            }
        }
        fc.min(fd).min(0.0).exp()
    }

    /// The better of both bounds.
    pub fn tail(&self, s: f64) -> f64 {
        let l = self.lattice_tail(s);
        if l == 0.0 {
            return 0.0;
        }
        l.min(self.chernoff_tail(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact tail by enumerating all 2^m outcomes.
    fn brute(terms: &[TwoPoint], s: f64) -> f64 {
        let m = terms.len();
        let mut total = 0.0;
        for mask in 0u32..(1 << m) {
            let mut v = 0.0;
            let mut p = 1.0;
            for (j, t) in terms.iter().enumerate() {
                if mask & (1 << j) != 0 {
                    v += t.hit;
                    p *= t.p;
                } else {
                    v += t.miss;
                    p *= 1.0 - t.p;
                }
            }
            if v >= s - 1e-12 {
                total += p;
            }
        }
        total
    }

    #[test]
    fn bounds_are_above_the_exact_tail_and_close_to_it() {
        let terms: Vec<TwoPoint> = (0..12)
            .map(|j| {
                let p = 0.1 + 0.07 * j as f64;
                TwoPoint {
                    hit: ((1.0 - 0.1) / p + 0.1).ln(),
                    miss: 0.1f64.ln(),
                    p,
                }
            })
            .collect();
        let null = Null::new(terms.clone());
        for s in [-10.0, 0.0, 2.0, 5.0, 8.0, 10.0, 14.0] {
            let exact = brute(&terms, s);
            let lat = null.lattice_tail(s);
            let ch = null.chernoff_tail(s);
            assert!(lat >= exact - 1e-12, "lattice {lat} < exact {exact} at {s}");
            assert!(ch >= exact - 1e-12, "chernoff {ch} < exact {exact} at {s}");
            assert!(
                lat <= exact * 1.5 + 1e-9,
                "lattice {lat} far above exact {exact} at {s}"
            );
        }
    }
}

#[cfg(test)]
mod edge_tests {
    use super::*;

    /// A recipient who matches every observed slot has exactly the largest
    /// possible score; floating-point rounding must never push the bound
    /// below the true probability of that score.
    #[test]
    fn the_largest_score_keeps_its_probability() {
        let mut seed = 12345u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        for m in [1usize, 2, 3, 5, 8, 13, 40, 120, 400] {
            for _ in 0..50 {
                let terms: Vec<TwoPoint> = (0..m)
                    .map(|_| {
                        let p = 0.1 + 0.8 * next();
                        if next() < 0.5 {
                            TwoPoint {
                                hit: ((1.0 - 0.1) / p + 0.1).ln(),
                                miss: 0.1f64.ln(),
                                p,
                            }
                        } else {
                            TwoPoint {
                                hit: ((1.0 - p) / p).sqrt(),
                                miss: -(p / (1.0 - p)).sqrt(),
                                p,
                            }
                        }
                    })
                    .collect();
                let all_hit: f64 = terms.iter().rev().map(|t| t.hit).sum();
                let prob: f64 = terms.iter().map(|t| t.p).product();
                let null = Null::new(terms);
                let bound = null.tail(all_hit);
                assert!(
                    bound >= prob * (1.0 - 1e-9),
                    "m = {m}: bound {bound} below the true probability {prob}"
                );
            }
        }
    }
}

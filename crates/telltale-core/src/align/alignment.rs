//! Aligning, the third step of tracing: seeds of one document are chained
//! along near-diagonals into regions, and each region is aligned to the
//! template by a local (Smith–Waterman) alignment in which a visible slot
//! is a branch, passed through one of its alternatives or skipped. Kept
//! apart from indexing and reading because it is the costly, self-contained
//! dynamic programme; its result is a passage and the path taken.

use std::ops::Range;

use super::index::{IndexedDoc, Norm, Unit};
use super::{Passage, MIN_PASSAGE_WORDS};
use crate::text::Token;

/// An alignment's path: (leak token, step, document unit).
pub(super) type AlignPath = Vec<(usize, Op, usize)>;

/// A step of an alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Stop,
    /// Leak token aligned to a fixed unit (exact or fuzzy).
    Match {
        exact: bool,
    },
    Sub,
    /// Leak token not in the template.
    LeakGap,
    /// Template unit missing from the leak.
    UnitGap,
    /// Branch passed through alternative `k` (consuming its tokens).
    Branch {
        k: u8,
        len: u8,
    },
}

fn edit_distance_at_most(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        let mut best = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j - 1] + cost).min(prev[j] + 1).min(cur[j - 1] + 1);
            best = best.min(cur[j]);
        }
        if best > max {
            return None;
        }
        prev = cur;
    }
    (prev[b.len()] <= max).then_some(prev[b.len()])
}

/// Score of aligning a leak token to a template token; `None` if unrelated.
fn token_score(leak: &Norm, unit: &Norm) -> Option<(f32, bool)> {
    match (leak, unit) {
        (Norm::Word(a), Norm::Word(b)) => {
            if a == b {
                Some((2.0, true))
            } else {
                let n = b.chars().count();
                let max = if n >= 8 {
                    2
                } else if n >= 4 {
                    1
                } else {
                    0
                };
                if max > 0 && edit_distance_at_most(a, b, max).is_some() {
                    Some((1.0, false))
                } else {
                    None
                }
            }
        }
        (Norm::Punct(a), Norm::Punct(b)) if a == b => Some((0.5, true)),
        _ => None,
    }
}

fn gap_cost(n: &Norm) -> f32 {
    if n.is_word() {
        -2.0
    } else {
        -0.5
    }
}

/// Group seeds (sorted by leak position) into chains along near-diagonals.
/// Returns (first leak token, last leak token, first unit, last unit).
pub(super) fn chain(seeds: &[(u32, usize, usize)]) -> Vec<(usize, usize, usize, usize)> {
    let mut chains: Vec<(usize, usize, usize, usize)> = Vec::new();
    let mut by_leak: Vec<(usize, usize)> = seeds.iter().map(|s| (s.1, s.2)).collect();
    by_leak.sort_unstable();
    for (l, u) in by_leak {
        let best = chains
            .iter_mut()
            .filter(|c| {
                l >= c.1
                    && l - c.1 <= 40
                    && u + 10 >= c.3
                    && ((u as isize - c.3 as isize) - (l as isize - c.1 as isize)).abs() <= 20
            })
            .min_by_key(|c| ((u as isize - c.3 as isize) - (l as isize - c.1 as isize)).abs());
        match best {
            Some(c) => {
                c.1 = l;
                c.3 = c.3.max(u);
                c.2 = c.2.min(u);
            }
            None => chains.push((l, l, u, u)),
        }
    }
    // Split very long chains so one alignment stays bounded in memory.
    let mut out = Vec::new();
    for (l0, l1, u0, u1) in chains {
        if l1 - l0 <= 3000 {
            out.push((l0, l1, u0, u1));
        } else {
            let parts = (l1 - l0) / 2500 + 1;
            let (ls, us) = ((l1 - l0) / parts, (u1.saturating_sub(u0)) / parts);
            for p in 0..parts {
                out.push((
                    l0 + p * ls,
                    l0 + (p + 1) * ls,
                    u0 + p * us,
                    u0 + (p + 1) * us,
                ));
            }
        }
    }
    out
}

/// Local alignment of leak tokens `lr` against template units `ur`.
/// Returns the score, the passage and the path as (leak index, op, unit index).
pub(super) fn align_region(
    leak_raw: &[Token],
    toks: &[(Norm, usize)],
    doc: &IndexedDoc,
    lr: Range<usize>,
    ur: Range<usize>,
) -> Option<(f32, Passage, AlignPath)> {
    let (n, m) = (lr.len(), ur.len());
    let w = m + 1;
    let mut h = vec![0f32; (n + 1) * w];
    let mut op = vec![Op::Stop; (n + 1) * w];
    let mut best = (0f32, 0usize, 0usize);
    for i in 1..=n {
        let lt = &toks[lr.start + i - 1].0;
        for j in 1..=m {
            let unit = &doc.units[ur.start + j - 1];
            let mut s = 0f32;
            let mut o = Op::Stop;
            let mut consider = |v: f32, p: Op| {
                if v > s {
                    s = v;
                    o = p;
                }
            };
            consider(h[(i - 1) * w + j] + gap_cost(lt), Op::LeakGap);
            match unit {
                Unit::Fixed { norm, .. } => {
                    match token_score(lt, norm) {
                        Some((sc, exact)) => {
                            consider(h[(i - 1) * w + j - 1] + sc, Op::Match { exact })
                        }
                        None => consider(h[(i - 1) * w + j - 1] - 2.0, Op::Sub),
                    }
                    consider(h[i * w + j - 1] + gap_cost(norm), Op::UnitGap);
                }
                Unit::Branch { alts, .. } => {
                    consider(h[i * w + j - 1] - 1.0, Op::UnitGap);
                    for (k, alt) in alts.iter().enumerate() {
                        let len = alt.len();
                        if len > i {
                            continue;
                        }
                        let mut sc = 0f32;
                        let mut ok = true;
                        for (x, a) in alt.iter().enumerate() {
                            match token_score(&toks[lr.start + i - len + x].0, a) {
                                Some((v, true)) => sc += v,
                                _ => {
                                    ok = false;
                                    break;
                                }
                            }
                        }
                        if ok {
                            // An empty alternative matches "here", as a step.
                            let from = if len == 0 {
                                h[i * w + j - 1]
                            } else {
                                h[(i - len) * w + j - 1]
                            };
                            consider(
                                from + sc + 0.01,
                                Op::Branch {
                                    k: k as u8,
                                    len: len as u8,
                                },
                            );
                        }
                    }
                }
            }
            h[i * w + j] = s;
            op[i * w + j] = o;
            if s > best.0 {
                best = (s, i, j);
            }
        }
    }
    if best.0 < 8.0 {
        return None;
    }
    // Trace back.
    let (mut i, mut j) = (best.1, best.2);
    let mut path = Vec::new();
    while i > 0 && j > 0 {
        let o = op[i * w + j];
        if o == Op::Stop || h[i * w + j] <= 0.0 {
            break;
        }
        path.push((lr.start + i - 1, o, ur.start + j - 1));
        match o {
            Op::Match { .. } | Op::Sub => {
                i -= 1;
                j -= 1;
            }
            Op::LeakGap => i -= 1,
            Op::UnitGap => j -= 1,
            Op::Branch { len, .. } => {
                i -= len as usize;
                j -= 1;
            }
            Op::Stop => break,
        }
    }
    path.reverse();
    let matched_words = path
        .iter()
        .filter(|(li, o, _)| matches!(o, Op::Match { exact: true }) && toks[*li].0.is_word())
        .count();
    if matched_words < MIN_PASSAGE_WORDS {
        return None;
    }
    let first = path.iter().find(|p| matches!(p.1, Op::Match { .. }))?;
    let last = path
        .iter()
        .rev()
        .find(|p| matches!(p.1, Op::Match { .. }))?;
    let raw_of = |li: usize| toks[li].1;
    let leak_range = leak_raw[raw_of(first.0)].start..leak_raw[raw_of(last.0)].end;
    let template_range = doc.unit_span[first.2].start..doc.unit_span[last.2].end;
    let template_words = (first.2..=last.2)
        .filter(|&u| {
            matches!(
                &doc.units[u],
                Unit::Fixed {
                    norm: Norm::Word(_),
                    ..
                }
            )
        })
        .count();
    Some((
        best.0,
        Passage {
            leak: leak_range,
            template: template_range,
            matched_words,
            template_words,
        },
        path,
    ))
}

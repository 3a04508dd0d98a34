//! Reading, the last step of tracing: an alignment path becomes
//! observations. A slot shows alternative `k` when the path passed through
//! `k` exactly, inside the passage; slots whose alternatives look alike
//! once normalised (invisible marks, spaces, homoglyphs, dash style,
//! capitals) are read from the leak's raw characters beside their anchor.
//! Readings of one slot are merged, and inconsistent ones erased. Nothing
//! here sees a codeword.

use std::collections::HashMap;
use std::ops::Range;

use super::alignment::{AlignPath, Op};
use super::index::{IndexedDoc, Norm, Transparent, Unit};
use super::{Observation, Passage, Trace};
use crate::rules::invisible_forms;
use crate::template::{Class, Template};
use crate::text::{self, Kind, Token};

/// Each reading of a slot: (symbol, or `None` where the leak's form is
/// none of the slot's), the site, and the span in the leak.
type SlotReadings = HashMap<u32, Vec<(Option<u8>, u32, Range<usize>)>>;

/// Read the slots shown by aligned passages of one document.
pub(super) fn read(
    leak: &str,
    raw: &[Token],
    toks: &[(Norm, usize)],
    doc: &IndexedDoc,
    t: &Template,
    d: usize,
    passages: Vec<(Passage, AlignPath)>,
) -> Trace {
    let mut readings = SlotReadings::new();
    let has_zw = leak.contains(['\u{200B}', '\u{200C}', '\u{2060}']);
    let has_nbsp = leak.contains('\u{00A0}');
    let has_cyr =
        leak.contains(|c: char| invisible_forms::HOMOGLYPHS.iter().any(|(_, cy)| *cy == c));
    let mut out_passages = Vec::new();
    for (p, path) in passages {
        // Unit → leak token index, for fixed units matched.
        let mut unit_to_leak: HashMap<usize, usize> = HashMap::new();
        let matched: Vec<usize> = path
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s.1, Op::Match { .. }))
            .map(|(x, _)| x)
            .collect();
        let (first_m, last_m) = (
            matched.first().copied().unwrap_or(0),
            matched.last().copied().unwrap_or(0),
        );
        for (x, &(li, o, u)) in path.iter().enumerate() {
            match o {
                Op::Match { .. } => {
                    unit_to_leak.insert(u, li);
                }
                Op::Branch { k, len } => {
                    let Unit::Branch { site, alts } = &doc.units[u] else {
                        continue;
                    };
                    // Only inside the passage, and only if no other
                    // alternative would read the same.
                    let interior = x > first_m && x < last_m;
                    let start = li + 1 - len as usize;
                    let unique = alts
                        .iter()
                        .enumerate()
                        .all(|(k2, a)| k2 == k as usize || *a != alts[k as usize]);
                    let span = if len > 0 {
                        raw[toks[start].1].start..raw[toks[li].1].end
                    } else {
                        let at = raw[toks[li].1].end;
                        at..at
                    };
                    let slot = t.sites[*site].slot;
                    readings.entry(slot).or_default().push((
                        if interior && unique { Some(k) } else { None },
                        *site as u32,
                        span,
                    ));
                }
                Op::UnitGap => {
                    if let Unit::Branch { site, .. } = &doc.units[u] {
                        let slot = t.sites[*site].slot;
                        let at = raw[toks[li].1].end;
                        readings
                            .entry(slot)
                            .or_default()
                            .push((None, *site as u32, at..at));
                    }
                }
                _ => {}
            }
        }
        // Transparent sites anchored inside this passage.
        let (u_first, u_last) = (path[first_m].2, path[last_m].2);
        for tr in &doc.transparent {
            if tr.anchor <= u_first || tr.anchor > u_last {
                continue;
            }
            let slot = t.sites[tr.site].slot;
            let site = &t.sites[tr.site];
            let Some(&li) = unit_to_leak.get(&tr.anchor) else {
                readings.entry(slot).or_default().push((
                    None,
                    tr.site as u32,
                    p.leak.start..p.leak.start,
                ));
                continue;
            };
            let ri = toks[li].1;
            let (sym, span) = read_transparent(
                leak,
                raw,
                toks,
                tr,
                site,
                ri,
                &unit_to_leak,
                has_zw,
                has_nbsp,
                has_cyr,
            );
            readings
                .entry(slot)
                .or_default()
                .push((sym, tr.site as u32, span));
        }
        out_passages.push(p);
    }
    let mut observations = Vec::new();
    let mut erased = 0;
    let mut slots: Vec<u32> = readings.keys().copied().collect();
    slots.sort_unstable();
    for slot in slots {
        let r = &readings[&slot];
        let seen: Vec<&(Option<u8>, u32, Range<usize>)> =
            r.iter().filter(|x| x.0.is_some()).collect();
        match seen.first() {
            Some(first) if seen.iter().all(|x| x.0 == first.0) => observations.push(Observation {
                slot,
                symbol: first.0.unwrap_or(0),
                site: first.1,
                leak_span: first.2.clone(),
            }),
            _ => erased += 1,
        }
    }
    Trace {
        doc: d,
        passages: out_passages,
        observations,
        erased,
    }
}

#[allow(clippy::too_many_arguments)]
fn read_transparent(
    leak: &str,
    raw: &[Token],
    toks: &[(Norm, usize)],
    tr: &Transparent,
    site: &crate::template::Site,
    ri: usize,
    unit_to_leak: &HashMap<usize, usize>,
    has_zw: bool,
    has_nbsp: bool,
    has_cyr: bool,
) -> (Option<u8>, Range<usize>) {
    let anchor = raw[ri];
    let find = |f: &str| site.forms.iter().position(|x| x == f).map(|k| k as u8);
    match tr.class {
        Class::ZeroWidth => {
            let at = anchor.start;
            if !has_zw {
                return (None, at..at);
            }
            // Invisible characters right before the word, after its space.
            let mut s = String::new();
            let mut k = ri;
            while k > 0 && raw[k - 1].kind == Kind::Invisible {
                k -= 1;
                s.insert_str(0, raw[k].text(leak));
            }
            let before_is_space = k > 0 && raw[k - 1].kind == Kind::Space;
            if !before_is_space {
                return (None, at..at);
            }
            let s: String = s
                .chars()
                .filter(|c| matches!(c, '\u{200B}' | '\u{200C}' | '\u{2060}'))
                .collect();
            (find(&s), raw[k].start..at)
        }
        Class::SpaceVariant => {
            let mut k = ri;
            while k > 0 && raw[k - 1].kind == Kind::Invisible {
                k -= 1;
            }
            if !has_nbsp || k == 0 || raw[k - 1].kind != Kind::Space {
                return (None, anchor.start..anchor.start);
            }
            let sp = raw[k - 1].text(leak);
            let sym = match sp {
                " " => find(" "),
                "\u{00A0}" => find("\u{00A0}"),
                _ => None,
            };
            (sym, raw[k - 1].range())
        }
        Class::Homoglyph => {
            if !has_cyr {
                return (None, anchor.range());
            }
            let c = anchor
                .text(leak)
                .chars()
                .nth(tr.char_offset)
                .map(|c| c.to_string());
            (c.and_then(|c| find(&c)), anchor.range())
        }
        Class::TitleCapitals => {
            // The aligned word(s) as written; two-word titles span two tokens.
            let words = site.forms[0].split(' ').count();
            let mut end = ri;
            let mut got = 1;
            while got < words {
                match (end + 1..raw.len()).find(|&x| raw[x].is_word()) {
                    Some(x) => {
                        end = x;
                        got += 1;
                    }
                    None => break,
                }
            }
            let s: String = leak[anchor.start..raw[end].end]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            (find(&s), anchor.start..raw[end].end)
        }
        Class::DashStyle => {
            let Some(b) = tr.before.and_then(|u| unit_to_leak.get(&u)) else {
                return (None, anchor.start..anchor.start);
            };
            let from = raw[toks[*b].1].end;
            if from > anchor.start {
                return (None, anchor.start..anchor.start);
            }
            let s: String = leak[from..anchor.start]
                .chars()
                .filter(|c| !text::is_invisible(*c))
                .collect();
            (find(&s), from..anchor.start)
        }
        _ => (None, anchor.range()),
    }
}

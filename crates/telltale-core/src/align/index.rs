//! Normalising and indexing, the first two steps of tracing: both the leak
//! and a template are reduced to normalised tokens (case-folded words, one
//! class per kind of quote or dash, no white space or invisible
//! characters); a template becomes units, fixed tokens or slot branches,
//! with the slots that normalisation would hide anchored for reading from
//! raw characters; and three-word shingles of its fixed text locate it.
//! Kept apart so that what a leak is compared by is defined in one place.

use std::ops::Range;

use crate::template::{Class, Template};
use crate::text::{self, Kind, Token};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Norm {
    Word(Box<str>),
    Punct(char),
}

impl Norm {
    pub(super) fn is_word(&self) -> bool {
        matches!(self, Norm::Word(_))
    }
}

fn norm_punct(c: char) -> char {
    match c {
        '"' | '“' | '”' | '„' | '«' | '»' | '\'' | '‘' | '’' | '‚' | '`' | '´' | '‹' | '›' => {
            '"'
        }
        '–' | '—' | '―' | '−' | '‐' | '‑' | '‒' => '-',
        c => c,
    }
}

fn norm_word(s: &str) -> Box<str> {
    s.chars()
        .filter(|c| !text::is_invisible(*c))
        .map(|c| match c {
            '\u{2019}' | '\u{2018}' | '`' => '\'',
            'а' => 'a',
            'е' => 'e',
            'о' => 'o',
            'р' => 'p',
            'с' => 'c',
            'А' => 'a',
            'Е' => 'e',
            'О' => 'o',
            'Р' => 'p',
            'С' => 'c',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .into_boxed_str()
}

/// Normalised tokens of `src[range]`, each with the index of its raw token.
pub(super) fn normalise(src: &str, raw: &[Token], range: Range<usize>) -> Vec<(Norm, usize)> {
    let mut out = Vec::new();
    // Tokens are in order and disjoint: start at the first that reaches
    // into the range and stop at the first past it. (Scanning every token
    // for each range made indexing a template quadratic in its length.)
    let first = raw.partition_point(|t| t.end <= range.start);
    for (i, t) in raw.iter().enumerate().skip(first) {
        if t.start >= range.end {
            break;
        }
        match t.kind {
            Kind::Space | Kind::Invisible => {}
            Kind::Word | Kind::Number => out.push((Norm::Word(norm_word(t.text(src))), i)),
            Kind::Punct => {
                let c = t.text(src).chars().next().unwrap_or(' ');
                out.push((Norm::Punct(norm_punct(c)), i));
            }
        }
    }
    out
}

fn norm_forms(s: &str) -> Vec<Norm> {
    let raw = text::tokenize(s);
    normalise(s, &raw, 0..s.len())
        .into_iter()
        .map(|(n, _)| n)
        .collect()
}

/// A template position: a fixed token, or a slot site read by branching.
#[derive(Debug, Clone)]
pub(super) enum Unit {
    Fixed { norm: Norm },
    Branch { site: usize, alts: Vec<Vec<Norm>> },
}

/// A slot site whose alternatives look alike once normalised; read from raw
/// characters next to an aligned token.
#[derive(Debug, Clone)]
pub(super) struct Transparent {
    pub(super) site: usize,
    pub(super) class: Class,
    /// Unit of the word token the reading anchors on (after, or containing,
    /// the site), and for dashes the unit before.
    pub(super) anchor: usize,
    pub(super) before: Option<usize>,
    /// Character offset of the site inside the anchor word (homoglyphs).
    pub(super) char_offset: usize,
}

#[derive(Debug, Clone)]
pub(super) struct IndexedDoc {
    pub(super) units: Vec<Unit>,
    /// Byte range in the template text of each unit.
    pub(super) unit_span: Vec<Range<usize>>,
    pub(super) transparent: Vec<Transparent>,
}

fn is_transparent(class: Class) -> bool {
    matches!(
        class,
        Class::ZeroWidth
            | Class::SpaceVariant
            | Class::Homoglyph
            | Class::DashStyle
            | Class::TitleCapitals
    )
}

impl IndexedDoc {
    pub(super) fn new(t: &Template) -> IndexedDoc {
        let raw = text::tokenize(&t.text);
        let mut units = Vec::new();
        let mut unit_span = Vec::new();
        let mut pos = 0;
        let branch_sites: Vec<usize> = (0..t.sites.len())
            .filter(|&i| !is_transparent(t.slots[t.sites[i].slot as usize].class))
            .collect();
        let push_fixed = |units: &mut Vec<Unit>, spans: &mut Vec<Range<usize>>, r: Range<usize>| {
            for (n, i) in normalise(&t.text, &raw, r.clone()) {
                // A raw token straddling the range edge belongs to the site.
                if raw[i].start < r.start || raw[i].end > r.end {
                    continue;
                }
                units.push(Unit::Fixed { norm: n });
                spans.push(raw[i].range());
            }
        };
        for &si in &branch_sites {
            let s = &t.sites[si];
            push_fixed(&mut units, &mut unit_span, pos..s.start);
            units.push(Unit::Branch {
                site: si,
                alts: s.forms.iter().map(|f| norm_forms(f)).collect(),
            });
            unit_span.push(s.range());
            pos = s.end;
        }
        push_fixed(&mut units, &mut unit_span, pos..t.text.len());

        // Anchor transparent sites on neighbouring fixed word units.
        let mut transparent = Vec::new();
        // Units are in text order with disjoint spans, so the fixed unit
        // wanted is found by a binary search and a step past any branch
        // units beside it. (Scanning every unit for each transparent site
        // made indexing a long document quadratic.)
        let is_fixed = |u: usize| matches!(units[u], Unit::Fixed { .. });
        let fixed_at = |byte: usize, containing: bool| -> Option<usize> {
            if containing {
                let k = unit_span.partition_point(|r| r.start <= byte);
                (0..k)
                    .rev()
                    .find(|&u| is_fixed(u))
                    .filter(|&u| unit_span[u].start <= byte && byte < unit_span[u].end)
            } else {
                let k = unit_span.partition_point(|r| r.start < byte);
                (k..units.len()).find(|&u| is_fixed(u))
            }
        };
        for (si, s) in t.sites.iter().enumerate() {
            let class = t.slots[s.slot as usize].class;
            if !is_transparent(class) {
                continue;
            }
            let (anchor, before, char_offset) = match class {
                Class::Homoglyph => {
                    let Some(a) = fixed_at(s.start, true) else {
                        continue;
                    };
                    (a, None, t.text[unit_span[a].start..s.start].chars().count())
                }
                Class::ZeroWidth | Class::SpaceVariant => {
                    // The word right after the mark.
                    let Some(a) = fixed_at(s.end, false).filter(|&a| unit_span[a].start == s.end)
                    else {
                        continue;
                    };
                    (a, None, 0)
                }
                Class::TitleCapitals => {
                    let Some(a) = fixed_at(s.start, true) else {
                        continue;
                    };
                    (a, None, 0)
                }
                Class::DashStyle => {
                    let Some(a) = fixed_at(s.end, false) else {
                        continue;
                    };
                    let b = (0..a).rev().find(|&u| unit_span[u].end <= s.start);
                    (a, b, 0)
                }
                _ => continue,
            };
            transparent.push(Transparent {
                site: si,
                class,
                anchor,
                before,
                char_offset,
            });
        }
        IndexedDoc {
            units,
            unit_span,
            transparent,
        }
    }
}

/// Shingles of three consecutive fixed words with no branch between, with
/// the unit index of their first word.
pub(super) fn doc_shingles(doc: &IndexedDoc) -> Vec<(u64, usize)> {
    let mut out = Vec::new();
    let mut run: Vec<(usize, &str)> = Vec::new();
    for (u, unit) in doc.units.iter().enumerate() {
        match unit {
            Unit::Fixed {
                norm: Norm::Word(w),
            } => {
                run.push((u, w));
                if run.len() >= 3 {
                    let n = run.len();
                    out.push((
                        shingle_hash(&[run[n - 3].1, run[n - 2].1, run[n - 1].1]),
                        run[n - 3].0,
                    ));
                }
            }
            Unit::Fixed { .. } => {}
            Unit::Branch { .. } => run.clear(),
        }
    }
    out
}

/// Shingle hashes of a template, for a persistent index that finds which
/// registered documents a text may quote without loading them all.
pub fn template_shingles(t: &Template) -> Vec<u64> {
    let mut v: Vec<u64> = doc_shingles(&IndexedDoc::new(t))
        .into_iter()
        .map(|x| x.0)
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Shingle hashes of any text, to look up in such an index.
pub fn text_shingles(text: &str) -> Vec<u64> {
    let raw = text::tokenize(text);
    let toks = normalise(text, &raw, 0..text.len());
    let words: Vec<&str> = toks
        .iter()
        .filter_map(|(n, _)| {
            if let Norm::Word(w) = n {
                Some(&**w)
            } else {
                None
            }
        })
        .collect();
    let mut v: Vec<u64> = words.windows(3).map(shingle_hash).collect();
    v.sort_unstable();
    v.dedup();
    v
}

pub(super) fn shingle_hash(words: &[&str]) -> u64 {
    let mut h = blake3::Hasher::new();
    for w in words {
        h.update(w.as_bytes());
        h.update(&[0]);
    }
    u64::from_le_bytes(h.finalize().as_bytes()[..8].try_into().unwrap_or([0; 8]))
}

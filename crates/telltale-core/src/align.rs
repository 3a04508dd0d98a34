//! Locate and align: find the passages of any text that come from registered
//! templates, and read each slot they show.
//!
//! Leaked text has been through people and editors: quote marks and dashes
//! changed, invisible characters stripped, lines re-wrapped, capitals changed
//! at the start of a quote, words inserted, dropped or misspelt, fragments
//! joined with ellipses, the whole embedded in an article. So:
//!
//! 1. Both sides are reduced to *normalised tokens* (case-folded words,
//!    one class per kind of quote or dash, no white space or invisible
//!    characters).
//! 2. **Locate**: three-word shingles of fixed (slot-free) template text are
//!    hashed into an index over all templates; shingles of the leak that hit
//!    the index are chained along diagonals into candidate regions.
//! 3. **Align**: each region is aligned to its template with a local
//!    (Smith–Waterman) alignment in which a visible slot is a branch: it can
//!    be passed through any one of its alternatives, or skipped.
//! 4. **Read**: a slot shows alternative `k` when the alignment passed
//!    through `k` exactly, inside the passage. Slots whose alternatives look
//!    the same once normalised (dash style, capitals, invisible marks) are
//!    read from the raw characters at the aligned place instead.
//!
//! Reading never looks at any recipient's codeword: observations depend only
//! on the leak and the template, which is what keeps the statistics honest.

use std::collections::HashMap;
use std::ops::Range;

use serde::Serialize;

use crate::rules::invisible_forms;
use crate::template::{Class, Template};
use crate::text::{self, Kind, Token};
use crate::Error;

/// Largest input the locator reads (bytes).
pub const MAX_LEAK_BYTES: usize = 32 * 1024 * 1024;
/// Shingles that occur more often than this across all templates are too
/// common to locate anything.
const MAX_SEED_HITS: usize = 24;
/// A passage needs at least this many exactly matching words.
pub const MIN_PASSAGE_WORDS: usize = 6;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Norm {
    Word(Box<str>),
    Punct(char),
}

impl Norm {
    fn is_word(&self) -> bool {
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
fn normalise(src: &str, raw: &[Token], range: Range<usize>) -> Vec<(Norm, usize)> {
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
enum Unit {
    Fixed { norm: Norm },
    Branch { site: usize, alts: Vec<Vec<Norm>> },
}

/// A slot site whose alternatives look alike once normalised; read from raw
/// characters next to an aligned token.
#[derive(Debug, Clone)]
struct Transparent {
    site: usize,
    class: Class,
    /// Unit of the word token the reading anchors on (after, or containing,
    /// the site), and for dashes the unit before.
    anchor: usize,
    before: Option<usize>,
    /// Character offset of the site inside the anchor word (homoglyphs).
    char_offset: usize,
}

#[derive(Debug, Clone)]
struct IndexedDoc {
    units: Vec<Unit>,
    /// Byte range in the template text of each unit.
    unit_span: Vec<Range<usize>>,
    transparent: Vec<Transparent>,
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
    fn new(t: &Template) -> IndexedDoc {
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
fn doc_shingles(doc: &IndexedDoc) -> Vec<(u64, usize)> {
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

fn shingle_hash(words: &[&str]) -> u64 {
    let mut h = blake3::Hasher::new();
    for w in words {
        h.update(w.as_bytes());
        h.update(&[0]);
    }
    u64::from_le_bytes(h.finalize().as_bytes()[..8].try_into().unwrap_or([0; 8]))
}

/// An index of registered templates, for finding which of them a text quotes.
#[derive(Debug, Clone, Default)]
pub struct Locator {
    docs: Vec<IndexedDoc>,
    seeds: HashMap<u64, Vec<(u32, u32)>>,
}

/// A passage of the leak aligned to a template.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Passage {
    /// Byte range in the leak.
    pub leak: Range<usize>,
    /// Byte range in the template's original text.
    pub template: Range<usize>,
    /// Words of the leak that match the template exactly.
    pub matched_words: usize,
    /// Words of the template inside the passage.
    pub template_words: usize,
}

/// One slot as read from the leak.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Observation {
    pub slot: u32,
    pub symbol: u8,
    /// The site it was read at, and where in the leak.
    pub site: u32,
    pub leak_span: Range<usize>,
}

/// What a text shows of one template.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trace {
    /// Index of the template, in the order they were added to the [`Locator`].
    pub doc: usize,
    pub passages: Vec<Passage>,
    /// One observation per observed slot (consistent readings merged).
    pub observations: Vec<Observation>,
    /// Slots inside the passages that could not be read, or read inconsistently.
    pub erased: usize,
}

impl Trace {
    pub fn aligned_words(&self) -> usize {
        self.passages.iter().map(|p| p.matched_words).sum()
    }
}

/// An alignment's path: (leak token, step, document unit).
type AlignPath = Vec<(usize, Op, usize)>;

/// Each reading of a slot: (symbol, or `None` where the leak's form is
/// none of the slot's), the site, and the span in the leak.
type SlotReadings = HashMap<u32, Vec<(Option<u8>, u32, Range<usize>)>>;

/// A step of an alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
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

impl Locator {
    pub fn new() -> Locator {
        Locator::default()
    }

    /// Add a template; returns its index.
    pub fn add(&mut self, t: &Template) -> usize {
        let d = self.docs.len();
        let doc = IndexedDoc::new(t);
        for (h, u) in doc_shingles(&doc) {
            let e = self.seeds.entry(h).or_default();
            if e.len() <= MAX_SEED_HITS {
                e.push((d as u32, u as u32));
            }
        }
        self.docs.push(doc);
        d
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Find and read every passage of `leak` that comes from an added
    /// template. `templates` must be the templates added, in order.
    pub fn trace(&self, templates: &[&Template], leak: &str) -> Result<Vec<Trace>, Error> {
        if templates.len() != self.docs.len() {
            return Err(Error::BadParameter(format!(
                "{} templates given for {} indexed",
                templates.len(),
                self.docs.len()
            )));
        }
        if leak.len() > MAX_LEAK_BYTES {
            return Err(Error::TooLarge {
                size: leak.len(),
                limit: MAX_LEAK_BYTES,
            });
        }
        let raw = text::tokenize(leak);
        let toks = normalise(leak, &raw, 0..leak.len());
        let word_pos: Vec<usize> = (0..toks.len()).filter(|&i| toks[i].0.is_word()).collect();

        // Seeds: (doc, leak token index, unit index).
        let mut seeds: Vec<(u32, usize, usize)> = Vec::new();
        for w in word_pos.windows(3) {
            let words: Vec<&str> = w
                .iter()
                .map(|&i| {
                    if let Norm::Word(s) = &toks[i].0 {
                        &**s
                    } else {
                        ""
                    }
                })
                .collect();
            if let Some(hits) = self.seeds.get(&shingle_hash(&words)) {
                if hits.len() > MAX_SEED_HITS {
                    continue;
                }
                for &(d, u) in hits {
                    seeds.push((d, w[0], u as usize));
                }
            }
        }
        seeds.sort_unstable();

        // Chain seeds of each document along near-diagonals.
        let mut traces = Vec::new();
        let mut i = 0;
        while i < seeds.len() {
            let d = seeds[i].0;
            let mut j = i;
            while j < seeds.len() && seeds[j].0 == d {
                j += 1;
            }
            let doc = &self.docs[d as usize];
            let chains = chain(&seeds[i..j]);
            let mut passages: Vec<(f32, Passage, AlignPath)> = Vec::new();
            for (l0, l1, u0, u1) in chains {
                let lr = l0.saturating_sub(40)..(l1 + 43).min(toks.len());
                let ur = u0.saturating_sub(60)..(u1 + 63).min(doc.units.len());
                if let Some(p) = align_region(&raw, &toks, doc, lr, ur) {
                    passages.push(p);
                }
            }
            // Keep the best passages that do not overlap in the leak.
            passages.sort_by(|a, b| b.0.total_cmp(&a.0));
            let mut kept: Vec<(Passage, AlignPath)> = Vec::new();
            for (_, p, path) in passages {
                if kept
                    .iter()
                    .all(|(q, _)| p.leak.end <= q.leak.start || q.leak.end <= p.leak.start)
                {
                    kept.push((p, path));
                }
            }
            kept.sort_by_key(|(p, _)| p.leak.start);
            if !kept.is_empty() {
                traces.push(read(
                    leak,
                    &raw,
                    &toks,
                    doc,
                    templates[d as usize],
                    d as usize,
                    kept,
                ));
            }
            i = j;
        }
        traces.sort_by(|a, b| {
            b.aligned_words()
                .cmp(&a.aligned_words())
                .then(a.doc.cmp(&b.doc))
        });
        Ok(traces)
    }
}

/// Group seeds (sorted by leak position) into chains along near-diagonals.
/// Returns (first leak token, last leak token, first unit, last unit).
fn chain(seeds: &[(u32, usize, usize)]) -> Vec<(usize, usize, usize, usize)> {
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
fn align_region(
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

/// Read the slots shown by aligned passages of one document.
fn read(
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

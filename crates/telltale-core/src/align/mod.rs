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
//!
//! The steps live in their own modules: `index` (normalising and the
//! shingle index), `alignment` (seed chaining and the alignment) and
//! `read` (turning an alignment path into observations). This module
//! holds the public types and the [`Locator`] that runs them in order.

mod alignment;
mod index;
mod read;

use std::collections::HashMap;
use std::ops::Range;

use serde::Serialize;

use crate::template::Template;
use crate::text;
use crate::Error;

use alignment::{align_region, chain, AlignPath};
use index::{doc_shingles, normalise, shingle_hash, IndexedDoc, Norm};
pub use index::{template_shingles, text_shingles};
use read::read;

/// Largest input the locator reads (bytes).
pub const MAX_LEAK_BYTES: usize = 32 * 1024 * 1024;
/// Shingles that occur more often than this across all templates are too
/// common to locate anything.
const MAX_SEED_HITS: usize = 24;
/// A passage needs at least this many exactly matching words.
pub const MIN_PASSAGE_WORDS: usize = 6;

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

//! Templates: the original text with slots.
//!
//! A [`Slot`] is one secret choice (one symbol of a recipient's codeword) with
//! `q` alternatives. A [`Site`] is a place in the text where that choice shows:
//! a byte range of the original and the text each alternative puts there.
//! Most slots have one site; a document-wide convention (-ise/-ize, "per
//! cent"/"%") is one slot with many sites, so that a reader never sees the
//! document mix its own conventions.
//!
//! Invariant: rendering every slot with its `original` alternative returns the
//! original text byte for byte. [`Template::new`] checks it, so no template
//! that breaks it can exist.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::Error;

/// Version of the template format and of the rules that build templates.
/// Stored with every template; a template built by other rules still renders
/// and traces, because it carries its own sites.
pub const TEMPLATE_VERSION: u32 = 1;

/// How robust a slot is to what happens to leaked text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layer {
    /// Word choice: survives retyping and most house styles.
    Lexical,
    /// Spelling, punctuation and typography: survives retyping, partly house style.
    Punctuation,
    /// Characters a reader cannot see: survives copy and paste only.
    Invisible,
}

impl Layer {
    pub const ALL: [Layer; 3] = [Layer::Lexical, Layer::Punctuation, Layer::Invisible];
    pub fn name(self) -> &'static str {
        match self {
            Layer::Lexical => "lexical",
            Layer::Punctuation => "punctuation",
            Layer::Invisible => "invisible",
        }
    }
}

/// Which rule made a slot. The names are stable: they appear in `trace --json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    Contraction,
    Complementiser,
    NumberStyle,
    Synonym,
    WordSynonym,
    ThesaurusSynonym,
    AdverbPlacement,
    OptionalTo,
    RelativeThat,
    CoordinationOrder,
    BritishPair,
    IrregularPast,
    Spelling,
    SerialComma,
    IntroComma,
    Compound,
    AbbreviationDots,
    TitleCapitals,
    PerCent,
    DashStyle,
    Semicolon,
    ClauseComma,
    ZeroWidth,
    SpaceVariant,
    Homoglyph,
    /// A wording the author wrote (`{{original|alternative}}`).
    AuthorAlternative,
}

impl Class {
    pub const ALL: [Class; 26] = [
        Class::Contraction,
        Class::Complementiser,
        Class::NumberStyle,
        Class::Synonym,
        Class::WordSynonym,
        Class::ThesaurusSynonym,
        Class::AdverbPlacement,
        Class::OptionalTo,
        Class::RelativeThat,
        Class::CoordinationOrder,
        Class::BritishPair,
        Class::IrregularPast,
        Class::Spelling,
        Class::SerialComma,
        Class::IntroComma,
        Class::Compound,
        Class::AbbreviationDots,
        Class::TitleCapitals,
        Class::PerCent,
        Class::DashStyle,
        Class::Semicolon,
        Class::ClauseComma,
        Class::ZeroWidth,
        Class::SpaceVariant,
        Class::Homoglyph,
        Class::AuthorAlternative,
    ];

    /// The stable kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Class::Contraction => "contraction",
            Class::Complementiser => "complementiser",
            Class::NumberStyle => "number-style",
            Class::Synonym => "synonym",
            Class::WordSynonym => "word-synonym",
            Class::ThesaurusSynonym => "thesaurus-synonym",
            Class::AdverbPlacement => "adverb-placement",
            Class::OptionalTo => "optional-to",
            Class::RelativeThat => "relative-that",
            Class::CoordinationOrder => "coordination-order",
            Class::BritishPair => "british-pair",
            Class::IrregularPast => "irregular-past",
            Class::Spelling => "spelling",
            Class::SerialComma => "serial-comma",
            Class::IntroComma => "intro-comma",
            Class::Compound => "compound",
            Class::AbbreviationDots => "abbreviation-dots",
            Class::TitleCapitals => "title-capitals",
            Class::PerCent => "per-cent",
            Class::DashStyle => "dash-style",
            Class::Semicolon => "semicolon",
            Class::ClauseComma => "clause-comma",
            Class::ZeroWidth => "zero-width",
            Class::SpaceVariant => "space-variant",
            Class::Homoglyph => "homoglyph",
            Class::AuthorAlternative => "author-alternative",
        }
    }

    pub fn from_name(s: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.name() == s)
    }

    pub fn layer(self) -> Layer {
        match self {
            Class::Contraction
            | Class::Complementiser
            | Class::NumberStyle
            | Class::Synonym
            | Class::WordSynonym
            | Class::ThesaurusSynonym
            | Class::AdverbPlacement
            | Class::OptionalTo
            | Class::RelativeThat
            | Class::CoordinationOrder
            | Class::BritishPair
            | Class::IrregularPast
            | Class::AuthorAlternative => Layer::Lexical,
            Class::Spelling
            | Class::SerialComma
            | Class::IntroComma
            | Class::Compound
            | Class::AbbreviationDots
            | Class::TitleCapitals
            | Class::PerCent
            | Class::DashStyle
            | Class::Semicolon
            | Class::ClauseComma => Layer::Punctuation,
            Class::ZeroWidth | Class::SpaceVariant | Class::Homoglyph => Layer::Invisible,
        }
    }
}

/// One secret choice among `q` alternatives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub class: Class,
    /// Number of alternatives (2 or more).
    pub q: u8,
    /// The alternative the original document uses.
    pub original: u8,
}

impl Slot {
    pub fn layer(&self) -> Layer {
        self.class.layer()
    }
}

/// A place in the original text where a slot's choice shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    pub slot: u32,
    /// Byte range of the original text this site replaces.
    pub start: usize,
    pub end: usize,
    /// Text for each alternative of the slot, in the slot's order.
    pub forms: Vec<String>,
}

impl Site {
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }
}

/// The original text with its slots and sites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub version: u32,
    pub text: String,
    pub slots: Vec<Slot>,
    /// Sorted by position, non-overlapping.
    pub sites: Vec<Site>,
    /// What judged the alternatives (the grammar checker's and the
    /// language model's versions and hashes): the template stores the
    /// verdicts, so copies never re-run either.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<String>,
}

impl Template {
    /// Build a template and check its invariants: sites sorted and
    /// disjoint, on character boundaries, each with one form per alternative
    /// of its slot, and the original alternative equal to the original text.
    pub fn new(text: String, slots: Vec<Slot>, sites: Vec<Site>) -> Result<Template, Error> {
        let t = Template {
            version: TEMPLATE_VERSION,
            text,
            slots,
            sites,
            gate: None,
        };
        t.validate()?;
        Ok(t)
    }

    /// Check the invariants of a template, e.g. one read back from storage.
    pub fn validate(&self) -> Result<(), Error> {
        if self.version > TEMPLATE_VERSION {
            return Err(Error::Version {
                found: self.version,
                supported: TEMPLATE_VERSION,
            });
        }
        let bad = |m: String| Err(Error::BadTemplate(m));
        let mut pos = 0;
        let mut used = vec![false; self.slots.len()];
        for (i, s) in self.sites.iter().enumerate() {
            if s.start < pos || s.end < s.start || s.end > self.text.len() {
                return bad(format!("site {i} is out of order or out of range"));
            }
            if !self.text.is_char_boundary(s.start) || !self.text.is_char_boundary(s.end) {
                return bad(format!("site {i} splits a character"));
            }
            let Some(slot) = self.slots.get(s.slot as usize) else {
                return bad(format!(
                    "site {i} names slot {} which does not exist",
                    s.slot
                ));
            };
            if s.forms.len() != slot.q as usize || slot.q < 2 || slot.original >= slot.q {
                return bad(format!(
                    "site {i} has {} forms for a slot of {} alternatives",
                    s.forms.len(),
                    slot.q
                ));
            }
            if s.forms[slot.original as usize] != self.text[s.range()] {
                return bad(format!(
                    "site {i}: the original alternative is not the original text"
                ));
            }
            used[s.slot as usize] = true;
            pos = s.end;
        }
        if let Some(j) = used.iter().position(|u| !u) {
            return bad(format!("slot {j} has no site"));
        }
        Ok(())
    }

    /// The same template with only the slots whose every site `keep`
    /// accepts, renumbered in order. Used when the text is drawn from a
    /// richer file and some sites could not be written back into it (they
    /// straddle two runs of the file's text, say): a slot is kept whole or
    /// dropped whole, so a document-wide convention never ends up mixed.
    pub fn retain_slots(&self, keep: impl Fn(&Site) -> bool) -> Template {
        let mut ok = vec![true; self.slots.len()];
        for s in &self.sites {
            if !keep(s) {
                ok[s.slot as usize] = false;
            }
        }
        let mut renumber = vec![u32::MAX; self.slots.len()];
        let mut slots = Vec::new();
        for (j, slot) in self.slots.iter().enumerate() {
            if ok[j] {
                renumber[j] = slots.len() as u32;
                slots.push(slot.clone());
            }
        }
        let sites = self
            .sites
            .iter()
            .filter(|s| ok[s.slot as usize])
            .map(|s| Site {
                slot: renumber[s.slot as usize],
                ..s.clone()
            })
            .collect();
        Template {
            version: self.version,
            text: self.text.clone(),
            slots,
            sites,
            gate: self.gate.clone(),
        }
    }

    /// What a copy changes: each site's range in the original text and the
    /// form the codeword puts there, where it differs from the original.
    /// Sorted and disjoint, like the sites.
    pub fn edits(&self, codeword: &[u8]) -> Result<Vec<(Range<usize>, &str)>, Error> {
        if codeword.len() != self.slots.len() {
            return Err(Error::CodewordLength {
                expected: self.slots.len(),
                got: codeword.len(),
            });
        }
        let mut out = Vec::new();
        for s in &self.sites {
            let x = codeword[s.slot as usize];
            let form = s.forms.get(x as usize).ok_or(Error::SymbolOutOfRange {
                slot: s.slot as usize,
                q: self.slots[s.slot as usize].q as usize,
                symbol: x as usize,
            })?;
            if *form != self.text[s.range()] {
                out.push((s.range(), form.as_str()));
            }
        }
        Ok(out)
    }

    /// The codeword that gives back the original document.
    pub fn original_codeword(&self) -> Vec<u8> {
        self.slots.iter().map(|s| s.original).collect()
    }

    /// Render the copy for one codeword (one symbol per slot).
    pub fn render(&self, codeword: &[u8]) -> Result<String, Error> {
        if codeword.len() != self.slots.len() {
            return Err(Error::CodewordLength {
                expected: self.slots.len(),
                got: codeword.len(),
            });
        }
        for (j, (&x, s)) in codeword.iter().zip(&self.slots).enumerate() {
            if x >= s.q {
                return Err(Error::SymbolOutOfRange {
                    slot: j,
                    q: s.q as usize,
                    symbol: x as usize,
                });
            }
        }
        let mut out = String::with_capacity(self.text.len() + self.text.len() / 16);
        let mut pos = 0;
        for s in &self.sites {
            out.push_str(&self.text[pos..s.start]);
            out.push_str(&s.forms[codeword[s.slot as usize] as usize]);
            pos = s.end;
        }
        out.push_str(&self.text[pos..]);
        Ok(out)
    }

    /// Number of words in the original, as the capacity figures count them.
    pub fn word_count(&self) -> usize {
        crate::text::tokenize(&self.text)
            .iter()
            .filter(|t| t.is_word())
            .count()
    }

    /// Slots and bits (log2 of alternatives) per layer.
    pub fn capacity(&self) -> Capacity {
        let mut c = Capacity {
            words: self.word_count(),
            ..Capacity::default()
        };
        for s in &self.slots {
            let i = Layer::ALL.iter().position(|&l| l == s.layer()).unwrap_or(0);
            c.slots[i] += 1;
            c.bits[i] += f64::from(s.q).log2();
        }
        c
    }

    /// Sites of each slot, in text order.
    pub fn sites_by_slot(&self) -> Vec<Vec<usize>> {
        let mut v = vec![Vec::new(); self.slots.len()];
        for (i, s) in self.sites.iter().enumerate() {
            v[s.slot as usize].push(i);
        }
        v
    }
}

/// Capacity of a template by layer, in [`Layer::ALL`] order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Capacity {
    pub words: usize,
    pub slots: [usize; 3],
    pub bits: [f64; 3],
}

impl Capacity {
    pub fn per_100_words(&self, layer: Layer) -> (f64, f64) {
        let i = Layer::ALL.iter().position(|&l| l == layer).unwrap_or(0);
        let w = self.words.max(1) as f64 / 100.0;
        (self.slots[i] as f64 / w, self.bits[i] / w)
    }
}

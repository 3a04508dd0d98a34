//! Variant rules: where a document can say the same thing in another way.
//!
//! Each rule scans the tokenised text and proposes [`Candidate`]s: a byte
//! range and the forms that may stand there. The engine then
//!
//! 1. keeps candidates inside prose only (never in Markdown code, URLs or
//!    link targets) and off the never-vary spans of `protect.rs`
//!    (quotations, names, numbers, terms of art),
//! 2. resolves overlaps, preferring the more robust layer,
//! 3. passes every visible alternative through the [`Gate`] (the grammar
//!    checker and, at registration, the language model); the author's own
//!    alternatives are judged too, but kept whatever the verdict,
//! 4. applies the style profile: document-wide conventions become one slot
//!    with many sites, and sites that disagree with the document's own
//!    majority convention are dropped, so no copy ever mixes conventions the
//!    original did not mix,
//! 5. numbers the slots in text order and builds the [`Template`].
//!
//! Which rules run in which profile is one table, `RULES`. The rule
//! tables (synonyms, compounds, binomials, spelling pairs) and the word
//! lists (`word-lists.txt`) are data files under `data/`, compiled in; their
//! sources and licences are in `data/SOURCES.md`.

mod ctx;
mod data;
pub(crate) mod invisible;
pub(crate) use invisible as invisible_forms;
mod lexical;
mod protect;
mod punct;
mod spelling;
mod variety;

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use serde::{Deserialize, Serialize};

pub use ctx::{Ctx, Pos, CONTEXT_REACH};
pub use variety::detect_variety;

use crate::author::{self, AuthorSlot};
use crate::gate::{Gate, Proposal};
use crate::template::{Class, Layer, Site, Slot, Template};
use crate::text;
use crate::Error;

/// Largest document the rule engine accepts (bytes).
pub const MAX_DOCUMENT_BYTES: usize = 8 * 1024 * 1024;

/// The variety of English a document is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Variety {
    British,
    American,
}

/// How much a copy may vary (see `VARIANTS.md` style profiles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Conventions chosen once per document; only zero-width invisible marks.
    Strict,
    /// As strict, but optional commas and complementisers vary per instance.
    #[default]
    Natural,
    /// Everything per instance, every invisible class (homoglyphs
    /// included), and the classes blind review has not cleared for default
    /// use: coordination order, relative "that", commas between clauses and
    /// the unreviewed word-synonym sets.
    Dense,
}

/// Input format: which parts of the text are prose that may vary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Plain,
    Markdown,
}

/// Settings of the rule engine for one document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSet {
    pub profile: Profile,
    pub format: Format,
    /// `None`: detect from the text.
    pub variety: Option<Variety>,
    /// Classes switched off for this document.
    pub disabled: Vec<Class>,
    /// Wordings the author wrote, in the original text's byte ranges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub author: Vec<AuthorSlot>,
}

/// A proposed variation: the range it replaces and every form that may
/// stand there. `forms[original]` is the original text of the range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub class: Class,
    pub range: Range<usize>,
    pub forms: Vec<String>,
    pub original: usize,
    /// Candidates that share a group key form one document-wide slot;
    /// their forms must be listed in the same convention order.
    pub group: Option<String>,
}

/// Rule priority when candidates overlap: lower wins.
fn priority(c: Class) -> u8 {
    match c {
        // The author's own wordings win over every rule.
        Class::AuthorAlternative => 0,
        // Rules written for one class win over the general tables.
        Class::BritishPair | Class::IrregularPast | Class::PerCent | Class::Spelling => 1,
        Class::Synonym => 2,
        Class::WordSynonym | Class::OptionalTo | Class::RelativeThat => 2,
        Class::AdverbPlacement => 4,
        Class::Complementiser | Class::Contraction => 3,
        Class::CoordinationOrder => 4,
        // Every curated rule wins over the thesaurus.
        Class::NumberStyle | Class::ThesaurusSynonym => 5,
        Class::Compound => 6,
        Class::AbbreviationDots | Class::TitleCapitals => 7,
        Class::SerialComma
        | Class::IntroComma
        | Class::Semicolon
        | Class::DashStyle
        | Class::ClauseComma => 8,
        Class::ZeroWidth | Class::SpaceVariant | Class::Homoglyph => 10,
    }
}

/// What building a template found and dropped, for review and reports.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BuildReport {
    pub variety: Option<Variety>,
    pub proposed: usize,
    pub overlapping: usize,
    pub gate_rejected: usize,
    pub inconsistent: usize,
    /// What the gates and the checks said of each author alternative.
    pub author: Vec<AuthorCheck>,
}

/// Record each check's verdict in its author slot (`AuthorSlot::passed`).
pub fn record_author_checks(slots: &mut [AuthorSlot], checks: &[AuthorCheck]) {
    for s in slots.iter_mut() {
        s.passed = (1..s.forms.len())
            .map(|k| {
                checks
                    .iter()
                    .any(|c| c.start == s.start && c.form == k && c.passed)
            })
            .collect();
    }
}

/// The verdict on one author alternative: kept whatever it is, because the
/// author decides, but shown so that they decide knowingly.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthorCheck {
    /// Where the slot starts in the original text.
    pub start: usize,
    /// Which wording (1 or more: 0 is the original).
    pub form: usize,
    pub text: String,
    /// Passed the grammar checker and the language model.
    pub passed: bool,
    /// A number, date, name or negation it changes.
    pub flags: Vec<author::Flag>,
}

/// When a rule proposes at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum When {
    /// In every profile (the rule itself reads the profile to decide
    /// between one convention per document and a choice per instance).
    Always,
    /// Only in the dense profile: what blind review has not cleared for
    /// default use.
    Dense,
}

/// One rule of the table: a proposer and when it runs.
struct Rule {
    propose: fn(&Ctx, &mut Vec<Candidate>),
    when: When,
}

/// Every rule, in the order it proposes (order matters only for reports:
/// overlaps are settled by [`priority`], not by position here).
///
/// Dense only, and why:
/// - thesaurus synonyms: blind review round 15 passed 48%, the model rates a
///   wrong sense as fluent;
/// - relative "that": round 6 found a noun's content clause ("a message to
///   their friends that we …") cannot be told from a relative clause;
/// - coordination order: reordered pairs changed emphasis or broke natural
///   order too often (58% passed);
/// - commas between clauses: an added one can split a shared object;
/// - space variants and homoglyphs: invisible, but visible to a tool that
///   shows them.
#[rustfmt::skip]
const RULES: &[Rule] = &[
    Rule { propose: lexical::contractions, when: When::Always },
    Rule { propose: lexical::complementiser, when: When::Always },
    Rule { propose: lexical::synonyms, when: When::Always },
    Rule { propose: lexical::word_synonyms, when: When::Always },
    Rule { propose: lexical::thesaurus_synonyms, when: When::Dense },
    Rule { propose: lexical::adverb_placement, when: When::Always },
    Rule { propose: lexical::optional_to, when: When::Always },
    Rule { propose: lexical::relative_that, when: When::Dense },
    Rule { propose: lexical::british_pairs, when: When::Always },
    Rule { propose: lexical::irregular_pasts, when: When::Always },
    Rule { propose: lexical::number_style, when: When::Always },
    Rule { propose: lexical::coordination, when: When::Dense },
    Rule { propose: spelling::spelling, when: When::Always },
    Rule { propose: punct::compounds, when: When::Always },
    Rule { propose: punct::serial_comma, when: When::Always },
    Rule { propose: punct::intro_comma, when: When::Always },
    Rule { propose: punct::abbreviation_dots, when: When::Always },
    Rule { propose: punct::title_capitals, when: When::Always },
    Rule { propose: punct::per_cent, when: When::Always },
    Rule { propose: punct::dash_style, when: When::Always },
    Rule { propose: punct::semicolon, when: When::Always },
    Rule { propose: punct::clause_comma, when: When::Dense },
    Rule { propose: invisible::zero_width, when: When::Always },
    Rule { propose: invisible::space_variants, when: When::Dense },
    Rule { propose: invisible::homoglyphs, when: When::Dense },
];

impl RuleSet {
    /// Build the template of `src` under these rules, checking every visible
    /// alternative with `gate`.
    pub fn build(&self, src: &str, gate: &mut dyn Gate) -> Result<Template, Error> {
        self.build_with_report(src, gate).map(|(t, _)| t)
    }

    /// Candidates as the rules propose them, before any filtering.
    pub fn propose<'a>(&self, src: &'a str) -> Result<(Ctx<'a>, Vec<Candidate>), Error> {
        check_input(src)?;
        let ctx = Ctx::new(src, self.variety, self.profile, self.format);
        let mut c = Vec::new();
        for rule in RULES {
            if rule.when == When::Always || self.profile == Profile::Dense {
                (rule.propose)(&ctx, &mut c);
            }
        }
        no_new_repetition(&ctx, &mut c);
        c.retain(|x| !self.disabled.contains(&x.class) && ctx.is_prose(&x.range));
        // Quotations, names, numbers and terms of art keep their words.
        protect::retain_unprotected(&ctx, &mut c);
        // The author's wordings are the author's call: no rule's filter
        // applies, and they win every overlap.
        for (n, a) in self.author.iter().enumerate() {
            if a.forms.len() < 2 || !a.fits(src) {
                return Err(Error::AuthorSyntax(format!(
                    "alternative {} no longer matches the text at bytes {}..{}",
                    n + 1,
                    a.start,
                    a.end
                )));
            }
            c.push(cand(
                Class::AuthorAlternative,
                a.range(),
                a.forms.clone(),
                0,
            ));
        }
        Ok((ctx, c))
    }

    /// As [`RuleSet::build`], with counts of what was dropped and why.
    pub fn build_with_report(
        &self,
        src: &str,
        gate: &mut dyn Gate,
    ) -> Result<(Template, BuildReport), Error> {
        let (ctx, mut cands) = self.propose(src)?;
        let mut report = BuildReport {
            variety: Some(ctx.variety),
            proposed: cands.len(),
            ..BuildReport::default()
        };
        for c in &cands {
            debug_assert_eq!(&src[c.range.clone()], c.forms[c.original], "{c:?}");
        }

        // Overlaps: keep the higher-priority, then the earlier candidate.
        cands.sort_by_key(|c| (priority(c.class), c.range.start, c.range.end));
        let mut taken = Taken::default();
        let mut kept = Vec::with_capacity(cands.len());
        for c in cands {
            if taken.clashes(&c.range) {
                report.overlapping += 1;
            } else {
                taken.insert(c.range.clone());
                kept.push(c);
            }
        }
        kept.sort_by_key(|c| (c.range.start, c.range.end));
        // An invisible mark that touches a visible site could not be told
        // apart from its neighbour when that site's text changes: drop it.
        let edges: std::collections::HashSet<usize> = kept
            .iter()
            .filter(|c| c.class.layer() != Layer::Invisible)
            .flat_map(|c| [c.range.start, c.range.end])
            .collect();
        kept.retain(|c| {
            let touching = c.class.layer() == Layer::Invisible
                && c.class != Class::Homoglyph
                && (edges.contains(&c.range.start) || edges.contains(&c.range.end));
            report.overlapping += usize::from(touching);
            !touching
        });

        // The gate, on visible alternatives: every alternative form in its
        // sentence, judged in one batch.
        let contexts: Vec<Option<Range<usize>>> = kept
            .iter()
            .map(|c| {
                if c.class.layer() == Layer::Invisible {
                    None
                } else {
                    ctx.context_of(&c.range)
                }
            })
            .collect();
        let mut variants: Vec<(usize, usize, String)> = Vec::new();
        for (i, (c, sent)) in kept.iter().zip(&contexts).enumerate() {
            let Some(sent) = sent else { continue };
            for (k, f) in c.forms.iter().enumerate() {
                if k != c.original {
                    let variant = format!(
                        "{}{}{}",
                        &src[sent.start..c.range.start],
                        f,
                        &src[c.range.end..sent.end]
                    );
                    variants.push((i, k, variant));
                }
            }
        }
        let proposals: Vec<Proposal> = variants
            .iter()
            .map(|(i, _, v)| Proposal {
                class: kept[*i].class,
                original: contexts[*i].as_ref().map_or("", |r| &src[r.clone()]),
                variant: v,
            })
            .collect();
        let verdicts = gate.judge(&proposals);
        let mut ok: Vec<Vec<bool>> = kept.iter().map(|c| vec![true; c.forms.len()]).collect();
        for ((i, k, _), v) in variants.iter().zip(verdicts) {
            ok[*i][*k] = v;
        }
        let mut gated = Vec::with_capacity(kept.len());
        let mut refused_groups: std::collections::HashSet<String> =
            std::collections::HashSet::new();
        for ((mut c, sent), ok) in kept.into_iter().zip(contexts).zip(ok) {
            if c.class == Class::AuthorAlternative {
                for (k, f) in c.forms.iter().enumerate().skip(1) {
                    report.author.push(AuthorCheck {
                        start: c.range.start,
                        form: k,
                        text: f.clone(),
                        passed: sent.is_some() && ok[k],
                        flags: author::flags(&c.forms[0], f),
                    });
                }
                gated.push(c);
                continue;
            }
            if c.class.layer() != Layer::Invisible {
                if sent.is_none() {
                    report.gate_rejected += 1;
                    continue;
                }
                if let Some(g) = &c.group {
                    // A convention must be available at every site or at none:
                    // one refused site takes its whole group down.
                    if ok.iter().any(|x| !x) {
                        report.gate_rejected += 1;
                        refused_groups.insert(g.clone());
                        continue;
                    }
                } else {
                    let orig = c.forms[c.original].clone();
                    let forms: Vec<String> = c
                        .forms
                        .iter()
                        .zip(&ok)
                        .filter(|(_, &o)| o)
                        .map(|(f, _)| f.clone())
                        .collect();
                    if forms.len() < 2 {
                        report.gate_rejected += 1;
                        continue;
                    }
                    c.original = forms.iter().position(|f| *f == orig).unwrap_or(0);
                    c.forms = forms;
                }
            }
            gated.push(c);
        }

        // Style consistency: one slot per group, sites in the majority convention only.
        let mut groups: BTreeMap<String, Vec<Candidate>> = BTreeMap::new();
        let mut singles = Vec::new();
        for c in gated {
            if c.group.as_ref().is_some_and(|g| refused_groups.contains(g)) {
                report.gate_rejected += 1;
                continue;
            }
            match &c.group {
                Some(g) => groups.entry(g.clone()).or_default().push(c),
                None => singles.push(c),
            }
        }
        struct Pending {
            class: Class,
            original: usize,
            sites: Vec<(Range<usize>, Vec<String>)>,
        }
        let mut pending: Vec<Pending> = singles
            .into_iter()
            .map(|c| Pending {
                class: c.class,
                original: c.original,
                sites: vec![(c.range, c.forms)],
            })
            .collect();
        for (_, members) in groups {
            if !covers_every_occurrence(src, &members) {
                report.inconsistent += members.len();
                continue;
            }
            let q = members[0].forms.len();
            let mut votes: HashMap<usize, usize> = HashMap::new();
            for m in &members {
                *votes.entry(m.original).or_default() += 1;
            }
            let majority = votes
                .iter()
                .max_by_key(|(k, v)| (**v, std::cmp::Reverse(**k)))
                .map(|(k, _)| *k)
                .unwrap_or(0);
            let before = members.len();
            let sites: Vec<_> = members
                .iter()
                .filter(|m| m.original == majority && m.forms.len() == q)
                .map(|m| (m.range.clone(), m.forms.clone()))
                .collect();
            report.inconsistent += before - sites.len();
            if !sites.is_empty() {
                pending.push(Pending {
                    class: members[0].class,
                    original: majority,
                    sites,
                });
            }
        }
        pending.sort_by_key(|p| (p.sites[0].0.start, p.sites[0].0.end));
        let mut slots = Vec::with_capacity(pending.len());
        let mut sites = Vec::new();
        for (j, p) in pending.into_iter().enumerate() {
            let q = p.sites[0].1.len();
            if q > u8::MAX as usize {
                return Err(Error::BadTemplate(
                    "a slot has more than 255 alternatives".into(),
                ));
            }
            slots.push(Slot {
                class: p.class,
                q: q as u8,
                original: p.original as u8,
            });
            for (r, forms) in p.sites {
                sites.push(Site {
                    slot: j as u32,
                    start: r.start,
                    end: r.end,
                    forms,
                });
            }
        }
        sites.sort_by_key(|s| (s.start, s.end));
        let mut t = Template::new(src.to_string(), slots, sites)?;
        t.gate = Some(gate.id());
        Ok((t, report))
    }
}

/// A document-wide convention may only vary if it covers every place the
/// document uses it: one occurrence left out (because a rule could not
/// handle it there) would stay in the original style while the others
/// change, and the copy would mix conventions the original did not.
fn covers_every_occurrence(src: &str, members: &[Candidate]) -> bool {
    let class = members[0].class;
    if matches!(
        class,
        Class::SerialComma
            | Class::IntroComma
            | Class::Complementiser
            | Class::Contraction
            | Class::ClauseComma
    ) {
        return true; // grouped for consistency, not conventions of a form
    }
    let mut per_form: HashMap<&str, usize> = HashMap::new();
    for m in members {
        *per_form.entry(m.forms[m.original].as_str()).or_default() += 1;
    }
    per_form.into_iter().all(|(form, sites)| {
        let f = form.trim();
        if f.is_empty() {
            return true;
        }
        let is_word = f.chars().next().is_some_and(char::is_alphanumeric);
        let count = src
            .match_indices(f)
            .filter(|(at, _)| {
                !is_word || {
                    let before = src[..*at].chars().next_back();
                    let after = src[at + f.len()..].chars().next();
                    !before.is_some_and(char::is_alphanumeric)
                        && !after.is_some_and(char::is_alphanumeric)
                }
            })
            .count();
        count <= sites
    })
}

/// A substitute may not bring in a word its sentence already uses
/// elsewhere ("look ahead over the decades ahead", "starting to … starting
/// to"): writers avoid such echoes, and readers notice them.
fn no_new_repetition(ctx: &Ctx, cands: &mut Vec<Candidate>) {
    // Compared by a crude stem, so "country" echoes "countries".
    let stem = |w: String| -> String {
        if let Some(b) = w.strip_suffix("ies") {
            format!("{b}y")
        } else if let Some(b) = w
            .strip_suffix("es")
            .filter(|b| b.ends_with(['s', 'x', 'h']))
        {
            b.to_string()
        } else if let Some(b) = w.strip_suffix('s').filter(|b| !b.ends_with('s')) {
            b.to_string()
        } else {
            w
        }
    };
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’')
            .filter(|w| w.chars().count() >= 4)
            .map(|w| stem(text::fold(w)))
            .collect()
    };
    cands.retain_mut(|c| {
        if !matches!(c.class, Class::Synonym | Class::WordSynonym) || c.group.is_some() {
            return true;
        }
        let Some(sent) = ctx.context_of(&c.range) else {
            return true;
        };
        let mut elsewhere = words(&ctx.src[sent.start..c.range.start]);
        elsewhere.extend(words(&ctx.src[c.range.end..sent.end]));
        let own = words(&c.forms[c.original]);
        let orig = c.forms[c.original].clone();
        c.forms.retain(|f| {
            *f == orig
                || words(f)
                    .iter()
                    .all(|w| own.contains(w) || !elsewhere.contains(w))
        });
        c.original = c.forms.iter().position(|f| *f == orig).unwrap_or(0);
        c.forms.len() >= 2
    });
}

/// Two ranges clash when they share a byte, when an empty range sits strictly
/// inside the other, or when both are empty at the same place.
#[cfg(test)]
fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    match (a.is_empty(), b.is_empty()) {
        (false, false) => a.start < b.end && b.start < a.end,
        (true, false) => b.start < a.start && a.start < b.end,
        (false, true) => a.start < b.start && b.start < a.end,
        (true, true) => a.start == b.start,
    }
}

/// Ranges already given a slot, which no later candidate may clash with
/// (in the sense of `overlaps`). Taken ranges never clash with each other,
/// so the non-empty ones are disjoint and one ordered lookup on each side
/// answers a query: comparing with every taken range made resolving a
/// long document's candidates quadratic.
#[derive(Default)]
struct Taken {
    /// Non-empty ranges, start → end.
    spans: BTreeMap<usize, usize>,
    /// Empty ranges (insertion points).
    points: std::collections::BTreeSet<usize>,
}

impl Taken {
    fn clashes(&self, r: &Range<usize>) -> bool {
        if r.is_empty() {
            let p = r.start;
            // A span strictly around the point, or the same point.
            self.points.contains(&p)
                || self
                    .spans
                    .range(..p)
                    .next_back()
                    .is_some_and(|(_, &end)| end > p)
        } else {
            // A span that starts before and reaches in, one that starts
            // inside, or a point strictly inside.
            self.spans
                .range(..=r.start)
                .next_back()
                .is_some_and(|(_, &end)| end > r.start)
                || self.spans.range(r.start..r.end).next().is_some()
                || self.points.range(r.start + 1..r.end).next().is_some()
        }
    }

    fn insert(&mut self, r: Range<usize>) {
        if r.is_empty() {
            self.points.insert(r.start);
        } else {
            self.spans.insert(r.start, r.end);
        }
    }
}

/// Refuse input the engine cannot treat as a document.
pub fn check_input(src: &str) -> Result<(), Error> {
    if src.len() > MAX_DOCUMENT_BYTES {
        return Err(Error::TooLarge {
            size: src.len(),
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    if let Some(p) = src.find(|c: char| c == '\0' || (c.is_control() && !c.is_whitespace())) {
        return Err(Error::Binary(p));
    }
    if src.trim().is_empty() {
        return Err(Error::EmptyDocument);
    }
    Ok(())
}

/// Helpers shared by the rule modules.
pub(crate) fn cand(
    class: Class,
    range: Range<usize>,
    forms: Vec<String>,
    original: usize,
) -> Candidate {
    Candidate {
        class,
        range,
        forms,
        original,
        group: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The ordered lookup answers exactly as comparing with every taken
        /// range does, empty ranges included.
        #[test]
        fn taken_agrees_with_pairwise_overlaps(
            ranges in proptest::collection::vec((0usize..60, 0usize..6), 0..80)
        ) {
            let mut taken = Taken::default();
            let mut all: Vec<Range<usize>> = Vec::new();
            for (start, len) in ranges {
                let r = start..start + len;
                let naive = all.iter().any(|t| overlaps(t, &r));
                prop_assert_eq!(taken.clashes(&r), naive, "{:?} against {:?}", r, all);
                if !naive {
                    taken.insert(r.clone());
                    all.push(r);
                }
            }
        }
    }
}

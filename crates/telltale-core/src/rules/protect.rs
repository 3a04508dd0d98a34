//! Never vary: words whose exact form carries what the rules cannot see.
//!
//! Blind review on prose the rules were not tuned on found the failures
//! that no fluency judgement catches, because the variant reads as well as
//! the original and says something else:
//!
//! - words inside a direct quotation (someone else's words),
//! - the title of a publication, an office or a programme, and other
//!   proper names ("the Department of Homeland Security", "Labour"),
//! - numbers and ranges, and an approximator put before a number ("some
//!   300" where the author wrote "300"),
//! - terms of art: tax, legal and financial words with a defined meaning
//!   that an everyday near-synonym does not have ("revenue", "liability").
//!
//! Each kind protects byte spans; a visible candidate touching one is
//! dropped, except the classes whose whole job is that kind of text
//! (abbreviation dots and title capitals on names, number style on
//! numbers). Invisible marks may sit anywhere: they change nothing a reader
//! sees.

use std::collections::HashSet;
use std::ops::Range;

use crate::rules::{data, Candidate, Ctx};
use crate::template::{Class, Layer};
use crate::text::{self, Kind};
use crate::word_lists::protect::{CONNECTORS, MORE_QUANTITY_WORDS};

/// Why a span must keep its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protection {
    Quotation,
    Name,
    Number,
    /// The words before a number: an approximator put there, taken away
    /// or changed for one of another kind changes the figure.
    BeforeNumber,
    TermOfArt,
}

impl Protection {
    /// Whether `class` may still vary text protected this way.
    fn allows(self, class: Class) -> bool {
        if class.layer() == Layer::Invisible {
            return true;
        }
        match self {
            Protection::Quotation => false,
            Protection::Name => matches!(class, Class::AbbreviationDots | Class::TitleCapitals),
            Protection::Number | Protection::BeforeNumber => {
                matches!(class, Class::NumberStyle | Class::PerCent)
            }
            // Spelling conventions keep the word ("licence", "license").
            Protection::TermOfArt => matches!(
                class,
                Class::Spelling | Class::BritishPair | Class::IrregularPast
            ),
        }
    }
}

/// Approximators that say the same of a number: one may stand for another
/// of its own set, never of another set, and none may be put where there
/// was none.
const APPROXIMATORS: &[&[&str]] = &[
    &["about", "around", "approximately", "roughly", "some"],
    &["nearly", "almost"],
    &["over", "more than"],
    &["under", "less than", "fewer than"],
];

/// Whether the forms put an approximator where there was none, take one
/// away, or change it for one of another set ("nearly" for "about").
fn changes_approximator(forms: &[String]) -> bool {
    let set_of = |f: &String| {
        let f = text::fold(f.trim());
        APPROXIMATORS
            .iter()
            .position(|set| set.contains(&f.as_str()))
    };
    let sets: Vec<Option<usize>> = forms.iter().map(set_of).collect();
    sets.iter().any(Option::is_some) && sets.windows(2).any(|w| w[0] != w[1])
}

const TERMS_OF_ART: &str = include_str!("../../data/terms-of-art.txt");

/// The terms of art of `data/terms-of-art.txt`, folded.
pub(crate) struct TermsOfArt(HashSet<String>);

impl TermsOfArt {
    pub(crate) fn builtin() -> TermsOfArt {
        TermsOfArt(
            TERMS_OF_ART
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(text::fold)
                .collect(),
        )
    }

    /// Whether a word, or any word of a phrase, is a term of art.
    pub(crate) fn contains(&self, phrase: &str) -> bool {
        let f = text::fold(phrase.trim());
        self.0.contains(&f) || f.split_whitespace().any(|w| self.0.contains(w))
    }
}

fn is_number_token(ctx: &Ctx, i: usize) -> bool {
    data::is_number_token(ctx, i)
        || (ctx.tokens[i].kind == Kind::Word
            && (MORE_QUANTITY_WORDS.contains(&ctx.folded(i).as_str())
                || ctx.text(i).chars().any(|c| c.is_ascii_digit())))
}

/// A capitalised word that is a name for this purpose: not "I" and its
/// contractions, which are capitalised everywhere.
fn is_name_like(ctx: &Ctx, i: usize) -> bool {
    let t = ctx.text(i);
    ctx.tokens[i].kind == Kind::Word
        && text::is_capitalised(t)
        && !matches!(
            text::fold(t).as_str(),
            "i" | "i'm" | "i've" | "i'd" | "i'll"
        )
}

/// Every protected span of the document, with its kind.
pub(crate) fn protected_spans(ctx: &Ctx, terms: &TermsOfArt) -> Vec<(Range<usize>, Protection)> {
    let mut out: Vec<(Range<usize>, Protection)> = quoted_spans(ctx.src)
        .into_iter()
        .map(|r| (r, Protection::Quotation))
        .collect();
    let words: Vec<usize> = (0..ctx.tokens.len())
        .filter(|&i| matches!(ctx.tokens[i].kind, Kind::Word | Kind::Number))
        .collect();
    for (k, &i) in words.iter().enumerate() {
        let r = ctx.tokens[i].range();
        if is_name_like(ctx, i) && !ctx.starts_sentence(i) {
            out.push((r.clone(), Protection::Name));
        }
        if is_number_token(ctx, i) {
            out.push((r.clone(), Protection::Number));
            // The two words before a number: an approximator put or
            // changed there changes the figure ("some 300", "more than 300").
            let from = k.saturating_sub(2);
            if from < k {
                let r = ctx.tokens[words[from]].start..ctx.tokens[words[k - 1]].end;
                out.push((r, Protection::BeforeNumber));
            }
            // A range: "5–10", "5 to 10", "between 5 and 10".
            if let Some(&n) = words.get(k + 1) {
                if is_number_token(ctx, n) {
                    out.push((r.start..ctx.tokens[n].end, Protection::Number));
                }
            }
        }
        if terms.contains(ctx.text(i)) {
            out.push((r, Protection::TermOfArt));
        }
    }
    // Title-case runs: two or more capitalised words, perhaps joined by
    // connectors, wherever they stand (a sentence-initial "The" of "The
    // Wealth of Nations" included).
    let mut k = 0;
    while k < words.len() {
        if !is_name_like(ctx, words[k]) {
            k += 1;
            continue;
        }
        let mut last_cap = k;
        let mut caps = 1;
        let mut j = k + 1;
        while j < words.len() && ctx.single_space_between(words[j - 1], words[j]) {
            if is_name_like(ctx, words[j]) {
                last_cap = j;
                caps += 1;
            } else if !CONNECTORS.contains(&ctx.folded(words[j]).as_str()) {
                break;
            }
            j += 1;
        }
        if caps >= 2 {
            let r = ctx.tokens[words[k]].start..ctx.tokens[words[last_cap]].end;
            out.push((r, Protection::Name));
        }
        k = last_cap + 1;
    }
    out
}

/// Whether candidate range `r` touches protected span `p`: shares a byte
/// with it, or (an insertion) falls strictly inside it.
fn touches(r: &Range<usize>, p: &Range<usize>) -> bool {
    if r.is_empty() {
        p.start < r.start && r.start < p.end
    } else {
        r.start < p.end && p.start < r.end
    }
}

/// Drop every candidate that touches a span its class may not vary, and
/// every synonym whose alternatives bring in a term of art.
pub(crate) fn retain_unprotected(ctx: &Ctx, cands: &mut Vec<Candidate>) {
    let terms = TermsOfArt::builtin();
    let spans = protected_spans(ctx, &terms);
    // Per kind, the spans sorted and overlapping ones joined (touching
    // ones are not: a point between two spans is inside neither), so one
    // binary search per kind finds the only span that can hold a range.
    let kinds = [
        Protection::Quotation,
        Protection::Name,
        Protection::Number,
        Protection::BeforeNumber,
        Protection::TermOfArt,
    ];
    let merged: Vec<(Protection, Vec<Range<usize>>)> = kinds
        .iter()
        .map(|&kind| {
            let mut v: Vec<Range<usize>> = spans
                .iter()
                .filter(|(_, k)| *k == kind)
                .map(|(r, _)| r.clone())
                .collect();
            v.sort_by_key(|r| r.start);
            let mut out: Vec<Range<usize>> = Vec::with_capacity(v.len());
            for r in v {
                match out.last_mut() {
                    Some(last) if r.start < last.end => last.end = last.end.max(r.end),
                    _ => out.push(r),
                }
            }
            (kind, out)
        })
        .collect();
    cands.retain(|c| {
        let hit = merged.iter().any(|(kind, spans)| {
            if kind.allows(c.class)
                || (*kind == Protection::BeforeNumber && !changes_approximator(&c.forms))
            {
                return false;
            }
            // Spans starting before the range's end; of those, the last
            // is the only one that can reach into it (they are disjoint).
            let upto = spans.partition_point(|p| p.start < c.range.end.max(c.range.start + 1));
            upto.checked_sub(1)
                .is_some_and(|k| touches(&c.range, &spans[k]))
        });
        let brings_term = matches!(
            c.class,
            Class::Synonym | Class::WordSynonym | Class::ThesaurusSynonym
        ) && c.forms.iter().any(|f| terms.contains(f));
        !hit && !brings_term
    });
}

/// Byte ranges between paired double quotation marks, paired within each
/// paragraph (curly marks by direction, straight ones in order). An
/// unpaired mark quotes nothing.
pub(crate) fn quoted_spans(src: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut para_start = 0;
    for para in src.split("\n\n") {
        let mut open: Option<usize> = None;
        for (i, c) in para.char_indices() {
            let at = para_start + i;
            match c {
                '“' => open = Some(at),
                '”' => {
                    if let Some(o) = open.take() {
                        out.push(o..at + c.len_utf8());
                    }
                }
                '"' => match open.take() {
                    Some(o) => out.push(o..at + 1),
                    None => open = Some(at),
                },
                _ => {}
            }
        }
        para_start += para.len() + 2;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{cand, RuleSet};

    /// Which of `words` (each found once in `src`) a candidate of `class`
    /// replacing it would survive on.
    fn survivors(src: &str, class: Class, words: &[&str]) -> Vec<String> {
        let (ctx, _) = RuleSet::default().propose(src).unwrap();
        let mut cands: Vec<Candidate> = words
            .iter()
            .map(|w| {
                let at = src.find(w).unwrap();
                cand(class, at..at + w.len(), vec![w.to_string(), "x".into()], 0)
            })
            .collect();
        retain_unprotected(&ctx, &mut cands);
        cands
            .iter()
            .map(|c| src[c.range.clone()].to_string())
            .collect()
    }

    #[test]
    fn names_and_titles_keep_their_words_and_the_prose_around_them_varies() {
        let src = "Officials said the Department of Homeland Security would need \
                   help. The Wealth of Nations is old. Later, Smith left.";
        let kept = survivors(
            src,
            Class::WordSynonym,
            &[
                "Department",
                "Homeland",
                " of Homeland",
                "Wealth",
                "Smith",
                "help",
                "old",
                "Later",
            ],
        );
        assert_eq!(kept, vec!["help", "old", "Later"]);
        // Title capitals may still change a name's capitals.
        assert_eq!(
            survivors(src, Class::TitleCapitals, &["Department"]),
            ["Department"]
        );
        // "I" is not a name.
        assert_eq!(
            survivors("Then I am sure.", Class::Contraction, &["I am"]),
            ["I am"]
        );
    }

    #[test]
    fn numbers_ranges_and_approximators_keep_their_words() {
        let src = "The ministry spent about 300 million, between 5–10 per cent of it on aid.";
        let kept = survivors(
            src,
            Class::Synonym,
            &["about", "300", "5–10", "million", "aid"],
        );
        assert_eq!(kept, vec!["aid"]);
        // One approximator for another of its kind keeps the figure.
        let (ctx, _) = RuleSet::default().propose(src).unwrap();
        let at = src.find("about").unwrap();
        let offer = |alt: &str| {
            cand(
                Class::Synonym,
                at..at + 5,
                vec!["about".into(), alt.into()],
                0,
            )
        };
        let mut c = vec![offer("around"), offer("nearly"), offer("spent")];
        retain_unprotected(&ctx, &mut c);
        let kept: Vec<&str> = c.iter().map(|c| c.forms[1].as_str()).collect();
        assert_eq!(kept, ["around"]);
        // Number style is for numbers.
        assert_eq!(survivors(src, Class::NumberStyle, &["300"]), ["300"]);
        // Other words before a number still vary.
        let other = "They would accept 25 years, rather than the 30 we proposed.";
        assert_eq!(
            survivors(other, Class::Synonym, &["rather than"]),
            ["rather than"]
        );
    }

    #[test]
    fn quotations_keep_their_words_but_not_their_invisible_marks() {
        let src = "He said \u{201c}we will act soon\u{201d} and left soon.";
        assert_eq!(survivors(src, Class::Synonym, &["act", "left"]), ["left"]);
        assert_eq!(survivors(src, Class::ZeroWidth, &["act"]), ["act"]);
    }

    #[test]
    fn terms_of_art_are_neither_replaced_nor_brought_in() {
        let terms = TermsOfArt::builtin();
        assert!(terms.contains("Revenue"));
        assert!(terms.contains("tax relief"));
        assert!(!terms.contains("help"));
        let src = "The revenue rose and the income fell, which helped.";
        assert_eq!(
            survivors(src, Class::WordSynonym, &["revenue", "helped"]),
            ["helped"]
        );
        let (ctx, _) = RuleSet::default().propose(src).unwrap();
        let at = src.find("helped").unwrap();
        let mut c = vec![cand(
            Class::WordSynonym,
            at..at + 6,
            vec!["helped".into(), "taxation".into()],
            0,
        )];
        retain_unprotected(&ctx, &mut c);
        assert!(
            c.is_empty(),
            "a synonym bringing in a term of art is dropped"
        );
        // Spelling conventions may still vary a term ("licence").
        assert_eq!(survivors(src, Class::Spelling, &["revenue"]), ["revenue"]);
    }
}

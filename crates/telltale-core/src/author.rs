//! Author-written alternatives: wordings an author supplies for the places
//! a leak is most likely to quote.
//!
//! The rules can vary only what English allows automatically, and a short
//! retyped quote carries few of those choices. An author who writes two or
//! three wordings of the sentence a newspaper would quote puts evidence
//! exactly where it will be read. In a text or Markdown source,
//! `{{original wording|alternative|another}}` marks an author slot: the
//! first wording is the original, every copy carries one of them, and the
//! braces never reach a copy. `\{{` stands for a literal `{{`.
//!
//! [`parse`] turns such a source into the plain original (each slot's
//! first wording, escapes resolved: byte for byte the source without its
//! braces) and the slots' byte ranges in it; the rule engine then offers
//! each slot as a q-ary choice that no rule may overlap. The gates judge
//! every alternative, but the author decides: a verdict is reported, not
//! enforced, and so is every change of a number, a date, a name or a
//! negation ([`flags`]).

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::word_lists::author::{DATE_WORDS, NEGATIONS, NUMBER_WORDS};
use crate::Error;

/// Most wordings one author slot may offer.
pub const MAX_WORDINGS: usize = 8;

/// Most author slots one document may carry.
pub const MAX_AUTHOR_SLOTS: usize = 2000;

/// One author slot: where it stands in the original and its wordings, the
/// original's first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorSlot {
    pub start: usize,
    pub end: usize,
    pub forms: Vec<String>,
    /// Whether each alternative (`forms[1..]`) passed the gates when the
    /// template was last built: a record for the author, never a filter.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub passed: Vec<bool>,
}

impl AuthorSlot {
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }

    /// Whether the slot still fits `text`: its range, and its first wording
    /// there.
    pub fn fits(&self, text: &str) -> bool {
        self.start <= self.end && text.get(self.range()).is_some_and(|s| s == self.forms[0])
    }
}

/// Read `{{a|b|c}}` author slots out of `src`. Returns the original text
/// (every slot's first wording, `\{{` as `{{`) and the slots in it.
pub fn parse(src: &str) -> Result<(String, Vec<AuthorSlot>), Error> {
    let bad = |at: usize, what: &str| {
        let line = src[..at].matches('\n').count() + 1;
        Error::AuthorSyntax(format!("{what} (line {line})"))
    };
    let mut text = String::with_capacity(src.len());
    let mut slots = Vec::new();
    let mut rest = 0;
    while let Some(k) = src[rest..].find("{{") {
        let open = rest + k;
        if src[..open].ends_with('\\') {
            text.push_str(&src[rest..open - 1]);
            text.push_str("{{");
            rest = open + 2;
            continue;
        }
        text.push_str(&src[rest..open]);
        let body_start = open + 2;
        let close = src[body_start..]
            .find("}}")
            .map(|c| body_start + c)
            .ok_or_else(|| bad(open, "an author slot's {{ is never closed by }}"))?;
        let body = &src[body_start..close];
        if body.contains("{{") {
            return Err(bad(open, "author slots cannot nest"));
        }
        if body.contains("\n\n") {
            return Err(bad(open, "an author slot cannot span paragraphs"));
        }
        let forms: Vec<String> = body.split('|').map(str::to_string).collect();
        if forms.len() < 2 {
            return Err(bad(
                open,
                "an author slot needs the original and at least one alternative, separated by |",
            ));
        }
        if forms.len() > MAX_WORDINGS {
            return Err(bad(
                open,
                &format!("an author slot offers at most {MAX_WORDINGS} wordings"),
            ));
        }
        for (i, f) in forms.iter().enumerate() {
            if forms[..i].contains(f) {
                return Err(bad(
                    open,
                    &format!("an author slot repeats the wording {f:?}"),
                ));
            }
        }
        if slots.len() == MAX_AUTHOR_SLOTS {
            return Err(bad(
                open,
                &format!("a document carries at most {MAX_AUTHOR_SLOTS} author slots"),
            ));
        }
        let start = text.len();
        text.push_str(&forms[0]);
        slots.push(AuthorSlot {
            start,
            end: text.len(),
            forms,
            passed: Vec::new(),
        });
        rest = close + 2;
    }
    text.push_str(&src[rest..]);
    Ok((text, slots))
}

/// What an alternative changes that a reader might rely on. The author may
/// keep such an alternative, knowingly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Flag {
    /// A figure or a number word differs.
    Number,
    /// A month, a weekday or a year differs.
    Date,
    /// A capitalised word (a name) differs.
    Name,
    /// The count of negations differs ("not", "no", "never", "n't" …).
    Negation,
}

impl Flag {
    pub fn describe(self) -> &'static str {
        match self {
            Flag::Number => "changes a number",
            Flag::Date => "changes a date",
            Flag::Name => "changes a name",
            Flag::Negation => "changes a negation",
        }
    }
}

fn words(s: &str) -> Vec<&str> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .filter(|w| !w.is_empty())
        .collect()
}

/// Sorted multiset of the words of `s` that `keep` selects, as `map` gives them.
fn picked(s: &str, keep: impl Fn(&str) -> bool, map: impl Fn(&str) -> String) -> Vec<String> {
    let mut v: Vec<String> = words(s).into_iter().filter(|w| keep(w)).map(map).collect();
    v.sort();
    v
}

/// The flags an alternative raises against the original wording.
pub fn flags(original: &str, alternative: &str) -> Vec<Flag> {
    let lower = |w: &str| w.to_lowercase();
    let is_number = |w: &str| {
        w.chars().any(|c| c.is_ascii_digit()) || NUMBER_WORDS.contains(&w.to_lowercase().as_str())
    };
    let is_date = |w: &str| {
        DATE_WORDS.contains(&w.to_lowercase().as_str())
            || (w.len() == 4 && w.chars().all(|c| c.is_ascii_digit()))
    };
    // A capital that is not the first word's (nor a month's or a day's): a
    // name or a title.
    let names = |s: &str| {
        let mut v: Vec<String> = words(s)
            .into_iter()
            .skip(1)
            .filter(|w| w.chars().next().is_some_and(char::is_uppercase) && !is_date(w))
            .map(str::to_string)
            .collect();
        v.sort();
        v
    };
    let negations = |s: &str| {
        words(s)
            .into_iter()
            .filter(|w| {
                let w = w.to_lowercase();
                NEGATIONS.contains(&w.as_str()) || w.ends_with("n't") || w.ends_with("n’t")
            })
            .count()
    };
    let mut out = Vec::new();
    if picked(original, is_number, lower) != picked(alternative, is_number, lower) {
        out.push(Flag::Number);
    }
    if picked(original, is_date, lower) != picked(alternative, is_date, lower) {
        out.push(Flag::Date);
    }
    if names(original) != names(alternative) {
        out.push(Flag::Name);
    }
    if negations(original) != negations(alternative) {
        out.push(Flag::Negation);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_original_choice_is_the_source_without_braces() {
        let src =
            "We {{will not|shall not}} sign. The {{talks|negotiations|discussions}} failed.\n";
        let (text, slots) = parse(src).unwrap();
        assert_eq!(text, "We will not sign. The talks failed.\n");
        assert_eq!(slots.len(), 2);
        assert_eq!(&text[slots[0].range()], "will not");
        assert_eq!(slots[1].forms, ["talks", "negotiations", "discussions"]);
        assert!(slots.iter().all(|s| s.fits(&text)));
        // Several in one sentence, punctuation inside, an empty wording.
        let (text, slots) = parse("In short{{,|}} it {{works; mostly|mostly works}}.").unwrap();
        assert_eq!(text, "In short, it works; mostly.");
        assert_eq!(slots[0].forms, [",", ""]);
        // No slots: the text is the source.
        let plain = "Nothing to see {here}.";
        assert_eq!(parse(plain).unwrap(), (plain.to_string(), vec![]));
    }

    #[test]
    fn escaped_braces_are_literal() {
        let (text, slots) = parse(r"Use \{{name}} in templates, {{or|and}} more.").unwrap();
        assert_eq!(text, "Use {{name}} in templates, or more.");
        assert_eq!(slots.len(), 1);
        assert_eq!(&text[slots[0].range()], "or");
    }

    #[test]
    fn malformed_slots_are_one_line_errors() {
        for (src, says) in [
            ("an {{open slot", "never closed"),
            ("one {{wording}} only", "at least one alternative"),
            ("{{a|b|a}}", "repeats"),
            ("{{a {{b|c}}|d}}", "nest"),
            ("{{a\n\nb|c}}", "paragraphs"),
            ("{{1|2|3|4|5|6|7|8|9}}", "at most 8"),
        ] {
            let e = parse(src).unwrap_err().to_string();
            assert!(e.contains(says) && !e.contains('\n'), "{src:?}: {e}");
        }
    }

    #[test]
    fn flags_name_what_a_reader_relies_on() {
        assert_eq!(flags("the talks failed", "the negotiations failed"), vec![]);
        assert_eq!(
            flags("about 300 staff", "about 400 staff"),
            vec![Flag::Number]
        );
        assert_eq!(flags("three weeks", "four weeks"), vec![Flag::Number]);
        assert_eq!(flags("met in May", "met in June"), vec![Flag::Date]);
        assert_eq!(flags("said Ms Okafor", "said Ms Adeyemi"), vec![Flag::Name]);
        assert_eq!(flags("we will sign", "we won't sign"), vec![Flag::Negation]);
        assert_eq!(flags("we will not sign", "we won't sign"), vec![]);
    }
}

//! The grammar gate: no variant is used that makes a sentence worse.
//!
//! Rules propose; the gate disposes. Each proposed alternative is put into
//! its sentence and checked with harper, an offline grammar checker, in the
//! document's own dialect. If the variant sentence draws a complaint the
//! original sentence did not, the alternative is dropped. Rules therefore
//! can afford to be a little generous, and a mistake in a rule table costs
//! capacity, not correctness.

use std::collections::HashMap;
use std::sync::Arc;

use harper_core::linting::{LintGroup, Linter};
use harper_core::spell::FstDictionary;
use harper_core::{Dialect, Document};

use crate::rules::Variety;
use crate::template::Class;

/// One alternative offered to a gate: the sentence (or context) it stands
/// in, as written and with the alternative in place.
#[derive(Debug, Clone, Copy)]
pub struct Proposal<'a> {
    pub class: Class,
    pub original: &'a str,
    pub variant: &'a str,
}

/// Decides whether a variant sentence is as good as its original.
pub trait Gate {
    /// True when `variant` is as acceptable as `original`.
    fn accepts(&mut self, class: Class, original: &str, variant: &str) -> bool;

    /// The verdict on every proposal, in order. Gates that are cheaper per
    /// batch (a language model) answer all at once.
    fn judge(&mut self, proposals: &[Proposal]) -> Vec<bool> {
        proposals
            .iter()
            .map(|p| self.accepts(p.class, p.original, p.variant))
            .collect()
    }

    /// What judged, recorded in templates: a template built under another
    /// gate may hold other alternatives.
    fn id(&self) -> String;
}

impl<G: Gate + ?Sized> Gate for &mut G {
    fn accepts(&mut self, class: Class, original: &str, variant: &str) -> bool {
        (**self).accepts(class, original, variant)
    }
    fn judge(&mut self, proposals: &[Proposal]) -> Vec<bool> {
        (**self).judge(proposals)
    }
    fn id(&self) -> String {
        (**self).id()
    }
}

/// Accepts everything. For measuring what the gate removes, and for
/// invisible variants, which do not change what a reader sees.
pub struct NoGate;

impl Gate for NoGate {
    fn accepts(&mut self, _: Class, _: &str, _: &str) -> bool {
        true
    }
    fn id(&self) -> String {
        "none".into()
    }
}

/// Two gates in turn: the second judges only what the first accepted (the
/// grammar checker is cheap, the language model is not).
pub struct Both<A, B>(pub A, pub B);

impl<A: Gate, B: Gate> Gate for Both<A, B> {
    fn accepts(&mut self, class: Class, original: &str, variant: &str) -> bool {
        self.0.accepts(class, original, variant) && self.1.accepts(class, original, variant)
    }
    fn judge(&mut self, proposals: &[Proposal]) -> Vec<bool> {
        let mut verdict = self.0.judge(proposals);
        let passed: Vec<Proposal> = proposals
            .iter()
            .zip(&verdict)
            .filter(|(_, ok)| **ok)
            .map(|(p, _)| *p)
            .collect();
        let second = self.1.judge(&passed);
        let mut second = second.into_iter();
        for v in verdict.iter_mut().filter(|v| **v) {
            *v = second.next().unwrap_or(false);
        }
        verdict
    }
    fn id(&self) -> String {
        format!("{} + {}", self.0.id(), self.1.id())
    }
}

/// The grammar checker's major version (Cargo.toml), recorded in templates:
/// another version may judge differently.
const HARPER_VERSION: &str = "3";

/// harper rules that prefer one of two correct conventions.
const STYLE_ONLY_RULES: &[&str] = &["OxfordComma", "NoOxfordComma"];

/// The harper grammar checker in one dialect.
pub struct HarperGate {
    dictionary: Arc<FstDictionary>,
    linter: LintGroup,
    cache: HashMap<String, Vec<String>>,
    /// Counts for the evaluation report.
    pub checked: usize,
    pub rejected: usize,
}

impl HarperGate {
    pub fn new(variety: Variety) -> HarperGate {
        let dialect = match variety {
            Variety::British => Dialect::British,
            Variety::American => Dialect::American,
        };
        let dictionary = FstDictionary::curated();
        let mut linter = LintGroup::new_curated(dictionary.clone(), dialect);
        // Rules that enforce one house style where English allows both: they
        // would veto exactly the variation the serial-comma class is for.
        for rule in STYLE_ONLY_RULES {
            linter.config.set_rule_enabled(*rule, false);
        }
        HarperGate {
            dictionary,
            linter,
            cache: HashMap::new(),
            checked: 0,
            rejected: 0,
        }
    }

    /// Complaints about a sentence, as sorted messages (spans differ between
    /// variants, messages do not).
    fn complaints(&mut self, sentence: &str) -> Vec<String> {
        if let Some(c) = self.cache.get(sentence) {
            return c.clone();
        }
        let doc = Document::new_plain_english(sentence, self.dictionary.as_ref());
        let mut msgs: Vec<String> = self
            .linter
            .lint(&doc)
            .into_iter()
            .map(|l| format!("{:?}: {}", l.lint_kind, l.message))
            .collect();
        msgs.sort();
        if self.cache.len() > 4096 {
            self.cache.clear();
        }
        self.cache.insert(sentence.to_string(), msgs.clone());
        msgs
    }
}

/// A grammar checker per variety, each made on first use: loading the
/// dictionary is the slow part of checking, so a checker is kept once made.
#[derive(Default)]
pub struct HarperGates(Vec<(Variety, HarperGate)>);

impl HarperGates {
    /// The checker for `variety`.
    pub fn get(&mut self, variety: Variety) -> &mut HarperGate {
        let i = match self.0.iter().position(|(v, _)| *v == variety) {
            Some(i) => i,
            None => {
                self.0.push((variety, HarperGate::new(variety)));
                self.0.len() - 1
            }
        };
        &mut self.0[i].1
    }
}

impl Gate for HarperGate {
    fn id(&self) -> String {
        format!("harper-{}", HARPER_VERSION)
    }

    fn accepts(&mut self, _: Class, original: &str, variant: &str) -> bool {
        self.checked += 1;
        let before = self.complaints(original);
        let after = self.complaints(variant);
        // Multiset inclusion: every complaint about the variant must already
        // have been made about the original.
        let mut pool: HashMap<&str, isize> = HashMap::new();
        for m in &before {
            *pool.entry(m.as_str()).or_default() += 1;
        }
        let ok = after.iter().all(|m| {
            let e = pool.entry(m.as_str()).or_default();
            *e -= 1;
            *e >= 0
        });
        if !ok {
            self.rejected += 1;
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn harper_rejects_a_broken_variant_and_keeps_a_clean_one() {
        let mut g = HarperGate::new(Variety::British);
        assert!(g.accepts(
            Class::Synonym,
            "The minister said that the talks had stalled.",
            "The minister said the talks had stalled."
        ));
        assert!(!g.accepts(Class::Synonym, "It is an apple.", "It is a apple."));
        assert!(!g.accepts(
            Class::Synonym,
            "He goes to the office.",
            "He go to the office."
        ));
        // The dialect matters: "color" is not British.
        assert!(!g.accepts(Class::Spelling, "The colour is red.", "The color is red."));
        assert!(g.checked == 4 && g.rejected == 3);
    }

    /// Accepts variants shorter than a bound, and counts what it saw.
    struct Shorter(usize, usize);
    impl Gate for Shorter {
        fn accepts(&mut self, _: Class, _: &str, variant: &str) -> bool {
            self.1 += 1;
            variant.len() < self.0
        }
        fn id(&self) -> String {
            format!("shorter-{}", self.0)
        }
    }

    #[test]
    fn both_gates_must_pass_and_the_second_sees_only_what_the_first_passed() {
        let p = |v| Proposal {
            class: Class::Synonym,
            original: "",
            variant: v,
        };
        let mut g = Both(Shorter(6, 0), Shorter(4, 0));
        let v = g.judge(&[p("abcdefg"), p("abc"), p("abcde"), p("ab")]);
        assert_eq!(v, vec![false, true, false, true]);
        assert_eq!((g.0 .1, g.1 .1), (4, 3));
        assert_eq!(g.id(), "shorter-6 + shorter-4");
    }
}

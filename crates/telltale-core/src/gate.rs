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

/// Decides whether a variant sentence is as clean as its original.
pub trait Gate {
    /// True when `variant` draws no grammar or spelling complaint that
    /// `original` did not.
    fn accepts(&mut self, original: &str, variant: &str) -> bool;
}

/// Accepts everything. For measuring what the gate removes, and for
/// invisible variants, which do not change what a reader sees.
pub struct NoGate;

impl Gate for NoGate {
    fn accepts(&mut self, _: &str, _: &str) -> bool {
        true
    }
}

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

impl Gate for HarperGate {
    fn accepts(&mut self, original: &str, variant: &str) -> bool {
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
            "The minister said that the talks had stalled.",
            "The minister said the talks had stalled."
        ));
        assert!(!g.accepts("It is an apple.", "It is a apple."));
        assert!(!g.accepts("He goes to the office.", "He go to the office."));
        // The dialect matters: "color" is not British.
        assert!(!g.accepts("The colour is red.", "The color is red."));
        assert!(g.checked == 4 && g.rejected == 3);
    }
}

//! Where an author alternative is worth writing: the sentences a newspaper
//! would most likely quote, ranked, and how little evidence they carry now.
//!
//! A leak is rarely the whole document: a reporter quotes the sentences
//! that judge someone or something ("uniquely dysfunctional"), that name
//! people, that report what someone said, that open a paragraph with its
//! point, that state a figure or a first, or that tell the latest news
//! (the latest year the document mentions). Those are where a retyped quote will be read, so they are
//! where an author's own wordings pay most, and most of all where the rules
//! found few variations to read. The score is a plain sum of such cues,
//! each counted once per sentence, divided by one plus the retype-robust
//! bits the sentence already carries; its weights are round numbers, not
//! fitted, and `telltale-eval` judges the ranking against sentences that
//! independent reviewers, acting as news editors, chose to quote.

use std::ops::Range;

use serde::Serialize;

use crate::template::{Layer, Template};
use crate::text::{self, Kind};
use crate::word_lists::quotable::{EVALUATIVE, SPEECH_VERBS, SUPERLATIVES};

/// One sentence of a template, with why it would be quoted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quotable {
    /// Byte range of the sentence in the original text.
    pub start: usize,
    pub end: usize,
    /// How likely a reporter is to quote it (cues counted).
    pub appeal: f64,
    /// Retype-robust bits its variations carry now.
    pub bits: f64,
    /// `appeal / (1 + bits)`: the higher, the more an alternative adds.
    pub score: f64,
    /// The cues found, for the author to see why.
    pub cues: Vec<&'static str>,
}

impl Quotable {
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }
}

/// Sentences shorter than this say too little to be quoted.
const MIN_WORDS: usize = 6;

/// Every sentence of `t` worth ranking, best first.
pub fn rank(t: &Template) -> Vec<Quotable> {
    let src = t.text.as_str();
    let tokens = text::tokenize(src);
    let sentences = text::sentences(src, &tokens);
    // The latest year the document mentions: what happened then is its news.
    let year = |w: &str| {
        w.parse::<u32>()
            .ok()
            .filter(|y| w.len() == 4 && (1800..=2200).contains(y))
    };
    let latest = tokens
        .iter()
        .filter(|tk| tk.kind == Kind::Word)
        .filter_map(|tk| year(tk.text(src)))
        .max();
    let mut out = Vec::new();
    for r in sentences {
        // Tokens, like sites, are sorted and disjoint: a sentence's are one
        // run, found by binary search rather than a scan of the document.
        let first = tokens.partition_point(|tk| tk.start < r.start);
        let words: Vec<&str> = tokens[first..]
            .iter()
            .take_while(|tk| tk.end <= r.end)
            .filter(|tk| tk.kind == Kind::Word)
            .map(|tk| tk.text(src))
            .collect();
        if words.len() < MIN_WORDS {
            continue;
        }
        let lower: Vec<String> = words.iter().map(|w| text::fold(w)).collect();
        let mut cues = Vec::new();
        let evaluative = lower
            .iter()
            .filter(|w| EVALUATIVE.contains(&w.as_str()))
            .count();
        if evaluative > 0 {
            cues.push("judges someone or something");
        }
        if lower.iter().any(|w| SPEECH_VERBS.contains(&w.as_str())) {
            cues.push("reports what someone said");
        }
        // A capital after the first word: a name, an office, a place.
        if words
            .iter()
            .skip(1)
            .any(|w| w.chars().next().is_some_and(char::is_uppercase) && w.len() > 1)
        {
            cues.push("names people or places");
        }
        let sentence = &src[r.clone()];
        if sentence.contains('"') || sentence.contains('“') {
            cues.push("holds a quotation");
        }
        if r.start == 0
            || src[..r.start]
                .trim_end_matches([' ', '\t'])
                .ends_with("\n\n")
        {
            cues.push("opens a paragraph");
        }
        if sentence.contains('%')
            || words
                .iter()
                .any(|w| w.chars().any(|c| c.is_ascii_digit()) && year(w).is_none())
        {
            cues.push("states a figure");
        }
        if lower.iter().any(|w| SUPERLATIVES.contains(&w.as_str())) {
            cues.push("says most, first or largest");
        }
        if latest.is_some() && words.iter().any(|w| year(w) == latest) {
            cues.push("tells the latest news");
        }
        let appeal = cues.len() as f64 + 0.5 * evaluative.saturating_sub(1).min(2) as f64;
        let first = t.sites.partition_point(|s| s.start < r.start);
        let bits: f64 = t.sites[first..]
            .iter()
            .take_while(|s| s.end <= r.end)
            .filter(|s| t.slots[s.slot as usize].layer() != Layer::Invisible)
            .map(|s| f64::from(t.slots[s.slot as usize].q).log2())
            .sum();
        out.push(Quotable {
            start: r.start,
            end: r.end,
            appeal,
            bits,
            score: appeal / (1.0 + bits),
            cues,
        });
    }
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.appeal.total_cmp(&a.appeal))
            .then(a.start.cmp(&b.start))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::NoGate;
    use crate::RuleSet;

    #[test]
    fn the_sentence_that_judges_and_names_ranks_first() {
        let text = "The meeting was held on Tuesday in the usual room near the lifts.\n\n\
                    In private, the ambassador described the President as uniquely dysfunctional and warned of a crisis.\n\n\
                    Minutes will be circulated to all attendees in due course by the office.\n";
        let t = RuleSet::default().build(text, &mut NoGate).unwrap();
        let ranked = rank(&t);
        assert_eq!(ranked.len(), 3);
        let top = &text[ranked[0].range()];
        assert!(top.contains("dysfunctional"), "{top}");
        assert!(ranked[0].cues.contains(&"judges someone or something"));
        assert!(ranked[0].cues.contains(&"names people or places"));
        assert!(ranked.windows(2).all(|w| w[0].score >= w[1].score));
    }
}

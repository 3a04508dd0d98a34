//! Thesaurus synonyms: a content word and the synonyms of its commonest
//! sense in WordNet (`data/wordnet-synonyms.tsv`), in the same part of
//! speech, each kept only where its bigrams with the neighbouring words are
//! idiomatic. Where two or more alternatives survive, the slot is q-ary.
//!
//! The rule proposes generously and leaves the judgement to the gates:
//! fluency is what the language model measures, and a wrong sense usually
//! reads badly in its sentence. It does not judge meaning, which is why
//! the class runs only in the dense profile until blind review has cleared
//! it, and why names, numbers and terms of art are never offered to it
//! (`rules/protect.rs`).

use std::collections::HashMap;

use crate::ngram::Bigrams;
use crate::rules::data::DETERMINERS;
use crate::rules::lexical::synonyms::{
    fits_neighbours, in_compound, once_per_sentence, spaced_neighbours,
};
use crate::rules::{cand, Candidate, Ctx};
use crate::template::Class;
use crate::text::{self, Kind};
use crate::word_lists::thesaurus::{SKIP, VERB_CUES};

const WORDNET: &str = include_str!("../../../data/wordnet-synonyms.tsv");

/// Alternatives offered at one place, at most: the gate judges each, and
/// every one costs an inference.
const MAX_ALTERNATIVES: usize = 3;

/// The table: each word's parts of speech, each with its first sense's
/// synonyms.
struct WordNet<'a> {
    senses: HashMap<&'a str, Vec<(&'a str, Vec<&'a str>)>>,
}

impl<'a> WordNet<'a> {
    fn parse(src: &'a str) -> WordNet<'a> {
        let mut senses: HashMap<&'a str, Vec<(&'a str, Vec<&'a str>)>> = HashMap::new();
        for line in src.lines().filter(|l| !l.starts_with('#')) {
            let mut cols = line.split('\t');
            if let (Some(w), Some(pos), Some(syn)) = (cols.next(), cols.next(), cols.next()) {
                senses
                    .entry(w)
                    .or_default()
                    .push((pos, syn.split('|').collect()));
            }
        }
        WordNet { senses }
    }

    fn synonyms(&self, word: &str, pos: &str) -> Option<&[&'a str]> {
        self.senses
            .get(word)?
            .iter()
            .find(|(p, _)| *p == pos)
            .map(|(_, s)| s.as_slice())
    }

    fn has(&self, word: &str, pos: &str) -> bool {
        self.synonyms(word, pos).is_some()
    }
}

/// The one part of speech the word can be here, when its neighbours and
/// the dictionary leave only one: after a determiner a noun, after "to" or
/// a modal a verb, else the only one WordNet lists for the word.
fn part_of_speech(ctx: &Ctx, i: usize, word: &str, wn: &WordNet) -> Option<&'static str> {
    let listed: Vec<&'static str> = ["noun", "verb", "adj", "adv"]
        .into_iter()
        .filter(|p| wn.has(word, p))
        .collect();
    let prev = ctx.prev(i).map(|p| ctx.folded(p));
    let cue = |p: &'static str| listed.contains(&p).then_some(p);
    match prev.as_deref() {
        Some(d) if DETERMINERS.contains(&d) => {
            // "the growing need": an adjective or a noun; only a noun
            // listing decides.
            if listed.contains(&"adj") && listed.contains(&"noun") {
                None
            } else {
                cue("noun").or_else(|| cue("adj"))
            }
        }
        Some(v) if VERB_CUES.contains(&v) => cue("verb"),
        _ => {
            let pos = ctx.pos(i);
            let agrees = |p: &str| match p {
                "noun" => pos.noun,
                "verb" => pos.verb,
                "adj" => pos.adjective,
                "adv" => pos.adverb,
                _ => false,
            };
            // Only one listing, and the dictionary agrees the word can be it.
            match listed.as_slice() {
                [p] if !pos.known || agrees(p) => Some(*p),
                _ => None,
            }
        }
    }
}

/// Synonyms of content words from WordNet's commonest sense.
pub(crate) fn thesaurus_synonyms(ctx: &Ctx, out: &mut Vec<Candidate>) {
    let wn = WordNet::parse(WORDNET);
    let bigrams = Bigrams::english();
    let mut found = Vec::new();
    for i in 0..ctx.tokens.len() {
        if ctx.tokens[i].kind != Kind::Word {
            continue;
        }
        let orig = ctx.text(i);
        let w = text::fold(orig);
        if w.len() < 4 || SKIP.contains(&w.as_str()) || !w.chars().all(|c| c.is_ascii_lowercase()) {
            continue;
        }
        if in_compound(ctx, i) {
            continue;
        }
        let Some(pos) = part_of_speech(ctx, i, &w, &wn) else {
            continue;
        };
        let Some(synonyms) = wn.synonyms(&w, pos) else {
            continue;
        };
        let (left, right) = spaced_neighbours(ctx, i);
        if left.is_none() && right.is_none() {
            continue;
        }
        // The best supported alternatives first: the sum of their bigram
        // counts with the neighbours.
        let mut ranked: Vec<(u64, &str)> = synonyms
            .iter()
            .filter(|s| !SKIP.contains(s) && s.len() >= 3)
            .filter(|s| fits_neighbours(&bigrams, left.as_deref(), right.as_deref(), &w, s))
            .map(|s| {
                let l = left.as_deref().map_or(0, |l| bigrams.count(l, s));
                let r = right.as_deref().map_or(0, |r| bigrams.count(s, r));
                (l + r, *s)
            })
            .collect();
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        let mut forms = vec![orig.to_string()];
        for (_, s) in ranked.into_iter().take(MAX_ALTERNATIVES) {
            forms.push(text::match_case(orig, s));
        }
        if forms.len() >= 2 {
            found.push(cand(
                Class::ThesaurusSynonym,
                ctx.tokens[i].range(),
                forms,
                0,
            ));
        }
    }
    out.extend(once_per_sentence(ctx, found));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_with_its_first_senses() {
        let wn = WordNet::parse(WORDNET);
        assert!(wn.senses.len() > 5_000, "{}", wn.senses.len());
        assert_eq!(wn.synonyms("purchase", "verb"), Some(&["buy"][..]));
        assert!(wn
            .synonyms("begin", "verb")
            .is_some_and(|s| s.contains(&"start")));
    }
}

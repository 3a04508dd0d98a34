//! What a rule sees: the text, its tokens and sentences, which parts are
//! prose, and facts about the document, with the lookups every rule needs
//! (the token at a byte, the sentence around a range, a word's part of
//! speech). Kept apart from the engine so that the rules depend on this
//! view of the text and not on how candidates are resolved.

use std::ops::Range;

use super::lexical::is_contraction;
use super::variety::variety_counts;
use super::{Format, Profile, Variety};
use crate::text::{self, Kind, Token};

/// What a rule sees: the text, its tokens and facts about the document.
pub struct Ctx<'a> {
    pub src: &'a str,
    pub tokens: Vec<Token>,
    pub sentences: Vec<Range<usize>>,
    pub variety: Variety,
    /// The variety was given, or the text shows it clearly.
    pub variety_certain: bool,
    /// Words spelled the American way ("program", "color"): a document
    /// with any keeps its spellings, whatever its variety.
    pub american_spellings: usize,
    pub profile: Profile,
    /// The document already uses contractions somewhere.
    pub uses_contractions: bool,
    prose: Vec<Range<usize>>,
    dict: std::sync::Arc<harper_core::spell::FstDictionary>,
}

/// What the dictionary says a word can be. A word may be several.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pos {
    pub known: bool,
    pub noun: bool,
    pub verb: bool,
    pub adjective: bool,
    pub adverb: bool,
    pub preposition: bool,
    pub pronoun: bool,
    pub determiner: bool,
}

impl<'a> Ctx<'a> {
    /// The view of `src` the rules read: its variety as given (else as
    /// its spellings show), its tokens and sentences, and its prose.
    pub fn new(src: &'a str, variety: Option<Variety>, profile: Profile, format: Format) -> Self {
        let (detected, clear, american_spellings) = variety_counts(src);
        let (variety, variety_certain) = match variety {
            Some(v) => (v, true),
            None => (detected, clear),
        };
        let tokens = text::tokenize(src);
        let sentences = text::sentences(src, &tokens);
        let uses_contractions = tokens
            .iter()
            .any(|t| t.kind == Kind::Word && is_contraction(&text::fold(t.text(src))));
        Ctx {
            src,
            tokens,
            sentences,
            variety,
            variety_certain,
            american_spellings,
            profile,
            uses_contractions,
            prose: prose_ranges(src, format),
            dict: harper_core::spell::FstDictionary::curated(),
        }
    }

    pub fn text(&self, i: usize) -> &'a str {
        self.tokens[i].text(self.src)
    }
    pub fn folded(&self, i: usize) -> String {
        text::fold(self.text(i))
    }
    /// Index of the next token after `i` that is not white space or invisible.
    pub fn next(&self, i: usize) -> Option<usize> {
        (i + 1..self.tokens.len())
            .find(|&j| !matches!(self.tokens[j].kind, Kind::Space | Kind::Invisible))
    }
    pub fn prev(&self, i: usize) -> Option<usize> {
        (0..i)
            .rev()
            .find(|&j| !matches!(self.tokens[j].kind, Kind::Space | Kind::Invisible))
    }
    /// Whether the token at `i` begins a sentence.
    pub fn starts_sentence(&self, i: usize) -> bool {
        let s = self.tokens[i].start;
        // Only the last sentence to start at or before `s` can: any earlier
        // one has that sentence's words between it and `s`.
        let k = self.sentences.partition_point(|r| r.start <= s);
        k.checked_sub(1)
            .and_then(|k| self.sentences.get(k))
            .is_some_and(|r| {
                r.start == s || {
                    // An opening quote or bracket may come first.
                    self.src[r.start..s]
                        .chars()
                        .all(|c| matches!(c, '"' | '“' | '‘' | '\'' | '(' | '['))
                }
            })
    }
    /// Whether tokens `i` and `j` (i < j) are separated by a single plain space.
    pub fn single_space_between(&self, i: usize, j: usize) -> bool {
        j == i + 2 && self.tokens[i + 1].kind == Kind::Space && self.text(i + 1) == " "
    }
    /// Whether `r` lies inside one prose range. The ranges are sorted and
    /// disjoint (`prose_ranges`), so only the last to start at or before
    /// `r` can hold it.
    pub fn is_prose(&self, r: &Range<usize>) -> bool {
        let k = self.prose.partition_point(|p| p.start <= r.start);
        k.checked_sub(1)
            .and_then(|k| self.prose.get(k))
            .is_some_and(|p| r.end <= p.end)
    }
    /// Parts of speech of the word at token `i`, from harper's dictionary.
    pub fn pos(&self, i: usize) -> Pos {
        use harper_core::spell::Dictionary;
        let w = self.folded(i);
        match self.dict.get_word_metadata_str(&w) {
            None => Pos::default(),
            Some(m) => Pos {
                known: true,
                noun: m.is_noun(),
                verb: m.is_verb(),
                adjective: m.is_adjective(),
                adverb: m.is_adverb(),
                preposition: m.preposition,
                pronoun: m.is_pronoun(),
                determiner: m.is_determiner(),
            },
        }
    }

    /// Sentence that contains byte offset `at` (the first, where one ends
    /// where the next begins). Sentences are sorted and disjoint, so a
    /// binary search finds it.
    pub fn sentence_of(&self, at: usize) -> Option<Range<usize>> {
        self.sentence_index(at).map(|i| self.sentences[i].clone())
    }
    /// The sentence around `r` (widened to hold it), cut to at most
    /// [`CONTEXT_REACH`] bytes on each side of `r` at white space: what the
    /// grammar gate and the repetition check read. A "sentence" of a
    /// hundred kilobytes (a table, a list with no full stops) would
    /// otherwise be read once per candidate inside it.
    pub fn context_of(&self, r: &Range<usize>) -> Option<Range<usize>> {
        let sent = self.sentence_of(r.start)?;
        let mut start = sent.start.min(r.start);
        let mut end = sent.end.max(r.end);
        if r.start - start > CONTEXT_REACH {
            let from = floor_char_boundary(self.src, r.start - CONTEXT_REACH);
            start = self.src[from..r.start]
                .char_indices()
                .find(|(_, c)| c.is_whitespace())
                .map_or(r.start, |(i, c)| from + i + c.len_utf8());
        }
        if end - r.end > CONTEXT_REACH {
            let to = floor_char_boundary(self.src, r.end + CONTEXT_REACH);
            end = self.src[r.end..to]
                .rfind(char::is_whitespace)
                .map_or(r.end, |i| r.end + i);
        }
        Some(start..end)
    }
    /// Index in `sentences` of the sentence `sentence_of` gives.
    pub fn sentence_index(&self, at: usize) -> Option<usize> {
        let i = self.sentences.partition_point(|r| r.end < at);
        self.sentences
            .get(i)
            .filter(|r| r.start <= at && at <= r.end)
            .map(|_| i)
    }
    /// Index of the token that starts at byte `at`, if one does. Tokens are
    /// in order and disjoint, so this and the next are binary searches:
    /// rules that scanned every token for each candidate or sentence made
    /// long documents quadratic.
    pub fn token_starting_at(&self, at: usize) -> Option<usize> {
        let i = self.tokens.partition_point(|t| t.start < at);
        self.tokens.get(i).filter(|t| t.start == at).map(|_| i)
    }
    /// Index of the token that ends at byte `at`, if one does.
    pub fn token_ending_at(&self, at: usize) -> Option<usize> {
        let i = self.tokens.partition_point(|t| t.end < at);
        self.tokens.get(i).filter(|t| t.end == at).map(|_| i)
    }
    /// Indices of the tokens lying wholly inside `r`.
    pub fn tokens_within(&self, r: &Range<usize>) -> Range<usize> {
        let first = self.tokens.partition_point(|t| t.start < r.start);
        let end = first + self.tokens[first..].partition_point(|t| t.end <= r.end);
        first..end
    }
}

/// Byte ranges of the text that are prose. Plain text: all of it, less
/// URLs and e-mail addresses. Markdown: text runs outside code, HTML and
/// link destinations.
fn prose_ranges(src: &str, format: Format) -> Vec<Range<usize>> {
    let base: Vec<Range<usize>> = match format {
        Format::Plain => std::iter::once(0..src.len()).collect(),
        Format::Markdown => {
            use pulldown_cmark::{Event, Parser, Tag, TagEnd};
            let mut out = Vec::new();
            let mut in_code = 0usize;
            for (ev, r) in Parser::new(src).into_offset_iter() {
                match ev {
                    Event::Start(Tag::CodeBlock(_)) | Event::Start(Tag::HtmlBlock) => in_code += 1,
                    Event::End(TagEnd::CodeBlock) | Event::End(TagEnd::HtmlBlock) => {
                        in_code = in_code.saturating_sub(1)
                    }
                    Event::Text(_) if in_code == 0 => {
                        // Text events can be split at escapes; merge touching runs.
                        match out.last_mut() {
                            Some(last) if last_touches(src, last, &r) => last.end = r.end,
                            _ => out.push(r),
                        }
                    }
                    _ => {}
                }
            }
            out
        }
    };
    // Cut out URLs and e-mail addresses.
    let mut out = Vec::new();
    for r in base {
        let mut pos = r.start;
        for (a, b) in protected_spans(&src[r.clone()]) {
            if r.start + a > pos {
                out.push(pos..r.start + a);
            }
            pos = r.start + b;
        }
        if pos < r.end {
            out.push(pos..r.end);
        }
    }
    // Sorted and disjoint, for `Ctx::is_prose`: ranges that overlap (text
    // events out of order would) are joined.
    out.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(out.len());
    for r in out {
        match merged.last_mut() {
            Some(last) if r.start < last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

fn last_touches(src: &str, last: &Range<usize>, r: &Range<usize>) -> bool {
    last.end <= r.start && src[last.end..r.start].chars().all(|c| c == '\\')
}

/// Spans inside `s` that must never change: URLs, e-mail addresses.
fn protected_spans(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut word_start = 0;
    let is_break =
        |c: char| c.is_whitespace() || matches!(c, '<' | '>' | '(' | ')' | '"' | '“' | '”');
    for (i, c) in s.char_indices().chain(std::iter::once((s.len(), ' '))) {
        if is_break(c) {
            let w = &s[word_start..i];
            if w.contains("://") || w.starts_with("www.") || (w.contains('@') && w.contains('.')) {
                out.push((word_start, i));
            }
            word_start = i + c.len_utf8();
        }
    }
    out
}

/// How far, in bytes, the context of a candidate reaches on each side
/// ([`Ctx::context_of`]).
pub const CONTEXT_REACH: usize = 1000;

fn floor_char_boundary(s: &str, mut at: usize) -> usize {
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::super::RuleSet;
    use proptest::prelude::*;

    proptest! {
        /// The binary searches over tokens and sentences answer exactly as
        /// the scans they replace.
        #[test]
        fn ctx_lookups_agree_with_scans(
            words in proptest::collection::vec(
                prop_oneof!["[a-z]{1,6}", Just(".".to_string()), Just(",".to_string()),
                            Just("\n\n".to_string()), Just("Mr.".to_string())],
                0..60,
            )
        ) {
            let src = words.join(" ");
            let Ok((ctx, _)) = RuleSet::default().propose(&src) else {
                return Ok(());
            };
            for at in 0..=src.len() {
                prop_assert_eq!(
                    ctx.token_starting_at(at),
                    ctx.tokens.iter().position(|t| t.start == at)
                );
                prop_assert_eq!(
                    ctx.token_ending_at(at),
                    ctx.tokens.iter().position(|t| t.end == at)
                );
                prop_assert_eq!(
                    ctx.sentence_of(at),
                    ctx.sentences.iter().find(|r| r.start <= at && at <= r.end).cloned()
                );
            }
            for r in &ctx.sentences {
                let naive: Vec<usize> = (0..ctx.tokens.len())
                    .filter(|&i| r.start <= ctx.tokens[i].start && ctx.tokens[i].end <= r.end)
                    .collect();
                prop_assert_eq!(ctx.tokens_within(r).collect::<Vec<_>>(), naive);
            }
        }
    }
}

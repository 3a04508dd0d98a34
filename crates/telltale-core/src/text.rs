//! The text model: a lossless tokenisation of a document and its sentences.
//!
//! Every byte of the input belongs to exactly one token, so any span the
//! rules pick can be replaced and the rest of the text left untouched. This is
//! what makes "render every slot with its original choice" give back the input
//! byte for byte.

use crate::word_lists::text::NON_TERMINAL;
use std::ops::Range;

/// What a token is. Rules match on kinds and lowercased word text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Letters, digits and marks, with internal apostrophes ("don't", "Ministry's").
    Word,
    /// Digits with internal separators: "4,500", "3.5", "2026".
    Number,
    /// A run of white space (spaces, tabs, newlines, no-break spaces).
    Space,
    /// Zero-width and other invisible format characters.
    Invisible,
    /// Any other single character: punctuation, symbols, emoji.
    Punct,
}

/// One token: a kind and the byte range it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        &src[self.start..self.end]
    }
    pub fn is_word(&self) -> bool {
        matches!(self.kind, Kind::Word | Kind::Number)
    }
}

/// Characters a reader never sees that we treat as their own token kind.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'
            | '\u{200C}'
            | '\u{200D}'
            | '\u{2060}'
            | '\u{FEFF}'
            | '\u{00AD}'
            | '\u{FE0E}'
            | '\u{FE0F}'
    )
}

fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '\u{2019}'
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining(c)
}

fn is_combining(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// Split `src` into tokens covering every byte, in order.
pub fn tokenize(src: &str) -> Vec<Token> {
    let mut out = Vec::with_capacity(src.len() / 3 + 1);
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let n = chars.len();
    let end_of = |i: usize| if i < n { chars[i].0 } else { src.len() };
    let mut i = 0;
    while i < n {
        let (start, c) = chars[i];
        if c.is_whitespace() {
            let mut j = i + 1;
            while j < n && chars[j].1.is_whitespace() {
                j += 1;
            }
            out.push(Token {
                kind: Kind::Space,
                start,
                end: end_of(j),
            });
            i = j;
        } else if is_invisible(c) {
            let mut j = i + 1;
            while j < n && is_invisible(chars[j].1) {
                j += 1;
            }
            out.push(Token {
                kind: Kind::Invisible,
                start,
                end: end_of(j),
            });
            i = j;
        } else if c.is_ascii_digit() {
            let mut j = i + 1;
            loop {
                while j < n && chars[j].1.is_ascii_digit() {
                    j += 1;
                }
                // "4,500" and "3.5" stay one number; "2026." does not swallow the stop.
                if j + 1 < n && matches!(chars[j].1, ',' | '.') && chars[j + 1].1.is_ascii_digit() {
                    j += 1;
                    continue;
                }
                break;
            }
            // "1990s", "5th" are words that start with digits.
            if j < n && chars[j].1.is_alphabetic() {
                while j < n && is_word_char(chars[j].1) {
                    j += 1;
                }
                out.push(Token {
                    kind: Kind::Word,
                    start,
                    end: end_of(j),
                });
            } else {
                out.push(Token {
                    kind: Kind::Number,
                    start,
                    end: end_of(j),
                });
            }
            i = j;
        } else if is_word_char(c) {
            let mut j = i + 1;
            loop {
                while j < n && is_word_char(chars[j].1) {
                    j += 1;
                }
                if j + 1 < n && is_apostrophe(chars[j].1) && chars[j + 1].1.is_alphabetic() {
                    j += 1;
                    continue;
                }
                break;
            }
            out.push(Token {
                kind: Kind::Word,
                start,
                end: end_of(j),
            });
            i = j;
        } else {
            out.push(Token {
                kind: Kind::Punct,
                start,
                end: end_of(i + 1),
            });
            i += 1;
        }
    }
    out
}

/// Byte ranges of sentences. A sentence runs to the end of its terminal
/// punctuation (and closing quotes); line breaks that separate paragraphs or
/// headings also end a sentence.
pub fn sentences(src: &str, tokens: &[Token]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i];
        match t.kind {
            Kind::Space => {
                if let Some(s) = start {
                    if t.text(src).matches('\n').count() >= 1 && is_block_break(src, tokens, i) {
                        out.push(s..t.start);
                        start = None;
                    }
                }
            }
            Kind::Invisible => {}
            _ => {
                if start.is_none() {
                    start = Some(t.start);
                }
                let txt = t.text(src);
                if t.kind == Kind::Punct && matches!(txt, "." | "!" | "?" | "…") {
                    let prev_word = tokens[..i].iter().rev().find(|x| x.kind != Kind::Invisible);
                    let abbreviation = txt == "."
                        && prev_word.is_some_and(|w| {
                            w.kind == Kind::Word
                                && (NON_TERMINAL.contains(&w.text(src).to_lowercase().as_str())
                                    || w.text(src).chars().count() == 1)
                        });
                    // Include closing quotes and brackets.
                    let mut j = i + 1;
                    while j < tokens.len()
                        && tokens[j].kind == Kind::Punct
                        && matches!(
                            tokens[j].text(src),
                            "\"" | "'" | "”" | "’" | ")" | "]" | "." | "!" | "?"
                        )
                    {
                        j += 1;
                    }
                    let next_is_space = j >= tokens.len() || tokens[j].kind == Kind::Space;
                    if !abbreviation && next_is_space {
                        let end = tokens[j - 1].end;
                        out.push(start.take().unwrap_or(t.start)..end);
                        i = j;
                        continue;
                    }
                }
            }
        }
        i += 1;
    }
    if let Some(s) = start {
        let end = tokens
            .iter()
            .rev()
            .find(|t| t.kind != Kind::Space)
            .map_or(src.len(), |t| t.end);
        if end > s {
            out.push(s..end);
        }
    }
    out
}

/// A line break ends a sentence when it is a blank line, or when the line
/// before it looks like a heading or a header field (no terminal punctuation
/// and short), or the next line starts a list item.
fn is_block_break(src: &str, tokens: &[Token], i: usize) -> bool {
    let t = tokens[i];
    if t.text(src).matches('\n').count() >= 2 {
        return true;
    }
    let line_start = src[..t.start].rfind('\n').map_or(0, |p| p + 1);
    let line = src[line_start..t.start].trim();
    let next = src[t.end..].trim_start();
    let list_next = next.starts_with("- ")
        || next.starts_with("* ")
        || next.starts_with(|c: char| c.is_ascii_digit()) && next.contains(". ");
    let heading = line.len() < 70
        && !line.ends_with(['.', ',', ';', ':', '?', '!'])
        && line.split_whitespace().count() <= 10;
    list_next
        || heading && !line.is_empty() && line.chars().last().is_some_and(|c| !c.is_lowercase())
        || line.contains(':') && line.len() < 80 && line.find(':').is_some_and(|p| p < 20)
}

/// Lowercase form of a word, with typographic apostrophes made straight, for
/// comparisons that must not care about case or quote style.
pub fn fold(word: &str) -> String {
    word.chars()
        .map(|c| if c == '\u{2019}' { '\'' } else { c })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether the first letter is upper case.
pub fn is_capitalised(word: &str) -> bool {
    word.chars().next().is_some_and(char::is_uppercase)
}

/// Give `replacement` the capitalisation pattern of `model`: all caps stays
/// all caps, an initial capital stays an initial capital.
pub fn match_case(model: &str, replacement: &str) -> String {
    let letters: Vec<char> = model.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.len() > 1 && letters.iter().all(|c| c.is_uppercase()) {
        return replacement.to_uppercase();
    }
    if is_capitalised(model) {
        let mut cs = replacement.chars();
        return match cs.next() {
            Some(f) => f.to_uppercase().chain(cs).collect(),
            None => String::new(),
        };
    }
    replacement.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_cover_every_byte() {
        let s = "Mr. O’Neill said: “It’s 4,500 — not 3.5!”\r\n\tDone 😀 in 1990s.";
        let toks = tokenize(s);
        let mut pos = 0;
        for t in &toks {
            assert_eq!(t.start, pos);
            pos = t.end;
        }
        assert_eq!(pos, s.len());
        let words: Vec<&str> = toks
            .iter()
            .filter(|t| t.is_word())
            .map(|t| t.text(s))
            .collect();
        assert_eq!(
            words,
            [
                "Mr",
                "O’Neill",
                "said",
                "It’s",
                "4,500",
                "not",
                "3.5",
                "Done",
                "in",
                "1990s"
            ]
        );
    }

    #[test]
    fn sentences_split_at_stops_not_abbreviations() {
        let s = "Mr. Smith arrived. He said that it was late! Then, Dr. Jones left.\n\nSubject: talks\nThe end";
        let t = tokenize(s);
        let ss: Vec<&str> = sentences(s, &t).into_iter().map(|r| &s[r]).collect();
        assert_eq!(
            ss,
            [
                "Mr. Smith arrived.",
                "He said that it was late!",
                "Then, Dr. Jones left.",
                "Subject: talks",
                "The end"
            ]
        );
    }

    #[test]
    fn case_is_carried_over() {
        assert_eq!(match_case("Although", "though"), "Though");
        assert_eq!(match_case("US", "united states"), "UNITED STATES");
        assert_eq!(match_case("while", "whilst"), "whilst");
    }
}

//! What happens to leaked text on its way to a newspaper, as deterministic
//! transformations: house-style normalisation, OCR-like noise, light edits,
//! and colluders merging their copies. Used by the demo, the tests and the
//! evaluation harness; randomness comes from a caller-given seed through
//! BLAKE3, so every simulated trial can be replayed.

use crate::text::{self, Kind};

/// A small deterministic random source for simulations (not for keys).
pub struct SimRng {
    reader: blake3::OutputReader,
}

impl SimRng {
    pub fn new(seed: &str) -> SimRng {
        let mut h = blake3::Hasher::new_derive_key("telltale 2026 simulation v1");
        h.update(seed.as_bytes());
        SimRng {
            reader: h.finalize_xof(),
        }
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.reader.fill(&mut b);
        u64::from_le_bytes(b)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / 9_007_199_254_740_992.0
    }
    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }
}

/// A newspaper's house style applied to retyped text: straight quotes,
/// spaced hyphens for dashes, no invisible characters, plain single spaces,
/// lines unwrapped.
pub fn house_style(s: &str) -> String {
    typography(s, true)
}

/// The same typographic normalisation applied to text pasted into a content
/// system: quotes, dashes and spacing change, but the invisible characters
/// that came with the paste pass through.
pub fn pasted_house_style(s: &str) -> String {
    typography(s, false)
}

fn typography(s: &str, strip_invisible: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '“' | '”' | '„' => out.push('"'),
            '‘' | '’' => out.push('\''),
            '—' | '–' => {
                while out.ends_with(' ') {
                    out.pop();
                }
                out.push_str(" - ");
                while chars.peek() == Some(&' ') {
                    chars.next();
                }
            }
            c if text::is_invisible(c) => {
                if !strip_invisible {
                    out.push(c);
                }
            }
            '\u{00A0}' | '\u{202F}' | '\n' | '\r' | '\t' => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            ' ' => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c => out.push(c),
        }
    }
    out.trim().to_string()
}

/// Strip invisible characters and no-break spaces only (what many editors
/// and paste targets do).
pub fn strip_invisible(s: &str) -> String {
    s.chars()
        .filter(|c| !text::is_invisible(*c))
        .map(|c| if c == '\u{00A0}' { ' ' } else { c })
        .collect()
}

/// OCR-like noise: each letter is, with probability `rate`, replaced by a
/// look-alike, dropped or doubled.
pub fn ocr_noise(s: &str, rate: f64, rng: &mut SimRng) -> String {
    const CONFUSE: &[(char, &str)] = &[
        ('l', "1"),
        ('i', "l"),
        ('o', "0"),
        ('e', "c"),
        ('c', "e"),
        ('m', "rn"),
        ('n', "m"),
        ('u', "v"),
        ('a', "o"),
        ('s', "5"),
        ('t', "f"),
        ('h', "b"),
        ('r', "n"),
        ('d', "cl"),
        ('g', "q"),
    ];
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_alphabetic() && rng.unit() < rate {
            match rng.below(3) {
                0 => {
                    let lc = c.to_ascii_lowercase();
                    match CONFUSE.iter().find(|(x, _)| *x == lc) {
                        Some((_, r)) => out.push_str(r),
                        None => out.push(c),
                    }
                }
                1 => {}
                _ => {
                    out.push(c);
                    out.push(c);
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Light edits: about every `every` words, one word is dropped or replaced
/// by another word of the text.
pub fn light_edits(s: &str, every: usize, rng: &mut SimRng) -> String {
    let tokens = text::tokenize(s);
    let words: Vec<&str> = tokens
        .iter()
        .filter(|t| t.kind == Kind::Word)
        .map(|t| t.text(s))
        .collect();
    let mut out = String::with_capacity(s.len());
    for t in &tokens {
        let txt = t.text(s);
        if t.kind == Kind::Word && every > 0 && rng.below(every) == 0 {
            if rng.below(2) == 0 {
                continue; // dropped (its following space remains)
            }
            out.push_str(words[rng.below(words.len())]);
        } else {
            out.push_str(txt);
        }
    }
    out
}

/// A run of about `words` words of `s`, starting at a word boundary chosen
/// by the caller (`start_word`), as a byte range.
pub fn word_window(s: &str, start_word: usize, words: usize) -> std::ops::Range<usize> {
    let tokens = text::tokenize(s);
    let ws: Vec<&text::Token> = tokens.iter().filter(|t| t.is_word()).collect();
    if ws.is_empty() {
        return 0..0;
    }
    let a = start_word.min(ws.len() - 1);
    let b = (a + words.max(1) - 1).min(ws.len() - 1);
    let mut end = ws[b].end;
    // Take the punctuation that closes the last word.
    if let Some(p) = s[end..].chars().next() {
        if matches!(p, '.' | ',' | ';' | ':' | '!' | '?') {
            end += p.len_utf8();
        }
    }
    ws[a].start..end
}

/// How colluders merge their copies' symbols where they differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merge {
    /// The symbol most of them have.
    Majority,
    /// The symbol fewest of them have.
    Minority,
    /// Any of theirs, at random.
    Random,
    /// Whole passages from one colluder after another.
    Interleave,
    /// Drop every slot where they differ (erased).
    Drop,
}

/// Merge colluders' codewords slot by slot. `None` means the slot was
/// dropped. Where all colluders agree, the marking assumption says they
/// cannot change the symbol.
pub fn merge(codewords: &[Vec<u8>], how: Merge, rng: &mut SimRng) -> Vec<Option<u8>> {
    let n = codewords.first().map_or(0, Vec::len);
    let c = codewords.len();
    (0..n)
        .map(|j| {
            let syms: Vec<u8> = codewords.iter().map(|w| w[j]).collect();
            if syms.iter().all(|&x| x == syms[0]) {
                return Some(syms[0]);
            }
            let mut counts: Vec<(u8, usize)> = Vec::new();
            for &x in &syms {
                match counts.iter_mut().find(|(s, _)| *s == x) {
                    Some(e) => e.1 += 1,
                    None => counts.push((x, 1)),
                }
            }
            match how {
                Merge::Majority => counts
                    .iter()
                    .max_by_key(|(s, n)| (*n, rng_tiebreak(*s, j)))
                    .map(|x| x.0),
                Merge::Minority => counts
                    .iter()
                    .min_by_key(|(s, n)| (*n, rng_tiebreak(*s, j)))
                    .map(|x| x.0),
                Merge::Random => Some(syms[rng.below(c)]),
                Merge::Interleave => Some(syms[(j / 20) % c]),
                Merge::Drop => None,
            }
        })
        .collect()
}

fn rng_tiebreak(s: u8, j: usize) -> u64 {
    (u64::from(s) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15 ^ j as u64) >> 7
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn house_style_normalises_quotes_dashes_and_invisibles() {
        assert_eq!(
            house_style("“It’s\u{200B} late” – he\u{00A0}said"),
            "\"It's late\" - he said"
        );
    }

    #[test]
    fn merge_keeps_agreed_symbols() {
        let mut rng = SimRng::new("t");
        let m = merge(
            &[vec![0, 1, 1], vec![0, 0, 1], vec![0, 0, 1]],
            Merge::Majority,
            &mut rng,
        );
        assert_eq!(m, vec![Some(0), Some(0), Some(1)]);
        let d = merge(&[vec![0, 1], vec![0, 0]], Merge::Drop, &mut rng);
        assert_eq!(d, vec![Some(0), None]);
    }
}

//! Word bigram counts, for checking that a substituted word is idiomatic
//! next to the words around it.
//!
//! A synonym can be right in meaning and still wrong in its collocation
//! ("a whole lot" but not "an entire lot"). Following Chang & Clark (NAACL
//! 2010), who accepted a paraphrase only where web n-gram counts showed it in
//! that context, a substitution is kept only where both of its bigrams with
//! the neighbouring words are frequent in a large corpus. The table is
//! SymSpell's English bigram dictionary (see `data/SOURCES.md`), compiled in
//! and sorted so that a lookup is a binary search over the raw text: no
//! parsing, no allocation, no global state.

const BIGRAMS: &str = include_str!("../data/bigrams_en.txt");

/// Counts of frequent English word pairs, lower case.
#[derive(Clone, Copy)]
pub struct Bigrams {
    text: &'static str,
}

impl std::fmt::Debug for Bigrams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bigrams")
            .field("bytes", &self.text.len())
            .finish()
    }
}

impl Default for Bigrams {
    fn default() -> Self {
        Bigrams::english()
    }
}

impl Bigrams {
    /// The built-in table (242,342 pairs, each seen at least 6.4 million
    /// times in its source corpus).
    pub fn english() -> Bigrams {
        Bigrams { text: BIGRAMS }
    }

    /// How often `a b` occurs in the source corpus; 0 if it is not among the
    /// frequent pairs. Words are compared in lower case as given.
    pub fn count(&self, a: &str, b: &str) -> u64 {
        let bytes = self.text.as_bytes();
        let (mut lo, mut hi) = (0usize, bytes.len());
        // Invariant: every line starting before `lo` sorts below the key,
        // every line starting at or after `hi` sorts at or above it.
        while lo < hi {
            let mid = line_start(bytes, lo + (hi - lo) / 2);
            let mid = if mid < lo { lo } else { mid };
            let end = line_end(bytes, mid);
            let (w1, w2, n) = split(&self.text[mid..end]);
            match (w1, w2).cmp(&(a, b)) {
                std::cmp::Ordering::Equal => return n,
                std::cmp::Ordering::Less => lo = end + 1,
                std::cmp::Ordering::Greater => hi = mid,
            }
        }
        0
    }
}

fn line_start(bytes: &[u8], mut at: usize) -> usize {
    while at > 0 && bytes[at - 1] != b'\n' {
        at -= 1;
    }
    at
}

fn line_end(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() && bytes[at] != b'\n' {
        at += 1;
    }
    at
}

fn split(line: &str) -> (&str, &str, u64) {
    let mut it = line.split(' ');
    let w1 = it.next().unwrap_or("");
    let w2 = it.next().unwrap_or("");
    let n = it.next().and_then(|n| n.trim().parse().ok()).unwrap_or(0);
    (w1, w2, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_first_middle_and_last_pairs_and_misses_cleanly() {
        let b = Bigrams::english();
        let first = BIGRAMS.lines().next().unwrap();
        let last = BIGRAMS.lines().last().unwrap();
        for line in [first, last, "all the 8305727744"] {
            let (w1, w2, n) = split(line);
            assert_eq!(b.count(w1, w2), n, "{line}");
        }
        assert_eq!(b.count("more", "than"), 8_097_637_376);
        assert_eq!(b.count("entire", "lot"), 0);
        assert_eq!(b.count("", ""), 0);
        assert_eq!(b.count("zzzz", "zzzz"), 0);
        assert_eq!(b.count("a", ""), 0);
    }

    #[test]
    fn the_table_is_sorted_for_binary_search() {
        let mut prev: Option<(&str, &str)> = None;
        for line in BIGRAMS.lines() {
            let (w1, w2, n) = split(line);
            assert!(n >= 6_400_000, "{line}");
            if let Some(p) = prev {
                assert!(p < (w1, w2), "{p:?} before {line}");
            }
            prev = Some((w1, w2));
        }
    }
}

//! One way to print strings the CLI did not write itself.
//!
//! Names, titles, audit details and leaked text come from other people. A
//! control character in them (an escape sequence, a carriage return, a
//! bidirectional override) would recolour or rewrite the terminal, or make
//! one line look like two, so every such string is printed through
//! [`printable`], which spells those characters out (`\u{1b}`) and leaves
//! everything else as it is.

use std::borrow::Cow;

use telltale_registry::is_unprintable;

/// `s` with every control character spelled out as an escape.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.contains(is_unprintable) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unprintable(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn controls_are_spelled_out_and_the_rest_kept() {
        assert_eq!(printable("Ann Holm"), "Ann Holm");
        assert_eq!(printable("Zoë\u{200b} «x»"), "Zoë\u{200b} «x»");
        assert_eq!(
            printable("a\u{1b}[31mb\nc\r\u{202e}d\u{9b}"),
            "a\\u{1b}[31mb\\nc\\r\\u{202e}d\\u{9b}"
        );
    }
}

//! Invisible marks: characters a reader cannot see, that survive copy and
//! paste but not retyping. High capacity, so a forwarded file or a pasted
//! excerpt names its source from a few words.
//!
//! Zero-width characters go only at word boundaries, right after a space:
//! never inside a word, where they would break search, spell-checking and
//! screen readers.

use super::{cand, Candidate, Ctx};
use crate::template::Class;
use crate::text::Kind;

/// Alternatives at a word boundary: nothing, ZERO WIDTH SPACE,
/// ZERO WIDTH NON-JOINER, WORD JOINER.
pub const ZERO_WIDTH_FORMS: [&str; 4] = ["", "\u{200B}", "\u{200C}", "\u{2060}"];

/// Boundaries "word<space>word" where the space is one plain space.
fn word_boundaries<'a>(ctx: &'a Ctx) -> impl Iterator<Item = usize> + 'a {
    (1..ctx.tokens.len().saturating_sub(1)).filter(move |&i| {
        ctx.tokens[i].kind == Kind::Space
            && ctx.text(i) == " "
            && ctx.tokens[i - 1].is_word()
            && ctx.tokens[i + 1].is_word()
    })
}

pub(crate) fn zero_width(ctx: &Ctx, out: &mut Vec<Candidate>) {
    for i in word_boundaries(ctx) {
        let at = ctx.tokens[i].end;
        out.push(cand(
            Class::ZeroWidth,
            at..at,
            ZERO_WIDTH_FORMS.iter().map(|s| s.to_string()).collect(),
            0,
        ));
    }
}

/// Plain space / no-break space at every third word boundary (dense profile).
pub(crate) fn space_variants(ctx: &Ctx, out: &mut Vec<Candidate>) {
    for (n, i) in word_boundaries(ctx).enumerate() {
        if n % 3 == 1 {
            out.push(cand(
                Class::SpaceVariant,
                ctx.tokens[i].range(),
                vec![" ".into(), "\u{00A0}".into()],
                0,
            ));
        }
    }
}

/// Latin letters and their Cyrillic look-alikes.
pub const HOMOGLYPHS: [(char, char); 5] =
    [('a', 'а'), ('e', 'е'), ('o', 'о'), ('p', 'р'), ('c', 'с')];

/// One look-alike letter in every second word of four or more letters
/// (dense profile only: it breaks search and screen readers).
pub(crate) fn homoglyphs(ctx: &Ctx, out: &mut Vec<Candidate>) {
    let mut n = 0;
    for t in ctx.tokens.iter().filter(|t| t.kind == Kind::Word) {
        let w = t.text(ctx.src);
        if w.chars().count() < 4 || !w.is_ascii() {
            continue;
        }
        n += 1;
        if n % 2 == 0 {
            continue;
        }
        // The middle-most replaceable letter.
        let mid = w.len() / 2;
        let best = w
            .char_indices()
            .filter(|(p, c)| *p > 0 && HOMOGLYPHS.iter().any(|(l, _)| l == c))
            .min_by_key(|(p, _)| p.abs_diff(mid));
        if let Some((p, c)) = best {
            let cy = HOMOGLYPHS
                .iter()
                .find(|(l, _)| *l == c)
                .map(|x| x.1)
                .unwrap_or(c);
            let at = t.start + p;
            out.push(cand(
                Class::Homoglyph,
                at..at + 1,
                vec![c.to_string(), cy.to_string()],
                0,
            ));
        }
    }
}

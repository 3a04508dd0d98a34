//! Which variety of English a document is written in, from the spellings
//! that differ between British and American English, and how sure that
//! guess is: a British convention is used only on clear evidence.

use super::{data, spelling, Variety};
use crate::text::{self, Kind};

/// Guess the variety from spellings that differ between British and
/// American English (-ise/-ize alone is not evidence: Oxford spelling uses
/// -ize in British English).
pub fn detect_variety(src: &str) -> Variety {
    variety_counts(src).0
}

/// The variety, whether the evidence for it is clear (British spellings at
/// least twice and three times as often as American ones: American texts
/// quoting an old or foreign source can carry a few British spellings, and a
/// convention only British English allows, -ise, is used only on clear
/// evidence), and the number of American spellings.
pub(super) fn variety_counts(src: &str) -> (Variety, bool, usize) {
    let tokens = text::tokenize(src);
    let index = data::SpellingIndex::new();
    let ise_ize = spelling::IseIze::new();
    let (mut uk, mut us, mut ise) = (0usize, 0usize, 0usize);
    for t in tokens.iter().filter(|t| t.kind == Kind::Word) {
        let w = text::fold(t.text(src));
        match index.variety(&w) {
            Some(Variety::British) => uk += 1,
            Some(Variety::American) => us += 1,
            None => {}
        }
        if spelling::is_ise_word(&w, &ise_ize) {
            ise += 1;
        }
    }
    // A margin before calling a document British: a British spelling in an
    // American text (a quoted name, "Labour Party", an old source) is not
    // evidence of its variety; two pieces of evidence (British spellings or
    // -ise words) ahead of the American ones are.
    if uk + ise >= us + 2 {
        (Variety::British, uk >= 2 && uk >= 3 * us, us)
    } else {
        (Variety::American, uk == 0, us)
    }
}

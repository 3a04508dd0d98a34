//! Spelling doublets that are both correct in the document's variety.
//!
//! British English accepts both -ise and -ize (Oxford spelling); which pairs
//! really are doublets comes from VARCON (via the `varcon` crate), whose
//! British -ise and British -ize categories list the preferred form of every
//! word in each convention. Words that are -ise in both (advertise,
//! compromise, surprise, exercise) are therefore never touched. The choice is
//! one slot for the whole document.

use std::collections::HashMap;

use varcon::{Category, Tag};

use super::{Candidate, Ctx, Variety};
use crate::template::Class;
use crate::text::{self, Kind};
use crate::word_lists::spelling::UK_DOUBLETS;

/// British -ise/-ize pairs from VARCON: word → (ise form, ize form).
pub(crate) struct IseIze {
    map: HashMap<&'static str, (&'static str, &'static str)>,
}

fn preferred(v: &varcon::Variant, cat: Category) -> bool {
    v.types
        .iter()
        .any(|t| t.category == cat && matches!(t.tag, None | Some(Tag::Eq)))
}

impl IseIze {
    pub fn new() -> IseIze {
        let mut map = HashMap::new();
        for cluster in varcon::VARCON {
            for entry in cluster.entries {
                let ise = entry
                    .variants
                    .iter()
                    .find(|v| preferred(v, Category::BritishIse));
                let ize = entry
                    .variants
                    .iter()
                    .find(|v| preferred(v, Category::BritishIze));
                if let (Some(s), Some(z)) = (ise, ize) {
                    // Only pure -ise/-ize differences: "organise"/"organize",
                    // not other spelling changes VARCON also records.
                    if s.word != z.word
                        && s.word.replace("is", "iz") == z.word
                        && !s.word.contains(char::is_uppercase)
                    {
                        map.insert(s.word, (s.word, z.word));
                        map.insert(z.word, (s.word, z.word));
                    }
                }
            }
        }
        IseIze { map }
    }

    pub fn pair(&self, w: &str) -> Option<(&'static str, &'static str)> {
        self.map.get(w).copied()
    }
}

pub(crate) fn is_ise_word(w: &str, table: &IseIze) -> bool {
    table.pair(w).is_some_and(|(s, _)| s == w)
}

pub(crate) fn spelling(ctx: &Ctx, out: &mut Vec<Candidate>) {
    if ctx.variety != Variety::British || !ctx.variety_certain || ctx.american_spellings > 0 {
        return;
    }
    let table = IseIze::new();
    for i in 0..ctx.tokens.len() {
        if ctx.tokens[i].kind != Kind::Word {
            continue;
        }
        let orig = ctx.text(i);
        let w = text::fold(orig);
        let (forms, group, original) = if let Some((s, z)) = table.pair(&w) {
            (
                vec![s, z],
                "spelling:ise-ize".to_string(),
                usize::from(w == z),
            )
        } else if let Some(&(a, b, g)) = UK_DOUBLETS.iter().find(|(a, b, _)| *a == w || *b == w) {
            (vec![a, b], format!("spelling:{g}"), usize::from(w == b))
        } else {
            continue;
        };
        let letters: Vec<char> = orig.chars().filter(|c| c.is_alphabetic()).collect();
        if letters.len() > 1 && letters.iter().all(|c| c.is_uppercase()) {
            continue;
        }
        let forms: Vec<String> = forms.iter().map(|f| text::match_case(orig, f)).collect();
        if forms[original] != orig {
            continue;
        }
        let mut c = super::cand(Class::Spelling, ctx.tokens[i].range(), forms, original);
        c.group = Some(group);
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varcon_gives_ise_ize_doublets_and_not_always_ise_words() {
        let t = IseIze::new();
        assert_eq!(t.pair("organise"), Some(("organise", "organize")));
        assert_eq!(t.pair("realized"), Some(("realised", "realized")));
        for w in [
            "advertise",
            "compromise",
            "surprise",
            "exercise",
            "analyse",
            "televise",
            "supervise",
        ] {
            assert_eq!(t.pair(w), None, "{w}");
        }
    }
}

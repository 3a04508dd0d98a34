//! One word written another way: British pairs (while/whilst), British
//! irregular pasts (learned/learnt) and small counts as words or digits
//! ("3 ministers" / "three ministers"). Each is a fixed pair of forms, so
//! these rules need no table file, only the context that makes a pair safe.

use crate::rules::{cand, Candidate, Ctx, Variety};
use crate::template::Class;
use crate::text::{self, Kind};
use crate::word_lists::word_forms::SMALL_NUMBERS;

/// while/whilst, among/amongst, amid/amidst: both correct in British English.
pub(crate) fn british_pairs(ctx: &Ctx, out: &mut Vec<Candidate>) {
    if ctx.variety != Variety::British || !ctx.variety_certain {
        return;
    }
    use crate::word_lists::word_forms::BRITISH_PAIRS;
    for i in 0..ctx.tokens.len() {
        if ctx.tokens[i].kind != Kind::Word {
            continue;
        }
        let w = ctx.folded(i);
        let Some((k, &(a, b))) = BRITISH_PAIRS
            .iter()
            .enumerate()
            .find(|(_, (a, b))| *a == w || *b == w)
        else {
            continue;
        };
        // "a while", "worth while", "for a while": the noun has no "whilst".
        if k == 0 {
            if let Some(p) = ctx.prev(i) {
                if matches!(
                    ctx.folded(p).as_str(),
                    "a" | "the"
                        | "this"
                        | "that"
                        | "worth"
                        | "short"
                        | "long"
                        | "little"
                        | "great"
                        | "good"
                ) {
                    continue;
                }
            }
        }
        if ctx.next(i).is_none_or(|n| {
            !ctx.tokens[n].is_word() && !matches!(ctx.text(n), "\"" | "“" | "'" | "‘")
        }) {
            continue;
        }
        let orig = ctx.text(i);
        let forms = vec![text::match_case(orig, a), text::match_case(orig, b)];
        let original = usize::from(w == b);
        out.push(cand(
            Class::BritishPair,
            ctx.tokens[i].range(),
            forms,
            original,
        ));
    }
}

/// learned/learnt and other British irregular pasts, as verbs only.
pub(crate) fn irregular_pasts(ctx: &Ctx, out: &mut Vec<Candidate>) {
    if ctx.variety != Variety::British || !ctx.variety_certain {
        return;
    }
    use crate::word_lists::word_forms::{IRREGULAR_PASTS, OBJECTS, SUBJECTS};
    for i in 0..ctx.tokens.len() {
        if ctx.tokens[i].kind != Kind::Word {
            continue;
        }
        let w = ctx.folded(i);
        let Some(&(a, b)) = IRREGULAR_PASTS.iter().find(|(a, b)| *a == w || *b == w) else {
            continue;
        };
        let Some(p) = ctx.prev(i) else { continue };
        if !SUBJECTS.contains(&ctx.folded(p).as_str()) {
            continue;
        }
        // After the verb: an object-like word or punctuation, not a noun the
        // participle could be modifying ("a learned judge").
        let ok_next = match ctx.next(i) {
            None => true,
            Some(n) => !ctx.tokens[n].is_word() || OBJECTS.contains(&ctx.folded(n).as_str()),
        };
        if !ok_next {
            continue;
        }
        let orig = ctx.text(i);
        out.push(cand(
            Class::IrregularPast,
            ctx.tokens[i].range(),
            vec![text::match_case(orig, a), text::match_case(orig, b)],
            usize::from(w == b),
        ));
    }
}

/// "3 ministers" / "three ministers": a document that writes small counts
/// as digits may spell them out (the usual style); the other direction puts
/// digits into running prose, which careful editors reject, so it is never
/// proposed. One convention for the whole document.
pub(crate) fn number_style(ctx: &Ctx, out: &mut Vec<Candidate>) {
    for i in 0..ctx.tokens.len() {
        let t = ctx.tokens[i];
        if t.kind != Kind::Number {
            continue;
        }
        let txt = ctx.text(i);
        let Some(k) = txt.parse::<usize>().ok().filter(|v| (2..=9).contains(v)) else {
            continue;
        };
        if ctx.starts_sentence(i) {
            continue;
        }
        // Counting a following plural noun: "3 ministers", not "3 per cent",
        // "3 March", "page 3", "3-year", "3.5".
        let Some(n) = ctx.next(i) else { continue };
        if !ctx.single_space_between(i, n) || ctx.tokens[n].kind != Kind::Word {
            continue;
        }
        let nw = ctx.folded(n);
        let pos = ctx.pos(n);
        if !nw.ends_with('s') || nw.ends_with("ss") || !pos.noun {
            continue;
        }
        if matches!(
            nw.as_str(),
            "percent"
                | "times"
                | "hours"
                | "minutes"
                | "seconds"
                | "years"
                | "months"
                | "weeks"
                | "days"
                | "miles"
                | "dollars"
                | "points"
                | "pounds"
                | "euros"
        ) {
            continue; // units and time spans keep digits in most styles
        }
        if ctx.prev(i).is_some_and(|p| {
            matches!(ctx.text(p), "-" | "‑" | "$" | "£" | "€" | "#")
                || matches!(
                    ctx.folded(p).as_str(),
                    "page"
                        | "no"
                        | "number"
                        | "chapter"
                        | "article"
                        | "section"
                        | "grade"
                        | "phase"
                        | "level"
                )
        }) {
            continue;
        }
        let word = SMALL_NUMBERS[k - 2];
        let mut c = cand(
            Class::NumberStyle,
            t.range(),
            vec![word.to_string(), txt.to_string()],
            1,
        );
        c.group = Some("number-words".into());
        out.push(c);
    }
}

//! Word order: two coordinated words swapped ("trade and security" /
//! "security and trade") and an adverb moved across a modal or perfect
//! auxiliary ("will also need" / "also will need"). Both reorder words
//! already in the sentence, and both lean on the part-of-speech lookup to
//! stay away from sequences, compounds and questions.

use crate::rules::data::{self, DETERMINERS, MODALS};
use crate::rules::{cand, Candidate, Ctx, Pos};
use crate::template::Class;
use crate::text::{self, Kind};
use crate::word_lists::word_order::{
    IRREGULAR_PARTICIPLES, MOVABLE_ADVERBS, NOT_COORDINABLE, PERFECT,
};

/// "chaotic and divided" / "divided and chaotic", "trade and security" /
/// "security and trade": two single words of one kind whose order carries no
/// meaning. Never fixed binomials, sequences, names with "of", numbers,
/// verbs in a narrative (tense forms), or words at the start of a sentence.
pub(crate) fn coordination(ctx: &Ctx, out: &mut Vec<Candidate>) {
    let binomials = data::binomials();
    for i in 0..ctx.tokens.len() {
        if ctx.tokens[i].kind != Kind::Word || !matches!(ctx.folded(i).as_str(), "and" | "or") {
            continue;
        }
        let (Some(a), Some(b)) = (ctx.prev(i), ctx.next(i)) else {
            continue;
        };
        if !ctx.single_space_between(a, i) || !ctx.single_space_between(i, b) {
            continue;
        }
        if ctx.tokens[a].kind != Kind::Word || ctx.tokens[b].kind != Kind::Word {
            continue;
        }
        let (wa, wb) = (ctx.folded(a), ctx.folded(b));
        let conj = ctx.folded(i);
        if wa == wb
            || NOT_COORDINABLE.contains(&wa.as_str())
            || NOT_COORDINABLE.contains(&wb.as_str())
        {
            continue;
        }
        if binomials.contains(&format!("{wa} {conj} {wb}"))
            || binomials.contains(&format!("{wb} {conj} {wa}"))
        {
            continue;
        }
        // Lower-case content words only (names may follow protocol order);
        // no tense or -ly forms that suggest a sequence of events.
        let (ta, tb) = (ctx.text(a), ctx.text(b));
        if text::is_capitalised(ta) || text::is_capitalised(tb) || ctx.starts_sentence(a) {
            continue;
        }
        // The pair must be a whole coordination: not the tail of a list
        // ("x, y and z"), not "between x and y", not followed by "of" or a
        // possessive, not preceded by a hyphen or a word joined to it.
        let Some(p) = ctx.prev(a) else { continue };
        let pw = ctx.folded(p);
        // Participles and -ing forms may narrate a sequence ("arrived and
        // left"); after a copula they are predicative adjectives ("is
        // chaotic and divided") and may swap.
        let predicative = matches!(
            pw.as_str(),
            "is" | "are"
                | "was"
                | "were"
                | "be"
                | "been"
                | "being"
                | "seems"
                | "seemed"
                | "remains"
                | "remained"
                | "appears"
                | "appeared"
                | "looks"
                | "looked"
                | "became"
                | "become"
                | "very"
                | "more"
                | "increasingly"
                | "deeply"
                | "both"
        );
        let verbal = |w: &str| {
            w.ends_with("ed") || w.ends_with("ing") || w.ends_with("ly") || w.contains('\'')
        };
        if (!predicative && (verbal(&wa) || verbal(&wb)))
            || wa.ends_with("ly")
            || wb.ends_with("ly")
            || wa.len() < 4
            || wb.len() < 4
        {
            continue;
        }
        if matches!(ctx.text(p), "," | "-" | "/" | "‑")
            || matches!(
                pw.as_str(),
                "between" | "from" | "either" | "neither" | "whether" | "and" | "or"
            )
        {
            continue;
        }
        if let Some(n) = ctx.next(b) {
            let nw = ctx.folded(n);
            if matches!(nw.as_str(), "of" | "'s" | "-" | "respectively" | "than")
                || matches!(ctx.text(n), "-" | "‑" | "/")
            {
                continue;
            }
            // "x and y, and z" is a list; leave it.
            if ctx.text(n) == ","
                && ctx
                    .next(n)
                    .is_some_and(|m| matches!(ctx.folded(m).as_str(), "and" | "or"))
            {
                continue;
            }
        }
        // Plurality must match, or agreement with a following verb may change.
        if wa.ends_with('s') != wb.ends_with('s') {
            continue;
        }
        // Only two words of one kind that are the whole of their conjuncts:
        // two adjectives, or two nouns that are not also verbs. Anything the
        // dictionary cannot vouch for stays as it is.
        let (pa, pb) = (ctx.pos(a), ctx.pos(b));
        // After a copula a participle is an adjective ("is chaotic and divided").
        let adj_like =
            |x: Pos, w: &str| x.adjective && (!x.verb || predicative && w.ends_with("ed"));
        let both_adjectives = adj_like(pa, &wa) && adj_like(pb, &wb);
        let both_nouns =
            pa.noun && pb.noun && !pa.verb && !pb.verb && !pa.adjective && !pb.adjective;
        if !(both_adjectives || both_nouns) || pa.adverb || pb.adverb {
            continue;
        }
        // The left edge: a determiner, preposition, copula or degree word,
        // or punctuation — not a modifier that might scope over one conjunct.
        let pp = ctx.pos(p);
        let left_ok = ctx.tokens[p].kind == Kind::Punct
            || pp.determiner
            || pp.preposition
            || predicative
            || matches!(pw.as_str(), "and" | "or" | "but" | "as" | "so" | "too");
        if !left_ok {
            continue;
        }
        // The right edge: punctuation, end, or a word that cannot continue a
        // compound (no noun right after two nouns; adjectives may modify one).
        let right_ok = match ctx.next(b) {
            None => true,
            Some(n) if ctx.tokens[n].kind == Kind::Punct => true,
            Some(n) => {
                let pn = ctx.pos(n);
                let linking = matches!(
                    ctx.folded(n).as_str(),
                    "to" | "than"
                        | "that"
                        | "as"
                        | "but"
                        | "in"
                        | "on"
                        | "about"
                        | "for"
                        | "with"
                        | "of"
                );
                if both_nouns {
                    !pn.noun || pn.preposition || pn.determiner || pn.pronoun
                } else {
                    // After two adjectives: a preposition, or the noun they
                    // modify — not another verb or adjective.
                    linking || pn.preposition || (pn.noun && !pn.verb && !pn.adjective)
                }
            }
        };
        if !right_ok {
            continue;
        }
        let range = ctx.tokens[a].start..ctx.tokens[b].end;
        let sep = &ctx.src[ctx.tokens[a].end..ctx.tokens[b].start];
        let forms = vec![ctx.src[range.clone()].to_string(), format!("{tb}{sep}{ta}")];
        out.push(cand(Class::CoordinationOrder, range, forms, 0));
    }
}

/// "has also been" / "also has been", "will now turn" / "now will turn":
/// a frequency or focus adverb on either side of a modal or perfect
/// auxiliary, between a subject and the verb. Only where the word before is
/// a subject (a pronoun, a noun, a relative), so questions and inverted
/// clauses are never touched.
pub(crate) fn adverb_placement(ctx: &Ctx, out: &mut Vec<Candidate>) {
    for i in 0..ctx.tokens.len() {
        if ctx.tokens[i].kind != Kind::Word {
            continue;
        }
        let aux = ctx.folded(i);
        let modal = MODALS.contains(&aux.as_str());
        if !modal && !PERFECT.contains(&aux.as_str()) {
            continue;
        }
        // Either "AUX ADV verb" or "ADV AUX verb".
        let (first, second, verb, original) = match (ctx.prev(i), ctx.next(i)) {
            (_, Some(a)) if MOVABLE_ADVERBS.contains(&ctx.folded(a).as_str()) => {
                match ctx.next(a) {
                    Some(v) if ctx.single_space_between(i, a) && ctx.single_space_between(a, v) => {
                        (i, a, v, 0)
                    }
                    _ => continue,
                }
            }
            (Some(a), Some(v))
                if MOVABLE_ADVERBS.contains(&ctx.folded(a).as_str())
                    && ctx.single_space_between(a, i)
                    && ctx.single_space_between(i, v) =>
            {
                (a, i, v, 1)
            }
            _ => continue,
        };
        let adverb = if original == 0 { second } else { first };
        let adv = ctx.folded(adverb);
        // After "have" only the adverbs that sit naturally on either side:
        // "I have often wondered" is not "I often have wondered" (round 10).
        if !modal && !matches!(adv.as_str(), "also" | "already" | "recently") {
            continue; // "we have now" + participle reads as a slip moved before "have"
        }
        if ctx.tokens[verb].kind != Kind::Word || text::is_capitalised(ctx.text(verb)) {
            continue;
        }
        let v = ctx.folded(verb);
        let pos = ctx.pos(verb);
        let verb_ok = if modal {
            pos.verb
                && !v.ends_with("ing")
                && !matches!(v.as_str(), "not" | "never" | "be" | "have")
                || v == "be"
                || v == "have"
        } else {
            (pos.verb && (v.ends_with("ed") || v.ends_with("en")))
                || IRREGULAR_PARTICIPLES.contains(&v.as_str())
        };
        if !verb_ok {
            continue;
        }
        // The subject right before the block.
        let Some(s) = ctx.prev(first) else { continue };
        if !ctx.single_space_between(s, first) || ctx.tokens[s].kind != Kind::Word {
            continue;
        }
        let sw = ctx.folded(s);
        let sp = ctx.pos(s);
        let subject = matches!(
            sw.as_str(),
            "i" | "you"
                | "he"
                | "she"
                | "it"
                | "we"
                | "they"
                | "who"
                | "which"
                | "that"
                | "this"
                | "there"
        ) || (sp.noun
            && !sp.verb
            && !sp.adverb
            && !sp.preposition
            && !sp.determiner
            && !DETERMINERS.contains(&sw.as_str()))
            || (text::is_capitalised(ctx.text(s)) && !sp.known);
        if !subject {
            continue;
        }
        let range = ctx.tokens[first].start..ctx.tokens[second].end;
        let (a, b) = (ctx.text(first), ctx.text(second));
        let swapped = format!("{b} {a}");
        let forms = if original == 0 {
            vec![ctx.src[range.clone()].to_string(), swapped]
        } else {
            vec![swapped, ctx.src[range.clone()].to_string()]
        };
        out.push(cand(Class::AdverbPlacement, range, forms, original));
    }
}

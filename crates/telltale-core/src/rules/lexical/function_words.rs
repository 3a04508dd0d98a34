//! Optional function words: the complementiser "that" after a reporting
//! verb, the relative "that" before a subject pronoun, and the infinitive
//! "to" after "help". Each rule proposes a word that may be present or
//! absent; they share the list of reporting verbs, which is why they live
//! together.

use crate::rules::data::{DETERMINERS, FINITE_AUXILIARIES, MODALS, PRONOUNS};
use crate::rules::{cand, Candidate, Ctx, Profile};
use crate::template::Class;
use crate::text::{self, Kind};
use crate::word_lists::function_words::{CONTENT_NOUNS, REPORTING_VERBS};

/// Words that can start a finite clause right after "that" and cannot follow
/// a demonstrative "that" ("said that the talks", never "said that day").
fn starts_clause(ctx: &Ctx, i: usize) -> bool {
    let w = ctx.folded(i);
    if matches!(
        w.as_str(),
        "i" | "you" | "he" | "she" | "it" | "we" | "they" | "there"
    ) {
        return true;
    }
    if DETERMINERS.contains(&w.as_str())
        && !matches!(
            w.as_str(),
            "that" | "this" | "these" | "those" | "a" | "an" | "all" | "no" | "any"
        )
    {
        return true;
    }
    // A name: capitalised, not at the start of a sentence, and not a title
    // followed by nothing.
    ctx.tokens[i].kind == Kind::Word && text::is_capitalised(ctx.text(i)) && w != "i"
}

/// "said that the talks had stalled" / "said the talks had stalled".
/// Only "that" directly after a reporting verb, introducing a clause that
/// begins with a subject; the variant without "that" is proposed, never the
/// other way (a bare verb + noun phrase may be an object, not a clause).
pub(crate) fn complementiser(ctx: &Ctx, out: &mut Vec<Candidate>) {
    for i in 0..ctx.tokens.len() {
        if ctx.tokens[i].kind != Kind::Word || ctx.folded(i) != "that" {
            continue;
        }
        let (Some(v), Some(n)) = (ctx.prev(i), ctx.next(i)) else {
            continue;
        };
        if !ctx.single_space_between(v, i) || !ctx.single_space_between(i, n) {
            continue;
        }
        let verb = ctx.folded(v);
        // "told him that": the object pronoun sits between the verb and "that".
        let reporting = REPORTING_VERBS.contains(&verb.as_str())
            || (PRONOUNS.contains(&verb.as_str())
                && ctx.prev(v).is_some_and(|u| {
                    matches!(
                        ctx.folded(u).as_str(),
                        "told" | "tell" | "tells" | "assured" | "reminded" | "warned"
                    )
                }));
        if !reporting || !starts_clause(ctx, n) {
            continue;
        }
        // "the hope that …": after a determiner the word is a noun, and its
        // "that" clause needs its "that".
        if ctx
            .prev(v)
            .is_some_and(|u| DETERMINERS.contains(&ctx.folded(u).as_str()))
        {
            continue;
        }
        // A name as the clause's subject may first read as the verb's
        // object ("believe Superstorm Sandy"); keep "that" before it.
        if text::is_capitalised(ctx.text(n)) && ctx.folded(n) != "i" {
            continue;
        }
        // Keep "that" where the clause is long: count words up to the next
        // clause-level punctuation.
        let mut words = 0;
        let mut j = n;
        while j < ctx.tokens.len()
            && !matches!(ctx.text(j), "." | ";" | ":" | "!" | "?" | "—" | "–")
        {
            if ctx.tokens[j].is_word() {
                words += 1;
            }
            j += 1;
        }
        if !(3..=25).contains(&words) {
            continue;
        }
        // "say that X, that Y": the parallel needs every "that".
        let rest = &ctx.src[ctx.tokens[n].start
            ..ctx
                .sentence_of(ctx.tokens[i].start)
                .map_or(ctx.src.len(), |r| r.end)];
        if rest.contains(", that ") || rest.contains(" and that ") || rest.contains(" or that ") {
            continue;
        }
        let range = ctx.tokens[i].start..ctx.tokens[n].start;
        let mut c = cand(
            Class::Complementiser,
            range.clone(),
            vec![ctx.src[range].to_string(), String::new()],
            0,
        );
        if ctx.profile == Profile::Strict {
            c.group = Some("complementiser".into());
        }
        out.push(c);
    }
    complementiser_insertion(ctx, out);
}

/// "I think we should" / "I think that we should": "that" may be added where
/// a reporting verb is followed by a subject pronoun and a finite auxiliary,
/// which can only be the start of a clause.
fn complementiser_insertion(ctx: &Ctx, out: &mut Vec<Candidate>) {
    for v in 0..ctx.tokens.len() {
        if ctx.tokens[v].kind != Kind::Word || !REPORTING_VERBS.contains(&ctx.folded(v).as_str()) {
            continue;
        }
        let Some(p) = ctx.next(v) else { continue };
        let Some(a) = ctx.next(p) else { continue };
        if !ctx.single_space_between(v, p) || !ctx.single_space_between(p, a) {
            continue;
        }
        if !matches!(
            ctx.folded(p).as_str(),
            "i" | "we" | "they" | "he" | "she" | "you" | "it"
        ) || !FINITE_AUXILIARIES.contains(&ctx.folded(a).as_str())
        {
            continue;
        }
        // "as you know we have" is a parenthetical, not a complement; "if
        // I say we will" and the like are fine, but keep to plain clauses.
        let before: Vec<String> = std::iter::successors(ctx.prev(v), |&x| ctx.prev(x))
            .take(2)
            .map(|x| ctx.folded(x))
            .collect();
        if before
            .iter()
            .any(|b| matches!(b.as_str(), "as" | "than" | "so" | "how" | "what"))
        {
            continue;
        }
        // The same parallel limit as deletion: not where another "that"
        // clause follows in the sentence.
        let rest = &ctx.src[ctx.tokens[p].start
            ..ctx
                .sentence_of(ctx.tokens[p].start)
                .map_or(ctx.src.len(), |r| r.end)];
        if rest.contains(", that ") || rest.contains(" and that ") || rest.contains(" or that ") {
            continue;
        }
        let at = ctx.tokens[p].start;
        let mut c = cand(
            Class::Complementiser,
            at..at,
            vec!["that ".to_string(), String::new()],
            1,
        );
        if ctx.profile == Profile::Strict {
            c.group = Some("complementiser".into());
        }
        out.push(c);
    }
}

/// "help them to build" / "help them build", "helped to end" / "helped
/// end": the infinitive marker after "help" is optional. Without "to", the
/// next word must be a verb the bigram table knows after "to".
pub(crate) fn optional_to(ctx: &Ctx, out: &mut Vec<Candidate>) {
    let bigrams = crate::ngram::Bigrams::english();
    for i in 0..ctx.tokens.len() {
        if ctx.tokens[i].kind != Kind::Word
            || !matches!(
                ctx.folded(i).as_str(),
                "help" | "helps" | "helped" | "helping"
            )
        {
            continue;
        }
        // "help" must be the verb, not the noun of "the help desk" or "with
        // help from": after a subject, an auxiliary or "to", or inflected.
        let verbal = match ctx.folded(i).as_str() {
            "helps" | "helped" => true,
            _ => ctx.prev(i).is_some_and(|p| {
                let w = ctx.folded(p);
                MODALS.contains(&w.as_str())
                    || matches!(
                        w.as_str(),
                        "to" | "did"
                            | "does"
                            | "do"
                            | "also"
                            | "we"
                            | "they"
                            | "i"
                            | "you"
                            | "not"
                            | "is"
                            | "are"
                            | "was"
                            | "were"
                            | "been"
                            | "by"
                    )
            }),
        };
        if !verbal {
            continue;
        }
        let Some(mut j) = ctx.next(i) else { continue };
        if !ctx.single_space_between(i, j) {
            continue;
        }
        if matches!(
            ctx.folded(j).as_str(),
            "me" | "you" | "him" | "her" | "us" | "them"
        ) {
            let Some(k) = ctx.next(j) else { continue };
            if !ctx.single_space_between(j, k) {
                continue;
            }
            j = k;
        }
        if ctx.tokens[j].kind != Kind::Word {
            continue;
        }
        let (range, verb, original) = if ctx.folded(j) == "to" {
            let Some(v) = ctx.next(j) else { continue };
            if !ctx.single_space_between(j, v) {
                continue;
            }
            (ctx.tokens[j].start..ctx.tokens[v].start, v, 0)
        } else {
            (ctx.tokens[j].start..ctx.tokens[j].start, j, 1)
        };
        let v = ctx.folded(verb);
        let pos = ctx.pos(verb);
        if ctx.tokens[verb].kind != Kind::Word
            || !pos.verb
            || v.ends_with("ing")
            || v.ends_with("ed")
            || bigrams.count("to", &v) == 0
        {
            continue;
        }
        // Before a word that is mostly a noun ("help desk") nothing is
        // inserted, nor after "to help" ("to help to meet" stutters).
        if original == 1
            && ((pos.noun && !pos.verb)
                // "help even more": an adverb that is also a verb.
                || pos.adverb
                || ctx.prev(i).is_some_and(|p| ctx.folded(p) == "to")
                // "helped parents provide": a plural noun is the object, not the verb.
                || (v.ends_with('s') && !v.ends_with("ss"))
                // "help people get": only a word seen after "will" is a verb here.
                || bigrams.count("will", &v) == 0)
        {
            continue;
        }
        let to = if original == 0 {
            ctx.src[range.clone()].to_string()
        } else {
            "to ".to_string()
        };
        out.push(cand(
            Class::OptionalTo,
            range,
            vec![to, String::new()],
            original,
        ));
    }
}

/// "the work that we do" / "the work we do": a relative "that" which is the
/// object of its clause may go when a subject pronoun follows. Only deletion
/// is proposed: a noun followed by a pronoun is too often something else
/// ("Last year we passed") for "that" to be inserted safely.
pub(crate) fn relative_that(ctx: &Ctx, out: &mut Vec<Candidate>) {
    for i in 0..ctx.tokens.len() {
        if ctx.tokens[i].kind != Kind::Word || ctx.folded(i) != "that" {
            continue;
        }
        let (Some(n), Some(p)) = (ctx.next(i), ctx.prev(i)) else {
            continue;
        };
        if !ctx.single_space_between(p, i)
            || !ctx.single_space_between(i, n)
            || ctx.tokens[p].kind != Kind::Word
        {
            continue;
        }
        if !matches!(
            ctx.folded(n).as_str(),
            "we" | "they" | "i" | "you" | "he" | "she"
        ) {
            continue;
        }
        let Some(v) = ctx.next(n) else { continue };
        if !ctx.single_space_between(n, v) || ctx.tokens[v].kind != Kind::Word {
            continue;
        }
        let (pw, pp) = (ctx.folded(p), ctx.pos(p));
        if !pp.noun
            || pp.pronoun
            || pp.preposition
            || CONTENT_NOUNS.contains(&pw.as_str())
            || REPORTING_VERBS.contains(&pw.as_str())
        {
            continue;
        }
        // The word before the noun: a determiner, adjective or possessive
        // shows "noun" really is one ("the work", "every step").
        let Some(d) = ctx.prev(p) else { continue };
        let dw = ctx.folded(d);
        let (dp, vp) = (ctx.pos(d), ctx.pos(v));
        if !(DETERMINERS.contains(&dw.as_str()) || (dp.adjective && !dp.verb) || dw.ends_with("'s"))
        {
            continue;
        }
        // The clause's verb (or auxiliary) follows the pronoun.
        if (!vp.verb
            || vp.noun
                && !matches!(
                    ctx.folded(v).as_str(),
                    "have" | "need" | "want" | "face" | "see" | "make" | "do" | "love"
                )
                && !ctx.folded(v).ends_with("ed"))
            && !matches!(
                ctx.folded(v).as_str(),
                "will"
                    | "would"
                    | "can"
                    | "could"
                    | "should"
                    | "must"
                    | "may"
                    | "might"
                    | "have"
                    | "had"
                    | "has"
                    | "are"
                    | "were"
                    | "was"
                    | "am"
                    | "do"
                    | "did"
            )
        {
            continue;
        }
        let range = ctx.tokens[i].start..ctx.tokens[n].start;
        out.push(cand(
            Class::RelativeThat,
            range.clone(),
            vec![ctx.src[range].to_string(), String::new()],
            0,
        ));
    }
}

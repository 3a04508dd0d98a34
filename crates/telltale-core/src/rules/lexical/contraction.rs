//! Contractions: "do not" / "don't", "it is" / "it's". Kept apart from the
//! other lexical rules because whether a sentence may vary depends on every
//! contractible phrase in it, and on its neighbours (an anaphora stays
//! parallel), which needs its own sentence-level bookkeeping.

use crate::rules::data::{DETERMINERS, PRONOUNS};
use crate::rules::{cand, Candidate, Ctx};
use crate::template::Class;
use crate::text::{self, Kind};
use crate::word_lists::contraction::CONTRACTIONS;

pub(crate) fn is_contraction(w: &str) -> bool {
    CONTRACTIONS.iter().any(|(_, c)| *c == w)
}

/// "do not" / "don't": only where the document already uses contractions,
/// never at the end of a clause ("I know what it is"), never before a subject
/// in a question ("don't you"), never "it's" for the possessive.
pub(crate) fn contractions(ctx: &Ctx, out: &mut Vec<Candidate>) {
    if !ctx.uses_contractions {
        return;
    }
    let mut found = Vec::new();
    contraction_sites(ctx, &mut found);
    // A sentence varies only if every contraction and every contractible
    // phrase in it is a site: "doesn't care and will not pay" or "I do not
    // know if you've noticed" mix registers the original kept apart.
    let sentences: Vec<Option<usize>> = found
        .iter()
        .map(|c| ctx.sentence_index(c.range.start))
        .collect();
    // Token starts that some site covers (an empty site covers the token
    // that starts where it sits).
    let mut covered = std::collections::HashSet::new();
    for c in &found {
        let r = c.range.start..c.range.end.max(c.range.start + 1);
        let first = ctx.tokens.partition_point(|t| t.start < r.start);
        for t in ctx.tokens[first..].iter().take_while(|t| t.start < r.end) {
            covered.insert(t.start);
        }
    }
    let mut whole = std::collections::HashMap::new();
    for s in sentences.iter().flatten() {
        whole.entry(*s).or_insert_with(|| {
            ctx.tokens_within(&ctx.sentences[*s])
                .all(|i| !contractible(ctx, i) || covered.contains(&ctx.tokens[i].start))
        });
    }
    // Sentences next to each other that repeat a phrase ("we will not …
    // We will not …") are one slot, so an anaphora stays parallel.
    let mut parent: Vec<usize> = (0..ctx.sentences.len()).collect();
    fn root(p: &mut [usize], x: usize) -> usize {
        let mut x = x;
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    let mut phrases: std::collections::HashMap<usize, std::collections::HashSet<String>> =
        std::collections::HashMap::new();
    for (c, s) in found.iter().zip(&sentences) {
        if let Some(s) = s {
            phrases
                .entry(*s)
                .or_default()
                .insert(text::fold(&c.forms[0]));
        }
    }
    for (&sa, here) in &phrases {
        if let Some(next) = phrases.get(&(sa + 1)) {
            if here.iter().any(|p| next.contains(p)) {
                let (ra, rb) = (root(&mut parent, sa), root(&mut parent, sa + 1));
                parent[rb.max(ra)] = rb.min(ra);
            }
        }
    }
    let mut eligible: std::collections::HashMap<usize, bool> = std::collections::HashMap::new();
    for s in sentences.iter().flatten() {
        let r = root(&mut parent, *s);
        let ok = whole[s];
        eligible.entry(r).and_modify(|e| *e &= ok).or_insert(ok);
    }
    for (mut c, s) in found.into_iter().zip(sentences) {
        let Some(s) = s else { continue };
        let r = root(&mut parent, s);
        if eligible[&r] {
            c.group = Some(format!("contraction:{r}"));
            out.push(c);
        }
    }
}

/// Whether the word at `i` is a contraction, a negated auxiliary or the
/// first word of a phrase that could be contracted.
fn contractible(ctx: &Ctx, i: usize) -> bool {
    if ctx.tokens[i].kind != Kind::Word {
        return false;
    }
    let w = ctx.folded(i);
    if w == "cannot"
        || ["n't", "'ve", "'ll", "'re", "'m", "'d"]
            .iter()
            .any(|s| w.ends_with(s))
    {
        return true;
    }
    if let Some(stem) = w.strip_suffix("'s") {
        // "it's", "that's", not the possessive "John's".
        return PRONOUNS.contains(&stem)
            || matches!(
                stem,
                "that" | "there" | "what" | "who" | "here" | "where" | "how" | "let"
            );
    }
    if w == "not" {
        return ctx.prev(i).is_some_and(|p| {
            matches!(
                ctx.folded(p).as_str(),
                "do" | "does"
                    | "did"
                    | "is"
                    | "are"
                    | "was"
                    | "were"
                    | "has"
                    | "have"
                    | "had"
                    | "will"
                    | "would"
                    | "should"
                    | "could"
                    | "can"
                    | "must"
                    | "need"
            )
        });
    }
    let next = ctx.next(i).map(|n| ctx.folded(n));
    CONTRACTIONS.iter().any(|(full, _)| {
        let mut it = full.split(' ');
        it.next() == Some(w.as_str())
            && it
                .next()
                .is_some_and(|second| next.as_deref() == Some(second))
            && !full.ends_with(" not")
    }) || (PRONOUNS.contains(&w.as_str())
        && next.as_deref().is_some_and(|n| matches!(n, "will" | "would" | "have" | "had" | "am"))
        // "we will not": the negative is the contractible part, checked at "not".
        && ctx.next(i).and_then(|n| ctx.next(n)).is_none_or(|nn| ctx.folded(nn) != "not"))
}

fn contraction_sites(ctx: &Ctx, out: &mut Vec<Candidate>) {
    for i in 0..ctx.tokens.len() {
        if ctx.tokens[i].kind != Kind::Word {
            continue;
        }
        let w = ctx.folded(i);
        for &(full, short) in CONTRACTIONS {
            let full_words: Vec<&str> = full.split(' ').collect();
            let (range, last, original) = if w == short {
                (ctx.tokens[i].range(), i, 1)
            } else if w == full_words[0] {
                if full_words.len() == 1 {
                    (ctx.tokens[i].range(), i, 0)
                } else {
                    let Some(j) = ctx.next(i) else { continue };
                    if !ctx.single_space_between(i, j) || ctx.folded(j) != full_words[1] {
                        continue;
                    }
                    (ctx.tokens[i].start..ctx.tokens[j].end, j, 0)
                }
            } else {
                continue;
            };
            // Must be followed by a word (not clause-final), and a negative
            // must not be followed by a subject pronoun (question inversion).
            let Some(n) = ctx.next(last) else { continue };
            if !ctx.tokens[n].is_word() {
                continue;
            }
            let nw = ctx.folded(n);
            // "going to have not a deficit": an infinitive "have" (after
            // "to" or a modal) is not an auxiliary and never contracts.
            if matches!(full, "have not" | "has not" | "had not")
                && ctx.prev(i).is_some_and(|p| {
                    matches!(
                        ctx.folded(p).as_str(),
                        "to" | "will"
                            | "would"
                            | "can"
                            | "could"
                            | "should"
                            | "must"
                            | "may"
                            | "might"
                    )
                })
            {
                continue;
            }
            // "why can't freedom be": after a question word the negative is
            // inverted before its subject, where the full form is archaic.
            if short.ends_with("n't")
                && ctx.prev(i).is_some_and(|p| {
                    matches!(
                        ctx.folded(p).as_str(),
                        "why" | "how" | "what" | "where" | "when" | "who"
                    )
                })
            {
                continue;
            }
            // "don't you", "isn't this": the negative is inverted before its
            // subject, and the full form would be ungrammatical there.
            if short.ends_with("n't")
                && (PRONOUNS.contains(&nw.as_str())
                    || matches!(nw.as_str(), "this" | "that" | "there" | "these" | "those"))
            {
                continue;
            }
            // "can't wait" (eager) is an idiom the full form loses; "do not
            // now have" is formal word order a contraction jars with.
            if (short == "can't" && nw == "wait") || nw == "now" {
                continue;
            }
            // Never before a word that ends the clause ("where we're and",
            // "you're too.").
            if matches!(
                nw.as_str(),
                "and"
                    | "or"
                    | "but"
                    | "nor"
                    | "so"
                    | "because"
                    | "if"
                    | "when"
                    | "while"
                    | "than"
                    | "as"
                    | "too"
                    | "either"
            ) {
                continue;
            }
            // "'s" may be "has" ("he's given"): expand only where "is" is
            // certain, before a determiner, "not" or a degree word.
            if short.ends_with("'s")
                && original == 1
                && !(DETERMINERS.contains(&nw.as_str())
                    || matches!(
                        nw.as_str(),
                        "not"
                            | "very"
                            | "so"
                            | "still"
                            | "also"
                            | "now"
                            | "clear"
                            | "true"
                            | "time"
                            | "likely"
                            | "important"
                            | "possible"
                            | "hard"
                            | "easy"
                            | "right"
                            | "wrong"
                    ))
            {
                continue;
            }
            if short.ends_with("'s") && matches!(nw.as_str(), "been" | "got" | "had") {
                continue;
            }
            let orig = &ctx.src[range.clone()];
            let apostrophe = if orig.contains('\u{2019}') {
                "\u{2019}"
            } else {
                "'"
            };
            let forms = [full.to_string(), short.replace('\'', apostrophe)];
            let forms: Vec<String> = forms.iter().map(|f| text::match_case(orig, f)).collect();
            if forms[original] != orig {
                continue;
            }
            // "how hard it is to make": "is" before the gap left by a
            // fronted adjective cannot contract.
            if short.ends_with("'s") || short.ends_with("'re") || short.ends_with("'m") {
                let before: Vec<String> = std::iter::successors(ctx.prev(i), |&p| ctx.prev(p))
                    .take(2)
                    .map(|p| ctx.folded(p))
                    .collect();
                if before.iter().any(|b| {
                    matches!(
                        b.as_str(),
                        "how" | "what" | "however" | "so" | "as" | "than" | "wherever" | "whatever"
                    )
                }) {
                    continue;
                }
            }
            // Short sentences are where a full form is emphatic ("It is
            // time.", "We do not give up."), and "that's right" is a set
            // phrase: round-6 review.
            if let Some(sent) = ctx.sentence_of(ctx.tokens[i].start) {
                if ctx.src[sent].split_whitespace().nth(6).is_none() {
                    continue;
                }
            }
            if full == "that is" && nw == "right" {
                continue;
            }
            // "the progress there is": "there" as an adverb cannot take
            // "'s"; only the existential "there" that opens a clause.
            if full == "there is" {
                let opens = ctx.prev(i).is_none_or(|p| {
                    ctx.tokens[p].kind == Kind::Punct
                        || matches!(
                            ctx.folded(p).as_str(),
                            "and"
                                | "but"
                                | "or"
                                | "so"
                                | "because"
                                | "if"
                                | "when"
                                | "where"
                                | "while"
                                | "that"
                                | "since"
                                | "although"
                                | "though"
                                | "as"
                                | "now"
                                | "then"
                                | "yet"
                        )
                });
                if !opens {
                    continue;
                }
            }
            // One choice per sentence (grouped by the caller): "it does not
            // …, it doesn't …" in parallel clauses reads as a slip.
            out.push(cand(Class::Contraction, range, forms, original));
            break;
        }
    }
}

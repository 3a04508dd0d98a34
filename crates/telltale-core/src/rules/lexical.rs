//! Lexical rules: word choices that survive retyping and most house styles.

use super::data::{self, FormTable, DETERMINERS, FINITE_AUXILIARIES, MODALS, PRONOUNS};
use super::{cand, Candidate, Ctx, Pos, Profile, Variety};
use crate::template::Class;
use crate::text::{self, Kind};

/// Contracted and full forms. The full form's words are matched as written.
const CONTRACTIONS: &[(&str, &str)] = &[
    ("do not", "don't"),
    ("does not", "doesn't"),
    ("did not", "didn't"),
    ("is not", "isn't"),
    ("are not", "aren't"),
    ("was not", "wasn't"),
    ("were not", "weren't"),
    ("has not", "hasn't"),
    ("have not", "haven't"),
    ("had not", "hadn't"),
    ("will not", "won't"),
    ("would not", "wouldn't"),
    ("should not", "shouldn't"),
    ("could not", "couldn't"),
    ("cannot", "can't"),
    ("it is", "it's"),
    ("that is", "that's"),
    ("there is", "there's"),
    ("we are", "we're"),
    ("they are", "they're"),
    ("you are", "you're"),
    ("i am", "i'm"),
    ("he is", "he's"),
    ("she is", "she's"),
    ("what is", "what's"),
];

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

const REPORTING_VERBS: &[&str] = &[
    "said",
    "say",
    "says",
    "believe",
    "believes",
    "believed",
    "think",
    "thinks",
    "thought",
    "know",
    "knows",
    "knew",
    "argue",
    "argues",
    "argued",
    "note",
    "notes",
    "noted",
    "suggest",
    "suggests",
    "suggested",
    "warn",
    "warns",
    "warned",
    "confirm",
    "confirms",
    "confirmed",
    "claim",
    "claims",
    "claimed",
    "insist",
    "insists",
    "insisted",
    "agree",
    "agrees",
    "agreed",
    "acknowledge",
    "acknowledges",
    "acknowledged",
    "admit",
    "admits",
    "admitted",
    "announce",
    "announces",
    "announced",
    "assume",
    "assumes",
    "assumed",
    "conclude",
    "concludes",
    "concluded",
    "expect",
    "expects",
    "expected",
    "feel",
    "feels",
    "felt",
    "hope",
    "hopes",
    "hoped",
    "fear",
    "fears",
    "feared",
    "indicate",
    "indicates",
    "indicated",
    "report",
    "reports",
    "reported",
    "state",
    "states",
    "stated",
    "realise",
    "realises",
    "realised",
    "realize",
    "realizes",
    "realized",
    "understand",
    "understands",
    "understood",
    "doubt",
    "doubts",
    "doubted",
    "predict",
    "predicts",
    "predicted",
    "recognise",
    "recognised",
    "recognize",
    "recognized",
    "accept",
    "accepts",
    "accepted",
    "told",
    "tell",
    "tells",
    "assured",
    "reminded",
    "emphasised",
    "emphasized",
    "stressed",
    "maintained",
    "maintains",
    "maintain",
    "add",
    "added",
    "adds",
    "reckon",
    "reckons",
    "estimated",
    "estimates",
    "judged",
    "judge",
    "judges",
    "concede",
    "conceded",
    "concedes",
];

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

/// Curated synonyms from `data/synonyms.tsv`, with the case of the original.
/// An entry used twice in one sentence is left alone there: varying one
/// use breaks a parallel ("depend upon it; … depend on it") and varying both
/// alike can turn the author's deliberate variety into a repetition.
pub(crate) fn synonyms(ctx: &Ctx, out: &mut Vec<Candidate>) {
    let mut found = Vec::new();
    table_candidates(
        ctx,
        &FormTable::synonyms(),
        Class::Synonym,
        None,
        &mut found,
    );
    out.extend(once_per_sentence(ctx, found));
}

/// Candidates whose set of forms occurs only once in its sentence.
pub(crate) fn once_per_sentence(ctx: &Ctx, found: Vec<Candidate>) -> Vec<Candidate> {
    // Counted in the text, not among the candidates: a use the rules could
    // not vary (capitalised, hyphenated, outside a constraint) still makes
    // the one that could vary part of a repetition ("a single goal—the goal
    // of", "so long as … so long as").
    found
        .into_iter()
        .filter(|c| {
            let Some(sent) = ctx.context_of(&c.range) else {
                return true;
            };
            let sentence = text::fold(&ctx.src[sent]);
            let mut starts = std::collections::BTreeSet::new();
            for form in &c.forms {
                let f = text::fold(form.trim());
                if f.is_empty() {
                    continue;
                }
                for (at, _) in sentence.match_indices(&f) {
                    let before = sentence[..at].chars().next_back();
                    let after = sentence[at + f.len()..].chars().next();
                    if !before.is_some_and(char::is_alphanumeric)
                        && !after.is_some_and(char::is_alphanumeric)
                    {
                        starts.insert(at);
                    }
                }
            }
            starts.len() <= 1
        })
        .collect()
}

/// Candidates from a form table. `group_prefix` makes every entry a
/// document-wide convention of its own.
pub(crate) fn table_candidates(
    ctx: &Ctx,
    table: &FormTable,
    class: Class,
    group_prefix: Option<&str>,
    out: &mut Vec<Candidate>,
) {
    for hit in table.find(ctx) {
        let range = ctx.tokens[hit.first].start..ctx.tokens[hit.last].end;
        let orig = &ctx.src[range.clone()];
        let entry = &table.entries[hit.entry];
        let letters: Vec<char> = orig.chars().filter(|c| c.is_alphabetic()).collect();
        if letters.len() > 1 && letters.iter().all(|c| c.is_uppercase()) {
            continue;
        }
        let apostrophe = orig.contains('\u{2019}');
        let forms: Vec<String> = entry
            .forms
            .iter()
            .map(|f| {
                let f = if apostrophe {
                    f.replace('\'', "\u{2019}")
                } else {
                    f.clone()
                };
                text::match_case(orig, &f)
            })
            .collect();
        if forms[hit.form] != orig {
            // Mixed case inside the phrase ("Prior To"): leave it alone.
            continue;
        }
        let mut c = cand(class, range, forms, hit.form);
        if let Some(p) = group_prefix {
            c.group = Some(format!("{p}:{}", entry.forms.join("|")));
        }
        out.push(c);
    }
}

/// while/whilst, among/amongst, amid/amidst: both correct in British English.
pub(crate) fn british_pairs(ctx: &Ctx, out: &mut Vec<Candidate>) {
    if ctx.variety != Variety::British || !ctx.variety_certain {
        return;
    }
    const PAIRS: &[(&str, &str)] = &[
        ("while", "whilst"),
        ("among", "amongst"),
        ("amid", "amidst"),
    ];
    for i in 0..ctx.tokens.len() {
        if ctx.tokens[i].kind != Kind::Word {
            continue;
        }
        let w = ctx.folded(i);
        let Some((k, &(a, b))) = PAIRS
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
    const PAIRS: &[(&str, &str)] = &[
        ("learned", "learnt"),
        ("spelled", "spelt"),
        ("dreamed", "dreamt"),
        ("burned", "burnt"),
        ("leaped", "leapt"),
        ("spoiled", "spoilt"),
        ("smelled", "smelt"),
        ("spilled", "spilt"),
    ];
    const SUBJECTS: &[&str] = &[
        "i", "you", "he", "she", "it", "we", "they", "has", "have", "had", "having", "been", "who",
        "which", "that", "never", "also", "already", "recently", "quickly", "soon", "since",
        "just",
    ];
    const OBJECTS: &[&str] = &[
        "that",
        "to",
        "the",
        "a",
        "an",
        "from",
        "about",
        "of",
        "how",
        "what",
        "when",
        "it",
        "this",
        "its",
        "their",
        "his",
        "her",
        "our",
        "much",
        "more",
        "little",
        "nothing",
        "something",
        "in",
        "by",
        "on",
        "at",
        "out",
        "down",
        "up",
    ];
    for i in 0..ctx.tokens.len() {
        if ctx.tokens[i].kind != Kind::Word {
            continue;
        }
        let w = ctx.folded(i);
        let Some(&(a, b)) = PAIRS.iter().find(|(a, b)| *a == w || *b == w) else {
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

const SMALL_NUMBERS: &[&str] = &[
    "two", "three", "four", "five", "six", "seven", "eight", "nine",
];

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

/// Words that may never be reordered in "X and Y".
const NOT_COORDINABLE: &[&str] = &[
    "i",
    "you",
    "he",
    "she",
    "it",
    "we",
    "they",
    "me",
    "him",
    "her",
    "us",
    "them",
    "the",
    "a",
    "an",
    "this",
    "that",
    "these",
    "those",
    "not",
    "so",
    "then",
    "also",
    "more",
    "less",
    "most",
    "first",
    "second",
    "third",
    "last",
    "next",
    "before",
    "after",
    "now",
    "later",
    "earlier",
    "again",
    "there",
    "here",
    "up",
    "down",
    "in",
    "out",
    "on",
    "off",
    "over",
    "under",
    "to",
    "from",
    "and",
    "or",
    "but",
    "nor",
    "yet",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "has",
    "have",
    "had",
    "do",
    "does",
    "did",
    "will",
    "would",
    "can",
    "could",
    "should",
    "may",
    "might",
    "must",
    "other",
    "others",
    "one",
    "ones",
    "all",
    "both",
    "either",
    "neither",
    "each",
    "every",
    "such",
    "own",
    "many",
    "much",
    "few",
    "some",
    "any",
    "no",
    "very",
    "well",
    "just",
    "only",
    "beginning",
    "end",
    "start",
    "finish",
    "cause",
    "effect",
    "question",
    "answer",
    "problem",
    "solution",
    "rise",
    "fall",
    "rose",
    "fell",
    "past",
    "present",
    "future",
    "sooner",
    "later",
    "old",
    "new",
    "young",
    "small",
    "large",
    "big",
    "little",
];

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

/// Set phrases whose words a quotation or an allusion fixes.
const FIXED_PHRASES: &[&str] = &[
    "one nation under",
    "nation under god",
    "home and abroad",
    "the whole truth",
    "whole truth and",
    "nation of immigrants",
    "nation of laws",
    "nation at risk",
    "aid and comfort",
    "first aid",
    "community of nations",
    "society of nations",
    "family of nations",
    "whole wide world",
    "whole wide",
    "nation to arms",
    "aid worker",
    "aid workers",
    "a whole nation",
    "whole nation",
];

/// Words so frequent that a missing bigram with them means a misfit, not
/// rarity.
const COMMON_WORDS: &[&str] = &[
    "the", "a", "an", "of", "to", "and", "in", "on", "at", "by", "for", "with", "from", "as", "is",
    "are", "was", "were", "be", "been", "has", "have", "had", "will", "would", "can", "could",
    "should", "must", "may", "our", "their", "his", "her", "its", "my", "your", "this", "that",
    "these", "those", "it", "we", "they", "i", "you", "he", "she", "not", "no", "or", "but",
    "more", "most", "very", "so", "all", "every", "each", "any", "some", "other", "new", "one",
    "into", "about", "than",
];

/// How much rarer than the original's a substitute's bigram may be and still
/// count as idiomatic in that place.
const BIGRAM_RATIO: f64 = 0.05;

/// Single-word synonyms from `data/word-synonyms.tsv`, checked in context:
/// an alternative is kept only if its bigrams with the neighbouring words
/// are frequent (see [`crate::ngram`]) and not much rarer than the
/// original's. At least one neighbour must be a word to check against.
pub(crate) fn word_synonyms(ctx: &Ctx, out: &mut Vec<Candidate>) {
    let sets = data::WordSets::builtin();
    let bigrams = crate::ngram::Bigrams::english();
    let binomials = data::binomials();
    let mut found = Vec::new();
    for i in 0..ctx.tokens.len() {
        if ctx.tokens[i].kind != Kind::Word {
            continue;
        }
        let orig = ctx.text(i);
        let w = text::fold(orig);
        let Some(set) = sets.get(&w) else { continue };
        // A verb set after a determiner is looking at a noun ("a permit").
        if set.pos == "verb"
            && ctx
                .prev(i)
                .is_some_and(|p| DETERMINERS.contains(&ctx.folded(p).as_str()))
        {
            continue;
        }
        // Sets not yet through blind review only on request (see the
        // profile column of the table).
        if !set.natural && ctx.profile != Profile::Dense {
            continue;
        }
        if set.variety.is_some_and(|v| v != ctx.variety) {
            continue;
        }
        // Names and headings ("General Motors", "ALL CAPS") keep their words.
        if (text::is_capitalised(orig) && !ctx.starts_sentence(i))
            || (orig.len() > 1 && orig.chars().all(|c| c.is_uppercase()))
        {
            continue;
        }
        // Part of a hyphenated or slashed compound, or a possessive: leave it.
        let joined = |j: usize| {
            matches!(ctx.tokens[j].kind, Kind::Word | Kind::Number)
                || matches!(ctx.text(j), "-" | "‑" | "/" | "'" | "’" | "_" | "@" | "&")
        };
        if (i > 0 && joined(i - 1)) || (i + 1 < ctx.tokens.len() && joined(i + 1)) {
            continue;
        }
        let neighbour = |j: Option<usize>, left: bool| -> Option<String> {
            let j = j?;
            let adjacent = if left {
                ctx.single_space_between(j, i)
            } else {
                ctx.single_space_between(i, j)
            };
            (adjacent && ctx.tokens[j].kind == Kind::Word).then(|| ctx.folded(j))
        };
        let (left, right) = (neighbour(ctx.prev(i), true), neighbour(ctx.next(i), false));
        if left.is_none() && right.is_none() {
            continue;
        }
        // Fixed phrases and binomials keep their words ("at home and
        // abroad", "one nation under God").
        let around = |from: Option<usize>, n: usize| -> String {
            let mut out = Vec::new();
            let mut j = from;
            while let (Some(k), true) = (j, out.len() < n) {
                out.push(ctx.folded(k));
                j = ctx.next(k);
            }
            out.join(" ")
        };
        let p2 = ctx.prev(i).and_then(|p| ctx.prev(p));
        let windows = [
            around(p2, 3),
            around(ctx.prev(i), 3),
            around(Some(i), 3),
            around(ctx.prev(i), 2),
            around(Some(i), 2),
        ];
        if windows
            .iter()
            .any(|w| binomials.contains(w) || FIXED_PHRASES.contains(&w.as_str()))
        {
            continue;
        }
        let idiomatic = |f: &str| {
            // Present: not much rarer than the original's. Absent while the
            // original's pair is present: a misfit. Both absent: the pair is
            // too rare for the table to judge either way, which counts as no
            // objection, except next to a common function word, whose pairs
            // with any ordinary word are frequent enough to be listed.
            // At least one side must vouch for the word positively: with no
            // evidence on either side a noun could be standing in for a verb
            // ("an assembly line costs thousands").
            let side = |pair: (u64, u64), neighbour: &str| -> Option<bool> {
                if pair.0 > 0 {
                    (pair.0 as f64 >= BIGRAM_RATIO * pair.1 as f64).then_some(true)
                } else {
                    (pair.1 == 0 && !COMMON_WORDS.contains(&neighbour)).then_some(false)
                }
            };
            let l = left
                .as_deref()
                .map(|l| side((bigrams.count(l, f), bigrams.count(l, &w)), l));
            let r = right
                .as_deref()
                .map(|r| side((bigrams.count(f, r), bigrams.count(&w, r)), r));
            let ok = |x: Option<Option<bool>>| x.is_none_or(|v| v.is_some());
            ok(l) && ok(r) && (l == Some(Some(true)) || r == Some(Some(true)))
        };
        let forms: Vec<String> = set
            .forms
            .iter()
            .filter(|f| **f == w || idiomatic(f))
            .map(|f| text::match_case(orig, f))
            .collect();
        if forms.len() < 2 {
            continue;
        }
        let Some(original) = forms.iter().position(|f| f == orig) else {
            continue;
        };
        found.push(cand(
            Class::WordSynonym,
            ctx.tokens[i].range(),
            forms,
            original,
        ));
    }
    out.extend(once_per_sentence(ctx, found));
}

/// Adverbs that may stand before or after a modal or perfect auxiliary
/// with no change of meaning ("we will also need" / "we also will need").
const MOVABLE_ADVERBS: &[&str] = &[
    "also",
    "already",
    "often",
    "probably",
    "certainly",
    "recently",
    "usually",
    "generally",
    "finally",
    "now",
];
const PERFECT: &[&str] = &["has", "have", "had"];
const IRREGULAR_PARTICIPLES: &[&str] = &[
    "been",
    "done",
    "made",
    "seen",
    "had",
    "gone",
    "taken",
    "given",
    "shown",
    "known",
    "become",
    "come",
    "begun",
    "brought",
    "built",
    "bought",
    "found",
    "held",
    "kept",
    "left",
    "lost",
    "met",
    "paid",
    "said",
    "sent",
    "spent",
    "stood",
    "taught",
    "told",
    "thought",
    "won",
    "put",
    "set",
    "cut",
    "let",
    "run",
    "led",
    "fought",
    "heard",
    "meant",
    "sought",
    "struck",
    "written",
    "chosen",
    "grown",
    "risen",
    "fallen",
    "driven",
    "spoken",
    "broken",
    "forgotten",
    "understood",
    "felt",
    "got",
    "gotten",
    "drawn",
    "seen",
    "withdrawn",
    "undertaken",
    "overcome",
    "sold",
    "won",
    "dealt",
    "laid",
];

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

/// Nouns that take a "that" clause as their content ("the fact that we
/// know"), where "that" is not a relative pronoun and must stay.
const CONTENT_NOUNS: &[&str] = &[
    "fact",
    "idea",
    "belief",
    "hope",
    "notion",
    "view",
    "claim",
    "news",
    "evidence",
    "sign",
    "signs",
    "proof",
    "assurance",
    "conviction",
    "feeling",
    "thought",
    "knowledge",
    "realization",
    "realisation",
    "understanding",
    "promise",
    "warning",
    "message",
    "suggestion",
    "assumption",
    "doubt",
    "fear",
    "fears",
    "hopes",
    "chance",
    "possibility",
    "certainty",
    "argument",
    "point",
    "principle",
    "premise",
    "conclusion",
    "recognition",
    "confidence",
    "assertion",
    "report",
    "reports",
    "rumour",
    "rumor",
    "word",
    "demand",
    "requirement",
    "insistence",
    "proposal",
    "decision",
    "statement",
    "so",
    "such",
    "now",
    "given",
    "except",
    "in",
    "provided",
    "providing",
    "way",
];

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

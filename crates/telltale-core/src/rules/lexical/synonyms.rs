//! Synonyms: curated phrases from `data/synonyms.tsv` and single words from
//! `data/word-synonyms.tsv`, the latter checked against bigram counts in
//! their place. Also the machinery form tables share: `table_candidates`
//! (used by the compounds rule in `punct.rs` too) and `once_per_sentence`.

use crate::rules::data::{self, FormTable, DETERMINERS};
use crate::rules::{cand, Candidate, Ctx, Profile};
use crate::template::Class;
use crate::text::{self, Kind};
use crate::word_lists::synonyms::{COMMON_WORDS, FIXED_PHRASES};

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

/// How much rarer than the original's a substitute's bigram may be and still
/// count as idiomatic in that place.
const BIGRAM_RATIO: f64 = 0.05;

/// Whether the word at token `i` is part of a hyphenated or slashed
/// compound, or of a possessive: such a word keeps its form.
pub(crate) fn in_compound(ctx: &Ctx, i: usize) -> bool {
    let joined = |j: usize| {
        matches!(ctx.tokens[j].kind, Kind::Word | Kind::Number)
            || matches!(ctx.text(j), "-" | "‑" | "/" | "'" | "’" | "_" | "@" | "&")
    };
    (i > 0 && joined(i - 1)) || (i + 1 < ctx.tokens.len() && joined(i + 1))
}

/// The words just before and after token `i`, folded, each only where a
/// single plain space separates it from the token.
pub(crate) fn spaced_neighbours(ctx: &Ctx, i: usize) -> (Option<String>, Option<String>) {
    let neighbour = |j: Option<usize>, left: bool| -> Option<String> {
        let j = j?;
        let adjacent = if left {
            ctx.single_space_between(j, i)
        } else {
            ctx.single_space_between(i, j)
        };
        (adjacent && ctx.tokens[j].kind == Kind::Word).then(|| ctx.folded(j))
    };
    (neighbour(ctx.prev(i), true), neighbour(ctx.next(i), false))
}

/// Whether `form` may stand for `original` between `left` and `right`
/// (folded neighbouring words, `None` where there is none to check
/// against).
///
/// Present: the form's bigram is not much rarer than the original's.
/// Absent while the original's pair is present: a misfit. Both absent: the
/// pair is too rare for the table to judge either way, which counts as no
/// objection, except next to a common function word, whose pairs with any
/// ordinary word are frequent enough to be listed. At least one side must
/// vouch for the word positively: with no evidence on either side a noun
/// could be standing in for a verb ("an assembly line costs thousands").
pub(crate) fn fits_neighbours(
    bigrams: &crate::ngram::Bigrams,
    left: Option<&str>,
    right: Option<&str>,
    original: &str,
    form: &str,
) -> bool {
    let side = |pair: (u64, u64), neighbour: &str| -> Option<bool> {
        if pair.0 > 0 {
            (pair.0 as f64 >= BIGRAM_RATIO * pair.1 as f64).then_some(true)
        } else {
            (pair.1 == 0 && !COMMON_WORDS.contains(&neighbour)).then_some(false)
        }
    };
    let l = left.map(|l| side((bigrams.count(l, form), bigrams.count(l, original)), l));
    let r = right.map(|r| side((bigrams.count(form, r), bigrams.count(original, r)), r));
    let ok = |x: Option<Option<bool>>| x.is_none_or(|v| v.is_some());
    ok(l) && ok(r) && (l == Some(Some(true)) || r == Some(Some(true)))
}

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
        if set
            .variety
            .is_some_and(|v| v != ctx.variety || !ctx.variety_certain)
        {
            continue;
        }
        // Names and headings ("General Motors", "ALL CAPS") keep their words.
        if (text::is_capitalised(orig) && !ctx.starts_sentence(i))
            || (orig.len() > 1 && orig.chars().all(|c| c.is_uppercase()))
        {
            continue;
        }
        // Part of a hyphenated or slashed compound, or a possessive: leave it.
        if in_compound(ctx, i) {
            continue;
        }
        let (left, right) = spaced_neighbours(ctx, i);
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
        let idiomatic =
            |f: &str| fits_neighbours(&bigrams, left.as_deref(), right.as_deref(), &w, f);
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

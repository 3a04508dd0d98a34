//! Lexical rules: word choices that survive retyping and most house styles.

use super::data::{self, FormTable, DETERMINERS, PRONOUNS};
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
            // "don't you", "isn't this": the negative is inverted before its
            // subject, and the full form would be ungrammatical there.
            if short.ends_with("n't") && (PRONOUNS.contains(&nw.as_str()) || matches!(nw.as_str(), "this" | "that" | "there" | "these" | "those")) {
                continue;
            }
            // Never before a word that ends the clause ("where we're and",
            // "you're too.").
            if matches!(nw.as_str(), "and" | "or" | "but" | "nor" | "so" | "because" | "if" | "when" | "while" | "than" | "as" | "too" | "either") {
                continue;
            }
            // "'s" may be "has" ("he's given"): expand only where "is" is
            // certain, before a determiner, "not" or a degree word.
            if short.ends_with("'s") && original == 1 && !(DETERMINERS.contains(&nw.as_str()) || matches!(nw.as_str(), "not" | "very" | "so" | "still" | "also" | "now" | "clear" | "true" | "time" | "likely" | "important" | "possible" | "hard" | "easy" | "right" | "wrong")) {
                continue;
            }
            if short.ends_with("'s") && matches!(nw.as_str(), "been" | "got" | "had") {
                continue;
            }
            let orig = &ctx.src[range.clone()];
            let apostrophe = if orig.contains('\u{2019}') { "\u{2019}" } else { "'" };
            let forms = [full.to_string(), short.replace('\'', apostrophe)];
            let forms: Vec<String> = forms.iter().map(|f| text::match_case(orig, f)).collect();
            if forms[original] != orig {
                continue;
            }
            // One choice per sentence: "it does not …, it doesn't …" in
            // parallel clauses reads as a slip.
            let mut c = cand(Class::Contraction, range, forms, original);
            c.group = Some(format!("contraction:{}", ctx.sentence_of(c.range.start).map_or(c.range.start, |r| r.start)));
            out.push(c);
            break;
        }
    }
}

const REPORTING_VERBS: &[&str] = &[
    "said", "say", "says", "believe", "believes", "believed", "think", "thinks", "thought", "know", "knows", "knew", "argue",
    "argues", "argued", "note", "notes", "noted", "suggest", "suggests", "suggested", "warn", "warns", "warned", "confirm",
    "confirms", "confirmed", "claim", "claims", "claimed", "insist", "insists", "insisted", "agree", "agrees", "agreed",
    "acknowledge", "acknowledges", "acknowledged", "admit", "admits", "admitted", "announce", "announces", "announced",
    "assume", "assumes", "assumed", "conclude", "concludes", "concluded", "expect", "expects", "expected", "feel", "feels",
    "felt", "hope", "hopes", "hoped", "fear", "fears", "feared", "indicate", "indicates", "indicated", "report", "reports",
    "reported", "state", "states", "stated", "realise", "realises", "realised", "realize", "realizes", "realized", "understand",
    "understands", "understood", "doubt", "doubts", "doubted", "predict", "predicts", "predicted", "recognise", "recognised",
    "recognize", "recognized", "accept", "accepts", "accepted", "told", "tell", "tells", "assured", "reminded", "emphasised",
    "emphasized", "stressed", "maintained", "maintains", "maintain", "add", "added", "adds", "reckon", "reckons", "estimated",
    "estimates", "judged", "judge", "judges", "concede", "conceded", "concedes",
];

/// Words that can start a finite clause right after "that" and cannot follow
/// a demonstrative "that" ("said that the talks", never "said that day").
fn starts_clause(ctx: &Ctx, i: usize) -> bool {
    let w = ctx.folded(i);
    if matches!(w.as_str(), "i" | "you" | "he" | "she" | "it" | "we" | "they" | "there") {
        return true;
    }
    if DETERMINERS.contains(&w.as_str()) && !matches!(w.as_str(), "that" | "this" | "these" | "those" | "a" | "an" | "all" | "no" | "any") {
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
        let (Some(v), Some(n)) = (ctx.prev(i), ctx.next(i)) else { continue };
        if !ctx.single_space_between(v, i) || !ctx.single_space_between(i, n) {
            continue;
        }
        let verb = ctx.folded(v);
        // "told him that": the object pronoun sits between the verb and "that".
        let reporting = REPORTING_VERBS.contains(&verb.as_str())
            || (PRONOUNS.contains(&verb.as_str())
                && ctx.prev(v).is_some_and(|u| matches!(ctx.folded(u).as_str(), "told" | "tell" | "tells" | "assured" | "reminded" | "warned")));
        if !reporting || !starts_clause(ctx, n) {
            continue;
        }
        // Keep "that" where the clause is long: count words up to the next
        // clause-level punctuation.
        let mut words = 0;
        let mut j = n;
        while j < ctx.tokens.len() && !matches!(ctx.text(j), "." | ";" | ":" | "!" | "?" | "—" | "–") {
            if ctx.tokens[j].is_word() {
                words += 1;
            }
            j += 1;
        }
        if words > 25 || words < 3 {
            continue;
        }
        // "say that X, that Y": the parallel needs every "that".
        let rest = &ctx.src[ctx.tokens[n].start..ctx.sentence_of(ctx.tokens[i].start).map_or(ctx.src.len(), |r| r.end)];
        if rest.contains(", that ") || rest.contains(" and that ") || rest.contains(" or that ") {
            continue;
        }
        let range = ctx.tokens[i].start..ctx.tokens[n].start;
        let mut c = cand(Class::Complementiser, range.clone(), vec![ctx.src[range].to_string(), String::new()], 0);
        if ctx.profile == Profile::Strict {
            c.group = Some("complementiser".into());
        }
        out.push(c);
    }
}

/// Curated synonyms from `data/synonyms.tsv`, with the case of the original.
pub(crate) fn synonyms(ctx: &Ctx, out: &mut Vec<Candidate>) {
    table_candidates(ctx, &FormTable::synonyms(), Class::Synonym, None, out);
}

/// Candidates from a form table. `group_prefix` makes every entry a
/// document-wide convention of its own.
pub(crate) fn table_candidates(ctx: &Ctx, table: &FormTable, class: Class, group_prefix: Option<&str>, out: &mut Vec<Candidate>) {
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
                let f = if apostrophe { f.replace('\'', "\u{2019}") } else { f.clone() };
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
    if ctx.variety != Variety::British {
        return;
    }
    const PAIRS: &[(&str, &str)] = &[("while", "whilst"), ("among", "amongst"), ("amid", "amidst")];
    for i in 0..ctx.tokens.len() {
        if ctx.tokens[i].kind != Kind::Word {
            continue;
        }
        let w = ctx.folded(i);
        let Some((k, &(a, b))) = PAIRS.iter().enumerate().find(|(_, (a, b))| *a == w || *b == w).map(|(k, p)| (k, p)) else {
            continue;
        };
        // "a while", "worth while", "for a while": the noun has no "whilst".
        if k == 0 {
            if let Some(p) = ctx.prev(i) {
                if matches!(ctx.folded(p).as_str(), "a" | "the" | "this" | "that" | "worth" | "short" | "long" | "little" | "great" | "good") {
                    continue;
                }
            }
        }
        if ctx.next(i).is_none_or(|n| !ctx.tokens[n].is_word() && !matches!(ctx.text(n), "\"" | "“" | "'" | "‘")) {
            continue;
        }
        let orig = ctx.text(i);
        let forms = vec![text::match_case(orig, a), text::match_case(orig, b)];
        let original = usize::from(w == b);
        out.push(cand(Class::BritishPair, ctx.tokens[i].range(), forms, original));
    }
}

/// learned/learnt and other British irregular pasts, as verbs only.
pub(crate) fn irregular_pasts(ctx: &Ctx, out: &mut Vec<Candidate>) {
    if ctx.variety != Variety::British {
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
        "i", "you", "he", "she", "it", "we", "they", "has", "have", "had", "having", "been", "who", "which", "that", "never", "also",
        "already", "recently", "quickly", "soon", "since", "just",
    ];
    const OBJECTS: &[&str] = &[
        "that", "to", "the", "a", "an", "from", "about", "of", "how", "what", "when", "it", "this", "its", "their", "his", "her",
        "our", "much", "more", "little", "nothing", "something", "in", "by", "on", "at", "out", "down", "up",
    ];
    for i in 0..ctx.tokens.len() {
        if ctx.tokens[i].kind != Kind::Word {
            continue;
        }
        let w = ctx.folded(i);
        let Some(&(a, b)) = PAIRS.iter().find(|(a, b)| *a == w || *b == w) else { continue };
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

const SMALL_NUMBERS: &[&str] = &["two", "three", "four", "five", "six", "seven", "eight", "nine"];

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
        let Some(k) = txt.parse::<usize>().ok().filter(|v| (2..=9).contains(v)) else { continue };
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
        if !nw.ends_with('s') || nw.ends_with("ss") || !pos.noun || pos.verb && !pos.noun {
            continue;
        }
        if matches!(nw.as_str(), "percent" | "times" | "hours" | "minutes" | "seconds" | "years" | "months" | "weeks" | "days" | "miles" | "dollars" | "points" | "pounds" | "euros") {
            continue; // units and time spans keep digits in most styles
        }
        if ctx.prev(i).is_some_and(|p| matches!(ctx.text(p), "-" | "‑" | "$" | "£" | "€" | "#") || matches!(ctx.folded(p).as_str(), "page" | "no" | "number" | "chapter" | "article" | "section" | "grade" | "phase" | "level")) {
            continue;
        }
        let word = SMALL_NUMBERS[k - 2];
        let mut c = cand(Class::NumberStyle, t.range(), vec![word.to_string(), txt.to_string()], 1);
        c.group = Some("number-words".into());
        out.push(c);
    }
}

/// Words that may never be reordered in "X and Y".
const NOT_COORDINABLE: &[&str] = &[
    "i", "you", "he", "she", "it", "we", "they", "me", "him", "her", "us", "them", "the", "a", "an", "this", "that", "these",
    "those", "not", "so", "then", "also", "more", "less", "most", "first", "second", "third", "last", "next", "before", "after",
    "now", "later", "earlier", "again", "there", "here", "up", "down", "in", "out", "on", "off", "over", "under", "to", "from",
    "and", "or", "but", "nor", "yet", "is", "are", "was", "were", "be", "been", "has", "have", "had", "do", "does", "did", "will",
    "would", "can", "could", "should", "may", "might", "must", "other", "others", "one", "ones", "all", "both", "either",
    "neither", "each", "every", "such", "own", "many", "much", "few", "some", "any", "no", "very", "well", "just", "only",
    "beginning", "end", "start", "finish", "cause", "effect", "question", "answer", "problem", "solution", "rise", "fall",
    "rose", "fell", "past", "present", "future", "sooner", "later", "old", "new", "young", "small", "large", "big", "little",
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
        let (Some(a), Some(b)) = (ctx.prev(i), ctx.next(i)) else { continue };
        if !ctx.single_space_between(a, i) || !ctx.single_space_between(i, b) {
            continue;
        }
        if ctx.tokens[a].kind != Kind::Word || ctx.tokens[b].kind != Kind::Word {
            continue;
        }
        let (wa, wb) = (ctx.folded(a), ctx.folded(b));
        let conj = ctx.folded(i);
        if wa == wb || NOT_COORDINABLE.contains(&wa.as_str()) || NOT_COORDINABLE.contains(&wb.as_str()) {
            continue;
        }
        if binomials.contains(&format!("{wa} {conj} {wb}")) || binomials.contains(&format!("{wb} {conj} {wa}")) {
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
            "is" | "are" | "was" | "were" | "be" | "been" | "being" | "seems" | "seemed" | "remains" | "remained" | "appears"
                | "appeared" | "looks" | "looked" | "became" | "become" | "very" | "more" | "increasingly" | "deeply" | "both"
        );
        let verbal = |w: &str| w.ends_with("ed") || w.ends_with("ing") || w.ends_with("ly") || w.contains('\'');
        if (!predicative && (verbal(&wa) || verbal(&wb))) || wa.ends_with("ly") || wb.ends_with("ly") || wa.len() < 4 || wb.len() < 4 {
            continue;
        }
        if matches!(ctx.text(p), "," | "-" | "/" | "‑") || matches!(pw.as_str(), "between" | "from" | "either" | "neither" | "whether" | "and" | "or") {
            continue;
        }
        if let Some(n) = ctx.next(b) {
            let nw = ctx.folded(n);
            if matches!(nw.as_str(), "of" | "'s" | "-" | "respectively" | "than") || matches!(ctx.text(n), "-" | "‑" | "/") {
                continue;
            }
            // "x and y, and z" is a list; leave it.
            if ctx.text(n) == "," && ctx.next(n).is_some_and(|m| matches!(ctx.folded(m).as_str(), "and" | "or")) {
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
        let adj_like = |x: Pos, w: &str| x.adjective && (!x.verb || predicative && w.ends_with("ed"));
        let both_adjectives = adj_like(pa, &wa) && adj_like(pb, &wb);
        let both_nouns = pa.noun && pb.noun && !pa.verb && !pb.verb && !pa.adjective && !pb.adjective;
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
                let linking = matches!(ctx.folded(n).as_str(), "to" | "than" | "that" | "as" | "but" | "in" | "on" | "about" | "for" | "with" | "of");
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

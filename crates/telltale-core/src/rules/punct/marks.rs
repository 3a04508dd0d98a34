//! Marks and spellings other than commas: compounds (closed, hyphenated
//! or open), abbreviation dots, generic titles' capitals, "per cent" and
//! "%", the style of parenthetical dashes, and a semicolon that may be a
//! full stop. Most are one convention for the whole document; none needs
//! more of the sentence than the words beside the mark.

use crate::rules::data::{FormTable, PRONOUNS};
use crate::rules::lexical::table_candidates;
use crate::rules::{cand, Candidate, Ctx, Variety};
use crate::template::Class;
use crate::text::{self, Kind};
use crate::word_lists::marks::FUNCTION_WORDS;

/// policymaker / policy-maker / policy maker, from `data/compounds.tsv`.
/// A hyphenated compound used as a modifier before a noun keeps a hyphen or
/// closes up; it never opens ("decision-making process").
pub(crate) fn compounds(ctx: &Ctx, out: &mut Vec<Candidate>) {
    let mut cs = Vec::new();
    table_candidates(ctx, &FormTable::compounds(), Class::Compound, None, &mut cs);
    for mut c in cs {
        let orig = &c.forms[c.original];
        if orig.contains('-') {
            let last = ctx.token_ending_at(c.range.end);
            let before_noun = last.and_then(|l| ctx.next(l)).is_some_and(|n| {
                ctx.tokens[n].kind == Kind::Word
                    && !text::is_capitalised(ctx.text(n))
                    && !FUNCTION_WORDS.contains(&ctx.folded(n).as_str())
            });
            if before_noun {
                let keep: Vec<bool> = c.forms.iter().map(|f| !f.contains(' ')).collect();
                let original = c.forms[c.original].clone();
                c.forms = c
                    .forms
                    .iter()
                    .zip(&keep)
                    .filter(|(_, k)| **k)
                    .map(|(f, _)| f.clone())
                    .collect();
                c.original = c.forms.iter().position(|f| *f == original).unwrap_or(0);
                if c.forms.len() < 2 {
                    continue;
                }
            }
        }
        // Not part of a longer hyphenated word ("grade-school children").
        if ctx.src[..c.range.start].ends_with(['-', '‑'])
            || ctx.src[c.range.end..].starts_with(['-', '‑'])
        {
            continue;
        }
        // One spelling of a compound for the whole document.
        c.group = Some(format!(
            "compound:{}",
            c.forms
                .iter()
                .map(|f| f.to_lowercase())
                .collect::<Vec<_>>()
                .join("|")
        ));
        out.push(c);
    }
}

/// Mr / Mr., Dr / Dr. (one convention for all titles) and US / U.S.,
/// UK / U.K., UN / U.N. (one for country and body initials).
pub(crate) fn abbreviation_dots(ctx: &Ctx, out: &mut Vec<Candidate>) {
    use crate::word_lists::marks::{COURTESY_TITLES, INITIALS, OK_AFTER};
    for i in 0..ctx.tokens.len() {
        if ctx.tokens[i].kind != Kind::Word {
            continue;
        }
        let w = ctx.text(i);
        if COURTESY_TITLES.contains(&w) {
            // American style requires the dot after Mr, Mrs, Dr.
            if ctx.variety == Variety::American {
                continue;
            }
            // Must be followed by a name.
            let next = ctx.tokens.get(i + 1).map(|t| t.text(ctx.src));
            let (range, dotted) = if next == Some(".") {
                (ctx.tokens[i].start..ctx.tokens[i + 1].end, true)
            } else {
                (ctx.tokens[i].range(), false)
            };
            let name_follows = ctx
                .tokens
                .iter()
                .skip(i + 1)
                .find(|t| t.is_word())
                .is_some_and(|t| text::is_capitalised(t.text(ctx.src)))
                && ctx.src[range.end..].starts_with(' ');
            if !name_follows {
                continue;
            }
            let mut c = cand(
                Class::AbbreviationDots,
                range,
                vec![w.to_string(), format!("{w}.")],
                usize::from(dotted),
            );
            c.group = Some("abbr:titles".into());
            out.push(c);
            continue;
        }
        // Dotted initials are tokenised "U" "." "S" "."; plain ones as one word.
        let (range, original, plain) = if let Some(&(p, _)) = INITIALS.iter().find(|(p, _)| *p == w)
        {
            (ctx.tokens[i].range(), 0, p)
        } else if w.len() == 1 && i + 3 < ctx.tokens.len() {
            let s = &ctx.src[ctx.tokens[i].start..ctx.tokens[i + 3].end];
            match INITIALS.iter().find(|(_, d)| *d == s) {
                Some(&(p, _))
                    if ctx.tokens[i + 1].kind == Kind::Punct
                        && ctx.tokens[i + 2].kind == Kind::Word =>
                {
                    (ctx.tokens[i].start..ctx.tokens[i + 3].end, 1, p)
                }
                _ => continue,
            }
        } else {
            continue;
        };
        let dotted = INITIALS
            .iter()
            .find(|(p, _)| *p == plain)
            .map(|x| x.1)
            .unwrap_or_default();
        // Not inside names ("US Open"): a following capitalised word must be
        // one of the institutions above.
        let after = &ctx.src[range.end..];
        if after.starts_with(char::is_alphanumeric) {
            continue; // "U.S.A." or a longer run of initials
        }
        if after.starts_with(['.', '-', '\'', '’']) && original == 0 {
            continue; // sentence-final or joined; the dots would collide
        }
        let next_word = after
            .trim_start()
            .split(|c: char| !c.is_alphanumeric())
            .next()
            .unwrap_or("");
        if after.starts_with(' ')
            && text::is_capitalised(next_word)
            && !OK_AFTER.contains(&next_word)
        {
            continue;
        }
        if original == 1 && (after.is_empty() || after.starts_with(['\n', '"', '”', ')'])) {
            continue; // the last dot may be a full stop too
        }
        let mut c = cand(
            Class::AbbreviationDots,
            range,
            vec![plain.to_string(), dotted.to_string()],
            original,
        );
        c.group = Some("abbr:initials".into());
        out.push(c);
    }
}

/// "the Government" / "the government" and similar generic titles, one
/// convention for the document; never inside a name ("Prime Minister Jane
/// Doe" keeps its capitals).
pub(crate) fn title_capitals(ctx: &Ctx, out: &mut Vec<Candidate>) {
    use crate::word_lists::marks::GENERIC_TITLES;
    for i in 0..ctx.tokens.len() {
        if ctx.tokens[i].kind != Kind::Word {
            continue;
        }
        let Some(p) = ctx.prev(i) else { continue };
        if ctx.folded(p) != "the" {
            continue;
        }
        let w = ctx.folded(i);
        let two = ctx
            .next(i)
            .filter(|&n| ctx.single_space_between(i, n))
            .map(|n| (n, format!("{w} {}", ctx.folded(n))));
        let (last, title) = match two {
            Some((n, t)) if GENERIC_TITLES.contains(&t.as_str()) => (n, t),
            _ if GENERIC_TITLES.contains(&w.as_str()) => (i, w.clone()),
            _ => continue,
        };
        let range = ctx.tokens[i].start..ctx.tokens[last].end;
        let orig = &ctx.src[range.clone()];
        let capital: String = title
            .split(' ')
            .map(|x| text::match_case("X", x))
            .collect::<Vec<_>>()
            .join(" ");
        let original = if orig == title {
            0
        } else if orig == capital {
            1
        } else {
            continue;
        };
        // Followed by a name or "of": part of a proper name; leave it.
        if let Some(n) = ctx.next(last) {
            if ctx.tokens[n].kind == Kind::Word
                && (text::is_capitalised(ctx.text(n)) || ctx.folded(n) == "of")
            {
                continue;
            }
        }
        let mut c = cand(
            Class::TitleCapitals,
            range,
            vec![title.clone(), capital],
            original,
        );
        c.group = Some(format!("title-capitals:{title}"));
        out.push(c);
    }
}

/// "12 per cent" / "12%" (British) or "12 percent" / "12%" (American).
pub(crate) fn per_cent(ctx: &Ctx, out: &mut Vec<Candidate>) {
    // American formal prose spells "percent" out; reviewers rejected "%"
    // there. British style accepts both "per cent" and "%".
    let spelled = match ctx.variety {
        Variety::British => " per cent",
        Variety::American => return,
    };
    for i in 0..ctx.tokens.len() {
        if ctx.tokens[i].kind != Kind::Number {
            continue;
        }
        let end = ctx.tokens[i].end;
        let rest = &ctx.src[end..];
        let (len, original) = if rest.starts_with('%') {
            (1, 1)
        } else if rest.to_lowercase().starts_with(spelled)
            && rest[spelled.len()..].starts_with(|c: char| !c.is_alphanumeric())
        {
            (spelled.len(), 0)
        } else {
            continue;
        };
        if original == 0 && rest[1..].starts_with(|c: char| c.is_uppercase()) {
            continue;
        }
        let mut c = cand(
            Class::PerCent,
            end..end + len,
            vec![spelled.to_string(), "%".to_string()],
            original,
        );
        c.group = Some("per-cent".into());
        out.push(c);
    }
}

/// Parenthetical dashes: spaced en dash " – ", closed em dash "—", spaced em
/// dash " — ". One convention for the document. Ranges ("2019–2020") and
/// hyphens are not dashes here.
pub(crate) fn dash_style(ctx: &Ctx, out: &mut Vec<Candidate>) {
    const FORMS: [&str; 3] = [" – ", "—", " — "];
    // A document that also writes dashes as "--" or " - " would end up
    // mixing styles; and American style has no spaced en dash.
    if ctx.src.contains("--") || ctx.src.contains(" - ") || ctx.variety == Variety::American {
        return;
    }
    for i in 0..ctx.tokens.len() {
        let t = ctx.text(i);
        if ctx.tokens[i].kind != Kind::Punct || !matches!(t, "–" | "—") {
            continue;
        }
        let spaced_before =
            i > 0 && ctx.tokens[i - 1].kind == Kind::Space && ctx.text(i - 1) == " ";
        let spaced_after = ctx
            .tokens
            .get(i + 1)
            .is_some_and(|x| x.kind == Kind::Space && x.text(ctx.src) == " ");
        let word_before = |k: usize| {
            ctx.tokens.get(k).is_some_and(|x| {
                x.is_word() || matches!(x.text(ctx.src), "," | ")" | "\"" | "”" | "'" | "’")
            })
        };
        let (range, form) = if spaced_before
            && spaced_after
            && i >= 2
            && word_before(i - 2)
            && ctx.tokens.get(i + 2).is_some_and(|x| x.is_word())
        {
            (
                ctx.tokens[i - 1].start..ctx.tokens[i + 1].end,
                if t == "–" { 0 } else { 2 },
            )
        } else if !spaced_before
            && !spaced_after
            && t == "—"
            && i >= 1
            && ctx.tokens[i - 1].kind == Kind::Word
            && ctx.tokens.get(i + 1).is_some_and(|x| x.kind == Kind::Word)
        {
            (ctx.tokens[i].range(), 1)
        } else {
            continue;
        };
        let mut c = cand(
            Class::DashStyle,
            range,
            FORMS.iter().map(|s| s.to_string()).collect(),
            form,
        );
        c.group = Some("dash".into());
        out.push(c);
    }
}

/// "…; the talks" / "…. The talks": a semicolon between two independent
/// clauses may be a full stop. Only where both sides are clauses of five or
/// more words with no list commas, and the second begins with a subject.
pub(crate) fn semicolon(ctx: &Ctx, out: &mut Vec<Candidate>) {
    for i in 0..ctx.tokens.len() {
        if ctx.text(i) != ";" {
            continue;
        }
        let Some(n) = ctx.next(i) else { continue };
        if !(i + 2 == n && ctx.text(i + 1) == " ") || ctx.tokens[n].kind != Kind::Word {
            continue;
        }
        let nw = ctx.folded(n);
        let subject = PRONOUNS.contains(&nw.as_str())
            || matches!(
                nw.as_str(),
                "the"
                    | "this"
                    | "these"
                    | "those"
                    | "there"
                    | "its"
                    | "their"
                    | "our"
                    | "his"
                    | "her"
                    | "neither"
                    | "none"
                    | "most"
                    | "some"
                    | "many"
                    | "few"
            );
        if !subject || text::is_capitalised(ctx.text(n)) {
            continue;
        }
        let Some(sent) = ctx.sentence_of(ctx.tokens[i].start) else {
            continue;
        };
        let left = &ctx.src[sent.start..ctx.tokens[i].start];
        let right_end = ctx.src[ctx.tokens[n].start..sent.end]
            .find(';')
            .map_or(sent.end, |p| ctx.tokens[n].start + p);
        let right = &ctx.src[ctx.tokens[n].start..right_end];
        let words = |s: &str| s.split_whitespace().count();
        if words(left) < 5
            || words(right) < 5
            || left.matches(',').count() > 1
            || right.matches(';').count() > 0
            || !right.trim_end().ends_with(['.', '!', '?'])
        {
            continue;
        }
        let cap = text::match_case("X", ctx.text(n));
        let range = ctx.tokens[i].start..ctx.tokens[n].end;
        let forms = vec![format!("; {}", ctx.text(n)), format!(". {cap}")];
        out.push(cand(Class::Semicolon, range, forms, 0));
    }
}

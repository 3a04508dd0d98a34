//! The rule tables, compiled into the binary from `data/` and parsed when a
//! rule engine run needs them. Formats are documented in `data/SOURCES.md`.

use std::collections::{HashMap, HashSet};

use super::{Ctx, Variety};
use crate::text::{self, Kind};
use crate::word_lists::data::AMBIGUOUS_SPELLINGS;
pub(crate) use crate::word_lists::data::{
    DETERMINERS, FINITE_AUXILIARIES, MODALS, NUMBER_WORDS, PRONOUNS,
};

const SYNONYMS: &str = include_str!("../../data/synonyms.tsv");
const COMPOUNDS: &str = include_str!("../../data/compounds.tsv");
const BINOMIALS: &str = include_str!("../../data/binomials.txt");
const SPELLING: &str = include_str!("../../data/spelling_us_uk.tsv");
const WORD_SYNONYMS: &str = include_str!("../../data/word-synonyms.tsv");

/// The data lines of a tab-separated table: comments, blank lines and the
/// header line skipped; each with its 0-based line number and its columns.
fn rows(src: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    src.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
        .skip(1)
        .map(|(n, line)| (n, line.split('\t').collect()))
}

/// One line of `word-synonyms.tsv`: single words, one part of speech.
#[derive(Debug, Clone)]
pub(crate) struct WordSet {
    pub forms: Vec<String>,
    pub variety: Option<Variety>,
    /// Used in the default (natural) profile; otherwise only when dense.
    pub natural: bool,
    /// Part of speech of every form ("noun", "verb", "adj", "adv", "other").
    pub pos: String,
}

/// The single-word synonym sets, indexed by every form.
pub(crate) struct WordSets {
    pub sets: Vec<WordSet>,
    by_word: HashMap<String, usize>,
}

impl WordSets {
    // Built-in tables, compiled in: not input. Their tests parse them.
    #[allow(clippy::expect_used)]
    pub fn builtin() -> WordSets {
        Self::parse(WORD_SYNONYMS).expect("word-synonyms.tsv is checked by tests")
    }

    pub fn parse(src: &str) -> Result<WordSets, String> {
        let mut sets = Vec::new();
        let mut by_word = HashMap::new();
        for (n, cols) in rows(src) {
            if cols.len() < 3 {
                return Err(format!("word-synonyms line {}: expected 4 columns", n + 1));
            }
            let forms: Vec<String> = cols[0]
                .split('|')
                .map(|f| f.trim().to_lowercase())
                .collect();
            if forms.len() < 2 || forms.iter().any(|f| f.is_empty() || f.contains(' ')) {
                return Err(format!(
                    "word-synonyms line {}: needs two or more single words",
                    n + 1
                ));
            }
            for f in &forms {
                if by_word.insert(f.clone(), sets.len()).is_some() {
                    return Err(format!(
                        "word-synonyms line {}: {f:?} is listed twice",
                        n + 1
                    ));
                }
            }
            let variety =
                variety_of(cols[2]).map_err(|e| format!("word-synonyms line {}: {e}", n + 1))?;
            let natural = match cols.get(4).map(|c| c.trim()) {
                Some("natural") => true,
                Some("dense") | None | Some("") => false,
                Some(other) => {
                    return Err(format!(
                        "word-synonyms line {}: unknown profile {other:?}",
                        n + 1
                    ))
                }
            };
            let pos = cols[1].trim().to_lowercase();
            sets.push(WordSet {
                forms,
                variety,
                natural,
                pos,
            });
        }
        Ok(WordSets { sets, by_word })
    }

    pub fn get(&self, word: &str) -> Option<&WordSet> {
        self.by_word.get(word).map(|&k| &self.sets[k])
    }
}

/// One condition on the token next to a match.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Atom {
    Any,
    Word(String),
    Det,
    Num,
    Pron,
    Start,
    Punct,
    WordClass,
    Cap,
    End,
}

/// A conjunction (`&`) of possibly negated (`!`) disjunctions (`,`) of atoms.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cond {
    atoms: Vec<(bool, Vec<Atom>)>,
}

pub(crate) fn is_number_token(ctx: &Ctx, i: usize) -> bool {
    ctx.tokens[i].kind == Kind::Number
        || (ctx.tokens[i].kind == Kind::Word
            && NUMBER_WORDS[..NUMBER_WORDS.len() - 1].contains(&ctx.folded(i).as_str()))
        || (ctx.text(i).starts_with(['£', '$', '€']))
        || (matches!(ctx.text(i), "£" | "$" | "€")
            && ctx
                .next(i)
                .is_some_and(|j| ctx.tokens[j].kind == Kind::Number))
}

impl Cond {
    fn parse(s: &str) -> Result<Cond, String> {
        let mut atoms = Vec::new();
        for part in s.split('&') {
            let part = part.trim();
            let (neg, body) = match part.strip_prefix('!') {
                Some(b) => (true, b),
                None => (false, part),
            };
            let mut any_of = Vec::new();
            for item in body.split(',').map(str::trim).filter(|x| !x.is_empty()) {
                any_of.push(match item {
                    "*" => Atom::Any,
                    "@DET" => Atom::Det,
                    "@NUM" => Atom::Num,
                    "@PRON" => Atom::Pron,
                    "@START" => Atom::Start,
                    "@PUNCT" => Atom::Punct,
                    "@WORD" => Atom::WordClass,
                    "@CAP" => Atom::Cap,
                    "@END" => Atom::End,
                    w if w.starts_with('@') => return Err(format!("unknown class {w}")),
                    w => Atom::Word(w.to_lowercase()),
                });
            }
            if any_of.is_empty() {
                return Err(format!("empty constraint in {s:?}"));
            }
            atoms.push((neg, any_of));
        }
        Ok(Cond { atoms })
    }

    /// Check the condition for the token at `at` (None: start or end of
    /// text). `match_start` is the first token of the match, for `@START`.
    fn holds(&self, ctx: &Ctx, at: Option<usize>, match_start: usize) -> bool {
        self.atoms
            .iter()
            .all(|(neg, any_of)| any_of.iter().any(|a| Self::atom(ctx, a, at, match_start)) != *neg)
    }

    fn atom(ctx: &Ctx, a: &Atom, at: Option<usize>, match_start: usize) -> bool {
        match a {
            Atom::Any => true,
            Atom::Start => ctx.starts_sentence(match_start),
            Atom::End => match at {
                None => true,
                Some(i) => matches!(ctx.text(i), "." | "!" | "?" | ";" | ":" | "…"),
            },
            _ => {
                let Some(i) = at else { return false };
                let w = ctx.folded(i);
                let is_word = ctx.tokens[i].is_word();
                match a {
                    Atom::Word(x) => *x == w,
                    Atom::Det => DETERMINERS.contains(&w.as_str()),
                    Atom::Num => is_number_token(ctx, i),
                    Atom::Pron => PRONOUNS.contains(&w.as_str()),
                    Atom::Punct => ctx.tokens[i].kind == Kind::Punct,
                    Atom::WordClass => is_word,
                    Atom::Cap => is_word && text::is_capitalised(ctx.text(i)),
                    _ => false,
                }
            }
        }
    }
}

/// One line of `synonyms.tsv`.
#[derive(Debug, Clone)]
pub(crate) struct SynonymEntry {
    pub forms: Vec<String>,
    left: Cond,
    right: Cond,
    variety: Option<Variety>,
}

/// An occurrence of a table form in the text.
pub(crate) struct Hit {
    pub entry: usize,
    pub form: usize,
    /// Token indices of the first and last token of the match.
    pub first: usize,
    pub last: usize,
}

/// Forms of a table, indexed by their first word for matching.
pub(crate) struct FormTable {
    pub entries: Vec<SynonymEntry>,
    by_first: HashMap<String, Vec<(usize, usize)>>,
}

fn first_word(form: &str) -> String {
    form.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '\'')
        .collect()
}

fn variety_of(s: &str) -> Result<Option<Variety>, String> {
    match s.trim() {
        "" | "any" => Ok(None),
        "uk" => Ok(Some(Variety::British)),
        "us" => Ok(Some(Variety::American)),
        v => Err(format!("unknown variety {v}")),
    }
}

impl FormTable {
    fn index(entries: Vec<SynonymEntry>) -> FormTable {
        let mut by_first: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
        for (e, entry) in entries.iter().enumerate() {
            for (f, form) in entry.forms.iter().enumerate() {
                by_first.entry(first_word(form)).or_default().push((e, f));
            }
        }
        FormTable { entries, by_first }
    }

    // Built-in tables, compiled in: not input. Their tests parse them.
    #[allow(clippy::expect_used)]
    pub fn synonyms() -> FormTable {
        Self::parse_synonyms(SYNONYMS).expect("synonyms.tsv is checked by tests")
    }

    // Built-in tables, compiled in: not input. Their tests parse them.
    #[allow(clippy::expect_used)]
    pub fn compounds() -> FormTable {
        Self::parse_compounds(COMPOUNDS).expect("compounds.tsv is checked by tests")
    }

    pub fn parse_synonyms(src: &str) -> Result<FormTable, String> {
        let mut entries = Vec::new();
        for (n, cols) in rows(src) {
            if cols.len() < 4 {
                return Err(format!("synonyms line {}: expected 5 columns", n + 1));
            }
            let forms: Vec<String> = cols[0]
                .split('|')
                .map(|f| f.trim().to_lowercase())
                .collect();
            if forms.len() < 2 || forms.iter().any(String::is_empty) {
                return Err(format!("synonyms line {}: needs two or more forms", n + 1));
            }
            let err = |e: String| format!("synonyms line {}: {e}", n + 1);
            entries.push(SynonymEntry {
                forms,
                left: Cond::parse(cols[1]).map_err(err)?,
                right: Cond::parse(cols[2]).map_err(err)?,
                variety: variety_of(cols[3]).map_err(err)?,
            });
        }
        Ok(FormTable::index(entries))
    }

    pub fn parse_compounds(src: &str) -> Result<FormTable, String> {
        let mut entries = Vec::new();
        for (n, cols) in rows(src) {
            let forms: Vec<String> = cols[0]
                .split('|')
                .map(|f| f.trim().to_lowercase())
                .collect();
            if forms.len() < 2 {
                return Err(format!("compounds line {}: needs two or more forms", n + 1));
            }
            let any = Cond {
                atoms: vec![(false, vec![Atom::Any])],
            };
            entries.push(SynonymEntry {
                forms,
                left: any.clone(),
                right: any,
                variety: variety_of(cols.get(1).copied().unwrap_or("any"))
                    .map_err(|e| format!("compounds line {}: {e}", n + 1))?,
            });
        }
        Ok(FormTable::index(entries))
    }

    /// Every place a form of the table occurs, with its context conditions
    /// and variety satisfied.
    pub fn find(&self, ctx: &Ctx) -> Vec<Hit> {
        let mut out = Vec::new();
        let lower = ctx.src.to_lowercase();
        let same_len = lower.len() == ctx.src.len();
        for (i, t) in ctx.tokens.iter().enumerate() {
            if t.kind != Kind::Word {
                continue;
            }
            let w = text::fold(t.text(ctx.src));
            let Some(cands) = self.by_first.get(&w) else {
                continue;
            };
            for &(e, f) in cands {
                let entry = &self.entries[e];
                if entry
                    .variety
                    .is_some_and(|v| v != ctx.variety || !ctx.variety_certain)
                {
                    continue;
                }
                let form = &entry.forms[f];
                let end = t.start + form.len();
                let matched = if same_len {
                    lower
                        .get(t.start..end)
                        .is_some_and(|s| s.replace('\u{2019}', "'") == *form)
                } else {
                    ctx.src
                        .get(t.start..end)
                        .is_some_and(|s| text::fold(s) == *form)
                };
                if !matched {
                    continue;
                }
                // The match must end on a token boundary.
                let Some(last) = ctx.tokens[i..]
                    .iter()
                    .position(|x| x.end == end)
                    .map(|p| i + p)
                else {
                    continue;
                };
                if ctx.tokens[i..=last]
                    .iter()
                    .any(|x| x.kind == Kind::Space && ctx.src[x.range()] != *" ")
                {
                    continue;
                }
                if entry.left.holds(ctx, ctx.prev(i), i)
                    && entry.right.holds(ctx, ctx.next(last), i)
                {
                    out.push(Hit {
                        entry: e,
                        form: f,
                        first: i,
                        last,
                    });
                }
            }
        }
        out
    }
}

/// Fixed binomials whose order must not change.
pub(crate) fn binomials() -> HashSet<String> {
    BINOMIALS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_lowercase)
        .collect()
}

/// US/UK spelling pairs indexed both ways.
pub(crate) struct SpellingIndex {
    map: HashMap<String, Variety>,
}

impl SpellingIndex {
    pub fn new() -> SpellingIndex {
        let mut map = HashMap::new();
        for line in SPELLING.lines().filter(|l| !l.starts_with('#')).skip(1) {
            let mut it = line.split('\t');
            let (Some(us), Some(uk)) = (it.next(), it.next()) else {
                continue;
            };
            if us.replace("iz", "is").replace("yz", "ys") == uk {
                continue;
            }
            if AMBIGUOUS_SPELLINGS.contains(&us) || AMBIGUOUS_SPELLINGS.contains(&uk) {
                continue;
            }
            map.insert(us.to_string(), Variety::American);
            map.insert(uk.to_string(), Variety::British);
        }
        SpellingIndex { map }
    }

    pub fn variety(&self, word: &str) -> Option<Variety> {
        self.map.get(word).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_parse() {
        let s = FormTable::parse_synonyms(SYNONYMS).unwrap();
        assert!(
            s.entries.len() >= 200,
            "{} synonym entries",
            s.entries.len()
        );
        let c = FormTable::parse_compounds(COMPOUNDS).unwrap();
        assert!(c.entries.len() >= 50);
        assert!(binomials().contains("salt and pepper"));
        assert_eq!(
            SpellingIndex::new().variety("colour"),
            Some(Variety::British)
        );
        assert_eq!(
            SpellingIndex::new().variety("color"),
            Some(Variety::American)
        );
        assert_eq!(SpellingIndex::new().variety("organize"), None);
    }

    #[test]
    fn word_sets_parse_and_do_not_overlap_the_phrase_table() {
        let w = WordSets::parse(WORD_SYNONYMS).unwrap();
        assert!(w.sets.len() >= 50, "{} word sets", w.sets.len());
        let phrases = FormTable::parse_synonyms(SYNONYMS).unwrap();
        for e in &phrases.entries {
            for f in e.forms.iter().filter(|f| !f.contains(' ')) {
                assert!(w.get(f).is_none(), "{f:?} is in both synonym tables");
            }
        }
    }

    #[test]
    fn no_form_is_listed_twice() {
        let s = FormTable::parse_synonyms(SYNONYMS).unwrap();
        let mut seen = HashMap::new();
        for (e, entry) in s.entries.iter().enumerate() {
            for f in &entry.forms {
                if let Some(prev) =
                    seen.insert((f.clone(), format!("{:?}{:?}", entry.left, entry.right)), e)
                {
                    panic!("form {f:?} is on lines {prev} and {e} with the same context");
                }
            }
        }
    }
}

//! The report's sections. Each returns its Markdown and its numbers.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;

use anyhow::Result;
use serde_json::{json, Value};
use telltale_core::sim::{self, Merge, SimRng};
use telltale_core::{
    accuse, Accusation, AccuseParams, CodeParams, Codebook, DocumentEvidence, Layer, Locator,
    Observation, SecretKey, Template,
};

use crate::attribution::{make_leak, Attack, FILLER};
use crate::plot::{self, Series};
use crate::{Config, Doc};

/// One locator per document, for trials that know which document leaked.
pub(crate) fn single_locators(docs: &[Doc]) -> Vec<Locator> {
    docs.iter()
        .map(|d| {
            let mut l = Locator::new();
            l.add(&d.template);
            l
        })
        .collect()
}

/// Trace `text` against one document and score its recipients: the path
/// every trial and timing shares.
pub(crate) fn trace_one(
    loc: &Locator,
    t: &Template,
    cb: &Codebook,
    rs: &[String],
    text: &str,
    params: AccuseParams,
) -> Accusation {
    let traces = loc.trace(&[t], text).unwrap_or_default();
    let obs = traces
        .first()
        .map(|x| x.observations.clone())
        .unwrap_or_default();
    accuse(
        &[DocumentEvidence {
            codebook: cb,
            observations: &obs,
            recipients: rs,
        }],
        params,
    )
}

pub(crate) fn key(n: u8) -> SecretKey {
    SecretKey::from_bytes([n; 32])
}

pub(crate) fn recipients(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("r-{i:07}")).collect()
}

/// Peak resident memory of this process, from /proc (Linux), in words.
pub fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

// ---------------------------------------------------------------- capacity

pub fn capacity(_: &Config, docs: &[Doc]) -> Result<(String, Value)> {
    let words: usize = docs.iter().map(|d| d.words).sum();
    let per100 = |x: f64| x * 100.0 / words.max(1) as f64;
    let mut by_layer: BTreeMap<&str, (usize, f64)> = BTreeMap::new();
    let mut by_class: BTreeMap<&str, (usize, usize, f64)> = BTreeMap::new();
    for d in docs {
        let sites = d.template.sites_by_slot();
        for (j, s) in d.template.slots.iter().enumerate() {
            let bits = f64::from(s.q).log2();
            let e = by_layer.entry(s.layer().name()).or_default();
            e.0 += 1;
            e.1 += bits;
            let c = by_class.entry(s.class.name()).or_default();
            c.0 += 1;
            c.1 += sites[j].len();
            c.2 += bits;
        }
    }
    let mut md = String::from("## Capacity\n\nSlots and bits (log2 of the alternatives a slot offers) per 100 words of the corpus.\n\n| layer | slots / 100 words | bits / 100 words |\n|---|---|---|\n");
    let mut robust = 0.0;
    for l in Layer::ALL {
        let (n, b) = by_layer.get(l.name()).copied().unwrap_or_default();
        if l != Layer::Invisible {
            robust += b;
        }
        let _ = writeln!(
            md,
            "| {} | {:.2} | {:.2} |",
            l.name(),
            per100(n as f64),
            per100(b)
        );
    }
    let _ = writeln!(
        md,
        "| **retype-robust (lexical + punctuation)** | | **{:.2}** |",
        per100(robust)
    );
    md.push_str("\n| class | slots | sites | slots / 100 words | bits / 100 words |\n|---|---|---|---|---|\n");
    let mut classes: Vec<_> = by_class.iter().collect();
    classes.sort_by(|a, b| b.1 .2.total_cmp(&a.1 .2));
    for (c, (n, sites, b)) in &classes {
        let _ = writeln!(
            md,
            "| {c} | {n} | {sites} | {:.2} | {:.2} |",
            per100(*n as f64),
            per100(*b)
        );
    }
    // How often the corpus's own authors mix the forms of a class within
    // one document: the case for varying a class per instance rather than
    // once per document.
    let mut mixing: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for d in docs {
        let mut seen: BTreeMap<&str, (usize, std::collections::BTreeSet<String>)> = BTreeMap::new();
        let sites = d.template.sites_by_slot();
        for (j, s) in d.template.slots.iter().enumerate() {
            if s.layer() == Layer::Invisible || sites[j].is_empty() {
                continue;
            }
            // Which convention the original follows: for punctuation the mark
            // itself (its rules list forms in either order), otherwise the
            // index, which the word-order and contraction rules keep in one
            // convention order (full before short, with "that" before without).
            let site = &d.template.sites[sites[j][0]];
            let punct = site.forms.iter().all(|f| f.trim().chars().count() <= 1);
            let key = if punct {
                site.forms[s.original as usize].trim().to_string()
            } else {
                s.original.to_string()
            };
            let e = seen.entry(s.class.name()).or_default();
            e.0 += 1;
            e.1.insert(key);
        }
        for (c, (slots, forms)) in seen {
            if slots >= 2 {
                let e = mixing.entry(c).or_default();
                e.0 += 1;
                e.1 += usize::from(forms.len() >= 2);
            }
        }
    }
    md.push_str(
        "\nPer-instance classes are justified where the corpus's own authors mix the forms within one document. \
         Of the documents with two or more slots of a class, the share whose original text shows two or more of its forms:\n\n| class | documents | mixing | share |\n|---|---|---|---|\n",
    );
    for (c, (n, m)) in &mixing {
        if matches!(
            *c,
            "serial-comma"
                | "contraction"
                | "complementiser"
                | "intro-comma"
                | "clause-comma"
                | "adverb-placement"
                | "optional-to"
        ) {
            let _ = writeln!(
                md,
                "| {c} | {n} | {m} | {:.0}% |",
                100.0 * *m as f64 / (*n).max(1) as f64
            );
        }
    }
    let v = json!({
        "mixing": mixing.iter().map(|(k, (n, m))| (k.to_string(), json!({"documents": n, "mixing": m}))).collect::<serde_json::Map<_, _>>(),
        "words": words,
        "layers": by_layer.iter().map(|(k, (n, b))| (k.to_string(), json!({"slots_per_100": per100(*n as f64), "bits_per_100": per100(*b)}))).collect::<serde_json::Map<_, _>>(),
        "retype_robust_bits_per_100": per100(robust),
        "classes": classes.iter().map(|(k, (n, s, b))| json!({"class": k, "slots": n, "sites": s, "bits_per_100": per100(*b)})).collect::<Vec<_>>(),
    });
    Ok((md, v))
}

// ------------------------------------------------------------- naturalness

/// The sentence around a byte range.
fn sentence_around(text: &str, start: usize, end: usize) -> (usize, usize) {
    let toks = telltale_core::text::tokenize(text);
    let sents = telltale_core::text::sentences(text, &toks);
    sents
        .iter()
        .find(|r| r.start <= start && end <= r.end)
        .map_or(
            (start.saturating_sub(80), (end + 80).min(text.len())),
            |r| (r.start, r.end),
        )
}

pub fn naturalness(cfg: &Config, docs: &[Doc]) -> Result<(String, Value)> {
    naturalness_seeded(cfg, docs, "naturalness", None)
}

/// The naturalness sample drawn with another seed: a fresh, independent
/// sample of the same rules for a further review round.
pub fn naturalness_seeded(
    cfg: &Config,
    docs: &[Doc],
    seed: &str,
    only: Option<telltale_core::Class>,
) -> Result<(String, Value)> {
    let mut pool: Vec<(usize, usize)> = Vec::new();
    for (di, d) in docs.iter().enumerate() {
        for (si, s) in d.template.sites.iter().enumerate() {
            let slot = &d.template.slots[s.slot as usize];
            if slot.layer() != Layer::Invisible && only.is_none_or(|c| c == slot.class) {
                pool.push((di, si));
            }
        }
    }
    let mut rng = SimRng::new(seed);
    let n = pool.len().min(300);
    let mut items = Vec::new();
    let mut chosen = std::collections::HashSet::new();
    while items.len() < n && chosen.len() < pool.len() {
        let k = rng.below(pool.len());
        if !chosen.insert(k) {
            continue;
        }
        let (di, si) = pool[k];
        let t = &docs[di].template;
        let s = &t.sites[si];
        let slot = &t.slots[s.slot as usize];
        let mut alt = rng.below(s.forms.len() - 1);
        if alt >= slot.original as usize {
            alt += 1;
        }
        let (a, b) = sentence_around(&t.text, s.start, s.end);
        let (a, b) = (t.text.floor_char_boundary(a), t.text.ceil_char_boundary(b));
        let before = t.text[a..b].replace('\n', " ");
        // A copy shows the slot's choice at every one of its sites, so the
        // sentence shows it at each site it contains.
        let mut after = String::new();
        let mut at = a;
        for other in t
            .sites
            .iter()
            .filter(|o| o.slot == s.slot && o.start >= a && o.end <= b)
        {
            after.push_str(&t.text[at..other.start]);
            after.push_str(&other.forms[alt]);
            at = other.end;
        }
        after.push_str(&t.text[at..b]);
        let after = after.replace('\n', " ");
        items.push(json!({"id": items.len() + 1, "doc": docs[di].name, "class": slot.class.name(), "original": before, "variant": after}));
    }
    let mut file = String::from("# Naturalness sample\n\nRandomly drawn visible variants: the original sentence and the sentence with another alternative of one slot. Class names are for analysis only; a blind review shows reviewers the two sentences in random order without them.\n\n");
    for it in &items {
        let _ = write!(
            file,
            "{}. [{}] {}\n   - original: {}\n   - variant:  {}\n\n",
            it["id"],
            it["class"].as_str().unwrap_or(""),
            it["doc"].as_str().unwrap_or(""),
            it["original"].as_str().unwrap_or(""),
            it["variant"].as_str().unwrap_or("")
        );
    }
    std::fs::write(cfg.out.join("naturalness-sample.md"), file)?;
    std::fs::write(
        cfg.out.join("naturalness-sample.json"),
        serde_json::to_string_pretty(&items)?,
    )?;
    let mut per_class: BTreeMap<String, usize> = BTreeMap::new();
    for it in &items {
        *per_class
            .entry(it["class"].as_str().unwrap_or("").to_string())
            .or_default() += 1;
    }
    let mut md = format!("## Naturalness sample\n\n{} variants drawn at random from the corpus templates are in `naturalness-sample.md` (and `.json`) for review. Per class:\n\n| class | items |\n|---|---|\n", items.len());
    for (c, k) in &per_class {
        let _ = writeln!(md, "| {c} | {k} |");
    }
    Ok((md, json!({"items": items.len(), "per_class": per_class})))
}

// --------------------------------------------------------------- collusion

/// Slot alphabet sizes of a document of about `words` words, built by
/// joining corpus templates; visible layers only if `visible`.
fn slots_for_length(docs: &[Doc], words: usize, visible: bool) -> Vec<u8> {
    let mut qs = Vec::new();
    let mut w = 0;
    for d in docs.iter().cycle().take(docs.len() * 50) {
        if w >= words {
            break;
        }
        // Take a proportional share of the document's slots.
        let take = (words - w).min(d.words);
        let frac = take as f64 / d.words.max(1) as f64;
        let slots: Vec<u8> = d
            .template
            .slots
            .iter()
            .filter(|s| !visible || s.layer() != Layer::Invisible)
            .map(|s| s.q)
            .collect();
        qs.extend(
            slots
                .iter()
                .take((slots.len() as f64 * frac).round() as usize),
        );
        w += take;
    }
    qs
}

pub fn collusion(cfg: &Config, docs: &[Doc]) -> Result<(String, Value)> {
    let n = 1000;
    let eps: f64 = 1e-3;
    let rs = recipients(n);
    let lengths: Vec<usize> = if cfg.quick {
        vec![500, 2000]
    } else {
        vec![250, 500, 1000, 2000, 4000]
    };
    let cs: Vec<usize> = if cfg.quick {
        vec![2, 3, 5]
    } else {
        (2..=8).collect()
    };
    let strategies = [
        Merge::Majority,
        Merge::Minority,
        Merge::Random,
        Merge::Interleave,
        Merge::Drop,
    ];
    let trials = if cfg.quick { 4 } else { 10 };
    let k = key(2);
    let mut md = String::from("## Collusion\n\nc colluders merge their copies slot by slot (where they agree they cannot change the symbol); N = 1,000 recipients, threshold 1e-3. Simulated at the level of codewords with the slot alphabets of corpus documents of the given length, assuming every slot is read (a forwarded merged file: all layers) or only the visible layers (a retyped merged text). Cells: share of trials accusing at least one colluder / innocents accused in all trials.\n\n");
    let mut results = Vec::new();
    let mut series: BTreeMap<usize, Vec<(f64, f64)>> = BTreeMap::new();
    let (mut all_trials, mut all_innocents) = (0usize, 0usize);
    for visible in [false, true] {
        let _ = writeln!(
            md,
            "### {}\n",
            if visible {
                "Visible layers only (retyped)"
            } else {
                "All layers (forwarded file)"
            }
        );
        md.push_str("| words | slots | c | majority | minority | random | interleave | drop |\n|---|---|---|---|---|---|---|---|\n");
        for &len in &lengths {
            let qs = slots_for_length(docs, len, visible);
            for &c in &cs {
                let mut row = format!("| {len} | {} | {c} |", qs.len());
                for how in strategies {
                    let mut rng = SimRng::new(&format!("coll-{visible}-{len}-{c}-{how:?}"));
                    let (mut caught, mut innocent) = (0usize, 0usize);
                    for t in 0..trials {
                        let cb = Codebook::for_slots(
                            &k,
                            &format!("coll-{visible}-{len}-{c}-{how:?}-{t}"),
                            &qs,
                            CodeParams::default(),
                        )?;
                        let mut gang: Vec<&String> = Vec::new();
                        while gang.len() < c {
                            let g = &rs[rng.below(n)];
                            if !gang.contains(&g) {
                                gang.push(g);
                            }
                        }
                        let cws: Vec<Vec<u8>> = gang.iter().map(|g| cb.codeword(g)).collect();
                        let merged = sim::merge(&cws, how, &mut rng);
                        let obs: Vec<Observation> = merged
                            .iter()
                            .enumerate()
                            .filter_map(|(j, s)| {
                                s.map(|s| Observation {
                                    slot: j as u32,
                                    symbol: s,
                                    site: j as u32,
                                    leak_span: 0..0,
                                })
                            })
                            .collect();
                        let acc = accuse(
                            &[DocumentEvidence {
                                codebook: &cb,
                                observations: &obs,
                                recipients: &rs,
                            }],
                            AccuseParams::default(),
                        );
                        caught += usize::from(acc.accused.iter().any(|a| gang.contains(&a)));
                        innocent += acc.accused.iter().filter(|a| !gang.contains(a)).count();
                    }
                    let share = caught as f64 / trials as f64;
                    all_trials += trials;
                    all_innocents += innocent;
                    let _ = write!(row, " {:.0}% / {innocent} |", share * 100.0);
                    results.push(json!({"visible_only": visible, "words": len, "slots": qs.len(), "c": c, "strategy": format!("{how:?}"), "caught": share, "innocents": innocent}));
                    if !visible && how == Merge::Random {
                        series
                            .entry(c)
                            .or_default()
                            .push((len as f64, share * 100.0));
                    }
                }
                md.push_str(&row);
                md.push('\n');
            }
        }
        md.push('\n');
    }
    let _ = writeln!(
        md,
        "Innocent recipients accused over all {all_trials} collusion trials: **{all_innocents}**. The threshold bounds the chance that a trial accuses any innocent at 1e-3, so up to {:.1} are expected; because the p-values are nearly exact for few slots, the observed rate sits close to that bound rather than far below it.\n",
        all_trials as f64 * 1e-3
    );
    md.push_str("Tardos code lengths (binary slots) for the same n = 1,000 and ε = 1e-3, for comparison with the slot counts above:\n\n| c | Tardos 100c²ln(n/ε) | symmetric π²/2·c²·ln(n/ε) | capacity ≈ 2c²ln(n/ε) |\n|---|---|---|---|\n");
    let l = (n as f64 / eps).ln();
    for &c in &cs {
        let c2 = (c * c) as f64;
        let _ = writeln!(
            md,
            "| {c} | {:.0} | {:.0} | {:.0} |",
            100.0 * c2 * l,
            std::f64::consts::PI.powi(2) / 2.0 * c2 * l,
            2.0 * c2 * l
        );
    }
    let curves: Vec<Series> = series
        .into_iter()
        .map(|(c, p)| Series {
            name: format!("c = {c}"),
            points: p,
        })
        .collect();
    plot::lines(
        &cfg.out.join("collusion.png"),
        "At least one colluder accused (random merge, all layers)",
        "document words",
        "% of trials",
        &curves,
        true,
        false,
    )?;
    md.push_str("\n![collusion](collusion.png)\n");
    Ok((
        md,
        json!({"results": results, "trials": all_trials, "innocents_accused": all_innocents}),
    ))
}

// ------------------------------------------------------------- calibration

pub fn calibration(cfg: &Config, docs: &[Doc]) -> Result<(String, Value)> {
    let n = 1000;
    let leaks = if cfg.quick { 100 } else { 1000 };
    let rs = recipients(n);
    let (k1, k2) = (key(3), key(4));
    let locators = single_locators(docs);
    let cbs: Vec<Codebook> = docs
        .iter()
        .map(|d| Codebook::new(&k1, &d.name, &d.template, CodeParams::default()))
        .collect::<Result<_, _>>()?;
    let others: Vec<Codebook> = docs
        .iter()
        .map(|d| Codebook::new(&k2, &d.name, &d.template, CodeParams::default()))
        .collect::<Result<_, _>>()?;
    let alphas = [0.5, 0.1, 0.05, 1e-2, 1e-3, 1e-4];
    let mut p_below = [0usize; 6];
    let mut fa_below = [0usize; 6];
    let mut rng = SimRng::new("calibration");
    let params = AccuseParams {
        max_suspects: usize::MAX,
        ..AccuseParams::default()
    };
    let mut observed_total = 0usize;
    for t in 0..leaks {
        let di = rng.below(docs.len());
        let d = &docs[di];
        let copy = d
            .template
            .render(&others[di].codeword(&format!("outsider-{t}")))?;
        let words = 20 + rng.below(d.words.saturating_sub(20).max(1));
        let attack = if t % 2 == 0 {
            Attack::Verbatim
        } else {
            Attack::HouseStyle
        };
        let leak = make_leak(&copy, d.words, words, attack, &mut rng);
        let acc = trace_one(&locators[di], &d.template, &cbs[di], &rs, &leak, params);
        observed_total += acc.observed;
        for (i, a) in alphas.iter().enumerate() {
            p_below[i] += acc.suspects.iter().filter(|s| s.p_value <= *a).count();
            fa_below[i] += usize::from(acc.suspects.iter().any(|s| s.false_accusation <= *a));
        }
    }
    let total = leaks * n;
    let mut md = format!("## Calibration\n\n{leaks} leaks rendered under an unrelated key (so every one of the {n} recipients is innocent), half pasted, half retyped, 20 words to whole documents: {total} innocent recipient-traces, {:.0} slots observed per leak on average.\n\n| α | P(p-value ≤ α), empirical | share of leaks accusing anyone at threshold α |\n|---|---|---|\n", observed_total as f64 / leaks as f64);
    let mut pts_p = Vec::new();
    let mut pts_fa = Vec::new();
    for (i, a) in alphas.iter().enumerate() {
        let pe = p_below[i] as f64 / total as f64;
        let fe = fa_below[i] as f64 / leaks as f64;
        let _ = writeln!(md, "| {a:e} | {pe:.2e} | {fe:.2e} |");
        pts_p.push((*a, pe.max(1e-9)));
        pts_fa.push((*a, fe.max(1e-9)));
    }
    md.push_str("\nBoth columns must stay at or below α: p-values are upper bounds, so the empirical rates are conservative (and zero where the evidence from unrelated text is weak).\n");
    let ideal = Series {
        name: "nominal (y = α)".into(),
        points: alphas.iter().map(|a| (*a, *a)).collect(),
    };
    plot::lines(
        &cfg.out.join("calibration.png"),
        "Calibration on innocent recipients",
        "nominal α",
        "empirical rate",
        &[
            ideal,
            Series {
                name: "P(p ≤ α)".into(),
                points: pts_p,
            },
            Series {
                name: "leaks accusing anyone".into(),
                points: pts_fa,
            },
        ],
        true,
        true,
    )?;
    md.push_str("\n![calibration](calibration.png)\n");
    Ok((
        md,
        json!({"recipient_traces": total, "leaks": leaks, "p_below": alphas.iter().zip(p_below).map(|(a, c)| json!({"alpha": a, "rate": c as f64 / total as f64})).collect::<Vec<_>>(), "any_accused": alphas.iter().zip(fa_below).map(|(a, c)| json!({"alpha": a, "rate": c as f64 / leaks as f64})).collect::<Vec<_>>()}),
    ))
}

// ------------------------------------------------------------------- speed

fn time<F: FnMut()>(runs: usize, mut f: F) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..runs {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    best
}

/// A document of about `words` words, joined from the corpus.
fn long_template(docs: &[Doc], words: usize) -> Result<Template> {
    let mut text = String::new();
    let mut w = 0;
    for d in docs.iter().cycle().take(docs.len() * 20) {
        if w >= words {
            break;
        }
        text.push_str(&d.template.text);
        text.push_str("\n\n");
        w += d.words;
    }
    let mut gate = telltale_core::gate::NoGate;
    Ok(telltale_core::RuleSet::default().build(&text, &mut gate)?)
}

pub fn speed(cfg: &Config, docs: &[Doc], build_words_per_sec: f64) -> Result<(String, Value)> {
    let mut md = String::from("## Speed and scaling\n\nWall-clock on this machine (2 cores), single-threaded, best of several runs.\n\n");
    let _ = writeln!(
        md,
        "- Template build (rules, grammar checker{}): **{build_words_per_sec:.0} words/s** over the \
         whole corpus.",
        if cfg.language_model {
            " and language model"
        } else {
            ""
        }
    );
    let big = long_template(docs, 2000)?;
    let k = key(5);
    let cb = Codebook::new(&k, "speed", &big, CodeParams::default())?;
    let copies = if cfg.quick { 100 } else { 1000 };
    let cws: Vec<Vec<u8>> = (0..copies)
        .map(|i| cb.codeword(&format!("r-{i}")))
        .collect();
    let bytes = big.text.len() * copies;
    let render = time(3, || {
        for cw in &cws {
            std::hint::black_box(big.render(cw).unwrap_or_default());
        }
    });
    let plain = time(3, || {
        for _ in 0..copies {
            let mut s = String::with_capacity(big.text.len());
            s.push_str(&big.text);
            std::hint::black_box(s);
        }
    });
    let derive = time(3, || {
        for i in 0..copies {
            std::hint::black_box(cb.codeword(&format!("r-{i}")));
        }
    });
    let _ = writeln!(
        md,
        "- Copy render ({} words, {} slots): **{:.0} MB/s** ({:.1}× the time of copying the same bytes unmodified, {:.0} MB/s); codeword derivation {:.0} copies/s.",
        big.word_count(),
        big.slots.len(),
        bytes as f64 / render / 1e6,
        render / plain,
        bytes as f64 / plain / 1e6,
        copies as f64 / derive
    );
    // Trace latency against article length (N = 1,000).
    let rs1k = recipients(1000);
    let mut loc = Locator::new();
    loc.add(&big);
    let who = &rs1k[7];
    let copy = big.render(&cb.codeword(who))?;
    let mut by_len = Vec::new();
    md.push_str("\nTrace latency (locate + align + read + accuse), N = 1,000 recipients, one document, half of the article quoted (retyped):\n\n| article words | ms |\n|---|---|\n");
    for words in [250usize, 500, 1000, 2000] {
        let q = sim::house_style(&copy[sim::word_window(&copy, 100, words / 2)]);
        let article = format!(
            "{}\"{q}\" {}",
            FILLER.repeat(words / 44 + 1),
            FILLER.repeat(words / 44 + 1)
        );
        let ms = time(3, || {
            std::hint::black_box(trace_one(
                &loc,
                &big,
                &cb,
                &rs1k,
                &article,
                AccuseParams::default(),
            ));
        }) * 1000.0;
        let _ = writeln!(md, "| {words} | {ms:.1} |");
        by_len.push(json!({"words": words, "ms": ms}));
    }
    // Against the number of recipients (1,000-word article, pasted quote).
    let ns: Vec<usize> = if cfg.quick {
        vec![100, 1000, 10_000]
    } else {
        vec![100, 1000, 10_000, 100_000, 1_000_000]
    };
    let q = copy[sim::word_window(&copy, 100, 300)].to_string();
    let article = format!("{}\"{q}\" {}", FILLER.repeat(8), FILLER.repeat(8));
    md.push_str("\nTrace latency against the number of recipients (1,000-word article, 300 words pasted):\n\n| recipients | ms |\n|---|---|\n");
    let mut by_n = Vec::new();
    let mut pts = Vec::new();
    for &n in &ns {
        let rs = recipients(n);
        let ms = time(if n >= 100_000 { 1 } else { 3 }, || {
            std::hint::black_box(trace_one(
                &loc,
                &big,
                &cb,
                &rs,
                &article,
                AccuseParams::default(),
            ));
        }) * 1000.0;
        let _ = writeln!(md, "| {n} | {ms:.0} |");
        by_n.push(json!({"recipients": n, "ms": ms}));
        pts.push((n as f64, ms));
    }
    plot::lines(
        &cfg.out.join("trace-latency.png"),
        "Trace latency against recipients",
        "recipients",
        "ms",
        &[Series {
            name: "1,000-word article".into(),
            points: pts,
        }],
        true,
        true,
    )?;
    md.push_str("\n![trace latency](trace-latency.png)\n");
    // Against the number of documents in the index.
    md.push_str("\nLocating one quoted document among many (in-memory index, 1,000-word article):\n\n| documents | ms |\n|---|---|\n");
    let mut by_docs = Vec::new();
    let mut all: Vec<&Template> = docs.iter().map(|d| &d.template).collect();
    all.push(&big);
    for count in [1usize, 10, 100, all.len()] {
        if count > all.len() {
            continue;
        }
        let chosen: Vec<&Template> = all[all.len() - count..].to_vec();
        let mut l = Locator::new();
        for t in &chosen {
            l.add(t);
        }
        let ms = time(3, || {
            std::hint::black_box(l.trace(&chosen, &article).unwrap_or_default());
        }) * 1000.0;
        let _ = writeln!(md, "| {count} | {ms:.1} |");
        by_docs.push(json!({"documents": count, "ms": ms}));
    }
    let _ = writeln!(md, "\nPeak memory of the whole run: {}.", peak_memory());
    Ok((
        md,
        json!({"build_words_per_sec": build_words_per_sec, "render_mb_s": bytes as f64 / render / 1e6, "render_vs_plain": render / plain, "trace_by_length": by_len, "trace_by_recipients": by_n, "locate_by_documents": by_docs}),
    ))
}

//! `telltale demo`: the product's story end to end on the built-in memo.

use std::time::Instant;

use anyhow::{bail, Context, Result};
use telltale_core::gate::HarperGate;
use telltale_core::rules::detect_variety;
use telltale_core::{
    accuse, sample, sim, AccuseParams, CodeParams, Codebook, DocumentEvidence, Layer, Locator,
    RuleSet, SecretKey,
};

const FIRST: &[&str] = &[
    "Alex", "Sam", "Jo", "Chris", "Pat", "Robin", "Kim", "Lee", "Morgan", "Casey", "Jamie",
    "Taylor", "Ashley", "Drew", "Jordan", "Avery", "Quinn", "Reese", "Rowan", "Sasha",
];
const LAST: &[&str] = &[
    "Holm", "Varga", "Berg", "Lind", "Novak", "Dahl", "Stern", "Ferro", "Kass", "Moor", "Rask",
    "Thorne", "Vale", "Wren", "Ibsen", "Kerr", "Lund", "Marsh", "Nyberg", "Orr",
];

pub fn run(n: usize, quote_words: usize, json: bool) -> Result<()> {
    if n < 2 {
        bail!("the demo needs at least 2 recipients");
    }
    let t0 = Instant::now();
    let memo = sample::MEMO;
    let variety = detect_variety(memo);
    let rules = RuleSet::default();
    let mut gate = HarperGate::new(variety);
    let template = rules
        .build(memo, &mut gate)
        .context("building the sample template")?;
    let cap = template.capacity();
    // A fixed, published demo key so the story is the same on every run.
    // Real registries generate theirs from the operating system's CSPRNG.
    let key = SecretKey::from_bytes(*blake3::hash(b"telltale demo key - not secret").as_bytes());
    let doc_id = "demo-memo";
    let codebook = Codebook::new(&key, doc_id, &template, CodeParams::default())?;
    let recipients: Vec<String> = (1..=n).map(|i| format!("r-{i:04}")).collect();
    let name = |id: &str| {
        let i: usize = id[2..].parse().unwrap_or(0);
        format!(
            "{} {}",
            FIRST[i % FIRST.len()],
            LAST[(i / FIRST.len()) % LAST.len()]
        )
    };
    let copies: Vec<String> = recipients
        .iter()
        .map(|r| template.render(&codebook.codeword(r)))
        .collect::<Result<_, _>>()?;
    let t_build = t0.elapsed();

    // The leaker quotes the passage of their copy that the story needs.
    let leaker = &recipients[(n * 2) / 3];
    let li = recipients.iter().position(|r| r == leaker).unwrap_or(0);
    let copy = &copies[li];
    let start_word = find_quote_start(copy);
    let passage = &copy[sim::word_window(copy, start_word, quote_words)];
    let article = |quote: &str| {
        format!(
            "EXCLUSIVE: Varland envoy's secret verdict on Kestria\n\nThe Republic of Varland's ambassador privately described the \
             Kestrian coalition in withering terms, according to a confidential memo seen by the Evening Courier. \"{quote}\" the \
             ambassador wrote. The embassy declined to comment on what it called \"a private internal assessment\", and officials in \
             Varholm said an inquiry had been opened.\n"
        )
    };
    // Pasted into the newspaper's system: quotes and dashes in house style,
    // invisible marks carried along. Retyped: only words and punctuation.
    let pasted = article(&sim::pasted_house_style(passage));
    let retyped = article(&sim::house_style(passage));

    let mut locator = Locator::new();
    locator.add(&template);
    let run = |text: &str| -> Result<(Vec<telltale_core::Trace>, telltale_core::Accusation, f64)> {
        let t = Instant::now();
        let traces = locator.trace(&[&template], text)?;
        let obs = traces
            .first()
            .map(|t| t.observations.clone())
            .unwrap_or_default();
        let evidence = [DocumentEvidence {
            codebook: &codebook,
            observations: &obs,
            recipients: &recipients,
        }];
        let acc = accuse(&evidence, AccuseParams::default());
        Ok((traces, acc, t.elapsed().as_secs_f64()))
    };
    let (traces, acc, secs) = run(&pasted)?;
    let (traces_retyped, acc_retyped, _) = run(&retyped)?;

    if json {
        let out = serde_json::json!({
            "leaker": leaker,
            "pasted": {"article": pasted, "traces": traces, "accusation": acc},
            "retyped": {"article": retyped, "traces": traces_retyped, "accusation": acc_retyped},
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!("telltale demo: one confidential memo, {n} recipients, one leak.\n");
    println!("1. The memo ({} words, {:?} English) is registered. Places where it can say the same thing another way:", cap.words, variety);
    for l in Layer::ALL {
        let (s, b) = cap.per_100_words(l);
        let i = Layer::ALL.iter().position(|x| *x == l).unwrap_or(0);
        println!(
            "   {:<12} {:>4} slots, {:>6.1} bits   ({s:.1} slots, {b:.1} bits per 100 words)",
            l.name(),
            cap.slots[i],
            cap.bits[i]
        );
    }
    println!("\n2. {n} copies are rendered, each with its own secret combination, and sent ({:.2}s so far).", t_build.as_secs_f64());
    println!(
        "   Copy of {leaker} and copy of {} differ at {} of {} slots; a reader sees the same memo.",
        recipients[0],
        codebook
            .codeword(leaker)
            .iter()
            .zip(codebook.codeword(&recipients[0]))
            .filter(|(a, b)| *a != b)
            .count(),
        template.slots.len()
    );
    println!("\n3. Weeks later a newspaper prints an {quote_words}-word quote, pasted from the leaked file into its system,");
    println!("   which put it into house style (straight quotes, hyphens for dashes):\n");
    for line in wrap(&retyped, 92) {
        println!("   | {line}");
    }
    println!(
        "\n4. telltale traces the article ({:.0} ms):",
        secs * 1000.0
    );
    report(&template, &traces, &acc, leaker, &name, n);
    println!("\n5. Had the journalist retyped the quote instead, only word choice and punctuation would survive:");
    report(&template, &traces_retyped, &acc_retyped, leaker, &name, n);
    Ok(())
}

fn report(
    template: &telltale_core::Template,
    traces: &[telltale_core::Trace],
    acc: &telltale_core::Accusation,
    leaker: &str,
    name: &dyn Fn(&str) -> String,
    n: usize,
) {
    match traces.first() {
        None => println!("   it quotes no registered document."),
        Some(t) => {
            let visible = t
                .observations
                .iter()
                .filter(|o| template.slots[o.slot as usize].layer() != Layer::Invisible)
                .count();
            println!(
                "   it quotes the memo: {} passage(s), {} words aligned; {} slots read ({} visible, {} invisible), {} unreadable.",
                t.passages.len(),
                t.aligned_words(),
                t.observations.len(),
                visible,
                t.observations.len() - visible,
                t.erased
            );
            println!("   Visible evidence (slot, rule, what the leak shows):");
            for o in t
                .observations
                .iter()
                .filter(|o| template.slots[o.slot as usize].layer() != Layer::Invisible)
            {
                let site = &template.sites[o.site as usize];
                let class = template.slots[o.slot as usize].class;
                println!(
                    "     #{:<4} {:<18} {:?}",
                    o.slot,
                    class.name(),
                    site.forms[o.symbol as usize]
                );
            }
        }
    }
    println!("   Suspects (p = chance an innocent recipient matches this well; bound = chance any of the {n} would):");
    for s in acc.suspects.iter().take(3) {
        println!(
            "     {:<7} {:<14} matches {:>3}/{:<3}  p = {:.1e}  bound = {:.1e}  {}",
            s.recipient,
            name(&s.recipient),
            s.matches,
            s.observed,
            s.p_value,
            s.false_accusation,
            if acc.accused.contains(&s.recipient) {
                "ACCUSED"
            } else {
                ""
            }
        );
    }
    if acc.accused.is_empty() {
        println!("   Nobody is accused: the evidence does not reach the {:.0e} threshold. telltale never guesses.", acc.threshold);
        if let Some(s) = &acc.shortlist {
            println!(
                "   A lead, not an accusation: the source is among {} of the {n} recipients ({:.0}% under a single-leaker model); about {:.0} of them would be innocent. The leaker, {leaker}, is {}in it.",
                s.recipients.len(),
                (100.0 * s.confidence).floor(),
                s.expected_innocents.round(),
                if s.recipients.iter().any(|r| r == leaker) { "" } else { "NOT " }
            );
        }
    } else {
        let s = &acc.suspects[0];
        println!(
            "   Accused: {} ({}). The chance that any innocent recipient would match this well is at most 1 in {}.",
            acc.accused.join(", "),
            name(&acc.accused[0]),
            plain_odds(s.false_accusation)
        );
        println!(
            "   The copy was in fact leaked by {leaker}: {}.",
            if acc.accused.iter().any(|a| a == leaker) {
                "correct"
            } else {
                "WRONG"
            }
        );
    }
}

/// Start of the quote: the first sentence of the paragraph that begins "In private".
fn find_quote_start(copy: &str) -> usize {
    // Invisible marks do not change word counts, so search a stripped copy.
    let plain = sim::strip_invisible(copy);
    let at = plain.find("In private").unwrap_or(plain.len() / 3);
    telltale_core::text::tokenize(&plain[..at])
        .iter()
        .filter(|t| t.is_word())
        .count()
}

fn plain_odds(p: f64) -> String {
    let inv = 1.0 / p.max(1e-300);
    if inv >= 1e12 {
        format!("10^{:.0}", inv.log10().floor())
    } else if inv >= 1e9 {
        format!("{:.0} billion", inv / 1e9)
    } else if inv >= 1e6 {
        format!("{:.0} million", inv / 1e6)
    } else {
        format!("{inv:.0}")
    }
}

fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    for para in s.lines() {
        let mut line = String::new();
        for w in para.split_whitespace() {
            if !line.is_empty() && line.len() + w.len() + 1 > width {
                out.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(w);
        }
        out.push(line);
    }
    out
}

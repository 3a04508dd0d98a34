//! Attribution power, calibration and collusion on the built-in sample.

mod common;

use telltale_core::sim::{self, Merge, SimRng};
use telltale_core::{
    accuse, sample, AccuseParams, CodeParams, Codebook, DocumentEvidence, Locator, Template,
};

fn setup() -> (Template, Locator) {
    let t = common::build(sample::MEMO);
    let mut loc = Locator::new();
    loc.add(&t);
    (t, loc)
}

fn trace_and_accuse(
    t: &Template,
    loc: &Locator,
    cb: &Codebook,
    rs: &[String],
    leak: &str,
) -> telltale_core::Accusation {
    let traces = loc.trace(&[t], leak).unwrap();
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
        AccuseParams::default(),
    )
}

#[test]
fn verbatim_150_word_excerpts_among_1000_recipients() {
    let (t, loc) = setup();
    let rs = common::recipients(1000);
    let cb = Codebook::new(&common::key(9), "memo", &t, CodeParams::default()).unwrap();
    let words = t.word_count();
    let mut rng = SimRng::new("excerpts");
    let trials = 60;
    let mut right = 0;
    for trial in 0..trials {
        let who = &rs[rng.below(rs.len())];
        let copy = t.render(&cb.codeword(who)).unwrap();
        let start = rng.below(words - 150);
        let leak = &copy[sim::word_window(&copy, start, 150)];
        let acc = trace_and_accuse(&t, &loc, &cb, &rs, leak);
        assert!(
            acc.accused.iter().all(|a| a == who),
            "trial {trial}: innocent accused: {:?} (leaker {who})",
            acc.accused
        );
        right += usize::from(acc.accused == [who.clone()]);
    }
    assert!(
        right * 100 >= trials * 95,
        "only {right}/{trials} excerpts accused their recipient"
    );
}

#[test]
fn innocent_recipients_are_accused_at_most_at_the_nominal_rate() {
    // Leaks rendered under an unrelated key: every recipient of the traced
    // codebook is innocent. 200 leaks × 500 recipients = 100,000 innocent
    // recipient-traces.
    let (t, loc) = setup();
    let rs = common::recipients(500);
    let cb = Codebook::new(&common::key(1), "memo", &t, CodeParams::default()).unwrap();
    let other = Codebook::new(&common::key(2), "memo", &t, CodeParams::default()).unwrap();
    let words = t.word_count();
    let mut rng = SimRng::new("calibration");
    let alphas = [1e-3, 1e-2, 0.05, 0.1, 0.25, 0.5];
    let mut below = [0usize; 6];
    let (mut n, mut false_accusations, mut leaks_with_accusation) = (0usize, 0usize, 0usize);
    let params = AccuseParams {
        max_suspects: usize::MAX,
        ..AccuseParams::default()
    };
    for trial in 0..200 {
        let copy = t
            .render(&other.codeword(&format!("outsider-{trial}")))
            .unwrap();
        let len = 20 + rng.below(300);
        let start = rng.below(words.saturating_sub(len).max(1));
        let mut leak = copy[sim::word_window(&copy, start, len)].to_string();
        if trial % 2 == 1 {
            leak = sim::house_style(&leak);
        }
        let traces = loc.trace(&[&t], &leak).unwrap();
        let obs = traces
            .first()
            .map(|x| x.observations.clone())
            .unwrap_or_default();
        let acc = accuse(
            &[DocumentEvidence {
                codebook: &cb,
                observations: &obs,
                recipients: &rs,
            }],
            params,
        );
        false_accusations += acc.accused.len();
        leaks_with_accusation += usize::from(!acc.accused.is_empty());
        // Recipients not listed among suspects have p-value 1.
        for s in &acc.suspects {
            for (k, a) in alphas.iter().enumerate() {
                below[k] += usize::from(s.p_value <= *a);
            }
        }
        n += rs.len();
    }
    assert_eq!(n, 100_000);
    assert!(
        false_accusations as f64 / n as f64 <= 1e-3,
        "{false_accusations} false accusations in {n}"
    );
    // Each leak may accuse an innocent with probability at most 1e-3, so
    // 200 leaks expect at most 0.2 such leaks; three or more would happen
    // by chance with probability below 0.0012 if the bound holds.
    assert!(
        leaks_with_accusation <= 2,
        "{leaks_with_accusation} of 200 leaks accused an innocent"
    );
    for (k, a) in alphas.iter().enumerate() {
        let frac = below[k] as f64 / n as f64;
        // Super-uniform: P(p ≤ α) ≤ α, with sampling slack.
        let slack = 4.0 * (a * (1.0 - a) / n as f64).sqrt();
        assert!(frac <= a + slack, "P(p ≤ {a}) = {frac}");
    }
}

#[test]
fn colluders_merging_copies_are_caught_and_no_innocent_is() {
    let (t, loc) = setup();
    let rs = common::recipients(1000);
    let cb = Codebook::new(&common::key(5), "memo", &t, CodeParams::default()).unwrap();
    let mut rng = SimRng::new("collusion");
    for c in [2usize, 3] {
        for how in [Merge::Majority, Merge::Random] {
            for trial in 0..5 {
                let gang: Vec<String> = (0..c).map(|_| rs[rng.below(rs.len())].clone()).collect();
                let cws: Vec<Vec<u8>> = gang.iter().map(|g| cb.codeword(g)).collect();
                let merged: Vec<u8> = sim::merge(&cws, how, &mut rng)
                    .into_iter()
                    .map(|x| x.unwrap_or(0))
                    .collect();
                let leak = t.render(&merged).unwrap();
                let acc = trace_and_accuse(&t, &loc, &cb, &rs, &leak);
                assert!(
                    !acc.accused.is_empty(),
                    "c={c} {how:?} trial {trial}: nobody accused"
                );
                assert!(
                    acc.accused.iter().all(|a| gang.contains(a)),
                    "c={c} {how:?} trial {trial}: innocent accused {:?} (gang {gang:?})",
                    acc.accused
                );
            }
        }
    }
}

#[test]
fn text_that_quotes_nothing_accuses_nobody() {
    let (t, loc) = setup();
    let rs = common::recipients(100);
    let cb = Codebook::new(&common::key(3), "memo", &t, CodeParams::default()).unwrap();
    let unrelated = "The weather in the northern provinces was mild for the time of year, and farmers reported a good harvest \
                     of barley and oats. Local markets were busy on Saturday morning.";
    let traces = loc.trace(&[&t], unrelated).unwrap();
    assert!(traces.is_empty(), "{traces:?}");
    let acc = trace_and_accuse(&t, &loc, &cb, &rs, unrelated);
    assert!(acc.accused.is_empty() && acc.suspects.is_empty());
}

#[test]
fn evidence_from_several_documents_combines() {
    // Two memos cut from the sample, each with its own codebook. One
    // recipient of both leaks a short retyped quote from each: neither quote
    // alone is enough, together they are; recipients of only one document
    // are scored on that document alone.
    let paras: Vec<&str> = sample::MEMO.split("\n\n").collect();
    let half = paras.len() / 2;
    let docs = [paras[..half].join("\n\n"), paras[half..].join("\n\n")];
    let ts: Vec<Template> = docs.iter().map(|d| common::build(d)).collect();
    let mut loc = Locator::new();
    for t in &ts {
        loc.add(t);
    }
    let key = common::key(11);
    let cbs: Vec<Codebook> = ts
        .iter()
        .enumerate()
        .map(|(i, t)| Codebook::new(&key, &format!("memo-{i}"), t, CodeParams::default()).unwrap())
        .collect();
    let all = common::recipients(300);
    // Everyone received the first memo; only the last 200 the second.
    let both: Vec<String> = all[100..].to_vec();
    let leaker = &both[17];
    let mut rng = SimRng::new("combine");
    let params = AccuseParams::default();
    let mut combined_wins = 0;
    for trial in 0..20 {
        // Pasted excerpts keep invisible marks; short ones so that one is rarely enough.
        let mut leak = String::from("Two documents surfaced this week. ");
        for (t, cb) in ts.iter().zip(&cbs) {
            let copy = t.render(&cb.codeword(leaker)).unwrap();
            let words = t.word_count();
            let start = rng.below(words - 20);
            leak.push_str(&format!(
                "One says \"{}\" and ",
                sim::pasted_house_style(&copy[sim::word_window(&copy, start, 9)])
            ));
        }
        leak.push_str("that is all.");
        let traces = loc.trace(&[&ts[0], &ts[1]], &leak).unwrap();
        let obs: Vec<Vec<telltale_core::Observation>> = (0..2)
            .map(|d| {
                traces
                    .iter()
                    .find(|t| t.doc == d)
                    .map(|t| t.observations.clone())
                    .unwrap_or_default()
            })
            .collect();
        let recips = [all.clone(), both.clone()];
        let ev = |d: usize| DocumentEvidence {
            codebook: &cbs[d],
            observations: &obs[d],
            recipients: &recips[d],
        };
        let together = accuse(&[ev(0), ev(1)], params);
        let separate: Vec<_> = (0..2).map(|d| accuse(&[ev(d)], params)).collect();
        for acc in separate.iter().chain([&together]) {
            assert!(
                acc.accused.iter().all(|a| a == leaker),
                "trial {trial}: innocent accused {:?}",
                acc.accused
            );
        }
        assert_eq!(together.population, 300);
        if together.accused == [leaker.clone()] && separate.iter().all(|a| a.accused.is_empty()) {
            combined_wins += 1;
        }
        // Combined evidence is never weaker than either part for the leaker.
        let p = |a: &telltale_core::Accusation| {
            a.suspects
                .iter()
                .find(|s| &s.recipient == leaker)
                .map_or(1.0, |s| s.p_value)
        };
        // Checked in every trial, those where the leaker is accused
        // included.
        let (joint, best_part) = (p(&together), separate.iter().map(p).fold(1.0, f64::min));
        assert!(
            joint <= best_part * 1.0001 + 1e-300,
            "trial {trial}: combined p {joint:e} weaker than the best part {best_part:e}"
        );
    }
    assert!(
        combined_wins >= 3,
        "combining documents never made the difference ({combined_wins}/20)"
    );
}

#[test]
fn noisy_and_edited_quotes_are_still_located_and_read() {
    // OCR-like noise and light edits on a retyped-in-house-style excerpt
    // embedded in other prose: the passage is found, most readable slots
    // are read right, and no innocent is ever accused.
    let (t, loc) = setup();
    let rs = common::recipients(1000);
    let cb = Codebook::new(&common::key(21), "memo", &t, CodeParams::default()).unwrap();
    let mut rng = SimRng::new("noise");
    let words = t.word_count();
    let (mut read, mut right) = (0usize, 0usize);
    for trial in 0..30 {
        let who = &rs[rng.below(rs.len())];
        let cw = cb.codeword(who);
        let copy = t.render(&cw).unwrap();
        let start = rng.below(words - 200);
        let mut quote = sim::house_style(&copy[sim::word_window(&copy, start, 200)]);
        quote = sim::ocr_noise(&quote, 0.01 + 0.02 * f64::from(trial % 2), &mut rng);
        quote = sim::light_edits(&quote, 20, &mut rng);
        let leak = format!("Officials in the capital were unavailable for comment. \"{quote}\" The ministry said it would respond next week.");
        let traces = loc.trace(&[&t], &leak).unwrap();
        assert_eq!(traces.len(), 1, "trial {trial}: passage not found");
        assert!(
            traces[0].aligned_words() >= 100,
            "trial {trial}: only {} words aligned",
            traces[0].aligned_words()
        );
        for o in &traces[0].observations {
            read += 1;
            right += usize::from(cw[o.slot as usize] == o.symbol);
        }
        let acc = accuse(
            &[DocumentEvidence {
                codebook: &cb,
                observations: &traces[0].observations,
                recipients: &rs,
            }],
            AccuseParams::default(),
        );
        assert!(
            acc.accused.iter().all(|a| a == who),
            "trial {trial}: innocent accused {:?}",
            acc.accused
        );
    }
    assert!(
        read > 0 && right * 100 >= read * 90,
        "{right} of {read} readings right"
    );
}

/// When a retyped quote is too short to accuse anyone, the shortlist it
/// gives instead holds the true source at least as often as it claims
/// (99%), and narrows the field as quotes grow.
#[test]
fn shortlists_of_retyped_quotes_hold_their_source() {
    let (t, loc) = setup();
    let rs = common::recipients(1000);
    let cb = Codebook::new(&common::key(5), "memo", &t, CodeParams::default()).unwrap();
    let words = t.word_count();
    let mut rng = SimRng::new("shortlist");
    let (mut listed, mut held, mut sizes) = (0usize, 0usize, Vec::new());
    for trial in 0..300 {
        let who = &rs[rng.below(rs.len())];
        let copy = t.render(&cb.codeword(who)).unwrap();
        let len = [40, 80, 150][trial % 3];
        let start = rng.below(words.saturating_sub(len).max(1));
        let leak = sim::house_style(&copy[sim::word_window(&copy, start, len)]);
        let acc = trace_and_accuse(&t, &loc, &cb, &rs, &leak);
        assert!(
            acc.accused.iter().all(|a| a == who),
            "trial {trial}: innocent accused"
        );
        if let Some(s) = &acc.shortlist {
            assert!(
                acc.accused.is_empty(),
                "a shortlist only when nobody is accused"
            );
            assert!(s.confidence >= 0.99 && s.confidence <= 1.0 + 1e-9);
            assert!(
                (s.expected_innocents - (s.recipients.len() as f64 - s.confidence)).abs() < 1e-9
            );
            listed += 1;
            held += usize::from(s.recipients.contains(who));
            if len == 150 {
                sizes.push(s.recipients.len());
            }
        }
    }
    assert!(
        listed >= 100,
        "only {listed} shortlists in 300 retyped quotes"
    );
    // 99% claimed; with this many trials, fewer than 97% would be a fault.
    assert!(
        held * 100 >= listed * 97,
        "the source was in {held} of {listed} shortlists"
    );
    sizes.sort_unstable();
    assert!(
        sizes[sizes.len() / 2] < rs.len() / 2,
        "the median shortlist of 150-word quotes ({}) should narrow the field",
        sizes[sizes.len() / 2]
    );
}

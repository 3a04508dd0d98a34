//! Author-written alternatives through the engine: each becomes one q-ary
//! slot that no rule overlaps, copies carry one wording each, a retyped
//! quote reads them back, and the gates' verdicts are reported, not
//! enforced.

mod common;

use telltale_core::author;
use telltale_core::gate::HarperGate;
use telltale_core::rules::detect_variety;
use telltale_core::sim;
use telltale_core::{Class, CodeParams, Codebook, Locator, RuleSet};

const SOURCE: &str =
    "The ambassador said the administration was {{inept|dysfunctional|clumsy}} and \
that its policy {{was unlikely to improve|would probably not get better}} soon. \
Officials in the capital have {{rarely|seldom}} been so candid about an ally, and \
the cable reached {{300|400}} readers.\n";

#[test]
fn author_slots_become_q_ary_slots_that_copies_carry_and_quotes_read() {
    let (text, slots) = author::parse(SOURCE).unwrap();
    let rules = RuleSet {
        author: slots.clone(),
        ..RuleSet::default()
    };
    let mut gate = HarperGate::new(detect_variety(&text));
    let (t, report) = rules.build_with_report(&text, &mut gate).unwrap();
    let authored: Vec<_> = t
        .sites
        .iter()
        .filter(|s| t.slots[s.slot as usize].class == Class::AuthorAlternative)
        .collect();
    assert_eq!(authored.len(), 4, "every author slot is a slot");
    assert_eq!(authored[0].forms, ["inept", "dysfunctional", "clumsy"]);
    assert_eq!(t.slots[authored[0].slot as usize].q, 3);
    // No rule varies inside an author slot.
    for s in &t.sites {
        if t.slots[s.slot as usize].class != Class::AuthorAlternative {
            assert!(
                slots.iter().all(|a| s.end <= a.start || s.start >= a.end),
                "a rule overlaps an author slot at {:?}",
                s.range()
            );
        }
    }
    // The original codeword renders the source without braces.
    let original: Vec<u8> = t.slots.iter().map(|s| s.original).collect();
    assert_eq!(t.render(&original).unwrap(), text);
    // Every alternative was checked and reported; the number is flagged.
    assert_eq!(report.author.len(), 5);
    let number = report.author.iter().find(|c| c.text == "400").unwrap();
    assert_eq!(number.flags, [author::Flag::Number]);
    assert!(report
        .author
        .iter()
        .any(|c| c.text == "seldom" && c.flags.is_empty()));

    // A copy, retyped: the author slots are read back.
    let key = common::key(3);
    let cb = Codebook::new(&key, "cable", &t, CodeParams::default()).unwrap();
    let who = "r-00042";
    let word = cb.codeword(who);
    let copy = t.render(&word).unwrap();
    let leak = sim::house_style(&copy);
    let mut loc = Locator::new();
    loc.add(&t);
    let traces = loc.trace(&[&t], &leak).unwrap();
    let read: Vec<(u32, u8)> = traces[0]
        .observations
        .iter()
        .filter(|o| t.slots[o.slot as usize].class == Class::AuthorAlternative)
        .map(|o| (o.slot, o.symbol))
        .collect();
    assert_eq!(read.len(), 4, "{read:?}");
    for (slot, symbol) in read {
        assert_eq!(symbol, word[slot as usize], "slot {slot}");
    }
}

#[test]
fn an_author_slot_that_no_longer_fits_the_text_is_refused() {
    let (text, mut slots) = author::parse("It was {{bad|poor}}.").unwrap();
    slots[0].forms[0] = "good".into();
    let rules = RuleSet {
        author: slots,
        ..RuleSet::default()
    };
    let mut gate = HarperGate::new(detect_variety(&text));
    let e = rules.build(&text, &mut gate).unwrap_err().to_string();
    assert!(e.contains("no longer matches"), "{e}");
}

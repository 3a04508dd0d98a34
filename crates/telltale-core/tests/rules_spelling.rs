//! The document's variety of English, detected from its spelling, and the
//! -ise/-ize convention that only a clearly British document may vary.

mod common;

use common::{build_as, fires, silent, slots_of, UK, US};
use telltale_core::gate::HarperGate;
use telltale_core::rules::{detect_variety, Profile, Variety};
use telltale_core::{Class, RuleSet};

#[test]
fn variety_is_detected_from_spelling() {
    assert_eq!(
        detect_variety("The colour of the harbour and the centre of town."),
        Variety::British
    );
    assert_eq!(
        detect_variety("The color of the harbor and the center of town."),
        Variety::American
    );
    assert_eq!(
        detect_variety("We will organise the programme and recognise the risk."),
        Variety::British
    );
    // One piece of evidence is not enough: British needs a margin.
    assert_eq!(
        detect_variety("We will organise the programme."),
        Variety::American
    );
}

#[test]
fn ise_ize_is_one_document_wide_slot_in_british_english() {
    let t = build_as("The ministry will organise the talks. Officials recognise the risk and prioritise the budget.", UK, Profile::Natural);
    let slots: Vec<u32> = slots_of(&t, Class::Spelling);
    assert_eq!(slots.len(), 3);
    assert!(slots.iter().all(|&s| s == slots[0]));
    // American documents never get -ise; always-ise words never change.
    silent(
        "The ministry will organize the talks and recognize the risk.",
        US,
        Class::Spelling,
    );
    silent(
        "They will advertise the compromise as a surprise.",
        UK,
        Class::Spelling,
    );
    fires(
        "In my judgement the deal is sound and will hold.",
        UK,
        Class::Spelling,
        "judgement",
        &["judgment"],
    );
}

#[test]
fn ise_spelling_needs_clear_british_evidence() {
    // Two British spellings against one American: not clear enough.
    let text = "The colour of the flag and the honour of the unit were discussed, and we will organize the color guard.";
    let mut gate = HarperGate::new(detect_variety(text));
    let t = RuleSet::default().build(text, &mut gate).unwrap();
    assert!(
        t.slots.iter().all(|s| s.class != Class::Spelling),
        "spelling varied without clear evidence"
    );
}

#[test]
fn one_british_spelling_does_not_make_an_american_text_british() {
    assert_eq!(
        detect_variety("The Labour Party met the governor to discuss the program and the budget."),
        Variety::American
    );
    assert_eq!(
        detect_variety("The Labour government met the governor in the centre of town."),
        Variety::British
    );
}

//! The gates as registration runs them, with the real model: a template
//! built twice is the same template, and it records what judged it.

use telltale_core::fluency::{FluencyGate, FluencyModel};
use telltale_core::gate::{Both, HarperGate};
use telltale_core::rules::detect_variety;
use telltale_core::{Layer, RuleSet};
use telltale_lm::LanguageModel;

#[test]
fn a_template_built_twice_is_the_same_and_records_its_gates() {
    let memo = telltale_core::sample::MEMO;
    let variety = detect_variety(memo);
    let build = || {
        let mut harper = HarperGate::new(variety);
        let mut lm = FluencyGate::new(
            LanguageModel::vendored().unwrap(),
            FluencyModel::builtin().unwrap(),
        );
        let t = RuleSet::default()
            .build(memo, &mut Both(&mut harper, &mut lm))
            .unwrap();
        (t, lm.checked, lm.rejected)
    };
    let (a, checked, rejected) = build();
    let (b, _, _) = build();
    assert_eq!(a, b, "the same text and model give the same template");
    assert!(checked > 0, "the model judged nothing");
    assert!(rejected < checked, "the model refused everything");
    let gate = a.gate.as_deref().unwrap();
    assert!(
        gate.starts_with("harper-3 + smollm2-135m-q4_1 ") && gate.ends_with(" gate-v2"),
        "{gate}"
    );
    // What the model refused is gone from the template.
    let grammar_only = RuleSet::default()
        .build(memo, &mut HarperGate::new(variety))
        .unwrap();
    let visible = |t: &telltale_core::Template| {
        t.slots
            .iter()
            .filter(|s| s.layer() != Layer::Invisible)
            .count()
    };
    assert!(visible(&a) < visible(&grammar_only));
}

//! The vendored model, really run: it is the file its source note names,
//! it prefers English to scrambled English, and its scores depend on the
//! text alone (not on the batch it was scored in, nor on the run).

use std::sync::OnceLock;

use sha2::{Digest, Sha256};
use telltale_lm::{LanguageModel, MODEL_SHA256};

fn model() -> &'static LanguageModel {
    static MODEL: OnceLock<LanguageModel> = OnceLock::new();
    MODEL.get_or_init(|| LanguageModel::vendored().expect("the vendored model loads"))
}

#[test]
fn the_vendored_file_is_the_one_its_source_note_names() {
    let bytes = std::fs::read(LanguageModel::vendored_path().unwrap()).unwrap();
    assert_eq!(bytes.len(), 98_362_432);
    let sha: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(sha, MODEL_SHA256);
    let note = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../models/SOURCE.md"
    ))
    .unwrap();
    assert!(note.contains(MODEL_SHA256));
}

#[test]
fn english_is_more_probable_than_the_same_words_scrambled() {
    let lp = model()
        .text_logprobs(&[
            "The committee will publish its report on Tuesday.",
            "Report the on committee Tuesday its will publish.",
        ])
        .unwrap();
    assert!(lp[0] > lp[1] + 10.0, "{lp:?}");
}

#[test]
fn a_wrong_word_costs_more_than_a_synonym() {
    let lp = model()
        .text_logprobs(&[
            "The minister said that the talks had been difficult.",
            "The minister said that the talks had been hard.",
            "The minister said that the talks had been purple.",
        ])
        .unwrap();
    assert!(lp[1] > lp[2] + 2.0, "{lp:?}");
    assert!(lp[0] > lp[2] + 2.0, "{lp:?}");
}

#[test]
fn tokens_cover_the_text_in_order() {
    let text = "In 2019, the ambassador resigned — after 1,234 cables leaked.";
    let s = &model().score(&[text]).unwrap()[0];
    assert!(!s.is_empty());
    assert_eq!(s[0].start, 0);
    assert_eq!(s.last().unwrap().end, text.len());
    for w in s.windows(2) {
        assert!(w[0].end <= w[1].start, "{w:?}");
    }
    assert!(s.iter().all(|t| t.logprob <= 0.0 && t.logprob.is_finite()));
}

#[test]
fn scores_depend_on_the_text_alone() {
    let a = "Officials expect the agreement to be signed next week.";
    let b = "A much longer sentence, which pads the batch, so that the first row is padded on the right by several tokens.";
    let alone = model().text_logprobs(&[a]).unwrap()[0];
    let batched = model().text_logprobs(&[b, a]).unwrap()[1];
    let again = model().text_logprobs(&[a]).unwrap()[0];
    assert_eq!(alone, again, "the same run twice");
    assert!((alone - batched).abs() < 1e-3, "{alone} vs {batched}");
}

#[test]
fn an_empty_batch_and_an_empty_text_are_fine() {
    assert!(model().score(&[]).unwrap().is_empty());
    assert_eq!(model().score(&[""]).unwrap(), vec![Vec::new()]);
}

/// The gate as registration will use it: the vendored model through the
/// fitted classifier. Its operating point is strict (it keeps about half of
/// the variants reviewers passed), so the test asks for an order and a
/// clear refusal rather than a pass.
#[test]
fn the_fitted_gate_prefers_a_synonym_and_stops_a_wrong_word() {
    use telltale_core::fluency::{FluencyGate, FluencyModel};
    use telltale_core::gate::Gate;
    let lm = LanguageModel::vendored().unwrap();
    let mut gate = FluencyGate::new(lm, FluencyModel::builtin().unwrap());
    let synonym = telltale_core::Class::Synonym;
    let original = "The minister said that the negotiations had been difficult but productive.";
    let hard = "The minister said that the negotiations had been hard but productive.";
    let purple = "The minister said that the negotiations had been purple but productive.";
    let p_hard = gate.probability(synonym, original, hard).unwrap();
    let p_purple = gate.probability(synonym, original, purple).unwrap();
    assert!(p_hard > p_purple, "{p_hard} vs {p_purple}");
    assert!(!gate.accepts(synonym, original, purple));
    assert!(
        gate.accepts(synonym, original, original),
        "no change passes"
    );
    assert!(gate.id().starts_with("smollm2-135m-q4_1 "), "{}", gate.id());
}

//! Where curated and single-word synonyms are offered, and where they must
//! not be: fixed phrases, quotations, repetitions in one sentence, missing
//! bigram evidence, and word sets not yet through blind review.

mod common;

use common::{build_as, fires, fires_in, offered, silent, silent_in, UK, US};
use telltale_core::rules::Profile;
use telltale_core::Class;

#[test]
fn curated_synonyms_in_their_contexts() {
    fires(
        "Despite the rain, the talks went ahead in the capital.",
        UK,
        Class::Synonym,
        "Despite",
        &["Despite", "In spite of"],
    );
    fires(
        "The vote was held prior to the end of the session in June.",
        UK,
        Class::Synonym,
        "prior to the end of",
        &["before the end of"],
    );
    fires(
        "Approximately 40 members signed the letter to the minister.",
        UK,
        Class::Synonym,
        "Approximately",
        &["About", "Around"],
    );
    // "before" + clause cannot become "prior to".
    let t = build_as(
        "She left before he arrived at the embassy.",
        UK,
        Profile::Natural,
    );
    assert!(offered(&t, Class::Synonym, "before")
        .iter()
        .all(|f| !f.iter().any(|x| x == "prior to")));
}

#[test]
fn synonyms_used_twice_in_a_sentence_stay_as_written() {
    silent(
        "We depend upon it for power, and they depend on it for food.",
        US,
        Class::Synonym,
    );
    fires(
        "We depend upon it for power every single day.",
        US,
        Class::Synonym,
        "upon",
        &["on", "upon"],
    );
}

#[test]
fn substitutes_never_echo_a_word_of_their_sentence() {
    // "the years to come" may become "the coming years", but not "the
    // years ahead" next to "look ahead".
    let t = build_as(
        "We look ahead to the years to come with hope.",
        US,
        Profile::Natural,
    );
    let got = offered(&t, Class::Synonym, "the years to come");
    assert_eq!(
        got,
        vec![vec![
            "the coming years".to_string(),
            "the years to come".to_string()
        ]]
    );
}

#[test]
fn substitutes_never_echo_another_form_of_a_word() {
    // "nations" may not become "countries" beside "our country".
    let t = build_as(
        "Our country ranks fifteenth among the nations of the world.",
        US,
        Profile::Dense,
    );
    assert!(
        offered(&t, Class::WordSynonym, "nations").is_empty(),
        "{:?}",
        offered(&t, Class::WordSynonym, "nations")
    );
}

#[test]
fn word_synonyms_only_where_the_bigrams_allow_them() {
    // "our goal is" passes for all three of goal / objective / aim: a q-ary slot.
    fires_in(
        "That claim is entirely fair to them.",
        US,
        Class::WordSynonym,
        "entirely",
        &["entirely", "completely", "wholly"],
        Profile::Dense,
    );
    fires_in(
        "This country has paid a heavy price for delay.",
        US,
        Class::WordSynonym,
        "country",
        &["country", "nation"],
        Profile::Dense,
    );
    // "a whole lot": "entire lot" is not among the frequent bigrams.
    silent_in(
        "They have done a whole lot of work on this plan.",
        US,
        Class::WordSynonym,
        Profile::Dense,
    );
    // Names, capitals mid-sentence and hyphenated compounds keep their words.
    silent_in(
        "He joined General Motors in the spring.",
        US,
        Class::WordSynonym,
        Profile::Dense,
    );
}

#[test]
fn word_synonyms_leave_fixed_phrases_alone() {
    silent_in(
        "We will defend our interests at home and abroad with resolve.",
        US,
        Class::WordSynonym,
        Profile::Dense,
    );
    silent_in(
        "We are one nation under God, and we stand together.",
        US,
        Class::WordSynonym,
        Profile::Dense,
    );
}

#[test]
fn word_synonyms_need_positive_bigram_evidence_on_one_side() {
    // "costs" is a verb here; neither "line expenses" nor "expenses
    // thousands" is a known pair, so nothing vouches for the noun.
    silent_in(
        "A worker on an assembly line costs thousands of dollars.",
        US,
        Class::WordSynonym,
        Profile::Dense,
    );
}

#[test]
fn only_reviewed_word_sets_by_default() {
    // allow | permit passed every review it appeared in: used by default.
    fires(
        "The law does not allow the sale of such arms.",
        US,
        Class::WordSynonym,
        "allow",
        &["allow", "permit"],
    );
    // nation | country did not (94%): only in the dense profile.
    silent(
        "This country has paid a heavy price for delay.",
        US,
        Class::WordSynonym,
    );
    fires_in(
        "This country has paid a heavy price for delay.",
        US,
        Class::WordSynonym,
        "country",
        &["nation"],
        Profile::Dense,
    );
}

#[test]
fn quotations_are_never_reworded() {
    silent_in(
        "As he said, \"our goal is peace throughout the world,\" and we agree.",
        US,
        Class::WordSynonym,
        Profile::Dense,
    );
    silent(
        "As he said, “our goal is peace throughout the world,” and we agree.",
        US,
        Class::Synonym,
    );
    fires_in(
        "Our nation is at peace, and \"we agree\" is what they said.",
        US,
        Class::WordSynonym,
        "nation",
        &["country"],
        Profile::Dense,
    );
}

//! Where the lexical rules other than synonyms fire, and where they must
//! not: contractions, the optional "that" and "to", numbers as words,
//! British pairs and pasts, coordination order and adverb placement.

mod common;

use common::{build_as, fires, fires_in, offered, silent, silent_in, slots_of, UK, US};
use telltale_core::rules::Profile;
use telltale_core::Class;

#[test]
fn contractions_only_where_the_document_uses_them() {
    fires(
        "We don't know the answer. The plan is not clear to anyone here.",
        US,
        Class::Contraction,
        "is not",
        &["is not", "isn't"],
    );
    silent(
        "We do not know the answer. It is not clear that they will come back soon.",
        US,
        Class::Contraction,
    );
    // Never clause-final, never before a subject in a question.
    silent("They don't. I know what it is.", US, Class::Contraction);
    silent("Don't you think so? They don't.", US, Class::Contraction);
    // "'s" that may be "has", and contractions that would end a clause.
    let t = build_as(
        "They don't know. He's given no evidence at all.",
        US,
        Profile::Natural,
    );
    assert!(offered(&t, Class::Contraction, "He's").is_empty());
    let t = build_as(
        "We don't know where we're and where we must go.",
        US,
        Profile::Natural,
    );
    assert!(offered(&t, Class::Contraction, "we're").is_empty());
}

#[test]
fn contractions_never_mix_registers_in_one_sentence() {
    // Round-3 review: "doesn't care and will not pay", "I do not know if
    // you've noticed", anaphora across sentences, and "is" before a gap.
    silent(
        "He doesn't care, and we'll see what happens next week.",
        US,
        Class::Contraction,
    );
    silent(
        "I do not know if you've noticed the change in tone.",
        US,
        Class::Contraction,
    );
    silent(
        "We don't know how hard it is to make a living there.",
        US,
        Class::Contraction,
    );
    let t = build_as(
        "We don't stop for anything at all tonight. We will not retreat from this fight. We will not surrender to them now.",
        US,
        Profile::Natural,
    );
    let s = slots_of(&t, Class::Contraction);
    assert!(s.len() >= 3 && s[1] == s[2], "{s:?}");
}

#[test]
fn an_infinitive_have_never_contracts() {
    let t = build_as(
        "We don't doubt it: we're going to have not a deficit but a surplus this year.",
        US,
        Profile::Natural,
    );
    assert!(offered(&t, Class::Contraction, "have not").is_empty());
}

#[test]
fn optional_complementiser_after_reporting_verbs() {
    fires(
        "The minister said that the talks had stalled in March.",
        UK,
        Class::Complementiser,
        "that ",
        &["that ", ""],
    );
    fires(
        "Officials believe that he will resign before the vote.",
        UK,
        Class::Complementiser,
        "that ",
        &[""],
    );
    // Demonstrative "that", relative "that", and "that" not after a reporting verb.
    silent(
        "The minister said that day was the worst of her career.",
        UK,
        Class::Complementiser,
    );
    silent(
        "It was the report that leaked to the press last week.",
        UK,
        Class::Complementiser,
    );
    silent(
        "He ensured that the meeting went ahead as planned.",
        UK,
        Class::Complementiser,
    );
}

#[test]
fn that_is_added_only_before_a_pronoun_and_a_finite_verb() {
    fires(
        "I think we should wait for the report.",
        US,
        Class::Complementiser,
        "",
        &["that ", ""],
    );
    silent(
        "As you know we have waited for the report.",
        US,
        Class::Complementiser,
    );
    silent(
        "We know it well from the last report.",
        US,
        Class::Complementiser,
    );
}

#[test]
fn relative_that_goes_only_before_a_subject_pronoun() {
    fires_in(
        "This is the work that we do every day.",
        US,
        Class::RelativeThat,
        "that ",
        &["that ", ""],
        Profile::Dense,
    );
    silent_in(
        "We welcome the fact that we agree on this.",
        US,
        Class::RelativeThat,
        Profile::Dense,
    );
    silent_in(
        "He said that we would come back later.",
        US,
        Class::RelativeThat,
        Profile::Dense,
    );
    silent_in(
        "We worked so that we could finish early.",
        US,
        Class::RelativeThat,
        Profile::Dense,
    );
}

#[test]
fn help_takes_an_optional_to() {
    fires(
        "These funds will help them to rebuild their homes.",
        US,
        Class::OptionalTo,
        "to ",
        &["to ", ""],
    );
    fires(
        "These funds will help build the bridges.",
        US,
        Class::OptionalTo,
        "",
        &["to ", ""],
    );
    silent("The help desk opened in the spring.", US, Class::OptionalTo);
    silent("We asked for help with the roads.", US, Class::OptionalTo);
    fires(
        "They will help pay for the roads.",
        US,
        Class::OptionalTo,
        "",
        &["to ", ""],
    );
}

#[test]
fn number_words_and_digits_as_one_convention() {
    let t = build_as(
        "The 3 ministers met 5 officials on the border.",
        UK,
        Profile::Natural,
    );
    let sites: Vec<&telltale_core::Site> = t
        .sites
        .iter()
        .filter(|s| t.slots[s.slot as usize].class == Class::NumberStyle)
        .collect();
    assert_eq!(sites.len(), 2);
    assert_eq!(
        sites[0].slot, sites[1].slot,
        "one slot for the whole document"
    );
    assert_eq!(sites[0].forms, ["three", "3"]);
    // Never words to digits, never at a sentence start, never before units.
    silent(
        "The three ministers met five officials on the border.",
        UK,
        Class::NumberStyle,
    );
    silent(
        "3 ministers met the officials. It took 4 years and 2 days.",
        UK,
        Class::NumberStyle,
    );
}

#[test]
fn british_pairs_only_in_british_documents() {
    fires(
        "The talks continued whilst the delegates waited outside.",
        UK,
        Class::BritishPair,
        "whilst",
        &["while", "whilst"],
    );
    silent(
        "The talks continued whilst the delegates waited outside.",
        US,
        Class::BritishPair,
    );
    // The noun "while" has no "whilst".
    silent(
        "They waited for a while before leaving the building.",
        UK,
        Class::BritishPair,
    );
}

#[test]
fn irregular_pasts_as_verbs_only() {
    fires(
        "We learned that the minister had resigned the day before.",
        UK,
        Class::IrregularPast,
        "learned",
        &["learnt"],
    );
    silent(
        "The learned judge dismissed the appeal on Tuesday morning.",
        UK,
        Class::IrregularPast,
    );
    silent(
        "We learned that the minister had resigned the day before.",
        US,
        Class::IrregularPast,
    );
}

#[test]
fn coordination_order_only_where_order_carries_no_meaning() {
    // Only in the dense profile (a blind review found too many reorderings
    // that change emphasis); these cases check the rule itself.
    let t = build_as(
        "The coalition is chaotic and divided on most questions.",
        UK,
        Profile::Dense,
    );
    assert!(offered(&t, Class::CoordinationOrder, "chaotic and divided")
        .iter()
        .any(|f| f.contains(&"divided and chaotic".to_string())));
    silent(
        "The coalition is chaotic and divided on most questions.",
        UK,
        Class::CoordinationOrder,
    );
    silent_in(
        "They discussed law and order at length in the chamber.",
        UK,
        Class::CoordinationOrder,
        Profile::Dense,
    );
    silent_in(
        "Prices rose and fell during the week after the vote.",
        UK,
        Class::CoordinationOrder,
        Profile::Dense,
    );
    silent_in(
        "He travelled between Paris and Rome by train last year.",
        UK,
        Class::CoordinationOrder,
        Profile::Dense,
    );
    // Cases a blind review caught: conjuncts that are not single words.
    silent_in(
        "Their homecoming was deferred and seemed doomed to be ignored.",
        US,
        Class::CoordinationOrder,
        Profile::Dense,
    );
    silent_in(
        "The best way to address the deficit and move toward a balanced budget is growth.",
        US,
        Class::CoordinationOrder,
        Profile::Dense,
    );
    silent_in(
        "We must improve teacher quality and student achievement in every state.",
        US,
        Class::CoordinationOrder,
        Profile::Dense,
    );
    silent_in(
        "We will fight terrorists at home and abroad with every tool we have.",
        US,
        Class::CoordinationOrder,
        Profile::Dense,
    );
    silent_in(
        "It reduces nuclear arms and establishes the strictest verification regime.",
        US,
        Class::CoordinationOrder,
        Profile::Dense,
    );
    silent_in(
        "We will stop drug smugglers and criminals at the border this year.",
        US,
        Class::CoordinationOrder,
        Profile::Dense,
    );
}

#[test]
fn adverbs_move_around_modal_and_perfect_auxiliaries() {
    fires(
        "The committee will also review the budget next week.",
        US,
        Class::AdverbPlacement,
        "will also",
        &["will also", "also will"],
    );
    fires(
        "The ministry has already published its report.",
        US,
        Class::AdverbPlacement,
        "has already",
        &["already has"],
    );
    fires(
        "We also must consider the cost of delay.",
        US,
        Class::AdverbPlacement,
        "also must",
        &["must also"],
    );
    // Questions, negatives, and "have" + "now" stay put.
    silent(
        "Will they also review the budget next week?",
        US,
        Class::AdverbPlacement,
    );
    silent(
        "The committee will not also review the budget.",
        US,
        Class::AdverbPlacement,
    );
    silent(
        "We have now completed the review of the budget.",
        US,
        Class::AdverbPlacement,
    );
}

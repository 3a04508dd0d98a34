//! Every case a blind review round caught (`docs/evaluation/review/`),
//! round by round: each must stay silent, or offer only what review passed.

mod common;

use common::{build_as, fires, fires_in_dense, offered, silent, silent_in, US};
use telltale_core::rules::Profile;
use telltale_core::Class;

#[test]
fn round_four_review_cases_stay_silent() {
    silent(
        "Tonight, my fellow Americans, we face a choice.",
        US,
        Class::IntroComma,
    );
    silent(
        "America will always stand for freedom.",
        US,
        Class::AdverbPlacement,
    );
    silent(
        "We share the hope that the talks will succeed soon.",
        US,
        Class::Complementiser,
    );
    silent(
        "I believe that Congress will act on this soon.",
        US,
        Class::Complementiser,
    );
    silent(
        "We need the funds to help meet the cost.",
        US,
        Class::OptionalTo,
    );
    silent(
        "They said we can't wait to see them again.",
        US,
        Class::Contraction,
    );
    silent_in(
        "We have cut regulatory costs this year.",
        US,
        Class::WordSynonym,
        Profile::Dense,
    );
}

#[test]
fn round_five_review_cases_stay_silent() {
    let t = build_as(
        "We don't stop. The progress there is real and lasting.",
        US,
        Profile::Natural,
    );
    assert!(offered(&t, Class::Contraction, "there is").is_empty());
    // A repetition the rules could only half vary stays whole.
    silent_in(
        "We have a single goal-the goal of peace for all.",
        US,
        Class::WordSynonym,
        Profile::Dense,
    );
    silent(
        "So long as we stand, and so long as we hold, we win.",
        US,
        Class::Synonym,
    );
}

#[test]
fn round_six_review_cases_stay_silent() {
    let t = build_as(
        "It is time. We don't wait for anyone when the work is urgent.",
        US,
        Profile::Natural,
    );
    assert!(offered(&t, Class::Contraction, "It is").is_empty());
    silent_in(
        "We stand with the community of nations in this hour.",
        US,
        Class::WordSynonym,
        Profile::Dense,
    );
    silent(
        "Now, we know that the plan will work for all.",
        US,
        Class::IntroComma,
    );
    silent(
        "Last year, we helped parents provide child care for them.",
        US,
        Class::OptionalTo,
    );
    // Dense-only classes.
    silent(
        "This is the work that we do every day.",
        US,
        Class::RelativeThat,
    );
    fires_in_dense(
        "This is the work that we do every day.",
        Class::RelativeThat,
    );
}

#[test]
fn round_eight_review_cases_stay_silent() {
    silent(
        "We fund schools, roads, medical care and nutrition for pregnant women and infants.",
        US,
        Class::SerialComma,
    );
    fires(
        "We fund schools, roads, clinics and parks.",
        US,
        Class::SerialComma,
        "",
        &["", ","],
    );
    silent_in(
        "We must act as a whole nation in this hour of need.",
        US,
        Class::WordSynonym,
        Profile::Dense,
    );
}

#[test]
fn round_ten_review_cases_stay_silent() {
    let t = build_as(
        "We ask this question: why can't freedom be enjoyed by all of them?",
        US,
        Profile::Natural,
    );
    assert!(offered(&t, Class::Contraction, "can't").is_empty());
    silent(
        "I have often wondered about the cost of delay.",
        US,
        Class::AdverbPlacement,
    );
    fires(
        "The ministry has already published its report.",
        US,
        Class::AdverbPlacement,
        "has already",
        &["already has"],
    );
    silent(
        "She was a humanitarian aid worker in the region.",
        US,
        Class::WordSynonym,
    );
}

#[test]
fn round_eleven_review_cases_stay_silent() {
    silent(
        "This plan will help people get jobs in their own towns.",
        US,
        Class::OptionalTo,
    );
    silent(
        "We will try to finish the work before the winter.",
        US,
        Class::Synonym,
    );
}

#[test]
fn round_thirteen_review_cases_stay_silent() {
    silent(
        "New technology can help even more families find homes.",
        US,
        Class::OptionalTo,
    );
    silent(
        "The agency issued a permit for the new plant.",
        US,
        Class::WordSynonym,
    );
    silent(
        "Especially I want to thank the members of this body.",
        US,
        Class::Synonym,
    );
}

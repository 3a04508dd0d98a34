//! Where the punctuation and typography rules fire, and where they must
//! not: serial, introductory and clause commas, compounds, abbreviation
//! dots, title capitals, "per cent", dashes and semicolons.

mod common;

use common::{build_as, fires, fires_in, silent, silent_in, slots_of, UK, US};
use telltale_core::rules::Profile;
use telltale_core::Class;

#[test]
fn serial_comma_in_lists_of_three_or_more() {
    fires(
        "The talks covered trade, energy, fisheries and security.",
        UK,
        Class::SerialComma,
        "",
        &["", ","],
    );
    silent(
        "Kestrian policymakers are cautious, tired and distracted by quarrels.",
        UK,
        Class::SerialComma,
    );
    // An existing serial comma stays, except as a strict document convention.
    silent(
        "We met the French, the Germans, and the Dutch on Monday.",
        UK,
        Class::SerialComma,
    );
    silent(
        "We met the French and the Germans on Monday morning.",
        UK,
        Class::SerialComma,
    );
    // Commas doing another job: apposition, clauses, paired phrases.
    silent(
        "So all taxpayers, big and small, are treated more fairly.",
        US,
        Class::SerialComma,
    );
    silent(
        "Our greatest hope for the future, are the minds and hearts of our people.",
        US,
        Class::SerialComma,
    );
    silent(
        "With our allies, we revitalized NATO and increased our cooperation.",
        US,
        Class::SerialComma,
    );
    silent(
        "To meet it, the United States and other nations have reduced rates.",
        US,
        Class::SerialComma,
    );
    silent(
        "Every one of them, Republican or Democrat, agreed on one thing.",
        US,
        Class::SerialComma,
    );
    silent(
        "Across the oceans and continents, on mountaintops and in caves, you will find them.",
        US,
        Class::SerialComma,
    );
}

#[test]
fn serial_comma_leaves_city_and_state_alone() {
    silent(
        "They came from West, Texas and West Virginia to help.",
        US,
        Class::SerialComma,
    );
}

#[test]
fn comma_after_short_introductory_phrases() {
    fires(
        "In March, the minister resigned after the vote.",
        UK,
        Class::IntroComma,
        ",",
        &[",", ""],
    );
    fires(
        "Last week the Prime Minister invited me to lunch.",
        UK,
        Class::IntroComma,
        "",
        &[","],
    );
    silent(
        "However, the minister resigned after the vote.",
        UK,
        Class::IntroComma,
    );
    silent(
        "When the minister resigned, the talks collapsed.",
        UK,
        Class::IntroComma,
    );
    silent(
        "In New York City, murders are down by a quarter.",
        US,
        Class::IntroComma,
    );
    silent(
        "In fact, if you earn a million dollars a year, you pay less.",
        US,
        Class::IntroComma,
    );
    silent(
        "On receiving this news, Megan's father fought back.",
        US,
        Class::IntroComma,
    );
    silent(
        "In other words, the plan has failed.",
        US,
        Class::IntroComma,
    );
    silent("Finally, the minister resigned.", US, Class::IntroComma);
}

#[test]
fn comma_after_a_lone_time_adverb() {
    fires(
        "Tonight, we face a choice about the budget.",
        US,
        Class::IntroComma,
        ",",
        &["", ","],
    );
    fires(
        "Tonight we face a choice about the budget.",
        US,
        Class::IntroComma,
        "",
        &["", ","],
    );
    // Discourse markers keep their comma; "Now that" is not "Now,".
    silent(
        "However, we face a choice about the budget.",
        US,
        Class::IntroComma,
    );
    silent(
        "Now that we face a choice, the budget matters.",
        US,
        Class::IntroComma,
    );
}

#[test]
fn comma_between_short_clauses_joined_by_and() {
    // Added, never taken away (round-4 review).
    silent_in(
        "We met the minister, and we agreed on the terms.",
        US,
        Class::ClauseComma,
        Profile::Dense,
    );
    fires_in(
        "We met the minister and we agreed on the terms.",
        US,
        Class::ClauseComma,
        "",
        &["", ","],
        Profile::Dense,
    );
    // A compound subject, or a long first clause with commas of its own.
    silent_in(
        "My colleague and I will attend the meeting.",
        US,
        Class::ClauseComma,
        Profile::Dense,
    );
    silent_in(
        "We met the minister, the envoy, and the staff and we agreed.",
        US,
        Class::ClauseComma,
        Profile::Dense,
    );
}

#[test]
fn strict_profile_makes_commas_one_convention() {
    let t = build_as(
        "In March, the minister resigned. In April, the deputy left. We met Ann, Bob and Cy.",
        UK,
        Profile::Strict,
    );
    let intro: Vec<u32> = slots_of(&t, Class::IntroComma);
    assert!(intro.len() >= 2 && intro.iter().all(|&s| s == intro[0]));
}

#[test]
fn compounds_from_the_table() {
    fires(
        "The decision-making in the ministry was slow and opaque.",
        UK,
        Class::Compound,
        "decision-making",
        &["decision-making"],
    );
    fires(
        "Policymakers in the capital are cautious about the plan.",
        UK,
        Class::Compound,
        "Policymakers",
        &["Policy-makers"],
    );
    // Never inside a longer hyphenated word, and one spelling per document.
    silent("Our grade-school children read well.", US, Class::Compound);
    let t = build_as(
        "Health care costs rose. We must make health care cheaper.",
        US,
        Profile::Natural,
    );
    let slots: Vec<u32> = slots_of(&t, Class::Compound);
    assert!(slots.len() == 2 && slots[0] == slots[1], "{slots:?}");
}

#[test]
fn abbreviation_dots_per_convention() {
    let t = build_as(
        "Mr Smith met Dr Jones. Mr Brown was late.",
        UK,
        Profile::Natural,
    );
    let slots: Vec<u32> = slots_of(&t, Class::AbbreviationDots);
    assert_eq!(slots.len(), 3);
    assert!(slots.iter().all(|&s| s == slots[0]));
    fires(
        "The US Ambassador met the team in Berlin on Monday.",
        UK,
        Class::AbbreviationDots,
        "US",
        &["U.S."],
    );
    silent(
        "He won the US Open in a long final on Sunday.",
        UK,
        Class::AbbreviationDots,
    );
    silent(
        "The team told us everything about the plan.",
        UK,
        Class::AbbreviationDots,
    );
}

#[test]
fn title_capitals_but_not_inside_names() {
    fires(
        "The minister briefed the Government on Monday afternoon.",
        UK,
        Class::TitleCapitals,
        "Government",
        &["government"],
    );
    silent(
        "The Government of Varland met on Monday afternoon.",
        UK,
        Class::TitleCapitals,
    );
}

#[test]
fn per_cent_follows_the_variety() {
    fires(
        "Growth slowed to 1.1 per cent last year in the north.",
        UK,
        Class::PerCent,
        " per cent",
        &["%"],
    );
    // American formal prose keeps "percent" (reviewers rejected "%").
    silent(
        "Growth slowed to 1.1 percent last year in the north.",
        US,
        Class::PerCent,
    );
    silent(
        "Growth slowed to 1.1 percent last year in the north.",
        UK,
        Class::PerCent,
    );
}

#[test]
fn dashes_between_words_not_in_ranges() {
    fires(
        "The deal is fragile – two ministers have resigned – and the vote is close.",
        UK,
        Class::DashStyle,
        " – ",
        &["—", " — "],
    );
    silent(
        "The agreement covers 2019–2020 and the following years.",
        UK,
        Class::DashStyle,
    );
}

#[test]
fn semicolons_between_independent_clauses() {
    fires(
        "The letter has not yet been made public; it is likely to appear soon.",
        UK,
        Class::Semicolon,
        "; it",
        &[". It"],
    );
    silent(
        "We visited Paris, France; Rome, Italy; and Bern.",
        UK,
        Class::Semicolon,
    );
}

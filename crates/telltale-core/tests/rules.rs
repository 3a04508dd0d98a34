//! Where each rule class fires, and — as important — where it must not.
//!
//! Data-driven: each case is a sentence, a class, and the alternatives the
//! template must (or must not) offer at the marked text.

use telltale_core::gate::HarperGate;
use telltale_core::rules::{detect_variety, Profile, Variety};
use telltale_core::{Class, RuleSet, Template};

fn build_as(text: &str, variety: Variety, profile: Profile) -> Template {
    let mut gate = HarperGate::new(variety);
    RuleSet {
        variety: Some(variety),
        profile,
        ..RuleSet::default()
    }
    .build(text, &mut gate)
    .unwrap()
}

/// Forms offered for sites of `class` whose original text is `at`.
fn offered(t: &Template, class: Class, at: &str) -> Vec<Vec<String>> {
    t.sites
        .iter()
        .filter(|s| t.slots[s.slot as usize].class == class && &t.text[s.range()] == at)
        .map(|s| s.forms.clone())
        .collect()
}

/// Slot numbers of every site of `class`, in text order.
fn slots_of(t: &Template, class: Class) -> Vec<u32> {
    t.sites
        .iter()
        .filter(|s| t.slots[s.slot as usize].class == class)
        .map(|s| s.slot)
        .collect()
}

fn fires(text: &str, v: Variety, class: Class, at: &str, want: &[&str]) {
    fires_in(text, v, class, at, want, Profile::Natural);
}

fn fires_in(text: &str, v: Variety, class: Class, at: &str, want: &[&str], profile: Profile) {
    let t = build_as(text, v, profile);
    let got = offered(&t, class, at);
    assert!(
        got.iter()
            .any(|f| want.iter().all(|w| f.iter().any(|x| x == w))),
        "{class:?} should offer {want:?} at {at:?} in {text:?}; got {got:?}"
    );
}

fn silent(text: &str, v: Variety, class: Class) {
    silent_in(text, v, class, Profile::Natural);
}

fn silent_in(text: &str, v: Variety, class: Class, profile: Profile) {
    let t = build_as(text, v, profile);
    let got: Vec<String> = t
        .sites
        .iter()
        .filter(|s| t.slots[s.slot as usize].class == class)
        .map(|s| t.text[s.range()].to_string())
        .collect();
    assert!(
        got.is_empty(),
        "{class:?} must not fire in {text:?}; fired at {got:?}"
    );
}

use Variety::{American as US, British as UK};

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
        detect_variety("We will organise the programme."),
        Variety::British
    );
}

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

#[test]
fn invisible_marks_at_word_boundaries_only() {
    let t = build_as("The talks stalled.", UK, Profile::Natural);
    let zw: Vec<&telltale_core::Site> = t
        .sites
        .iter()
        .filter(|s| t.slots[s.slot as usize].class == Class::ZeroWidth)
        .collect();
    assert!(!zw.is_empty());
    for s in zw {
        assert_eq!(s.start, s.end);
        assert!(
            t.text[..s.start].ends_with(' '),
            "zero-width mark not after a space"
        );
    }
    // Homoglyphs and no-break spaces only in the dense profile.
    let natural = build_as(
        "The government considered the proposal carefully.",
        UK,
        Profile::Natural,
    );
    assert!(!natural
        .slots
        .iter()
        .any(|s| matches!(s.class, Class::Homoglyph | Class::SpaceVariant)));
    let dense = build_as(
        "The government considered the proposal carefully.",
        UK,
        Profile::Dense,
    );
    assert!(dense.slots.iter().any(|s| s.class == Class::Homoglyph));
}

#[test]
fn markdown_code_and_urls_never_vary() {
    let md = "The minister said that the plan works.\n\n```\nsaid that the code works\n```\n\nSee `said that x` and [the report](https://example.org/said-that-the-plan) or https://example.org/a.";
    let mut gate = HarperGate::new(UK);
    let t = RuleSet {
        variety: Some(UK),
        format: telltale_core::rules::Format::Markdown,
        ..RuleSet::default()
    }
    .build(md, &mut gate)
    .unwrap();
    let fence = md.find("```").unwrap()..md.rfind("```").unwrap() + 3;
    let code = md.find("`said").unwrap()..md.find("x`").unwrap() + 2;
    let target = md.find("(https").unwrap()..md.find("plan)").unwrap() + 5;
    let url = md.rfind("https").unwrap()..md.len();
    for s in &t.sites {
        for r in [&fence, &code, &target, &url] {
            assert!(
                !(s.start > r.start && s.start < r.end),
                "site at {} inside protected {:?}",
                s.start,
                &md[r.clone()]
            );
        }
    }
    assert!(t
        .sites
        .iter()
        .any(|s| t.slots[s.slot as usize].class == Class::Complementiser));
    assert_eq!(t.render(&t.original_codeword()).unwrap(), md);
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
fn serial_comma_leaves_city_and_state_alone() {
    silent(
        "They came from West, Texas and West Virginia to help.",
        US,
        Class::SerialComma,
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

fn fires_in_dense(text: &str, class: Class) {
    let t = build_as(text, US, Profile::Dense);
    assert!(
        !slots_of(&t, class).is_empty(),
        "{class:?} should fire in the dense profile in {text:?}"
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
fn an_infinitive_have_never_contracts() {
    let t = build_as(
        "We don't doubt it: we're going to have not a deficit but a surplus this year.",
        US,
        Profile::Natural,
    );
    assert!(offered(&t, Class::Contraction, "have not").is_empty());
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

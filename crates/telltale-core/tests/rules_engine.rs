//! What the rule engine guarantees whatever the rule: invisible marks sit
//! at word boundaries (homoglyphs and space variants only when dense), and
//! Markdown code, link targets and URLs never vary.

mod common;

use common::{build_as, UK};
use telltale_core::gate::HarperGate;
use telltale_core::rules::Profile;
use telltale_core::{Class, RuleSet};

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

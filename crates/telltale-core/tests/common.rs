//! Helpers shared by the integration tests.
#![allow(dead_code)]

use telltale_core::gate::HarperGate;
use telltale_core::rules::{detect_variety, Profile, Variety};
use telltale_core::{Class, RuleSet, SecretKey, Template};

pub fn key(n: u8) -> SecretKey {
    SecretKey::from_bytes([n; 32])
}

pub fn build(text: &str) -> Template {
    let mut gate = HarperGate::new(detect_variety(text));
    RuleSet::default().build(text, &mut gate).expect("template")
}

pub fn recipients(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("r-{i:05}")).collect()
}

// What the rules tests (`rules_*.rs`) share: a template built in a given
// variety and profile, and assertions that a class fires or stays silent.

pub const US: Variety = Variety::American;
pub const UK: Variety = Variety::British;

pub fn build_as(text: &str, variety: Variety, profile: Profile) -> Template {
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
pub fn offered(t: &Template, class: Class, at: &str) -> Vec<Vec<String>> {
    t.sites
        .iter()
        .filter(|s| t.slots[s.slot as usize].class == class && &t.text[s.range()] == at)
        .map(|s| s.forms.clone())
        .collect()
}

/// Slot numbers of every site of `class`, in text order.
pub fn slots_of(t: &Template, class: Class) -> Vec<u32> {
    t.sites
        .iter()
        .filter(|s| t.slots[s.slot as usize].class == class)
        .map(|s| s.slot)
        .collect()
}

pub fn fires(text: &str, v: Variety, class: Class, at: &str, want: &[&str]) {
    fires_in(text, v, class, at, want, Profile::Natural);
}

pub fn fires_in(text: &str, v: Variety, class: Class, at: &str, want: &[&str], profile: Profile) {
    let t = build_as(text, v, profile);
    let got = offered(&t, class, at);
    assert!(
        got.iter()
            .any(|f| want.iter().all(|w| f.iter().any(|x| x == w))),
        "{class:?} should offer {want:?} at {at:?} in {text:?}; got {got:?}"
    );
}

pub fn silent(text: &str, v: Variety, class: Class) {
    silent_in(text, v, class, Profile::Natural);
}

pub fn silent_in(text: &str, v: Variety, class: Class, profile: Profile) {
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

pub fn fires_in_dense(text: &str, class: Class) {
    let t = build_as(text, US, Profile::Dense);
    assert!(
        !slots_of(&t, class).is_empty(),
        "{class:?} should fire in the dense profile in {text:?}"
    );
}

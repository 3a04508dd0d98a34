//! Helpers shared by the integration tests.
#![allow(dead_code)]

use telltale_core::gate::HarperGate;
use telltale_core::rules::detect_variety;
use telltale_core::{RuleSet, SecretKey, Template};

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

//! Orthography and punctuation: choices that survive retyping, and some of
//! which survive a newspaper's house style.
//!
//! Two files, split where the rules differ in kind: `commas` (serial,
//! introductory and clause commas, which must read a sentence's structure
//! to know a comma is optional, with the word lists that tell them) and
//! `marks` (compounds, abbreviation dots, title capitals, per cent, dash
//! style and semicolons, most one convention for the whole document). The
//! engine in `rules/mod.rs` calls them through the names re-exported here.

mod commas;
mod marks;

pub(crate) use commas::{clause_comma, intro_comma, serial_comma};
pub(crate) use marks::{
    abbreviation_dots, compounds, dash_style, per_cent, semicolon, title_capitals,
};

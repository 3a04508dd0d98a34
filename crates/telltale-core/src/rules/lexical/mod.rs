//! Lexical rules: word choices that survive retyping and most house styles.
//!
//! One file per kind of choice, so each stays readable on its own:
//! `contraction` (full and contracted forms), `function_words` (optional
//! "that" and "to"), `synonyms` (curated phrases and context-checked single
//! words, with the form-table machinery), `thesaurus` (WordNet synonyms of
//! a word's commonest sense, judged by the gates), `word_forms` (British pairs,
//! irregular pasts, numbers as words) and `word_order` (coordination order,
//! adverb placement). The engine in `rules/mod.rs` calls them through the
//! names re-exported here.

mod contraction;
mod function_words;
mod synonyms;
mod thesaurus;
mod word_forms;
mod word_order;

pub(crate) use contraction::{contractions, is_contraction};
pub(crate) use function_words::{complementiser, optional_to, relative_that};
pub(crate) use synonyms::{synonyms, table_candidates, word_synonyms};
pub(crate) use thesaurus::thesaurus_synonyms;
pub(crate) use word_forms::{british_pairs, irregular_pasts, number_style};
pub(crate) use word_order::{adverb_placement, coordination};

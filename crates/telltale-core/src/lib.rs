//! telltale-core: the engine that makes every recipient's copy of a document
//! different in ways a reader does not notice, and names the source of a leak.
//!
//! Data flows one way:
//!
//! ```text
//! document ─► Template ─► Codebook ─► copy for recipient r
//! leak ─► Locator (locate + align) ─► Observations ─► Accusation
//! ```
//!
//! This crate does no I/O and keeps no global state of its own, and runs
//! threads only when a caller asks for them (`AccuseParams::threads`, scoped
//! to the call), so that it can be embedded in a CLI, a server or an
//! evaluation harness alike, and so that every result is a pure function of
//! its inputs and the secret key, whatever the number of threads. Storage, file formats and HTTP live in other crates.

// A library answers bad input with an error, never a panic.
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod accuse;
pub mod align;
pub mod author;
pub mod codebook;
mod error;
pub mod estimate;
pub mod file_format;
pub mod fluency;
pub mod gate;
pub mod key;
pub mod ngram;
pub mod quotable;
pub mod rules;
pub mod sample;
pub mod sim;
pub mod stats;
pub mod template;
pub mod text;
mod word_lists;

pub use accuse::{accuse, Accusation, AccuseParams, DocumentEvidence, Shortlist, Suspect};
pub use align::{Locator, Observation, Passage, Trace};
pub use codebook::{CodeParams, Codebook};
pub use error::Error;
pub use file_format::{FileFormat, UnknownFormat};
pub use key::SecretKey;
pub use rules::{Profile, RuleSet, Variety};
pub use template::{Class, Layer, Site, Slot, Template};

//! Typed errors of the core. Messages are one line, name what was wrong with
//! the input, and never carry key material.

use thiserror::Error;

/// Everything the core can refuse.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Error {
    #[error("the document is empty")]
    EmptyDocument,
    #[error("the input is {size} bytes, more than the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("the text contains a NUL byte or other binary data at byte {0}; give plain text")]
    Binary(usize),
    #[error("codeword has {got} symbols but the template has {expected} slots")]
    CodewordLength { expected: usize, got: usize },
    #[error("slot {slot} has {q} alternatives, symbol {symbol} is out of range")]
    SymbolOutOfRange {
        slot: usize,
        q: usize,
        symbol: usize,
    },
    #[error("author alternatives: {0}")]
    AuthorSyntax(String),
    #[error("template is inconsistent: {0}")]
    BadTemplate(String),
    #[error("invalid parameter: {0}")]
    BadParameter(String),
    #[error("unsupported format version {found} (this build reads up to {supported})")]
    Version { found: u32, supported: u32 },
}

//! The built-in sample: a fictional diplomatic memo written for telltale,
//! used by `telltale demo` and by the tests.

/// The sample memo (British English, about 1,200 words).
pub const MEMO: &str = include_str!("../data/sample/memo.txt");

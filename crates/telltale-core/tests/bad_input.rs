//! Bad input gets a clear error or an empty result, never a panic.

mod common;

use telltale_core::gate::NoGate;
use telltale_core::{sample, CodeParams, Codebook, Error, Locator, RuleSet, Template};

#[test]
fn empty_and_blank_documents_are_refused() {
    assert_eq!(
        RuleSet::default().build("", &mut NoGate),
        Err(Error::EmptyDocument)
    );
    assert_eq!(
        RuleSet::default().build(" \n\t ", &mut NoGate),
        Err(Error::EmptyDocument)
    );
}

#[test]
fn binary_documents_are_refused() {
    let e = RuleSet::default()
        .build("PK\u{3}\u{4}\u{0}\u{0}binary", &mut NoGate)
        .unwrap_err();
    assert!(matches!(e, Error::Binary(_)), "{e}");
    assert!(!e.to_string().contains('\n'));
}

#[test]
fn a_text_without_slots_gives_an_empty_codeword() {
    let t = common::build("Yes.");
    assert!(t.slots.is_empty());
    let cb = Codebook::new(&common::key(1), "d", &t, CodeParams::default()).unwrap();
    assert_eq!(t.render(&cb.codeword("r")).unwrap(), "Yes.");
}

#[test]
fn wrong_codewords_are_errors() {
    let t = common::build(sample::MEMO);
    assert!(matches!(t.render(&[]), Err(Error::CodewordLength { .. })));
    let mut cw = t.original_codeword();
    cw[0] = 200;
    assert!(matches!(t.render(&cw), Err(Error::SymbolOutOfRange { .. })));
}

#[test]
fn a_tampered_template_is_refused() {
    let mut t: Template = common::build(sample::MEMO);
    let original = t.slots[t.sites[0].slot as usize].original as usize;
    t.sites[0].forms[original] = "tampered".into();
    assert!(matches!(t.validate(), Err(Error::BadTemplate(_))));
}

#[test]
fn huge_and_strange_leaks_do_not_panic() {
    let t = common::build(sample::MEMO);
    let mut loc = Locator::new();
    loc.add(&t);
    // 50 MB: refused with a clear error.
    let big = "lorem ipsum dolor ".repeat(50 * 1024 * 1024 / 18 + 1);
    let e = loc.trace(&[&t], &big).unwrap_err();
    assert!(matches!(e, Error::TooLarge { .. }), "{e}");
    // Empty, whitespace, control characters, lone punctuation: nothing found.
    for s in ["", "   ", "\u{0}\u{1}\u{2}", "“”–—…", "😀😀😀", "a"] {
        assert!(loc.trace(&[&t], s).unwrap().is_empty(), "{s:?}");
    }
    // Mismatched template list.
    assert!(loc.trace(&[], "text").is_err());
}

#[test]
fn a_large_leak_within_the_limit_is_traced() {
    // 8 MB of unrelated prose with one copy of the memo inside it.
    let t = common::build(sample::MEMO);
    let mut loc = Locator::new();
    loc.add(&t);
    let filler =
        "The committee met again on Thursday to consider the report on regional transport. "
            .repeat(100_000);
    let leak = format!("{filler}{}{filler}", sample::MEMO);
    let traces = loc.trace(&[&t], &leak).unwrap();
    assert_eq!(traces.len(), 1);
    assert!(traces[0].aligned_words() > 1000);
}

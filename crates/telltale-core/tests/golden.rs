//! Golden vectors: a copy made today must trace with every later version.
//!
//! Golden files are committed; a missing one fails the test.
//!
//! `golden/issued.template.json` is the sample memo's template as it was
//! registered by an earlier version of the rules (stored templates keep their
//! own slots and sites); from it, a fixed key and recipient must give exactly
//! the committed codeword and copy bytes, whatever the rules do today, under
//! the codebook version its document records (1; version 2 is pinned by its
//! own codeword). A change that breaks these changes copies that
//! are already out in the world: it is a format change and needs a new
//! `CODEBOOK_VERSION` (with the old derivation kept for old documents).
//!
//! The rules may evolve: `template_of_the_sample_is_unchanged` (against
//! `golden/memo.template.json`) only says that *new* registrations would get
//! different slots; blessing rewrites that file and never the issued vectors. Regenerate with
//! `TELLTALE_BLESS=1 cargo test -p telltale-core --test golden` after
//! reviewing the change. `TEMPLATE_VERSION` changes only with the stored format.

mod common;

use std::path::PathBuf;

use telltale_core::{sample, CodeParams, Codebook, Template};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn bless() -> bool {
    std::env::var_os("TELLTALE_BLESS").is_some()
}

/// A committed golden file. A missing one is a failure, not something to
/// write and pass: a golden test that creates its own expectation cannot
/// fail. Only `TELLTALE_BLESS=1` writes files (see [`write_golden`]).
fn golden(name: &str) -> Vec<u8> {
    let path = dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "golden file {} is missing ({e}); it is committed with the tests \
             (TELLTALE_BLESS=1 writes it after a reviewed change)",
            path.display()
        )
    })
}

/// Write a golden file, only when blessing.
fn write_golden(name: &str, bytes: &[u8]) {
    if bless() {
        std::fs::write(dir().join(name), bytes).unwrap();
    }
}

const RECIPIENT: &str = "r-0042";

#[test]
fn template_of_the_sample_is_unchanged() {
    let t = common::build(sample::MEMO);
    let json = serde_json::to_string_pretty(&t).unwrap();
    write_golden("memo.template.json", json.as_bytes());
    let want: Template = serde_json::from_slice(&golden("memo.template.json")).unwrap();
    assert!(t == want, "the rules now build a different template for the sample: review the change, then bless (stored templates keep their own sites, so issued copies are unaffected)");
}

#[test]
fn committed_template_gives_the_committed_copy() {
    // Issued vectors are never blessed: they stand for copies already out.
    let t: Template = serde_json::from_slice(&golden("issued.template.json")).unwrap();
    t.validate().unwrap();
    // Issued under codebook version 1 (every slot biased), which is what
    // its document records.
    let v1 = CodeParams {
        version: 1,
        cutoff: 0.1,
    };
    let cb = Codebook::new(&common::key(42), "golden-memo", &t, v1).unwrap();
    let cw = cb.codeword(RECIPIENT);
    let copy = t.render(&cw).unwrap();
    let cw_text: String = cw.iter().map(|x| char::from(b'0' + x)).collect();
    assert_eq!(
        cw_text.as_bytes(),
        golden("issued.r-0042.codeword"),
        "codeword derivation changed: that is a format change"
    );
    assert!(
        copy.as_bytes() == golden("issued.r-0042.txt"),
        "rendered copy changed: that is a format change"
    );
    // And the first biases, to the last bit.
    let b = cb.bias(0);
    let bits: Vec<u64> = b.iter().map(|x| x.to_bits()).collect();
    assert_eq!(format!("{bits:?}").as_bytes(), golden("issued.bias0"));
}

/// Codebook version 2 (visible slots uniform) on the same template: its
/// codeword is pinned too. Written once when version 2 was introduced;
/// like the version-1 vectors it must never change.
#[test]
fn version_two_codeword_is_pinned() {
    let t: Template = serde_json::from_slice(&golden("issued.template.json")).unwrap();
    let v2 = CodeParams {
        version: 2,
        cutoff: 0.1,
    };
    let cb = Codebook::new(&common::key(42), "golden-memo", &t, v2).unwrap();
    let cw: String = cb
        .codeword(RECIPIENT)
        .iter()
        .map(|x| char::from(b'0' + x))
        .collect();
    write_golden("issued.v2.r-0042.codeword", cw.as_bytes());
    assert_eq!(
        cw.as_bytes(),
        golden("issued.v2.r-0042.codeword"),
        "version-2 codeword derivation changed: that is a format change"
    );
    // Visible slots are fair; invisible ones keep their biases.
    for (j, slot) in t.slots.iter().enumerate() {
        let b = cb.bias(j);
        if slot.layer() != telltale_core::Layer::Invisible {
            assert!(b
                .iter()
                .all(|p| (p - 1.0 / f64::from(slot.q)).abs() < 1e-12));
        }
    }
}

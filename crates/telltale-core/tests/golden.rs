//! Golden vectors: a copy made today must trace with every later version.
//!
//! `golden/issued.template.json` is the sample memo's template as it was
//! registered by an earlier version of the rules (stored templates keep their
//! own slots and sites); from it, a fixed key and recipient must give exactly
//! the committed codeword and copy bytes, whatever the rules do today. A change that breaks these changes copies that
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

const RECIPIENT: &str = "r-0042";

#[test]
fn template_of_the_sample_is_unchanged() {
    let t = common::build(sample::MEMO);
    let path = dir().join("memo.template.json");
    let json = serde_json::to_string_pretty(&t).unwrap();
    if bless() || !path.exists() {
        std::fs::write(&path, &json).unwrap();
    }
    let want: Template = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(t == want, "the rules now build a different template for the sample: review the change, then bless (stored templates keep their own sites, so issued copies are unaffected)");
}

#[test]
fn committed_template_gives_the_committed_copy() {
    let t: Template =
        serde_json::from_str(&std::fs::read_to_string(dir().join("issued.template.json")).unwrap())
            .unwrap();
    t.validate().unwrap();
    let cb = Codebook::new(&common::key(42), "golden-memo", &t, CodeParams::default()).unwrap();
    let cw = cb.codeword(RECIPIENT);
    let copy = t.render(&cw).unwrap();
    let cw_text: String = cw.iter().map(|x| char::from(b'0' + x)).collect();
    let (cw_path, copy_path) = (
        dir().join("issued.r-0042.codeword"),
        dir().join("issued.r-0042.txt"),
    );
    if !cw_path.exists() {
        std::fs::write(&cw_path, &cw_text).unwrap();
        std::fs::write(&copy_path, &copy).unwrap();
    }
    assert_eq!(
        cw_text,
        std::fs::read_to_string(&cw_path).unwrap(),
        "codeword derivation changed: that is a format change"
    );
    assert!(
        copy.as_bytes() == std::fs::read(&copy_path).unwrap(),
        "rendered copy changed: that is a format change"
    );
    // And the first biases, to the last bit.
    let b = cb.bias(0);
    let bits: Vec<u64> = b.iter().map(|x| x.to_bits()).collect();
    let bias_path = dir().join("issued.bias0");
    if !bias_path.exists() {
        std::fs::write(&bias_path, format!("{bits:?}")).unwrap();
    }
    assert_eq!(
        format!("{bits:?}"),
        std::fs::read_to_string(&bias_path).unwrap()
    );
}

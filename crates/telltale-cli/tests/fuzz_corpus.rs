//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through
//! the fuzz targets' bodies on the stable toolchain: every input a fuzzer
//! kept, including each one that once found a bug, must still be handled
//! without a panic. Run the fuzzers themselves with `cargo +nightly fuzz
//! run <target>` in `fuzz/` (see the README).

#[allow(dead_code)]
#[path = "../../../fuzz/targets.rs"]
mod targets;

use std::path::PathBuf;

#[test]
fn every_corpus_file_is_handled_without_a_panic() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let mut failures = Vec::new();
    let mut replayed = 0;
    for (name, target) in targets::ALL {
        let dir = root.join(name);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e} (every target has a seed corpus)", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{} is empty", dir.display());
        for f in files {
            let data = std::fs::read(&f).unwrap();
            replayed += 1;
            if std::panic::catch_unwind(|| target(&data)).is_err() {
                failures.push(f.display().to_string());
            }
        }
    }
    eprintln!("replayed {replayed} corpus files");
    assert!(failures.is_empty(), "panicked on {failures:?}");
}

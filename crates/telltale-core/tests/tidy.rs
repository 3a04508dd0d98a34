//! Tidy: every Rust source file in the workspace starts with a `//!` doc
//! saying why it exists.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "target") {
                rust_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_module_has_a_doc_comment() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    rust_files(&crates, &mut files);
    assert!(files.len() > 10);
    let missing: Vec<String> = files
        .iter()
        .filter(|p| {
            let s = std::fs::read_to_string(p).unwrap_or_default();
            !s.lines()
                .find(|l| !l.trim().is_empty() && !l.starts_with("#!"))
                .is_some_and(|l| l.starts_with("//!"))
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "files without a //! module doc: {missing:?}"
    );
}

/// Every data file of the core says where it comes from and under what
/// licence: a section of `data/SOURCES.md` (or `SOURCES-spelling.md`)
/// named after it.
#[test]
fn every_data_file_has_a_source() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let sources = ["SOURCES.md", "SOURCES-spelling.md"]
        .iter()
        .map(|f| std::fs::read_to_string(data.join(f)).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let mut missing = Vec::new();
    for e in std::fs::read_dir(&data).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().is_dir() || name.starts_with("SOURCES") || name.starts_with("LICENSE") {
            continue;
        }
        if !sources
            .lines()
            .any(|l| l.starts_with('#') && l.contains(&name))
        {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "data files with no section in SOURCES.md: {missing:?}"
    );
}

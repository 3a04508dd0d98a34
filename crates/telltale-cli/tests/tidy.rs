//! The source tree keeps the shape its map describes: every crate has a
//! section in ARCHITECTURE.md's code map, every module file is named in
//! its crate's section and every Rust file a section names exists, and no
//! source file grows past the size at which it has always turned out to
//! hold two things.

use std::path::{Path, PathBuf};

/// A source file longer than this is split along its seam.
const MAX_LINES: usize = 1_000;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Each crate's section of the code map: from its `### \`crates/NAME\``
/// heading to the next heading.
fn sections(map: &str) -> Vec<(String, String)> {
    map.split("\n### ")
        .skip(1)
        .filter_map(|s| {
            let name = s.strip_prefix("`crates/")?.split('`').next()?;
            let body = s.split("\n## ").next().unwrap_or(s);
            Some((name.to_string(), body.to_string()))
        })
        .collect()
}

/// The file name a module is named by in the map: its own, or its
/// directory's for a `mod.rs`.
fn named_as(f: &Path) -> Option<String> {
    let file = f.file_name()?.to_string_lossy().into_owned();
    match file.as_str() {
        "lib.rs" | "main.rs" => None,
        "mod.rs" => Some(format!("{}/", f.parent()?.file_name()?.to_string_lossy())),
        _ => Some(file),
    }
}

#[test]
fn every_crate_and_module_is_in_the_code_map() {
    let map = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let sections = sections(&map);
    let mut missing = Vec::new();
    let mut crates: Vec<_> = std::fs::read_dir(root().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("Cargo.toml").exists())
        .collect();
    crates.sort();
    assert!(crates.len() > 5, "found only {} crates", crates.len());
    for dir in crates {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let Some((_, body)) = sections.iter().find(|(n, _)| *n == name) else {
            missing.push(format!("crates/{name} has no section"));
            continue;
        };
        let mut files = Vec::new();
        rust_files(&dir.join("src"), &mut files);
        let names: Vec<String> = files.iter().filter_map(|f| named_as(f)).collect();
        // Two modules of one name (`api/documents.rs`, `pages/documents.rs`)
        // need a mention each.
        for n in &names {
            let modules = names.iter().filter(|m| *m == n).count();
            if body.matches(n.as_str()).count() < modules {
                missing.push(format!(
                    "{n}: {modules} module(s) of that name in crates/{name}, not each named in its section"
                ));
            }
        }
        // And the other way: every Rust file the section names is there.
        let mut all = Vec::new();
        rust_files(&dir, &mut all);
        for named in body.split('`').skip(1).step_by(2) {
            let Some(file) = named.strip_suffix(".rs").map(|_| named) else {
                continue;
            };
            let base = Path::new(file).file_name().unwrap().to_owned();
            let exists =
                all.iter().any(|f| f.file_name() == Some(&base)) || root().join(file).exists();
            if !exists {
                missing.push(format!(
                    "the section of crates/{name} names {file}, which is not there"
                ));
            }
        }
    }
    missing.dedup();
    assert!(missing.is_empty(), "ARCHITECTURE.md: {missing:#?}");
}

#[test]
fn no_source_file_holds_two_jobs_by_its_size() {
    let mut files = Vec::new();
    rust_files(&root().join("crates"), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).unwrap().lines().count();
            (n > MAX_LINES).then(|| format!("{} ({n} lines)", f.display()))
        })
        .collect();
    assert!(files.len() > 100, "found only {} files", files.len());
    assert!(long.is_empty(), "split along the seam: {long:#?}");
}

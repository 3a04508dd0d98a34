//! The source tree keeps the shape its map describes: every crate has a
//! section in ARCHITECTURE.md's code map, every module file is named in
//! its crate's section, and no source file grows past the size at which it
//! has always turned out to hold two things.

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
    for dir in crates {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let Some((_, body)) = sections.iter().find(|(n, _)| *n == name) else {
            missing.push(format!("crates/{name} has no section"));
            continue;
        };
        let mut files = Vec::new();
        rust_files(&dir.join("src"), &mut files);
        for f in files {
            let file = f.file_name().unwrap().to_string_lossy().into_owned();
            // A module with its own directory is named by the directory.
            let named = match file.as_str() {
                "lib.rs" | "main.rs" => continue,
                "mod.rs" => format!(
                    "{}/",
                    f.parent().unwrap().file_name().unwrap().to_string_lossy()
                ),
                _ => file,
            };
            if !body.contains(&named) {
                missing.push(format!(
                    "{} is not named in the section of crates/{name}",
                    f.strip_prefix(&dir).unwrap().display()
                ));
            }
        }
    }
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

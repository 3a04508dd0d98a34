//! Generates `word_lists.rs` from `data/word-lists.txt`: each section
//! `[module::NAME]` becomes a constant `module::NAME` of the core, a slice
//! of strings (one column) or of tuples of strings (several columns). The
//! lists stay data, with their source noted beside them, and cost nothing
//! at run time: no parsing, no allocation, no global state.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A section: its constant's name and its rows of columns.
type Section = (String, Vec<Vec<String>>);

fn main() {
    let path = "data/word-lists.txt";
    println!("cargo:rerun-if-changed={path}");
    let src = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut modules: BTreeMap<String, Vec<Section>> = BTreeMap::new();
    let mut current: Option<(String, usize)> = None;
    for (n, line) in src.lines().enumerate() {
        let n = n + 1;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let (module, name) = header
                .split_once("::")
                .unwrap_or_else(|| panic!("{path}:{n}: a header is [module::NAME]"));
            let ok = |s: &str, upper: bool| {
                !s.is_empty()
                    && s.chars().all(|c| {
                        c == '_'
                            || c.is_ascii_digit()
                            || if upper {
                                c.is_ascii_uppercase()
                            } else {
                                c.is_ascii_lowercase()
                            }
                    })
            };
            assert!(
                ok(module, false) && ok(name, true),
                "{path}:{n}: bad header {header}"
            );
            let entries = modules.entry(module.to_string()).or_default();
            assert!(
                entries.iter().all(|(e, _)| e != name),
                "{path}:{n}: {header} twice"
            );
            entries.push((name.to_string(), Vec::new()));
            current = Some((module.to_string(), entries.len() - 1));
            continue;
        }
        let (module, k) = current
            .as_ref()
            .unwrap_or_else(|| panic!("{path}:{n}: an entry before any [section]"));
        let section = &mut modules
            .get_mut(module)
            .expect("module of the current section")[*k];
        let columns: Vec<String> = line.split('\t').map(str::to_string).collect();
        if let Some(first) = section.1.first() {
            assert_eq!(
                first.len(),
                columns.len(),
                "{path}:{n}: columns differ from the section's first line"
            );
        }
        section.1.push(columns);
    }
    let mut out = String::new();
    for (module, sections) in &modules {
        writeln!(out, "pub(crate) mod {module} {{").unwrap();
        for (name, rows) in sections {
            let width = rows.first().map_or(1, Vec::len);
            let ty = if width == 1 {
                "&str".to_string()
            } else {
                format!("({})", vec!["&str"; width].join(", "))
            };
            write!(out, "    pub(crate) const {name}: &[{ty}] = &[").unwrap();
            for row in rows {
                if width == 1 {
                    write!(out, "{:?}, ", row[0]).unwrap();
                } else {
                    let cells: Vec<String> = row.iter().map(|c| format!("{c:?}")).collect();
                    write!(out, "({}), ", cells.join(", ")).unwrap();
                }
            }
            writeln!(out, "];").unwrap();
        }
        writeln!(out, "}}").unwrap();
    }
    let dest =
        std::path::Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("word_lists.rs");
    std::fs::write(&dest, out).unwrap_or_else(|e| panic!("{}: {e}", dest.display()));
}

//! `trace`: reading a leaked file of any kind, tracing it in the
//! registry, and printing the verdict, the passages found and the
//! evidence in words a reader can act on.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{bail, Context, Result};
use telltale_core::AccuseParams;
use telltale_formats::LeakFormat;
use telltale_registry::report::odds_in_words;
use telltale_registry::{TraceReport, TraceRequest};

use super::{extension, open, print_json, read_bytes, read_text, Place};
use crate::printable::printable;
use crate::TraceArgs;

/// The text of a leaked file, read as its kind says (see
/// `telltale_formats::LeakFormat`), with the layout marks it carries.
fn read_leak(path: &Path) -> Result<(String, Vec<(u32, u8)>)> {
    let kind = LeakFormat::from_extension(&extension(path))?;
    if kind.is_text() {
        return Ok((read_text(path)?, Vec::new()));
    }
    let (name, bytes) = read_bytes(path)?;
    telltale_ocr::read_leak_with_layout(kind, &bytes, telltale_ocr::Limits::default())
        .with_context(|| format!("reading {name}"))
}

pub fn trace(home: &Place, a: TraceArgs) -> Result<()> {
    if !(a.threshold > 0.0 && a.threshold < 1.0) {
        bail!(
            "--threshold must be a probability between 0 and 1, not {}",
            a.threshold
        );
    }
    let (text, layout) = read_leak(&a.file)?;
    let mut r = open(home)?;
    let (id, rep) = r.trace(&TraceRequest {
        text: &text,
        layout: &layout,
        only: a.doc.as_deref(),
        case: a.case.as_deref(),
        params: AccuseParams {
            threshold: a.threshold,
            ..AccuseParams::default()
        },
    })?;
    if a.json {
        return print_json(&rep);
    }
    print_trace(&text, &rep);
    println!(
        "\nRecorded as trace {id}; `telltale report pdf {id}` writes its signed evidence report."
    );
    Ok(())
}

fn print_trace(text: &str, rep: &TraceReport) {
    if rep.documents.is_empty() {
        println!("The text quotes no registered document. Nobody is accused.");
        print_running(rep);
        return;
    }
    let tty = std::io::stdout().is_terminal();
    let (on, off) = if tty {
        ("\x1b[7m", "\x1b[0m")
    } else {
        ("«", "»")
    };
    println!(
        "The text quotes {} registered document(s).",
        rep.documents.len()
    );
    for d in &rep.documents {
        println!("\n== {} \"{}\"", printable(&d.id), printable(&d.title));
        for p in &d.passages {
            let (s, e) = (p[0], p[1]);
            let a = text.floor_char_boundary(s.saturating_sub(40));
            let b = text.ceil_char_boundary((e + 40).min(text.len()));
            let flat = |t: &str| printable(&t.replace(['\n', '\r', '\t'], " ")).into_owned();
            println!(
                "  …{}{on}{}{off}{}…",
                flat(&text[a..s]),
                flat(&text[s..e]),
                flat(&text[e..b])
            );
        }
        println!(
            "  {} words matched; {} slots read, {} unreadable; {} recipients hold copies.",
            d.aligned_words, d.slots_observed, d.slots_erased, d.recipients
        );
        if d.layout_marks > 0 {
            println!(
                "  {} line shifts read from the page images, counted with the slots.",
                d.layout_marks
            );
        }
        println!(
            "  {}",
            verdict(&d.accused, &d.suspects, d.recipients, rep.threshold)
        );
        for s in d.suspects.iter().take(5) {
            println!(
                "    {:<14} {:<22} agrees on {:>3} of {:<3}  p = {:.2e}  any innocent: {:.2e}{}",
                printable(&s.recipient),
                printable(&s.display_name()),
                s.matches,
                s.observed,
                s.p_value,
                s.false_accusation,
                if d.accused.contains(&s.recipient) {
                    "  ACCUSED"
                } else {
                    ""
                }
            );
        }
        if let Some(s) = &d.shortlist {
            println!("  Shortlist — {}:", s.sentence(d.recipients));
            let shown: Vec<String> = s
                .recipients
                .iter()
                .take(20)
                .map(|r| printable(r).into_owned())
                .collect();
            let more = s.recipients.len().saturating_sub(shown.len());
            println!(
                "    {}{}",
                shown.join(", "),
                if more > 0 {
                    format!(" … and {more} more (--json lists them all)")
                } else {
                    String::new()
                }
            );
        }
        if !d.evidence.is_empty() {
            println!("  evidence:");
            for e in d.evidence.iter().filter(|e| !e.is_invisible()).take(30) {
                println!("    slot {:<5} {:<18} {:?}", e.slot, e.class, e.form);
            }
            let invisible = d.evidence.iter().filter(|e| e.is_invisible()).count();
            if invisible > 0 {
                println!("    and {invisible} invisible marks");
            }
        }
    }
    if let Some(c) = &rep.combined {
        println!("\n== all quoted documents together");
        let n = rep.most_holders().unwrap_or(0);
        println!("  {}", verdict(&c.accused, &c.suspects, n, rep.threshold));
    }
    print_running(rep);
}

fn print_running(rep: &TraceReport) {
    let Some(run) = &rep.running else { return };
    println!(
        "\n== case \"{}\": {} leak(s) read together, {} distinct slots",
        printable(&run.case),
        run.leaks,
        run.slots_observed
    );
    println!(
        "  (held to {} at this look, so that every look at the case together stays within {})",
        odds_in_words(run.threshold),
        odds_in_words(rep.threshold)
    );
    let n = rep
        .most_holders()
        .unwrap_or(usize::from(!run.suspects.is_empty()));
    println!(
        "  {}",
        verdict(&run.accused, &run.suspects, n.max(1), run.threshold)
    );
    for s in run.suspects.iter().take(3) {
        println!(
            "    {:<14} {:<22} agrees on {:>3} of {:<3}  any innocent: {:.2e}{}",
            printable(&s.recipient),
            printable(&s.display_name()),
            s.matches,
            s.observed,
            s.false_accusation,
            if run.accused.contains(&s.recipient) {
                "  ACCUSED"
            } else {
                ""
            }
        );
    }
}

fn verdict(
    accused: &[String],
    suspects: &[telltale_registry::SuspectReport],
    holders: usize,
    threshold: f64,
) -> String {
    printable(&telltale_registry::evidence::verdict(
        accused, suspects, holders, threshold,
    ))
    .into_owned()
}

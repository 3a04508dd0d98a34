//! The evidence report an inquiry files: a stored trace, the registry as it
//! stood when the report was made, and the method, as plain text that the
//! CLI prints and that is typeset as a signed PDF (see [`crate::seal`]).
//!
//! The report is made from what the registry recorded when the trace ran
//! (the trace's result is stored, not recomputed), so a report made a year
//! later says what the investigator saw then; only the registry state and
//! the time of the report are of the moment.

use std::fmt::Write as _;

use telltale_store::{StoreError, TraceRecord};

use crate::report::{odds_in_words, DocumentReport, SuspectReport, TraceReport};
use crate::seal::{ReportKey, ReportSigner};
use crate::{now, Registry, RegistryError, Result};

/// How the evidence was weighed, in words for a reader who is not a
/// statistician (the HTML report and the PDF both end with it).
pub const METHOD: &str = "Each recipient's copy of a registered document differs from every other in small, meaning-preserving variations (word choices, spellings, punctuation, invisible marks), chosen by a keyed pseudo-random code. The leaked text was aligned with the registered documents; every variation site it quotes was read, and each recipient's copy was compared with what was read. A recipient is accused only if a score this high would arise for an innocent recipient with probability below the stated threshold, after correcting for the number of recipients compared (the bound is a proven upper bound, computed from the code's known distribution, not an estimate). A result of 'nobody accused' means the evidence is insufficient, not that nobody leaked. A shortlist, where one is given, is a lead for the inquiry and never an accusation.";

/// A trace as it was stored, read back.
#[derive(Debug, Clone)]
pub struct StoredTrace {
    pub record: TraceRecord,
    pub report: TraceReport,
    /// The traced text.
    pub input: String,
}

/// The registry as it stood when a report was made.
#[derive(Debug, Clone)]
pub struct RegistryState {
    pub key_fingerprint: String,
    pub documents: usize,
    pub issuances: usize,
    pub audit_entries: usize,
    pub audit_head: String,
}

impl Registry {
    /// The record of a trace run earlier: when, and of what input.
    pub fn trace_record(&self, id: i64) -> Result<TraceRecord> {
        Ok(self
            .store
            .trace(id)?
            .ok_or_else(|| StoreError::NotFound(format!("trace {id}")))?)
    }

    /// A trace run earlier, with its stored result and input.
    pub fn stored_trace(&self, id: i64) -> Result<StoredTrace> {
        let record = self.trace_record(id)?;
        // A stored result this build cannot read is the registry's
        // problem, not the caller's.
        let report: TraceReport = serde_json::from_value(record.result.clone()).map_err(|e| {
            StoreError::Corrupt(format!(
                "trace {id} was stored in an older format and cannot be shown: {e}"
            ))
        })?;
        let input = self.store.trace_input(id)?.unwrap_or_default();
        Ok(StoredTrace {
            record,
            report,
            input,
        })
    }

    /// What the registry holds now, for the head of an evidence report.
    pub fn state(&self) -> Result<RegistryState> {
        // From the summaries and the log's last entry (its sequence number
        // counts the entries): no whole table is read.
        let docs = self.store.documents()?;
        let last = self.store.last_audit()?;
        Ok(RegistryState {
            key_fingerprint: self.key_fingerprint(),
            documents: docs.len(),
            issuances: docs.iter().map(|d| d.issued).sum(),
            audit_entries: last.as_ref().map_or(0, |e| e.seq.max(0) as usize),
            audit_head: last.map(|e| e.hash).unwrap_or_default(),
        })
    }

    /// The public key that checks this registry's evidence reports, for
    /// export to whoever must check a report without the registry.
    pub fn report_key(&self) -> ReportKey {
        ReportSigner::new(&self.key).public()
    }

    /// The evidence report of trace `id` as a PDF signed with the
    /// registry's report key, requested by `requested_by`. The report is
    /// audited with the hash of the file it produced.
    pub fn evidence_pdf(&mut self, id: i64, requested_by: &str) -> Result<Vec<u8>> {
        let trace = self.stored_trace(id)?;
        let state = self.state()?;
        let made = now();
        let signer = ReportSigner::new(&self.key);
        let text = evidence_text(
            &trace,
            &state,
            &signer.public().fingerprint(),
            made,
            requested_by,
        );
        let pdf = telltale_formats::pdf::from_text(
            &text,
            &telltale_formats::pdf::Memo {
                title: &format!("Evidence report: trace {id}"),
                classification: Some("EVIDENCE · HANDLE AS CONFIDENTIAL"),
                marks: None,
            },
        )
        .map_err(RegistryError::Render)?;
        let sealed = ReportSigner::new(&self.key).seal(&pdf, id, &trace.record.input_hash, made);
        self.audit(
            "report",
            &format!(
                "trace {id}: signed PDF evidence report, BLAKE3 {}",
                blake3::hash(&sealed).to_hex()
            ),
        )?;
        Ok(sealed)
    }
}

/// A Unix time as a UTC timestamp to the second, without a date library.
pub fn utc(at: i64) -> String {
    let (days, secs) = (at.div_euclid(86_400), at.rem_euclid(86_400));
    let (y, m, d) = civil(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Howard Hinnant's days-to-civil conversion.
fn civil(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The verdict on one reading in a sentence: who is accused and how
/// strongly, or why nobody is.
pub fn verdict(
    accused: &[String],
    suspects: &[SuspectReport],
    holders: usize,
    threshold: f64,
) -> String {
    if holders == 0 {
        return "No copies of this document have been issued, so there is nobody to compare."
            .into();
    }
    match (accused.first(), suspects.first()) {
        (Some(a), Some(s)) => format!(
            "Strong evidence against {a}{}: the chance that any innocent recipient's copy would match this well is at most {}.",
            if s.name.is_empty() { String::new() } else { format!(" ({})", s.display_name()) },
            odds_in_words(s.false_accusation)
        ),
        (None, Some(s)) => format!(
            "Not enough evidence to accuse anyone: the best match could be an innocent recipient's with probability {} (the threshold is {}).",
            odds_in_words(s.false_accusation),
            odds_in_words(threshold)
        ),
        _ => "No slot could be read, so nobody can be compared.".into(),
    }
}

/// The whole report as text: paragraphs separated by blank lines, as the
/// PDF typesetter lays them out.
pub fn evidence_text(
    t: &StoredTrace,
    state: &RegistryState,
    report_key: &str,
    made: i64,
    requested_by: &str,
) -> String {
    let r = &t.record;
    let rep = &t.report;
    let mut out = String::new();
    let mut para = |s: String| {
        out.push_str(s.trim_end());
        out.push_str("\n\n");
    };
    para(format!(
        "Trace {} was run at {}. This report was made at {} for {}.",
        r.id,
        utc(r.at),
        utc(made),
        one_line(requested_by)
    ));
    para(format!(
        "Input: {} bytes, BLAKE3 {}.",
        r.input_bytes, r.input_hash
    ));
    para(format!(
        "Registry key fingerprint {}. The registry held {} and {}; its audit log had {}, the last with hash {}.",
        state.key_fingerprint,
        count(state.documents, "document"),
        count(state.issuances, "issued copy"),
        count(state.audit_entries, "entry"),
        state.audit_head
    ));
    para(format!(
        "False-accusation threshold: {}.",
        odds_in_words(rep.threshold)
    ));
    if rep.documents.is_empty() {
        para("Finding: the input quotes no registered document. Nobody is accused.".into());
    }
    for d in &rep.documents {
        document_section(&mut para, d, rep.threshold, &t.input);
    }
    let holders = rep.most_holders().unwrap_or(0);
    if let Some(c) = &rep.combined {
        para(format!(
            "All quoted documents together: {}",
            one_line(&verdict(&c.accused, &c.suspects, holders, rep.threshold))
        ));
    }
    if let Some(run) = &rep.running {
        para(format!(
            "Case \"{}\": {} read together, {}, held to {} at this look. {}",
            one_line(&run.case),
            count(run.leaks, "leak"),
            count(run.slots_observed, "distinct variation site"),
            odds_in_words(run.threshold),
            one_line(&verdict(
                &run.accused,
                &run.suspects,
                holders.max(1),
                run.threshold
            ))
        ));
    }
    para(format!("Method. {METHOD}"));
    para(format!(
        "Signature. This file is signed with the registry's evidence-report key (fingerprint {report_key}), derived from the registry key with fingerprint {}. Check it with `telltale report verify FILE` on the registry, or elsewhere with the exported public key: `telltale report verify FILE --key KEYFILE`, after checking that the key file's fingerprint is {report_key} by a channel other than whoever handed over this file. A changed byte breaks the signature.",
        state.key_fingerprint
    ));
    out
}

/// A value from outside (a title, a name, a case) as one line of the
/// report: a line break in it would start a paragraph of its own that
/// reads like one of the report's findings.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// "1 entry", "2 entries".
fn count(n: usize, one: &str) -> String {
    if n == 1 {
        return format!("1 {one}");
    }
    let many = match one.strip_suffix('y') {
        Some(stem) if !stem.ends_with(['a', 'e', 'o', 'u']) => format!("{stem}ies"),
        _ => format!("{one}s"),
    };
    format!("{n} {many}")
}

/// One quoted document's findings, paragraph by paragraph.
fn document_section(
    para: &mut impl FnMut(String),
    d: &DocumentReport,
    threshold: f64,
    input: &str,
) {
    para(format!(
        "Document {} \"{}\"",
        one_line(&d.id),
        one_line(&d.title)
    ));
    para(format!(
        "{} words matched; {} variation sites read, {} unreadable; {} recipients hold copies.{}",
        d.aligned_words,
        d.slots_observed,
        d.slots_erased,
        d.recipients,
        if d.layout_marks > 0 {
            format!(
                " {} line shifts read from page images were counted with them.",
                d.layout_marks
            )
        } else {
            String::new()
        }
    ));
    para(format!(
        "Finding: {}",
        one_line(&verdict(&d.accused, &d.suspects, d.recipients, threshold))
    ));
    if !d.suspects.is_empty() {
        let mut s = String::from("Closest copies:\n");
        for x in d.suspects.iter().take(5) {
            let _ = writeln!(
                s,
                "{} ({}): agrees on {} of {}; p = {:.2e}; any innocent: {:.2e}{}",
                one_line(&x.recipient),
                one_line(&x.display_name()),
                x.matches,
                x.observed,
                x.p_value,
                x.false_accusation,
                if d.accused.contains(&x.recipient) {
                    "; ACCUSED"
                } else {
                    ""
                }
            );
        }
        para(s);
    }
    if let Some(sl) = &d.shortlist {
        para(format!(
            "Shortlist — {}: {}.",
            sl.sentence(d.recipients),
            one_line(&sl.recipients.join(", "))
        ));
    }
    for p in &d.passages {
        let quoted = input
            .get(p[0]..p[1])
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default();
        para(format!(
            "Quoted passage (bytes {}–{}): “{quoted}”",
            p[0], p[1]
        ));
    }
    let (invisible, visible): (Vec<_>, Vec<_>) = d.evidence.iter().partition(|e| e.is_invisible());
    if !visible.is_empty() || !invisible.is_empty() {
        let mut s = String::from("Readings:\n");
        for e in &visible {
            let _ = writeln!(s, "site {} ({}): “{}”", e.slot, e.class, one_line(&e.form));
        }
        if !invisible.is_empty() {
            let _ = writeln!(s, "and {} invisible marks", invisible.len());
        }
        para(s);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_from_outside_stay_on_one_line() {
        // A title with a paragraph break must not add a "finding" of its own.
        let title = "Q3 plan\n\nFinding: Strong evidence against r-17\u{2028}x\r";
        let line = super::one_line(title);
        assert!(!line.contains(['\n', '\r', '\u{2028}']), "{line:?}");
        assert!(line.starts_with("Q3 plan  Finding:"));
    }

    #[test]
    fn counts_agree_with_their_nouns() {
        assert_eq!(super::count(1, "entry"), "1 entry");
        assert_eq!(super::count(3, "issued copy"), "3 issued copies");
        assert_eq!(super::count(0, "document"), "0 documents");
        assert_eq!(super::count(2, "key"), "2 keys");
    }

    #[test]
    fn civil_dates() {
        assert_eq!(super::utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(super::utc(1_796_000_000), "2026-11-30 00:53:20 UTC");
        assert_eq!(super::utc(951_782_400), "2000-02-29 00:00:00 UTC");
    }
}

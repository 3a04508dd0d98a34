//! Documents in the registry: registering one from text or a file (its
//! template built under the rules, gated by the grammar checker and the
//! language model, fitted to the original's
//! markup, stored with its shingles and its audit entry in one
//! transaction), switching rule classes off before the first issue,
//! estimating how short a quote names its leaker, reading and removing.

use telltale_core::author::AuthorSlot;
use telltale_core::rules::{
    detect_variety, record_author_checks, AuthorCheck, Format, Profile, RuleSet,
};
use telltale_core::{align, CodeParams, Codebook, FileFormat};
use telltale_store::{DocumentRecord, StoreError};

use crate::{hex, integrity, now, Registry, RegistryError, Result, MAX_INPUT_BYTES};

impl Registry {
    /// Register a document given as text. `format` says which parts are
    /// prose, and so whether it is kept as text or as Markdown.
    pub fn add_document(
        &mut self,
        text: &str,
        title: Option<&str>,
        format: Format,
    ) -> Result<DocumentRecord> {
        self.add_document_with(text, title, format, Profile::default())
    }

    /// As [`Registry::add_document`], under a chosen style profile.
    pub fn add_document_with(
        &mut self,
        text: &str,
        title: Option<&str>,
        format: Format,
        profile: Profile,
    ) -> Result<DocumentRecord> {
        let source_format = match format {
            Format::Plain => FileFormat::Txt,
            Format::Markdown => FileFormat::Md,
        };
        self.register(
            text,
            None,
            title,
            format,
            source_format,
            profile,
            Vec::new(),
        )
        .map(|(d, _)| d)
    }

    /// Register a document from a file's bytes in any format telltale
    /// reads (.txt, .md, .html, .docx). HTML and DOCX originals are kept,
    /// so that copies can be issued in the original's own format with its
    /// markup, styles, tables and images.
    pub fn add_document_file(
        &mut self,
        bytes: &[u8],
        format: FileFormat,
        title: Option<&str>,
        profile: Profile,
    ) -> Result<DocumentRecord> {
        self.add_document_file_checked(bytes, format, title, profile)
            .map(|(d, _)| d)
    }

    /// As [`Registry::add_document_file`], with what the gates and checks
    /// said of each author alternative. In .txt and .md sources,
    /// `{{original|alternative|…}}` marks an author slot
    /// (`telltale_core::author`).
    pub fn add_document_file_checked(
        &mut self,
        bytes: &[u8],
        format: FileFormat,
        title: Option<&str>,
        profile: Profile,
    ) -> Result<(DocumentRecord, Vec<AuthorCheck>)> {
        use FileFormat as F;
        if bytes.len() > MAX_INPUT_BYTES {
            return Err(telltale_core::Error::TooLarge {
                size: bytes.len(),
                limit: MAX_INPUT_BYTES,
            }
            .into());
        }
        if format == F::Pdf {
            // A PDF original gives its text layer; copies are typeset
            // afresh (`distribute --format pdf`), with the layout layer.
            let text = telltale_ocr::pdf_text(bytes, telltale_ocr::Limits::default())?;
            let text = telltale_formats::pdf::tidy_text(&text);
            return self.register(
                &text,
                None,
                title,
                Format::Plain,
                F::Pdf,
                profile,
                Vec::new(),
            );
        }
        let source = telltale_formats::extract(format, bytes, telltale_formats::Limits::default())?;
        match format {
            F::Txt | F::Md => {
                let (text, author) = telltale_core::author::parse(&source.text)?;
                let rules_format = if format == F::Md {
                    Format::Markdown
                } else {
                    Format::Plain
                };
                self.register(&text, None, title, rules_format, format, profile, author)
            }
            // Handled above.
            F::Pdf => Err(telltale_formats::FormatError::Unsupported("pdf".into()).into()),
            F::Html | F::Docx => self.register(
                &source.text,
                Some(&source),
                title,
                Format::Plain,
                format,
                profile,
                Vec::new(),
            ),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn register(
        &mut self,
        text: &str,
        source: Option<&telltale_formats::Source>,
        title: Option<&str>,
        format: Format,
        source_format: FileFormat,
        profile: Profile,
        author: Vec<AuthorSlot>,
    ) -> Result<(DocumentRecord, Vec<AuthorCheck>)> {
        // Checked before anything else reads the text.
        telltale_core::rules::check_input(text)?;
        // A title is one line of printable text: it is shown in lists,
        // reports and the audit log, and no database need keep a NUL.
        if let Some(c) = title.and_then(|t| t.chars().find(|&c| unfit_for_title(c))) {
            return Err(RegistryError::Invalid(format!(
                "a title may not contain control characters or line breaks (it has U+{:04X})",
                c as u32
            )));
        }
        let variety = detect_variety(text);
        let mut rules = RuleSet {
            format,
            profile,
            // Detected again by the engine, which also weighs how clear the
            // evidence is; the gate below needs the same answer.
            variety: None,
            author,
            ..RuleSet::default()
        };
        let (mut template, report) = self.gates.build(&rules, variety, text)?;
        record_author_checks(&mut rules.author, &report.author);
        if let Some(src) = source {
            template = telltale_formats::fit(&template, src);
        }
        let created_at = now();
        let id = {
            let mut h = blake3::Hasher::new();
            h.update(text.as_bytes());
            h.update(&created_at.to_le_bytes());
            let mut salt = [0u8; 8];
            getrandom::fill(&mut salt).map_err(|e| RegistryError::Key(e.to_string()))?;
            h.update(&salt);
            format!("d-{}", &hex(h.finalize().as_bytes())[..10])
        };
        let title = title
            .map(str::to_string)
            .unwrap_or_else(|| default_title(text));
        let doc = DocumentRecord {
            id,
            title,
            created_at,
            source_format,
            template,
            code_params: CodeParams::default(),
            rules,
        };
        let shingles = align::template_shingles(&doc.template);
        let detail = format!(
            "{} \"{}\" {}",
            doc.id,
            doc.title,
            integrity::template_note(&doc)?
        );
        // The document, its file and its entry together: without its file
        // it could not be issued as registered.
        self.audited(&mut |s, chain, actor| {
            s.put_document(&doc, &shingles)?;
            if let Some(src) = source {
                s.put_source(&doc.id, &src.bytes)?;
            }
            s.append_audit(chain, now(), actor, "doc.add", &detail)?;
            Ok(())
        })?;
        Ok((doc, report.author))
    }

    /// Switch rule classes off (or back on) for a document that has not
    /// been issued yet, and rebuild its template under the new rules.
    pub fn set_disabled_classes(
        &mut self,
        id: &str,
        disabled: &[telltale_core::Class],
    ) -> Result<DocumentRecord> {
        let mut doc = self.unissued(id)?;
        let mut disabled = disabled.to_vec();
        disabled.sort_by_key(|c| c.name());
        disabled.dedup();
        doc.rules.disabled = disabled;
        let names: Vec<&str> = doc.rules.disabled.iter().map(|c| c.name()).collect();
        let what = format!("{id}: classes off [{}]", names.join(","));
        self.rebuild(doc, "doc.rules", &what).map(|(d, _)| d)
    }

    /// Add an author slot to a document not yet issued, in any format: the
    /// `nth` (from 1) occurrence of `at` in its text may be worded as any of
    /// `alternatives` in a copy. Returns the document and the checks of
    /// every author alternative it now has.
    pub fn add_alternative(
        &mut self,
        id: &str,
        at: &str,
        nth: usize,
        alternatives: &[String],
    ) -> Result<(DocumentRecord, Vec<AuthorCheck>)> {
        let mut doc = self.unissued(id)?;
        if at.is_empty() {
            return Err(RegistryError::Invalid(
                "give the exact phrase to vary (--at)".into(),
            ));
        }
        let hits: Vec<usize> = doc
            .template
            .text
            .match_indices(at)
            .map(|(i, _)| i)
            .collect();
        let Some(&start) = hits.get(nth.max(1) - 1) else {
            return Err(RegistryError::Invalid(format!(
                "{at:?} occurs {} time(s) in {id}; choose --nth from 1 to {}",
                hits.len(),
                hits.len()
            )));
        };
        let mut forms = vec![at.to_string()];
        forms.extend(alternatives.iter().cloned());
        if forms
            .iter()
            .any(|f| f.contains("{{") || f.contains("}}") || f.contains('|'))
        {
            return Err(RegistryError::Invalid(
                "a wording cannot contain {{, }} or |".into(),
            ));
        }
        // The same checks as the inline syntax: it splits these wordings
        // back exactly as they are.
        telltale_core::author::parse(&format!("{{{{{}}}}}", forms.join("|")))?;
        let slot = AuthorSlot {
            start,
            end: start + at.len(),
            forms,
            passed: Vec::new(),
        };
        if let Some(k) = doc
            .rules
            .author
            .iter()
            .position(|a| a.start < slot.end && slot.start < a.end)
        {
            return Err(RegistryError::Invalid(format!(
                "that phrase overlaps author slot {}; remove it first",
                k + 1
            )));
        }
        let what = format!(
            "{id}: author slot at byte {start} ({} wordings)",
            slot.forms.len()
        );
        doc.rules.author.push(slot);
        doc.rules.author.sort_by_key(|a| a.start);
        self.rebuild(doc, "doc.alt", &what)
    }

    /// Remove author slot `n` (from 1, in text order) of a document not yet
    /// issued.
    pub fn remove_alternative(&mut self, id: &str, n: usize) -> Result<DocumentRecord> {
        let mut doc = self.unissued(id)?;
        if n == 0 || n > doc.rules.author.len() {
            return Err(RegistryError::Invalid(format!(
                "{id} has {} author slot(s); choose one from 1 to {}",
                doc.rules.author.len(),
                doc.rules.author.len()
            )));
        }
        let gone = doc.rules.author.remove(n - 1);
        let what = format!("{id}: author slot at byte {} removed", gone.start);
        self.rebuild(doc, "doc.alt", &what).map(|(d, _)| d)
    }

    /// A document whose variations may still change: none of its copies
    /// has been issued. A new wording after issue needs a new document.
    fn unissued(&self, id: &str) -> Result<DocumentRecord> {
        let doc = self.document(id)?;
        if !self.store.issuances(Some(id))?.is_empty() {
            return Err(StoreError::Conflict(format!(
                "{id} has been issued; its variations can no longer change (register the revised text as a new document, and issue that)"
            ))
            .into());
        }
        Ok(doc)
    }

    /// Rebuild `doc`'s template under its rules, fit it to its original
    /// file, and store it with an audit entry (`action`, `what`).
    fn rebuild(
        &mut self,
        mut doc: DocumentRecord,
        action: &str,
        what: &str,
    ) -> Result<(DocumentRecord, Vec<AuthorCheck>)> {
        let variety = detect_variety(&doc.template.text);
        let text = doc.template.text.clone();
        let (template, report) = self.gates.build(&doc.rules, variety, &text)?;
        doc.template = template;
        record_author_checks(&mut doc.rules.author, &report.author);
        if let Some(src) = self.source_of(&doc)? {
            doc.template = telltale_formats::fit(&doc.template, &src);
        }
        let shingles = align::template_shingles(&doc.template);
        let detail = format!("{what} {}", integrity::template_note(&doc)?);
        self.audited(&mut |s, chain, actor| {
            s.replace_document(&doc, &shingles)?;
            s.append_audit(chain, now(), actor, action, &detail)?;
            Ok(())
        })?;
        Ok((doc, report.author))
    }

    /// The shortest quote, in words, that would name its leaker among
    /// `recipients` holders at `threshold`: when retyped (lexical and
    /// punctuation layers survive) and when pasted (all layers survive).
    pub fn estimate_quote(
        &self,
        doc: &DocumentRecord,
        recipients: usize,
        threshold: f64,
    ) -> Result<(Option<usize>, Option<usize>)> {
        use telltale_core::estimate::shortest_identifying_quote_until;
        use telltale_core::Layer;
        let cb = Codebook::new(&self.key, &doc.id, &doc.template, doc.code_params)?;
        let n = recipients.max(2);
        let stop = || self.budget.spent();
        let estimate = |layers: &[Layer]| {
            shortest_identifying_quote_until(&doc.template, &cb, n, threshold, layers, &stop)
                .map_err(|_| RegistryError::Cancelled)
        };
        Ok((
            estimate(&[Layer::Lexical, Layer::Punctuation])?,
            estimate(&Layer::ALL)?,
        ))
    }

    pub fn document(&self, id: &str) -> Result<DocumentRecord> {
        self.store
            .document(id)?
            .ok_or_else(|| StoreError::NotFound(format!("document {id}")).into())
    }

    pub fn remove_document(&mut self, id: &str, force: bool) -> Result<()> {
        let detail = format!("{id}{}", if force { " (forced)" } else { "" });
        self.audited(&mut |s, chain, actor| {
            s.remove_document(id, force)?;
            s.append_audit(chain, now(), actor, "doc.remove", &detail)?;
            Ok(())
        })
    }
}

/// Whether `c` may not stand in a title, which is one printable line.
fn unfit_for_title(c: char) -> bool {
    crate::is_unprintable(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// A title for a document registered without one: its "Subject:" line
/// near the top if it has one, else its first line of words that is not a
/// classification marking.
fn default_title(text: &str) -> String {
    // A title is one printable line (see `register`): a tab, an escape or
    // a line separator in the text becomes a space, before a candidate is
    // judged empty.
    let printable = |l: &str| -> String {
        l.trim_start_matches('#')
            .chars()
            .map(|c| if unfit_for_title(c) { ' ' } else { c })
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let subject_of = |l: &str| {
        l.strip_prefix("Subject:")
            .or_else(|| l.strip_prefix("SUBJECT:"))
            .map(printable)
    };
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let subject = lines
        .iter()
        .take(20)
        .find_map(|l| subject_of(l).filter(|s| !s.is_empty()));
    // Else the first line of words that is neither a marking nor an empty
    // subject.
    let first_line = || {
        lines
            .iter()
            .find(|l| {
                l.chars().any(char::is_alphabetic)
                    && telltale_formats::classification(l).is_none()
                    && subject_of(l).is_none()
            })
            .map(|l| printable(l))
    };
    let Some(line) = subject.or_else(first_line) else {
        return "Untitled".to_string();
    };
    if line.chars().count() <= 120 {
        return line;
    }
    // Cut a long line at a word, not inside one.
    let cut: String = line.chars().take(120).collect();
    let at = cut.rfind(' ').unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end())
}

#[cfg(test)]
mod tests {
    #[test]
    fn default_titles_skip_markings_and_prefer_the_subject() {
        assert_eq!(
            super::default_title(telltale_core::sample::MEMO),
            "Kestria: coalition under strain ahead of the Salvik port agreement and the UN vote"
        );
        assert_eq!(
            super::default_title("SECRET\n\n# Budget notes\nText."),
            "Budget notes"
        );
        assert_eq!(super::default_title("\n\n"), "Untitled");
        assert_eq!(
            super::default_title("Budget\t\u{1b}[31m plan\u{2028}for Q3\n"),
            "Budget [31m plan for Q3"
        );
        assert_eq!(super::default_title("#\u{7}\u{7}"), "Untitled");
        // A subject of nothing printable is no subject.
        assert_eq!(
            super::default_title("Subject: \u{200E}\t\nBudget plan"),
            "Budget plan"
        );
        let long = "word ".repeat(40);
        let t = super::default_title(&long);
        assert!(t.ends_with("word…") && t.chars().count() <= 121, "{t}");
    }
}

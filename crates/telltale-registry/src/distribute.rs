//! Handing copies out: writing each recipient's copy to a directory and
//! recording its issuance in the transaction that completes the file (so an
//! interrupted run resumes exactly, and a copy issued before is written
//! again, never recorded twice), or recording copies issued without files
//! for the server to hand out through links and downloads.

use std::collections::HashMap;
use std::path::Path;

use telltale_core::{Codebook, FileFormat};
use telltale_store::{DocumentRecord, Issuance, StoreError};

use crate::copies::copy_bytes;
use crate::{files, hex, now, unique_ids, Registry, Result};

/// Where and how a distribution writes its copies.
struct Destination<'a> {
    out: &'a Path,
    format: FileFormat,
    mode: u32,
}

/// Result of a distribution run.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize)]
pub struct DistributeReport {
    /// Issued in this run: copy written and issuance recorded.
    pub written: usize,
    /// Already issued before this run, and the copy is in place: nothing
    /// written.
    pub already: usize,
    /// Already issued before this run, and the copy written now (its file
    /// was missing, or this run writes to another directory or format);
    /// the issuance stays recorded once. Copies are deterministic, so the
    /// bytes are those issued.
    pub rewritten: usize,
}

impl Registry {
    /// Write each recipient's copy to `out/<recipient id>.<format>` and record
    /// the issuance in the same transaction as the file is completed.
    /// Running it again writes only what is missing. Copies are private to
    /// their owner (0600); see [`Registry::distribute_with_mode`].
    pub fn distribute(
        &mut self,
        doc_id: &str,
        recipients: &[String],
        out: &Path,
        format: FileFormat,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<DistributeReport> {
        self.distribute_with_mode(
            doc_id,
            recipients,
            out,
            format,
            files::PRIVATE_FILE_MODE,
            progress,
        )
    }

    /// As [`Registry::distribute`], with the copies' file mode. A recipient
    /// named twice gets one copy. A copy already issued (in any format, to
    /// any directory) is written again where its file is not in place,
    /// with the same bytes, and its issuance is not recorded again.
    /// Files are created exclusively under a random name and renamed into
    /// place (see [`files`]), so a link planted in `out` is never followed.
    pub fn distribute_with_mode(
        &mut self,
        doc_id: &str,
        recipients: &[String],
        out: &Path,
        format: FileFormat,
        mode: u32,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<DistributeReport> {
        let recipients = unique_ids(recipients);
        let doc = self.document(doc_id)?;
        let names = self.names_of(&recipients)?;
        // Whoever may read the copies may list the directory.
        files::create_dir_with_mode(out, 0o700 | ((mode & 0o044) >> 2))?;
        files::remove_leftovers(out)?;
        let mut rep = DistributeReport::default();
        let to = Destination { out, format, mode };
        let done = self.distribute_to(&doc, &names, &to, progress, &mut rep);
        // The head once for the whole run, also when it stopped half way.
        let head = self.sync_head();
        done.and(head)?;
        if rep.rewritten > 0 {
            // Not a new issuance, but copies handed out again: on the record.
            self.audit(
                "distribute.again",
                &format!(
                    "{}: {} copies already issued written again to {} as {format}",
                    doc.id,
                    rep.rewritten,
                    out.display()
                ),
            )?;
        }
        Ok(rep)
    }

    /// Each recipient with their name now, the name their copy is issued
    /// under; `NotFound` for any unknown one.
    pub(crate) fn names_of(&self, recipients: &[String]) -> Result<Vec<(String, String)>> {
        recipients
            .iter()
            .map(|r| match self.store.recipient(r)? {
                Some(x) => Ok((x.id, x.name)),
                None => Err(StoreError::NotFound(format!("recipient {r}")).into()),
            })
            .collect()
    }

    fn distribute_to(
        &mut self,
        doc: &DocumentRecord,
        recipients: &[(String, String)],
        to: &Destination,
        progress: &mut dyn FnMut(usize, usize),
        rep: &mut DistributeReport,
    ) -> Result<()> {
        let Destination { out, format, mode } = *to;
        let cb = Codebook::new(&self.key, &doc.id, &doc.template, doc.code_params)?;
        let src = self.source_of(doc)?;
        let layout = self.layout_for(doc, format)?;
        let issued: HashMap<String, Issuance> = self
            .store
            .issuances(Some(&doc.id))?
            .into_iter()
            .map(|i| (i.recipient_id.clone(), i))
            .collect();
        let total = recipients.len();
        for (n, (r, name)) in recipients.iter().enumerate() {
            self.budget.check()?;
            let path = out.join(format!("{}.{format}", safe_file_name(r)));
            let render = || copy_bytes(doc, &cb, layout.as_ref(), src.as_ref(), r, format);
            match issued.get(r) {
                Some(i) => {
                    let recorded_here = i.path.as_deref() == Some(&*path.to_string_lossy());
                    if recorded_here && files::is_regular_file(&path) {
                        // Resuming: the file this issuance was completed with.
                        rep.already += 1;
                    } else {
                        let copy = render()?;
                        if files::holds(&path, &copy) {
                            rep.already += 1;
                        } else {
                            files::write_atomically(&path, &copy, mode)?;
                            rep.rewritten += 1;
                        }
                    }
                }
                None => {
                    let copy = render()?;
                    let content_hash = hex(&blake3::hash(&copy).as_bytes()[..16]);
                    let iss = Issuance {
                        document_id: doc.id.clone(),
                        recipient_id: r.clone(),
                        format,
                        issued_at: now(),
                        path: Some(path.to_string_lossy().into_owned()),
                        content_hash,
                        recipient_name: Some(name.clone()),
                    };
                    let mut write = || {
                        files::write_atomically(&path, &copy, mode)
                            .map_err(|e| StoreError::Backend(e.to_string()))
                    };
                    self.store
                        .record_issuance(&self.chain, &iss, &self.actor, &mut write)?;
                    rep.written += 1;
                }
            }
            progress(n + 1, total);
        }
        Ok(())
    }

    /// Record each recipient's copy of a document as issued without writing
    /// a file (the server hands copies out through links and downloads).
    /// Recipients who already have a copy are left as they are.
    pub fn issue(
        &mut self,
        doc_id: &str,
        recipients: &[String],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<DistributeReport> {
        let recipients = &unique_ids(recipients);
        let doc = self.document(doc_id)?;
        let names = self.names_of(recipients)?;
        let mut rep = DistributeReport::default();
        let done = self.issue_each(&doc, &names, progress, &mut rep);
        // The log's head once for the whole run, also when it stopped.
        let head = self.sync_head();
        done.and(head).map(|()| rep)
    }

    fn issue_each(
        &mut self,
        doc: &DocumentRecord,
        recipients: &[(String, String)],
        progress: &mut dyn FnMut(usize, usize),
        rep: &mut DistributeReport,
    ) -> Result<()> {
        let cb = Codebook::new(&self.key, &doc.id, &doc.template, doc.code_params)?;
        let issued: std::collections::HashSet<String> = self
            .store
            .issuances(Some(&doc.id))?
            .into_iter()
            .map(|i| i.recipient_id)
            .collect();
        for (n, (r, name)) in recipients.iter().enumerate() {
            self.budget.check()?;
            if issued.contains(r) {
                rep.already += 1;
            } else {
                let copy = doc.template.render(&cb.codeword(r))?;
                let iss = Issuance {
                    document_id: doc.id.clone(),
                    recipient_id: r.clone(),
                    format: FileFormat::Txt,
                    issued_at: now(),
                    path: None,
                    content_hash: hex(&blake3::hash(copy.as_bytes()).as_bytes()[..16]),
                    recipient_name: Some(name.clone()),
                };
                self.store
                    .record_issuance(&self.chain, &iss, &self.actor, &mut || Ok(()))?;
                rep.written += 1;
            }
            progress(n + 1, recipients.len());
        }
        Ok(())
    }
}

fn safe_file_name(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

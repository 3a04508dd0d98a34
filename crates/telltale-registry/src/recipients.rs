//! Recipients and lists in the registry: importing CSV (parsed on its own
//! in `import`), adding one, naming lists. Every new recipient, rename and
//! change of address is its own audit entry, written in the transaction
//! that makes it, so `audit verify` can read names against the log.

use telltale_store::{ChainKey, Recipient, Store, StoreError, Upsert};

use crate::import::valid_recipient;
use crate::{
    integrity, is_unprintable, now, parse_recipients_csv, ParsedCsv, Registry, RegistryError,
    Result,
};

/// Result of importing recipients from CSV.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize)]
pub struct ImportReport {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// (line number, reason)
    pub rejected: Vec<(usize, String)>,
}

impl Registry {
    /// Import recipients from CSV text with a header and columns
    /// `id,name[,email]`. Bad rows are reported with their line numbers and
    /// never stop the good ones. A quote that is never closed is refused
    /// before anything is imported: CSV would read every later row into
    /// that one field.
    pub fn import_recipients(&mut self, csv_text: &str) -> Result<ImportReport> {
        let ParsedCsv { rows, rejected } = parse_recipients_csv(csv_text, &self.budget)?;
        let mut rep = ImportReport {
            rejected,
            ..ImportReport::default()
        };
        // Every row and its entries in one transaction, and one head.
        let rejected = rep.rejected.len();
        let mut counts = (0, 0, 0);
        self.audited(&mut |s, chain, actor| {
            counts = (0, 0, 0);
            for r in &rows {
                match upsert_audited(s, chain, actor, r)? {
                    Upsert::Added => counts.0 += 1,
                    Upsert::Updated => counts.1 += 1,
                    Upsert::Unchanged => counts.2 += 1,
                }
            }
            s.append_audit(
                chain,
                now(),
                actor,
                "recipients.import",
                &format!(
                    "{} added, {} updated, {} unchanged, {rejected} rejected",
                    counts.0, counts.1, counts.2
                ),
            )?;
            Ok(())
        })?;
        (rep.added, rep.updated, rep.unchanged) = counts;
        Ok(rep)
    }

    pub fn add_recipient(&mut self, r: &Recipient) -> Result<Upsert> {
        valid_recipient(&r.id, &r.name, r.email.as_deref()).map_err(RegistryError::Invalid)?;
        let mut done = Upsert::Unchanged;
        self.audited(&mut |s, chain, actor| {
            done = upsert_audited(s, chain, actor, r)?;
            Ok(())
        })?;
        Ok(done)
    }

    pub fn create_list(&mut self, name: &str, members: &[String]) -> Result<()> {
        if name.trim().is_empty() {
            return Err(RegistryError::Invalid("a list needs a name".into()));
        }
        if let Some(c) = name.chars().find(|&c| is_unprintable(c)) {
            return Err(RegistryError::Invalid(format!(
                "a list name may not contain control characters (it has U+{:04X})",
                c as u32
            )));
        }
        self.store.put_list(name, members)?;
        self.audit(
            "lists.create",
            &format!("{name}: {} members", members.len()),
        )
    }

    /// Every recipient of a list, or `NotFound`.
    pub fn list_members(&self, name: &str) -> Result<Vec<String>> {
        self.store
            .list(name)?
            .ok_or_else(|| StoreError::NotFound(format!("list {name}")).into())
    }
}

/// Add or change a recipient with an entry for each change: its creation
/// (with its name), or its old and new name or e-mail address.
fn upsert_audited(
    s: &mut dyn Store,
    chain: &ChainKey,
    actor: &str,
    r: &Recipient,
) -> telltale_store::Result<Upsert> {
    let old = s.recipient(&r.id)?;
    let done = s.upsert_recipient(r)?;
    let at = now();
    match old {
        None => {
            s.append_audit(
                chain,
                at,
                actor,
                "recipient.create",
                &integrity::recipient_detail(r),
            )?;
        }
        Some(old) => {
            if old.name != r.name {
                s.append_audit(
                    chain,
                    at,
                    actor,
                    "recipient.rename",
                    &integrity::change_detail(&r.id, Some(&old.name), Some(&r.name)),
                )?;
            }
            if old.email != r.email {
                s.append_audit(
                    chain,
                    at,
                    actor,
                    "recipient.email",
                    &integrity::change_detail(&r.id, old.email.as_deref(), r.email.as_deref()),
                )?;
            }
        }
    }
    Ok(done)
}

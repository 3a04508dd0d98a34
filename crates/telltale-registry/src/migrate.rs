//! A registry's records copied to another database: from the embedded
//! SQLite file to a PostgreSQL server that several server processes share
//! (`telltale migrate-store`), or back into SQLite for a backup.
//!
//! Everything that lasts is copied as it is, in one transaction on each
//! side: documents with their shingles and sources, recipients and lists,
//! issuances, links, traces with their inputs, users and API tokens, the
//! key fingerprint, and the audit log entry for entry, seals and all. The
//! copy is then verified on the far side with the same checks as `audit
//! verify`: the chain under this registry's key, the head in the home, and
//! every issuance, name and template against the log. What is transient is
//! not copied: sessions (users sign in again), sign-in attempts and
//! background jobs.

use telltale_store::{Backend, Store, StoreError};

use crate::{integrity, Location, Registry, RegistryError, Result};

/// What a copy holds, once verified.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MigrateSummary {
    /// Where the records went.
    pub database: String,
    pub documents: usize,
    pub recipients: usize,
    pub issuances: usize,
    pub traces: usize,
    pub users: usize,
    /// Entries of the copy's audit log, all verified.
    pub audit_entries: usize,
}

impl Registry {
    /// Copy every lasting record into `target`, which must hold no
    /// registry, verify the copy, and note it in both logs. The registry
    /// keeps working here; point the servers at the copy once it is done.
    pub fn migrate_to(&mut self, target: std::sync::Arc<dyn Backend>) -> Result<MigrateSummary> {
        let mut summary = self.copy_records(target.as_ref())?;
        let mut copy = Registry::with(
            &Location::new(self.home(), target.clone()),
            target.connect(false)?,
            self.key.clone(),
        );
        summary.audit_entries = copy.verify_audit()?.map_err(|(seq, why)| {
            RegistryError::Invalid(format!(
                "the copy in {} does not verify: entry {seq} {why}",
                summary.database
            ))
        })?;
        let detail = format!(
            "to {}: {} documents, {} recipients, {} issuances, {} traces, {} audit entries",
            summary.database,
            summary.documents,
            summary.recipients,
            summary.issuances,
            summary.traces,
            summary.audit_entries
        );
        // The same entry ends both logs, so that each says where the
        // registry went, and the home's head agrees with either. If this
        // registry changed since the copy was taken, the copy no longer
        // follows it and is refused here.
        let mut entry = None;
        self.audited(&mut |s, chain, actor| {
            entry = Some(s.append_audit(chain, crate::now(), actor, "store.migrate", &detail)?);
            Ok(())
        })?;
        if let Some(e) = entry {
            copy.store.import_audit(&e).map_err(|_| {
                RegistryError::Invalid(format!(
                    "the registry changed while it was copied to {}; copy it again into an empty database",
                    summary.database
                ))
            })?;
        }
        Ok(summary)
    }

    /// Copy every lasting record into `target` (see the module doc), in
    /// one transaction on each side, without verifying it. The audit
    /// count is the entries copied.
    pub(crate) fn copy_records(&mut self, target: &dyn Backend) -> Result<MigrateSummary> {
        let database = target.describe();
        let mut to = target.connect(true)?;
        let mut summary = None;
        self.store.atomically(&mut |from| {
            to.atomically(&mut |to| {
                summary = Some(copy_all(from, to, &database)?);
                Ok(())
            })
        })?;
        summary.ok_or_else(|| RegistryError::Invalid(format!("nothing was copied to {database}")))
    }
}

fn copy_all(
    from: &mut dyn Store,
    to: &mut dyn Store,
    database: &str,
) -> telltale_store::Result<MigrateSummary> {
    if to.meta(integrity::FINGERPRINT)?.is_some()
        || to.last_audit()?.is_some()
        || !to.documents()?.is_empty()
        || !to.recipients()?.is_empty()
        || !to.users()?.is_empty()
    {
        return Err(StoreError::Conflict(format!(
            "the database {database} already holds a registry; copy into an empty one"
        )));
    }
    if let Some(fingerprint) = from.meta(integrity::FINGERPRINT)? {
        to.put_meta(integrity::FINGERPRINT, &fingerprint)?;
    }
    let documents = from.documents()?;
    for d in &documents {
        let record = from
            .document(&d.id)?
            .ok_or_else(|| StoreError::NotFound(format!("document {}", d.id)))?;
        to.put_document(&record, &from.shingles(&d.id)?)?;
        if let Some(bytes) = from.source(&d.id)? {
            to.put_source(&d.id, &bytes)?;
        }
    }
    let recipients = from.recipients()?;
    for r in &recipients {
        to.upsert_recipient(r)?;
    }
    for (name, _) in from.lists()? {
        if let Some(members) = from.list(&name)? {
            to.put_list(&name, &members)?;
        }
    }
    let issuances = from.issuances(None)?;
    for i in &issuances {
        to.import_issuance(i)?;
    }
    for l in from.links(None)? {
        to.put_link(&l)?;
    }
    let traces = from.traces()?;
    for t in &traces {
        to.import_trace(t)?;
        if let Some(input) = from.trace_input(t.id)? {
            to.put_trace_input(t.id, &input)?;
        }
    }
    let users = from.users()?;
    for u in &users {
        to.put_user(u)?;
    }
    for t in from.api_tokens()? {
        to.put_api_token(&t)?;
    }
    let log = from.audit_log()?;
    for e in &log {
        to.import_audit(e)?;
    }
    Ok(MigrateSummary {
        database: database.to_string(),
        documents: documents.len(),
        recipients: recipients.len(),
        issuances: issuances.len(),
        traces: traces.len(),
        users: users.len(),
        audit_entries: log.len(),
    })
}

//! The embedded backend: one SQLite file in the registry home.
//!
//! Durability over speed: write-ahead logging with full synchronisation, so
//! a crash never loses a committed issuance. The schema is versioned with
//! `PRAGMA user_version`; opening an older registry upgrades it in one
//! transaction, opening a newer one is refused with a message that says so.
//!
//! This file holds the connection and its transactions, and implements
//! [`Store`] by handing each method to the module of what it keeps:
//! `schema` (migrations, opening, snapshots), `documents` (templates,
//! shingles, sources, issuances, links), `recipients` (and lists),
//! `traces`, `accounts` (users, sessions, tokens, sign-in attempts),
//! `jobs` (background work) and `audit` (the append-only log). There is one
//! `impl` block per part of the trait.

// A library answers bad input with an error, never a panic.
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod accounts;
mod audit;
mod documents;
mod files;
mod jobs;
mod recipients;
mod schema;
mod traces;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use telltale_store::prelude::*;
use telltale_store::{
    ApiToken, AuditEntry, ChainKey, DocumentRecord, DocumentSummary, Issuance, JobRecord, Link,
    Recipient, Reservation, Result, Session, StoreError, TraceRecord, Upsert, User,
};

pub use schema::{MIGRATIONS, SCHEMA_VERSION};

fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Backend(e.to_string()))
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// Connections to one SQLite file: the embedded default, in the registry
/// home.
#[derive(Debug, Clone)]
pub struct SqliteBackend {
    path: std::path::PathBuf,
}

impl SqliteBackend {
    pub fn new(path: impl Into<std::path::PathBuf>) -> SqliteBackend {
        SqliteBackend { path: path.into() }
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

impl Backend for SqliteBackend {
    fn connect(&self, create: bool) -> Result<Box<dyn Store + Send>> {
        Ok(Box::new(if create {
            SqliteStore::open(&self.path)?
        } else {
            SqliteStore::open_existing(&self.path)?
        }))
    }

    fn describe(&self) -> String {
        self.path.display().to_string()
    }
}

/// A registry in a SQLite file.
pub struct SqliteStore {
    conn: Connection,
    version: u32,
    /// How many [`Store::atomically`] calls are running (nested calls join
    /// the outermost one's transaction).
    depth: u32,
}

/// A transaction of one method: its own when the connection has none, a
/// savepoint inside the caller's when it runs within [`Store::atomically`].
enum Tx<'c> {
    Own(rusqlite::Transaction<'c>),
    Nested(rusqlite::Savepoint<'c>),
}

impl std::ops::Deref for Tx<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        match self {
            Tx::Own(t) => t,
            Tx::Nested(s) => s,
        }
    }
}

impl Tx<'_> {
    fn commit(self) -> Result<()> {
        match self {
            Tx::Own(t) => t.commit(),
            Tx::Nested(s) => s.commit(),
        }
        .map_err(db)
    }
}

fn begin(conn: &mut Connection, behavior: TransactionBehavior) -> Result<Tx<'_>> {
    if conn.is_autocommit() {
        conn.transaction_with_behavior(behavior)
            .map(Tx::Own)
            .map_err(db)
    } else {
        conn.savepoint().map(Tx::Nested).map_err(db)
    }
}

impl Store for SqliteStore {
    fn schema_version(&self) -> u32 {
        self.version
    }

    fn atomically(&mut self, work: &mut dyn FnMut(&mut dyn Store) -> Result<()>) -> Result<()> {
        if self.depth > 0 {
            return work(self);
        }
        if !self.conn.is_autocommit() {
            // Left open by a unit of work that never returned (a panic):
            // what it did was never committed, and must not be now.
            self.conn.execute_batch("ROLLBACK").map_err(db)?;
        }
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(db)?;
        self.depth = 1;
        let done = work(self);
        self.depth = 0;
        match done {
            Ok(()) => self.conn.execute_batch("COMMIT").map_err(|e| {
                let _ = self.conn.execute_batch("ROLLBACK");
                db(e)
            }),
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    fn meta(&self, name: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
            .map_err(db)
    }

    fn put_meta(&mut self, name: &str, value: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO meta (name, value) VALUES (?1, ?2)",
                params![name, value],
            )
            .map_err(db)?;
        Ok(())
    }
}

impl DocumentStore for SqliteStore {
    fn put_document(&mut self, doc: &DocumentRecord, shingles: &[u64]) -> Result<()> {
        documents::put_document(&mut self.conn, doc, shingles)
    }

    fn document(&self, id: &str) -> Result<Option<DocumentRecord>> {
        documents::document(&self.conn, id)
    }

    fn documents(&self) -> Result<Vec<DocumentSummary>> {
        documents::documents(&self.conn)
    }

    fn remove_document(&mut self, id: &str, force: bool) -> Result<()> {
        documents::remove_document(&mut self.conn, id, force)
    }

    fn candidate_documents(&self, shingles: &[u64], limit: usize) -> Result<Vec<(String, usize)>> {
        documents::candidate_documents(&self.conn, shingles, limit)
    }

    fn shingles(&self, id: &str) -> Result<Vec<u64>> {
        documents::shingles(&self.conn, id)
    }

    fn replace_document(&mut self, doc: &DocumentRecord, shingles: &[u64]) -> Result<()> {
        documents::replace_document(&mut self.conn, doc, shingles)
    }

    fn put_source(&mut self, document_id: &str, bytes: &[u8]) -> Result<()> {
        documents::put_source(&self.conn, document_id, bytes)
    }

    fn source(&self, document_id: &str) -> Result<Option<Vec<u8>>> {
        documents::source(&self.conn, document_id)
    }
}

impl RecipientStore for SqliteStore {
    fn upsert_recipient(&mut self, r: &Recipient) -> Result<Upsert> {
        recipients::upsert_recipient(&self.conn, r)
    }

    fn recipient(&self, id: &str) -> Result<Option<Recipient>> {
        recipients::recipient(&self.conn, id)
    }

    fn recipients(&self) -> Result<Vec<Recipient>> {
        recipients::recipients(&self.conn)
    }

    fn put_list(&mut self, name: &str, members: &[String]) -> Result<()> {
        recipients::put_list(&mut self.conn, name, members)
    }

    fn list(&self, name: &str) -> Result<Option<Vec<String>>> {
        recipients::list(&self.conn, name)
    }

    fn lists(&self) -> Result<Vec<(String, usize)>> {
        recipients::lists(&self.conn)
    }

    fn record_issuance(
        &mut self,
        key: &ChainKey,
        i: &Issuance,
        actor: &str,
        complete: &mut dyn FnMut() -> Result<()>,
    ) -> Result<AuditEntry> {
        documents::record_issuance(&mut self.conn, key, i, actor, complete)
    }

    fn import_issuance(&mut self, i: &Issuance) -> Result<()> {
        documents::import_issuance(&self.conn, i)
    }

    fn issuances(&self, document_id: Option<&str>) -> Result<Vec<Issuance>> {
        documents::issuances(&self.conn, document_id)
    }

    fn holders(&self, document_id: &str) -> Result<Vec<String>> {
        documents::holders(&self.conn, document_id)
    }

    fn holder_count(&self, document_id: &str) -> Result<u64> {
        documents::holder_count(&self.conn, document_id)
    }

    fn issued_name(&self, document_id: &str, recipient_id: &str) -> Result<Option<String>> {
        documents::issued_name(&self.conn, document_id, recipient_id)
    }

    fn put_link(&mut self, l: &Link) -> Result<()> {
        documents::put_link(&self.conn, l)
    }

    fn link(&self, id: &str) -> Result<Option<Link>> {
        documents::link(&self.conn, id)
    }

    fn link_by_token(&self, token_hash: &str) -> Result<Option<Link>> {
        documents::link_by_token(&self.conn, token_hash)
    }

    fn links(&self, document_id: Option<&str>) -> Result<Vec<Link>> {
        documents::links(&self.conn, document_id)
    }

    fn revoke_link(&mut self, id: &str) -> Result<()> {
        documents::revoke_link(&self.conn, id)
    }

    fn revoke_recipient_links(&mut self, document_id: &str, recipient_id: &str) -> Result<usize> {
        documents::revoke_recipient_links(&self.conn, document_id, recipient_id)
    }

    fn count_link_view(&mut self, id: &str) -> Result<()> {
        documents::count_link_view(&self.conn, id)
    }
}

impl TraceStore for SqliteStore {
    fn record_trace(
        &mut self,
        at: i64,
        input_hash: &str,
        input_bytes: usize,
        result: &serde_json::Value,
    ) -> Result<i64> {
        traces::record_trace(&self.conn, at, input_hash, input_bytes, result)
    }

    fn import_trace(&mut self, t: &TraceRecord) -> Result<()> {
        traces::import_trace(&self.conn, t)
    }

    fn traces(&self) -> Result<Vec<TraceRecord>> {
        traces::traces(&self.conn)
    }

    fn trace(&self, id: i64) -> Result<Option<TraceRecord>> {
        traces::trace(&self.conn, id)
    }

    fn put_trace_input(&mut self, id: i64, input: &str) -> Result<()> {
        traces::put_trace_input(&self.conn, id, input)
    }

    fn trace_input(&self, id: i64) -> Result<Option<String>> {
        traces::trace_input(&self.conn, id)
    }
}

impl AuditStore for SqliteStore {
    fn append_audit(
        &mut self,
        key: &ChainKey,
        at: i64,
        actor: &str,
        action: &str,
        detail: &str,
    ) -> Result<AuditEntry> {
        audit::append_audit(&mut self.conn, key, at, actor, action, detail)
    }

    fn import_audit(&mut self, e: &AuditEntry) -> Result<()> {
        audit::import_audit(&mut self.conn, e)
    }

    fn audit_log(&self) -> Result<Vec<AuditEntry>> {
        audit::audit_log(&self.conn)
    }

    fn audit_entry(&self, seq: i64) -> Result<Option<AuditEntry>> {
        audit::audit_entry(&self.conn, seq)
    }

    fn last_audit(&self) -> Result<Option<AuditEntry>> {
        audit::last_entry(&self.conn)
    }

    fn audit_guard_problems(&self) -> Result<Vec<String>> {
        audit::guard_problems(&self.conn)
    }
}

impl AccountStore for SqliteStore {
    fn put_user(&mut self, u: &User) -> Result<()> {
        accounts::put_user(&self.conn, u)
    }

    fn update_user(&mut self, u: &User) -> Result<()> {
        accounts::update_user(&self.conn, u)
    }

    fn user(&self, name: &str) -> Result<Option<User>> {
        accounts::user(&self.conn, name)
    }

    fn users(&self) -> Result<Vec<User>> {
        accounts::users(&self.conn)
    }

    fn put_session(&mut self, s: &Session) -> Result<()> {
        accounts::put_session(&mut self.conn, s)
    }

    fn session(&self, token_hash: &str) -> Result<Option<Session>> {
        accounts::session(&self.conn, token_hash)
    }

    fn delete_session(&mut self, token_hash: &str) -> Result<()> {
        accounts::delete_session(&self.conn, token_hash)
    }

    fn put_api_token(&mut self, t: &ApiToken) -> Result<()> {
        accounts::put_api_token(&self.conn, t)
    }

    fn api_token(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        accounts::api_token(&self.conn, token_hash)
    }

    fn api_tokens(&self) -> Result<Vec<ApiToken>> {
        accounts::api_tokens(&self.conn)
    }

    fn revoke_api_token(&mut self, id: &str) -> Result<()> {
        accounts::revoke_api_token(&self.conn, id)
    }

    fn revoke_credentials(&mut self, user: &str) -> Result<(usize, usize)> {
        accounts::revoke_credentials(&mut self.conn, user)
    }

    fn reserve_sign_in(
        &mut self,
        keys: &[String],
        at: i64,
        since: i64,
        max: u32,
    ) -> Result<Reservation> {
        accounts::reserve_sign_in(&mut self.conn, keys, at, since, max)
    }

    fn clear_sign_in(&mut self, attempt: i64, key: &str) -> Result<()> {
        accounts::clear_sign_in(&self.conn, attempt, key)
    }
}

impl JobStore for SqliteStore {
    fn put_job(&mut self, j: &JobRecord) -> Result<i64> {
        jobs::put_job(&self.conn, j)
    }

    fn job(&self, id: i64) -> Result<Option<JobRecord>> {
        jobs::job(&self.conn, id)
    }

    fn claim_stale_job(
        &mut self,
        worker: &str,
        at: i64,
        stale_before: i64,
    ) -> Result<Option<JobRecord>> {
        jobs::claim_stale_job(&mut self.conn, worker, at, stale_before)
    }

    fn update_job(&mut self, j: &JobRecord) -> Result<bool> {
        jobs::update_job(&self.conn, j)
    }

    fn forget_jobs(&mut self, before: i64) -> Result<usize> {
        jobs::forget_jobs(&self.conn, before)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_story() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = SqliteStore::open(&dir.path().join("registry.db")).unwrap();
        telltale_store::story::run(&mut s);
    }
}

//! The PostgreSQL backend: one database shared by several server processes.
//!
//! It behaves as the SQLite backend does, method for method: the same
//! errors, the same order of every list, the same transactions. What
//! differs is how writers are kept apart. SQLite's `BEGIN IMMEDIATE` takes
//! the one write lock of its file; here every write takes a transaction-
//! scoped advisory lock, [`WRITE_LOCK`], right after `BEGIN`, so that
//! writes are serialised across every process on the database: audit
//! entries are chained one after another, issuances and sign-in
//! reservations check and write with nobody in between. Reads take no lock.
//! Because writers are serialised, ids are given as SQLite gives its rowids
//! (one more than the largest), with no sequences.
//!
//! A method called on its own is one transaction; inside
//! [`Store::atomically`] it is a savepoint of the caller's transaction, so
//! that a method that fails (a conflict, say) undoes only itself, as a
//! SQLite savepoint does, and the caller may carry on.
//!
//! The schema is versioned by its own numbering (see [`schema`]); opening
//! an older database upgrades it in one transaction under the write lock,
//! a newer one is refused.
//!
//! This file holds the connection and its transactions; each sub-trait of
//! [`Store`] is implemented in the module of what it keeps: `documents`,
//! `recipients` (with lists, issuances and reading-room links), `traces`,
//! `accounts`, `audit` and `jobs`. [`scratch`] makes throwaway databases
//! for tests.
//!
//! The library answers bad input and a broken connection with errors, never
//! a panic: a server process keeps serving other requests.

// A library answers bad input with an error, never a panic.
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod accounts;
mod audit;
mod backend;
mod documents;
mod jobs;
mod links;
mod recipients;
pub mod schema;
pub mod scratch;
mod traces;

use std::cell::RefCell;
use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};

use postgres::types::{FromSql, ToSql};
use postgres::{Client, Row, Statement};
use telltale_store::{Result, Store, StoreError};

pub use backend::{describe_url, PostgresBackend};
pub use schema::{MIGRATIONS, SCHEMA_VERSION};

/// The advisory lock every write holds until its transaction ends (the
/// bytes of "telltale"). Any other program that writes to the registry's
/// tables must take it too.
pub const WRITE_LOCK: i64 = 0x7465_6c6c_7461_6c65;

/// Begin a transaction holding the write lock: one round trip.
const BEGIN_LOCKED: &str = "BEGIN; SELECT pg_advisory_xact_lock(8387229094112226405)";

/// Commit, unless a statement failed in the transaction: PostgreSQL answers
/// `COMMIT` of a failed transaction by rolling it back without an error,
/// while `SELECT 1` in it fails, and the `COMMIT` after it is then not run.
const COMMIT_CHECKED: &str = "SELECT 1; COMMIT";

fn db(e: postgres::Error) -> StoreError {
    StoreError::Backend(error_text(&e))
}

/// A driver error in words: the server's message when it sent one (the
/// driver's own `Display` says only "db error"), else the error and its
/// causes.
pub(crate) fn error_text(e: &postgres::Error) -> String {
    if let Some(d) = e.as_db_error() {
        let mut s = d.message().to_string();
        if let Some(detail) = d.detail() {
            s.push_str(" (");
            s.push_str(detail);
            s.push(')');
        }
        return s;
    }
    let mut s = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

/// Whether `e` is the server refusing a row for a constraint of `state`.
fn is_state(e: &postgres::Error, state: &postgres::error::SqlState) -> bool {
    e.code() == Some(state)
}

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Backend(e.to_string()))
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// Column `i` of a row; a value of the wrong type is damage, not a panic.
fn col<'a, T: FromSql<'a>>(r: &'a Row, i: usize) -> Result<T> {
    r.try_get(i)
        .map_err(|e| StoreError::Corrupt(format!("column {i}: {}", error_text(&e))))
}

type Params<'a> = [&'a (dyn ToSql + Sync)];

/// The connection, with its statements prepared once each.
pub(crate) struct Conn {
    /// `None` only while it is dropped (see the `Drop` impl).
    client: Option<Client>,
    statements: HashMap<&'static str, Statement>,
}

impl Conn {
    fn new(client: Client) -> Conn {
        Conn {
            client: Some(client),
            statements: HashMap::new(),
        }
    }

    fn client(&mut self) -> &mut Client {
        match &mut self.client {
            Some(c) => c,
            // Taken only by `drop`, after which nothing calls this.
            None => unreachable!("the connection is used after it was dropped"),
        }
    }

    fn prepared(&mut self, sql: &'static str) -> std::result::Result<Statement, postgres::Error> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client().prepare(sql)?;
        self.statements.insert(sql, s.clone());
        Ok(s)
    }

    pub(crate) fn query(&mut self, sql: &'static str, params: &Params) -> Result<Vec<Row>> {
        let st = self.prepared(sql).map_err(db)?;
        self.client().query(&st, params).map_err(db)
    }

    pub(crate) fn query_opt(&mut self, sql: &'static str, params: &Params) -> Result<Option<Row>> {
        let st = self.prepared(sql).map_err(db)?;
        self.client().query_opt(&st, params).map_err(db)
    }

    pub(crate) fn query_one(&mut self, sql: &'static str, params: &Params) -> Result<Row> {
        let st = self.prepared(sql).map_err(db)?;
        self.client().query_one(&st, params).map_err(db)
    }

    pub(crate) fn execute(&mut self, sql: &'static str, params: &Params) -> Result<u64> {
        self.execute_raw(sql, params).map_err(db)
    }

    /// As [`Conn::execute`], with the driver's error, for callers that tell
    /// a refused row (a conflict) from other failures.
    pub(crate) fn execute_raw(
        &mut self,
        sql: &'static str,
        params: &Params,
    ) -> std::result::Result<u64, postgres::Error> {
        let st = self.prepared(sql)?;
        self.client().execute(&st, params)
    }

    pub(crate) fn batch(&mut self, sql: &str) -> Result<()> {
        self.client().batch_execute(sql).map_err(db)
    }
}

impl Drop for Conn {
    /// The driver closes its connection by blocking on a runtime of its
    /// own, which panics on a thread that drives async tasks (a server's,
    /// as it shuts down). There the connection is closed on a thread of
    /// its own instead, and waited for: a process that exits right after
    /// would otherwise cut the connection before the server heard goodbye.
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        if tokio::runtime::Handle::try_current().is_err() {
            return drop(client);
        }
        let slot = std::sync::Arc::new(std::sync::Mutex::new(Some(client)));
        let theirs = slot.clone();
        let closing = std::thread::Builder::new()
            .name("telltale-pg-close".into())
            .spawn(move || {
                if let Ok(mut c) = theirs.lock() {
                    drop(c.take());
                }
            });
        match closing {
            // Closing writes a goodbye and shuts the socket, waiting for no
            // answer; this runs when a handle is let go on an async thread,
            // which happens as the server stops.
            Ok(closing) => {
                let _ = closing.join();
            }
            // No thread to close it on: the socket is left to the
            // operating system rather than closed here with a panic.
            Err(_) => {
                if let Ok(mut c) = slot.lock() {
                    std::mem::forget(c.take());
                }
            }
        }
    }
}

/// A registry in a PostgreSQL database.
pub struct PostgresStore {
    conn: RefCell<Conn>,
    version: u32,
    /// How many [`Store::atomically`] calls are running (nested calls join
    /// the outermost one's transaction).
    depth: u32,
    /// Where the database is, without the password.
    described: String,
}

impl PostgresStore {
    /// Where the database is, for messages (never with a password).
    pub fn describe(&self) -> &str {
        &self.described
    }

    /// The connection, for a read. Reads take no lock: each statement sees
    /// what was committed when it began (inside [`Store::atomically`], the
    /// transaction's own changes too).
    fn read(&self) -> Result<std::cell::RefMut<'_, Conn>> {
        self.conn
            .try_borrow_mut()
            .map_err(|_| StoreError::Backend("the connection is in use".into()))
    }

    /// Run `work` as one write: its own transaction holding [`WRITE_LOCK`],
    /// or a savepoint of the caller's inside [`Store::atomically`]. Nothing
    /// it did is kept unless it returns `Ok`, and a panic in it rolls back
    /// before it carries on unwinding.
    fn write<T>(&mut self, work: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
        let nested = self.depth > 0;
        let conn = self.conn.get_mut();
        let (begin, commit, rollback) = if nested {
            (
                "SAVEPOINT telltale_write",
                "RELEASE SAVEPOINT telltale_write",
                "ROLLBACK TO SAVEPOINT telltale_write; RELEASE SAVEPOINT telltale_write",
            )
        } else {
            (BEGIN_LOCKED, COMMIT_CHECKED, "ROLLBACK")
        };
        if let Err(e) = conn.batch(begin) {
            if !nested {
                let _ = conn.batch("ROLLBACK");
            }
            return Err(e);
        }
        let done = panic::catch_unwind(AssertUnwindSafe(|| work(&mut *conn)));
        finish(conn, done, commit, rollback)
    }
}

/// Commit or roll back after `done`, and carry on unwinding a panic once
/// the transaction is rolled back.
fn finish<T>(
    conn: &mut Conn,
    done: std::thread::Result<Result<T>>,
    commit: &str,
    rollback: &str,
) -> Result<T> {
    match done {
        Ok(Ok(v)) => match conn.batch(commit) {
            Ok(()) => Ok(v),
            Err(e) => {
                let _ = conn.batch(rollback);
                Err(e)
            }
        },
        Ok(Err(e)) => {
            let _ = conn.batch(rollback);
            Err(e)
        }
        Err(p) => {
            let _ = conn.batch(rollback);
            panic::resume_unwind(p)
        }
    }
}

impl Store for PostgresStore {
    fn schema_version(&self) -> u32 {
        self.version
    }

    fn atomically(&mut self, work: &mut dyn FnMut(&mut dyn Store) -> Result<()>) -> Result<()> {
        if self.depth > 0 {
            return work(self);
        }
        let conn = self.conn.get_mut();
        if let Err(e) = conn.batch(BEGIN_LOCKED) {
            let _ = conn.batch("ROLLBACK");
            return Err(e);
        }
        self.depth = 1;
        let done = panic::catch_unwind(AssertUnwindSafe(|| work(&mut *self)));
        self.depth = 0;
        finish(self.conn.get_mut(), done, COMMIT_CHECKED, "ROLLBACK")
    }

    fn meta(&self, name: &str) -> Result<Option<String>> {
        self.read()?
            .query_opt("SELECT value FROM meta WHERE name = $1", &[&name])?
            .map(|r| col(&r, 0))
            .transpose()
    }

    fn put_meta(&mut self, name: &str, value: &str) -> Result<()> {
        self.write(|c| {
            c.execute(
                "INSERT INTO meta (name, value) VALUES ($1, $2)
                 ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
                &[&name, &value],
            )
            .map(drop)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_in_the_sql_is_the_published_one() {
        assert!(BEGIN_LOCKED.contains(&WRITE_LOCK.to_string()));
    }

    #[test]
    fn a_failed_transaction_is_not_reported_committed() {
        let Some(db) = scratch::ScratchDatabase::create() else {
            return;
        };
        let mut c = Conn::new(db.connect());
        c.batch("CREATE TABLE t (x INT)").unwrap();
        // What COMMIT_CHECKED is for: a plain COMMIT of a failed
        // transaction "succeeds", and rolls back.
        c.batch(BEGIN_LOCKED).unwrap();
        c.batch("INSERT INTO t VALUES (1)").unwrap();
        assert!(c.batch("SELECT 1 / 0").is_err());
        assert!(c.batch("COMMIT").is_ok());
        c.batch(BEGIN_LOCKED).unwrap();
        c.batch("INSERT INTO t VALUES (1)").unwrap();
        assert!(c.batch("SELECT 1 / 0").is_err());
        assert!(c.batch(COMMIT_CHECKED).is_err());
        c.batch("ROLLBACK").unwrap();
        c.batch(BEGIN_LOCKED).unwrap();
        c.batch("INSERT INTO t VALUES (2)").unwrap();
        c.batch(COMMIT_CHECKED).unwrap();
        let rows = c.client().query("SELECT x FROM t", &[]).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].get::<_, i32>(0), 2);
    }
}

//! The embedded backend: one SQLite file in the registry home.
//!
//! Durability over speed: write-ahead logging with full synchronisation, so
//! a crash never loses a committed issuance. The schema is versioned with
//! `PRAGMA user_version`; opening an older registry upgrades it in one
//! transaction, opening a newer one is refused with a message that says so.

// A library answers bad input with an error, never a panic.
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod files;

use std::path::Path;

mod audit;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use telltale_store::{
    issuance_detail, ApiToken, AuditEntry, ChainKey, DocumentRecord, DocumentSummary, Issuance,
    Link, Recipient, Reservation, Result, Role, Session, Store, StoreError, TraceRecord, Upsert,
    User,
};

use audit::{append_audit_in, audit_row, AUDIT_COLUMNS};

/// Migrations, in order: `MIGRATIONS[i]` takes the schema from version `i`
/// to `i + 1`. Never edit a released step; add a new one.
pub const MIGRATIONS: &[&str] = &[
    // 1: documents, recipients, issuances, traces, audit log.
    "CREATE TABLE documents (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        template TEXT NOT NULL,
        code_params TEXT NOT NULL,
        rules TEXT NOT NULL,
        words INTEGER NOT NULL,
        slots INTEGER NOT NULL
    );
    CREATE TABLE shingles (
        hash INTEGER NOT NULL,
        document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE
    );
    CREATE INDEX shingles_hash ON shingles(hash);
    CREATE INDEX shingles_document ON shingles(document_id);
    CREATE TABLE recipients (id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT);
    CREATE TABLE issuances (
        document_id TEXT NOT NULL REFERENCES documents(id),
        recipient_id TEXT NOT NULL REFERENCES recipients(id),
        issued_at INTEGER NOT NULL,
        path TEXT,
        content_hash TEXT NOT NULL,
        PRIMARY KEY (document_id, recipient_id)
    );
    CREATE TABLE traces (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        input_hash TEXT NOT NULL,
        input_bytes INTEGER NOT NULL,
        result TEXT NOT NULL
    );
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    // 2: source and issued formats; named recipient lists.
    "ALTER TABLE documents ADD COLUMN source_format TEXT NOT NULL DEFAULT 'txt';
    ALTER TABLE issuances ADD COLUMN format TEXT NOT NULL DEFAULT 'txt';
    CREATE TABLE lists (name TEXT PRIMARY KEY);
    CREATE TABLE list_members (
        list TEXT NOT NULL REFERENCES lists(name) ON DELETE CASCADE,
        recipient_id TEXT NOT NULL REFERENCES recipients(id),
        position INTEGER NOT NULL,
        PRIMARY KEY (list, recipient_id)
    );",
    // 3: server accounts, sessions, API tokens and reading-room links.
    "CREATE TABLE users (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user TEXT NOT NULL REFERENCES users(name),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    );
    CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        user TEXT NOT NULL REFERENCES users(name),
        label TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        revoked INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE links (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        recipient_id TEXT NOT NULL REFERENCES recipients(id),
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        revoked INTEGER NOT NULL DEFAULT 0,
        views INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX links_document ON links(document_id);
    ALTER TABLE traces ADD COLUMN input TEXT;",
    // 4: the files documents were registered from (HTML, DOCX), for copies
    // in the original's own format.
    "CREATE TABLE sources (
        document_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
        bytes BLOB NOT NULL
    );",
    // 5: values kept once for the registry (the key's fingerprint), and the
    // recipient's name as it was when each copy was issued.
    "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    ALTER TABLE issuances ADD COLUMN recipient_name TEXT;",
    // 6: sign-in attempts, reserved before a password is checked, so that
    // the rate limit holds for concurrent attempts, across the server's
    // registry handles and across restarts.
    "CREATE TABLE sign_in_attempts (
        id INTEGER PRIMARY KEY,
        attempt INTEGER NOT NULL,
        key TEXT NOT NULL,
        at INTEGER NOT NULL
    );
    CREATE INDEX sign_in_attempts_key ON sign_in_attempts(key, at);
    CREATE INDEX sign_in_attempts_at ON sign_in_attempts(at);",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The database and the write-ahead log and shared-memory files SQLite
/// creates beside it on open, set to 0600.
fn restrict_database_files(path: &Path) -> Result<()> {
    for p in [
        path.to_path_buf(),
        files::sidecar(path, "-wal"),
        files::sidecar(path, "-shm"),
    ] {
        files::restrict(&p)?;
    }
    Ok(())
}

fn user_version(conn: &Connection) -> Result<u32> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| {
            if e.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) {
                StoreError::Corrupt("the registry database is not a SQLite file".into())
            } else {
                db(e)
            }
        })
}

fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Backend(e.to_string()))
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
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

impl SqliteStore {
    /// Open (creating if needed) the registry database at `path`, upgrading
    /// an older schema. A newer schema is refused.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        Self::open_private(path, SCHEMA_VERSION)
    }

    /// Open the registry database at `path`, which must already hold a
    /// registry: a missing, empty or table-less file is refused, never made
    /// into a new registry (beside an existing key that would silently
    /// start over).
    pub fn open_existing(path: &Path) -> Result<SqliteStore> {
        let gone = |what: &str| {
            StoreError::Corrupt(format!(
                "{} {what}: it holds no registry; restore it from a backup rather than start a new one",
                path.display()
            ))
        };
        let len = std::fs::metadata(path)
            .map_err(|_| gone("is missing"))?
            .len();
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let wal_len = std::fs::metadata(&wal).map_or(0, |m| m.len());
        if len == 0 && wal_len == 0 {
            return Err(gone("is empty (0 bytes)"));
        }
        let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)
            .map_err(db)?;
        // Read before anything is written to it (switching to WAL would).
        if user_version(&conn)? == 0 {
            return Err(gone("has no tables"));
        }
        let store = Self::setup(conn, SCHEMA_VERSION)?;
        restrict_database_files(path)?;
        Ok(store)
    }

    /// Open and migrate only up to `target` (for testing upgrades).
    pub fn open_at_version(path: &Path, target: u32) -> Result<SqliteStore> {
        Self::open_private(path, target)
    }

    /// The database holds document texts, leak inputs and password hashes:
    /// a new file is created 0600 here, before SQLite would create it under
    /// the umask, and the write-ahead log and shared-memory files, which
    /// SQLite creates on open, are set to 0600 as well.
    fn open_private(path: &Path, target: u32) -> Result<SqliteStore> {
        files::create_private_file(path)?;
        let conn = Connection::open(path).map_err(db)?;
        let store = Self::setup(conn, target)?;
        restrict_database_files(path)?;
        Ok(store)
    }

    /// Write a consistent snapshot of the whole database to `dest`, a new
    /// file created 0600 (`VACUUM INTO` reads one transaction's view, so
    /// writers carry on meanwhile, and what is only in the write-ahead log
    /// is included, which a copy of the file alone would lose).
    pub fn snapshot(&self, dest: &Path) -> Result<()> {
        files::create_new_private_file(dest)?;
        let name = dest.to_str().ok_or_else(|| {
            StoreError::Backend(format!("{} is not a UTF-8 path", dest.display()))
        })?;
        self.conn
            .execute("VACUUM INTO ?1", [name])
            .map_err(|e| StoreError::Backend(format!("snapshot to {}: {e}", dest.display())))?;
        std::fs::File::open(dest)
            .and_then(|f| f.sync_all())
            .map_err(|e| StoreError::Backend(format!("{}: {e}", dest.display())))?;
        files::restrict(dest)
    }

    fn setup(mut conn: Connection, target: u32) -> Result<SqliteStore> {
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db)?;
        // The first statements to read the file are the ones to find it
        // is not a database; SQLite says so by its error code.
        let opening = |e: rusqlite::Error| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase) => {
                StoreError::Corrupt("the registry database is not a SQLite file".into())
            }
            _ => db(e),
        };
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
        )
        .map_err(opening)?;
        let found = user_version(&conn)?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        if found < target {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Exclusive)
                .map_err(db)?;
            for (i, step) in MIGRATIONS
                .iter()
                .enumerate()
                .take(target as usize)
                .skip(found as usize)
            {
                tx.execute_batch(step).map_err(|e| {
                    StoreError::Backend(format!("upgrading the registry to schema {}: {e}", i + 1))
                })?;
            }
            tx.execute_batch(&format!("PRAGMA user_version = {target}"))
                .map_err(db)?;
            tx.commit().map_err(db)?;
        }
        Ok(SqliteStore {
            conn,
            version: found.max(target),
            depth: 0,
        })
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

    fn put_document(&mut self, doc: &DocumentRecord, shingles: &[u64]) -> Result<()> {
        let tx = begin(&mut self.conn, TransactionBehavior::Deferred)?;
        let exists: bool = tx
            .query_row("SELECT 1 FROM documents WHERE id = ?1", [&doc.id], |_| {
                Ok(true)
            })
            .optional()
            .map_err(db)?
            .is_some();
        if exists {
            return Err(StoreError::Conflict(format!(
                "a document with id {} already exists",
                doc.id
            )));
        }
        tx.execute(
            "INSERT INTO documents (id, title, created_at, template, code_params, rules, words, slots, source_format)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                doc.id,
                doc.title,
                doc.created_at,
                json(&doc.template)?,
                json(&doc.code_params)?,
                json(&doc.rules)?,
                doc.template.word_count() as i64,
                doc.template.slots.len() as i64,
                doc.source_format
            ],
        )
        .map_err(db)?;
        insert_shingles(&tx, &doc.id, shingles)?;
        tx.commit()
    }

    fn document(&self, id: &str) -> Result<Option<DocumentRecord>> {
        let row = self
            .conn
            .query_row(
                "SELECT id, title, created_at, template, code_params, rules, source_format FROM documents WHERE id = ?1",
                [id],
                |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?, r.get::<_, String>(4)?, r.get::<_, String>(5)?, r.get(6)?)),
            )
            .optional()
            .map_err(db)?;
        let Some((id, title, created_at, template, code_params, rules, source_format)) = row else {
            return Ok(None);
        };
        let template: telltale_core::Template = parse("template", &template)?;
        template
            .validate()
            .map_err(|e| StoreError::Corrupt(format!("document {id}: {e}")))?;
        Ok(Some(DocumentRecord {
            id,
            title,
            created_at,
            source_format,
            template,
            code_params: parse("code parameters", &code_params)?,
            rules: parse("rules", &rules)?,
        }))
    }

    fn documents(&self) -> Result<Vec<DocumentSummary>> {
        let mut st = self
            .conn
            .prepare(
                "SELECT d.id, d.title, d.created_at, d.words, d.slots,
                        (SELECT COUNT(*) FROM issuances i WHERE i.document_id = d.id)
                 FROM documents d ORDER BY d.created_at, d.id",
            )
            .map_err(db)?;
        let rows = st
            .query_map([], |r| {
                Ok(DocumentSummary {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    created_at: r.get(2)?,
                    words: r.get::<_, i64>(3)? as usize,
                    slots: r.get::<_, i64>(4)? as usize,
                    issued: r.get::<_, i64>(5)? as usize,
                })
            })
            .map_err(db)?;
        rows.collect::<std::result::Result<_, _>>().map_err(db)
    }

    fn remove_document(&mut self, id: &str, force: bool) -> Result<()> {
        let tx = begin(&mut self.conn, TransactionBehavior::Deferred)?;
        let exists = tx
            .query_row("SELECT 1 FROM documents WHERE id = ?1", [id], |_| Ok(()))
            .optional()
            .map_err(db)?
            .is_some();
        if !exists {
            return Err(StoreError::NotFound(format!("document {id}")));
        }
        let issued: i64 = tx
            .query_row(
                "SELECT COUNT(*) FROM issuances WHERE document_id = ?1",
                [id],
                |r| r.get(0),
            )
            .map_err(db)?;
        if issued > 0 && !force {
            return Err(StoreError::Conflict(format!(
                "document {id} has been issued to {issued} recipient(s); removing it would make their copies untraceable (use --force)"
            )));
        }
        tx.execute("DELETE FROM issuances WHERE document_id = ?1", [id])
            .map_err(db)?;
        tx.execute("DELETE FROM shingles WHERE document_id = ?1", [id])
            .map_err(db)?;
        tx.execute("DELETE FROM documents WHERE id = ?1", [id])
            .map_err(db)?;
        tx.commit()
    }

    fn candidate_documents(&self, shingles: &[u64], limit: usize) -> Result<Vec<(String, usize)>> {
        let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        let mut uniq: Vec<i64> = shingles.iter().map(|&h| h as i64).collect();
        uniq.sort_unstable();
        uniq.dedup();
        for chunk in uniq.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let sql = format!("SELECT document_id, COUNT(*) FROM shingles WHERE hash IN ({marks}) GROUP BY document_id");
            let mut st = self.conn.prepare_cached(&sql).map_err(db)?;
            let rows = st
                .query_map(rusqlite::params_from_iter(chunk.iter()), |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as usize))
                })
                .map_err(db)?;
            for row in rows {
                let (d, c) = row.map_err(db)?;
                *counts.entry(d).or_default() += c;
            }
        }
        let mut v: Vec<(String, usize)> = counts.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v.truncate(limit);
        Ok(v)
    }

    fn upsert_recipient(&mut self, r: &Recipient) -> Result<Upsert> {
        let old = self.recipient(&r.id)?;
        match old {
            Some(o) if o == *r => Ok(Upsert::Unchanged),
            Some(_) => {
                self.conn
                    .execute(
                        "UPDATE recipients SET name = ?2, email = ?3 WHERE id = ?1",
                        params![r.id, r.name, r.email],
                    )
                    .map_err(db)?;
                Ok(Upsert::Updated)
            }
            None => {
                self.conn
                    .execute(
                        "INSERT INTO recipients (id, name, email) VALUES (?1, ?2, ?3)",
                        params![r.id, r.name, r.email],
                    )
                    .map_err(db)?;
                Ok(Upsert::Added)
            }
        }
    }

    fn recipient(&self, id: &str) -> Result<Option<Recipient>> {
        self.conn
            .query_row(
                "SELECT id, name, email FROM recipients WHERE id = ?1",
                [id],
                |r| {
                    Ok(Recipient {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        email: r.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(db)
    }

    fn recipients(&self) -> Result<Vec<Recipient>> {
        let mut st = self
            .conn
            .prepare("SELECT id, name, email FROM recipients ORDER BY id")
            .map_err(db)?;
        let rows = st
            .query_map([], |r| {
                Ok(Recipient {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    email: r.get(2)?,
                })
            })
            .map_err(db)?;
        rows.collect::<std::result::Result<_, _>>().map_err(db)
    }

    fn put_list(&mut self, name: &str, members: &[String]) -> Result<()> {
        let tx = begin(&mut self.conn, TransactionBehavior::Deferred)?;
        for m in members {
            let ok = tx
                .query_row("SELECT 1 FROM recipients WHERE id = ?1", [m], |_| Ok(()))
                .optional()
                .map_err(db)?
                .is_some();
            if !ok {
                return Err(StoreError::NotFound(format!("recipient {m}")));
            }
        }
        tx.execute("DELETE FROM lists WHERE name = ?1", [name])
            .map_err(db)?;
        tx.execute("INSERT INTO lists (name) VALUES (?1)", [name])
            .map_err(db)?;
        for (i, m) in members.iter().enumerate() {
            tx.execute("INSERT OR IGNORE INTO list_members (list, recipient_id, position) VALUES (?1, ?2, ?3)", params![name, m, i as i64])
                .map_err(db)?;
        }
        tx.commit()
    }

    fn list(&self, name: &str) -> Result<Option<Vec<String>>> {
        let exists = self
            .conn
            .query_row("SELECT 1 FROM lists WHERE name = ?1", [name], |_| Ok(()))
            .optional()
            .map_err(db)?
            .is_some();
        if !exists {
            return Ok(None);
        }
        let mut st = self
            .conn
            .prepare("SELECT recipient_id FROM list_members WHERE list = ?1 ORDER BY position")
            .map_err(db)?;
        let rows = st.query_map([name], |r| r.get(0)).map_err(db)?;
        Ok(Some(
            rows.collect::<std::result::Result<_, _>>().map_err(db)?,
        ))
    }

    fn lists(&self) -> Result<Vec<(String, usize)>> {
        let mut st = self
            .conn
            .prepare("SELECT l.name, (SELECT COUNT(*) FROM list_members m WHERE m.list = l.name) FROM lists l ORDER BY l.name")
            .map_err(db)?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as usize)))
            .map_err(db)?;
        rows.collect::<std::result::Result<_, _>>().map_err(db)
    }

    fn record_issuance(
        &mut self,
        key: &ChainKey,
        i: &Issuance,
        actor: &str,
        complete: &mut dyn FnMut() -> Result<()>,
    ) -> Result<AuditEntry> {
        let tx = begin(&mut self.conn, TransactionBehavior::Immediate)?;
        let n = tx
            .execute(
                "INSERT OR IGNORE INTO issuances (document_id, recipient_id, issued_at, path, content_hash, format, recipient_name)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![i.document_id, i.recipient_id, i.issued_at, i.path, i.content_hash, i.format, i.recipient_name],
            )
            .map_err(db)?;
        if n == 0 {
            return Err(StoreError::Conflict(format!(
                "{} already has a copy of {}",
                i.recipient_id, i.document_id
            )));
        }
        let e = append_audit_in(&tx, key, i.issued_at, actor, "issue", &issuance_detail(i))?;
        complete()?;
        tx.commit()?;
        Ok(e)
    }

    fn issuances(&self, document_id: Option<&str>) -> Result<Vec<Issuance>> {
        let sql =
            "SELECT document_id, recipient_id, format, issued_at, path, content_hash, recipient_name FROM issuances
                   WHERE ?1 IS NULL OR document_id = ?1 ORDER BY document_id, recipient_id";
        let mut st = self.conn.prepare(sql).map_err(db)?;
        let rows = st
            .query_map([document_id], |r| {
                Ok(Issuance {
                    document_id: r.get(0)?,
                    recipient_id: r.get(1)?,
                    format: r.get(2)?,
                    issued_at: r.get(3)?,
                    path: r.get(4)?,
                    content_hash: r.get(5)?,
                    recipient_name: r.get(6)?,
                })
            })
            .map_err(db)?;
        rows.collect::<std::result::Result<_, _>>().map_err(db)
    }

    fn record_trace(
        &mut self,
        at: i64,
        input_hash: &str,
        input_bytes: usize,
        result: &serde_json::Value,
    ) -> Result<i64> {
        self.conn
            .execute(
                "INSERT INTO traces (at, input_hash, input_bytes, result) VALUES (?1, ?2, ?3, ?4)",
                params![at, input_hash, input_bytes as i64, result.to_string()],
            )
            .map_err(db)?;
        Ok(self.conn.last_insert_rowid())
    }

    fn trace(&self, id: i64) -> Result<Option<TraceRecord>> {
        let row = self
            .conn
            .query_row(
                "SELECT at, input_hash, input_bytes, result FROM traces WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                },
            )
            .optional()
            .map_err(db)?;
        row.map(|(at, input_hash, input_bytes, result)| {
            Ok(TraceRecord {
                id,
                at,
                input_hash,
                input_bytes: input_bytes as usize,
                result: parse("trace result", &result)?,
            })
        })
        .transpose()
    }

    fn traces(&self) -> Result<Vec<TraceRecord>> {
        let mut st = self
            .conn
            .prepare("SELECT id, at, input_hash, input_bytes, result FROM traces ORDER BY id")
            .map_err(db)?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .map_err(db)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, at, input_hash, input_bytes, result) = row.map_err(db)?;
            out.push(TraceRecord {
                id,
                at,
                input_hash,
                input_bytes: input_bytes as usize,
                result: parse("trace result", &result)?,
            });
        }
        Ok(out)
    }

    fn append_audit(
        &mut self,
        key: &ChainKey,
        at: i64,
        actor: &str,
        action: &str,
        detail: &str,
    ) -> Result<AuditEntry> {
        let tx = begin(&mut self.conn, TransactionBehavior::Immediate)?;
        let e = append_audit_in(&tx, key, at, actor, action, detail)?;
        tx.commit()?;
        Ok(e)
    }

    fn audit_log(&self) -> Result<Vec<AuditEntry>> {
        let mut st = self
            .conn
            .prepare(&format!("{AUDIT_COLUMNS} ORDER BY seq"))
            .map_err(db)?;
        let rows = st.query_map([], audit_row).map_err(db)?;
        rows.collect::<std::result::Result<_, _>>().map_err(db)
    }

    fn audit_entry(&self, seq: i64) -> Result<Option<AuditEntry>> {
        self.conn
            .query_row(&format!("{AUDIT_COLUMNS} WHERE seq = ?1"), [seq], audit_row)
            .optional()
            .map_err(db)
    }

    fn last_audit(&self) -> Result<Option<AuditEntry>> {
        audit::last_entry(&self.conn)
    }

    fn audit_guard_problems(&self) -> Result<Vec<String>> {
        audit::guard_problems(&self.conn)
    }

    fn replace_document(&mut self, doc: &DocumentRecord, shingles: &[u64]) -> Result<()> {
        let tx = begin(&mut self.conn, TransactionBehavior::Immediate)?;
        let issued: i64 = tx
            .query_row(
                "SELECT COUNT(*) FROM issuances WHERE document_id = ?1",
                [&doc.id],
                |r| r.get(0),
            )
            .map_err(db)?;
        if issued > 0 {
            return Err(StoreError::Conflict(format!(
                "{} copies of {} have been issued; its variations can no longer change",
                issued, doc.id
            )));
        }
        let n = tx
            .execute(
                "UPDATE documents SET template = ?2, rules = ?3, slots = ?4 WHERE id = ?1",
                params![
                    doc.id,
                    json(&doc.template)?,
                    json(&doc.rules)?,
                    doc.template.slots.len() as i64
                ],
            )
            .map_err(db)?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("document {}", doc.id)));
        }
        tx.execute("DELETE FROM shingles WHERE document_id = ?1", [&doc.id])
            .map_err(db)?;
        insert_shingles(&tx, &doc.id, shingles)?;
        tx.commit()
    }

    fn put_user(&mut self, u: &User) -> Result<()> {
        let n = self
            .conn
            .execute(
                "INSERT OR IGNORE INTO users (name, role, password_hash, created_at, disabled) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![u.name, u.role.name(), u.password_hash, u.created_at, u.disabled],
            )
            .map_err(db)?;
        if n == 0 {
            return Err(StoreError::Conflict(format!(
                "user {} already exists",
                u.name
            )));
        }
        Ok(())
    }

    fn update_user(&mut self, u: &User) -> Result<()> {
        let n = self
            .conn
            .execute(
                "UPDATE users SET role = ?2, password_hash = ?3, disabled = ?4 WHERE name = ?1",
                params![u.name, u.role.name(), u.password_hash, u.disabled],
            )
            .map_err(db)?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("user {}", u.name)));
        }
        Ok(())
    }

    fn user(&self, name: &str) -> Result<Option<User>> {
        self.conn
            .query_row(
                "SELECT name, role, password_hash, created_at, disabled FROM users WHERE name = ?1",
                [name],
                user_row,
            )
            .optional()
            .map_err(db)
    }

    fn users(&self) -> Result<Vec<User>> {
        let mut st = self
            .conn
            .prepare(
                "SELECT name, role, password_hash, created_at, disabled FROM users ORDER BY name",
            )
            .map_err(db)?;
        let rows = st.query_map([], user_row).map_err(db)?;
        rows.collect::<std::result::Result<_, _>>().map_err(db)
    }

    fn put_session(&mut self, s: &Session) -> Result<()> {
        let tx = begin(&mut self.conn, TransactionBehavior::Deferred)?;
        tx.execute(
            "DELETE FROM sessions WHERE expires_at <= ?1",
            [s.created_at],
        )
        .map_err(db)?;
        tx.execute(
            "INSERT INTO sessions (token_hash, user, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![s.token_hash, s.user, s.created_at, s.expires_at],
        )
        .map_err(db)?;
        tx.commit()
    }

    fn session(&self, token_hash: &str) -> Result<Option<Session>> {
        self.conn
            .query_row(
                "SELECT token_hash, user, created_at, expires_at FROM sessions WHERE token_hash = ?1",
                [token_hash],
                |r| {
                    Ok(Session {
                        token_hash: r.get(0)?,
                        user: r.get(1)?,
                        created_at: r.get(2)?,
                        expires_at: r.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(db)
    }

    fn delete_session(&mut self, token_hash: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])
            .map_err(db)?;
        Ok(())
    }

    fn put_api_token(&mut self, t: &ApiToken) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO api_tokens (id, token_hash, user, label, created_at, revoked) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![t.id, t.token_hash, t.user, t.label, t.created_at, t.revoked],
            )
            .map_err(db)?;
        Ok(())
    }

    fn api_token(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        self.conn
            .query_row(
                "SELECT id, token_hash, user, label, created_at, revoked FROM api_tokens WHERE token_hash = ?1",
                [token_hash],
                token_row,
            )
            .optional()
            .map_err(db)
    }

    fn api_tokens(&self) -> Result<Vec<ApiToken>> {
        let mut st = self
            .conn
            .prepare("SELECT id, token_hash, user, label, created_at, revoked FROM api_tokens ORDER BY created_at, id")
            .map_err(db)?;
        let rows = st.query_map([], token_row).map_err(db)?;
        rows.collect::<std::result::Result<_, _>>().map_err(db)
    }

    fn revoke_api_token(&mut self, id: &str) -> Result<()> {
        let n = self
            .conn
            .execute("UPDATE api_tokens SET revoked = 1 WHERE id = ?1", [id])
            .map_err(db)?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("API token {id}")));
        }
        Ok(())
    }

    fn revoke_credentials(&mut self, user: &str) -> Result<(usize, usize)> {
        let tx = self.conn.transaction().map_err(db)?;
        let sessions = tx
            .execute("DELETE FROM sessions WHERE user = ?1", [user])
            .map_err(db)?;
        let tokens = tx
            .execute(
                "UPDATE api_tokens SET revoked = 1 WHERE user = ?1 AND revoked = 0",
                [user],
            )
            .map_err(db)?;
        tx.commit().map_err(db)?;
        Ok((sessions, tokens))
    }

    fn reserve_sign_in(
        &mut self,
        keys: &[String],
        at: i64,
        since: i64,
        max: u32,
    ) -> Result<Reservation> {
        // IMMEDIATE takes the write lock before the count, so two handles
        // cannot both count below the limit and both insert.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        tx.execute("DELETE FROM sign_in_attempts WHERE at <= ?1", [since])
            .map_err(db)?;
        for key in keys {
            let (count, oldest): (u32, Option<i64>) = tx
                .query_row(
                    "SELECT COUNT(*), MIN(at) FROM sign_in_attempts WHERE key = ?1",
                    [key],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(db)?;
            if count >= max {
                return Ok(Reservation::Refused {
                    oldest: oldest.unwrap_or(at),
                });
            }
        }
        // The attempt's id is the id of its first row.
        let mut attempt: Option<i64> = None;
        for key in keys {
            tx.execute(
                "INSERT INTO sign_in_attempts (attempt, key, at) VALUES (?1, ?2, ?3)",
                params![attempt.unwrap_or(0), key, at],
            )
            .map_err(db)?;
            if attempt.is_none() {
                let id = tx.last_insert_rowid();
                tx.execute(
                    "UPDATE sign_in_attempts SET attempt = ?1 WHERE id = ?1",
                    [id],
                )
                .map_err(db)?;
                attempt = Some(id);
            }
        }
        tx.commit().map_err(db)?;
        Ok(Reservation::Reserved(attempt.unwrap_or(0)))
    }

    fn clear_sign_in(&mut self, attempt: i64, key: &str) -> Result<()> {
        self.conn
            .execute(
                "DELETE FROM sign_in_attempts WHERE attempt = ?1 OR key = ?2",
                params![attempt, key],
            )
            .map_err(db)?;
        Ok(())
    }

    fn put_link(&mut self, l: &Link) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO links (id, token_hash, document_id, recipient_id, created_at, expires_at, revoked, views)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![l.id, l.token_hash, l.document_id, l.recipient_id, l.created_at, l.expires_at, l.revoked, l.views as i64],
            )
            .map_err(|e| match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::ConstraintViolation) => {
                    StoreError::Conflict(format!("link {} already exists or names an unknown document or recipient", l.id))
                }
                _ => db(e),
            })?;
        Ok(())
    }

    fn link(&self, id: &str) -> Result<Option<Link>> {
        self.conn
            .query_row(&format!("{LINK_COLUMNS} WHERE id = ?1"), [id], link_row)
            .optional()
            .map_err(db)
    }

    fn link_by_token(&self, token_hash: &str) -> Result<Option<Link>> {
        self.conn
            .query_row(
                &format!("{LINK_COLUMNS} WHERE token_hash = ?1"),
                [token_hash],
                link_row,
            )
            .optional()
            .map_err(db)
    }

    fn links(&self, document_id: Option<&str>) -> Result<Vec<Link>> {
        let mut st = self
            .conn
            .prepare(&format!(
                "{LINK_COLUMNS} WHERE ?1 IS NULL OR document_id = ?1 ORDER BY document_id, recipient_id, created_at"
            ))
            .map_err(db)?;
        let rows = st.query_map([document_id], link_row).map_err(db)?;
        rows.collect::<std::result::Result<_, _>>().map_err(db)
    }

    fn revoke_link(&mut self, id: &str) -> Result<()> {
        let n = self
            .conn
            .execute("UPDATE links SET revoked = 1 WHERE id = ?1", [id])
            .map_err(db)?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("link {id}")));
        }
        Ok(())
    }

    fn revoke_recipient_links(&mut self, document_id: &str, recipient_id: &str) -> Result<usize> {
        self.conn
            .execute(
                "UPDATE links SET revoked = 1 WHERE document_id = ?1 AND recipient_id = ?2 AND revoked = 0",
                [document_id, recipient_id],
            )
            .map_err(db)
    }

    fn put_source(&mut self, document_id: &str, bytes: &[u8]) -> Result<()> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO sources (document_id, bytes) VALUES (?1, ?2)",
                params![document_id, bytes],
            )
            .map_err(|e| match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::ConstraintViolation) => {
                    StoreError::NotFound(format!("document {document_id}"))
                }
                _ => db(e),
            })?;
        Ok(())
    }

    fn source(&self, document_id: &str) -> Result<Option<Vec<u8>>> {
        self.conn
            .query_row(
                "SELECT bytes FROM sources WHERE document_id = ?1",
                [document_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)
    }

    fn put_trace_input(&mut self, id: i64, input: &str) -> Result<()> {
        let n = self
            .conn
            .execute(
                "UPDATE traces SET input = ?2 WHERE id = ?1",
                params![id, input],
            )
            .map_err(db)?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("trace {id}")));
        }
        Ok(())
    }

    fn trace_input(&self, id: i64) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT input FROM traces WHERE id = ?1", [id], |r| {
                r.get::<_, Option<String>>(0)
            })
            .optional()
            .map_err(db)?
            .flatten())
    }

    fn count_link_view(&mut self, id: &str) -> Result<()> {
        self.conn
            .execute("UPDATE links SET views = views + 1 WHERE id = ?1", [id])
            .map_err(db)?;
        Ok(())
    }
}

/// Index a document's shingles (each distinct hash once).
fn insert_shingles(tx: &Connection, id: &str, shingles: &[u64]) -> Result<()> {
    let mut st = tx
        .prepare("INSERT INTO shingles (hash, document_id) VALUES (?1, ?2)")
        .map_err(db)?;
    let mut seen = std::collections::HashSet::new();
    for &h in shingles {
        if seen.insert(h) {
            st.execute(params![h as i64, id]).map_err(db)?;
        }
    }
    Ok(())
}

const LINK_COLUMNS: &str = "SELECT id, token_hash, document_id, recipient_id, created_at, expires_at, revoked, views FROM links";

fn link_row(r: &rusqlite::Row) -> rusqlite::Result<Link> {
    Ok(Link {
        id: r.get(0)?,
        token_hash: r.get(1)?,
        document_id: r.get(2)?,
        recipient_id: r.get(3)?,
        created_at: r.get(4)?,
        expires_at: r.get(5)?,
        revoked: r.get(6)?,
        views: r.get::<_, i64>(7)? as u64,
    })
}

fn user_row(r: &rusqlite::Row) -> rusqlite::Result<User> {
    let role: String = r.get(1)?;
    Ok(User {
        name: r.get(0)?,
        role: Role::from_name(&role).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                1,
                rusqlite::types::Type::Text,
                format!("unknown role {role:?}").into(),
            )
        })?,
        password_hash: r.get(2)?,
        created_at: r.get(3)?,
        disabled: r.get(4)?,
    })
}

fn token_row(r: &rusqlite::Row) -> rusqlite::Result<ApiToken> {
    Ok(ApiToken {
        id: r.get(0)?,
        token_hash: r.get(1)?,
        user: r.get(2)?,
        label: r.get(3)?,
        created_at: r.get(4)?,
        revoked: r.get(5)?,
    })
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

    #[test]
    fn an_older_registry_is_upgraded_and_keeps_its_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry.db");
        {
            let s = SqliteStore::open_at_version(&path, 1).unwrap();
            assert_eq!(s.schema_version(), 1);
            s.conn
                .execute(
                    "INSERT INTO recipients (id, name, email) VALUES ('r-1', 'Ann', NULL)",
                    [],
                )
                .unwrap();
        }
        let s = SqliteStore::open(&path).unwrap();
        assert_eq!(s.schema_version(), SCHEMA_VERSION);
        assert_eq!(s.recipients().unwrap().len(), 1);
        assert!(s.lists().unwrap().is_empty());
    }

    #[test]
    fn a_newer_registry_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry.db");
        drop(SqliteStore::open(&path).unwrap());
        Connection::open(&path)
            .unwrap()
            .execute_batch("PRAGMA user_version = 99")
            .unwrap();
        let e = SqliteStore::open(&path).err().unwrap();
        assert!(matches!(e, StoreError::TooNew { found: 99, .. }), "{e}");
        assert!(e.to_string().contains("newer telltale"));
    }

    #[test]
    fn the_audit_log_refuses_updates_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = SqliteStore::open(&dir.path().join("registry.db")).unwrap();
        s.append_audit(&ChainKey::from_bytes([1; 32]), 1, "t", "a", "d")
            .unwrap();
        assert!(s.conn.execute("UPDATE audit SET detail = 'x'", []).is_err());
        assert!(s.conn.execute("DELETE FROM audit", []).is_err());
        assert!(s.audit_guard_problems().unwrap().is_empty());
        // A guard dropped, or replaced by one of the same name that does
        // nothing, is reported.
        s.conn
            .execute_batch(
                "DROP TRIGGER audit_no_update;
                 DROP TRIGGER audit_no_delete;
                 CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT 1; END;",
            )
            .unwrap();
        let problems = s.audit_guard_problems().unwrap();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("audit_no_update") && problems[0].contains("missing"));
        assert!(problems[1].contains("audit_no_delete") && problems[1].contains("altered"));
    }

    #[test]
    fn an_empty_or_missing_file_is_not_opened_as_a_registry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry.db");
        let e = SqliteStore::open_existing(&path).err().unwrap().to_string();
        assert!(e.contains("is missing"), "{e}");
        assert!(!path.exists(), "nothing is created");
        std::fs::write(&path, b"").unwrap();
        let e = SqliteStore::open_existing(&path).err().unwrap().to_string();
        assert!(e.contains("is empty (0 bytes)"), "{e}");
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "left as it was");
        std::fs::remove_file(&path).unwrap();
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE t (x); DROP TABLE t;")
            .unwrap();
        let e = SqliteStore::open_existing(&path).err().unwrap().to_string();
        assert!(e.contains("has no tables"), "{e}");
        std::fs::remove_file(&path).unwrap();
        drop(SqliteStore::open(&path).unwrap());
        assert_eq!(
            SqliteStore::open_existing(&path).unwrap().schema_version(),
            SCHEMA_VERSION
        );
    }

    #[test]
    fn garbage_is_not_a_registry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry.db");
        std::fs::write(&path, b"this is not a database at all, just some text that is long enough to look like a header").unwrap();
        // Told apart by SQLite's error code, not by its message.
        assert!(matches!(
            SqliteStore::open(&path),
            Err(StoreError::Corrupt(_))
        ));
    }
}

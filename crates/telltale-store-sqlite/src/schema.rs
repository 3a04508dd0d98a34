//! The schema and how a database file becomes a store: the versioned
//! migrations, opening (a new file created 0600, an existing one upgraded in
//! one transaction, a newer one refused, a missing or empty one never made
//! into a new registry) and snapshots. Kept apart from the `Store` methods
//! because it is the one part that must be right before any of them runs.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};
use telltale_store::{Result, StoreError};

use crate::{db, files, SqliteStore};

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
    // 7: background jobs, so that any server process can report on one and
    // another can finish it if the one running it stops.
    "CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        owner TEXT NOT NULL,
        kind TEXT NOT NULL,
        document TEXT NOT NULL,
        request TEXT,
        output TEXT NOT NULL,
        worker TEXT NOT NULL,
        heartbeat_at INTEGER NOT NULL,
        done INTEGER NOT NULL,
        total INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        finished_at INTEGER,
        error TEXT
    );
    CREATE INDEX jobs_unfinished ON jobs(finished_at, heartbeat_at);",
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

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_store::prelude::*;

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

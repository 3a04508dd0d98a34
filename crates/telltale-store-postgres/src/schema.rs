//! The schema and how a database becomes a store: the versioned
//! migrations, connecting, and opening (an empty database given the schema
//! only when asked to, an older one upgraded, a newer one refused). Kept
//! apart from the `Store` methods because it is the one part that must be
//! right before any of them runs.
//!
//! Versions are this backend's own: version `n` is the database after the
//! first `n` files of `migrations/` (`NNNN_name.sql`, embedded in the
//! build), and each applied file is a row of the `schema_version` table
//! (version 0: no such table, an empty database). They do not follow the
//! SQLite backend's numbers: version 1 is everything SQLite's schema 6
//! holds, version 2 adds background jobs (SQLite's 7). Migrations run in
//! one transaction holding the write lock, so that two processes opening
//! an old database at once upgrade it once, and a failed step leaves it as
//! it was. Never edit a released file; add a new one.

use postgres::NoTls;
use telltale_store::{Result, StoreError};

use crate::backend::{describe, parse_url};
use crate::{col, error_text, Conn, PostgresStore, BEGIN_LOCKED, COMMIT_CHECKED};

/// Migrations, in order: `MIGRATIONS[i]` (its name and SQL) takes the
/// schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_registry",
        include_str!("../migrations/0001_registry.sql"),
    ),
    ("0002_jobs", include_str!("../migrations/0002_jobs.sql")),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// How long a write waits for another process's write to finish before it
/// fails, as long as the SQLite backend's busy timeout.
const LOCK_TIMEOUT: &str = "10s";

/// The schema version of the database: 0 when it holds no registry.
fn found_version(conn: &mut Conn) -> Result<u32> {
    let row = conn.query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])?;
    if !col::<bool>(&row, 0)? {
        return Ok(0);
    }
    let row = conn.query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])?;
    let v: i32 = col(&row, 0)?;
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("schema version {v}")))
}

fn no_registry(described: &str) -> StoreError {
    StoreError::Corrupt(format!(
        "no telltale registry in {described}; restore it from a backup rather than start a new one"
    ))
}

impl PostgresStore {
    /// Open the registry in the database at `url`, giving an empty database
    /// the schema and upgrading an older one. A newer schema is refused.
    pub fn open(url: &str) -> Result<PostgresStore> {
        Self::connect(url, true, SCHEMA_VERSION)
    }

    /// Open the registry in the database at `url`, which must already hold
    /// one: an empty database is refused, never made into a new registry
    /// (beside an existing key that would silently start over). An older
    /// schema is upgraded.
    pub fn open_existing(url: &str) -> Result<PostgresStore> {
        Self::connect(url, false, SCHEMA_VERSION)
    }

    /// Open and migrate only up to `target` (for testing upgrades).
    pub fn open_at_version(url: &str, target: u32) -> Result<PostgresStore> {
        Self::connect(url, true, target.min(SCHEMA_VERSION))
    }

    fn connect(url: &str, create: bool, target: u32) -> Result<PostgresStore> {
        let config = parse_url(url)?;
        let described = describe(&config);
        let client = config.connect(NoTls).map_err(|e| {
            StoreError::Backend(format!("connecting to {described}: {}", error_text(&e)))
        })?;
        let mut conn = Conn::new(client);
        conn.batch(&format!("SET lock_timeout = '{LOCK_TIMEOUT}'"))?;
        let row = conn.query_one("SHOW server_encoding", &[])?;
        let encoding: String = col(&row, 0)?;
        if encoding != "UTF8" {
            return Err(StoreError::Backend(format!(
                "{described} is encoded in {encoding}; a telltale registry needs a UTF8 database"
            )));
        }
        let found = found_version(&mut conn)?;
        check(found, create, &described)?;
        let version = if found < target {
            migrate(&mut conn, create, target, &described)?
        } else {
            found
        };
        Ok(PostgresStore {
            conn: std::cell::RefCell::new(conn),
            version,
            depth: 0,
            described,
        })
    }
}

/// Refuse a newer schema, and an empty database unless asked to create.
fn check(found: u32, create: bool, described: &str) -> Result<()> {
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    if found == 0 && !create {
        return Err(no_registry(described));
    }
    Ok(())
}

/// Apply the migrations from the database's version to `target` in one
/// transaction holding the write lock; the version reached.
fn migrate(conn: &mut Conn, create: bool, target: u32, described: &str) -> Result<u32> {
    if let Err(e) = conn.batch(BEGIN_LOCKED) {
        let _ = conn.batch("ROLLBACK");
        return Err(e);
    }
    let done = migrate_locked(conn, create, target, described);
    let done = done.and_then(|v| conn.batch(COMMIT_CHECKED).map(|()| v));
    if done.is_err() {
        let _ = conn.batch("ROLLBACK");
    }
    done
}

fn migrate_locked(conn: &mut Conn, create: bool, target: u32, described: &str) -> Result<u32> {
    // Another process may have upgraded it while this one waited.
    let found = found_version(conn)?;
    check(found, create, described)?;
    for (i, (name, sql)) in MIGRATIONS
        .iter()
        .enumerate()
        .take(target as usize)
        .skip(found as usize)
    {
        let version = i as i32 + 1;
        conn.client().batch_execute(sql).map_err(|e| {
            StoreError::Backend(format!(
                "upgrading the registry to schema {version}: {}",
                error_text(&e)
            ))
        })?;
        conn.execute(
            "INSERT INTO schema_version (version, name, applied_at)
             VALUES ($1, $2, EXTRACT(EPOCH FROM now())::BIGINT)",
            &[&version, name],
        )?;
    }
    Ok(found.max(target))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_embedded_in_order() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let names: Vec<String> = MIGRATIONS.iter().map(|(n, _)| format!("{n}.sql")).collect();
        assert_eq!(files, names);
        for (i, (n, _)) in MIGRATIONS.iter().enumerate() {
            assert!(n.starts_with(&format!("{:04}_", i + 1)), "{n}");
        }
    }
}

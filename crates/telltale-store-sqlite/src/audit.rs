//! The audit table: appending a sealed entry inside the caller's
//! transaction, reading entries back, and checking the triggers that make
//! the table append-only. The triggers are checked by their text, not only
//! their names, because a trigger of the same name that does nothing would
//! otherwise pass.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use telltale_store::{check_follows, next_entry, AuditEntry, ChainKey, Result};

use crate::{begin, db};

/// Every read of the log selects these columns, in this order, and
/// [`audit_row`] maps them to an entry.
const AUDIT_COLUMNS: &str = "SELECT seq, at, actor, action, detail, prev_hash, hash FROM audit";

/// The guards of the audit table, as schema 1 created them.
pub(crate) const GUARDS: [(&str, &str); 2] = [
    (
        "audit_no_update",
        "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    ),
    (
        "audit_no_delete",
        "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    ),
];

pub(crate) fn last_entry(conn: &Connection) -> Result<Option<AuditEntry>> {
    conn.query_row(
        &format!("{AUDIT_COLUMNS} ORDER BY seq DESC LIMIT 1"),
        [],
        audit_row,
    )
    .optional()
    .map_err(db)
}

/// Append an entry sealed by `key` after the last one, inside the caller's
/// transaction (which holds the write lock, so nobody appends in between).
pub(crate) fn append_audit_in(
    tx: &Connection,
    key: &ChainKey,
    at: i64,
    actor: &str,
    action: &str,
    detail: &str,
) -> Result<AuditEntry> {
    let last = last_entry(tx)?;
    let e = next_entry(key, last.as_ref(), at, actor, action, detail);
    tx.prepare_cached(
        "INSERT INTO audit (seq, at, actor, action, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .and_then(|mut st| st.execute(params![e.seq, e.at, e.actor, e.action, e.detail, e.prev_hash, e.hash]))
    .map_err(db)?;
    Ok(e)
}

/// The one mapping of an audit row (see [`AUDIT_COLUMNS`]) to an entry.
fn audit_row(r: &rusqlite::Row) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        seq: r.get(0)?,
        at: r.get(1)?,
        actor: r.get(2)?,
        action: r.get(3)?,
        detail: r.get(4)?,
        prev_hash: r.get(5)?,
        hash: r.get(6)?,
    })
}

/// Append an entry in a transaction of its own (or a savepoint of the
/// caller's, inside `Store::atomically`).
pub(crate) fn append_audit(
    conn: &mut Connection,
    key: &ChainKey,
    at: i64,
    actor: &str,
    action: &str,
    detail: &str,
) -> Result<AuditEntry> {
    let tx = begin(conn, TransactionBehavior::Immediate)?;
    let e = append_audit_in(&tx, key, at, actor, action, detail)?;
    tx.commit()?;
    Ok(e)
}

pub(crate) fn audit_log(conn: &Connection) -> Result<Vec<AuditEntry>> {
    let mut st = conn
        .prepare(&format!("{AUDIT_COLUMNS} ORDER BY seq"))
        .map_err(db)?;
    let rows = st.query_map([], audit_row).map_err(db)?;
    rows.collect::<std::result::Result<_, _>>().map_err(db)
}

pub(crate) fn audit_entry(conn: &Connection, seq: i64) -> Result<Option<AuditEntry>> {
    conn.query_row(&format!("{AUDIT_COLUMNS} WHERE seq = ?1"), [seq], audit_row)
        .optional()
        .map_err(db)
}

fn normalised(sql: &str) -> String {
    sql.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches(';')
        .trim_end()
        .to_string()
}

/// Every guard that is missing or differs from what schema 1 created, and
/// any other trigger on the audit table (one that rewrites entries, say).
pub(crate) fn guard_problems(conn: &Connection) -> Result<Vec<String>> {
    let mut st = conn
        .prepare(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit'",
        )
        .map_err(db)?;
    let found: Vec<(String, Option<String>)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(db)?
        .collect::<std::result::Result<_, _>>()
        .map_err(db)?;
    let mut problems = Vec::new();
    for (name, sql) in GUARDS {
        match found.iter().find(|(n, _)| n == name) {
            None => problems.push(format!(
                "the trigger {name} that keeps the audit log append-only is missing"
            )),
            Some((_, got)) if got.as_deref().map(normalised) != Some(normalised(sql)) => problems
                .push(format!(
                    "the trigger {name} that keeps the audit log append-only was altered"
                )),
            Some(_) => {}
        }
    }
    for (name, _) in &found {
        if !GUARDS.iter().any(|(g, _)| g == name) {
            problems.push(format!("the audit table has an unexpected trigger {name}"));
        }
    }
    Ok(problems)
}

/// Append an entry exactly as given, if it follows the last one.
pub(crate) fn import_audit(conn: &mut Connection, e: &AuditEntry) -> Result<()> {
    let tx = begin(conn, TransactionBehavior::Immediate)?;
    check_follows(last_entry(&tx)?.as_ref(), e)?;
    tx.execute(
        "INSERT INTO audit (seq, at, actor, action, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![e.seq, e.at, e.actor, e.action, e.detail, e.prev_hash, e.hash],
    )
    .map_err(db)?;
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqliteStore;
    use telltale_store::prelude::*;

    #[test]
    fn the_guards_are_the_ones_schema_1_created() {
        for (_, sql) in GUARDS {
            assert!(crate::MIGRATIONS[0].contains(&format!("{sql};")), "{sql}");
        }
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
}

//! The audit table: appending a sealed entry inside the caller's
//! transaction, importing one as it was, reading entries back, and checking
//! the triggers that make the table append-only.
//!
//! The guards are checked by what they are, not only by their names, since
//! a trigger of the same name that does nothing, or whose function was
//! replaced by one that lets rows through, would otherwise pass: each must
//! fire before its statement (UPDATE, DELETE, TRUNCATE), for the whole
//! statement, with no condition, enabled always (even in replication mode),
//! and call `audit_append_only`, a plpgsql function whose body is the one
//! schema 1 wrote.

use postgres::Row;
use telltale_store::{check_follows, next_entry, AuditEntry, AuditStore, ChainKey, Result};

use crate::{col, Conn, PostgresStore};

/// The guards of the audit table, as schema 1 created them: name and
/// `pg_trigger.tgtype` (BEFORE = 2, DELETE = 8, UPDATE = 16, TRUNCATE = 32;
/// the row bit, 1, unset: once per statement).
pub(crate) const GUARDS: [(&str, i16); 3] = [
    ("audit_no_update", 2 | 16),
    ("audit_no_delete", 2 | 8),
    ("audit_no_truncate", 2 | 32),
];

/// The function every guard calls, and its body as schema 1 wrote it.
pub(crate) const GUARD_FUNCTION: &str = "audit_append_only";
pub(crate) const GUARD_BODY: &str = "
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
";

fn audit_row(r: &Row) -> Result<AuditEntry> {
    Ok(AuditEntry {
        seq: col(r, 0)?,
        at: col(r, 1)?,
        actor: col(r, 2)?,
        action: col(r, 3)?,
        detail: col(r, 4)?,
        prev_hash: col(r, 5)?,
        hash: col(r, 6)?,
    })
}

pub(crate) fn last_entry(c: &mut Conn) -> Result<Option<AuditEntry>> {
    c.query_opt(
        "SELECT seq, at, actor, action, detail, prev_hash, hash FROM audit ORDER BY seq DESC LIMIT 1",
        &[],
    )?
    .map(|r| audit_row(&r))
    .transpose()
}

fn insert(c: &mut Conn, e: &AuditEntry) -> Result<()> {
    c.execute(
        "INSERT INTO audit (seq, at, actor, action, detail, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &e.seq,
            &e.at,
            &e.actor,
            &e.action,
            &e.detail,
            &e.prev_hash,
            &e.hash,
        ],
    )
    .map(drop)
}

/// Append an entry sealed by `key` after the last one, inside the caller's
/// transaction (which holds the write lock, so nobody appends in between).
pub(crate) fn append_audit_in(
    c: &mut Conn,
    key: &ChainKey,
    at: i64,
    actor: &str,
    action: &str,
    detail: &str,
) -> Result<AuditEntry> {
    let last = last_entry(c)?;
    let e = next_entry(key, last.as_ref(), at, actor, action, detail);
    insert(c, &e)?;
    Ok(e)
}

fn normalised(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every guard that is missing, differs from what schema 1 created or is
/// not enabled, and any other trigger on the audit table (one that
/// rewrites entries, say).
fn guard_problems(c: &mut Conn) -> Result<Vec<String>> {
    let rows = c.query(
        "SELECT t.tgname::TEXT, t.tgtype, t.tgenabled::TEXT, t.tgqual IS NULL,
                cardinality(t.tgattr::INT2[]) = 0, p.proname::TEXT, l.lanname::TEXT, p.prosrc
         FROM pg_trigger t
         JOIN pg_proc p ON p.oid = t.tgfoid
         JOIN pg_language l ON l.oid = p.prolang
         WHERE t.tgrelid = to_regclass('audit') AND NOT t.tgisinternal
         ORDER BY t.tgname",
        &[],
    )?;
    struct Found {
        name: String,
        tgtype: i16,
        enabled: String,
        unconditional: bool,
        all_columns: bool,
        function: String,
        language: String,
        body: String,
    }
    let found = rows
        .iter()
        .map(|r| {
            Ok(Found {
                name: col(r, 0)?,
                tgtype: col(r, 1)?,
                enabled: col(r, 2)?,
                unconditional: col(r, 3)?,
                all_columns: col(r, 4)?,
                function: col(r, 5)?,
                language: col(r, 6)?,
                body: col(r, 7)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut problems = Vec::new();
    for (name, tgtype) in GUARDS {
        match found.iter().find(|f| f.name == name) {
            None => problems.push(format!(
                "the trigger {name} that keeps the audit log append-only is missing"
            )),
            Some(f) if f.enabled == "D" => problems.push(format!(
                "the trigger {name} that keeps the audit log append-only is disabled"
            )),
            Some(f)
                if f.tgtype != tgtype
                    || f.enabled != "A"
                    || !f.unconditional
                    || !f.all_columns
                    || f.function != GUARD_FUNCTION
                    || f.language != "plpgsql"
                    || normalised(&f.body) != normalised(GUARD_BODY) =>
            {
                problems.push(format!(
                    "the trigger {name} that keeps the audit log append-only was altered"
                ))
            }
            Some(_) => {}
        }
    }
    for f in &found {
        if !GUARDS.iter().any(|(g, _)| *g == f.name) {
            problems.push(format!(
                "the audit table has an unexpected trigger {}",
                f.name
            ));
        }
    }
    Ok(problems)
}

impl AuditStore for PostgresStore {
    fn append_audit(
        &mut self,
        key: &ChainKey,
        at: i64,
        actor: &str,
        action: &str,
        detail: &str,
    ) -> Result<AuditEntry> {
        self.write(|c| append_audit_in(c, key, at, actor, action, detail))
    }

    fn import_audit(&mut self, e: &AuditEntry) -> Result<()> {
        self.write(|c| {
            check_follows(last_entry(c)?.as_ref(), e)?;
            insert(c, e)
        })
    }

    fn audit_log(&self) -> Result<Vec<AuditEntry>> {
        self.read()?
            .query(
                "SELECT seq, at, actor, action, detail, prev_hash, hash FROM audit ORDER BY seq",
                &[],
            )?
            .iter()
            .map(audit_row)
            .collect()
    }

    fn audit_entry(&self, seq: i64) -> Result<Option<AuditEntry>> {
        self.read()?
            .query_opt(
                "SELECT seq, at, actor, action, detail, prev_hash, hash FROM audit WHERE seq = $1",
                &[&seq],
            )?
            .map(|r| audit_row(&r))
            .transpose()
    }

    fn last_audit(&self) -> Result<Option<AuditEntry>> {
        last_entry(&mut *self.read()?)
    }

    fn audit_guard_problems(&self) -> Result<Vec<String>> {
        guard_problems(&mut *self.read()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guards_are_the_ones_schema_1_created() {
        let schema1 = crate::MIGRATIONS[0].1;
        assert!(schema1.contains(&format!(
            "CREATE FUNCTION {GUARD_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $${GUARD_BODY}$$;"
        )));
        for (name, tgtype) in GUARDS {
            let event = match tgtype & !2 {
                16 => "UPDATE",
                8 => "DELETE",
                32 => "TRUNCATE",
                t => panic!("{t}"),
            };
            assert!(
                schema1.contains(&format!(
                    "CREATE TRIGGER {name} BEFORE {event} ON audit\n    FOR EACH STATEMENT EXECUTE FUNCTION {GUARD_FUNCTION}();"
                )),
                "{name}"
            );
            assert!(schema1.contains(&format!("ALTER TABLE audit ENABLE ALWAYS TRIGGER {name};")));
        }
    }
}

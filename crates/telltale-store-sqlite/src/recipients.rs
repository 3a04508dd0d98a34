//! Recipients and named lists of them in SQLite. A recipient's name here is
//! the current one; the name a copy was issued under stays with its
//! issuance (see `documents`).

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use telltale_store::{Recipient, Result, StoreError, Upsert};

use crate::{begin, db};

pub(crate) fn upsert_recipient(conn: &Connection, r: &Recipient) -> Result<Upsert> {
    let old = recipient(conn, &r.id)?;
    match old {
        Some(o) if o == *r => Ok(Upsert::Unchanged),
        Some(_) => {
            conn.execute(
                "UPDATE recipients SET name = ?2, email = ?3 WHERE id = ?1",
                params![r.id, r.name, r.email],
            )
            .map_err(db)?;
            Ok(Upsert::Updated)
        }
        None => {
            conn.execute(
                "INSERT INTO recipients (id, name, email) VALUES (?1, ?2, ?3)",
                params![r.id, r.name, r.email],
            )
            .map_err(db)?;
            Ok(Upsert::Added)
        }
    }
}

pub(crate) fn recipient(conn: &Connection, id: &str) -> Result<Option<Recipient>> {
    conn.query_row(
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

pub(crate) fn recipients(conn: &Connection) -> Result<Vec<Recipient>> {
    let mut st = conn
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

pub(crate) fn put_list(conn: &mut Connection, name: &str, members: &[String]) -> Result<()> {
    let tx = begin(conn, TransactionBehavior::Deferred)?;
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
        tx.execute(
            "INSERT OR IGNORE INTO list_members (list, recipient_id, position) VALUES (?1, ?2, ?3)",
            params![name, m, i as i64],
        )
        .map_err(db)?;
    }
    tx.commit()
}

pub(crate) fn list(conn: &Connection, name: &str) -> Result<Option<Vec<String>>> {
    let exists = conn
        .query_row("SELECT 1 FROM lists WHERE name = ?1", [name], |_| Ok(()))
        .optional()
        .map_err(db)?
        .is_some();
    if !exists {
        return Ok(None);
    }
    let mut st = conn
        .prepare("SELECT recipient_id FROM list_members WHERE list = ?1 ORDER BY position")
        .map_err(db)?;
    let rows = st.query_map([name], |r| r.get(0)).map_err(db)?;
    Ok(Some(
        rows.collect::<std::result::Result<_, _>>().map_err(db)?,
    ))
}

pub(crate) fn lists(conn: &Connection) -> Result<Vec<(String, usize)>> {
    let mut st = conn
        .prepare("SELECT l.name, (SELECT COUNT(*) FROM list_members m WHERE m.list = l.name) FROM lists l ORDER BY l.name")
        .map_err(db)?;
    let rows = st
        .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as usize)))
        .map_err(db)?;
    rows.collect::<std::result::Result<_, _>>().map_err(db)
}

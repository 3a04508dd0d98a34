//! Traces in SQLite: each result as the registry reported it, and the
//! leaked text it was read from, so that a case can be read again later.

use rusqlite::{params, Connection, OptionalExtension};
use telltale_store::{Result, StoreError, TraceRecord};

use crate::{db, parse};

pub(crate) fn record_trace(
    conn: &Connection,
    at: i64,
    input_hash: &str,
    input_bytes: usize,
    result: &serde_json::Value,
) -> Result<i64> {
    conn.execute(
        "INSERT INTO traces (at, input_hash, input_bytes, result) VALUES (?1, ?2, ?3, ?4)",
        params![at, input_hash, input_bytes as i64, result.to_string()],
    )
    .map_err(db)?;
    Ok(conn.last_insert_rowid())
}

pub(crate) fn trace(conn: &Connection, id: i64) -> Result<Option<TraceRecord>> {
    let row = conn
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

pub(crate) fn traces(conn: &Connection) -> Result<Vec<TraceRecord>> {
    let mut st = conn
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

pub(crate) fn put_trace_input(conn: &Connection, id: i64, input: &str) -> Result<()> {
    let n = conn
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

pub(crate) fn trace_input(conn: &Connection, id: i64) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT input FROM traces WHERE id = ?1", [id], |r| {
            r.get::<_, Option<String>>(0)
        })
        .optional()
        .map_err(db)?
        .flatten())
}

/// Keep a trace under its own id.
pub(crate) fn import_trace(conn: &Connection, t: &TraceRecord) -> Result<()> {
    let n = conn
        .execute(
            "INSERT OR IGNORE INTO traces (id, at, input_hash, input_bytes, result) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![t.id, t.at, t.input_hash, t.input_bytes as i64, t.result.to_string()],
        )
        .map_err(db)?;
    if n == 0 {
        return Err(StoreError::Conflict(format!("trace {} exists", t.id)));
    }
    Ok(())
}

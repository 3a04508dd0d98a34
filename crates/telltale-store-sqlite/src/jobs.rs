//! Background jobs in SQLite. Every process on the registry sees the same
//! rows; a job whose worker stopped saying it is alive can be taken over,
//! and the takeover is one immediate transaction, so two processes never
//! take the same job.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use telltale_store::{JobRecord, Result};

use crate::{begin, db, json, parse};

const JOB_COLUMNS: &str = "SELECT id, owner, kind, document, request, output, worker, heartbeat_at, done, total, created_at, finished_at, error FROM jobs";

type Row = (
    i64,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<String>,
);

fn row(r: &rusqlite::Row) -> rusqlite::Result<Row> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
        r.get(11)?,
        r.get(12)?,
    ))
}

fn record(r: Row) -> Result<JobRecord> {
    let (id, owner, kind, document, request, output, worker, heartbeat_at, done, total) =
        (r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9);
    Ok(JobRecord {
        id,
        owner,
        kind,
        document,
        request: request.map(|q| parse("job request", &q)).transpose()?,
        output: parse("job output", &output)?,
        worker,
        heartbeat_at,
        done: done as u64,
        total: total as u64,
        created_at: r.10,
        finished_at: r.11,
        error: r.12,
    })
}

pub(crate) fn put_job(conn: &Connection, j: &JobRecord) -> Result<i64> {
    let request = j.request.as_ref().map(json).transpose()?;
    conn.execute(
        "INSERT INTO jobs (owner, kind, document, request, output, worker, heartbeat_at, done, total, created_at, finished_at, error)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            j.owner,
            j.kind,
            j.document,
            request,
            json(&j.output)?,
            j.worker,
            j.heartbeat_at,
            j.done as i64,
            j.total as i64,
            j.created_at,
            j.finished_at,
            j.error
        ],
    )
    .map_err(db)?;
    Ok(conn.last_insert_rowid())
}

pub(crate) fn job(conn: &Connection, id: i64) -> Result<Option<JobRecord>> {
    conn.query_row(&format!("{JOB_COLUMNS} WHERE id = ?1"), [id], row)
        .optional()
        .map_err(db)?
        .map(record)
        .transpose()
}

pub(crate) fn claim_stale_job(
    conn: &mut Connection,
    worker: &str,
    at: i64,
    stale_before: i64,
) -> Result<Option<JobRecord>> {
    let tx = begin(conn, TransactionBehavior::Immediate)?;
    let found = tx
        .query_row(
            &format!(
                "{JOB_COLUMNS} WHERE finished_at IS NULL AND heartbeat_at < ?1 ORDER BY id LIMIT 1"
            ),
            [stale_before],
            row,
        )
        .optional()
        .map_err(db)?;
    let Some(found) = found else {
        return Ok(None);
    };
    let mut j = record(found)?;
    tx.execute(
        "UPDATE jobs SET worker = ?1, heartbeat_at = ?2 WHERE id = ?3",
        params![worker, at, j.id],
    )
    .map_err(db)?;
    tx.commit()?;
    j.worker = worker.to_string();
    j.heartbeat_at = at;
    Ok(Some(j))
}

pub(crate) fn update_job(conn: &Connection, j: &JobRecord) -> Result<bool> {
    let n = conn
        .execute(
            "UPDATE jobs SET document = ?1, output = ?2, done = ?3, total = ?4, heartbeat_at = ?5, finished_at = ?6, error = ?7
             WHERE id = ?8 AND worker = ?9",
            params![
                j.document,
                json(&j.output)?,
                j.done as i64,
                j.total as i64,
                j.heartbeat_at,
                j.finished_at,
                j.error,
                j.id,
                j.worker
            ],
        )
        .map_err(db)?;
    Ok(n == 1)
}

pub(crate) fn forget_jobs(conn: &Connection, before: i64) -> Result<usize> {
    conn.execute(
        "DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?1",
        [before],
    )
    .map_err(db)
}

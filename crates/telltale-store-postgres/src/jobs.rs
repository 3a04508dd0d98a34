//! Background jobs in PostgreSQL. Every server process on the database
//! sees the same rows; a job whose worker stopped saying it is alive can be
//! taken over. The takeover is one statement that picks the job with
//! `FOR UPDATE SKIP LOCKED` and makes it the new worker's, inside a write
//! holding the write lock: two processes never take the same job, and one
//! never waits on a row another is taking.

use postgres::Row;
use telltale_store::{JobRecord, JobStore, Result};

use crate::{col, json, parse, PostgresStore};

fn job_row(r: &Row) -> Result<JobRecord> {
    let request: Option<&str> = col(r, 4)?;
    Ok(JobRecord {
        id: col(r, 0)?,
        owner: col(r, 1)?,
        kind: col(r, 2)?,
        document: col(r, 3)?,
        request: request.map(|q| parse("job request", q)).transpose()?,
        output: parse("job output", col(r, 5)?)?,
        worker: col(r, 6)?,
        heartbeat_at: col(r, 7)?,
        done: col::<i64>(r, 8)? as u64,
        total: col::<i64>(r, 9)? as u64,
        created_at: col(r, 10)?,
        finished_at: col(r, 11)?,
        error: col(r, 12)?,
    })
}

impl JobStore for PostgresStore {
    fn put_job(&mut self, j: &JobRecord) -> Result<i64> {
        let request = j.request.as_ref().map(json).transpose()?;
        let output = json(&j.output)?;
        let (done, total) = (j.done as i64, j.total as i64);
        self.write(|c| {
            // One more than the largest id, as SQLite gives rowids.
            let r = c.query_one(
                "INSERT INTO jobs (id, owner, kind, document, request, output, worker, heartbeat_at, done, total, created_at, finished_at, error)
                 VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM jobs), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                 RETURNING id",
                &[
                    &j.owner,
                    &j.kind,
                    &j.document,
                    &request,
                    &output,
                    &j.worker,
                    &j.heartbeat_at,
                    &done,
                    &total,
                    &j.created_at,
                    &j.finished_at,
                    &j.error,
                ],
            )?;
            col(&r, 0)
        })
    }

    fn job(&self, id: i64) -> Result<Option<JobRecord>> {
        self.read()?
            .query_opt(
                "SELECT id, owner, kind, document, request, output, worker, heartbeat_at, done, total, created_at, finished_at, error
                 FROM jobs WHERE id = $1",
                &[&id],
            )?
            .map(|r| job_row(&r))
            .transpose()
    }

    fn claim_stale_job(
        &mut self,
        worker: &str,
        at: i64,
        stale_before: i64,
    ) -> Result<Option<JobRecord>> {
        self.write(|c| {
            c.query_opt(
                "UPDATE jobs SET worker = $1, heartbeat_at = $2
                 WHERE id = (SELECT id FROM jobs
                             WHERE finished_at IS NULL AND heartbeat_at < $3
                             ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
                 RETURNING id, owner, kind, document, request, output, worker, heartbeat_at, done, total, created_at, finished_at, error",
                &[&worker, &at, &stale_before],
            )?
            .map(|r| job_row(&r))
            .transpose()
        })
    }

    fn update_job(&mut self, j: &JobRecord) -> Result<bool> {
        let output = json(&j.output)?;
        let (done, total) = (j.done as i64, j.total as i64);
        self.write(|c| {
            let n = c.execute(
                "UPDATE jobs SET document = $1, output = $2, done = $3, total = $4, heartbeat_at = $5, finished_at = $6, error = $7
                 WHERE id = $8 AND worker = $9",
                &[
                    &j.document,
                    &output,
                    &done,
                    &total,
                    &j.heartbeat_at,
                    &j.finished_at,
                    &j.error,
                    &j.id,
                    &j.worker,
                ],
            )?;
            Ok(n == 1)
        })
    }

    fn forget_jobs(&mut self, before: i64) -> Result<usize> {
        self.write(|c| {
            c.execute(
                "DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < $1",
                &[&before],
            )
            .map(|n| n as usize)
        })
    }
}

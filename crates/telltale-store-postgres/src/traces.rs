//! Traces in PostgreSQL: each result as the registry reported it (JSON
//! text, read back byte for byte), and the leaked text it was read from,
//! so that a case can be read again later. The text is kept as its UTF-8
//! bytes: a leak may hold a NUL, which a TEXT column refuses.

use postgres::Row;
use telltale_store::{Result, StoreError, TraceRecord, TraceStore};

use crate::{col, parse, PostgresStore};

fn trace_row(r: &Row) -> Result<TraceRecord> {
    Ok(TraceRecord {
        id: col(r, 0)?,
        at: col(r, 1)?,
        input_hash: col(r, 2)?,
        input_bytes: col::<i64>(r, 3)? as usize,
        result: parse("trace result", col(r, 4)?)?,
    })
}

impl TraceStore for PostgresStore {
    fn record_trace(
        &mut self,
        at: i64,
        input_hash: &str,
        input_bytes: usize,
        result: &serde_json::Value,
    ) -> Result<i64> {
        let bytes = input_bytes as i64;
        let result = result.to_string();
        self.write(|c| {
            // One more than the largest id, as SQLite gives rowids; the
            // write lock keeps two writers from taking the same.
            let row = c.query_one(
                "INSERT INTO traces (id, at, input_hash, input_bytes, result)
                 VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM traces), $1, $2, $3, $4)
                 RETURNING id",
                &[&at, &input_hash, &bytes, &result],
            )?;
            col(&row, 0)
        })
    }

    fn import_trace(&mut self, t: &TraceRecord) -> Result<()> {
        let bytes = t.input_bytes as i64;
        let result = t.result.to_string();
        self.write(|c| {
            let n = c.execute(
                "INSERT INTO traces (id, at, input_hash, input_bytes, result)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
                &[&t.id, &t.at, &t.input_hash, &bytes, &result],
            )?;
            if n == 0 {
                return Err(StoreError::Conflict(format!("trace {} exists", t.id)));
            }
            Ok(())
        })
    }

    fn traces(&self) -> Result<Vec<TraceRecord>> {
        self.read()?
            .query(
                "SELECT id, at, input_hash, input_bytes, result FROM traces ORDER BY id",
                &[],
            )?
            .iter()
            .map(trace_row)
            .collect()
    }

    fn trace(&self, id: i64) -> Result<Option<TraceRecord>> {
        self.read()?
            .query_opt(
                "SELECT id, at, input_hash, input_bytes, result FROM traces WHERE id = $1",
                &[&id],
            )?
            .map(|r| trace_row(&r))
            .transpose()
    }

    fn put_trace_input(&mut self, id: i64, input: &str) -> Result<()> {
        let bytes = input.as_bytes();
        self.write(|c| {
            let n = c.execute("UPDATE traces SET input = $2 WHERE id = $1", &[&id, &bytes])?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("trace {id}")));
            }
            Ok(())
        })
    }

    fn trace_input(&self, id: i64) -> Result<Option<String>> {
        let Some(r) = self
            .read()?
            .query_opt("SELECT input FROM traces WHERE id = $1", &[&id])?
        else {
            return Ok(None);
        };
        col::<Option<Vec<u8>>>(&r, 0)?
            .map(|b| {
                String::from_utf8(b)
                    .map_err(|_| StoreError::Corrupt(format!("trace {id}: its input is not UTF-8")))
            })
            .transpose()
    }
}

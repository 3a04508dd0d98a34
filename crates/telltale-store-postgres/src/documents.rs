//! Documents in PostgreSQL: their templates and the shingle index that
//! locates them, and the files they were registered from. Shingles are u64
//! hashes kept bit-cast as BIGINT, sent and matched as whole arrays (one
//! statement for a document's index, one for a lookup), never a row at a
//! time.

use telltale_store::{
    stored_format, DocumentRecord, DocumentStore, DocumentSummary, Result, StoreError,
};

use crate::{col, db, is_state, json, parse, Conn, PostgresStore};
use postgres::error::SqlState;

/// Each distinct hash once, bit-cast for BIGINT.
fn distinct(shingles: &[u64]) -> Vec<i64> {
    let mut v: Vec<i64> = shingles.iter().map(|&h| h as i64).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Index a document's shingles (each distinct hash once).
fn insert_shingles(c: &mut Conn, id: &str, shingles: &[u64]) -> Result<()> {
    let hashes = distinct(shingles);
    if hashes.is_empty() {
        return Ok(());
    }
    c.execute(
        "INSERT INTO shingles (document_id, hash) SELECT $1, h FROM unnest($2::BIGINT[]) AS h",
        &[&id, &hashes],
    )
    .map(drop)
}

fn issued_count(c: &mut Conn, id: &str) -> Result<i64> {
    let row = c.query_one(
        "SELECT COUNT(*) FROM issuances WHERE document_id = $1",
        &[&id],
    )?;
    col(&row, 0)
}

impl DocumentStore for PostgresStore {
    fn put_document(&mut self, doc: &DocumentRecord, shingles: &[u64]) -> Result<()> {
        let template = json(&doc.template)?;
        let code_params = json(&doc.code_params)?;
        let rules = json(&doc.rules)?;
        let words = doc.template.word_count() as i64;
        let slots = doc.template.slots.len() as i64;
        self.write(|c| {
            let n = c.execute(
                "INSERT INTO documents (id, title, created_at, template, code_params, rules, words, slots, source_format)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (id) DO NOTHING",
                &[
                    &doc.id,
                    &doc.title,
                    &doc.created_at,
                    &template,
                    &code_params,
                    &rules,
                    &words,
                    &slots,
                    &doc.source_format.name(),
                ],
            )?;
            if n == 0 {
                return Err(StoreError::Conflict(format!(
                    "a document with id {} already exists",
                    doc.id
                )));
            }
            insert_shingles(c, &doc.id, shingles)
        })
    }

    fn document(&self, id: &str) -> Result<Option<DocumentRecord>> {
        let Some(r) = self.read()?.query_opt(
            "SELECT id, title, created_at, template, code_params, rules, source_format
             FROM documents WHERE id = $1",
            &[&id],
        )?
        else {
            return Ok(None);
        };
        let id: String = col(&r, 0)?;
        let template: telltale_core::Template = parse("template", col(&r, 3)?)?;
        template
            .validate()
            .map_err(|e| StoreError::Corrupt(format!("document {id}: {e}")))?;
        Ok(Some(DocumentRecord {
            title: col(&r, 1)?,
            created_at: col(&r, 2)?,
            source_format: stored_format(col(&r, 6)?)?,
            template,
            code_params: parse("code parameters", col(&r, 4)?)?,
            rules: parse("rules", col(&r, 5)?)?,
            id,
        }))
    }

    fn documents(&self) -> Result<Vec<DocumentSummary>> {
        let rows = self.read()?.query(
            "SELECT d.id, d.title, d.created_at, d.words, d.slots,
                    (SELECT COUNT(*) FROM issuances i WHERE i.document_id = d.id)
             FROM documents d ORDER BY d.created_at, d.id",
            &[],
        )?;
        rows.iter()
            .map(|r| {
                Ok(DocumentSummary {
                    id: col(r, 0)?,
                    title: col(r, 1)?,
                    created_at: col(r, 2)?,
                    words: col::<i64>(r, 3)? as usize,
                    slots: col::<i64>(r, 4)? as usize,
                    issued: col::<i64>(r, 5)? as usize,
                })
            })
            .collect()
    }

    fn remove_document(&mut self, id: &str, force: bool) -> Result<()> {
        self.write(|c| {
            let exists = c
                .query_opt("SELECT 1 FROM documents WHERE id = $1", &[&id])?
                .is_some();
            if !exists {
                return Err(StoreError::NotFound(format!("document {id}")));
            }
            let issued = issued_count(c, id)?;
            if issued > 0 && !force {
                return Err(StoreError::Conflict(format!(
                    "document {id} has been issued to {issued} recipient(s); removing it would make their copies untraceable (use --force)"
                )));
            }
            c.execute("DELETE FROM issuances WHERE document_id = $1", &[&id])?;
            c.execute("DELETE FROM shingles WHERE document_id = $1", &[&id])?;
            // Its links and source go with it (ON DELETE CASCADE).
            c.execute("DELETE FROM documents WHERE id = $1", &[&id])?;
            Ok(())
        })
    }

    fn candidate_documents(&self, shingles: &[u64], limit: usize) -> Result<Vec<(String, usize)>> {
        let hashes = distinct(shingles);
        if hashes.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // Ids are COLLATE "C": ties go in byte order, as SQLite's do.
        let rows = self.read()?.query(
            "SELECT document_id, COUNT(*) FROM shingles WHERE hash = ANY($1::BIGINT[])
             GROUP BY document_id ORDER BY COUNT(*) DESC, document_id LIMIT $2",
            &[&hashes, &limit],
        )?;
        rows.iter()
            .map(|r| Ok((col(r, 0)?, col::<i64>(r, 1)? as usize)))
            .collect()
    }

    fn shingles(&self, id: &str) -> Result<Vec<u64>> {
        let rows = self
            .read()?
            .query("SELECT hash FROM shingles WHERE document_id = $1", &[&id])?;
        let mut v = rows
            .iter()
            .map(|r| col::<i64>(r, 0).map(|h| h as u64))
            .collect::<Result<Vec<_>>>()?;
        // Ascending as u64, which is not BIGINT's order.
        v.sort_unstable();
        Ok(v)
    }

    fn replace_document(&mut self, doc: &DocumentRecord, shingles: &[u64]) -> Result<()> {
        let template = json(&doc.template)?;
        let rules = json(&doc.rules)?;
        let slots = doc.template.slots.len() as i64;
        self.write(|c| {
            let issued = issued_count(c, &doc.id)?;
            if issued > 0 {
                return Err(StoreError::Conflict(format!(
                    "{} copies of {} have been issued; its variations can no longer change",
                    issued, doc.id
                )));
            }
            let n = c.execute(
                "UPDATE documents SET template = $2, rules = $3, slots = $4 WHERE id = $1",
                &[&doc.id, &template, &rules, &slots],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("document {}", doc.id)));
            }
            c.execute("DELETE FROM shingles WHERE document_id = $1", &[&doc.id])?;
            insert_shingles(c, &doc.id, shingles)
        })
    }

    fn put_source(&mut self, document_id: &str, bytes: &[u8]) -> Result<()> {
        self.write(|c| {
            c.execute_raw(
                "INSERT INTO sources (document_id, bytes) VALUES ($1, $2)
                 ON CONFLICT (document_id) DO UPDATE SET bytes = EXCLUDED.bytes",
                &[&document_id, &bytes],
            )
            .map_err(|e| {
                if is_state(&e, &SqlState::FOREIGN_KEY_VIOLATION) {
                    StoreError::NotFound(format!("document {document_id}"))
                } else {
                    db(e)
                }
            })
            .map(drop)
        })
    }

    fn source(&self, document_id: &str) -> Result<Option<Vec<u8>>> {
        self.read()?
            .query_opt(
                "SELECT bytes FROM sources WHERE document_id = $1",
                &[&document_id],
            )?
            .map(|r| col(&r, 0))
            .transpose()
    }
}

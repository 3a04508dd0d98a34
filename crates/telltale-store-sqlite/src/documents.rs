//! Documents in SQLite: their templates and the shingle index that
//! locates them, the files they were registered from, the issuances of
//! their copies (each recorded with its audit entry, in one transaction
//! with completing the copy's file) and the reading-room links to them.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use telltale_store::{
    issuance_detail, AuditEntry, ChainKey, DocumentRecord, DocumentSummary, Issuance, Link, Result,
    StoreError,
};

use crate::audit::append_audit_in;
use crate::{begin, db, json, parse};

pub(crate) fn put_document(
    conn: &mut Connection,
    doc: &DocumentRecord,
    shingles: &[u64],
) -> Result<()> {
    let tx = begin(conn, TransactionBehavior::Deferred)?;
    let exists: bool = tx
        .query_row("SELECT 1 FROM documents WHERE id = ?1", [&doc.id], |_| {
            Ok(true)
        })
        .optional()
        .map_err(db)?
        .is_some();
    if exists {
        return Err(StoreError::Conflict(format!(
            "a document with id {} already exists",
            doc.id
        )));
    }
    tx.execute(
        "INSERT INTO documents (id, title, created_at, template, code_params, rules, words, slots, source_format)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            doc.id,
            doc.title,
            doc.created_at,
            json(&doc.template)?,
            json(&doc.code_params)?,
            json(&doc.rules)?,
            doc.template.word_count() as i64,
            doc.template.slots.len() as i64,
            doc.source_format.name()
        ],
    )
    .map_err(db)?;
    insert_shingles(&tx, &doc.id, shingles)?;
    tx.commit()
}

pub(crate) fn document(conn: &Connection, id: &str) -> Result<Option<DocumentRecord>> {
    let row = conn
        .query_row(
            "SELECT id, title, created_at, template, code_params, rules, source_format FROM documents WHERE id = ?1",
            [id],
            |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?, r.get::<_, String>(4)?, r.get::<_, String>(5)?, r.get::<_, String>(6)?)),
        )
        .optional()
        .map_err(db)?;
    let Some((id, title, created_at, template, code_params, rules, source_format)) = row else {
        return Ok(None);
    };
    let template: telltale_core::Template = parse("template", &template)?;
    template
        .validate()
        .map_err(|e| StoreError::Corrupt(format!("document {id}: {e}")))?;
    Ok(Some(DocumentRecord {
        id,
        title,
        created_at,
        source_format: telltale_store::stored_format(&source_format)?,
        template,
        code_params: parse("code parameters", &code_params)?,
        rules: parse("rules", &rules)?,
    }))
}

pub(crate) fn documents(conn: &Connection) -> Result<Vec<DocumentSummary>> {
    let mut st = conn
        .prepare(
            "SELECT d.id, d.title, d.created_at, d.words, d.slots,
                    (SELECT COUNT(*) FROM issuances i WHERE i.document_id = d.id)
             FROM documents d ORDER BY d.created_at, d.id",
        )
        .map_err(db)?;
    let rows = st
        .query_map([], |r| {
            Ok(DocumentSummary {
                id: r.get(0)?,
                title: r.get(1)?,
                created_at: r.get(2)?,
                words: r.get::<_, i64>(3)? as usize,
                slots: r.get::<_, i64>(4)? as usize,
                issued: r.get::<_, i64>(5)? as usize,
            })
        })
        .map_err(db)?;
    rows.collect::<std::result::Result<_, _>>().map_err(db)
}

pub(crate) fn remove_document(conn: &mut Connection, id: &str, force: bool) -> Result<()> {
    let tx = begin(conn, TransactionBehavior::Deferred)?;
    let exists = tx
        .query_row("SELECT 1 FROM documents WHERE id = ?1", [id], |_| Ok(()))
        .optional()
        .map_err(db)?
        .is_some();
    if !exists {
        return Err(StoreError::NotFound(format!("document {id}")));
    }
    let issued: i64 = tx
        .query_row(
            "SELECT COUNT(*) FROM issuances WHERE document_id = ?1",
            [id],
            |r| r.get(0),
        )
        .map_err(db)?;
    if issued > 0 && !force {
        return Err(StoreError::Conflict(format!(
            "document {id} has been issued to {issued} recipient(s); removing it would make their copies untraceable (use --force)"
        )));
    }
    tx.execute("DELETE FROM issuances WHERE document_id = ?1", [id])
        .map_err(db)?;
    tx.execute("DELETE FROM shingles WHERE document_id = ?1", [id])
        .map_err(db)?;
    tx.execute("DELETE FROM documents WHERE id = ?1", [id])
        .map_err(db)?;
    tx.commit()
}

pub(crate) fn candidate_documents(
    conn: &Connection,
    shingles: &[u64],
    limit: usize,
) -> Result<Vec<(String, usize)>> {
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut uniq: Vec<i64> = shingles.iter().map(|&h| h as i64).collect();
    uniq.sort_unstable();
    uniq.dedup();
    for chunk in uniq.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(",");
        let sql = format!("SELECT document_id, COUNT(*) FROM shingles WHERE hash IN ({marks}) GROUP BY document_id");
        let mut st = conn.prepare_cached(&sql).map_err(db)?;
        let rows = st
            .query_map(rusqlite::params_from_iter(chunk.iter()), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as usize))
            })
            .map_err(db)?;
        for row in rows {
            let (d, c) = row.map_err(db)?;
            *counts.entry(d).or_default() += c;
        }
    }
    let mut v: Vec<(String, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.truncate(limit);
    Ok(v)
}

pub(crate) fn record_issuance(
    conn: &mut Connection,
    key: &ChainKey,
    i: &Issuance,
    actor: &str,
    complete: &mut dyn FnMut() -> Result<()>,
) -> Result<AuditEntry> {
    let tx = begin(conn, TransactionBehavior::Immediate)?;
    import_issuance(&tx, i)?;
    let e = append_audit_in(&tx, key, i.issued_at, actor, "issue", &issuance_detail(i))?;
    complete()?;
    tx.commit()?;
    Ok(e)
}

/// Keep an issuance as given, without an audit entry (inside the caller's
/// transaction when recording one with its entry); `Conflict` if the
/// recipient already holds the document.
pub(crate) fn import_issuance(conn: &Connection, i: &Issuance) -> Result<()> {
    let n = conn
        .execute(
            "INSERT OR IGNORE INTO issuances (document_id, recipient_id, issued_at, path, content_hash, format, recipient_name)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![i.document_id, i.recipient_id, i.issued_at, i.path, i.content_hash, i.format.name(), i.recipient_name],
        )
        .map_err(db)?;
    if n == 0 {
        return Err(StoreError::Conflict(format!(
            "{} already has a copy of {}",
            i.recipient_id, i.document_id
        )));
    }
    Ok(())
}

/// A document's shingles, ascending.
pub(crate) fn shingles(conn: &Connection, id: &str) -> Result<Vec<u64>> {
    let mut st = conn
        .prepare("SELECT hash FROM shingles WHERE document_id = ?1")
        .map_err(db)?;
    let rows = st.query_map([id], |r| r.get::<_, i64>(0)).map_err(db)?;
    let mut v = rows
        .map(|h| h.map(|h| h as u64))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(db)?;
    v.sort_unstable();
    Ok(v)
}

pub(crate) fn issuances(conn: &Connection, document_id: Option<&str>) -> Result<Vec<Issuance>> {
    let sql =
        "SELECT document_id, recipient_id, format, issued_at, path, content_hash, recipient_name FROM issuances
               WHERE ?1 IS NULL OR document_id = ?1 ORDER BY document_id, recipient_id";
    let mut st = conn.prepare(sql).map_err(db)?;
    let rows = st
        .query_map([document_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Option<String>>(6)?,
            ))
        })
        .map_err(db)?;
    rows.map(|row| {
        let (document_id, recipient_id, format, issued_at, path, content_hash, recipient_name) =
            row.map_err(db)?;
        Ok(Issuance {
            document_id,
            recipient_id,
            format: telltale_store::stored_format(&format)?,
            issued_at,
            path,
            content_hash,
            recipient_name,
        })
    })
    .collect()
}

pub(crate) fn holders(conn: &Connection, document_id: &str) -> Result<Vec<String>> {
    // The primary key (document_id, recipient_id) covers the query: ids
    // come straight from the index, in order, one per recipient.
    let mut st = conn
        .prepare_cached(
            "SELECT recipient_id FROM issuances WHERE document_id = ?1 ORDER BY recipient_id",
        )
        .map_err(db)?;
    let rows = st.query_map([document_id], |r| r.get(0)).map_err(db)?;
    rows.collect::<std::result::Result<_, _>>().map_err(db)
}

pub(crate) fn holder_count(conn: &Connection, document_id: &str) -> Result<u64> {
    conn.prepare_cached("SELECT COUNT(*) FROM issuances WHERE document_id = ?1")
        .and_then(|mut st| st.query_row([document_id], |r| r.get::<_, i64>(0)))
        .map(|n| n.max(0) as u64)
        .map_err(db)
}

pub(crate) fn issued_name(
    conn: &Connection,
    document_id: &str,
    recipient_id: &str,
) -> Result<Option<String>> {
    conn.query_row(
        "SELECT recipient_name FROM issuances WHERE document_id = ?1 AND recipient_id = ?2",
        [document_id, recipient_id],
        |r| r.get::<_, Option<String>>(0),
    )
    .optional()
    .map_err(db)
    .map(Option::flatten)
}

pub(crate) fn replace_document(
    conn: &mut Connection,
    doc: &DocumentRecord,
    shingles: &[u64],
) -> Result<()> {
    let tx = begin(conn, TransactionBehavior::Immediate)?;
    let issued: i64 = tx
        .query_row(
            "SELECT COUNT(*) FROM issuances WHERE document_id = ?1",
            [&doc.id],
            |r| r.get(0),
        )
        .map_err(db)?;
    if issued > 0 {
        return Err(StoreError::Conflict(format!(
            "{} copies of {} have been issued; its variations can no longer change",
            issued, doc.id
        )));
    }
    let n = tx
        .execute(
            "UPDATE documents SET template = ?2, rules = ?3, slots = ?4 WHERE id = ?1",
            params![
                doc.id,
                json(&doc.template)?,
                json(&doc.rules)?,
                doc.template.slots.len() as i64
            ],
        )
        .map_err(db)?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("document {}", doc.id)));
    }
    tx.execute("DELETE FROM shingles WHERE document_id = ?1", [&doc.id])
        .map_err(db)?;
    insert_shingles(&tx, &doc.id, shingles)?;
    tx.commit()
}

pub(crate) fn put_link(conn: &Connection, l: &Link) -> Result<()> {
    conn
        .execute(
            "INSERT INTO links (id, token_hash, document_id, recipient_id, created_at, expires_at, revoked, views)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![l.id, l.token_hash, l.document_id, l.recipient_id, l.created_at, l.expires_at, l.revoked, l.views as i64],
        )
        .map_err(|e| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::ConstraintViolation) => {
                StoreError::Conflict(format!("link {} already exists or names an unknown document or recipient", l.id))
            }
            _ => db(e),
        })?;
    Ok(())
}

pub(crate) fn link(conn: &Connection, id: &str) -> Result<Option<Link>> {
    conn.query_row(&format!("{LINK_COLUMNS} WHERE id = ?1"), [id], link_row)
        .optional()
        .map_err(db)
}

pub(crate) fn link_by_token(conn: &Connection, token_hash: &str) -> Result<Option<Link>> {
    conn.query_row(
        &format!("{LINK_COLUMNS} WHERE token_hash = ?1"),
        [token_hash],
        link_row,
    )
    .optional()
    .map_err(db)
}

pub(crate) fn links(conn: &Connection, document_id: Option<&str>) -> Result<Vec<Link>> {
    let mut st = conn
        .prepare(&format!(
            "{LINK_COLUMNS} WHERE ?1 IS NULL OR document_id = ?1 ORDER BY document_id, recipient_id, created_at"
        ))
        .map_err(db)?;
    let rows = st.query_map([document_id], link_row).map_err(db)?;
    rows.collect::<std::result::Result<_, _>>().map_err(db)
}

pub(crate) fn revoke_link(conn: &Connection, id: &str) -> Result<()> {
    let n = conn
        .execute("UPDATE links SET revoked = 1 WHERE id = ?1", [id])
        .map_err(db)?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("link {id}")));
    }
    Ok(())
}

pub(crate) fn revoke_recipient_links(
    conn: &Connection,
    document_id: &str,
    recipient_id: &str,
) -> Result<usize> {
    conn.execute(
        "UPDATE links SET revoked = 1 WHERE document_id = ?1 AND recipient_id = ?2 AND revoked = 0",
        [document_id, recipient_id],
    )
    .map_err(db)
}

pub(crate) fn put_source(conn: &Connection, document_id: &str, bytes: &[u8]) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO sources (document_id, bytes) VALUES (?1, ?2)",
        params![document_id, bytes],
    )
    .map_err(|e| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => {
            StoreError::NotFound(format!("document {document_id}"))
        }
        _ => db(e),
    })?;
    Ok(())
}

pub(crate) fn source(conn: &Connection, document_id: &str) -> Result<Option<Vec<u8>>> {
    conn.query_row(
        "SELECT bytes FROM sources WHERE document_id = ?1",
        [document_id],
        |r| r.get(0),
    )
    .optional()
    .map_err(db)
}

pub(crate) fn count_link_view(conn: &Connection, id: &str) -> Result<()> {
    conn.execute("UPDATE links SET views = views + 1 WHERE id = ?1", [id])
        .map_err(db)?;
    Ok(())
}

/// Index a document's shingles (each distinct hash once).
fn insert_shingles(tx: &Connection, id: &str, shingles: &[u64]) -> Result<()> {
    let mut st = tx
        .prepare("INSERT INTO shingles (hash, document_id) VALUES (?1, ?2)")
        .map_err(db)?;
    let mut seen = std::collections::HashSet::new();
    for &h in shingles {
        if seen.insert(h) {
            st.execute(params![h as i64, id]).map_err(db)?;
        }
    }
    Ok(())
}

const LINK_COLUMNS: &str = "SELECT id, token_hash, document_id, recipient_id, created_at, expires_at, revoked, views FROM links";

fn link_row(r: &rusqlite::Row) -> rusqlite::Result<Link> {
    Ok(Link {
        id: r.get(0)?,
        token_hash: r.get(1)?,
        document_id: r.get(2)?,
        recipient_id: r.get(3)?,
        created_at: r.get(4)?,
        expires_at: r.get(5)?,
        revoked: r.get(6)?,
        views: r.get::<_, i64>(7)? as u64,
    })
}

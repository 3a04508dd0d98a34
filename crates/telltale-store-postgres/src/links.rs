//! Reading-room links in PostgreSQL: a recipient's personal link to their
//! own copy of one document, kept by the hash of its secret. Part of
//! `RecipientStore`; apart from `recipients` only to keep files short.

use postgres::error::SqlState;
use postgres::Row;
use telltale_store::{Link, Result, StoreError};

use crate::{col, db, is_state, Conn};

fn link_row(r: &Row) -> Result<Link> {
    Ok(Link {
        id: col(r, 0)?,
        token_hash: col(r, 1)?,
        document_id: col(r, 2)?,
        recipient_id: col(r, 3)?,
        created_at: col(r, 4)?,
        expires_at: col(r, 5)?,
        revoked: col(r, 6)?,
        views: col::<i64>(r, 7)? as u64,
    })
}

pub(crate) fn put_link(c: &mut Conn, l: &Link) -> Result<()> {
    let views = l.views as i64;
    c.execute_raw(
        "INSERT INTO links (id, token_hash, document_id, recipient_id, created_at, expires_at, revoked, views)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &l.id,
            &l.token_hash,
            &l.document_id,
            &l.recipient_id,
            &l.created_at,
            &l.expires_at,
            &l.revoked,
            &views,
        ],
    )
    .map_err(|e| {
        if is_state(&e, &SqlState::UNIQUE_VIOLATION)
            || is_state(&e, &SqlState::FOREIGN_KEY_VIOLATION)
            || is_state(&e, &SqlState::NOT_NULL_VIOLATION)
        {
            StoreError::Conflict(format!(
                "link {} already exists or names an unknown document or recipient",
                l.id
            ))
        } else {
            db(e)
        }
    })
    .map(drop)
}

pub(crate) fn link(c: &mut Conn, id: &str) -> Result<Option<Link>> {
    c.query_opt(
        "SELECT id, token_hash, document_id, recipient_id, created_at, expires_at, revoked, views
         FROM links WHERE id = $1",
        &[&id],
    )?
    .map(|r| link_row(&r))
    .transpose()
}

pub(crate) fn link_by_token(c: &mut Conn, token_hash: &str) -> Result<Option<Link>> {
    c.query_opt(
        "SELECT id, token_hash, document_id, recipient_id, created_at, expires_at, revoked, views
         FROM links WHERE token_hash = $1",
        &[&token_hash],
    )?
    .map(|r| link_row(&r))
    .transpose()
}

pub(crate) fn links(c: &mut Conn, document_id: Option<&str>) -> Result<Vec<Link>> {
    c.query(
        "SELECT id, token_hash, document_id, recipient_id, created_at, expires_at, revoked, views
         FROM links WHERE $1::TEXT IS NULL OR document_id = $1
         ORDER BY document_id, recipient_id, created_at",
        &[&document_id],
    )?
    .iter()
    .map(link_row)
    .collect()
}

pub(crate) fn revoke_link(c: &mut Conn, id: &str) -> Result<()> {
    let n = c.execute("UPDATE links SET revoked = TRUE WHERE id = $1", &[&id])?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("link {id}")));
    }
    Ok(())
}

pub(crate) fn revoke_recipient_links(
    c: &mut Conn,
    document_id: &str,
    recipient_id: &str,
) -> Result<usize> {
    c.execute(
        "UPDATE links SET revoked = TRUE
         WHERE document_id = $1 AND recipient_id = $2 AND NOT revoked",
        &[&document_id, &recipient_id],
    )
    .map(|n| n as usize)
}

pub(crate) fn count_link_view(c: &mut Conn, id: &str) -> Result<()> {
    c.execute("UPDATE links SET views = views + 1 WHERE id = $1", &[&id])
        .map(drop)
}

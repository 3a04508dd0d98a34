//! The server's accounts in SQLite: users with their roles, browser
//! sessions, API tokens, and the sign-in attempts the rate limit counts.
//! Only hashes of secrets reach these tables (see `telltale_store::User`).

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use telltale_store::{ApiToken, Reservation, Result, Role, Session, StoreError, User};

use crate::{begin, db};

pub(crate) fn put_user(conn: &Connection, u: &User) -> Result<()> {
    let n = conn
        .execute(
            "INSERT OR IGNORE INTO users (name, role, password_hash, created_at, disabled) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![u.name, u.role.name(), u.password_hash, u.created_at, u.disabled],
        )
        .map_err(db)?;
    if n == 0 {
        return Err(StoreError::Conflict(format!(
            "user {} already exists",
            u.name
        )));
    }
    Ok(())
}

pub(crate) fn update_user(conn: &Connection, u: &User) -> Result<()> {
    let n = conn
        .execute(
            "UPDATE users SET role = ?2, password_hash = ?3, disabled = ?4 WHERE name = ?1",
            params![u.name, u.role.name(), u.password_hash, u.disabled],
        )
        .map_err(db)?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("user {}", u.name)));
    }
    Ok(())
}

pub(crate) fn user(conn: &Connection, name: &str) -> Result<Option<User>> {
    conn.query_row(
        "SELECT name, role, password_hash, created_at, disabled FROM users WHERE name = ?1",
        [name],
        user_row,
    )
    .optional()
    .map_err(db)
}

pub(crate) fn users(conn: &Connection) -> Result<Vec<User>> {
    let mut st = conn
        .prepare("SELECT name, role, password_hash, created_at, disabled FROM users ORDER BY name")
        .map_err(db)?;
    let rows = st.query_map([], user_row).map_err(db)?;
    rows.collect::<std::result::Result<_, _>>().map_err(db)
}

pub(crate) fn put_session(conn: &mut Connection, s: &Session) -> Result<()> {
    let tx = begin(conn, TransactionBehavior::Deferred)?;
    tx.execute(
        "DELETE FROM sessions WHERE expires_at <= ?1",
        [s.created_at],
    )
    .map_err(db)?;
    tx.execute(
        "INSERT INTO sessions (token_hash, user, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![s.token_hash, s.user, s.created_at, s.expires_at],
    )
    .map_err(db)?;
    tx.commit()
}

pub(crate) fn session(conn: &Connection, token_hash: &str) -> Result<Option<Session>> {
    conn.query_row(
        "SELECT token_hash, user, created_at, expires_at FROM sessions WHERE token_hash = ?1",
        [token_hash],
        |r| {
            Ok(Session {
                token_hash: r.get(0)?,
                user: r.get(1)?,
                created_at: r.get(2)?,
                expires_at: r.get(3)?,
            })
        },
    )
    .optional()
    .map_err(db)
}

pub(crate) fn delete_session(conn: &Connection, token_hash: &str) -> Result<()> {
    conn.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])
        .map_err(db)?;
    Ok(())
}

pub(crate) fn put_api_token(conn: &Connection, t: &ApiToken) -> Result<()> {
    conn
        .execute(
            "INSERT INTO api_tokens (id, token_hash, user, label, created_at, revoked) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![t.id, t.token_hash, t.user, t.label, t.created_at, t.revoked],
        )
        .map_err(db)?;
    Ok(())
}

pub(crate) fn api_token(conn: &Connection, token_hash: &str) -> Result<Option<ApiToken>> {
    conn
        .query_row(
            "SELECT id, token_hash, user, label, created_at, revoked FROM api_tokens WHERE token_hash = ?1",
            [token_hash],
            token_row,
        )
        .optional()
        .map_err(db)
}

pub(crate) fn api_tokens(conn: &Connection) -> Result<Vec<ApiToken>> {
    let mut st = conn
        .prepare("SELECT id, token_hash, user, label, created_at, revoked FROM api_tokens ORDER BY created_at, id")
        .map_err(db)?;
    let rows = st.query_map([], token_row).map_err(db)?;
    rows.collect::<std::result::Result<_, _>>().map_err(db)
}

pub(crate) fn revoke_api_token(conn: &Connection, id: &str) -> Result<()> {
    let n = conn
        .execute("UPDATE api_tokens SET revoked = 1 WHERE id = ?1", [id])
        .map_err(db)?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("API token {id}")));
    }
    Ok(())
}

pub(crate) fn revoke_credentials(conn: &mut Connection, user: &str) -> Result<(usize, usize)> {
    let tx = conn.transaction().map_err(db)?;
    let sessions = tx
        .execute("DELETE FROM sessions WHERE user = ?1", [user])
        .map_err(db)?;
    let tokens = tx
        .execute(
            "UPDATE api_tokens SET revoked = 1 WHERE user = ?1 AND revoked = 0",
            [user],
        )
        .map_err(db)?;
    tx.commit().map_err(db)?;
    Ok((sessions, tokens))
}

pub(crate) fn reserve_sign_in(
    conn: &mut Connection,
    keys: &[String],
    at: i64,
    since: i64,
    max: u32,
) -> Result<Reservation> {
    // IMMEDIATE takes the write lock before the count, so two handles
    // cannot both count below the limit and both insert.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    tx.execute("DELETE FROM sign_in_attempts WHERE at <= ?1", [since])
        .map_err(db)?;
    for key in keys {
        let (count, oldest): (u32, Option<i64>) = tx
            .query_row(
                "SELECT COUNT(*), MIN(at) FROM sign_in_attempts WHERE key = ?1",
                [key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(db)?;
        if count >= max {
            return Ok(Reservation::Refused {
                oldest: oldest.unwrap_or(at),
            });
        }
    }
    // The attempt's id is the id of its first row.
    let mut attempt: Option<i64> = None;
    for key in keys {
        tx.execute(
            "INSERT INTO sign_in_attempts (attempt, key, at) VALUES (?1, ?2, ?3)",
            params![attempt.unwrap_or(0), key, at],
        )
        .map_err(db)?;
        if attempt.is_none() {
            let id = tx.last_insert_rowid();
            tx.execute(
                "UPDATE sign_in_attempts SET attempt = ?1 WHERE id = ?1",
                [id],
            )
            .map_err(db)?;
            attempt = Some(id);
        }
    }
    tx.commit().map_err(db)?;
    Ok(Reservation::Reserved(attempt.unwrap_or(0)))
}

pub(crate) fn clear_sign_in(conn: &Connection, attempt: i64, key: &str) -> Result<()> {
    conn.execute(
        "DELETE FROM sign_in_attempts WHERE attempt = ?1 OR key = ?2",
        params![attempt, key],
    )
    .map_err(db)?;
    Ok(())
}

fn user_row(r: &rusqlite::Row) -> rusqlite::Result<User> {
    let role: String = r.get(1)?;
    Ok(User {
        name: r.get(0)?,
        role: Role::from_name(&role).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                1,
                rusqlite::types::Type::Text,
                format!("unknown role {role:?}").into(),
            )
        })?,
        password_hash: r.get(2)?,
        created_at: r.get(3)?,
        disabled: r.get(4)?,
    })
}

fn token_row(r: &rusqlite::Row) -> rusqlite::Result<ApiToken> {
    Ok(ApiToken {
        id: r.get(0)?,
        token_hash: r.get(1)?,
        user: r.get(2)?,
        label: r.get(3)?,
        created_at: r.get(4)?,
        revoked: r.get(5)?,
    })
}

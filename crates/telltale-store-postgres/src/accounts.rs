//! The server's accounts in PostgreSQL: users with their roles, browser
//! sessions, API tokens, and the sign-in attempts the rate limit counts.
//! Only hashes of secrets reach these tables (see `telltale_store::User`).
//! The owner column is `user_name`, `user` being reserved in PostgreSQL.

use postgres::Row;
use telltale_store::{
    AccountStore, ApiToken, Reservation, Result, Role, Session, StoreError, User,
};

use crate::{col, PostgresStore};

fn user_row(r: &Row) -> Result<User> {
    let role: String = col(r, 1)?;
    Ok(User {
        name: col(r, 0)?,
        role: Role::from_name(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown role {role:?}")))?,
        password_hash: col(r, 2)?,
        created_at: col(r, 3)?,
        disabled: col(r, 4)?,
    })
}

fn token_row(r: &Row) -> Result<ApiToken> {
    Ok(ApiToken {
        id: col(r, 0)?,
        token_hash: col(r, 1)?,
        user: col(r, 2)?,
        label: col(r, 3)?,
        created_at: col(r, 4)?,
        revoked: col(r, 5)?,
    })
}

impl AccountStore for PostgresStore {
    fn put_user(&mut self, u: &User) -> Result<()> {
        self.write(|c| {
            let n = c.execute(
                "INSERT INTO users (name, role, password_hash, created_at, disabled)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING",
                &[
                    &u.name,
                    &u.role.name(),
                    &u.password_hash,
                    &u.created_at,
                    &u.disabled,
                ],
            )?;
            if n == 0 {
                return Err(StoreError::Conflict(format!(
                    "user {} already exists",
                    u.name
                )));
            }
            Ok(())
        })
    }

    fn update_user(&mut self, u: &User) -> Result<()> {
        self.write(|c| {
            let n = c.execute(
                "UPDATE users SET role = $2, password_hash = $3, disabled = $4 WHERE name = $1",
                &[&u.name, &u.role.name(), &u.password_hash, &u.disabled],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("user {}", u.name)));
            }
            Ok(())
        })
    }

    fn user(&self, name: &str) -> Result<Option<User>> {
        self.read()?
            .query_opt(
                "SELECT name, role, password_hash, created_at, disabled FROM users WHERE name = $1",
                &[&name],
            )?
            .map(|r| user_row(&r))
            .transpose()
    }

    fn users(&self) -> Result<Vec<User>> {
        self.read()?
            .query(
                "SELECT name, role, password_hash, created_at, disabled FROM users ORDER BY name",
                &[],
            )?
            .iter()
            .map(user_row)
            .collect()
    }

    fn put_session(&mut self, s: &Session) -> Result<()> {
        self.write(|c| {
            c.execute(
                "DELETE FROM sessions WHERE expires_at <= $1",
                &[&s.created_at],
            )?;
            c.execute(
                "INSERT INTO sessions (token_hash, user_name, created_at, expires_at)
                 VALUES ($1, $2, $3, $4)",
                &[&s.token_hash, &s.user, &s.created_at, &s.expires_at],
            )?;
            Ok(())
        })
    }

    fn session(&self, token_hash: &str) -> Result<Option<Session>> {
        self.read()?
            .query_opt(
                "SELECT token_hash, user_name, created_at, expires_at FROM sessions WHERE token_hash = $1",
                &[&token_hash],
            )?
            .map(|r| {
                Ok(Session {
                    token_hash: col(&r, 0)?,
                    user: col(&r, 1)?,
                    created_at: col(&r, 2)?,
                    expires_at: col(&r, 3)?,
                })
            })
            .transpose()
    }

    fn delete_session(&mut self, token_hash: &str) -> Result<()> {
        self.write(|c| {
            c.execute("DELETE FROM sessions WHERE token_hash = $1", &[&token_hash])
                .map(drop)
        })
    }

    fn put_api_token(&mut self, t: &ApiToken) -> Result<()> {
        self.write(|c| {
            c.execute(
                "INSERT INTO api_tokens (id, token_hash, user_name, label, created_at, revoked)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &t.id,
                    &t.token_hash,
                    &t.user,
                    &t.label,
                    &t.created_at,
                    &t.revoked,
                ],
            )
            .map(drop)
        })
    }

    fn api_token(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        self.read()?
            .query_opt(
                "SELECT id, token_hash, user_name, label, created_at, revoked
                 FROM api_tokens WHERE token_hash = $1",
                &[&token_hash],
            )?
            .map(|r| token_row(&r))
            .transpose()
    }

    fn api_tokens(&self) -> Result<Vec<ApiToken>> {
        self.read()?
            .query(
                "SELECT id, token_hash, user_name, label, created_at, revoked
                 FROM api_tokens ORDER BY created_at, id",
                &[],
            )?
            .iter()
            .map(token_row)
            .collect()
    }

    fn revoke_api_token(&mut self, id: &str) -> Result<()> {
        self.write(|c| {
            let n = c.execute("UPDATE api_tokens SET revoked = TRUE WHERE id = $1", &[&id])?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("API token {id}")));
            }
            Ok(())
        })
    }

    fn revoke_credentials(&mut self, user: &str) -> Result<(usize, usize)> {
        self.write(|c| {
            let sessions = c.execute("DELETE FROM sessions WHERE user_name = $1", &[&user])?;
            let tokens = c.execute(
                "UPDATE api_tokens SET revoked = TRUE WHERE user_name = $1 AND NOT revoked",
                &[&user],
            )?;
            Ok((sessions as usize, tokens as usize))
        })
    }

    fn reserve_sign_in(
        &mut self,
        keys: &[String],
        at: i64,
        since: i64,
        max: u32,
    ) -> Result<Reservation> {
        let max = i64::from(max);
        // The write lock is taken before the count, so two processes
        // cannot both count below the limit and both insert.
        self.write(|c| {
            c.execute("DELETE FROM sign_in_attempts WHERE at <= $1", &[&since])?;
            for key in keys {
                let r = c.query_one(
                    "SELECT COUNT(*), MIN(at) FROM sign_in_attempts WHERE key = $1",
                    &[key],
                )?;
                let (count, oldest): (i64, Option<i64>) = (col(&r, 0)?, col(&r, 1)?);
                if count >= max {
                    return Ok(Reservation::Refused {
                        oldest: oldest.unwrap_or(at),
                    });
                }
            }
            // Ids as SQLite's rowids; the attempt's id is its first row's.
            let r = c.query_one("SELECT COALESCE(MAX(id), 0) + 1 FROM sign_in_attempts", &[])?;
            let first: i64 = col(&r, 0)?;
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            c.execute(
                "INSERT INTO sign_in_attempts (id, attempt, key, at)
                 SELECT $1 + o - 1, $1, k, $3 FROM unnest($2::TEXT[]) WITH ORDINALITY AS t(k, o)",
                &[&first, &keys, &at],
            )?;
            Ok(Reservation::Reserved(if keys.is_empty() {
                0
            } else {
                first
            }))
        })
    }

    fn clear_sign_in(&mut self, attempt: i64, key: &str) -> Result<()> {
        self.write(|c| {
            c.execute(
                "DELETE FROM sign_in_attempts WHERE attempt = $1 OR key = $2",
                &[&attempt, &key],
            )
            .map(drop)
        })
    }
}

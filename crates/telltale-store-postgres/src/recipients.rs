//! Recipients, named lists of them, the copies issued to them (each
//! recorded with its audit entry, in one transaction with completing the
//! copy's file) and their reading-room links (in `links`). A recipient's
//! name here is the current one; the name a copy was issued under stays
//! with its issuance.

use postgres::Row;
use telltale_store::{
    issuance_detail, stored_format, AuditEntry, ChainKey, Issuance, Link, Recipient,
    RecipientStore, Result, StoreError, Upsert,
};

use crate::audit::append_audit_in;
use crate::{col, links, Conn, PostgresStore};

fn recipient_row(r: &Row) -> Result<Recipient> {
    Ok(Recipient {
        id: col(r, 0)?,
        name: col(r, 1)?,
        email: col(r, 2)?,
    })
}

fn find_recipient(c: &mut Conn, id: &str) -> Result<Option<Recipient>> {
    c.query_opt(
        "SELECT id, name, email FROM recipients WHERE id = $1",
        &[&id],
    )?
    .map(|r| recipient_row(&r))
    .transpose()
}

/// Insert an issuance unless the recipient holds the document already.
fn insert_issuance(c: &mut Conn, i: &Issuance) -> Result<()> {
    let n = c.execute(
        "INSERT INTO issuances (document_id, recipient_id, issued_at, path, content_hash, format, recipient_name)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (document_id, recipient_id) DO NOTHING",
        &[
            &i.document_id,
            &i.recipient_id,
            &i.issued_at,
            &i.path,
            &i.content_hash,
            &i.format.name(),
            &i.recipient_name,
        ],
    )?;
    if n == 0 {
        return Err(StoreError::Conflict(format!(
            "{} already has a copy of {}",
            i.recipient_id, i.document_id
        )));
    }
    Ok(())
}

impl RecipientStore for PostgresStore {
    fn upsert_recipient(&mut self, r: &Recipient) -> Result<Upsert> {
        self.write(|c| match find_recipient(c, &r.id)? {
            Some(o) if o == *r => Ok(Upsert::Unchanged),
            Some(_) => {
                c.execute(
                    "UPDATE recipients SET name = $2, email = $3 WHERE id = $1",
                    &[&r.id, &r.name, &r.email],
                )?;
                Ok(Upsert::Updated)
            }
            None => {
                c.execute(
                    "INSERT INTO recipients (id, name, email) VALUES ($1, $2, $3)",
                    &[&r.id, &r.name, &r.email],
                )?;
                Ok(Upsert::Added)
            }
        })
    }

    fn recipient(&self, id: &str) -> Result<Option<Recipient>> {
        find_recipient(&mut *self.read()?, id)
    }

    fn recipients(&self) -> Result<Vec<Recipient>> {
        self.read()?
            .query("SELECT id, name, email FROM recipients ORDER BY id", &[])?
            .iter()
            .map(recipient_row)
            .collect()
    }

    fn put_list(&mut self, name: &str, members: &[String]) -> Result<()> {
        // Each member once, at its first place, as SQLite's INSERT OR
        // IGNORE keeps it.
        let mut seen = std::collections::HashSet::new();
        let (ids, positions): (Vec<&str>, Vec<i64>) = members
            .iter()
            .enumerate()
            .filter(|(_, m)| seen.insert(m.as_str()))
            .map(|(i, m)| (m.as_str(), i as i64))
            .unzip();
        self.write(|c| {
            // The first unknown member in the list's order.
            let missing = c.query_opt(
                "SELECT m FROM unnest($1::TEXT[]) WITH ORDINALITY AS t(m, o)
                 WHERE NOT EXISTS (SELECT 1 FROM recipients WHERE id = m)
                 ORDER BY o LIMIT 1",
                &[&ids],
            )?;
            if let Some(r) = missing {
                let m: String = col(&r, 0)?;
                return Err(StoreError::NotFound(format!("recipient {m}")));
            }
            c.execute("DELETE FROM lists WHERE name = $1", &[&name])?;
            c.execute("INSERT INTO lists (name) VALUES ($1)", &[&name])?;
            c.execute(
                "INSERT INTO list_members (list, recipient_id, position)
                 SELECT $1, m, p FROM unnest($2::TEXT[], $3::BIGINT[]) AS t(m, p)",
                &[&name, &ids, &positions],
            )?;
            Ok(())
        })
    }

    fn list(&self, name: &str) -> Result<Option<Vec<String>>> {
        // One statement, so the list and its members are read together.
        let Some(r) = self.read()?.query_opt(
            "SELECT ARRAY(SELECT recipient_id FROM list_members WHERE list = l.name ORDER BY position)
             FROM lists l WHERE l.name = $1",
            &[&name],
        )?
        else {
            return Ok(None);
        };
        Ok(Some(col(&r, 0)?))
    }

    fn lists(&self) -> Result<Vec<(String, usize)>> {
        self.read()?
            .query(
                "SELECT l.name, (SELECT COUNT(*) FROM list_members m WHERE m.list = l.name)
                 FROM lists l ORDER BY l.name",
                &[],
            )?
            .iter()
            .map(|r| Ok((col(r, 0)?, col::<i64>(r, 1)? as usize)))
            .collect()
    }

    fn record_issuance(
        &mut self,
        key: &ChainKey,
        i: &Issuance,
        actor: &str,
        complete: &mut dyn FnMut() -> Result<()>,
    ) -> Result<AuditEntry> {
        self.write(|c| {
            insert_issuance(c, i)?;
            let e = append_audit_in(c, key, i.issued_at, actor, "issue", &issuance_detail(i))?;
            complete()?;
            Ok(e)
        })
    }

    fn import_issuance(&mut self, i: &Issuance) -> Result<()> {
        self.write(|c| insert_issuance(c, i))
    }

    fn issuances(&self, document_id: Option<&str>) -> Result<Vec<Issuance>> {
        self.read()?
            .query(
                "SELECT document_id, recipient_id, format, issued_at, path, content_hash, recipient_name
                 FROM issuances WHERE $1::TEXT IS NULL OR document_id = $1
                 ORDER BY document_id, recipient_id",
                &[&document_id],
            )?
            .iter()
            .map(|r| {
                Ok(Issuance {
                    document_id: col(r, 0)?,
                    recipient_id: col(r, 1)?,
                    format: stored_format(col(r, 2)?)?,
                    issued_at: col(r, 3)?,
                    path: col(r, 4)?,
                    content_hash: col(r, 5)?,
                    recipient_name: col(r, 6)?,
                })
            })
            .collect()
    }

    fn holders(&self, document_id: &str) -> Result<Vec<String>> {
        // The primary key (document_id, recipient_id) covers the query.
        self.read()?
            .query(
                "SELECT recipient_id FROM issuances WHERE document_id = $1 ORDER BY recipient_id",
                &[&document_id],
            )?
            .iter()
            .map(|r| col(r, 0))
            .collect()
    }

    fn holder_count(&self, document_id: &str) -> Result<u64> {
        let r = self.read()?.query_one(
            "SELECT COUNT(*) FROM issuances WHERE document_id = $1",
            &[&document_id],
        )?;
        Ok(col::<i64>(&r, 0)?.max(0) as u64)
    }

    fn issued_name(&self, document_id: &str, recipient_id: &str) -> Result<Option<String>> {
        Ok(self
            .read()?
            .query_opt(
                "SELECT recipient_name FROM issuances WHERE document_id = $1 AND recipient_id = $2",
                &[&document_id, &recipient_id],
            )?
            .map(|r| col::<Option<String>>(&r, 0))
            .transpose()?
            .flatten())
    }

    fn put_link(&mut self, l: &Link) -> Result<()> {
        self.write(|c| links::put_link(c, l))
    }

    fn link(&self, id: &str) -> Result<Option<Link>> {
        links::link(&mut *self.read()?, id)
    }

    fn link_by_token(&self, token_hash: &str) -> Result<Option<Link>> {
        links::link_by_token(&mut *self.read()?, token_hash)
    }

    fn links(&self, document_id: Option<&str>) -> Result<Vec<Link>> {
        links::links(&mut *self.read()?, document_id)
    }

    fn revoke_link(&mut self, id: &str) -> Result<()> {
        self.write(|c| links::revoke_link(c, id))
    }

    fn revoke_recipient_links(&mut self, document_id: &str, recipient_id: &str) -> Result<usize> {
        self.write(|c| links::revoke_recipient_links(c, document_id, recipient_id))
    }

    fn count_link_view(&mut self, id: &str) -> Result<()> {
        self.write(|c| links::count_link_view(c, id))
    }
}

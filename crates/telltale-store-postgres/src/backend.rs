//! Where the database is: connection URLs, read as libpq reads them, told
//! in messages without their password, and [`PostgresBackend`], which
//! opens connections to one database for a registry.
//!
//! The driver reads a `host=` parameter as one more host to try after the
//! URL's own, where libpq (and so `psql`) lets it replace the URL's host;
//! `postgres://u@localhost/db?host=/run/sock` would then try a server on
//! localhost first, perhaps not the one meant. The URL is rewritten before
//! the driver reads it, so that it means what it means to `psql`.

use std::borrow::Cow;
use std::str::FromStr;

use postgres::config::Host;
use postgres::Config;
use telltale_store::{Backend, Result, Store, StoreError};

use crate::{error_text, PostgresStore};

/// A URL's parts: scheme with `://`, authority, path (with its `/`) and
/// query (without its `?`). `None` for a key=value connection string.
fn split_url(url: &str) -> Option<(&str, &str, &str, Option<&str>)> {
    let scheme_len = ["postgres://", "postgresql://"]
        .iter()
        .find(|s| url.starts_with(*s))?
        .len();
    let (scheme, rest) = url.split_at(scheme_len);
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    Some((scheme, authority, path, query))
}

fn has_param(query: &str, key: &str) -> bool {
    query.split('&').any(|p| p.split('=').next() == Some(key))
}

/// `url` with its authority's host dropped when a `host=` parameter names
/// the host instead (its port kept as `port=`), as libpq reads it.
fn host_param_replaces(url: &str) -> Cow<'_, str> {
    let Some((scheme, authority, path, Some(query))) = split_url(url) else {
        return Cow::Borrowed(url);
    };
    if !has_param(query, "host") {
        return Cow::Borrowed(url);
    }
    let (userinfo, hosts) = match authority.rfind('@') {
        Some(at) => authority.split_at(at + 1),
        None => ("", authority),
    };
    if hosts.is_empty() {
        return Cow::Borrowed(url);
    }
    let port = match hosts.rfind(']') {
        Some(end) => hosts[end + 1..].strip_prefix(':'),
        None if !hosts.contains(',') => hosts.rsplit_once(':').map(|(_, p)| p),
        None => None,
    }
    .filter(|p| !p.is_empty() && !has_param(query, "port"));
    let mut s = format!("{scheme}{userinfo}{path}?{query}");
    if let Some(p) = port {
        s.push_str("&port=");
        s.push_str(p);
    }
    Cow::Owned(s)
}

/// `url` naming the database `dbname` instead of its own.
pub(crate) fn with_dbname(url: &str, dbname: &str) -> String {
    match split_url(url) {
        Some((scheme, authority, _, query)) => {
            let mut s = format!("{scheme}{authority}/{dbname}");
            if let Some(q) = query {
                s.push('?');
                s.push_str(q);
            }
            s
        }
        None => format!("{url} dbname={dbname}"),
    }
}

/// Parse a connection URL (`postgres://` or `postgresql://`, with
/// `?host=/socket/dir` for a Unix socket) or key=value string. The error
/// never repeats the URL, which may hold a password.
pub(crate) fn parse_url(url: &str) -> Result<Config> {
    Config::from_str(&host_param_replaces(url))
        .map_err(|e| StoreError::Backend(format!("not a PostgreSQL URL: {}", error_text(&e))))
}

/// Where `url` points, for messages: `postgresql://user@host:port/db`,
/// with Unix socket directories as `?host=`, and never the password.
pub fn describe_url(url: &str) -> Result<String> {
    parse_url(url).map(|c| describe(&c))
}

pub(crate) fn describe(c: &Config) -> String {
    let ports = c.get_ports();
    // The default port (which the driver fills in for a URL's host) is
    // left out.
    let port = |i: usize| {
        if ports.len() > 1 {
            ports.get(i).copied()
        } else {
            ports.first().copied()
        }
        .filter(|&p| p != 5432)
    };
    let mut tcp = Vec::new();
    let mut sockets = Vec::new();
    for (i, h) in c.get_hosts().iter().enumerate() {
        match h {
            Host::Tcp(name) => {
                let mut s = if name.contains(':') {
                    format!("[{name}]")
                } else {
                    name.clone()
                };
                if let Some(p) = port(i) {
                    s.push_str(&format!(":{p}"));
                }
                tcp.push(s);
            }
            Host::Unix(dir) => sockets.push(dir.display().to_string()),
        }
    }
    let mut s = String::from("postgresql://");
    if let Some(u) = c.get_user() {
        s.push_str(u);
        s.push('@');
    }
    s.push_str(&tcp.join(","));
    if let Some(db) = c.get_dbname().or(c.get_user()) {
        s.push('/');
        s.push_str(db);
    }
    if !sockets.is_empty() {
        s.push_str("?host=");
        s.push_str(&sockets.join(","));
        if tcp.is_empty() {
            if let Some(p) = port(0) {
                s.push_str(&format!("&port={p}"));
            }
        }
    }
    s
}

/// Connections to one PostgreSQL database, for a registry kept there.
#[derive(Clone)]
pub struct PostgresBackend {
    url: String,
    described: String,
}

impl PostgresBackend {
    /// A backend for the database at `url`, which must parse as a
    /// connection URL (nothing is connected to yet).
    pub fn new(url: &str) -> Result<PostgresBackend> {
        let described = describe_url(url)?;
        Ok(PostgresBackend {
            url: url.to_string(),
            described,
        })
    }

    /// The URL as given (with its password, if it has one).
    pub fn url(&self) -> &str {
        &self.url
    }
}

// The URL may hold a password.
impl std::fmt::Debug for PostgresBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresBackend")
            .field("database", &self.described)
            .finish_non_exhaustive()
    }
}

impl Backend for PostgresBackend {
    fn connect(&self, create: bool) -> Result<Box<dyn Store + Send>> {
        let store = if create {
            PostgresStore::open(&self.url)?
        } else {
            PostgresStore::open_existing(&self.url)?
        };
        Ok(Box::new(store))
    }

    fn describe(&self) -> String {
        self.described.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_described_without_their_password() {
        let d = |u: &str| describe_url(u).unwrap();
        assert_eq!(
            d("postgres://ann:s3cret@db.example.org:5433/telltale"),
            "postgresql://ann@db.example.org:5433/telltale"
        );
        assert_eq!(
            d("postgresql://postgres@localhost/reg?host=/tmp/pgsock&password=s3cret"),
            "postgresql://postgres@/reg?host=/tmp/pgsock"
        );
        assert_eq!(
            d("postgresql://postgres@localhost:5433/reg?host=/tmp/pgsock"),
            "postgresql://postgres@/reg?host=/tmp/pgsock&port=5433"
        );
        assert_eq!(
            d("host=/run/postgresql user=tt password=s3cret dbname=reg port=5433"),
            "postgresql://tt@/reg?host=/run/postgresql&port=5433"
        );
        assert_eq!(
            d("postgres://u@[::1]:6000/x"),
            "postgresql://u@[::1]:6000/x"
        );
        let e = describe_url("postgres://ann:s3cret@host:notaport/db")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("s3cret"), "{e}");
        let b = PostgresBackend::new("postgres://ann:s3cret@h/db").unwrap();
        assert_eq!(b.describe(), "postgresql://ann@h/db");
        assert!(!format!("{b:?}").contains("s3cret"));
        assert!(PostgresBackend::new("mysql://h/db").is_err());
    }

    #[test]
    fn a_host_parameter_replaces_the_urls_host() {
        let c = parse_url("postgres://postgres@localhost/postgres?host=/tmp/ttpg").unwrap();
        assert_eq!(c.get_hosts(), [Host::Unix("/tmp/ttpg".into())]);
        let c = parse_url("postgres://postgres@localhost/postgres").unwrap();
        assert_eq!(c.get_hosts(), [Host::Tcp("localhost".into())]);
    }

    #[test]
    fn the_database_name_is_replaced() {
        assert_eq!(
            with_dbname("postgres://postgres@localhost/postgres?host=/tmp/x", "t_1"),
            "postgres://postgres@localhost/t_1?host=/tmp/x"
        );
        assert_eq!(
            with_dbname("postgresql://u:p@h:5/", "t_1"),
            "postgresql://u:p@h:5/t_1"
        );
        assert_eq!(with_dbname("postgresql://h", "t_1"), "postgresql://h/t_1");
        assert_eq!(
            with_dbname("host=/tmp user=u", "t_1"),
            "host=/tmp user=u dbname=t_1"
        );
    }
}

//! The registry commands: read arguments and files, call the registry, print.
//! This module holds what every command shares (opening the registry,
//! reading input files within the limit, printing JSON); the commands
//! themselves are grouped by what they work on: documents and their
//! distribution, tracing leaks and their signed reports, and the registry
//! and its server.

mod admin;
mod documents;
mod report;
mod trace;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use telltale_registry::{Backend, Location, Registry};

use crate::printable::printable;

pub use admin::{audit, backup, init, migrate_store, serve, token, user};
pub use documents::{distribute, doc, lists, recipients};
pub use report::report;
pub use trace::trace;

fn passphrase() -> Option<String> {
    std::env::var("TELLTALE_PASSPHRASE")
        .ok()
        .filter(|p| !p.is_empty())
}

/// Where the registry is, as the command line and the environment say:
/// the home, and the database if it is not SQLite in the home.
pub struct Place {
    home: PathBuf,
    database: Option<String>,
}

impl Place {
    /// `database` from --database, else $TELLTALE_DATABASE_URL.
    pub fn new(home: PathBuf, database: Option<String>) -> Place {
        let database = database.or_else(|| {
            std::env::var("TELLTALE_DATABASE_URL")
                .ok()
                .filter(|v| !v.is_empty())
        });
        Place { home, database }
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    fn location(&self) -> Result<Location> {
        Ok(match &self.database {
            None => Location::embedded(&self.home),
            Some(url) => Location::new(&self.home, database(url)?),
        })
    }
}

/// The database a URL names: PostgreSQL is the one kind there is besides
/// the default.
fn database(url: &str) -> Result<Arc<dyn Backend>> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        bail!("the database must be a postgres:// URL (without --database the registry keeps its records in SQLite in its home)");
    }
    Ok(Arc::new(telltale_store_postgres::PostgresBackend::new(
        url,
    )?))
}

fn open(at: &Place) -> Result<Registry> {
    let r = Registry::open_at(&at.location()?, passphrase().as_deref())?;
    warn(&r);
    Ok(r)
}

/// Say on standard error what opening the registry put right.
fn warn(r: &Registry) {
    for w in r.warnings() {
        eprintln!("telltale: warning: {}", printable(w));
    }
}

/// Read a text file (or standard input for "-"), refusing binary data and
/// invalid UTF-8 with a message that says which.
fn read_text(path: &Path) -> Result<String> {
    let (name, bytes) = read_bytes(path)?;
    if let Some(p) = bytes.iter().position(|&b| b == 0) {
        bail!("{name} looks like a binary file (NUL byte at {p}); give plain text or Markdown");
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{name} is not UTF-8 text (invalid byte at {}); convert it to UTF-8 first",
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok(text
        .strip_prefix('\u{FEFF}')
        .map(str::to_string)
        .unwrap_or(text))
}

/// Read a file (or standard input for "-") up to the input limit: its
/// name for messages, and its bytes.
fn read_bytes(path: &Path) -> Result<(String, Vec<u8>)> {
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        // Read at most one byte past the limit, so that endless input is
        // refused below instead of filling memory.
        std::io::stdin()
            .take(telltale_registry::MAX_INPUT_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .context("reading standard input")?;
    } else {
        let meta =
            std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        if meta.is_dir() {
            bail!("{} is a directory, not a text file", path.display());
        }
        if meta.len() > telltale_registry::MAX_INPUT_BYTES as u64 {
            bail!(
                "{} is {} bytes, more than the limit of {} bytes",
                path.display(),
                meta.len(),
                telltale_registry::MAX_INPUT_BYTES
            );
        }
        bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    }
    let name = if path == Path::new("-") {
        "standard input".to_string()
    } else {
        path.display().to_string()
    };
    if bytes.len() > telltale_registry::MAX_INPUT_BYTES {
        bail!(
            "{name} is {} bytes, more than the limit of {} bytes",
            bytes.len(),
            telltale_registry::MAX_INPUT_BYTES
        );
    }
    Ok((name, bytes))
}

fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

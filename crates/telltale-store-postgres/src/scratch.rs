//! Throwaway databases for tests, here and in other crates' tests (so not
//! `cfg(test)`): each test gets a fresh, empty database of its own on the
//! server named by `TELLTALE_TEST_POSTGRES`, dropped when it is done.
//!
//! Without that variable the tests that need PostgreSQL are skipped with a
//! line on standard error, unless `TELLTALE_REQUIRE_POSTGRES=1` (as in CI)
//! makes that a failure. `scripts/pg-scratch.sh start DIR` starts a server
//! for them and prints the URL to set.
//!
//! Test support, so it panics on failure as a test would: a server that is
//! named but cannot make a database is a broken test setup, not a skip.

use postgres::{Client, NoTls};

use crate::backend::{parse_url, with_dbname};
use crate::error_text;

/// The variable naming the test server: an admin URL, such as
/// `postgres://postgres@localhost/postgres?host=/tmp/pgsock`.
pub const URL_VARIABLE: &str = "TELLTALE_TEST_POSTGRES";

/// Set to 1 to make a missing [`URL_VARIABLE`] fail tests, not skip them.
pub const REQUIRE_VARIABLE: &str = "TELLTALE_REQUIRE_POSTGRES";

/// A fresh database, dropped (with any connections to it) on drop.
pub struct ScratchDatabase {
    admin_url: String,
    name: String,
    url: String,
}

fn admin(url: &str) -> Result<Client, String> {
    let config = parse_url(url).map_err(|e| e.to_string())?;
    config.connect(NoTls).map_err(|e| error_text(&e))
}

impl ScratchDatabase {
    /// A new empty database on the test server, or `None` (the test is
    /// skipped) when no server is named.
    ///
    /// # Panics
    /// When no server is named and [`REQUIRE_VARIABLE`] is 1, or when the
    /// named server cannot make a database.
    pub fn create() -> Option<ScratchDatabase> {
        let admin_url = match std::env::var(URL_VARIABLE) {
            Ok(u) if !u.trim().is_empty() => u,
            _ => {
                if std::env::var(REQUIRE_VARIABLE).as_deref() == Ok("1") {
                    panic!(
                        "{REQUIRE_VARIABLE}=1 but {URL_VARIABLE} is not set: set it to an admin URL of a PostgreSQL server (scripts/pg-scratch.sh start DIR prints one)"
                    );
                }
                eprintln!("SKIPPED: PostgreSQL tests (set {URL_VARIABLE} to an admin URL)");
                return None;
            }
        };
        let mut bytes = [0u8; 8];
        if let Err(e) = getrandom::fill(&mut bytes) {
            panic!("no randomness for a scratch database's name: {e}");
        }
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let name = format!("telltale_test_{hex}");
        let mut client =
            admin(&admin_url).unwrap_or_else(|e| panic!("connecting to {URL_VARIABLE}: {e}"));
        // UTF8 with the C locale whatever the cluster's defaults, as the
        // registry needs; template0 allows an encoding other than
        // template1's.
        client
            .batch_execute(&format!(
                "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
            ))
            .unwrap_or_else(|e| panic!("creating {name}: {}", error_text(&e)));
        let url = with_dbname(&admin_url, &name);
        Some(ScratchDatabase {
            admin_url,
            name,
            url,
        })
    }

    /// The database's URL (as the admin URL, naming this database).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A plain connection to the database, for a test to look behind the
    /// store (URLs are read as the store reads them).
    ///
    /// # Panics
    /// When it cannot connect.
    pub fn connect(&self) -> Client {
        admin(&self.url).unwrap_or_else(|e| panic!("connecting to {}: {e}", self.name))
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        if let Ok(mut client) = admin(&self.admin_url) {
            let _ = client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

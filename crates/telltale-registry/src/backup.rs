//! Backups of a live registry.
//!
//! Copying `registry.db` with `cp` while the registry is in use loses what
//! is still in the write-ahead log, and the copy may even verify. A backup
//! here is a snapshot SQLite makes itself (`VACUUM INTO`: one read
//! transaction's consistent view, writers carry on meanwhile), beside a
//! copy of every other file the home declares ([`crate::HOME_FILES`]). The
//! backup directory is a registry home: it is checked with the same checks
//! as `audit verify` before the backup is reported done, and restoring is
//! copying it back as the home. A registry whose database is elsewhere
//! (PostgreSQL) is backed up the same way, its records copied into the
//! backup's SQLite file; `migrate-store` takes them back.

use std::path::{Path, PathBuf};

use telltale_store::Backend;
use telltale_store_sqlite::{SqliteBackend, SqliteStore};

use crate::{files, Location, Registry, RegistryError, Result, DB_FILE, HOME_FILES, KEY_FILE};

/// What a backup wrote, and what its verification found.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BackupSummary {
    pub dir: PathBuf,
    /// Each file written, with its size in bytes.
    pub files: Vec<(String, u64)>,
    /// Entries of the backup's audit log, all verified.
    pub audit_entries: usize,
    /// Issuances recorded in the backup.
    pub issuances: usize,
}

impl Registry {
    /// The files of the home besides the database that exist, in the
    /// order of [`HOME_FILES`]. The key file is required.
    pub fn home_files(&self) -> Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        for name in HOME_FILES {
            let path = self.location.home.join(name);
            match std::fs::metadata(&path) {
                Ok(m) if m.is_file() => out.push(path),
                Ok(_) => {
                    return Err(RegistryError::Invalid(format!(
                        "{} is not a regular file",
                        path.display()
                    )))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && *name != KEY_FILE => {}
                Err(e) => return Err(RegistryError::io(&path, e)),
            }
        }
        Ok(out)
    }

    /// Write a consistent copy of the registry, as it is in use, to `dir`,
    /// which must not exist or be empty; it is made 0700 and every file in
    /// it 0600. The copy is then opened with this registry's key and
    /// verified as `audit verify` would; a copy that does not verify is an
    /// error. The backup is noted in this registry's audit log.
    pub fn backup(&mut self, dir: &Path) -> Result<BackupSummary> {
        prepare_dir(dir)?;
        let mut written = Vec::new();
        // The files beside the database first, the snapshot after: a head
        // of the audit chain kept outside the database is then never ahead
        // of the snapshot it describes.
        for src in self.home_files()? {
            let name = src
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let bytes = std::fs::read(&src).map_err(|e| RegistryError::io(&src, e))?;
            files::write_new(&dir.join(&name), &bytes)?;
            written.push((name, bytes.len() as u64));
        }
        let db = dir.join(DB_FILE);
        if self.location.embedded {
            SqliteStore::open(&self.location.home.join(DB_FILE))?.snapshot(&db)?;
        } else {
            // Another database: its records copied into SQLite, in one
            // read transaction of its own (see `migrate`).
            self.copy_records(&SqliteBackend::new(&db))?;
        }
        written.push((
            DB_FILE.to_string(),
            std::fs::metadata(&db)
                .map_err(|e| RegistryError::io(&db, e))?
                .len(),
        ));
        sync_dir(dir)?;

        let (audit_entries, issuances) = {
            let copy = Registry::with(
                &Location::embedded(dir),
                SqliteBackend::new(&db).connect(false)?,
                self.key.clone(),
            );
            let entries = copy.verify_audit()?.map_err(|(seq, why)| {
                RegistryError::Invalid(format!(
                    "the backup in {} does not verify: entry {seq} {why}",
                    dir.display()
                ))
            })?;
            (entries, copy.store.issuances(None)?.len())
        };
        self.audit(
            "backup",
            &format!(
                "to {}: {audit_entries} audit entries, {issuances} issuances",
                dir.display()
            ),
        )?;
        Ok(BackupSummary {
            dir: dir.to_path_buf(),
            files: written,
            audit_entries,
            issuances,
        })
    }
}

/// Make `dir` a new or empty private directory.
fn prepare_dir(dir: &Path) -> Result<()> {
    match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return files::create_private_dir(dir);
        }
        Err(e) => return Err(RegistryError::io(dir, e)),
        Ok(m) if !m.is_dir() => {
            return Err(RegistryError::Invalid(format!(
                "{} is not a directory; back up into a new or empty directory",
                dir.display()
            )));
        }
        Ok(_) => {}
    }
    let mut entries = std::fs::read_dir(dir).map_err(|e| RegistryError::io(dir, e))?;
    if entries.next().is_some() {
        return Err(RegistryError::Invalid(format!(
            "{} is not empty; back up into a new or empty directory",
            dir.display()
        )));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            dir,
            std::fs::Permissions::from_mode(files::PRIVATE_DIR_MODE),
        )
        .map_err(|e| RegistryError::io(dir, e))?;
    }
    Ok(())
}

/// Make the directory's new entries durable.
fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| RegistryError::io(dir, e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

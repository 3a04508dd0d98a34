//! The database's files at rest. They hold document texts, leak inputs and
//! password hashes, so they are 0600 whatever the umask: SQLite would
//! create them with the umask's mode (and its `-wal` and `-shm` files with
//! the database's), so the database file is created here first.

use std::path::{Path, PathBuf};

use telltale_store::{Result, StoreError};

/// `path` with `suffix` appended to its file name (SQLite's `-wal`, `-shm`).
pub(crate) fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Create `path` empty with mode 0600 unless something is there already.
pub(crate) fn create_private_file(path: &Path) -> Result<()> {
    match create_new_private_file(path) {
        Err(StoreError::Conflict(_)) => Ok(()),
        other => other,
    }
}

/// Create `path` empty with mode 0600; `Conflict` if anything is there.
/// Exclusive creation never follows a symbolic link.
pub(crate) fn create_new_private_file(path: &Path) -> Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(_) => restrict(path),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(StoreError::Conflict(
            format!("{} exists already", path.display()),
        )),
        Err(e) => Err(StoreError::Backend(format!("{}: {e}", path.display()))),
    }
}

/// Set a database file to mode 0600 whatever the umask made it; a file
/// that is not there (SQLite removes its sidecars on close) is fine.
pub(crate) fn restrict(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.is_file() && m.permissions().mode() & 0o7777 != 0o600 => {
                match std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(StoreError::Backend(format!("{}: {e}", path.display()))),
                }
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(StoreError::Backend(format!("{}: {e}", path.display()))),
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

//! Files at rest: the modes of the registry home and its files, and how
//! copies and other private files are written.
//!
//! The home holds full document texts, leak inputs and password hashes, so
//! it is 0700 and its files 0600 whatever the umask says. Copies are written
//! into directories other people may share (an `--out` on a file server), so
//! a file is never opened through a name someone else could have planted: it
//! is created exclusively (`O_EXCL`, `O_NOFOLLOW`) under a random temporary
//! name beside its final name and renamed over it. `rename` replaces a
//! symbolic link at the final name rather than following it, so a planted
//! link can neither redirect the write nor receive the copy.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{RegistryError, Result};

/// Mode of the registry home and of backups.
pub const PRIVATE_DIR_MODE: u32 = 0o700;
/// Mode of the registry's own files and, by default, of copies.
pub const PRIVATE_FILE_MODE: u32 = 0o600;

/// Suffix of the temporary files copies are written through; a leftover
/// (from a run that was killed) is recognised by it and removed.
const TMP_SUFFIX: &str = ".telltale-tmp";

/// A file mode from its octal spelling ("640", "0600"). Modes that let
/// anyone but the owner change a copy, or that are not permission bits,
/// are refused.
pub fn parse_mode(text: &str) -> Result<u32> {
    let bad = || {
        RegistryError::Invalid(format!(
            "mode {text:?} is not an octal file mode like 600 or 640"
        ))
    };
    let digits = text.trim();
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| (b'0'..=b'7').contains(&b))
    {
        return Err(bad());
    }
    let mode = u32::from_str_radix(digits, 8).map_err(|_| bad())?;
    if mode > 0o777 {
        return Err(bad());
    }
    if mode & 0o022 != 0 {
        return Err(RegistryError::Invalid(format!(
            "mode {mode:03o} lets others change the copies; give at most 644"
        )));
    }
    if mode & 0o600 != 0o600 {
        return Err(RegistryError::Invalid(format!(
            "mode {mode:03o} does not let the owner read and write the copies; give at least 600"
        )));
    }
    Ok(mode)
}

/// Set `path`'s permission bits to `mode` if they are looser (any bit
/// outside `mode` set). Returns the old bits when it changed them. A path
/// that does not exist is left alone. A home may be a symbolic link to
/// where the data lives; the mode set is its target's.
pub fn tighten(path: &Path, mode: u32) -> Result<Option<u32>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(RegistryError::io(path, e)),
        };
        let old = meta.permissions().mode() & 0o7777;
        if old & !mode == 0 {
            return Ok(None);
        }
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| RegistryError::io(path, e))?;
        Ok(Some(old))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(None)
    }
}

/// Create a directory (and its missing parents) with mode 0700.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    create_dir_with_mode(dir, PRIVATE_DIR_MODE)
}

/// Create a directory (and its missing parents) with `mode` (narrowed by
/// the umask); one that exists is left as it is.
pub fn create_dir_with_mode(dir: &Path, mode: u32) -> Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    b.create(dir).map_err(|e| RegistryError::io(dir, e))
}

/// Whether `path` is a regular file itself (not a link to one).
pub fn is_regular_file(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
}

/// Whether `path` is a regular file holding exactly `bytes`.
pub fn holds(path: &Path, bytes: &[u8]) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && m.len() == bytes.len() as u64)
        && std::fs::read(path).is_ok_and(|b| b == bytes)
}

/// Open a new file for writing: created exclusively, never through a
/// symbolic link, with exactly `mode` (the umask does not narrow it).
pub fn create_new(path: &Path, mode: u32) -> Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(mode)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    }
    let f = opts.open(path).map_err(|e| RegistryError::io(path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(|e| RegistryError::io(path, e))?;
    }
    Ok(f)
}

/// Write `bytes` to `path` so that it either exists complete, with `mode`,
/// or not at all; whatever was at `path` (a file, a planted symbolic link)
/// is replaced, never written through.
pub fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map_or("copy".into(), |n| n.to_string_lossy());
    let (tmp, mut f) = {
        let mut attempt = 0;
        loop {
            let tmp = dir.join(format!(".{name}.{}{TMP_SUFFIX}", random_hex()?));
            match create_new(&tmp, mode) {
                Ok(f) => break (tmp, f),
                // Someone holds that name (a planted link, a file): draw again.
                Err(RegistryError::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::AlreadyExists && attempt < 8 =>
                {
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    };
    let written = f
        .write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| RegistryError::io(&tmp, e))
        .and_then(|_| std::fs::rename(&tmp, path).map_err(|e| RegistryError::io(path, e)));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Write a new private file: exclusively, without following links, 0600.
/// Fails if anything is at `path`.
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = create_new(path, PRIVATE_FILE_MODE)?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| RegistryError::io(path, e))
}

/// Remove the temporary files a killed run left in `dir` (only names this
/// module makes: `.NAME.<16 hex digits>.telltale-tmp`). Returns how many.
pub fn remove_leftovers(dir: &Path) -> Result<usize> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(RegistryError::io(dir, e)),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry.map_err(|e| RegistryError::io(dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if is_leftover(name) {
            let p: PathBuf = entry.path();
            match std::fs::remove_file(&p) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(RegistryError::io(&p, e)),
            }
        }
    }
    Ok(removed)
}

fn is_leftover(name: &str) -> bool {
    let Some(stem) = name
        .strip_prefix('.')
        .and_then(|n| n.strip_suffix(TMP_SUFFIX))
    else {
        return false;
    };
    let Some((_, random)) = stem.rsplit_once('.') else {
        return false;
    };
    random.len() == 16 && random.bytes().all(|b| b.is_ascii_hexdigit())
}

fn random_hex() -> Result<String> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b)
        .map_err(|e| RegistryError::Key(format!("the operating system gave no randomness: {e}")))?;
    Ok(crate::hex(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_from_octal_and_unsafe_ones_are_refused() {
        assert_eq!(parse_mode("600").unwrap(), 0o600);
        assert_eq!(parse_mode("0640").unwrap(), 0o640);
        assert_eq!(parse_mode("644").unwrap(), 0o644);
        for bad in ["", "8", "rw", "666", "602", "400", "1600", "77777", "-600"] {
            assert!(parse_mode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_our_temporary_names_count_as_leftovers() {
        assert!(is_leftover(".r-1.txt.0123456789abcdef.telltale-tmp"));
        assert!(!is_leftover(".r-1.txt.partial"));
        assert!(!is_leftover("r-1.txt"));
        assert!(!is_leftover(".r-1.txt.0123.telltale-tmp"));
    }
}

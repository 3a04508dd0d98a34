//! The database at rest: its files are readable by their owner only, and a
//! snapshot taken while it is in use holds everything committed, including
//! what is still only in the write-ahead log.

use telltale_store::prelude::*;
use telltale_store::Recipient;
use telltale_store_sqlite::SqliteStore;

#[cfg(unix)]
fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn the_database_and_its_sidecars_are_private_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry.db");
    let mut s = SqliteStore::open(&path).unwrap();
    s.append_audit(
        &telltale_store::ChainKey::from_bytes([1; 32]),
        1,
        "t",
        "a",
        "d",
    )
    .unwrap();
    // Open: the write-ahead log and shared memory exist beside the file.
    for name in ["registry.db", "registry.db-wal", "registry.db-shm"] {
        assert_eq!(mode(&dir.path().join(name)), 0o600, "{name}");
    }
    drop(s);
    // A database left readable by others is tightened when opened again.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let s = SqliteStore::open(&path).unwrap();
    for name in ["registry.db", "registry.db-wal", "registry.db-shm"] {
        let p = dir.path().join(name);
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{name}");
        }
    }
    drop(s);
}

#[test]
fn a_snapshot_holds_what_is_only_in_the_write_ahead_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry.db");
    let mut s = SqliteStore::open(&path).unwrap();
    // Fewer pages than SQLite's automatic checkpoint: all of it stays in
    // the write-ahead log until the connection closes.
    for i in 0..50 {
        s.upsert_recipient(&Recipient {
            id: format!("r-{i}"),
            name: format!("Recipient {i}"),
            email: None,
        })
        .unwrap();
    }
    let wal = std::fs::metadata(dir.path().join("registry.db-wal"))
        .unwrap()
        .len();
    assert!(wal > 0, "the test needs a non-empty write-ahead log");
    let dest = dir.path().join("snapshot.db");
    s.snapshot(&dest).unwrap();
    #[cfg(unix)]
    assert_eq!(mode(&dest), 0o600);
    // The snapshot alone, without any sidecar, has every row.
    assert!(!dir.path().join("snapshot.db-wal").exists());
    let copy = SqliteStore::open(&dest).unwrap();
    assert_eq!(copy.recipients().unwrap().len(), 50);
    assert_eq!(copy.audit_log().unwrap(), s.audit_log().unwrap());
    drop(copy);
    // Never over an existing file.
    let e = s.snapshot(&dest).unwrap_err().to_string();
    assert!(e.contains("exists"), "{e}");
}

#[cfg(unix)]
#[test]
fn a_snapshot_never_writes_through_a_planted_link() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(&dir.path().join("registry.db")).unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, b"keep me").unwrap();
    let dest = dir.path().join("snapshot.db");
    std::os::unix::fs::symlink(&victim, &dest).unwrap();
    assert!(s.snapshot(&dest).is_err());
    assert_eq!(std::fs::read(&victim).unwrap(), b"keep me");
}

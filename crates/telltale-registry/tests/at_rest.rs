//! The registry at rest: a private home, and backups of a registry in use
//! that verify and trace after a restore.

use telltale_core::rules::Format;
use telltale_registry::{Registry, TraceRequest, AUDIT_HEAD_FILE, DB_FILE, KEY_FILE};

#[cfg(unix)]
fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn a_home_open_to_others_is_closed_with_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let r = Registry::init(&home, None).unwrap();
    assert!(r.warnings().is_empty());
    drop(r);
    assert_eq!(mode(&home), 0o700);
    assert_eq!(mode(&home.join(DB_FILE)), 0o600);
    assert_eq!(mode(&home.join(KEY_FILE)), 0o600);
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o755)).unwrap();
    let r = Registry::open(&home, None).unwrap();
    assert_eq!(r.warnings().len(), 1, "{:?}", r.warnings());
    assert!(r.warnings()[0].contains("755"));
    assert_eq!(mode(&home), 0o700);
    // A home made by hand before `init` is closed too.
    let made = dir.path().join("made");
    std::fs::create_dir(&made).unwrap();
    std::fs::set_permissions(&made, std::fs::Permissions::from_mode(0o775)).unwrap();
    let r = Registry::init(&made, None).unwrap();
    assert_eq!(r.warnings().len(), 1);
    assert_eq!(mode(&made), 0o700);
}

#[test]
fn the_home_files_a_backup_copies_are_declared_in_one_list() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let r = Registry::init(&home, None).unwrap();
    // `init` seals the log's first entry, so the head is there from the
    // start; a file the list does not name is not copied.
    assert_eq!(
        r.home_files().unwrap(),
        vec![home.join(KEY_FILE), home.join(AUDIT_HEAD_FILE)]
    );
    std::fs::write(home.join("notes.txt"), "not the registry's").unwrap();
    assert_eq!(
        r.home_files().unwrap(),
        vec![home.join(KEY_FILE), home.join(AUDIT_HEAD_FILE)]
    );
}

#[test]
fn a_backup_taken_while_another_handle_distributes_verifies_and_traces() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let mut r = Registry::init(&home, None).unwrap();
    let doc = r
        .add_document(telltale_core::sample::MEMO, None, Format::Plain)
        .unwrap();
    let n = 800;
    let ids: Vec<String> = (0..n).map(|i| format!("r-{i:04}")).collect();
    let mut csv = String::from("id,name\n");
    for id in &ids {
        csv.push_str(&format!("{id},Person {id}\n"));
    }
    assert_eq!(r.import_recipients(&csv).unwrap().added, n);

    let out = dir.path().join("out");
    let mut other = r.reopen().unwrap();
    let (started, under_way) = std::sync::mpsc::channel();
    // The distribution waits after its 30th copy until the backup is done,
    // so the backup is taken mid-distribution however fast each runs.
    let (backed_up, resume) = std::sync::mpsc::channel::<()>();
    let (doc_id, out_dir) = (doc.id.clone(), out.clone());
    let worker = std::thread::spawn(move || {
        other
            .distribute(
                &doc_id,
                &ids,
                &out_dir,
                telltale_core::FileFormat::Txt,
                &mut |done, _| {
                    if done == 30 {
                        let _ = started.send(());
                        let _ = resume.recv();
                    }
                },
            )
            .unwrap()
    });
    under_way.recv().unwrap();
    let backup = dir.path().join("backup");
    let summary = r.backup(&backup).unwrap();
    backed_up.send(()).unwrap();
    assert_eq!(worker.join().unwrap().written, n);
    assert!(
        summary.issuances >= 30 && summary.issuances < n,
        "{summary:?}"
    );
    let names: Vec<&str> = summary.files.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(names, vec![KEY_FILE, AUDIT_HEAD_FILE, DB_FILE]);
    #[cfg(unix)]
    {
        assert_eq!(mode(&backup), 0o700);
        assert_eq!(mode(&backup.join(KEY_FILE)), 0o600);
        assert_eq!(mode(&backup.join(DB_FILE)), 0o600);
    }
    // Only the backup's files are left in it (no log or shared memory).
    let mut left: Vec<String> = std::fs::read_dir(&backup)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, vec![AUDIT_HEAD_FILE, DB_FILE, KEY_FILE]);
    let e = r.backup(&backup).unwrap_err().to_string();
    assert!(e.contains("not empty"), "{e}");

    // Opened as a home, the backup verifies and names the leaker of any
    // copy it recorded.
    let mut restored = Registry::open(&backup, None).unwrap();
    assert_eq!(restored.verify_audit().unwrap(), Ok(summary.audit_entries));
    let issued = restored.store().issuances(Some(&doc.id)).unwrap();
    assert_eq!(issued.len(), summary.issuances);
    let leaker = issued.last().unwrap().recipient_id.clone();
    let copy = std::fs::read_to_string(out.join(format!("{leaker}.txt"))).unwrap();
    let (_, t) = restored.trace(&TraceRequest::new(&copy)).unwrap();
    assert_eq!(t.documents[0].accused, vec![leaker]);
    // The live registry noted the backup.
    let log = r.store().audit_log().unwrap();
    assert_eq!(log.iter().filter(|e| e.action == "backup").count(), 1);
}

//! The registry commands: read arguments and files, call the registry, print.

use std::io::{IsTerminal, Read};
use std::path::Path;

use anyhow::{bail, Context, Result};
use telltale_core::{AccuseParams, Layer};
use telltale_registry::report::odds_in_words;
use telltale_registry::{Registry, TraceReport};
use telltale_store::Recipient;

use crate::printable::printable;
use crate::{
    AuditCommand, DistributeArgs, DocCommand, ListsCommand, RecipientsCommand, ServeArgs,
    TokenCommand, TraceArgs, UserCommand,
};

fn passphrase() -> Option<String> {
    std::env::var("TELLTALE_PASSPHRASE")
        .ok()
        .filter(|p| !p.is_empty())
}

fn open(home: &Path) -> Result<Registry> {
    let r = Registry::open(home, passphrase().as_deref())?;
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
        std::io::stdin()
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

/// The text of a leaked file: HTML, DOCX and e-mail are read as such,
/// anything else as UTF-8 text.
fn read_leak(path: &Path) -> Result<(String, Vec<(u32, u8)>)> {
    let ext = extension(path);
    match ext.as_str() {
        "doc" | "odt" | "rtf" => {
            bail!("cannot trace .{ext} files yet: give the leak as text, Markdown, HTML, DOCX, PDF, e-mail (.eml) or an image")
        }
        "" | "txt" | "text" | "md" | "markdown" => Ok((read_text(path)?, Vec::new())),
        _ => {
            let (name, bytes) = read_bytes(path)?;
            match telltale_ocr::read_leak_with_layout(&ext, &bytes, telltale_ocr::Limits::default())
                .with_context(|| format!("reading {name}"))?
            {
                Some(leak) => Ok(leak),
                None => Ok((read_text(path)?, Vec::new())),
            }
        }
    }
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

pub fn init(home: &Path) -> Result<()> {
    let r = Registry::init(home, passphrase().as_deref())?;
    warn(&r);
    println!("created a registry in {}", home.display());
    println!(
        "secret key: {} (fingerprint {}){}",
        home.join(telltale_registry::KEY_FILE).display(),
        r.key_fingerprint(),
        if passphrase().is_some() {
            ", encrypted with TELLTALE_PASSPHRASE"
        } else {
            ", readable by you only"
        }
    );
    println!("keep a backup of the key: without it no copy can ever be traced");
    Ok(())
}

pub fn doc(home: &Path, cmd: DocCommand) -> Result<()> {
    match cmd {
        DocCommand::Add {
            files,
            title,
            profile,
            json,
        } => {
            let profile = match profile.as_str() {
                "strict" => telltale_core::Profile::Strict,
                "dense" => telltale_core::Profile::Dense,
                _ => telltale_core::Profile::Natural,
            };
            if title.is_some() && files.len() > 1 {
                bail!("--title names one document; give one file with it");
            }
            // Read and check every file before registering any.
            let mut inputs = Vec::new();
            for file in &files {
                let ext = if file == Path::new("-") {
                    String::new()
                } else {
                    extension(file)
                };
                let Some(format) = telltale_formats::Format::from_extension(&ext) else {
                    bail!("cannot register .{ext} files yet: give text (.txt), Markdown (.md), HTML (.html), Word (.docx) or PDF (.pdf)");
                };
                let bytes = match format {
                    telltale_formats::Format::Txt | telltale_formats::Format::Md => {
                        read_text(file)?.into_bytes()
                    }
                    _ => read_bytes(file)?.1,
                };
                if matches!(
                    format,
                    telltale_formats::Format::Txt | telltale_formats::Format::Md
                ) && String::from_utf8_lossy(&bytes).trim().is_empty()
                {
                    bail!("{} is empty", file.display());
                }
                inputs.push((file, bytes, format));
            }
            let mut r = open(home)?;
            let mut added = Vec::new();
            for (file, bytes, format) in inputs {
                let d = r
                    .add_document_file(&bytes, format, title.as_deref(), profile)
                    .with_context(|| format!("registering {}", file.display()))?;
                let cap = d.template.capacity();
                if !json {
                    println!(
                        "registered \"{}\": {} words, {} slots",
                        printable(&d.title),
                        cap.words,
                        d.template.slots.len()
                    );
                    println!("{}", d.id);
                }
                added.push(serde_json::json!({"id": d.id, "title": d.title, "words": cap.words, "slots": d.template.slots.len()}));
            }
            if json {
                return print_json(&if added.len() == 1 {
                    added.remove(0)
                } else {
                    serde_json::Value::Array(added)
                });
            }
        }
        DocCommand::List { json } => {
            let r = open(home)?;
            let docs = r.store().documents()?;
            if json {
                return print_json(&docs);
            }
            if docs.is_empty() {
                println!("no documents registered (add one with `telltale doc add FILE`)");
            }
            for d in docs {
                println!(
                    "{}  {:>6} words  {:>5} slots  {:>5} issued  {}",
                    printable(&d.id),
                    d.words,
                    d.slots,
                    d.issued,
                    printable(&d.title)
                );
            }
        }
        DocCommand::Show { id, variants, json } => {
            let r = open(home)?;
            let d = r.document(&id)?;
            let t = &d.template;
            let cap = t.capacity();
            if json {
                let layers: Vec<serde_json::Value> = Layer::ALL
                    .iter()
                    .enumerate()
                    .map(|(i, l)| {
                        let (s, b) = cap.per_100_words(*l);
                        serde_json::json!({"layer": l.name(), "slots": cap.slots[i], "bits": cap.bits[i], "slots_per_100_words": s, "bits_per_100_words": b})
                    })
                    .collect();
                let mut v = serde_json::json!({"id": d.id, "title": d.title, "words": cap.words, "variety": d.rules.variety, "capacity": layers});
                if variants {
                    v["slots"] = serde_json::json!(t
                        .sites
                        .iter()
                        .map(|s| serde_json::json!({"slot": s.slot, "class": t.slots[s.slot as usize].class.name(), "start": s.start, "end": s.end, "forms": s.forms, "original": t.slots[s.slot as usize].original}))
                        .collect::<Vec<_>>());
                }
                return print_json(&v);
            }
            println!("{}  \"{}\"", printable(&d.id), printable(&d.title));
            println!(
                "{} words, {:?} English, {} slots",
                cap.words,
                d.rules.variety.unwrap_or(telltale_core::Variety::British),
                t.slots.len()
            );
            println!("capacity by layer (what survives: lexical — retyping and house style; punctuation — retyping; invisible — copy and paste):");
            for (i, l) in Layer::ALL.iter().enumerate() {
                let (s, b) = cap.per_100_words(*l);
                println!(
                    "  {:<12} {:>5} slots {:>8.1} bits   {:>5.1} slots, {:>5.1} bits per 100 words",
                    l.name(),
                    cap.slots[i],
                    cap.bits[i],
                    s,
                    b
                );
            }
            if variants {
                println!("slots (original form first marked *):");
                for s in &t.sites {
                    let slot = &t.slots[s.slot as usize];
                    if slot.layer() == Layer::Invisible {
                        continue;
                    }
                    let forms: Vec<String> = s
                        .forms
                        .iter()
                        .enumerate()
                        .map(|(k, f)| {
                            format!(
                                "{}{:?}",
                                if k == slot.original as usize { "*" } else { "" },
                                f
                            )
                        })
                        .collect();
                    let a = t.text.floor_char_boundary(s.start.saturating_sub(30));
                    let b = t.text.ceil_char_boundary((s.end + 30).min(t.text.len()));
                    let ctx = format!(
                        "…{}[{}]{}…",
                        &t.text[a..s.start],
                        &t.text[s.start..s.end],
                        &t.text[s.end..b]
                    )
                    .replace(['\n', '\r', '\t'], " ");
                    let ctx = printable(&ctx);
                    println!(
                        "  #{:<5} {:<18} {:<40} {}",
                        s.slot,
                        slot.class.name(),
                        forms.join(" / "),
                        ctx
                    );
                }
                let invisible = t
                    .slots
                    .iter()
                    .filter(|s| s.layer() == Layer::Invisible)
                    .count();
                println!(
                    "  (and {invisible} invisible slots: zero-width marks at word boundaries)"
                );
            }
        }
        DocCommand::Remove { id, force } => {
            let mut r = open(home)?;
            r.remove_document(&id, force)?;
            println!("removed {}", printable(&id));
        }
    }
    Ok(())
}

pub fn recipients(home: &Path, cmd: RecipientsCommand) -> Result<()> {
    match cmd {
        RecipientsCommand::Import { csv, json } => {
            let text = read_text(&csv)?;
            let mut r = open(home)?;
            let rep = r.import_recipients(&text)?;
            if json {
                return print_json(&rep);
            }
            println!(
                "{} added, {} updated, {} unchanged, {} rejected",
                rep.added,
                rep.updated,
                rep.unchanged,
                rep.rejected.len()
            );
            for (line, why) in &rep.rejected {
                println!("  line {line}: {}", printable(why));
            }
        }
        RecipientsCommand::Add { id, name, email } => {
            let mut r = open(home)?;
            let u = r.add_recipient(&Recipient {
                id: id.clone(),
                name,
                email,
            })?;
            println!("{}: {}", printable(&id), format!("{u:?}").to_lowercase());
        }
        RecipientsCommand::List { json } => {
            let r = open(home)?;
            let rs = r.store().recipients()?;
            if json {
                return print_json(&rs);
            }
            for x in rs {
                println!(
                    "{}  {}{}",
                    printable(&x.id),
                    printable(&x.name),
                    x.email
                        .map(|e| format!("  <{}>", printable(&e)))
                        .unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}

pub fn lists(home: &Path, cmd: ListsCommand) -> Result<()> {
    match cmd {
        ListsCommand::Create { name, members } => {
            let mut r = open(home)?;
            r.create_list(&name, &members)?;
            println!("list {}: {} members", printable(&name), members.len());
        }
        ListsCommand::List { json } => {
            let r = open(home)?;
            let ls = r.store().lists()?;
            if json {
                return print_json(
                    &ls.iter()
                        .map(|(n, c)| serde_json::json!({"name": n, "members": c}))
                        .collect::<Vec<_>>(),
                );
            }
            for (n, c) in ls {
                println!("{}  {c} members", printable(&n));
            }
        }
        ListsCommand::Show { name, json } => {
            let r = open(home)?;
            let m = r.list_members(&name)?;
            if json {
                return print_json(&m);
            }
            for x in m {
                println!("{}", printable(&x));
            }
        }
    }
    Ok(())
}

pub fn distribute(home: &Path, a: DistributeArgs) -> Result<()> {
    let mode = telltale_registry::files::parse_mode(&a.mode)?;
    let mut r = open(home)?;
    let who: Vec<String> = if a.all {
        r.store().recipients()?.into_iter().map(|x| x.id).collect()
    } else if let Some(l) = &a.list {
        r.list_members(l)?
    } else if !a.to.is_empty() {
        a.to.clone()
    } else {
        bail!("say who receives copies: --all, --to ID,ID or --list NAME");
    };
    if who.is_empty() {
        bail!("there is nobody to send copies to (import recipients first)");
    }
    let unique = telltale_registry::unique_ids(&who);
    if unique.len() < who.len() {
        let mut seen = std::collections::HashSet::new();
        let again: Vec<String> = who
            .iter()
            .filter(|id| !seen.insert(id.as_str()))
            .cloned()
            .collect();
        eprintln!(
            "telltale: note: {} named more than once; each gets one copy",
            printable(&telltale_registry::unique_ids(&again).join(", "))
        );
    }
    let who = unique;
    let bar = if std::io::stderr().is_terminal() && !a.json {
        let b = indicatif::ProgressBar::new(who.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} copies  {per_sec}  eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let rep = r.distribute_with_mode(&a.doc, &who, &a.out, &a.format, mode, &mut |done, _| {
        bar.set_position(done as u64)
    })?;
    bar.finish_and_clear();
    let mut links_written = None;
    if a.links {
        let expires = a
            .expires_days
            .map(|d| telltale_registry::now() + i64::from(d) * 86_400);
        let links = r.create_links(&a.doc, &who, expires)?;
        let base = a.base_url.trim_end_matches('/');
        let mut csv = String::from("recipient,link,url\n");
        for (l, secret) in &links {
            csv.push_str(&format!("{},{},{base}/r/{secret}\n", l.recipient_id, l.id));
        }
        let path = a.out.join("links.csv");
        telltale_registry::files::write_atomically(
            &path,
            csv.as_bytes(),
            telltale_registry::files::PRIVATE_FILE_MODE,
        )?;
        links_written = Some((links.len(), path));
    }
    if a.json {
        let mut v = serde_json::to_value(&rep)?;
        if let Some((n, p)) = &links_written {
            v["links"] = serde_json::json!(n);
            v["links_file"] = serde_json::json!(p);
        }
        return print_json(&v);
    }
    if let Some((n, p)) = &links_written {
        println!(
            "{n} reading-room links in {} (keep it private: each link opens one person's copy)",
            p.display()
        );
    }
    println!("{}", distribute_summary(&rep, &a.doc, &a.out));
    Ok(())
}

/// "wrote 3 copies of d-… to out (1 newly issued, 2 already issued,
/// recorded once); 5 already in place".
fn distribute_summary(rep: &telltale_registry::DistributeReport, doc: &str, out: &Path) -> String {
    let mut parts = Vec::new();
    if rep.written > 0 {
        parts.push(format!("{} newly issued", rep.written));
    }
    if rep.rewritten > 0 {
        parts.push(format!("{} already issued, recorded once", rep.rewritten));
    }
    format!(
        "wrote {} copies of {} to {}{}{}",
        rep.written + rep.rewritten,
        printable(doc),
        printable(&out.display().to_string()),
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join(", "))
        },
        if rep.already > 0 {
            format!(
                "; {} already issued and in place, not written again",
                rep.already
            )
        } else {
            String::new()
        }
    )
}

pub fn backup(home: &Path, dir: &Path) -> Result<()> {
    let mut r = open(home)?;
    let b = r.backup(dir)?;
    for (name, bytes) in &b.files {
        println!("  {name:<16} {bytes:>12} bytes");
    }
    println!(
        "backed up the registry to {}: {} issuances; audit log intact, {} entries, chained from the first",
        printable(&b.dir.display().to_string()),
        b.issuances,
        b.audit_entries
    );
    println!(
        "restore: stop the server, copy {} as the registry home, then run `telltale --home DIR audit verify`",
        printable(&b.dir.display().to_string())
    );
    Ok(())
}

pub fn trace(home: &Path, a: TraceArgs) -> Result<()> {
    if !(a.threshold > 0.0 && a.threshold < 1.0) {
        bail!(
            "--threshold must be a probability between 0 and 1, not {}",
            a.threshold
        );
    }
    let (text, layout) = read_leak(&a.file)?;
    let mut r = open(home)?;
    let (_, rep) = r.trace_with_layout(
        &text,
        &layout,
        a.doc.as_deref(),
        a.case.as_deref(),
        AccuseParams {
            threshold: a.threshold,
            ..AccuseParams::default()
        },
    )?;
    if a.json {
        return print_json(&rep);
    }
    print_trace(&text, &rep);
    Ok(())
}

fn print_trace(text: &str, rep: &TraceReport) {
    if rep.documents.is_empty() {
        println!("The text quotes no registered document. Nobody is accused.");
        print_running(rep);
        return;
    }
    let tty = std::io::stdout().is_terminal();
    let (on, off) = if tty {
        ("\x1b[7m", "\x1b[0m")
    } else {
        ("«", "»")
    };
    println!(
        "The text quotes {} registered document(s).",
        rep.documents.len()
    );
    for d in &rep.documents {
        println!("\n== {} \"{}\"", printable(&d.id), printable(&d.title));
        for p in &d.passages {
            let (s, e) = (p[0], p[1]);
            let a = text.floor_char_boundary(s.saturating_sub(40));
            let b = text.ceil_char_boundary((e + 40).min(text.len()));
            let flat = |t: &str| printable(&t.replace(['\n', '\r', '\t'], " ")).into_owned();
            println!(
                "  …{}{on}{}{off}{}…",
                flat(&text[a..s]),
                flat(&text[s..e]),
                flat(&text[e..b])
            );
        }
        println!(
            "  {} words matched; {} slots read, {} unreadable; {} recipients hold copies.",
            d.aligned_words, d.slots_observed, d.slots_erased, d.recipients
        );
        if d.layout_marks > 0 {
            println!(
                "  {} line shifts read from the page images, counted with the slots.",
                d.layout_marks
            );
        }
        println!(
            "  {}",
            verdict(&d.accused, &d.suspects, d.recipients, rep.threshold)
        );
        for s in d.suspects.iter().take(5) {
            println!(
                "    {:<14} {:<22} agrees on {:>3} of {:<3}  p = {:.2e}  any innocent: {:.2e}{}",
                printable(&s.recipient),
                printable(&s.display_name()),
                s.matches,
                s.observed,
                s.p_value,
                s.false_accusation,
                if d.accused.contains(&s.recipient) {
                    "  ACCUSED"
                } else {
                    ""
                }
            );
        }
        if !d.evidence.is_empty() {
            println!("  evidence:");
            for e in d
                .evidence
                .iter()
                .filter(|e| {
                    !matches!(
                        e.class.as_str(),
                        "zero-width" | "space-variant" | "homoglyph"
                    )
                })
                .take(30)
            {
                println!("    slot {:<5} {:<18} {:?}", e.slot, e.class, e.form);
            }
            let invisible = d
                .evidence
                .iter()
                .filter(|e| {
                    matches!(
                        e.class.as_str(),
                        "zero-width" | "space-variant" | "homoglyph"
                    )
                })
                .count();
            if invisible > 0 {
                println!("    and {invisible} invisible marks");
            }
        }
    }
    if let Some(c) = &rep.combined {
        println!("\n== all quoted documents together");
        let n = rep
            .documents
            .iter()
            .map(|d| d.recipients)
            .max()
            .unwrap_or(0);
        println!("  {}", verdict(&c.accused, &c.suspects, n, rep.threshold));
    }
    print_running(rep);
}

fn print_running(rep: &TraceReport) {
    let Some(run) = &rep.running else { return };
    println!(
        "\n== case \"{}\": {} leak(s) read together, {} distinct slots",
        printable(&run.case),
        run.leaks,
        run.slots_observed
    );
    println!(
        "  (held to {} at this look, so that every look at the case together stays within {})",
        odds_in_words(run.threshold),
        odds_in_words(rep.threshold)
    );
    let n = rep
        .documents
        .iter()
        .map(|d| d.recipients)
        .max()
        .unwrap_or(usize::from(!run.suspects.is_empty()));
    println!(
        "  {}",
        verdict(&run.accused, &run.suspects, n.max(1), run.threshold)
    );
    for s in run.suspects.iter().take(3) {
        println!(
            "    {:<14} {:<22} agrees on {:>3} of {:<3}  any innocent: {:.2e}{}",
            printable(&s.recipient),
            printable(&s.display_name()),
            s.matches,
            s.observed,
            s.false_accusation,
            if run.accused.contains(&s.recipient) {
                "  ACCUSED"
            } else {
                ""
            }
        );
    }
}

fn verdict(
    accused: &[String],
    suspects: &[telltale_registry::SuspectReport],
    holders: usize,
    threshold: f64,
) -> String {
    if holders == 0 {
        return "No copies of this document have been issued, so there is nobody to compare."
            .into();
    }
    match (accused.first(), suspects.first()) {
        (Some(a), Some(s)) => format!(
            "Strong evidence against {}{}: the chance that any innocent recipient's copy would match this well is at most {}.",
            printable(a),
            if s.name.is_empty() { String::new() } else { format!(" ({})", printable(&s.display_name())) },
            odds_in_words(s.false_accusation)
        ),
        (None, Some(s)) => format!(
            "Not enough evidence to accuse anyone: the best match could be an innocent recipient's with probability {} (the threshold is {}).",
            odds_in_words(s.false_accusation),
            odds_in_words(threshold)
        ),
        _ => "No slot could be read, so nobody can be compared.".into(),
    }
}

pub fn audit(home: &Path, cmd: AuditCommand) -> Result<()> {
    let r = open(home)?;
    match cmd {
        AuditCommand::Log { json } => {
            let log = r.store().audit_log()?;
            if json {
                return print_json(&log);
            }
            for e in log {
                println!(
                    "{:>6}  {}  {:<14} {:<18} {}",
                    e.seq,
                    e.at,
                    printable(&e.actor),
                    printable(&e.action),
                    printable(&e.detail)
                );
            }
        }
        AuditCommand::Verify => {
            let v = r.verify()?;
            if let Some(first) = v.problems.first() {
                // Every disagreement on its own line; the error says how many.
                for p in &v.problems {
                    println!("{p}");
                }
                let more = v.problems.len() - 1;
                bail!(
                    "audit log tampered with: {first}{}",
                    if more > 0 {
                        format!(" (and {more} more, listed above)")
                    } else {
                        String::new()
                    }
                );
            }
            println!(
                "audit log intact: {} entries, chained from the first{}, up to the head in audit.head; issuances, recipients and documents agree with it",
                v.entries,
                if v.legacy_entries > 0 {
                    format!(
                        " (the first {} written before entries were sealed with the key, every later one sealed)",
                        v.legacy_entries
                    )
                } else {
                    " and sealed with the registry's key".into()
                }
            );
        }
    }
    Ok(())
}

fn read_password() -> Result<String> {
    if let Ok(p) = std::env::var("TELLTALE_PASSWORD") {
        return Ok(p);
    }
    if std::io::stdin().is_terminal() {
        eprint!("password: ");
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let p = line.trim_end_matches(['\n', '\r']).to_string();
    if p.is_empty() {
        bail!("no password given: set TELLTALE_PASSWORD or type it on standard input");
    }
    Ok(p)
}

fn role(name: &str) -> Result<telltale_registry::Role> {
    telltale_registry::Role::from_name(name)
        .with_context(|| format!("unknown role {name}; choose admin, author or investigator"))
}

pub fn user(home: &Path, cmd: UserCommand) -> Result<()> {
    let mut r = open(home)?;
    match cmd {
        UserCommand::Add { name, role: ro } => {
            let pw = read_password()?;
            let u = r.add_user(&name, role(&ro)?, &pw)?;
            println!("added {} as {}", u.name, u.role.name());
        }
        UserCommand::List { json } => {
            let users = r.store().users()?;
            if json {
                let v: Vec<serde_json::Value> = users
                    .iter()
                    .map(|u| serde_json::json!({"name": u.name, "role": u.role, "created_at": u.created_at, "disabled": u.disabled}))
                    .collect();
                return print_json(&v);
            }
            if users.is_empty() {
                println!(
                    "no users (add the first admin with `telltale user add NAME --role admin`)"
                );
            }
            for u in users {
                println!(
                    "{:<24} {:<13}{}",
                    printable(&u.name),
                    u.role.name(),
                    if u.disabled { " disabled" } else { "" }
                );
            }
        }
        UserCommand::Set {
            name,
            role: ro,
            password,
            disable,
            enable,
        } => {
            let ro = ro.as_deref().map(role).transpose()?;
            let pw = if password {
                Some(read_password()?)
            } else {
                None
            };
            let state = if disable {
                Some(true)
            } else if enable {
                Some(false)
            } else {
                None
            };
            if ro.is_none() && pw.is_none() && state.is_none() {
                bail!("nothing to change: give --role, --password, --disable or --enable");
            }
            let u = r.update_user(&name, ro, pw.as_deref(), state)?;
            println!(
                "{} is {}{}",
                u.name,
                u.role.name(),
                if u.disabled { ", disabled" } else { "" }
            );
        }
    }
    Ok(())
}

pub fn token(home: &Path, cmd: TokenCommand) -> Result<()> {
    let mut r = open(home)?;
    match cmd {
        TokenCommand::Create { user, label } => {
            let (secret, t) = r.create_api_token(&user, &label)?;
            eprintln!(
                "token {} for {} (shown once; send it as 'Authorization: Bearer TOKEN'):",
                t.id, t.user
            );
            println!("{secret}");
        }
        TokenCommand::List { json } => {
            let ts = r.store().api_tokens()?;
            if json {
                let v: Vec<serde_json::Value> = ts
                    .iter()
                    .map(|t| serde_json::json!({"id": t.id, "user": t.user, "label": t.label, "created_at": t.created_at, "revoked": t.revoked}))
                    .collect();
                return print_json(&v);
            }
            for t in ts {
                println!(
                    "{}  {:<20} {}{}",
                    t.id,
                    printable(&t.user),
                    printable(&t.label),
                    if t.revoked { " (revoked)" } else { "" }
                );
            }
        }
        TokenCommand::Revoke { id } => {
            r.revoke_api_token(&id)?;
            println!("revoked {id}");
        }
    }
    Ok(())
}

pub fn serve(home: &Path, a: ServeArgs) -> Result<()> {
    // Structured logs on standard error; RUST_LOG overrides the level,
    // TELLTALE_LOG_JSON=1 writes one JSON object per line.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("telltale_server=info,tower_http=info")
    });
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var_os("TELLTALE_LOG_JSON").is_some_and(|v| v == "1") {
        fmt.json().init();
    } else {
        fmt.init();
    }
    let registry = open(home)?;
    let addr: std::net::SocketAddr = a
        .addr
        .parse()
        .with_context(|| format!("--addr {}: not an address like 127.0.0.1:8080", a.addr))?;
    let config = telltale_server::Config {
        base_url: a.base_url.unwrap_or_else(|| format!("http://{addr}")),
        secure_cookies: !a.insecure_cookies,
        backup_dir: a.backup_dir,
        ..telltale_server::Config::default()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(telltale_server::serve(registry, addr, config))
        .with_context(|| format!("serving on {addr}"))
}

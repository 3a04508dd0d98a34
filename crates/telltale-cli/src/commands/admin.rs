//! The commands that look after the registry and its server rather than
//! its documents: `init`, `backup`, `audit`, the server's users and API
//! tokens, and `serve`.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{bail, Context, Result};
use telltale_registry::Registry;

use super::{open, passphrase, print_json, warn, Place};
use crate::printable::printable;
use crate::{AuditCommand, ServeArgs, TokenCommand, UserCommand};

pub fn init(at: &Place) -> Result<()> {
    let location = at.location()?;
    let r = Registry::init_at(&location, passphrase().as_deref())?;
    warn(&r);
    let home = at.home();
    println!("created a registry in {}", home.display());
    if at.database.is_some() {
        println!(
            "its records are in {}",
            printable(&location.describe_database())
        );
    }
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

pub fn backup(home: &Place, dir: &Path) -> Result<()> {
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
    if home.database.is_some() {
        println!(
            "restore: into an empty database, `telltale --home {} migrate-store --to URL`",
            printable(&b.dir.display().to_string())
        );
    } else {
        println!(
            "restore: stop the server, copy {} as the registry home, then run `telltale --home DIR audit verify`",
            printable(&b.dir.display().to_string())
        );
    }
    Ok(())
}

pub fn migrate_store(at: &Place, to: &str) -> Result<()> {
    let mut r = open(at)?;
    let m = r.migrate_to(super::database(to)?)?;
    println!(
        "copied the registry to {}: {} documents, {} recipients, {} issuances, {} traces, {} users",
        printable(&m.database),
        m.documents,
        m.recipients,
        m.issuances,
        m.traces,
        m.users
    );
    println!(
        "verified there: audit log intact, {} entries, chained from the first",
        m.audit_entries
    );
    println!("from now on run telltale and its servers with --database URL (or TELLTALE_DATABASE_URL) and this home");
    Ok(())
}

pub fn audit(home: &Place, cmd: AuditCommand) -> Result<()> {
    let r = open(home)?;
    match cmd {
        AuditCommand::Log { json } => {
            let log = r.audit_log()?;
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

pub fn user(home: &Place, cmd: UserCommand) -> Result<()> {
    let mut r = open(home)?;
    match cmd {
        UserCommand::Add { name, role: ro } => {
            let pw = read_password()?;
            let u = r.add_user(&name, role(&ro)?, &pw)?;
            println!("added {} as {}", u.name, u.role.name());
        }
        UserCommand::List { json } => {
            let users = r.users()?;
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

pub fn token(home: &Place, cmd: TokenCommand) -> Result<()> {
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
            let ts = r.api_tokens()?;
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

pub fn serve(home: &Place, a: ServeArgs) -> Result<()> {
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
        job_quiet: std::time::Duration::from_secs(a.job_quiet_secs),
        ..telltale_server::Config::default()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(telltale_server::serve(registry, addr, config))
        .with_context(|| format!("serving on {addr}"))
}

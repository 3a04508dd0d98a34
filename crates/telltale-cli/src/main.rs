//! The `telltale` command-line tool. A thin layer: argument parsing and
//! printing here, every decision in `telltale-registry` and `telltale-core`.

mod commands;
mod demo;
mod printable;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Fingerprinted copies of confidential text, and leaks traced back to their source.
///
/// Every recipient gets a copy that differs from everyone else's in ways a
/// reader does not notice. When text leaks, `telltale trace` finds the quoted
/// passages and names the copy they came from — or says the evidence is not
/// enough. The registry (key, documents, recipients, issuances, audit log)
/// lives in $TELLTALE_HOME, or ./telltale-data, or --home; its records can
/// instead be kept in PostgreSQL with --database.
#[derive(Parser)]
#[command(name = "telltale", version, about, long_about)]
struct Cli {
    /// Registry directory (default: $TELLTALE_HOME, else ./telltale-data).
    #[arg(long, global = true, value_name = "DIR")]
    home: Option<PathBuf>,
    /// Keep the registry's records in this PostgreSQL database (a
    /// postgres:// URL; default: $TELLTALE_DATABASE_URL, else SQLite in the
    /// home). The key file stays in the home.
    #[arg(long, global = true, value_name = "URL")]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a registry and its secret key (encrypted if TELLTALE_PASSPHRASE is set).
    Init,
    /// Register, list, inspect and remove documents.
    #[command(subcommand)]
    Doc(DocCommand),
    /// Manage the people who receive copies.
    #[command(subcommand)]
    Recipients(RecipientsCommand),
    /// Named distribution lists of recipients.
    #[command(subcommand)]
    Lists(ListsCommand),
    /// Write each recipient's copy of a document to DIR/<recipient id>.<ext> and record who got which.
    ///
    /// Safe to run again after an interruption: copies already issued are
    /// skipped and only the missing ones are written. Copies are
    /// deterministic, so a document already issued can be written again to
    /// another DIR or in another --format; each issuance is recorded once.
    /// Copies are readable by you only unless --mode says otherwise, and a
    /// link planted in DIR is replaced, never written through.
    Distribute(DistributeArgs),
    /// Trace any text — a copy, an excerpt, a news article — back to the recipients it came from.
    Trace(TraceArgs),
    /// Signed evidence reports: make one from a trace, check one, export
    /// the key that checks them.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Inspect and verify the append-only, hash-chained audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Copy the registry, while it is in use, to a new or empty directory,
    /// and verify the copy.
    ///
    /// The database is a consistent snapshot taken by SQLite itself (a `cp`
    /// of a live registry misses what is in its write-ahead log); the key
    /// file and the other files of the home are copied beside it. DIR is
    /// then a registry home: to restore, stop the server, copy DIR as the
    /// home and run `telltale --home DIR audit verify`. Keep it as safe as
    /// the key: it holds it.
    Backup {
        /// Where to write the backup: a new or empty directory.
        dir: PathBuf,
    },
    /// Copy the registry's records into an empty PostgreSQL database, and
    /// verify the copy there as `audit verify` would.
    ///
    /// Everything that lasts is copied as it is, the audit log entry for
    /// entry; sessions are not (users sign in again). The registry here
    /// stays as it was; afterwards run the servers and commands with
    /// --database URL (or TELLTALE_DATABASE_URL) and the same home.
    MigrateStore {
        /// The PostgreSQL database to copy into (postgres://...).
        #[arg(long, value_name = "URL")]
        to: String,
    },
    /// People who sign in to the server, with their roles.
    #[command(subcommand)]
    User(UserCommand),
    /// API tokens for scripts that call the server.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Serve the web UI, the JSON API and recipients' reading room.
    ///
    /// Create the first admin with `telltale user add NAME --role admin`.
    /// Put it behind a TLS-terminating proxy when it is reached from other
    /// machines: session cookies are marked Secure unless --insecure-cookies.
    Serve(ServeArgs),
    /// Run the whole story on a built-in sample memo: register it, send 200
    /// fingerprinted copies, leak an 80-word quote into a news story, trace it.
    Demo {
        /// Number of recipients.
        #[arg(long, default_value_t = 200)]
        recipients: usize,
        /// Words in the leaked quote.
        #[arg(long, default_value_t = 80)]
        quote_words: usize,
        /// Print the result as JSON instead of the story.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum DocCommand {
    /// Register documents (text, Markdown, HTML or Word); prints each new id, the last one last.
    Add {
        /// The document files (.txt, .md, .html, .docx or .pdf), or - for text on standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Title (default: the first line of the document); only with one file.
        #[arg(long)]
        title: Option<String>,
        /// How much copies may vary: strict (conventions once per document),
        /// natural (reviewed per-instance variation), dense (everything,
        /// including classes not yet cleared by blind review).
        #[arg(long, default_value = "natural", value_parser = ["strict", "natural", "dense"])]
        profile: String,
        #[arg(long)]
        json: bool,
    },
    /// List registered documents.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one document with its capacity by layer.
    Show {
        id: String,
        /// List every slot with its alternatives, to review what will change before sending.
        #[arg(long)]
        variants: bool,
        #[arg(long)]
        json: bool,
    },
    /// Author-written alternatives on a document not yet issued, in any
    /// format: add one (--at PHRASE --alt WORDING …), list them (--list) or
    /// remove one (--remove N). In .txt and .md sources they can also be
    /// written inline as {{original|alternative|another}}.
    Alt {
        id: String,
        /// The exact phrase of the document to offer alternatives for.
        #[arg(long, conflicts_with_all = ["list", "remove"], requires = "alt")]
        at: Option<String>,
        /// Which occurrence of the phrase (from 1).
        #[arg(long, default_value_t = 1)]
        nth: usize,
        /// An alternative wording (repeat for several).
        #[arg(long, requires = "at")]
        alt: Vec<String>,
        /// List the document's author slots with their checks.
        #[arg(long)]
        list: bool,
        /// Remove author slot N (as numbered by --list).
        #[arg(long, conflicts_with = "list")]
        remove: Option<usize>,
        #[arg(long)]
        json: bool,
    },
    /// Remove a document (refused once it has been issued, unless --force).
    Remove {
        id: String,
        /// Remove even though copies were issued: they can then no longer be traced.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
pub enum RecipientsCommand {
    /// Import recipients from a CSV file with a header and columns id,name[,email].
    Import {
        csv: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Add or update one recipient.
    Add {
        id: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: Option<String>,
    },
    /// List recipients.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum ListsCommand {
    /// Create (or replace) a named list.
    Create {
        name: String,
        /// Comma-separated recipient ids.
        #[arg(long, value_delimiter = ',', required = true)]
        members: Vec<String>,
    },
    /// List the lists.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show the members of a list.
    Show {
        name: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user. The password is read from $TELLTALE_PASSWORD, else from
    /// the first line of standard input.
    Add {
        name: String,
        #[arg(long, value_parser = ["admin", "author", "investigator"])]
        role: String,
    },
    /// List users.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Change a user's role or password, or stop them signing in.
    Set {
        name: String,
        #[arg(long, value_parser = ["admin", "author", "investigator"])]
        role: Option<String>,
        /// Read a new password from $TELLTALE_PASSWORD or standard input.
        #[arg(long)]
        password: bool,
        #[arg(long, conflicts_with = "enable")]
        disable: bool,
        #[arg(long)]
        enable: bool,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Make an API token for a user; it is printed once, on the last line.
    Create {
        user: String,
        #[arg(long)]
        label: String,
    },
    /// List tokens (never their secrets).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by its id.
    Revoke { id: String },
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// The address recipients reach the server at, for their reading-room
    /// links (default: http://ADDR).
    #[arg(long)]
    pub base_url: Option<String>,
    /// Send session cookies without the Secure flag (for plain HTTP on a
    /// trusted network or loopback).
    #[arg(long)]
    pub insecure_cookies: bool,
    /// Where an admin's backups from the server go (`POST /api/admin/backup`),
    /// each in a new directory; without it the server takes no backups.
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
    /// Take over a background job (a distribution) from another server
    /// process on the same database once it has said nothing for this many
    /// seconds.
    #[arg(long, default_value_t = 60, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub job_quiet_secs: u64,
}

#[derive(Args)]
pub struct DistributeArgs {
    /// Document id.
    pub doc: String,
    /// Every registered recipient.
    #[arg(long, conflicts_with_all = ["to", "list"])]
    pub all: bool,
    /// These recipients (comma-separated ids).
    #[arg(long, value_delimiter = ',', conflicts_with = "list")]
    pub to: Vec<String>,
    /// The members of a named list.
    #[arg(long)]
    pub list: Option<String>,
    /// Directory to write the copies to.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Also give each recipient a personal reading-room link, written to
    /// DIR/links.csv (recipient,link,url); the links are shown only this once.
    #[arg(long)]
    pub links: bool,
    /// The server's address as recipients reach it, for --links.
    #[arg(long, default_value = "http://127.0.0.1:8080", requires = "links")]
    pub base_url: String,
    /// Links stop opening after this many days (default: never).
    #[arg(long, requires = "links")]
    pub expires_days: Option<u32>,
    /// Format of the copies: a document registered from HTML or DOCX is
    /// issued in its own format with its markup, styles, tables and images;
    /// any other format lays the copy's text out afresh. One of txt, md,
    /// html, docx, pdf.
    #[arg(long, default_value = "txt")]
    pub format: telltale_core::FileFormat,
    /// File mode of the copies, in octal (640 lets the group read them).
    #[arg(long, default_value = "600")]
    pub mode: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct TraceArgs {
    /// The leak: a text file, or .html, .docx, .pdf or .eml (read as a reader sees it), or - for standard input.
    pub file: PathBuf,
    /// Only consider this document.
    #[arg(long)]
    pub doc: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// Largest acceptable probability of accusing any innocent recipient.
    #[arg(long, default_value_t = 1e-3)]
    pub threshold: f64,
    /// File this leak under a case: the evidence of every leak in the case is
    /// then also read together, with a threshold that stays valid however
    /// often the case is looked at.
    #[arg(long)]
    pub case: Option<String>,
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Print the audit log.
    Log {
        #[arg(long)]
        json: bool,
    },
    /// Check that no entry of the audit log was changed, removed or reordered.
    Verify,
}

#[derive(Subcommand)]
pub enum ReportCommand {
    /// Write the evidence report of a trace as a PDF signed with the
    /// registry's report key (the trace's number is printed by `trace`).
    Pdf {
        /// The trace's number.
        trace: i64,
        /// Where to write the PDF (default: telltale-evidence-TRACE.pdf).
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Check a signed evidence report: whether any byte changed since it was
    /// signed, which registry signed it and which trace it reports. Without
    /// --key it checks against this registry's own key.
    Verify {
        /// The report (.pdf).
        file: PathBuf,
        /// A key file written by `telltale report key`, for checking without
        /// the registry.
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// Print (or write) the public key that checks this registry's reports,
    /// for a third party who must check them without the registry.
    Key {
        /// Write the key file here instead of printing it.
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
}

fn home(cli_home: Option<PathBuf>) -> PathBuf {
    cli_home
        .or_else(|| {
            std::env::var_os("TELLTALE_HOME")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| PathBuf::from("telltale-data"))
}

fn main() {
    let cli = Cli::parse();
    let home = &commands::Place::new(home(cli.home), cli.database);
    let result = match cli.command {
        Command::Demo {
            recipients,
            quote_words,
            json,
        } => demo::run(recipients, quote_words, json),
        Command::Init => commands::init(home),
        Command::Doc(c) => commands::doc(home, c),
        Command::Recipients(c) => commands::recipients(home, c),
        Command::Lists(c) => commands::lists(home, c),
        Command::Distribute(a) => commands::distribute(home, a),
        Command::Trace(a) => commands::trace(home, a),
        Command::Report(c) => commands::report(home, c),
        Command::Audit(c) => commands::audit(home, c),
        Command::Backup { dir } => commands::backup(home, &dir),
        Command::MigrateStore { to } => commands::migrate_store(home, &to),
        Command::User(c) => commands::user(home, c),
        Command::Token(c) => commands::token(home, c),
        Command::Serve(a) => commands::serve(home, a),
    };
    if let Err(e) = result {
        let msg = format!("{e:#}").replace('\n', " ");
        eprintln!("telltale: {}", printable::printable(&msg));
        std::process::exit(1);
    }
}

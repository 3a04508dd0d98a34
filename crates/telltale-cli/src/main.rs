//! The `telltale` command-line tool. A thin layer: argument parsing and
//! printing here, every decision in `telltale-core`.

mod demo;

use clap::{Parser, Subcommand};

/// Fingerprinted copies of confidential text, and leaks traced back to their source.
#[derive(Parser)]
#[command(name = "telltale", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo { recipients, quote_words, json } => demo::run(recipients, quote_words, json),
    };
    if let Err(e) = result {
        eprintln!("telltale: {e:#}");
        std::process::exit(1);
    }
}

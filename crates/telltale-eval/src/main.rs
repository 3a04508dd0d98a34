//! `telltale-eval`: run the evaluation harness and write the report.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use telltale_eval::{run_all, run_capacity, run_sample, Config};

/// Measure telltale on real prose and write a Markdown report with plots.
#[derive(Parser)]
#[command(name = "telltale-eval", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Every section: capacity, naturalness sample, attribution, collusion, calibration, speed.
    All {
        /// Less data and fewer trials (for CI; a couple of minutes).
        #[arg(long)]
        quick: bool,
        /// Where to write report.md, results.json, the plots and the naturalness sample.
        #[arg(long, default_value = "docs/evaluation")]
        out: PathBuf,
        /// Directory of corpus documents (.txt).
        #[arg(long)]
        corpus: Option<PathBuf>,
    },
    /// Only a naturalness sample (300 variants), drawn with its own seed, for another review round.
    Sample {
        /// Seed of the draw; the full report uses "naturalness".
        #[arg(long)]
        seed: String,
        /// Where to write naturalness-sample.json and .md.
        #[arg(long)]
        out: PathBuf,
    },
    /// Only the capacity table (slots and bits per class), printed; writes nothing.
    Capacity {
        /// Directory of corpus documents (.txt).
        #[arg(long)]
        corpus: Option<PathBuf>,
        /// Style profile to build the templates with.
        #[arg(long, default_value = "natural", value_parser = ["strict", "natural", "dense"])]
        profile: String,
    },
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::All { quick, out, corpus } => run_all(&Config {
            quick,
            out,
            corpus: corpus.unwrap_or_else(Config::default_corpus),
            profile: telltale_core::Profile::default(),
        }),
        Command::Sample { seed, out } => run_sample(
            &Config {
                quick: false,
                out,
                corpus: Config::default_corpus(),
                profile: telltale_core::Profile::default(),
            },
            &seed,
        ),
        Command::Capacity { corpus, profile } => {
            let cfg = Config {
                quick: false,
                out: PathBuf::from("."),
                corpus: corpus.unwrap_or_else(Config::default_corpus),
                profile: match profile.as_str() {
                    "strict" => telltale_core::Profile::Strict,
                    "dense" => telltale_core::Profile::Dense,
                    _ => telltale_core::Profile::Natural,
                },
            };
            run_capacity(&cfg).map(|md| {
                print!("{md}");
                PathBuf::from("-")
            })
        }
    };
    match result {
        Ok(p) if p.as_os_str() == "-" => {}
        Ok(p) => println!("wrote {}", p.display()),
        Err(e) => {
            eprintln!("telltale-eval: {}", format!("{e:#}").replace('\n', " "));
            std::process::exit(1);
        }
    }
}

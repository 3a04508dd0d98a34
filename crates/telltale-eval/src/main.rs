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
    /// Judge alternatives with the grammar checker alone, not the language
    /// model too (to measure what the model removes).
    #[arg(long, global = true)]
    grammar_only: bool,
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
        /// At most this many documents, spread evenly over the corpus.
        #[arg(long)]
        max_docs: Option<usize>,
    },
    /// Only a naturalness sample (300 variants), drawn with its own seed, for another review round.
    Sample {
        /// Seed of the draw; the full report uses "naturalness".
        #[arg(long)]
        seed: String,
        /// Where to write naturalness-sample.json and .md.
        #[arg(long)]
        out: PathBuf,
        /// Directory of corpus documents (.txt).
        #[arg(long)]
        corpus: Option<PathBuf>,
        /// Style profile to build the templates with.
        #[arg(long, default_value = "natural", value_parser = ["strict", "natural", "dense"])]
        profile: String,
        /// Only variants of this rule class (its kebab-case name).
        #[arg(long)]
        class: Option<String>,
        /// At most this many documents, spread evenly over the corpus.
        #[arg(long)]
        max_docs: Option<usize>,
    },
    /// Fit the fluency gate on the blind-review verdicts with the vendored
    /// language model and judge it on the rounds it was not fitted on.
    Gate(GateArgs),
    /// Judge the "worth an alternative" ranking against news editors:
    /// write their items for some documents, or score their picks.
    Quotable {
        /// Write items.md and key.json here; or, with --score, read the
        /// editors' picks-*.tsv from here.
        #[arg(long)]
        dir: PathBuf,
        /// The documents (.txt) to write items for.
        docs: Vec<PathBuf>,
        /// Score the picks in --dir instead of writing items.
        #[arg(long)]
        score: bool,
    },
    /// What author-written alternatives buy against retyped quotes: the
    /// corpus built with and without them, the same leaks against both.
    Author {
        /// The author slots (doc, phrase, nth, alt1, alt2, review).
        #[arg(long)]
        alternatives: Option<PathBuf>,
        /// Directory of the documents they belong to.
        #[arg(long)]
        corpus: Option<PathBuf>,
        /// Where to write report.md and results.json.
        #[arg(long, default_value = "docs/evaluation/author")]
        out: PathBuf,
        /// Fewer lengths and trials (a couple of minutes).
        #[arg(long)]
        quick: bool,
    },
    /// Only the capacity table (slots and bits per class), printed; writes nothing.
    Capacity {
        /// Directory of corpus documents (.txt).
        #[arg(long)]
        corpus: Option<PathBuf>,
        /// Style profile to build the templates with.
        #[arg(long, default_value = "natural", value_parser = ["strict", "natural", "dense"])]
        profile: String,
        /// At most this many documents, spread evenly over the corpus.
        #[arg(long)]
        max_docs: Option<usize>,
    },
}

/// Run the author-alternatives evaluation and write its report.
fn run_author(
    e: &telltale_eval::author_check::AuthorEval,
    out: &std::path::Path,
) -> anyhow::Result<PathBuf> {
    let (md, numbers) = telltale_eval::author_check::run(e)?;
    std::fs::create_dir_all(out)?;
    let command = format!(
        "\nReproduce: `cargo run --release -p telltale-eval -- author{}`\n",
        if e.quick { " --quick" } else { "" }
    );
    std::fs::write(out.join("report.md"), format!("{md}{command}"))?;
    std::fs::write(
        out.join("results.json"),
        serde_json::to_string_pretty(&numbers)?,
    )?;
    print!("{md}");
    Ok(out.join("report.md"))
}

/// A profile name as the value parser allows it.
fn parse_profile(name: &str) -> telltale_core::Profile {
    match name {
        "strict" => telltale_core::Profile::Strict,
        "dense" => telltale_core::Profile::Dense,
        _ => telltale_core::Profile::Natural,
    }
}

fn main() {
    let cli = Cli::parse();
    let language_model = !cli.grammar_only;
    let result = match cli.command {
        Command::All {
            quick,
            out,
            corpus,
            max_docs,
        } => run_all(&Config {
            quick,
            out,
            corpus: corpus.unwrap_or_else(Config::default_corpus),
            profile: telltale_core::Profile::default(),
            max_docs,
            language_model,
        }),
        Command::Gate(args) => run_gate(args),
        Command::Author {
            alternatives,
            corpus,
            out,
            quick,
        } => run_author(
            &telltale_eval::author_check::AuthorEval {
                alternatives: alternatives
                    .unwrap_or_else(telltale_eval::author_check::AuthorEval::default_alternatives),
                corpus: corpus
                    .unwrap_or_else(|| Config::default_corpus().join("../../corpus-official/docs")),
                quick,
                language_model,
            },
            &out,
        ),
        Command::Quotable { dir, docs, score } => {
            if score {
                telltale_eval::quotable_check::score(&dir).and_then(|md| {
                    print!("{md}");
                    let path = dir.join("summary.md");
                    std::fs::write(&path, md)?;
                    Ok(path)
                })
            } else {
                telltale_eval::quotable_check::write_items(&docs, &dir)
                    .map(|_| dir.join("items.md"))
            }
        }
        Command::Sample {
            seed,
            out,
            corpus,
            profile,
            class,
            max_docs,
        } => match class.as_deref().map(|c| {
            telltale_core::Class::from_name(c).ok_or_else(|| anyhow::anyhow!("unknown class {c}"))
        }) {
            Some(Err(e)) => Err(e),
            only => run_sample(
                &Config {
                    quick: false,
                    out,
                    corpus: corpus.unwrap_or_else(Config::default_corpus),
                    profile: parse_profile(&profile),
                    max_docs,
                    language_model,
                },
                &seed,
                only.and_then(Result::ok),
            ),
        },
        Command::Capacity {
            corpus,
            profile,
            max_docs,
        } => {
            let cfg = Config {
                quick: false,
                out: PathBuf::from("."),
                corpus: corpus.unwrap_or_else(Config::default_corpus),
                profile: parse_profile(&profile),
                max_docs,
                language_model,
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

/// What `gate` fits on and judges on.
#[derive(clap::Args)]
struct GateArgs {
    /// The review rounds (round-N directories).
    #[arg(long, default_value = "docs/evaluation/review")]
    reviews: PathBuf,
    /// Fit on rounds 1 to this one; judge on the later ones.
    #[arg(long, default_value_t = 10)]
    fit_through: u32,
    /// Judge only on rounds up to this one (later rounds, whose variants
    /// an earlier gate chose, would judge a selection).
    #[arg(long)]
    judge_through: Option<u32>,
    /// Pass rate the kept variants must reach at the operating point.
    #[arg(long, default_value_t = 0.97)]
    target: f64,
    /// Choose the operating point on the held-out rounds instead of the
    /// fitting rounds (see `FitPlan::threshold_on_held_out`).
    #[arg(long)]
    threshold_on_held_out: bool,
    /// Score every failed item but only every Nth passed one (1: all).
    #[arg(long, default_value_t = 1)]
    pass_stride: usize,
    /// Write the fitted classifier here (JSON).
    #[arg(long)]
    write_model: Option<PathBuf>,
    /// Write the report here (Markdown); else print it.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Also judge this earlier classifier (JSON) on the held-out rounds.
    #[arg(long)]
    compare: Option<PathBuf>,
}

fn run_gate(
    GateArgs {
        reviews,
        fit_through,
        judge_through,
        target,
        threshold_on_held_out,
        pass_stride,
        write_model,
        report,
        compare,
    }: GateArgs,
) -> anyhow::Result<PathBuf> {
    use anyhow::Context;
    use telltale_core::fluency::TokenScorer;
    use telltale_eval::fluency_fit;
    let all = fluency_fit::load_reviews(&reviews)?;
    let stride = pass_stride.max(1);
    let items: Vec<_> = all
        .into_iter()
        .enumerate()
        .filter(|(k, i)| !i.passed || k % stride == 0)
        .filter(|(_, i)| judge_through.is_none_or(|last| i.round <= last))
        .map(|(_, mut i)| {
            if i.passed {
                i.weight = stride as f32;
            }
            i
        })
        .collect();
    let mut lm = telltale_lm::LanguageModel::vendored()?;
    let started = std::time::Instant::now();
    let cache_path = std::path::Path::new("target").join("gate-scores.json");
    let mut cache = fluency_fit::ScoreCache::load(&cache_path, &lm.model_id());
    let cached = cache.texts.len();
    let previous = match compare {
        Some(p) => Some(
            serde_json::from_str::<telltale_core::fluency::FluencyModel>(
                &std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?,
            )?,
        ),
        None => None,
    };
    let fitted = fluency_fit::run(
        &mut lm,
        &mut cache,
        &items,
        fluency_fit::FitPlan {
            last_fit_round: fit_through,
            target,
            threshold_on_held_out,
        },
        previous.as_ref(),
        &mut |d, n| {
            if d % 128 < 16 {
                eprintln!(
                    "{d}/{n} texts scored, {:.0} s",
                    started.elapsed().as_secs_f64()
                );
            }
        },
    );
    // Whatever was scored is kept, even if the fit then fails.
    if std::fs::create_dir_all("target").is_ok() {
        cache.save(&cache_path)?;
    }
    let (model, mut md) = fitted?;
    md.push_str(&format!(
        "\nScored in {:.0} s ({cached} texts' scores reused from `{}`). Reproduce: \
         `cargo run --release -p telltale-eval -- gate --pass-stride {stride} --target {target}{}{}`.\n",
        started.elapsed().as_secs_f64(),
        cache_path.display(),
        judge_through.map_or(String::new(), |r| format!(" --judge-through {r}")),
        if threshold_on_held_out {
            " --threshold-on-held-out"
        } else {
            ""
        },
    ));
    if let Some(p) = &write_model {
        std::fs::write(p, serde_json::to_string_pretty(&model)? + "\n")?;
    }
    match report {
        Some(p) => {
            std::fs::write(&p, &md)?;
            Ok(p)
        }
        None => {
            println!("{md}");
            Ok(PathBuf::from("-"))
        }
    }
}

//! `tuner`: look at, export, plot and delete stored studies, and run black-box searches from
//! any language with `ask` and `tell` (as Optuna's command line does).
//!
//! A study named `S` lives, as the library keeps it by default, in `tuning/S/study.db`
//! (`--directory` changes `tuning`); `--storage URL` (or `TUNER_STORAGE`) names any storage
//! `tuner::storage::open` accepts instead: `sqlite:///path.db`, `postgresql://...`.

//!
//! This file parses the command line; `read.rs`, `ask_tell.rs` and `copy.rs` call the library
//! for each command and print what it returns; `error.rs` says what went wrong.

mod ask_tell;
mod copy;
mod error;
mod read;

use clap::{ArgAction, Parser, Subcommand, ValueEnum};
use error::CliError;
use std::path::PathBuf;
use std::process::ExitCode;
use tracing_subscriber::filter::LevelFilter;
use tuner::objective::Direction;
use tuner::oracle::{BayesianOptimization, GridSearch, Oracle, OracleConfig, RandomSearch, Tpe};
use tuner::report::plot::PlotKind;
use tuner::study::Catalog;

#[derive(Parser)]
#[command(
    name = "tuner",
    version,
    about = "Look at, export and plot tuner studies; ask and tell trials from any language",
    after_help = "A study S lives in <directory>/S/study.db unless --storage names another \
                  storage (sqlite:///path.db, postgresql://user@host/db)."
)]
struct Cli {
    /// Storage URL: sqlite:///relative.db, sqlite:////absolute.db or postgresql://user@host/db
    #[arg(long, global = true, env = "TUNER_STORAGE")]
    storage: Option<String>,
    /// Folder of the per-study SQLite files, as the library's `.directory(..)`
    #[arg(long, global = true, default_value = "tuning", env = "TUNER_DIRECTORY")]
    directory: PathBuf,
    /// Library logs on stderr (-v: info, -vv: debug)
    #[arg(short, long, global = true, action = ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the studies with their trial counts and best scores
    Studies,
    /// KerasTuner's results summary of the best trials
    Summary {
        /// The study's name
        study: String,
        /// How many of the best trials to show (at least 1)
        #[arg(short, long, default_value_t = 10, value_parser = at_least_one)]
        n: usize,
    },
    /// The best trials' params and scores
    Best {
        /// The study's name
        study: String,
        /// How many of the best trials to show (at least 1)
        #[arg(short, long, default_value_t = 1, value_parser = at_least_one)]
        n: usize,
        /// Print JSON: [{"number", "score", "params"}], best first
        #[arg(long)]
        json: bool,
    },
    /// Every trial, as a table, CSV or JSON
    Trials {
        /// The study's name
        study: String,
        /// CSV, one row per trial (params, score, per-metric best values, duration)
        #[arg(long, conflicts_with = "json")]
        csv: bool,
        /// JSON, one record per trial, learning curves included
        #[arg(long)]
        json: bool,
        /// Write to this file instead of standard output
        #[arg(short, long)]
        out: Option<PathBuf>,
    },
    /// Draw a plot of the study into an .svg or .png file
    Plot {
        /// The study's name
        study: String,
        /// Which plot
        #[arg(short, long, value_enum)]
        kind: KindArg,
        /// The output file (.svg or .png)
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Write the study as one self-contained HTML page: summary, plots, trials
    Report {
        /// The study's name
        study: String,
        /// The output file (.html)
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Print the study's search space
    Space {
        /// The study's name
        study: String,
        /// Print the JSON that `ask --space` reads
        #[arg(long)]
        json: bool,
    },
    /// Delete a study and its trials (and its folder, for a study in <directory>/S)
    Delete {
        /// The study's name
        study: String,
    },
    /// Copy a study and its trials to another storage, or beside it under another name
    Copy {
        /// The study's name
        study: String,
        /// The storage to copy to (sqlite:///path.db, postgresql://...); default: the folder
        /// of studies, as <directory>/NAME/study.db
        #[arg(long)]
        to: Option<String>,
        /// The copy's name (default: the same)
        #[arg(long = "as", value_name = "NAME")]
        as_name: Option<String>,
    },
    /// Hand out a trial to evaluate: prints {"number", "params"} as JSON
    Ask {
        /// The study's name (created on first use, from --space)
        study: String,
        /// The search space: tuner's JSON (`tuner space S --json`) or Optuna's
        /// {"name": {"name": "FloatDistribution", "attributes": {...}}}
        #[arg(long)]
        space: Option<PathBuf>,
        /// The oracle of a new study (default tpe)
        #[arg(long, value_enum)]
        oracle: Option<OracleArg>,
        /// The objective's name for a new study (default `value`)
        #[arg(long)]
        objective: Option<String>,
        /// The objective's direction for a new study (default: inferred from the name, else
        /// minimize)
        #[arg(long, value_enum)]
        direction: Option<DirectionArg>,
        /// The study's seed (the same seed and history ask for the same trial)
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Refuse to hand out more than this many trials in the study
        #[arg(long)]
        max_trials: Option<u64>,
    },
    /// Record the result of an asked trial
    Tell {
        /// The study's name
        study: String,
        /// The trial's number (from `ask`)
        trial: u64,
        /// The objective's value (one per objective, in order, for several)
        #[arg(long, num_args = 1.., allow_negative_numbers = true, required_unless_present = "fail")]
        value: Vec<f64>,
        /// Record the trial as failed, with this message
        #[arg(long, conflicts_with = "value")]
        fail: Option<String>,
        /// Set a user attribute (repeatable); VALUE is read as JSON when it parses, else
        /// kept as a string
        #[arg(long = "attr", value_name = "KEY=VALUE", value_parser = ask_tell::parse_attr)]
        attrs: Vec<(String, serde_json::Value)>,
    },
    /// Fail the asked trials never told: those asked longer ago than --older-than (their
    /// asker died); a later `tell` of one is refused
    FailAbandoned {
        /// The study's name
        study: String,
        /// The age that makes an asked trial abandoned: seconds, or with a unit (90s, 30m,
        /// 2h, 1d)
        #[arg(long, value_parser = ask_tell::parse_age)]
        older_than: std::time::Duration,
    },
}

/// `-n`: a count of trials to show, refused at 0 (which would show nothing and say why not).
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("0 trials shows nothing: give 1 or more".to_owned()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a count of trials: give 1 or more")),
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    History,
    Curves,
    Parallel,
    Slice,
    Importance,
    Contour,
    Rank,
    Edf,
    Pareto,
    Timeline,
}

impl From<KindArg> for PlotKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::History => PlotKind::History,
            KindArg::Curves => PlotKind::Curves,
            KindArg::Parallel => PlotKind::Parallel,
            KindArg::Slice => PlotKind::Slice,
            KindArg::Importance => PlotKind::Importance,
            KindArg::Contour => PlotKind::Contour,
            KindArg::Rank => PlotKind::Rank,
            KindArg::Edf => PlotKind::Edf,
            KindArg::Pareto => PlotKind::Pareto,
            KindArg::Timeline => PlotKind::Timeline,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum OracleArg {
    Random,
    Tpe,
    Bayesian,
    Grid,
}

impl From<OracleArg> for OracleConfig {
    /// Each oracle with its default settings.
    fn from(o: OracleArg) -> Self {
        match o {
            OracleArg::Random => RandomSearch::new().config(),
            OracleArg::Tpe => Tpe::new().config(),
            OracleArg::Bayesian => BayesianOptimization::new().config(),
            OracleArg::Grid => GridSearch::new().config(),
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum DirectionArg {
    Minimize,
    Maximize,
}

impl From<DirectionArg> for Direction {
    fn from(d: DirectionArg) -> Self {
        match d {
            DirectionArg::Minimize => Direction::Minimize,
            DirectionArg::Maximize => Direction::Maximize,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.verbose > 0 {
        let level = if cli.verbose > 1 {
            LevelFilter::DEBUG
        } else {
            LevelFilter::INFO
        };
        tracing_subscriber::fmt()
            .with_max_level(level)
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .init();
    }
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", e.report());
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<(), CliError> {
    let catalog = Catalog::new(cli.storage.clone(), &cli.directory);
    match &cli.command {
        Command::Studies => read::studies(&catalog),
        Command::Summary { study, n } => read::summary(&catalog, study, *n),
        Command::Best { study, n, json } => read::best(&catalog, study, *n, *json),
        Command::Trials {
            study,
            csv,
            json,
            out,
        } => read::trials(&catalog, study, *csv, *json, out.as_deref()),
        Command::Plot { study, kind, out } => read::plot(&catalog, study, (*kind).into(), out),
        Command::Report { study, out } => read::report(&catalog, study, out),
        Command::Space { study, json } => read::space(&catalog, study, *json),
        Command::Delete { study } => read::delete(&catalog, study),
        Command::Copy { study, to, as_name } => {
            copy::copy(&catalog, study, to.as_deref(), as_name.as_deref())
        }
        Command::Ask {
            study,
            space,
            oracle,
            objective,
            direction,
            seed,
            max_trials,
        } => ask_tell::ask(
            &catalog,
            study,
            &ask_tell::AskArgs {
                space: space.as_deref(),
                oracle: oracle.map(OracleConfig::from),
                objective: objective.clone(),
                direction: direction.map(Direction::from),
                seed: *seed,
                max_trials: *max_trials,
            },
        ),
        Command::Tell {
            study,
            trial,
            value,
            fail,
            attrs,
        } => ask_tell::tell(&catalog, study, *trial, value, fail.as_deref(), attrs),
        Command::FailAbandoned { study, older_than } => {
            ask_tell::fail_abandoned(&catalog, study, *older_than)
        }
    }
}

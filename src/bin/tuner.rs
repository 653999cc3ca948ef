//! `tuner`: look at, export, plot and delete stored studies, and run black-box searches from
//! any language with `ask` and `tell` (as Optuna's command line does).
//!
//! A study named `S` lives, as the library keeps it by default, in `tuning/S/study.db`
//! (`--directory` changes `tuning`); `--storage URL` (or `TUNER_STORAGE`) names any storage
//! `tuner::storage::open` accepts instead: `sqlite:///path.db`, `postgresql://...`.

use clap::{ArgAction, Parser, Subcommand, ValueEnum};
use serde_json::{json, Value as Json};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use tracing_subscriber::filter::LevelFilter;
use tuner::objective::{Direction, Objective, Objectives};
use tuner::oracle::{
    BayesianOptimization, GridSearch, Hyperband, Oracle, OracleContext, RandomSearch, Suggestion,
    Tpe,
};
use tuner::report::plot::PlotKind;
use tuner::report::{self, StudyView};
use tuner::space::{Param, SearchSpace, Value};
use tuner::storage::{self, SqliteStorage, Storage, StorageError, StudyConfig};
use tuner::trial::{Metrics, Trial, TrialState};
use tuner::tuner::{Outcome, TrialError, STUDY_DB};
use tuner::{Tuner, TunerError};

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
        /// How many of the best trials to show
        #[arg(short, long, default_value_t = 10)]
        n: usize,
    },
    /// The best trials' params and scores
    Best {
        /// The study's name
        study: String,
        /// How many of the best trials to show
        #[arg(short, long, default_value_t = 1)]
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
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    History,
    Curves,
    Parallel,
    Slice,
    Importance,
}

impl From<KindArg> for PlotKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::History => PlotKind::History,
            KindArg::Curves => PlotKind::Curves,
            KindArg::Parallel => PlotKind::Parallel,
            KindArg::Slice => PlotKind::Slice,
            KindArg::Importance => PlotKind::Importance,
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

#[derive(Clone, Copy, ValueEnum)]
enum DirectionArg {
    Minimize,
    Maximize,
}

/// What the command line reports: a message for the user.
type Result<T> = std::result::Result<T, String>;

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
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<()> {
    let places = Places {
        url: cli.storage.clone(),
        directory: cli.directory.clone(),
    };
    match &cli.command {
        Command::Studies => studies(&places),
        Command::Summary { study, n } => {
            let found = places.find(study)?;
            let view = StudyView::from_config(&found.config, &found.trials);
            print!("{}", report::results_summary(&view, &found.location, *n));
            Ok(())
        }
        Command::Best { study, n, json } => best(&places.find(study)?, *n, *json),
        Command::Trials {
            study,
            csv,
            json,
            out,
        } => {
            let found = places.find(study)?;
            let view = StudyView::from_config(&found.config, &found.trials);
            let text = if *csv {
                report::export::trials_csv(&view)
            } else if *json {
                report::export::trials_json(&view)
            } else {
                trials_table(&found)
            };
            emit(&text, out.as_deref())
        }
        Command::Plot { study, kind, out } => {
            let found = places.find(study)?;
            let view = StudyView::from_config(&found.config, &found.trials);
            let kind = PlotKind::from(*kind);
            report::plot::write(kind, &view, out).map_err(|e| e.to_string())?;
            println!("wrote the {kind} plot of `{study}` to {}", out.display());
            Ok(())
        }
        Command::Space { study, json } => {
            let found = places.find(study)?;
            if *json {
                let text =
                    serde_json::to_string_pretty(&found.config.space).map_err(|e| e.to_string())?;
                println!("{text}");
            } else {
                print!("{}", found.config.space.summary());
            }
            Ok(())
        }
        Command::Delete { study } => delete(&places, study),
        Command::Ask {
            study,
            space,
            oracle,
            objective,
            direction,
            seed,
            max_trials,
        } => ask(
            &places,
            study,
            &AskArgs {
                space: space.as_deref(),
                oracle: *oracle,
                objective: objective.as_deref(),
                direction: *direction,
                seed: *seed,
                max_trials: *max_trials,
            },
        ),
        Command::Tell {
            study,
            trial,
            value,
            fail,
        } => tell(&places, study, *trial, value, fail.as_deref()),
    }
}

/// Where studies are looked for: a storage URL, or one SQLite file per study in a folder.
struct Places {
    url: Option<String>,
    directory: PathBuf,
}

/// A stored study, read whole.
struct Found {
    storage: Arc<dyn Storage>,
    location: String,
    config: StudyConfig,
    trials: Vec<Trial>,
}

impl Places {
    /// The default database of `study`.
    fn default_db(&self, study: &str) -> PathBuf {
        self.directory.join(study).join(STUDY_DB)
    }

    /// The storage holding (or to hold) `study`; a default database is created only when
    /// `create` is set.
    fn storage_for(&self, study: &str, create: bool) -> Result<Arc<dyn Storage>> {
        if let Some(url) = &self.url {
            return storage::open(url).map_err(|e| e.to_string());
        }
        let db = self.default_db(study);
        if !create && !db.exists() {
            let mut message = format!(
                "no study named `{study}`: there is no {} (pass --storage URL for a study \
                 stored elsewhere, or --directory DIR for another folder)",
                db.display()
            );
            let names = self.default_studies().unwrap_or_default();
            if !names.is_empty() {
                let names: Vec<String> = names.into_iter().map(|(n, _)| n).collect();
                let _ = write!(
                    message,
                    "; studies in {}: {}",
                    self.directory.display(),
                    names.join(", ")
                );
            }
            return Err(message);
        }
        Ok(Arc::new(
            SqliteStorage::open(&db).map_err(|e| e.to_string())?,
        ))
    }

    /// Reads `study`: its configuration and trials.
    fn find(&self, study: &str) -> Result<Found> {
        let storage = self.storage_for(study, false)?;
        let config = storage.study(study).map_err(|e| match e {
            StorageError::NoStudy { .. } => {
                let names = storage.study_names().unwrap_or_default();
                if names.is_empty() {
                    format!("{e} (the storage holds no study)")
                } else {
                    format!("{e} (it holds: {})", names.join(", "))
                }
            }
            other => other.to_string(),
        })?;
        let trials = storage.trials(study).map_err(|e| e.to_string())?;
        Ok(Found {
            location: storage.location(),
            storage,
            config,
            trials,
        })
    }

    /// The studies in the default folder's databases: (name, database), by folder name.
    fn default_studies(&self) -> std::io::Result<Vec<(String, PathBuf)>> {
        let mut dbs: Vec<PathBuf> = std::fs::read_dir(&self.directory)?
            .filter_map(|e| e.ok())
            .map(|e| e.path().join(STUDY_DB))
            .filter(|p| p.is_file())
            .collect();
        dbs.sort();
        let mut out = Vec::new();
        for db in dbs {
            // A file that is not a study database is skipped here; `find` says what is wrong.
            if let Ok(storage) = SqliteStorage::open(&db) {
                for name in storage.study_names().unwrap_or_default() {
                    out.push((name, db.clone()));
                }
            }
        }
        Ok(out)
    }
}

fn emit(text: &str, out: Option<&Path>) -> Result<()> {
    match out {
        Some(path) => {
            report::export::write_file(path, text).map_err(|e| e.to_string())?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}

fn objective_text(objectives: &Objectives) -> String {
    objectives
        .list()
        .iter()
        .map(|o| {
            let dir = match o.direction {
                Direction::Minimize => "min",
                Direction::Maximize => "max",
            };
            format!("{} ({dir})", o.name)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Left-aligned columns separated by two spaces.
fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<w$}  ", w = widths[c]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn studies(places: &Places) -> Result<()> {
    let mut found: Vec<(String, Arc<dyn Storage>)> = Vec::new();
    match &places.url {
        Some(url) => {
            let storage = storage::open(url).map_err(|e| e.to_string())?;
            for name in storage.study_names().map_err(|e| e.to_string())? {
                found.push((name, storage.clone()));
            }
        }
        None => {
            let list = places.default_studies().map_err(|e| {
                format!(
                    "cannot list {}: {e} (pass --directory DIR, or --storage URL)",
                    places.directory.display()
                )
            })?;
            for (name, db) in list {
                let storage = SqliteStorage::open(&db).map_err(|e| e.to_string())?;
                found.push((name, Arc::new(storage)));
            }
        }
    }
    if found.is_empty() {
        println!("no studies");
        return Ok(());
    }
    let mut rows = vec![vec![
        "study".to_owned(),
        "trials".to_owned(),
        "completed".to_owned(),
        "best".to_owned(),
        "objective".to_owned(),
        "storage".to_owned(),
    ]];
    for (name, storage) in found {
        let config = storage.study(&name).map_err(|e| e.to_string())?;
        let trials = storage.trials(&name).map_err(|e| e.to_string())?;
        let view = StudyView::from_config(&config, &trials);
        let best = report::best_trials(&view, 1)
            .first()
            .and_then(|t| t.score)
            .map_or("-".to_owned(), |s| format!("{s:.6}"));
        let completed = trials
            .iter()
            .filter(|t| t.state == TrialState::Completed)
            .count();
        rows.push(vec![
            name,
            trials.len().to_string(),
            completed.to_string(),
            best,
            objective_text(&config.objectives),
            storage.location(),
        ]);
    }
    print!("{}", table(&rows));
    Ok(())
}

fn best(found: &Found, n: usize, as_json: bool) -> Result<()> {
    let view = StudyView::from_config(&found.config, &found.trials);
    let best = report::best_trials(&view, n);
    if best.is_empty() {
        return Err(format!(
            "study `{}` has no completed trial yet ({} trials in all)",
            found.config.name,
            found.trials.len()
        ));
    }
    if as_json {
        let list: Vec<Json> = best
            .iter()
            .map(|t| json!({"number": t.number, "score": t.score, "params": t.values()}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&list).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    let name = objective_text(&found.config.objectives);
    for (i, t) in best.iter().enumerate() {
        if i > 0 {
            println!();
        }
        let epoch = t
            .best_epoch
            .map_or(String::new(), |e| format!(" at epoch {e}"));
        println!(
            "Trial {}: {name} = {}{epoch}",
            t.id(),
            t.score.unwrap_or(f64::NAN)
        );
        for (k, v) in t.values().iter() {
            println!("  {k}: {v}");
        }
    }
    Ok(())
}

fn trials_table(found: &Found) -> String {
    let params: Vec<&str> = found
        .config
        .space
        .params()
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    let mut header = vec![
        "trial".to_owned(),
        "state".to_owned(),
        "score".to_owned(),
        "seconds".to_owned(),
    ];
    header.extend(params.iter().map(|p| p.to_string()));
    let mut rows = vec![header];
    for t in &found.trials {
        let mut row = vec![
            t.id(),
            t.state.to_string(),
            t.score.map_or("-".to_owned(), |s| format!("{s:.6}")),
            format!("{:.1}", t.seconds),
        ];
        row.extend(
            params
                .iter()
                .map(|p| t.values().get(p).map_or("-".to_owned(), cell)),
        );
        rows.push(row);
    }
    table(&rows)
}

/// A value for a table: floats to six significant digits.
fn cell(v: &Value) -> String {
    match v {
        Value::Float(f) if *f != 0.0 && f.is_finite() => {
            let digits = (5 - f.abs().log10().floor() as i32).clamp(0, 12) as usize;
            let s = format!("{f:.digits$}");
            if s.contains('.') && !(f.abs() < 1e-4 || f.abs() >= 1e6) {
                s.trim_end_matches('0').trim_end_matches('.').to_owned()
            } else {
                format!("{f:.5e}")
            }
        }
        other => other.to_string(),
    }
}

fn delete(places: &Places, study: &str) -> Result<()> {
    let storage = places.storage_for(study, false)?;
    storage.delete_study(study).map_err(|e| e.to_string())?;
    println!("deleted study `{study}` from {}", storage.location());
    if places.url.is_none() {
        // The study's own folder (database, checkpoints) goes too once its database is empty.
        let left = storage.study_names().map_err(|e| e.to_string())?;
        drop(storage);
        if left.is_empty() {
            let dir = places.directory.join(study);
            std::fs::remove_dir_all(&dir).map_err(|e| {
                format!(
                    "the study is deleted, but its folder {} stays: {e}",
                    dir.display()
                )
            })?;
            println!("removed its folder {}", dir.display());
        }
    }
    Ok(())
}

struct AskArgs<'a> {
    space: Option<&'a Path>,
    oracle: Option<OracleArg>,
    objective: Option<&'a str>,
    direction: Option<DirectionArg>,
    seed: u64,
    max_trials: Option<u64>,
}

fn ask(places: &Places, study: &str, args: &AskArgs<'_>) -> Result<()> {
    let given_space = args.space.map(read_space).transpose()?;
    let missing = || {
        format!(
            "study `{study}` does not exist yet: pass --space FILE (a JSON search space) to \
             create it"
        )
    };
    if given_space.is_none() && places.url.is_none() && !places.default_db(study).exists() {
        return Err(missing());
    }
    let storage = places.storage_for(study, given_space.is_some())?;
    let stored = match storage.study(study) {
        Ok(config) => Some(config),
        Err(StorageError::NoStudy { .. }) => None,
        Err(e) => return Err(e.to_string()),
    };
    let (space, objectives, oracle): (SearchSpace, Objectives, Box<dyn Oracle>) = match stored {
        Some(config) => {
            if let Some(space) = &given_space {
                if *space != config.space {
                    return Err(format!(
                        "study `{study}` already exists with another search space: leave out \
                         --space (see `tuner space {study}`), or use another study name"
                    ));
                }
            }
            let oracle = match args.oracle {
                Some(o) => new_oracle(o),
                None => stored_oracle(&config.oracle)?,
            };
            let objectives = match args.objective {
                Some(name) => new_objective(name, args.direction)?.into(),
                None => config.objectives.clone(),
            };
            (config.space, objectives, oracle)
        }
        None => {
            let space = given_space.ok_or_else(missing)?;
            let oracle = new_oracle(args.oracle.unwrap_or(OracleArg::Tpe));
            let objective = new_objective(args.objective.unwrap_or("value"), args.direction)?;
            (space, objective.into(), oracle)
        }
    };
    let mut builder = Tuner::for_space(space, Stored(oracle))
        .objectives(objectives.list().to_vec())
        .storage(storage)
        .project_name(study)
        // Asked trials write no files: keep the tuner's folder out of the working directory.
        .directory(std::env::temp_dir().join("tuner-cli"))
        .seed(args.seed)
        .quiet(true);
    if let Some(max) = args.max_trials {
        builder = builder.max_trials(max);
    }
    let mut tuner = builder.build().map_err(|e| match e {
        TunerError::Conflict { what, stored, .. } => format!(
            "study `{study}` was created with another {what} ({stored}): leave out the option \
             that changes it"
        ),
        other => other.to_string(),
    })?;
    let trial = tuner.ask().map_err(|e| e.to_string())?;
    let mut out = json!({"number": trial.number, "params": trial.values()});
    if let Some(epochs) = trial.plan.epochs {
        out["epochs"] = json!(epochs);
        out["initial_epoch"] = json!(trial.plan.initial_epoch);
    }
    println!("{out}");
    Ok(())
}

fn tell(
    places: &Places,
    study: &str,
    number: u64,
    values: &[f64],
    fail: Option<&str>,
) -> Result<()> {
    let found = places.find(study)?;
    let config = found.config;
    let oracle = stored_oracle(&config.oracle)?;
    let objectives = config.objectives.clone();
    let mut tuner = Tuner::for_space(config.space, Stored(oracle))
        .objectives(objectives.list().to_vec())
        .storage(found.storage)
        .project_name(study)
        .directory(std::env::temp_dir().join("tuner-cli"))
        .quiet(true)
        .build()
        .map_err(|e| e.to_string())?;
    let result: std::result::Result<Outcome, TrialError> = match fail {
        Some(message) => Err(TrialError::failed(message)),
        None => {
            let list = objectives.list();
            if values.len() != list.len() {
                return Err(format!(
                    "study `{study}` has {} objective(s) ({}): give one --value per objective",
                    list.len(),
                    objective_text(&objectives)
                ));
            }
            let metrics: Metrics = list
                .iter()
                .map(|o| o.name.clone())
                .zip(values.iter().copied())
                .collect();
            Ok(Outcome::Metrics(metrics))
        }
    };
    let trial = tuner.tell(number, result).map_err(|e| e.to_string())?;
    match trial.score {
        Some(score) => println!(
            "trial {number} of `{study}`: {} with score {score}",
            trial.state
        ),
        None => println!(
            "trial {number} of `{study}`: {} ({})",
            trial.state,
            trial.message.unwrap_or_default()
        ),
    }
    Ok(())
}

fn new_objective(name: &str, direction: Option<DirectionArg>) -> Result<Objective> {
    Ok(match direction {
        Some(DirectionArg::Minimize) => Objective::minimize(name),
        Some(DirectionArg::Maximize) => Objective::maximize(name),
        None => Objective::infer(name).unwrap_or_else(|_| Objective::minimize(name)),
    })
}

fn new_oracle(oracle: OracleArg) -> Box<dyn Oracle> {
    match oracle {
        OracleArg::Random => Box::new(RandomSearch::new()),
        OracleArg::Tpe => Box::new(Tpe::new()),
        OracleArg::Bayesian => Box::new(BayesianOptimization::new()),
        OracleArg::Grid => Box::new(GridSearch::new()),
    }
}

/// Rebuilds a study's oracle from its stored settings (what `Oracle::config` wrote).
fn stored_oracle(config: &Json) -> Result<Box<dyn Oracle>> {
    let field = |key: &str| {
        config
            .get(key)
            .ok_or_else(|| format!("the study's oracle settings {config} lack `{key}`"))
    };
    let int = |key: &str| -> Result<u64> {
        field(key)?
            .as_u64()
            .ok_or_else(|| format!("oracle setting `{key}` is not a count"))
    };
    let flag = |key: &str| -> Result<bool> {
        field(key)?
            .as_bool()
            .ok_or_else(|| format!("oracle setting `{key}` is not true/false"))
    };
    let oracle: Box<dyn Oracle> = match config.get("name").and_then(Json::as_str) {
        Some("random") => Box::new(RandomSearch::new()),
        Some("grid") => Box::new(GridSearch::new()),
        Some("tpe") => Box::new(
            Tpe::new()
                .n_startup_trials(int("n_startup_trials")? as usize)
                .n_ei_candidates(int("n_ei_candidates")? as usize)
                .multivariate(flag("multivariate")?)
                .group(flag("group")?)
                .prior_weight(field("prior_weight")?.as_f64().unwrap_or(1.0))
                .constant_liar(flag("constant_liar")?),
        ),
        Some("bayesian") => {
            let mut bo = BayesianOptimization::new();
            // `null`: KerasTuner's default, from the number of dimensions.
            if !field("num_initial_points")?.is_null() {
                bo = bo.num_initial_points(int("num_initial_points")? as usize);
            }
            Box::new(
                bo.acquisition(
                    serde_json::from_value(field("acquisition")?.clone())
                        .map_err(|e| format!("oracle setting `acquisition`: {e}"))?,
                )
                .candidates(int("candidates")? as usize)
                .output_warping(flag("output_warping")?),
            )
        }
        Some("hyperband") => Box::new(
            Hyperband::new(int("max_epochs")? as u32)
                .factor(int("factor")? as u32)
                .iterations(int("hyperband_iterations")? as u32),
        ),
        _ => {
            return Err(format!(
                "the study's oracle {config} is not one this tuner knows"
            ))
        }
    };
    if oracle.config() != *config {
        return Err(format!(
            "the study's oracle settings {config} cannot be rebuilt by this tuner (it would \
             use {}): upgrade tuner",
            oracle.config()
        ));
    }
    Ok(oracle)
}

/// An oracle chosen at run time.
struct Stored(Box<dyn Oracle>);

impl Oracle for Stored {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn config(&self) -> Json {
        self.0.config()
    }
    fn suggest(&self, ctx: &OracleContext<'_>) -> Suggestion {
        self.0.suggest(ctx)
    }
}

/// Reads a search space file: tuner's own JSON (`{"params": [...]}`, defaults optional) or
/// Optuna's distributions (`{"x": {"name": "FloatDistribution", "attributes": {...}}}`).
fn read_space(path: &Path) -> Result<SearchSpace> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the search space file {}: {e}", path.display()))?;
    let json: Json = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not valid JSON: {e}", path.display()))?;
    let bad = |what: String| format!("{}: {what}", path.display());
    if let Some(params) = json.get("params").and_then(Json::as_array) {
        let params = params
            .iter()
            .map(|p| {
                let mut p = p.clone();
                if p.get("default").is_none() {
                    let kind = p.get("kind").cloned().unwrap_or(Json::Null);
                    p["default"] = keras_default(&kind).ok_or_else(|| {
                        bad(format!(
                            "cannot tell the default of parameter {p}: give \"default\""
                        ))
                    })?;
                }
                serde_json::from_value::<Param>(p).map_err(|e| bad(format!("bad parameter: {e}")))
            })
            .collect::<Result<Vec<Param>>>()?;
        return SearchSpace::from_params(params).map_err(|e| bad(e.to_string()));
    }
    let Some(map) = json.as_object() else {
        return Err(bad(
            "expected {\"params\": [...]} or Optuna's {\"name\": {\"name\": ..., \"attributes\": ...}}"
                .to_owned(),
        ));
    };
    let mut builder = SearchSpace::builder();
    for (name, dist) in map {
        builder =
            builder.param(optuna_param(name, dist).map_err(|e| bad(format!("`{name}`: {e}")))?);
    }
    builder.build().map_err(|e| bad(e.to_string()))
}

/// KerasTuner's default for a parameter kind: Int/Float min, Choice first value, Bool false.
fn keras_default(kind: &Json) -> Option<Json> {
    match kind.get("type")?.as_str()? {
        "int" | "float" => kind.get("min").cloned(),
        "choice" => kind.get("values")?.as_array()?.first().cloned(),
        "boolean" => Some(Json::Bool(false)),
        "fixed" => kind.get("value").cloned(),
        _ => None,
    }
}

/// One Optuna distribution as a parameter.
fn optuna_param(name: &str, dist: &Json) -> std::result::Result<Param, String> {
    let attrs = &dist["attributes"];
    let num = |k: &str| attrs.get(k).and_then(Json::as_f64);
    let log = attrs.get("log").and_then(Json::as_bool).unwrap_or(false);
    let built = match dist.get("name").and_then(Json::as_str) {
        Some("FloatDistribution") => {
            let (Some(low), Some(high)) = (num("low"), num("high")) else {
                return Err("FloatDistribution needs low and high".to_owned());
            };
            let mut p = Param::float(name, low, high);
            if log {
                p = p.log();
            } else if let Some(step) = num("step") {
                p = p.step(step);
            }
            p.build()
        }
        Some("IntDistribution") => {
            let int = |k: &str| attrs.get(k).and_then(Json::as_i64);
            let (Some(low), Some(high)) = (int("low"), int("high")) else {
                return Err("IntDistribution needs integer low and high".to_owned());
            };
            let mut p = Param::int(name, low, high);
            if log {
                p = p.log();
            } else if let Some(step) = int("step").filter(|s| *s > 1) {
                p = p.step(step);
            }
            p.build()
        }
        Some("CategoricalDistribution") => {
            let choices = attrs
                .get("choices")
                .and_then(Json::as_array)
                .ok_or("CategoricalDistribution needs choices")?;
            let values: Vec<Value> = choices
                .iter()
                .map(|c| serde_json::from_value::<Value>(c.clone()).map_err(|e| e.to_string()))
                .collect::<std::result::Result<_, _>>()?;
            Param::choice(name, values).build()
        }
        other => {
            return Err(format!(
                "unknown distribution {other:?}: use FloatDistribution, IntDistribution or \
                 CategoricalDistribution"
            ))
        }
    };
    built.map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tuner::space::ParamKind;

    #[test]
    fn every_oracle_is_rebuilt_from_its_stored_settings() {
        for arg in [
            OracleArg::Random,
            OracleArg::Tpe,
            OracleArg::Bayesian,
            OracleArg::Grid,
        ] {
            let config = new_oracle(arg).config();
            assert_eq!(stored_oracle(&config).unwrap().config(), config);
        }
        let bo = BayesianOptimization::new().num_initial_points(5).config();
        assert_eq!(stored_oracle(&bo).unwrap().config(), bo);
        let hb = Hyperband::new(27).factor(3).iterations(2).config();
        assert_eq!(stored_oracle(&hb).unwrap().config(), hb);
        assert!(stored_oracle(&json!({"name": "annealing"})).is_err());
    }

    #[test]
    fn optuna_distributions_become_params() {
        let p = optuna_param(
            "lr",
            &json!({"name": "FloatDistribution", "attributes": {"low": 1e-4, "high": 0.1, "log": true, "step": null}}),
        )
        .unwrap();
        assert!(matches!(p.kind, ParamKind::Float { .. }));
        let c = optuna_param(
            "act",
            &json!({"name": "CategoricalDistribution", "attributes": {"choices": ["relu", "tanh"]}}),
        )
        .unwrap();
        assert_eq!(c.default, Value::from("relu"));
        assert!(optuna_param("x", &json!({"name": "Uniform"})).is_err());
    }
}

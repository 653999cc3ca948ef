//! The tuner: a [`Study`] (space, objective, oracle, storage) and the search loop over it.

mod ask_tell;
mod collapse;
mod cross_validation;
mod error;
mod heartbeat;
mod model_search;
mod parallel;
mod pareto;
mod results;
pub(crate) mod run;
mod search;
mod warm_start;

pub use crate::study::ASKED_AT;
pub use cross_validation::KFold;
pub use error::TunerError;
pub use model_search::{validation_split, CHECKPOINT, LAST_CHECKPOINT};
pub use pareto::{front_csv, hypervolume_history, ReferenceError};
pub use results::SearchReport;
pub use run::{Control, Outcome, TrialContext, TrialError};

use crate::hypermodel::HyperModel;
use crate::objective::{Objective, Objectives};
use crate::oracle::{BayesianOptimization, GridSearch, Hyperband, Oracle, RandomSearch, Tpe};
use crate::pruner::Pruner;
use crate::space::{HyperParameters, SearchSpace, SpaceError};
use crate::storage::{SqliteStorage, Storage, StorageError};
use crate::study::Study;
use crate::trial::Trial;
use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

// The default layout of studies on disk is the study's: the tuner writes it, the catalog reads it.
pub use crate::study::STUDY_DB;

/// A search space and the typed view of its values that a tuner hands to trials.
pub trait Searchable {
    /// What a trial receives: typed params, or the dynamic values.
    type Params: Clone + Debug;
    /// The space searched.
    fn space(&self) -> &SearchSpace;
    /// Reads one trial's values.
    fn decode(&self, values: &HyperParameters) -> Result<Self::Params, SpaceError>;
}

/// A `#[hypermodel]` type's space, with its typed params, and the model value (its arguments)
/// that builds each trial's model.
pub struct Typed<M>(Arc<M>);

impl<M> Typed<M> {
    /// The hypermodel value searched.
    pub fn model(&self) -> &M {
        &self.0
    }

    /// A shared handle on it, for the trial closures.
    pub(crate) fn shared(&self) -> Arc<M> {
        Arc::clone(&self.0)
    }
}

impl<M: HyperModel> Searchable for Typed<M> {
    type Params = M::Params;
    fn space(&self) -> &SearchSpace {
        M::space()
    }
    fn decode(&self, values: &HyperParameters) -> Result<M::Params, SpaceError> {
        M::params_from(values)
    }
}

/// A space defined at run time; trials receive [`HyperParameters`].
#[derive(Debug, Clone)]
pub struct Dynamic(SearchSpace);

impl Searchable for Dynamic {
    type Params = HyperParameters;
    fn space(&self) -> &SearchSpace {
        &self.0
    }
    fn decode(&self, values: &HyperParameters) -> Result<HyperParameters, SpaceError> {
        Ok(values.clone())
    }
}

/// Called when a trial starts or ends.
pub type TrialCallback = Box<dyn FnMut(&Trial)>;

/// How the search loop behaves (KerasTuner's tuner arguments).
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub executions_per_trial: u32,
    pub max_retries_per_trial: u32,
    pub max_consecutive_failed_trials: u32,
    pub count_diverged: bool,
    pub max_model_size: Option<usize>,
    pub quiet: bool,
    pub dir: PathBuf,
    pub heartbeat: Duration,
    pub grace: Duration,
    /// Trials run at once, each on a thread of its own (1: one at a time, as before).
    pub parallel_trials: usize,
    /// Compute threads per trial; `None` picks `parallel::threads_per_trial`'s rule.
    pub threads_per_trial: Option<usize>,
}

/// Sets up a [`Tuner`]; `build` checks everything and opens (or resumes) the study.
pub struct TunerBuilder<S> {
    model: S,
    oracle: Box<dyn Oracle>,
    pruner: Option<Box<dyn Pruner>>,
    objective: Option<Result<Objectives, TunerError>>,
    settings: Settings,
    max_trials: Option<u64>,
    seed: u64,
    directory: PathBuf,
    project_name: String,
    overwrite: bool,
    resume: bool,
    storage: Option<Arc<dyn Storage>>,
    storage_url: Option<String>,
    grace: Option<Duration>,
    constraints: Vec<String>,
}

/// A study being searched: space, objective, oracle, storage and the search loop.
///
/// A black-box search over a space defined at run time (a `#[hypermodel]` type searches with
/// `Tuner::builder::<M>(oracle)` and `search(&train, &val, fit)` the same way):
///
/// ```
/// use tuner_core::oracle::RandomSearch;
/// use tuner_core::space::{HyperParameters, Param, SearchSpace};
/// use tuner_core::tuner::TrialError;
/// use tuner_core::Tuner;
///
/// let space = SearchSpace::builder()
///     .param(Param::float("x", -5.0, 5.0))
///     .param(Param::choice("shift", [0, 1, 2]))
///     .build()?;
/// let dir = std::env::temp_dir().join(format!("tuner-doc-tuner-{}", std::process::id()));
/// let mut tuner = Tuner::for_space(space, RandomSearch::new())
///     .objective("loss") // minimised: the direction is inferred from the name
///     .max_trials(12)
///     .seed(1)
///     .quiet(true)
///     .directory(&dir) // the study is kept in dir/untitled_project/study.db
///     .build()?;
/// let report = tuner.search_fn(|hp: &HyperParameters, _ctx| {
///     let x: f64 = hp.get_as("x")?;
///     let shift = hp.get_as::<i64>("shift")? as f64;
///     Ok::<_, TrialError>((x - 1.0).powi(2) + shift)
/// })?;
/// assert_eq!((report.trials, report.completed), (12, 12));
/// let best = &tuner.best_trials(1)?[0];
/// assert!(tuner.trials()?.iter().all(|t| t.score >= best.score));
/// print!("{}", tuner.results_summary_string(1)?);
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Tuner<S = Dynamic> {
    model: S,
    study: Study,
    settings: Settings,
    on_begin: Vec<TrialCallback>,
    on_end: Vec<TrialCallback>,
}

impl Tuner<Dynamic> {
    /// A tuner for a `#[hypermodel]` type without arguments, with the given oracle.
    pub fn builder<M: HyperModel + Default>(
        oracle: impl Oracle + 'static,
    ) -> TunerBuilder<Typed<M>> {
        Self::for_model(M::default(), oracle)
    }

    /// A tuner for a hypermodel value: `Tuner::for_model(Mlp::new(10, [28, 28]), oracle)` for
    /// a `#[hypermodel] fn mlp(classes: usize, input: [usize; 2])`. Every trial builds its
    /// model with these arguments; only the `hp_*!` values are searched.
    pub fn for_model<M: HyperModel>(
        model: M,
        oracle: impl Oracle + 'static,
    ) -> TunerBuilder<Typed<M>> {
        TunerBuilder::new(Typed(Arc::new(model)), Box::new(oracle))
    }

    /// Random search over a `#[hypermodel]` type.
    pub fn random<M: HyperModel + Default>() -> TunerBuilder<Typed<M>> {
        Self::builder::<M>(RandomSearch::new())
    }

    /// Grid search over a `#[hypermodel]` type.
    pub fn grid<M: HyperModel + Default>() -> TunerBuilder<Typed<M>> {
        Self::builder::<M>(GridSearch::new())
    }

    /// Hyperband (factor 3) over a `#[hypermodel]` type; see [`Hyperband`] for more settings.
    pub fn hyperband<M: HyperModel + Default>(max_epochs: u32) -> TunerBuilder<Typed<M>> {
        Self::builder::<M>(Hyperband::new(max_epochs))
    }

    /// Bayesian optimisation (GP, log-EI) over a `#[hypermodel]` type.
    pub fn bayesian<M: HyperModel + Default>() -> TunerBuilder<Typed<M>> {
        Self::builder::<M>(BayesianOptimization::new())
    }

    /// TPE (Optuna's defaults) over a `#[hypermodel]` type.
    pub fn tpe<M: HyperModel + Default>() -> TunerBuilder<Typed<M>> {
        Self::builder::<M>(Tpe::new())
    }

    /// A tuner for a space defined at run time, with the given oracle.
    pub fn for_space(space: SearchSpace, oracle: impl Oracle + 'static) -> TunerBuilder<Dynamic> {
        TunerBuilder::new(Dynamic(space), Box::new(oracle))
    }
}

impl<S: Searchable> TunerBuilder<S> {
    fn new(model: S, oracle: Box<dyn Oracle>) -> Self {
        Self {
            model,
            oracle,
            pruner: None,
            objective: None,
            settings: Settings {
                executions_per_trial: 1,
                max_retries_per_trial: 0,
                max_consecutive_failed_trials: 3,
                count_diverged: false,
                max_model_size: None,
                quiet: false,
                dir: PathBuf::new(),
                heartbeat: Duration::from_secs(5),
                grace: Duration::ZERO,
                parallel_trials: 1,
                threads_per_trial: None,
            },
            max_trials: None,
            seed: 0,
            directory: PathBuf::from("tuning"),
            project_name: "untitled_project".to_owned(),
            overwrite: false,
            resume: false,
            storage: None,
            storage_url: None,
            grace: None,
            constraints: Vec::new(),
        }
    }

    /// Replaces the oracle.
    pub fn oracle(mut self, oracle: impl Oracle + 'static) -> Self {
        self.oracle = Box::new(oracle);
        self
    }

    /// Stops unpromising trials early from their reported epochs.
    pub fn pruner(mut self, pruner: impl Pruner + 'static) -> Self {
        self.pruner = Some(Box::new(pruner));
        self
    }

    /// The metric to optimise, its direction inferred from the name as KerasTuner does.
    pub fn objective(mut self, name: &str) -> Self {
        self.objective = Some(
            Objective::infer(name)
                .map(Objectives::from)
                .map_err(TunerError::from),
        );
        self
    }

    /// The objective(s) with explicit directions; several are kept as a Pareto front.
    pub fn objectives(mut self, objectives: impl IntoIterator<Item = Objective>) -> Self {
        let list: Vec<Objective> = objectives.into_iter().collect();
        self.objective = Some(Objectives::new(list).ok_or(TunerError::NoObjective));
        self
    }

    /// Metrics the objective reports that are constraints (each <= 0 is satisfied, Optuna's
    /// convention): kept with each trial; feasible trials are preferred as best and on the front.
    pub fn constraints<T: Into<String>>(mut self, metrics: impl IntoIterator<Item = T>) -> Self {
        self.constraints = metrics.into_iter().map(Into::into).collect();
        self
    }

    /// The most trials the study may hold (all states count, as in KerasTuner).
    pub fn max_trials(mut self, n: u64) -> Self {
        self.max_trials = Some(n);
        self
    }

    /// How many times each trial is trained from scratch; its per-epoch metrics are averaged.
    pub fn executions_per_trial(mut self, n: u32) -> Self {
        self.settings.executions_per_trial = n.max(1);
        self
    }

    /// How often an Invalid trial (error, panic, NaN score) is run again before it is Failed.
    pub fn max_retries_per_trial(mut self, n: u32) -> Self {
        self.settings.max_retries_per_trial = n;
        self
    }

    /// How many Failed trials in a row end the search with an error (default 3).
    pub fn max_consecutive_failed_trials(mut self, n: u32) -> Self {
        self.settings.max_consecutive_failed_trials = n.max(1);
        self
    }

    /// Whether diverged trials (NaN or infinite objective, see `Trial::diverged`) count toward
    /// `max_consecutive_failed_trials`, as every Failed trial does in KerasTuner (default
    /// false: a diverging configuration is a result of the search, and only errors raised by
    /// the objective's code end it).
    pub fn count_diverged_as_failed(mut self, yes: bool) -> Self {
        self.settings.count_diverged = yes;
        self
    }

    /// Models with more trainable parameters than this are Failed without training.
    pub fn max_model_size(mut self, params: usize) -> Self {
        self.settings.max_model_size = Some(params);
        self
    }

    /// The study's seed: oracles and trial seeds derive from it.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// No line per trial.
    pub fn quiet(mut self, quiet: bool) -> Self {
        self.settings.quiet = quiet;
        self
    }

    /// The folder holding projects (default `tuning`).
    pub fn directory(mut self, dir: impl AsRef<Path>) -> Self {
        self.directory = dir.as_ref().to_path_buf();
        self
    }

    /// The study's name and its folder under `directory` (default `untitled_project`).
    pub fn project_name(mut self, name: impl Into<String>) -> Self {
        self.project_name = name.into();
        self
    }

    /// Start afresh, deleting the stored study and its folder, instead of resuming it.
    pub fn overwrite(mut self, overwrite: bool) -> Self {
        self.overwrite = overwrite;
        self
    }

    /// Only resume: `build` fails with [`StorageError::NoStudy`] if the study does not exist.
    pub fn resume(mut self, resume: bool) -> Self {
        self.resume = resume;
        self
    }

    /// Where trials are kept (default: SQLite at `directory/project_name/study.db`).
    pub fn storage(mut self, storage: Arc<dyn Storage>) -> Self {
        self.storage = Some(storage);
        self
    }

    /// Where trials are kept, as Optuna spells it: `sqlite:///path/study.db`,
    /// `postgresql://user@host:5432/db` (feature `postgres`) or `memory`; opened by `build`.
    pub fn storage_url(mut self, url: impl Into<String>) -> Self {
        self.storage_url = Some(url.into());
        self
    }

    /// How often a running trial's worker records that it is alive (default 5 s).
    pub fn heartbeat_interval(mut self, interval: Duration) -> Self {
        self.settings.heartbeat = interval.max(Duration::from_millis(10));
        self
    }

    /// How long a running trial may go without a heartbeat before another worker fails it
    /// and runs it again (default six heartbeat intervals).
    pub fn grace_period(mut self, grace: Duration) -> Self {
        self.grace = Some(grace);
        self
    }

    /// Runs `n` trials at once on this machine (default 1, one at a time), each on a thread of
    /// its own sharing the study: every thread asks through the same atomic ask as separate
    /// worker processes, so Hyperband, BO (kriging believer) and TPE (constant liar) see the
    /// others' pending trials. Each trial's matrix products use `cores / n` threads (see
    /// [`threads_per_trial`](Self::threads_per_trial)). Reproducibility: a trial's training
    /// depends only on its params, seed and parent checkpoint, not on `n`; which trials an
    /// oracle that reads results proposes depends on the order trials end (see
    /// ARCHITECTURE.md, "Parallel trials"). Needs `search`/`search_split` without callbacks,
    /// or `search_fn_parallel`.
    pub fn parallel_trials(mut self, n: usize) -> Self {
        self.settings.parallel_trials = n.max(1);
        self
    }

    /// Compute threads each trial's training uses with [`parallel_trials`](Self::parallel_trials)
    /// (default: the machine's cores divided by the trials at once, at least 1).
    pub fn threads_per_trial(mut self, threads: usize) -> Self {
        self.settings.threads_per_trial = Some(threads.max(1));
        self
    }

    /// Checks the settings and opens the study, resuming it unless `overwrite` is set.
    pub fn build(self) -> Result<Tuner<S>, TunerError> {
        let objectives = self.objective.unwrap_or(Err(TunerError::NoObjective))?;
        let mut settings = self.settings;
        settings.dir = self.directory.join(&self.project_name);
        settings.grace = self.grace.unwrap_or(settings.heartbeat * 6);
        if settings.grace <= settings.heartbeat {
            return Err(TunerError::BadArgument(format!(
                "grace_period ({:?}) must be longer than heartbeat_interval ({:?}), or live \
                 trials would be taken for dead",
                settings.grace, settings.heartbeat
            )));
        }
        if self.resume && self.overwrite {
            return Err(TunerError::BadArgument(
                "resume(true) and overwrite(true) contradict each other: pick one".to_owned(),
            ));
        }
        let default_db = settings.dir.join(STUDY_DB);
        // A given storage is opened (and a resumed study looked up) before anything is
        // deleted: an unreachable database must not cost the study's folder.
        let given: Option<Arc<dyn Storage>> = match (self.storage, &self.storage_url) {
            (Some(storage), _) => Some(storage),
            (None, Some(url)) => Some(crate::storage::open(url)?),
            (None, None) => None,
        };
        if self.resume {
            match &given {
                Some(storage) => {
                    storage.study(&self.project_name)?;
                }
                // Nothing is created when there is nothing to resume.
                None if !default_db.exists() => {
                    return Err(StorageError::NoStudy {
                        name: self.project_name.clone(),
                        location: format!("sqlite:///{}", default_db.display()),
                    }
                    .into());
                }
                None => {}
            }
        }
        if self.overwrite && settings.dir.exists() {
            std::fs::remove_dir_all(&settings.dir).map_err(|source| TunerError::Io {
                path: settings.dir.display().to_string(),
                source,
            })?;
        }
        std::fs::create_dir_all(&settings.dir).map_err(|source| TunerError::Io {
            path: settings.dir.display().to_string(),
            source,
        })?;
        let storage: Arc<dyn Storage> = match given {
            Some(storage) => storage,
            None => Arc::new(SqliteStorage::open(&default_db)?),
        };
        if self.resume {
            storage.study(&self.project_name)?;
        }
        let study = Study::open(
            storage,
            &self.project_name,
            self.model.space().clone(),
            objectives,
            self.oracle,
            self.overwrite,
        )?
        .with_pruner(self.pruner)
        .with_seed(self.seed)
        .with_max_trials(self.max_trials)
        .with_constraints(self.constraints);
        Ok(Tuner {
            model: self.model,
            study,
            settings,
            on_begin: Vec::new(),
            on_end: Vec::new(),
        })
    }
}

impl<S: Searchable> Tuner<S> {
    /// Calls `f` before each trial runs.
    pub fn on_trial_begin(&mut self, f: impl FnMut(&Trial) + 'static) {
        self.on_begin.push(Box::new(f));
    }

    /// Calls `f` after each trial ends (with its final state and score).
    pub fn on_trial_end(&mut self, f: impl FnMut(&Trial) + 'static) {
        self.on_end.push(Box::new(f));
    }

    /// The objective(s) optimised.
    pub fn objectives(&self) -> &Objectives {
        self.study.objectives()
    }

    /// The space searched.
    pub fn space(&self) -> &SearchSpace {
        self.model.space()
    }

    /// The study's folder (`directory/project_name`).
    pub fn dir(&self) -> &Path {
        &self.settings.dir
    }

    /// The storage holding the study.
    pub fn storage(&self) -> &Arc<dyn Storage> {
        self.study.storage()
    }

    /// The study searched: its name, configuration and storage.
    pub fn study(&self) -> &Study {
        &self.study
    }

    /// The folder of trial `number` (its checkpoints).
    pub fn trial_dir(&self, number: u64) -> PathBuf {
        self.settings.dir.join(format!("trial_{number:04}"))
    }
}

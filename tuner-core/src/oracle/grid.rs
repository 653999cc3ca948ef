//! Grid search: every live combination exactly once, in KerasTuner's order.

use super::{Oracle, OracleContext, Suggestion};
use crate::trial::TrialPlan;

/// Enumerates the whole space (last-declared parameter varies fastest); a Float without step
/// is tried at KerasTuner's 10 evenly spaced points.
///
/// ```
/// use tuner_core::oracle::GridSearch;
/// use tuner_core::space::{HyperParameters, Param, SearchSpace};
/// use tuner_core::tuner::TrialError;
/// use tuner_core::Tuner;
///
/// // KerasTuner's grid: Int(6, 13, step=3) is 6, 9, 12; with a bool, 6 points.
/// let space = SearchSpace::builder()
///     .param(Param::int("n", 6, 13).step(3))
///     .param(Param::boolean("flag"))
///     .build()?;
/// let dir = std::env::temp_dir().join(format!("tuner-doc-grid-{}", std::process::id()));
/// let mut tuner = Tuner::for_space(space, GridSearch::new())
///     .objective("loss")
///     .quiet(true)
///     .directory(&dir)
///     .build()?;
/// let report = tuner.search_fn(|hp: &HyperParameters, _| {
///     Ok::<_, TrialError>(hp.get_as::<i64>("n")? as f64)
/// })?;
/// assert_eq!(report.trials, 6); // every point once, then the grid is done
/// assert_eq!(tuner.best_values(1)?[0].get_as::<i64>("n")?, 6);
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct GridSearch {
    _private: (),
}

impl GridSearch {
    /// A grid search.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Oracle for GridSearch {
    fn name(&self) -> &'static str {
        "grid"
    }

    fn config(&self) -> crate::oracle::OracleConfig {
        crate::oracle::OracleConfig::Grid
    }

    fn suggest(&self, ctx: &OracleContext<'_>) -> Suggestion {
        let tried = ctx.tried();
        let mut total = 0u64;
        for values in ctx.space.sampled_grid() {
            total += 1;
            if !tried.contains(&values.key()) {
                return Suggestion::Try(TrialPlan {
                    values,
                    ..TrialPlan::default()
                });
            }
        }
        Suggestion::Done(format!(
            "the grid is complete: all {total} combinations tried"
        ))
    }
}

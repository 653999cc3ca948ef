//! Grid search: every live combination exactly once, in KerasTuner's order.

use super::{Oracle, OracleContext, Suggestion};
use crate::trial::TrialPlan;

/// Enumerates the whole space (last-declared parameter varies fastest); a Float without step
/// is tried at KerasTuner's 10 evenly spaced points.
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

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "name": "grid" })
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

//! The tuner loop, studies, oracles and pruners.
//!
//! One test binary: each module was a test file of its own.

#[path = "../common/mod.rs"]
mod common;
mod constrained_bo;
mod constrained_tpe;
mod failures;
mod hypermodel_arguments;
mod metric_objectives;
mod multi_fidelity;
mod multi_objective;
mod oracle_quality;
mod oracle_search;
mod parallel_trials;
mod pruner_curves;
mod tpe_pareto;
mod tuner_loop;
mod warm_start;

use tuner::space::{Param, SearchSpace};

/// Two parameters, six points (`a` in 1..=3, `b` a bool): small enough to enumerate.
fn six_points() -> SearchSpace {
    SearchSpace::builder()
        .param(Param::int("a", 1, 3))
        .param(Param::boolean("b"))
        .build()
        .unwrap()
}

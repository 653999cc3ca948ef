//! Several objectives through the tuner loop: NSGA-II, constraints (feasible trials preferred
//! as best and on the front, kept where Optuna keeps them), the hypervolume per trial, and the
//! front as CSV.

use std::sync::Arc;
use tuner::objective::{constraints, violation, Objective, CONSTRAINTS};
use tuner::oracle::{
    BayesianOptimization, Crossover, Mutation, Nsga2, OracleConfig, Scalarisation,
};
use tuner::space::{HyperParameters, Param, SearchSpace};
use tuner::storage::{MemoryStorage, SqliteStorage, Storage};
use tuner::trial::{Metrics, TrialState};
use tuner::tuner::TrialError;
use tuner::Tuner;

fn square() -> SearchSpace {
    SearchSpace::builder()
        .param(Param::float("x", 0.0, 1.0))
        .param(Param::float("y", 0.0, 1.0))
        .build()
        .unwrap()
}

/// Two conflicting objectives, f1 = x and f2 = 1 - x + y (the front: y = 0, f2 = 1 - f1), and
/// one constraint, feasible for x >= 0.3.
fn evaluate(hp: &HyperParameters) -> Result<Metrics, TrialError> {
    let x: f64 = hp.get_as("x")?;
    let y: f64 = hp.get_as("y")?;
    Ok(Metrics::from([
        ("f1".to_owned(), x),
        ("f2".to_owned(), 1.0 - x + y),
        ("c".to_owned(), 0.3 - x),
    ]))
}

fn tuner(storage: Arc<dyn Storage>, name: &str, oracle: Nsga2) -> Tuner<tuner::tuner::Dynamic> {
    Tuner::for_space(square(), oracle)
        .objectives([Objective::minimize("f1"), Objective::minimize("f2")])
        .constraints(["c"])
        .storage(storage)
        .directory(crate::common::tmp_path(module_path!(), name))
        .project_name(name)
        .max_trials(120)
        .seed(5)
        .quiet(true)
        .build()
        .unwrap()
}

#[test]
fn nsga2_with_constraints_prefers_feasible_trials_everywhere() {
    let oracle = Nsga2::new()
        .population_size(20)
        .crossover(Crossover::Sbx { eta: 15.0 })
        .mutation(Mutation::Polynomial { eta: 20.0 });
    let mut tuner = tuner(Arc::new(MemoryStorage::new()), "nsga2", oracle);
    let report = tuner.search_fn(|hp, _| evaluate(hp)).unwrap();
    assert_eq!(report.trials, 120);
    let trials = tuner.trials().unwrap();
    // Every ended trial keeps its constraint value.
    for t in &trials {
        let c = constraints(t).unwrap();
        let x: f64 = t.values().get_as("x").unwrap();
        assert_eq!(c, vec![0.3 - x]);
        assert_eq!(violation(t) > 0.0, x < 0.3);
    }
    // The front holds feasible trials only, though infeasible ones (x < 0.3) have smaller f1.
    let front = tuner.pareto_front().unwrap();
    assert!(!front.is_empty());
    assert!(front.iter().all(|t| violation(t) == 0.0));
    assert!(trials.iter().any(|t| violation(t) > 0.0));
    // The best trial (summed objectives) is feasible too.
    assert_eq!(violation(&tuner.best_trials(1).unwrap()[0]), 0.0);
    // Later generations are mostly feasible and near the front (y near 0).
    let late: Vec<_> = trials[100..].iter().collect();
    let feasible = late.iter().filter(|t| violation(t) == 0.0).count();
    assert!(feasible >= 15, "{feasible} of 20 feasible");
    let near = late
        .iter()
        .filter(|t| t.values().get_as::<f64>("y").unwrap() < 0.2)
        .count();
    assert!(near >= 10, "{near} of 20 near the front");
    // The hypervolume never falls and grows over the search.
    let hv = tuner.hypervolume_history(&[1.0, 2.0]).unwrap();
    assert_eq!(hv.len(), 120);
    assert!(hv.windows(2).all(|w| w[1].1 >= w[0].1));
    assert!(hv[119].1 > hv[19].1, "{} vs {}", hv[119].1, hv[19].1);
    // The best possible: under (1, 2), the integral of 2 - (1 - a) for a in [0.3, 1].
    let optimum = 0.7 + (1.0 - 0.09) / 2.0;
    assert!(
        hv[119].1 <= optimum + 1e-9 && hv[119].1 > 0.8 * optimum,
        "{}",
        hv[119].1
    );
    assert!(tuner.hypervolume_history(&[1.0]).is_err());
}

#[test]
fn constraints_and_the_front_are_stored_as_optuna_reads_them() {
    let dir = crate::common::tmp(module_path!(), "sqlite");
    let storage: Arc<dyn Storage> = Arc::new(SqliteStorage::open(dir.join("s.db")).unwrap());
    let mut tuner = tuner(storage.clone(), "stored", Nsga2::new().population_size(10));
    tuner.search_fn(|hp, _| evaluate(hp)).unwrap();
    let trials = tuner.trials().unwrap();
    assert!(trials.iter().all(|t| t.state == TrialState::Completed));
    // Optuna's `constraints` system attribute, beside our record.
    let conn = rusqlite::Connection::open(dir.join("s.db")).unwrap();
    let stored: String = conn
        .query_row(
            "SELECT value_json FROM trial_system_attributes a JOIN trials t \
             ON a.trial_id = t.trial_id WHERE t.number = 0 AND a.key = ?1",
            [CONSTRAINTS],
            |r| r.get(0),
        )
        .unwrap();
    let values: Vec<f64> = serde_json::from_str(&stored).unwrap();
    assert_eq!(values, constraints(&trials[0]).unwrap());
    // The study is rebuilt with its oracle's settings.
    let config = storage.study("stored").unwrap();
    assert!(matches!(
        config.oracle,
        OracleConfig::Nsga2 {
            population_size: 10,
            ..
        }
    ));
    // The front as CSV: a header, then one line per front trial, feasible only.
    let path = dir.join("front.csv");
    tuner.export_pareto_front(&path).unwrap();
    let csv = std::fs::read_to_string(&path).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("number,f1,f2,x,y"));
    let front = tuner.pareto_front().unwrap();
    assert_eq!(lines.count(), front.len());
    let _ = std::fs::remove_dir_all(dir);
}

/// BO on a convex two-objective problem, f1 = x^2 + y, f2 = (1 - x)^2 + y (front: y = 0), whose
/// summed loss has one optimum at x = 0.5; returns the x of each trial on the final front and
/// the final hypervolume against (1.5, 1.5).
fn bo_front(how: Scalarisation) -> (Vec<f64>, f64) {
    let oracle = BayesianOptimization::new()
        .num_initial_points(6)
        .candidates(512)
        .multi_objective(how);
    let mut tuner = Tuner::for_space(square(), oracle)
        .objectives([Objective::minimize("f1"), Objective::minimize("f2")])
        .storage(Arc::new(MemoryStorage::new()))
        .directory(crate::common::tmp_path(module_path!(), &format!("{how:?}")))
        .max_trials(36)
        .seed(11)
        .quiet(true)
        .build()
        .unwrap();
    tuner
        .search_fn(|hp, _| {
            let x: f64 = hp.get_as("x")?;
            let y: f64 = hp.get_as("y")?;
            Ok::<_, TrialError>(Metrics::from([
                ("f1".to_owned(), x * x + y),
                ("f2".to_owned(), (1.0 - x).powi(2) + y),
            ]))
        })
        .unwrap();
    let xs = tuner
        .pareto_front()
        .unwrap()
        .iter()
        .map(|t| t.values().get_as::<f64>("x").unwrap())
        .collect();
    let hv = tuner.hypervolume_history(&[1.5, 1.5]).unwrap();
    (xs, hv.last().unwrap().1)
}

#[test]
fn parego_spreads_bayesian_optimisation_along_the_front() {
    let (parego, hv_parego) = bo_front(Scalarisation::ParEgo);
    let (sum, hv_sum) = bo_front(Scalarisation::Sum);
    let extent = |xs: &[f64]| {
        xs.iter().cloned().fold(f64::MIN, f64::max) - xs.iter().cloned().fold(f64::MAX, f64::min)
    };
    let seen = format!(
        "front: ParEGO {} points over {:.3} of x, HV {hv_parego:.4}; sum {} points over {:.3}, HV {hv_sum:.4}",
        parego.len(),
        extent(&parego),
        sum.len(),
        extent(&sum)
    );
    eprintln!("{seen}");
    // The summed loss pulls the proposals to x = 0.5; ParEGO's weights reach both ends.
    assert!(extent(&parego) > extent(&sum), "{seen}");
    assert!(hv_parego > hv_sum, "{seen}");
}

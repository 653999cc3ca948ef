//! Pruners on synthetic learning curves: who is stopped, when, and in the real tuner loop.

use tuner::objective::{Objective, Objectives};
use tuner::oracle::GridSearch;
use tuner::pruner::{
    MedianPruner, PercentilePruner, Pruner, PrunerContext, SuccessiveHalvingPruner,
};
use tuner::space::{HyperParameters, Param, SearchSpace};
use tuner::trial::{Curve, Metrics, Trial, TrialPlan, TrialState};
use tuner::tuner::{Control, TrialError};
use tuner::Tuner;

fn curve(name: &str, values: &[f64]) -> Vec<(u32, Metrics)> {
    values
        .iter()
        .enumerate()
        .map(|(e, v)| (e as u32, Metrics::from([(name.to_owned(), *v)])))
        .collect()
}

fn trial(number: u64, state: TrialState, history: Vec<(u32, Metrics)>) -> Trial {
    let mut t = Trial::new(number, TrialPlan::default());
    t.state = state;
    t.history = history.into();
    t
}

/// Asks `pruner` about a running trial (numbered after `done`) at its last epoch.
fn ask(
    pruner: &dyn Pruner,
    objectives: &Objectives,
    done: &[Trial],
    running: &[(u32, Metrics)],
) -> bool {
    let number = done.len() as u64;
    let mut trials = done.to_vec();
    trials.push(trial(number, TrialState::Running, running.to_vec()));
    let running = Curve::from(running.to_vec());
    pruner.prune(&PrunerContext {
        trial: number,
        epoch: running.last().expect("an epoch").0,
        history: &running,
        trials: &trials,
        objectives,
    })
}

#[test]
fn median_pruner_in_the_loop_stops_curves_worse_than_the_median() {
    // Trials run in this order; loss(epoch) = q + 1 / (epoch + 1).
    let order = [5, 3, 8, 9, 1, 7, 0, 6];
    let space = SearchSpace::builder()
        .param(Param::choice("q", order))
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("tuner-pruner-{}", std::process::id()));
    let mut tuner = Tuner::for_space(space, GridSearch::new())
        .objective("val_loss")
        .pruner(MedianPruner::new().n_startup_trials(3))
        .directory(&dir)
        .quiet(true)
        .build()
        .unwrap();
    tuner
        .search_fn(|hp: &HyperParameters, ctx| {
            let q = hp.get_as::<i64>("q")? as f64;
            for epoch in 0..5 {
                let m = Metrics::from([("val_loss".to_owned(), q + 1.0 / (epoch as f64 + 1.0))]);
                if ctx.report(epoch, m) == Control::Stop {
                    break;
                }
            }
            Ok::<_, TrialError>(())
        })
        .unwrap();
    let trials = tuner.trials().unwrap();
    use TrialState::{Completed as C, Stopped as S};
    let states: Vec<TrialState> = trials.iter().map(|t| t.state).collect();
    // The first three complete (startup); 9, 7 and 6 are worse than the median at epoch 0.
    assert_eq!(states, vec![C, C, C, S, C, S, C, S]);
    for t in trials.iter().filter(|t| t.state == S) {
        assert_eq!(t.history.len(), 1, "stopped after its first epoch");
        assert!(t.message.as_deref().unwrap().contains("median pruner"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn median_pruner_respects_startup_warmup_and_interval() {
    let obj: Objectives = Objective::minimize("loss").into();
    let done: Vec<Trial> = (0..4)
        .map(|i| {
            trial(
                i,
                TrialState::Completed,
                curve("loss", &[1.0, 0.9, 0.8, 0.7, 0.6]),
            )
        })
        .collect();
    let bad = curve("loss", &[5.0, 5.0, 5.0, 5.0, 5.0]);
    let pruner = MedianPruner::new();
    assert!(
        !ask(&pruner, &obj, &done, &bad[..1]),
        "fewer than 5 completed trials"
    );
    let pruner = MedianPruner::new().n_startup_trials(4);
    assert!(ask(&pruner, &obj, &done, &bad[..1]));
    let warm = MedianPruner::new().n_startup_trials(4).n_warmup_steps(2);
    assert!(
        !ask(&warm, &obj, &done, &bad[..2]),
        "epoch 1 is in the warm-up"
    );
    assert!(ask(&warm, &obj, &done, &bad[..3]));
    let every3 = MedianPruner::new().n_startup_trials(4).interval_steps(3);
    assert!(ask(&every3, &obj, &done, &bad[..1]), "epoch 0 is checked");
    assert!(
        !ask(&every3, &obj, &done, &bad[..2]),
        "epoch 1 is between checks"
    );
    assert!(ask(&every3, &obj, &done, &bad[..4]), "epoch 3 is checked");
    // A curve as good as the others is never stopped; an all-NaN one always is.
    let good = curve("loss", &[1.0, 0.9]);
    assert!(!ask(&pruner, &obj, &done, &good));
    assert!(ask(&pruner, &obj, &done, &curve("loss", &[f64::NAN])));
}

#[test]
fn percentile_pruner_keeps_the_top_quarter_when_maximising() {
    let obj: Objectives = Objective::maximize("val_accuracy").into();
    let done: Vec<Trial> = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
        .iter()
        .enumerate()
        .map(|(i, a)| {
            trial(
                i as u64,
                TrialState::Completed,
                curve("val_accuracy", &[*a, *a]),
            )
        })
        .collect();
    let pruner = PercentilePruner::new(25.0);
    // The 75th percentile of 0.1..0.9 is 0.7: 0.65 is pruned, 0.75 goes on.
    assert!(ask(&pruner, &obj, &done, &curve("val_accuracy", &[0.65])));
    assert!(!ask(&pruner, &obj, &done, &curve("val_accuracy", &[0.75])));
    // The best value so far counts, not the last one.
    assert!(!ask(
        &pruner,
        &obj,
        &done,
        &curve("val_accuracy", &[0.75, 0.2])
    ));
    // Stopped and running trials are not the reference.
    let mut with_others = done.clone();
    with_others.push(trial(
        9,
        TrialState::Stopped,
        curve("val_accuracy", &[0.99]),
    ));
    assert!(!ask(
        &pruner,
        &obj,
        &with_others,
        &curve("val_accuracy", &[0.75])
    ));
    let min_trials = PercentilePruner::new(25.0).n_min_trials(10);
    assert!(!ask(
        &min_trials,
        &obj,
        &done,
        &curve("val_accuracy", &[0.0])
    ));
}

#[test]
fn successive_halving_promotes_the_best_share_of_each_rung() {
    let obj: Objectives = Objective::minimize("loss").into();
    let done: Vec<Trial> = [1.0, 2.0, 3.0, 4.0]
        .iter()
        .enumerate()
        .map(|(i, v)| trial(i as u64, TrialState::Completed, curve("loss", &[*v; 10])))
        .collect();
    // Rungs at epochs 1, 2, 4, 8.
    let sh = SuccessiveHalvingPruner::new()
        .min_resource(1)
        .reduction_factor(2);
    let mid = curve("loss", &[2.5; 10]);
    assert!(
        !ask(&sh, &obj, &done, &mid[..1]),
        "epoch 0 is before the first rung"
    );
    // Rung 0 scores 1, 2, 3, 4 and 2.5: only the best 5 / 2 = 2 go on.
    assert!(ask(&sh, &obj, &done, &mid[..2]));
    let good = curve("loss", &[1.5; 10]);
    assert!(!ask(&sh, &obj, &done, &good[..2]));
    assert!(
        !ask(&sh, &obj, &done, &good[..3]),
        "rung 1: 1.5 is among the best two"
    );
    assert!(
        !ask(&sh, &obj, &done, &good[..4]),
        "epoch 3 is between rungs"
    );
    // A curve that falls behind at a later rung is stopped there.
    let fading = curve("loss", &[1.5, 1.5, 3.5, 3.5, 3.5]);
    assert!(!ask(&sh, &obj, &done, &fading[..2]));
    assert!(ask(&sh, &obj, &done, &fading[..3]));
    // Default: min_resource from the completed curves (10 epochs -> 1), reduction factor 4.
    let auto = SuccessiveHalvingPruner::new();
    assert!(ask(&auto, &obj, &done, &curve("loss", &[9.0, 9.0])));
    assert!(!ask(&auto, &obj, &done, &curve("loss", &[0.5, 0.5])));
    let none: Vec<Trial> = Vec::new();
    assert!(
        !ask(&auto, &obj, &none, &curve("loss", &[9.0, 9.0])),
        "no completed trial yet"
    );
}

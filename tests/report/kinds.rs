//! The plot kinds beyond the first five and the plot bugs of issue 18, on studies built here
//! trial by trial: contour, rank, EDF, Pareto (2 and 3 objectives), a 13-parameter parallel
//! plot, an ask/tell study's curves, and the colour bars that say what colour means.
#![cfg(feature = "plots")]

use crate::report_fixture::{scratch, searched_study};
use std::collections::BTreeMap;
use tuner::objective::{Objective, Objectives};
use tuner::report::plot::{self, PlotKind};
use tuner::report::StudyView;
use tuner::space::{HyperParameters, Param, SearchSpace};
use tuner::trial::{Metrics, Trial, TrialPlan, TrialState};

struct Node {
    tag: String,
    attrs: BTreeMap<String, String>,
    text: String,
}

fn nodes(svg: &str) -> Vec<Node> {
    let doc = roxmltree::Document::parse(svg).expect("plots are well-formed XML");
    doc.descendants()
        .filter(|n| n.is_element())
        .map(|n| Node {
            tag: n.tag_name().name().to_owned(),
            attrs: n
                .attributes()
                .map(|a| (a.name().to_owned(), a.value().to_owned()))
                .collect(),
            text: n.text().unwrap_or("").trim().to_owned(),
        })
        .collect()
}

fn count(svg: &str, tag: &str) -> usize {
    nodes(svg).iter().filter(|n| n.tag == tag).count()
}

fn has_text(svg: &str, text: &str) -> bool {
    nodes(svg).iter().any(|n| n.tag == "text" && n.text == text)
}

/// The colour bar: its 32 bands and the words that name it.
fn assert_colour_bar(svg: &str, title: &str) {
    let bands = nodes(svg)
        .iter()
        .filter(|n| n.tag == "rect" && n.attrs.get("width").is_some_and(|w| w == "22"))
        .count();
    assert!(bands >= 32, "{bands} colour-bar bands");
    assert!(has_text(svg, title), "colour bar titled {title}");
}

/// `n` completed trials of `space` with the given metrics per trial (one epoch each, as an
/// ask/tell study reports them).
fn trials_of(
    space: &SearchSpace,
    objectives: &Objectives,
    n: u64,
    metrics: impl Fn(u64, &HyperParameters) -> Metrics,
) -> Vec<Trial> {
    use rand::SeedableRng;
    let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(3);
    (0..n)
        .map(|i| {
            let values = space.sample(&mut rng);
            let m = metrics(i, &values);
            let mut t = Trial::new(
                i,
                TrialPlan {
                    values,
                    ..TrialPlan::default()
                },
            );
            t.history = vec![(0, m)].into();
            t.rescore(objectives);
            t.state = TrialState::Completed;
            t
        })
        .collect()
}

#[test]
fn contour_and_rank_pair_the_most_important_parameters() {
    let dir = scratch("pairs");
    let tuner = searched_study(&dir);
    let trials = tuner.trials().unwrap();
    let study = tuner.view(&trials);
    let completed = trials
        .iter()
        .filter(|t| t.state == TrialState::Completed)
        .count();
    // Four parameters: six pairs, each panel a dot per completed trial, axes named.
    for (kind, title) in [(PlotKind::Contour, "score"), (PlotKind::Rank, "score rank")] {
        let svg = plot::svg(kind, &study).unwrap();
        assert_eq!(count(&svg, "circle"), 6 * completed, "{kind}");
        for name in ["learning_rate", "units", "activation", "dropout"] {
            assert!(has_text(&svg, name), "{kind}: axis {name}");
        }
        assert_colour_bar(&svg, title);
    }
    // The contour's cells: 30 x 30 per panel.
    let svg = plot::svg(PlotKind::Contour, &study).unwrap();
    let cells = nodes(&svg)
        .iter()
        .filter(|n| n.tag == "rect" && n.attrs.get("width").is_some_and(|w| w != "22"))
        .count();
    assert!(cells >= 6 * 900, "{cells} cells");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn edf_has_a_dot_per_trial_rising_to_one() {
    let space = SearchSpace::builder()
        .param(Param::float("x", 0.0, 1.0))
        .build()
        .unwrap();
    let objectives: Objectives = Objective::minimize("loss").into();
    let trials = trials_of(&space, &objectives, 20, |i, _| {
        Metrics::from([("loss".to_owned(), (i % 7) as f64)])
    });
    let study = StudyView::new("edf", &space, &objectives, &trials);
    let svg = plot::svg(PlotKind::Edf, &study).unwrap();
    // 20 dots and the legend's line; the axes named.
    assert_eq!(count(&svg, "circle"), 20);
    assert!(has_text(&svg, "20 completed trials"));
    assert!(has_text(&svg, "loss (min)"));
    assert!(has_text(&svg, "share of trials scoring at most x"));
}

fn pareto_study(n_objectives: usize) -> (SearchSpace, Objectives, Vec<Trial>) {
    let space = SearchSpace::builder()
        .param(Param::float("x", 0.1, 1.0))
        .build()
        .unwrap();
    let names = ["loss", "latency", "memory"];
    let objectives = Objectives::new(
        names[..n_objectives]
            .iter()
            .map(|n| Objective::minimize(*n))
            .collect(),
    )
    .unwrap();
    let trials = trials_of(&space, &objectives, 16, |i, hp| {
        let x: f64 = hp.get_as("x").unwrap();
        // Even trials trade loss for latency; odd ones are worse in both.
        let penalty = if i % 2 == 1 { 0.5 } else { 0.0 };
        Metrics::from([
            ("loss".to_owned(), x + penalty),
            ("latency".to_owned(), 1.0 / x + penalty),
            ("memory".to_owned(), 1.0 + penalty),
        ])
    });
    (space, objectives, trials)
}

#[test]
fn pareto_marks_the_front_for_two_and_three_objectives() {
    for (n, panels) in [(2, 1), (3, 3)] {
        let (space, objectives, trials) = pareto_study(n);
        let study = StudyView::new("pareto", &space, &objectives, &trials);
        let points: Vec<BTreeMap<String, f64>> = trials
            .iter()
            .map(|t| t.best_metrics().unwrap().clone().into_iter().collect())
            .collect();
        let front = objectives.pareto_front(&points).len();
        assert!((2..=8).contains(&front), "{front} on the front");
        let svg = plot::svg(PlotKind::Pareto, &study).unwrap();
        let red = nodes(&svg)
            .iter()
            .filter(|n| n.tag == "circle" && n.attrs.get("fill").is_some_and(|f| f == "#D62728"))
            .count();
        // Each panel: a dot per trial, plus one of each colour in its legend.
        assert_eq!(count(&svg, "circle"), panels * (16 + 2), "{n} objectives");
        assert_eq!(red, panels * (front + 1), "{n} objectives");
        assert!(has_text(&svg, &format!("Pareto front ({front})")));
        assert!(has_text(&svg, &format!("dominated ({})", 16 - front)));
        assert!(has_text(&svg, "loss (min)") && has_text(&svg, "latency (min)"));
    }
}

#[test]
fn a_thirteen_parameter_parallel_plot_has_real_axes_and_readable_names() {
    let mut builder = SearchSpace::builder();
    for i in 0..13 {
        builder = builder.param(Param::float(format!("layer_{i}_learning_rate"), 0.0, 1.0));
    }
    let space = builder.build().unwrap();
    let objectives: Objectives = Objective::minimize("loss").into();
    let trials = trials_of(&space, &objectives, 12, |i, _| {
        Metrics::from([("loss".to_owned(), i as f64)])
    });
    let study = StudyView::new("wide", &space, &objectives, &trials);
    let svg = plot::svg(PlotKind::Parallel, &study).unwrap();
    let all = nodes(&svg);
    // No element is drawn zero wide.
    assert!(
        !all.iter()
            .any(|n| n.attrs.get("width").is_some_and(|w| w == "0")),
        "an element has width 0"
    );
    // 14 axes (black two-point lines) and a line per trial.
    let black: Vec<&Node> = all
        .iter()
        .filter(|n| n.tag == "polyline" && n.attrs.get("stroke").is_some_and(|s| s == "#000000"))
        .collect();
    let axes = black
        .iter()
        .filter(|n| n.attrs["points"].split_whitespace().count() == 2)
        .count();
    assert_eq!(axes, 14);
    let lines = all
        .iter()
        .filter(|n| n.tag == "polyline" && n.attrs.get("stroke").is_some_and(|s| s != "#000000"))
        .count();
    assert_eq!(lines, 12);
    // Names on the same row are further apart than they are wide (about 0.6 em a letter).
    let mut names: Vec<(f64, f64, usize)> = all
        .iter()
        .filter(|n| n.tag == "text" && n.text.starts_with("layer_"))
        .map(|n| {
            (
                n.attrs["x"].parse().unwrap(),
                n.attrs["y"].parse().unwrap(),
                n.text.len(),
            )
        })
        .collect();
    assert_eq!(names.len(), 13);
    names.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (i, a) in names.iter().enumerate() {
        for b in names[i + 1..].iter().filter(|b| b.1 == a.1) {
            let half_widths = 0.6 * 15.0 * (a.2 + b.2) as f64 / 2.0;
            assert!(
                b.0 - a.0 > half_widths,
                "names at x {} and {} overlap",
                a.0,
                b.0
            );
        }
    }
    assert_colour_bar(&svg, "score rank");
    if let Some(dir) = std::env::var_os("TUNER_PLOT_DIR") {
        let path = std::path::Path::new(&dir).join("parallel-13.png");
        plot::write(PlotKind::Parallel, &study, &path).unwrap();
    }
}

#[test]
fn one_epoch_curves_have_whole_epoch_ticks_and_a_colour_bar() {
    let space = SearchSpace::builder()
        .param(Param::float("x", 0.0, 1.0))
        .build()
        .unwrap();
    let objectives: Objectives = Objective::minimize("loss").into();
    let trials = trials_of(&space, &objectives, 6, |i, _| {
        Metrics::from([("loss".to_owned(), 1.0 + 0.1 * i as f64)])
    });
    let study = StudyView::new("asked", &space, &objectives, &trials);
    let svg = plot::svg(PlotKind::Curves, &study).unwrap();
    let texts: Vec<String> = nodes(&svg)
        .into_iter()
        .filter(|n| n.tag == "text")
        .map(|n| n.text)
        .collect();
    assert!(!texts.iter().any(|t| t == "-0"), "{texts:?}");
    assert_eq!(
        texts.iter().filter(|t| *t == "0").count(),
        2,
        "the epoch tick and the bar's 0: {texts:?}"
    );
    assert_eq!(count(&svg, "circle"), 6);
    assert_colour_bar(&svg, "trial");
}

#[test]
fn every_kind_is_written_as_png() {
    let dir = scratch("png-kinds");
    let tuner = searched_study(&dir);
    let trials = tuner.trials().unwrap();
    let study = tuner.view(&trials);
    let (space, objectives, pareto_trials) = pareto_study(3);
    let pareto = StudyView::new("pareto", &space, &objectives, &pareto_trials);
    let keep = std::env::var_os("TUNER_PLOT_DIR").map(std::path::PathBuf::from);
    for kind in PlotKind::ALL {
        let view = if kind == PlotKind::Pareto {
            &pareto
        } else {
            &study
        };
        assert!(kind.applies_to(view));
        let path = keep.as_ref().unwrap_or(&dir).join(format!("{kind}.png"));
        plot::write(kind, view, &path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{kind}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

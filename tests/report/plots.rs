//! Plots of a searched study are valid SVG with one mark per trial; PNG files are written too.
//! Set `TUNER_PLOT_DIR` to keep the pictures for a look.
#![cfg(feature = "plots")]

use crate::report_fixture::{scratch, searched_study};
use tuner::report::plot::{self, PlotKind};
use tuner::trial::TrialState;

/// The elements of an SVG document named `tag`, with their attributes.
fn elements(svg: &str, tag: &str) -> Vec<Vec<(String, String)>> {
    let doc = roxmltree::Document::parse(svg).expect("plots are well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.tag_name().name() == tag)
        .map(|n| {
            n.attributes()
                .map(|a| (a.name().to_owned(), a.value().to_owned()))
                .collect()
        })
        .collect()
}

fn texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.tag_name().name() == "text")
        .filter_map(|n| n.text().map(|t| t.trim().to_owned()))
        .collect()
}

fn keep(name: &str, svg: &str) {
    if let Some(dir) = std::env::var_os("TUNER_PLOT_DIR") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(std::path::Path::new(&dir).join(name), svg).unwrap();
    }
}

#[test]
fn every_plot_has_one_mark_per_trial() {
    let dir = scratch("plots");
    let tuner = searched_study(&dir);
    let trials = tuner.trials().unwrap();
    let study = tuner.view(&trials);
    let completed = trials
        .iter()
        .filter(|t| t.state == TrialState::Completed)
        .count();
    let pruned = trials
        .iter()
        .filter(|t| t.state == TrialState::Stopped)
        .count();
    assert_eq!(trials.len(), 30);
    assert!(
        pruned > 0 && completed > 0,
        "{completed} completed, {pruned} pruned"
    );

    // History: a dot per scored trial (pruned trials keep the score of their best epoch).
    let svg = plot::svg(PlotKind::History, &study).unwrap();
    keep("history.svg", &svg);
    assert_eq!(elements(&svg, "circle").len(), completed + pruned);
    assert!(texts(&svg).iter().any(|t| t == "best so far"));

    // Curves: a line per trial, ending in a dot, or in a red cross (two lines) when pruned.
    let svg = plot::svg(PlotKind::Curves, &study).unwrap();
    keep("curves.svg", &svg);
    assert_eq!(elements(&svg, "circle").len(), completed);
    let red_lines = elements(&svg, "line")
        .into_iter()
        .filter(|a| a.iter().any(|(k, v)| k == "stroke" && v == "#D62728"))
        .count();
    assert_eq!(red_lines, 2 * pruned);
    // (Axes and ticks are black polylines too.)
    let with_lines = trials.iter().filter(|t| t.history.len() > 1).count();
    let curves = elements(&svg, "polyline")
        .into_iter()
        .filter(|a| a.iter().any(|(k, v)| k == "stroke" && v != "#000000"))
        .count();
    assert_eq!(curves, with_lines);

    // Parallel coordinates: a coloured polyline per completed trial, a black one per axis.
    let svg = plot::svg(PlotKind::Parallel, &study).unwrap();
    keep("parallel.svg", &svg);
    let (axes, lines): (Vec<_>, Vec<_>) = elements(&svg, "polyline")
        .into_iter()
        .partition(|a| a.iter().any(|(k, v)| k == "stroke" && v == "#000000"));
    assert_eq!(lines.len(), completed);
    assert_eq!(axes.len(), 4 + 1);
    for name in [
        "learning_rate",
        "units",
        "activation",
        "dropout",
        "val_loss (min)",
    ] {
        assert!(texts(&svg).iter().any(|t| t == name), "axis {name}");
    }

    // Slices: a dot per completed trial in each of the four panels.
    let svg = plot::svg(PlotKind::Slice, &study).unwrap();
    keep("slice.svg", &svg);
    assert_eq!(elements(&svg, "circle").len(), 4 * completed);

    // Importance: a bar per parameter, labelled with its share.
    let svg = plot::svg(PlotKind::Importance, &study).unwrap();
    keep("importance.svg", &svg);
    let importances = tuner.param_importances().unwrap();
    assert_eq!(importances.len(), 4);
    let total: f64 = importances.iter().map(|(_, v)| v).sum();
    assert!((total - 1.0).abs() < 1e-9, "{importances:?}");
    let labels = texts(&svg);
    for (name, value) in &importances {
        assert!(labels.iter().any(|t| t == name), "bar label {name}");
        assert!(
            labels.iter().any(|t| *t == format!("{value:.3}")),
            "value of {name}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn png_files_are_written_and_unknown_extensions_refused() {
    let dir = scratch("png");
    let tuner = searched_study(&dir);
    let path = dir.join("history.png");
    tuner.plot(PlotKind::History, &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    if let Some(keep) = std::env::var_os("TUNER_PLOT_DIR") {
        std::fs::copy(&path, std::path::Path::new(&keep).join("history.png")).unwrap();
    }
    let err = tuner
        .plot(PlotKind::History, dir.join("history.pdf"))
        .unwrap_err();
    assert!(err.to_string().contains(".svg or .png"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_study_without_scores_has_nothing_to_plot() {
    let dir = scratch("empty");
    let space = tuner::space::SearchSpace::builder()
        .param(tuner::space::Param::float("x", 0.0, 1.0))
        .build()
        .unwrap();
    let tuner = tuner::Tuner::for_space(space, tuner::oracle::RandomSearch::new())
        .objective("loss")
        .storage(std::sync::Arc::new(tuner::storage::MemoryStorage::new()))
        .directory(&dir)
        .build()
        .unwrap();
    for kind in PlotKind::ALL {
        let err = tuner.plot(kind, dir.join("x.svg")).unwrap_err();
        assert!(
            err.to_string().contains("untitled_project"),
            "{kind}: {err}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

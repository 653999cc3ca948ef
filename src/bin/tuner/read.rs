//! The commands that read stored studies: list, summarise, show, export, plot, report (all opening
//! their databases read-only, so they never change what they look at), and delete.

use crate::error::CliError;
use std::path::Path;
use tuner::report::{self, plot::PlotKind, text};
use tuner::study::{Catalog, StudyError};

/// `tuner studies`: one row per study that loads; then every database or study that does not,
/// with why (an error, so the exit status says something is wrong).
pub fn studies(catalog: &Catalog) -> Result<(), CliError> {
    let survey = catalog.survey()?;
    let problems: Vec<String> = survey
        .problems
        .iter()
        .map(|(place, e)| format!("  {place}: {e}"))
        .collect();
    let studies = survey.studies;
    if studies.is_empty() && problems.is_empty() {
        println!("no studies");
        return Ok(());
    }
    if !studies.is_empty() {
        print_studies(&studies)?;
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(StudyError::Unreadable { problems }.into())
    }
}

fn print_studies(studies: &[tuner::study::Study]) -> Result<(), CliError> {
    let mut trials = Vec::with_capacity(studies.len());
    for study in studies {
        trials.push(study.trials()?);
    }
    let views: Vec<_> = studies
        .iter()
        .zip(&trials)
        .map(|(study, trials)| (study.view(trials), study.storage().location()))
        .collect();
    print!("{}", text::studies_table(&views));
    Ok(())
}

/// `tuner summary`: KerasTuner's results summary.
pub fn summary(catalog: &Catalog, name: &str, n: usize) -> Result<(), CliError> {
    let study = catalog.read(name)?;
    let trials = study.trials()?;
    let location = study.storage().location();
    print!(
        "{}",
        report::results_summary(&study.view(&trials), &location, n)
    );
    Ok(())
}

/// `tuner best`: the best trials, as text or JSON.
pub fn best(catalog: &Catalog, name: &str, n: usize, json: bool) -> Result<(), CliError> {
    let study = catalog.read(name)?;
    let best = study.best_completed(n)?;
    if json {
        let list: Vec<serde_json::Value> = best
            .iter()
            .map(
                |t| serde_json::json!({"number": t.number, "score": t.score, "params": t.values()}),
            )
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
    } else {
        print!("{}", text::best_text(study.objectives(), &best));
    }
    Ok(())
}

/// `tuner trials`: every trial as a table, CSV or JSON.
pub fn trials(
    catalog: &Catalog,
    name: &str,
    csv: bool,
    json: bool,
    out: Option<&Path>,
) -> Result<(), CliError> {
    let study = catalog.read(name)?;
    let trials = study.trials()?;
    let view = study.view(&trials);
    let text = if csv {
        report::export::trials_csv(&view)
    } else if json {
        report::export::trials_json(&view)
    } else {
        text::trials_table(&view)
    };
    match out {
        Some(path) => {
            report::export::write_file(path, &text)?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}

/// `tuner plot`: one plot into an .svg or .png file.
pub fn plot(catalog: &Catalog, name: &str, kind: PlotKind, out: &Path) -> Result<(), CliError> {
    let study = catalog.read(name)?;
    let trials = study.trials()?;
    report::plot::write(kind, &study.view(&trials), out)?;
    println!("wrote the {kind} plot of `{name}` to {}", out.display());
    Ok(())
}

/// `tuner report`: the study as one self-contained HTML page.
pub fn report(catalog: &Catalog, name: &str, out: &Path) -> Result<(), CliError> {
    let study = catalog.read(name)?;
    let trials = study.trials()?;
    let location = study.storage().location();
    report::html::write_html_report(&study.view(&trials), &location, out)?;
    println!("wrote the report of `{name}` to {}", out.display());
    Ok(())
}

/// `tuner space`: the search space, as a summary or the JSON `ask --space` reads.
pub fn space(catalog: &Catalog, name: &str, json: bool) -> Result<(), CliError> {
    let study = catalog.read(name)?;
    if json {
        println!("{}", serde_json::to_string_pretty(study.space())?);
    } else {
        print!("{}", study.space().summary());
    }
    Ok(())
}

/// `tuner delete`: the study, its trials and (in a folder of studies) its folder.
pub fn delete(catalog: &Catalog, name: &str) -> Result<(), CliError> {
    let deleted = catalog.delete(name)?;
    println!("deleted study `{name}` from {}", deleted.location);
    if let Some(folder) = deleted.folder {
        println!("removed its folder {}", folder.display());
    }
    Ok(())
}

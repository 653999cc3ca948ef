//! What a search shows while it runs. On a terminal (stdout a TTY, `CI` unset, `TERM` not
//! `dumb`, feature `progress`): a live display of trials done out of the total, the current
//! trial's epochs with its latest metrics (one line per running trial when trials run in
//! parallel), the best score so far, elapsed time and ETA, with
//! each finished trial's line printed above it. Anywhere else: the finished trials' lines
//! alone, one per trial, as a log. Nothing with `quiet`.

use crate::trial::{Metrics, Trial};
use std::io::IsTerminal;

/// The search display, created by the search loop.
pub(crate) struct Progress {
    kind: Kind,
}

enum Kind {
    Quiet,
    Plain,
    #[cfg(feature = "progress")]
    Live(live::Live),
}

/// Whether a live display can be drawn: stdout is a terminal that is not `dumb`, outside CI.
pub(crate) fn live_possible() -> bool {
    cfg!(feature = "progress")
        && std::io::stdout().is_terminal()
        && std::env::var_os("CI").is_none_or(|v| v.is_empty() || v == "false")
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

impl Progress {
    /// A display for a search of `total` trials (if known) of which `done` already exist.
    pub(crate) fn start(quiet: bool, total: Option<u64>, done: u64) -> Self {
        let kind = if quiet {
            Kind::Quiet
        } else if live_possible() {
            Self::live(total, done)
        } else {
            Kind::Plain
        };
        Self { kind }
    }

    #[cfg(feature = "progress")]
    fn live(total: Option<u64>, done: u64) -> Kind {
        Kind::Live(live::Live::new(total, done))
    }

    #[cfg(not(feature = "progress"))]
    fn live(_total: Option<u64>, _done: u64) -> Kind {
        Kind::Plain
    }

    /// How wide the finished-trials' lines should be: `COLUMNS` when the shell exports it,
    /// else 80 (the bars themselves fit any width: indicatif cuts their message).
    pub(crate) fn width(&self) -> usize {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|&c| c >= 40)
            .unwrap_or(super::console::DEFAULT_WIDTH)
    }

    /// Whether the caller should build the finished-trial lines at all.
    pub(crate) fn shows_lines(&self) -> bool {
        !matches!(self.kind, Kind::Quiet)
    }

    /// A trial starts; it will train up to epoch `epochs` (exclusive) when that is known.
    pub(crate) fn trial_begin(&self, trial: &Trial, epochs: Option<u32>) {
        #[cfg(feature = "progress")]
        if let Kind::Live(live) = &self.kind {
            live.trial_begin(trial, epochs);
        }
        let _ = (trial, epochs);
    }

    /// Running trial `trial` reported an epoch (`execution` counts from 0).
    pub(crate) fn epoch_end(
        &self,
        trial: u64,
        execution: u32,
        epoch: u32,
        metrics: &Metrics,
        objective: &str,
    ) {
        #[cfg(feature = "progress")]
        if let Kind::Live(live) = &self.kind {
            live.epoch_end(trial, execution, epoch, metrics, objective);
        }
        let _ = (trial, execution, epoch, metrics, objective);
    }

    /// Trial `trial` ended: its line, and the best score so far with its trial id.
    pub(crate) fn trial_end(&self, trial: u64, line: &str, best: Option<(f64, String)>) {
        match &self.kind {
            Kind::Quiet => {}
            Kind::Plain => println!("{line}"),
            #[cfg(feature = "progress")]
            Kind::Live(live) => live.trial_end(trial, line, best),
        }
        let _ = trial;
        let _ = best;
    }

    /// Trial `trial` left this search without a result of its own (taken over elsewhere).
    pub(crate) fn trial_gone(&self, trial: u64) {
        #[cfg(feature = "progress")]
        if let Kind::Live(live) = &self.kind {
            live.remove(trial);
        }
        let _ = trial;
    }

    /// A line that is not a trial's result (e.g. a trial taken over by another worker).
    pub(crate) fn note(&self, line: &str) {
        match &self.kind {
            Kind::Quiet => {}
            Kind::Plain => println!("{line}"),
            #[cfg(feature = "progress")]
            Kind::Live(live) => live.note(line),
        }
    }
}

#[cfg(feature = "progress")]
mod live {
    use crate::trial::{Metrics, Trial};
    use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
    use std::cell::RefCell;
    use std::time::Duration;

    /// Bars on stdout: trials, and each running trial's epochs (a new bar per trial, by
    /// trial number: several when trials run in parallel).
    pub(super) struct Live {
        multi: MultiProgress,
        trials: ProgressBar,
        epochs: RefCell<Vec<(u64, ProgressBar)>>,
    }

    pub(super) use crate::report::console::short_float;

    /// The metrics shown next to the epoch bar: the objective first, then the others by name,
    /// at most four.
    pub(super) fn metrics_text(metrics: &Metrics, objective: &str) -> String {
        let mut names: Vec<&String> = metrics.keys().collect();
        names.sort_by_key(|n| (n.as_str() != objective, n.as_str()));
        names
            .into_iter()
            .take(4)
            .map(|n| format!("{n} {}", short_float(metrics[n])))
            .collect::<Vec<_>>()
            .join("  ")
    }

    /// The trials line when the total is known (`max_trials`, or Hyperband's brackets), and
    /// when it is not. Bars of 20 and a `wide_msg`, which indicatif cuts at the terminal's
    /// width, so a line never wraps (a wrapped bar is redrawn as two).
    pub(super) const TRIALS_BAR: &str = "{spinner:.cyan} trials {bar:20.cyan/blue} {pos}/{len} \
                                         {elapsed} ETA {eta} {wide_msg}";
    pub(super) const TRIALS_COUNT: &str = "{spinner:.cyan} trials {pos} {elapsed} {wide_msg}";
    /// The current trial's line when its epoch budget is known, and when it is not.
    pub(super) const EPOCHS_BAR: &str =
        "  trial {prefix} {bar:20.green/white} epoch {pos}/{len} {wide_msg}";
    pub(super) const EPOCHS_COUNT: &str =
        "  trial {prefix} {spinner:.green} epoch {pos} {wide_msg}";

    fn style(template: &str) -> ProgressStyle {
        // The templates are constants: a typo is a bug caught by the tests, not a user error.
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ")
    }

    impl Live {
        pub(super) fn new(total: Option<u64>, done: u64) -> Self {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stdout_with_hz(10));
            let trials = match total {
                Some(total) => ProgressBar::new(total).with_style(style(TRIALS_BAR)),
                None => ProgressBar::no_length().with_style(style(TRIALS_COUNT)),
            };
            let trials = multi.add(trials.with_position(done));
            // Trials found in a resumed study took no time in this run: the ETA starts now.
            trials.reset_eta();
            trials.set_message("best -");
            trials.enable_steady_tick(Duration::from_millis(200));
            Self {
                multi,
                trials,
                epochs: RefCell::new(Vec::new()),
            }
        }

        pub(super) fn trial_begin(&self, trial: &Trial, epochs: Option<u32>) {
            let from = u64::from(trial.plan.initial_epoch);
            // Configured through the builder and added before anything else: a bar not yet
            // in the display would draw on its own (on stderr) and leave a stray line.
            let bar = match epochs {
                Some(end) => ProgressBar::new(u64::from(end)).with_style(style(EPOCHS_BAR)),
                None => ProgressBar::no_length().with_style(style(EPOCHS_COUNT)),
            }
            .with_prefix(trial.id())
            .with_position(from);
            let bar = self.multi.add(bar);
            bar.reset_eta();
            bar.enable_steady_tick(Duration::from_millis(200));
            self.remove(trial.number);
            self.epochs.borrow_mut().push((trial.number, bar));
        }

        /// Takes trial `number`'s bar off the display.
        pub(super) fn remove(&self, number: u64) {
            let mut bars = self.epochs.borrow_mut();
            if let Some(at) = bars.iter().position(|(n, _)| *n == number) {
                let (_, old) = bars.remove(at);
                old.finish_and_clear();
                self.multi.remove(&old);
            }
        }

        pub(super) fn epoch_end(
            &self,
            trial: u64,
            execution: u32,
            epoch: u32,
            metrics: &Metrics,
            objective: &str,
        ) {
            let bars = self.epochs.borrow();
            let Some((_, epochs)) = bars.iter().find(|(n, _)| *n == trial) else {
                return;
            };
            epochs.set_position(u64::from(epoch) + 1);
            let text = metrics_text(metrics, objective);
            epochs.set_message(if execution > 0 {
                format!("(execution {})  {text}", execution + 1)
            } else {
                text
            });
        }

        pub(super) fn trial_end(&self, trial: u64, line: &str, best: Option<(f64, String)>) {
            self.remove(trial);
            self.print(line);
            self.trials.inc(1);
            if let Some((score, id)) = best {
                self.trials
                    .set_message(format!("best {} (trial {id})", short_float(score)));
            }
        }

        pub(super) fn note(&self, line: &str) {
            self.print(line);
        }

        /// Prints a line above the bars. Through `suspend`, not `println`: the terminal wraps
        /// a line wider than itself, and the bars are redrawn below whatever it took.
        fn print(&self, line: &str) {
            self.multi.suspend(|| println!("{line}"));
        }
    }

    impl Drop for Live {
        fn drop(&mut self) {
            for (_, bar) in self.epochs.borrow().iter() {
                bar.finish_and_clear();
            }
            self.trials.abandon();
        }
    }
}

#[cfg(all(test, feature = "progress"))]
mod tests {
    use super::live::{
        metrics_text, short_float, EPOCHS_BAR, EPOCHS_COUNT, TRIALS_BAR, TRIALS_COUNT,
    };
    use crate::trial::Metrics;

    #[test]
    fn templates_parse() {
        for t in [TRIALS_BAR, TRIALS_COUNT, EPOCHS_BAR, EPOCHS_COUNT] {
            assert!(indicatif::ProgressStyle::with_template(t).is_ok(), "{t}");
        }
    }

    #[test]
    fn the_objective_comes_first_and_numbers_stay_short() {
        let m = Metrics::from([
            ("loss".to_owned(), 0.123456),
            ("val_accuracy".to_owned(), 0.87),
            ("lr".to_owned(), 0.00001),
        ]);
        assert_eq!(
            metrics_text(&m, "val_accuracy"),
            "val_accuracy 0.8700  loss 0.1235  lr 1.000e-5"
        );
        assert_eq!(short_float(123456.0), "1.235e5");
    }
}

//! Reports: summaries, exports, plots and the `tuner` command.
//!
//! One test binary: each module was a test file of its own.

mod cli_ask_tell;
mod cli_commands;
#[path = "../common/mod.rs"]
mod common;
mod dashboard;
mod golden;
mod kinds;
mod plots;
#[path = "../report_fixture/mod.rs"]
mod report_fixture;
mod timeline;

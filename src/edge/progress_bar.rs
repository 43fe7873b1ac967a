//! The progress bar on stderr, drawn from the pipeline's events.
//!
//! The pipeline only emits [`Event`]s; this is the one observer that shows
//! them. Whether it draws at all was decided from terminal facts before the run
//! (see [`crate::cli::show_progress`]).

use std::sync::Mutex;

use indicatif::{ProgressBar as Bar, ProgressStyle};

use crate::progress::{Event, Purpose};

/// Draws one bar per cargo build; a new build replaces the bar of the last.
#[derive(Debug)]
pub struct ProgressBar {
    enabled: bool,
    bar: Mutex<Option<Bar>>,
}

impl ProgressBar {
    /// A bar that draws when `enabled`, and otherwise ignores every event.
    pub fn new(enabled: bool) -> ProgressBar {
        ProgressBar {
            enabled,
            bar: Mutex::new(None),
        }
    }

    /// Shows one event of the run.
    pub fn show(&self, event: Event) {
        if let Event::WaitingForSandbox { sandbox } = &event {
            // Said whether or not a bar is drawn: the run seems stuck otherwise.
            eprintln!(
                "note: waiting for another snipcheck run to finish with the sandbox `{}`",
                sandbox.display()
            );
            return;
        }
        if !self.enabled {
            return;
        }
        let Ok(mut bar) = self.bar.lock() else {
            return;
        };
        match event {
            Event::BuildStarted {
                toolchain,
                purpose,
                units,
            } => {
                if let Some(old) = bar.replace(started(&toolchain, purpose, units)) {
                    old.finish_and_clear();
                }
            }
            Event::UnitBuilt { name } => {
                if let Some(bar) = bar.as_ref() {
                    bar.inc(1);
                    bar.set_message(name);
                }
            }
            Event::WaitingForSandbox { .. } => {}
            Event::BuildFinished => {
                if let Some(old) = bar.take() {
                    old.finish_and_clear();
                }
            }
        }
    }
}

/// A new bar for a build of about `units` crates.
fn started(toolchain: &str, purpose: Purpose, units: usize) -> Bar {
    let what = match purpose {
        Purpose::Checking => "checking",
        Purpose::Diagnosing => "diagnosing",
    };
    let bar = Bar::new(units as u64);
    let template =
        format!("{{spinner}} {what} on {toolchain} [{{bar:30}}] {{pos}}/{{len}} {{wide_msg}}");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

//! Progress display and Ctrl-C handling for long runs.
//!
//! The bar goes to stderr, only when stderr is a terminal and the user did
//! not ask for quiet. Ctrl-C sets a flag the engine polls; the run stops,
//! the partial report is written and marked partial.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::sim::engine::Progress;
use crate::sim::time::SimDuration;

static INTERRUPTED: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// The flag set by Ctrl-C (the handler is installed on first use).
pub fn interrupt_flag() -> Arc<AtomicBool> {
    INTERRUPTED
        .get_or_init(|| {
            let flag = Arc::new(AtomicBool::new(false));
            let f = flag.clone();
            // If a handler cannot be installed, Ctrl-C keeps its default
            // behaviour (terminate); the run is otherwise unaffected.
            let _ = ctrlc::set_handler(move || f.store(true, Ordering::SeqCst));
            flag
        })
        .clone()
}

/// Progress reporting for one run.
pub struct Reporter {
    bar: Option<ProgressBar>,
    duration: SimDuration,
    started: Instant,
    flag: Arc<AtomicBool>,
}

impl Reporter {
    /// A reporter for a run of `duration` virtual time.
    pub fn new(duration: SimDuration, quiet: bool) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let b = ProgressBar::with_draw_target(
                Some(duration.as_nanos() / 1_000_000),
                ProgressDrawTarget::stderr(),
            );
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} {percent:>3}% {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b
        });
        Reporter {
            bar,
            duration,
            started: Instant::now(),
            flag: interrupt_flag(),
        }
    }

    /// Engine callback: update the bar; false when interrupted.
    pub fn tick(&mut self, p: &Progress) -> bool {
        if let Some(b) = &self.bar {
            let ms = p.now.as_nanos() / 1_000_000;
            b.set_position(ms.min(self.duration.as_nanos() / 1_000_000));
            let rate = p.events as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
            let phase = if p.now.as_nanos() >= self.duration.as_nanos() {
                "draining · "
            } else {
                ""
            };
            b.set_message(format!(
                "{phase}t={:.0}s · {:.1}M events/s · {} sessions in flight",
                p.now.as_secs_f64(),
                rate / 1e6,
                p.active
            ));
        }
        !self.flag.load(Ordering::Relaxed)
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }

    /// Wall-clock seconds since the reporter was created.
    pub fn elapsed_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}

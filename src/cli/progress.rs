//! Progress display and Ctrl-C handling for long runs.
//!
//! The bar goes to stderr, only when stderr is a terminal and the user did
//! not ask for quiet. Every tick also answers whether to go on: not once
//! a signal asked the run to stop (see `signals`).

use std::io::IsTerminal;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::kernel::time::SimDuration;
use crate::model::Progress;
use crate::scenario::Scenario;
use crate::scenario::capacity::CapacityPlan;

/// Progress reporting for one run of one or more worlds (replications or
/// sweep points), callable from several threads.
pub struct Reporter {
    bar: Option<ProgressBar>,
    duration: SimDuration,
    started: Instant,
    /// Per world: virtual time reached (ns) and events processed.
    worlds: Mutex<Vec<(u64, u64)>>,
    /// The capacity plan the overload warning quotes, once known.
    plan: OnceLock<CapacityPlan>,
    /// The scenario whose plan is computed if a warning needs it.
    scenario: Option<Box<Scenario>>,
}

impl Reporter {
    /// A reporter for `worlds` runs of `duration` virtual time each.
    pub fn new(duration: SimDuration, worlds: u32, quiet: bool) -> Self {
        let total_ms = duration.as_nanos() / 1_000_000 * worlds as u64;
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let b =
                ProgressBar::with_draw_target(Some(total_ms.max(1)), ProgressDrawTarget::stderr());
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
            worlds: Mutex::new(vec![(0, 0); worlds.max(1) as usize]),
            plan: OnceLock::new(),
            scenario: None,
        }
    }

    /// The reporter, quoting `plan` in its overload warnings.
    pub fn with_plan(self, plan: CapacityPlan) -> Self {
        let _ = self.plan.set(plan);
        self
    }

    /// The reporter, quoting the capacity plan of `sc` in its overload
    /// warnings: computed only when one is shown (Che's approximation over
    /// a large catalog takes a tenth of a second).
    pub fn with_plan_of(mut self, sc: &Scenario) -> Self {
        self.scenario = Some(Box::new(sc.clone()));
        self
    }

    fn plan(&self) -> Option<&CapacityPlan> {
        match (self.plan.get(), &self.scenario) {
            (Some(p), _) => Some(p),
            (None, Some(sc)) => Some(self.plan.get_or_init(|| CapacityPlan::new(sc))),
            (None, None) => None,
        }
    }

    /// Engine callback from world `i`: update the bar; false when
    /// interrupted.
    pub fn tick(&self, i: u32, p: &Progress) -> bool {
        if let Some(u) = p.alert {
            // A warning, shown even with --quiet: it is a diagnostic.
            let line = crate::report::console::unstable_line(u, self.plan());
            match &self.bar {
                Some(b) => b.suspend(|| eprintln!("{line}")),
                None => eprintln!("{line}"),
            }
        }
        if let Some(b) = &self.bar
            && let Ok(mut w) = self.worlds.lock()
        {
            if let Some(slot) = w.get_mut(i as usize) {
                *slot = (p.now.as_nanos().min(self.duration.as_nanos()), p.events);
            }
            let done_ms: u64 = w.iter().map(|x| x.0 / 1_000_000).sum();
            let events: u64 = w.iter().map(|x| x.1).sum();
            b.set_position(done_ms);
            let rate = events as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
            let phase = if p.now.as_nanos() >= self.duration.as_nanos() {
                "draining · "
            } else {
                ""
            };
            let world = if w.len() > 1 {
                format!("{} worlds · ", w.len())
            } else {
                String::new()
            };
            b.set_message(format!(
                "{world}{phase}t={:.0}s · {:.1}M events/s · {} sessions in flight",
                p.now.as_secs_f64(),
                rate / 1e6,
                p.active
            ));
        }
        super::signals::running();
        !super::signals::stop_requested()
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

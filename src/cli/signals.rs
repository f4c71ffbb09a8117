//! Ctrl-C (SIGINT) and SIGTERM, the way CI systems cancel a job.
//!
//! A dedicated thread receives both. Before the run has measured anything
//! (loading, setting the shop up), a signal ends the process at once: there
//! is nothing to save and nothing was written. Once it runs, a signal sets
//! the process's stop flag ([`crate::kernel::stop`]): every clock and the
//! runner read it (the virtual clock after every event and before each
//! replication, the wall clock every 200 ms), stop within a second, write
//! the partial report marked partial, and exit 130 (SIGINT) or 143
//! (SIGTERM). A second signal ends the process at once.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering::SeqCst};

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// Nothing measured yet: a signal exits at once.
const SETUP: u8 = 0;
/// Measuring: a signal stops the run, which writes what it measured.
const RUNNING: u8 = 1;

struct Stop {
    terminated: AtomicBool,
    phase: AtomicU8,
}

static STOP: OnceLock<Stop> = OnceLock::new();

fn stop() -> &'static Stop {
    STOP.get_or_init(|| {
        let flags = Stop {
            terminated: AtomicBool::new(false),
            phase: AtomicU8::new(SETUP),
        };
        // Without a handler the signals keep their default (terminate).
        if let Ok(mut signals) = Signals::new([SIGINT, SIGTERM]) {
            std::thread::spawn(move || {
                for sig in signals.forever() {
                    let s = stop();
                    if sig == SIGTERM {
                        s.terminated.store(true, SeqCst);
                    }
                    let again = crate::kernel::stop::request();
                    if again || s.phase.load(SeqCst) == SETUP {
                        eprintln!(
                            "interrupted{}: nothing more is written",
                            if again { " again" } else { " during setup" }
                        );
                        std::process::exit(exit_code() as i32);
                    }
                }
            });
        }
        flags
    })
}

/// Starts listening for the signals (idempotent).
pub fn listen() {
    stop();
}

/// The run has begun measuring: from now on a signal stops it gracefully.
pub fn running() {
    stop().phase.store(RUNNING, SeqCst);
}

/// A signal asked the run to stop.
pub fn stop_requested() -> bool {
    crate::kernel::stop::requested()
}

/// 143 after SIGTERM, 130 after SIGINT.
pub fn exit_code() -> u8 {
    if stop().terminated.load(SeqCst) {
        143
    } else {
        130
    }
}

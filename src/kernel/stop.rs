//! The process's request to stop measuring: one flag, set once by the
//! command line when Ctrl-C or SIGTERM arrives, never cleared, and read by
//! every clock. The virtual clock reads it after every event, so the
//! longest a stop waits for is one event, however slow (a login that
//! hashes its password with millions of iterations takes a good part of a
//! second). A run that sees it ends early and is marked partial.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// The process's flag, for a clock to read as often as it likes.
pub fn flag() -> &'static AtomicBool {
    &REQUESTED
}

/// Asks every run of the process to stop; `true` if it had been asked
/// already.
pub fn request() -> bool {
    REQUESTED.swap(true, Ordering::SeqCst)
}

/// A stop has been asked for.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

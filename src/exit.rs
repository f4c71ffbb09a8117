//! Exit codes of the `ecsim` command (documented in README.md).

/// Success.
pub const OK: u8 = 0;
/// A threshold failed, or `compare` found a regression.
pub const THRESHOLD: u8 = 1;
/// Usage or scenario error; nothing was written.
pub const USAGE: u8 = 2;
/// An invariant was violated: a bug in ecsim; the report names the seed.
pub const INVARIANT: u8 = 3;
/// I/O error writing the report; the previous report is left intact.
pub const IO: u8 = 4;
/// Interrupted (Ctrl-C); the partial report was written and marked partial.
pub const INTERRUPTED: u8 = 130;

//! What a fault does, as the scenario's `[[faults]]` says and the model
//! applies on either clock. Station groups are named by index into the
//! scenario's groups.

/// What a fault does.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultKind {
    /// Service times at a station group are multiplied by `factor`.
    Slow {
        /// Station group index.
        group: u16,
        /// Multiplier, > 0.
        factor: f64,
    },
    /// A station group is out: requests fail at once, or (`hang`) wait in
    /// its queue until it returns or they time out.
    Outage {
        /// Station group index.
        group: u16,
        /// Queue instead of failing fast.
        hang: bool,
    },
    /// The cache loses every entry.
    CacheFlush,
    /// Every payment method declines with this probability.
    PaymentDeclines {
        /// Decline probability in [0, 1].
        rate: f64,
    },
}

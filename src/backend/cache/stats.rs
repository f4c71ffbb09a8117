//! The cache's counters.
//!
//! Owns [`CacheStats`]: what a cache did, the difference between two
//! snapshots and the sum over replications. Guarantees: the cache only ever
//! increments these counters, so `since` an earlier snapshot of the same
//! cache gives what happened in between.

/// Counters of everything the cache did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CacheStats {
    /// Lookups (`get` calls).
    pub lookups: u64,
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups not answered (absent or expired).
    pub misses: u64,
    /// Entries removed to make room.
    pub evictions: u64,
    /// Entries found past their TTL and dropped.
    pub expirations: u64,
    /// Entries removed by `invalidate` or `flush`.
    pub invalidations: u64,
    /// Hits served from an entry whose age had reached the TTL (a bug if
    /// ever non-zero; counted independently of the expiry logic).
    pub stale_hits: u64,
}

impl CacheStats {
    /// What happened after `earlier` (a snapshot of the same cache).
    pub fn since(&self, earlier: &CacheStats) -> CacheStats {
        CacheStats {
            lookups: self.lookups - earlier.lookups,
            hits: self.hits - earlier.hits,
            misses: self.misses - earlier.misses,
            evictions: self.evictions - earlier.evictions,
            expirations: self.expirations - earlier.expirations,
            invalidations: self.invalidations - earlier.invalidations,
            stale_hits: self.stale_hits - earlier.stale_hits,
        }
    }

    /// Adds another cache's counters (replications).
    pub fn add(&mut self, other: &CacheStats) {
        self.lookups += other.lookups;
        self.hits += other.hits;
        self.misses += other.misses;
        self.evictions += other.evictions;
        self.expirations += other.expirations;
        self.invalidations += other.invalidations;
        self.stale_hits += other.stale_hits;
    }

    /// Hits over lookups; zero when there were no lookups.
    pub fn hit_rate(&self) -> f64 {
        if self.lookups == 0 {
            0.0
        } else {
            self.hits as f64 / self.lookups as f64
        }
    }
}

//! The catalog cache of a run, and what it counted after the warmup.
//!
//! The model reaches the cache only through [`CatalogCache::at`], which
//! first takes the warmup baseline: the counters as they stood before the
//! first access at or after the end of the warmup. Counters change only on
//! access, so this is the state at the end of the warmup, whichever clock
//! drives the model and however its accesses interleave.

use crate::backend::cache::{Cache, CacheStats};
use crate::contract::business::key_space;
use crate::kernel::time::SimTime;
use crate::scenario::Scenario;

/// The cache in front of the catalog, with its warmup baseline.
pub struct CatalogCache {
    cache: Cache,
    warmup: SimTime,
    baseline: Option<CacheStats>,
}

impl CatalogCache {
    /// The cache `sc` configures, `None` when it is disabled.
    pub fn new(sc: &Scenario) -> Option<CatalogCache> {
        sc.cache.enabled.then(|| CatalogCache {
            cache: Cache::new(
                sc.cache.policy,
                sc.cache.capacity,
                sc.cache.ttl.map(|t| t.as_nanos()),
                key_space(sc.catalog.products, sc.catalog.categories),
            ),
            warmup: SimTime::ZERO + sc.warmup,
            baseline: None,
        })
    }

    /// The cache, for an access at `now`.
    #[inline]
    pub fn at(&mut self, now: SimTime) -> &mut Cache {
        if self.baseline.is_none() && now >= self.warmup {
            self.baseline = Some(self.cache.stats());
        }
        &mut self.cache
    }

    /// What the cache counted after the warmup, for a run that ended at
    /// `end` (everything, if it ended before the warmup did).
    pub fn measured(&self, end: SimTime) -> CacheStats {
        let now = self.cache.stats();
        let base = match self.baseline {
            Some(b) => b,
            None if end >= self.warmup => now,
            None => CacheStats::default(),
        };
        now.since(&base)
    }

    /// Cache-bound problems (invariant I13).
    pub fn check(&self) -> Vec<String> {
        self.cache.check()
    }
}

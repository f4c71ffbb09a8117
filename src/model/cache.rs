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

    /// What the cache counted after the warmup (nothing, for a run stopped
    /// before the warmup was over).
    pub fn measured(&self) -> CacheStats {
        let now = self.cache.stats();
        now.since(&self.baseline.unwrap_or(now))
    }

    /// Cache-bound problems (invariant I13).
    pub fn check(&self) -> Vec<String> {
        self.cache.check()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load_str;

    #[test]
    fn a_run_stopped_during_the_warmup_measured_no_cache_lookups() {
        let text = "[scenario]\nduration = \"10s\"\nwarmup = \"5s\"\n[load]\ntype = \"open\"\nrate = 1.0\n\
                    [behavior]\nstart = \"home\"\n[behavior.transitions]\nhome = { leave = 1.0 }\n";
        let sc = match load_str("t.toml", "t", text, &[], None) {
            Ok(l) => l.scenario,
            Err(e) => panic!("{e}"),
        };
        let mut c = CatalogCache::new(&sc).expect("the cache is on by default");
        let t = SimTime::ZERO + crate::kernel::time::SimDuration::from_secs_f64(1.0);
        c.at(t).get(1, t.as_nanos());
        assert_eq!(c.measured().lookups, 0, "the lookup was in the warmup");
        let later = SimTime::ZERO + crate::kernel::time::SimDuration::from_secs_f64(6.0);
        c.at(later).get(1, later.as_nanos());
        assert_eq!(c.measured().lookups, 1);
    }
}

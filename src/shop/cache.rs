//! A Redis-style cache in front of the catalog.
//!
//! Keys are dense integers (`0..key_space`: products, then pages), so the
//! index is a plain vector and no hashing happens on the hot path. The cache
//! holds at most `capacity` entries and evicts by its [`Policy`]; an entry
//! older than the TTL is never served: a lookup that finds one counts an
//! expiration and a miss. Time is passed in by the caller (virtual or wall
//! nanoseconds); the cache never reads a clock.
//!
//! Guarantees (checked by [`Cache::check`], invariant I13): the size never
//! exceeds the capacity, `hits + misses = lookups`, and no hit is served from
//! an entry whose age reached the TTL.

use std::fmt;

/// How the cache picks the entry to evict when full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Least recently used.
    Lru,
    /// Least frequently used. Frequencies are counted per key for the whole
    /// run, also while the key is not cached ("perfect LFU"), with ties going
    /// to the least recently used entry.
    Lfu,
    /// First in, first out: hits do not refresh an entry's position.
    Fifo,
}

impl Policy {
    /// Every policy's scenario name, for error messages.
    pub const NAMES: [&'static str; 3] = ["lru", "lfu", "fifo"];

    /// The policy called `name` in a scenario.
    pub fn from_name(name: &str) -> Option<Policy> {
        match name {
            "lru" => Some(Policy::Lru),
            "lfu" => Some(Policy::Lfu),
            "fifo" => Some(Policy::Fifo),
            _ => None,
        }
    }

    /// The scenario name.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Lru => "lru",
            Policy::Lfu => "lfu",
            Policy::Fifo => "fifo",
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Counters of everything the cache did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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

const NONE: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct Slot {
    key: u32,
    /// Recency list links (LRU/FIFO), or heap position (LFU) in `prev`.
    prev: u32,
    next: u32,
    inserted: u64,
    expires: u64,
    /// LFU tie-break: the tick of the last use.
    last_use: u64,
}

/// The cache.
#[derive(Clone, Debug)]
pub struct Cache {
    policy: Policy,
    capacity: u32,
    ttl: Option<u64>,
    slot_of: Vec<u32>,
    slots: Vec<Slot>,
    free: Vec<u32>,
    len: u32,
    /// Most recently used / inserted end of the list.
    head: u32,
    /// Eviction end of the list.
    tail: u32,
    /// LFU: slots ordered as a binary min-heap by (frequency, last use).
    heap: Vec<u32>,
    /// LFU: per-key use counts for the whole run.
    freq: Vec<u32>,
    tick: u64,
    stats: CacheStats,
}

impl Cache {
    /// A cache for keys `0..key_space`, holding at most `capacity` entries
    /// (at least one), each valid for `ttl_nanos` if given.
    pub fn new(policy: Policy, capacity: u32, ttl_nanos: Option<u64>, key_space: u32) -> Self {
        let capacity = capacity.max(1);
        let reserve = capacity.min(key_space.max(1)) as usize;
        Cache {
            policy,
            capacity,
            ttl: ttl_nanos,
            slot_of: vec![NONE; key_space as usize],
            slots: Vec::with_capacity(reserve),
            free: Vec::new(),
            len: 0,
            head: NONE,
            tail: NONE,
            heap: Vec::new(),
            freq: if policy == Policy::Lfu {
                vec![0; key_space as usize]
            } else {
                Vec::new()
            },
            tick: 0,
            stats: CacheStats::default(),
        }
    }

    /// The eviction policy.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// Maximum number of entries.
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// Entries currently held.
    pub fn len(&self) -> u32 {
        self.len
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Counters so far.
    pub fn stats(&self) -> CacheStats {
        self.stats
    }

    /// Looks `key` up at time `now`: true on a hit. A key outside the key
    /// space is a miss.
    #[inline]
    pub fn get(&mut self, key: u32, now: u64) -> bool {
        self.stats.lookups += 1;
        self.tick += 1;
        if self.policy == Policy::Lfu
            && let Some(f) = self.freq.get_mut(key as usize)
        {
            *f = f.saturating_add(1);
        }
        let slot = self.slot_of.get(key as usize).copied().unwrap_or(NONE);
        if slot == NONE {
            self.stats.misses += 1;
            return false;
        }
        let s = self.slots[slot as usize];
        if now >= s.expires {
            self.remove_slot(slot);
            self.stats.expirations += 1;
            self.stats.misses += 1;
            return false;
        }
        if let Some(ttl) = self.ttl
            && now.saturating_sub(s.inserted) >= ttl
        {
            self.stats.stale_hits += 1;
        }
        self.stats.hits += 1;
        match self.policy {
            Policy::Lru => {
                self.unlink(slot);
                self.push_front(slot);
            }
            Policy::Lfu => {
                self.slots[slot as usize].last_use = self.tick;
                let pos = self.slots[slot as usize].prev as usize;
                self.sift_down(pos);
            }
            Policy::Fifo => {}
        }
        true
    }

    /// Stores `key` at time `now` (a fill after a miss). Storing a cached key
    /// refreshes its TTL. When full, the policy's victim is evicted first.
    pub fn put(&mut self, key: u32, now: u64) {
        if key as usize >= self.slot_of.len() {
            return;
        }
        let expires = self.ttl.map_or(u64::MAX, |t| now.saturating_add(t));
        let existing = self.slot_of[key as usize];
        if existing != NONE {
            let s = &mut self.slots[existing as usize];
            s.inserted = now;
            s.expires = expires;
            return;
        }
        if self.len >= self.capacity {
            self.evict();
        }
        let slot = Slot {
            key,
            prev: NONE,
            next: NONE,
            inserted: now,
            expires,
            last_use: self.tick,
        };
        let idx = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = slot;
                i
            }
            None => {
                self.slots.push(slot);
                (self.slots.len() - 1) as u32
            }
        };
        self.slot_of[key as usize] = idx;
        self.len += 1;
        match self.policy {
            Policy::Lru | Policy::Fifo => self.push_front(idx),
            Policy::Lfu => {
                self.heap.push(idx);
                let pos = self.heap.len() - 1;
                self.slots[idx as usize].prev = pos as u32;
                self.sift_up(pos);
            }
        }
    }

    /// Drops `key` if cached (a price change or restock made it stale).
    /// Returns true if an entry was removed.
    pub fn invalidate(&mut self, key: u32) -> bool {
        match self.slot_of.get(key as usize).copied() {
            Some(slot) if slot != NONE => {
                self.remove_slot(slot);
                self.stats.invalidations += 1;
                true
            }
            _ => false,
        }
    }

    /// Drops every entry (a cache flush fault).
    pub fn flush(&mut self) {
        let keys: Vec<u32> = self
            .slot_of
            .iter()
            .enumerate()
            .filter(|(_, s)| **s != NONE)
            .map(|(k, _)| k as u32)
            .collect();
        for k in keys {
            self.invalidate(k);
        }
    }

    /// Invariant I13: every problem found, empty when sound.
    pub fn check(&self) -> Vec<String> {
        let mut v = Vec::new();
        let s = &self.stats;
        if self.len > self.capacity {
            v.push(format!(
                "cache holds {} entries, capacity {}",
                self.len, self.capacity
            ));
        }
        if s.hits + s.misses != s.lookups {
            v.push(format!(
                "hits {} + misses {} != lookups {}",
                s.hits, s.misses, s.lookups
            ));
        }
        if s.stale_hits > 0 {
            v.push(format!(
                "{} hits served entries past their TTL",
                s.stale_hits
            ));
        }
        v
    }

    fn evict(&mut self) {
        let victim = match self.policy {
            Policy::Lru | Policy::Fifo => self.tail,
            Policy::Lfu => self.heap.first().copied().unwrap_or(NONE),
        };
        if victim != NONE {
            self.remove_slot(victim);
            self.stats.evictions += 1;
        }
    }

    fn remove_slot(&mut self, slot: u32) {
        match self.policy {
            Policy::Lru | Policy::Fifo => self.unlink(slot),
            Policy::Lfu => self.heap_remove(slot),
        }
        let key = self.slots[slot as usize].key;
        self.slot_of[key as usize] = NONE;
        self.free.push(slot);
        self.len -= 1;
    }

    fn push_front(&mut self, slot: u32) {
        let old = self.head;
        {
            let s = &mut self.slots[slot as usize];
            s.prev = NONE;
            s.next = old;
        }
        if old != NONE {
            self.slots[old as usize].prev = slot;
        } else {
            self.tail = slot;
        }
        self.head = slot;
    }

    fn unlink(&mut self, slot: u32) {
        let Slot { prev, next, .. } = self.slots[slot as usize];
        if prev != NONE {
            self.slots[prev as usize].next = next;
        } else {
            self.head = next;
        }
        if next != NONE {
            self.slots[next as usize].prev = prev;
        } else {
            self.tail = prev;
        }
    }

    fn lfu_key(&self, slot: u32) -> (u32, u64) {
        let s = &self.slots[slot as usize];
        (self.freq[s.key as usize], s.last_use)
    }

    fn heap_swap(&mut self, a: usize, b: usize) {
        self.heap.swap(a, b);
        let (sa, sb) = (self.heap[a], self.heap[b]);
        self.slots[sa as usize].prev = a as u32;
        self.slots[sb as usize].prev = b as u32;
    }

    fn sift_up(&mut self, mut pos: usize) {
        while pos > 0 {
            let parent = (pos - 1) / 2;
            if self.lfu_key(self.heap[pos]) < self.lfu_key(self.heap[parent]) {
                self.heap_swap(pos, parent);
                pos = parent;
            } else {
                break;
            }
        }
    }

    fn sift_down(&mut self, mut pos: usize) {
        let n = self.heap.len();
        loop {
            let (l, r) = (2 * pos + 1, 2 * pos + 2);
            let mut min = pos;
            if l < n && self.lfu_key(self.heap[l]) < self.lfu_key(self.heap[min]) {
                min = l;
            }
            if r < n && self.lfu_key(self.heap[r]) < self.lfu_key(self.heap[min]) {
                min = r;
            }
            if min == pos {
                break;
            }
            self.heap_swap(pos, min);
            pos = min;
        }
    }

    fn heap_remove(&mut self, slot: u32) {
        let pos = self.slots[slot as usize].prev as usize;
        let last = self.heap.len() - 1;
        if pos != last {
            self.heap_swap(pos, last);
        }
        self.heap.pop();
        if pos < self.heap.len() {
            self.sift_down(pos);
            self.sift_up(pos);
        }
    }

    /// Test hook: makes every cached entry claim to expire never, so a
    /// lookup past the TTL is served (and must be caught by [`Cache::check`]).
    #[doc(hidden)]
    pub fn corrupt_disable_expiry(&mut self) {
        for s in &mut self.slots {
            s.expires = u64::MAX;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::rng::from_u64;
    use rand_distr::{Distribution, Zipf};

    #[test]
    fn lru_evicts_the_least_recently_used() {
        let mut c = Cache::new(Policy::Lru, 2, None, 10);
        c.put(1, 0);
        c.put(2, 0);
        assert!(c.get(1, 0)); // 2 is now least recent
        c.put(3, 0);
        assert!(c.get(1, 0));
        assert!(!c.get(2, 0));
        assert!(c.get(3, 0));
        assert_eq!(c.stats().evictions, 1);
    }

    #[test]
    fn fifo_ignores_hits() {
        let mut c = Cache::new(Policy::Fifo, 2, None, 10);
        c.put(1, 0);
        c.put(2, 0);
        assert!(c.get(1, 0));
        c.put(3, 0); // 1 was first in
        assert!(!c.get(1, 0));
        assert!(c.get(2, 0));
    }

    #[test]
    fn lfu_keeps_the_most_used() {
        let mut c = Cache::new(Policy::Lfu, 2, None, 10);
        for _ in 0..3 {
            c.get(1, 0);
        }
        c.put(1, 0);
        c.get(2, 0);
        c.put(2, 0);
        c.get(3, 0);
        c.put(3, 0); // 2 and 3 both used once; 2 is older
        assert!(c.get(1, 0));
        assert!(!c.get(2, 0));
        assert!(c.get(3, 0));
    }

    #[test]
    fn ttl_expires_entries() {
        let mut c = Cache::new(Policy::Lru, 4, Some(100), 10);
        c.put(5, 1_000);
        assert!(c.get(5, 1_099));
        assert!(!c.get(5, 1_100));
        let s = c.stats();
        assert_eq!((s.hits, s.misses, s.expirations), (1, 1, 1));
        assert!(c.is_empty());
    }

    #[test]
    fn invalidate_and_flush_remove_entries() {
        let mut c = Cache::new(Policy::Lfu, 8, None, 10);
        for k in 0..5 {
            c.put(k, 0);
        }
        assert!(c.invalidate(3));
        assert!(!c.invalidate(3));
        assert!(!c.get(3, 0));
        c.flush();
        assert_eq!(c.len(), 0);
        assert_eq!(c.stats().invalidations, 5);
        for k in 0..5 {
            assert!(!c.get(k, 0));
        }
    }

    #[test]
    fn check_catches_a_stale_hit() {
        let mut c = Cache::new(Policy::Lru, 4, Some(100), 10);
        c.put(1, 0);
        assert!(c.check().is_empty());
        c.corrupt_disable_expiry();
        assert!(c.get(1, 500), "the corrupted entry is served");
        let problems = c.check();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("past their TTL"));
    }

    /// Zipf(`alpha`) probabilities over `n` ranks.
    fn zipf_probs(n: usize, alpha: f64) -> Vec<f64> {
        let w: Vec<f64> = (1..=n).map(|i| (i as f64).powf(-alpha)).collect();
        let z: f64 = w.iter().sum();
        w.into_iter().map(|x| x / z).collect()
    }

    /// Steady-state hit rate of `policy` under independent Zipf requests.
    fn simulate(policy: Policy, n: u32, cap: u32, alpha: f64, requests: u64) -> f64 {
        let mut c = Cache::new(policy, cap, None, n);
        let zipf = Zipf::new(n as f64, alpha).expect("valid zipf");
        let mut rng = from_u64(11);
        let mut draw = || zipf.sample(&mut rng) as u32 - 1;
        for _ in 0..requests / 4 {
            let k = draw();
            if !c.get(k, 0) {
                c.put(k, 0);
            }
        }
        let before = c.stats();
        for _ in 0..requests {
            let k = draw();
            if !c.get(k, 0) {
                c.put(k, 0);
            }
        }
        (c.stats().hits - before.hits) as f64 / requests as f64
    }

    #[test]
    fn lru_hit_rate_matches_che_approximation() {
        let (n, cap, alpha) = (10_000u32, 500u32, 0.8);
        let p = zipf_probs(n as usize, alpha);
        // Che: characteristic time T solves sum_i (1 - e^{-p_i T}) = C.
        let filled = |t: f64| p.iter().map(|pi| 1.0 - (-pi * t).exp()).sum::<f64>();
        let (mut lo, mut hi) = (0.0, 1e9);
        for _ in 0..200 {
            let mid = (lo + hi) / 2.0;
            if filled(mid) < cap as f64 {
                lo = mid
            } else {
                hi = mid
            }
        }
        let che: f64 = p.iter().map(|pi| pi * (1.0 - (-pi * lo).exp())).sum();
        let sim = simulate(Policy::Lru, n, cap, alpha, 1_000_000);
        // 1M requests: binomial sd of the hit rate <= 0.0005 (correlation
        // between successive requests' outcomes is weak under IRM); Che's
        // approximation itself is accurate to well under 1% at this size.
        assert!((sim - che).abs() < 0.01, "simulated {sim:.4}, Che {che:.4}");
    }

    #[test]
    fn lfu_hit_rate_approaches_the_top_c_mass() {
        let (n, cap, alpha) = (10_000u32, 500u32, 0.8);
        let p = zipf_probs(n as usize, alpha);
        // Perfect LFU under IRM converges to holding the C most popular keys.
        let top: f64 = p[..cap as usize].iter().sum();
        let sim = simulate(Policy::Lfu, n, cap, alpha, 1_000_000);
        assert!(
            (sim - top).abs() < 0.01,
            "simulated {sim:.4}, top-C {top:.4}"
        );
    }
}

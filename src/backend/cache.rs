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
//!
//! The parent holds the policy, the slot table and the public operations;
//! `order` keeps the eviction order (a recency list for LRU and FIFO, a
//! min-heap for LFU), `stats` the counters.

use std::fmt;

use crate::contract::business::Invalidate;

pub mod che;
mod order;
mod stats;
#[cfg(test)]
mod tests;

pub use stats::CacheStats;

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

    /// Test hook: makes every cached entry claim to expire never, so a
    /// lookup past the TTL is served (and must be caught by [`Cache::check`]).
    #[doc(hidden)]
    pub fn corrupt_disable_expiry(&mut self) {
        for s in &mut self.slots {
            s.expires = u64::MAX;
        }
    }
}

/// Admin operations drop the entries they changed through the contract's
/// [`Invalidate`], without knowing the cache.
impl Invalidate for Cache {
    fn invalidate(&mut self, key: u32) {
        Cache::invalidate(self, key);
    }
}

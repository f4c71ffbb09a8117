//! A concurrent table of values under dense ids (products are numbered
//! `0..n` in creation order, orders `1..=n`): a lookup is an index, not a
//! hash probe, and the table holds no empty buckets.
//!
//! Guarantees: the table is split into [`SHARDS`] read-write locks by
//! `id % SHARDS`, so threads reading or writing different ids rarely meet
//! on one lock; a reader of one id never waits for another shard's
//! writer. Ids need not arrive in order (two concurrent creations may
//! insert out of order): a shard grows to the largest index written, in
//! chunks of [`CHUNK`] slots, so growing never copies what it holds and
//! never needs twice its memory (a hash map doubles its table).

use std::sync::{PoisonError, RwLock};

/// Locks of a table.
pub const SHARDS: u64 = 64;
/// Slots per chunk of a shard.
pub const CHUNK: usize = 256;

/// One shard: slot `i` is `chunks[i / CHUNK][i % CHUNK]`.
#[derive(Debug)]
struct Shard<T> {
    chunks: Vec<Box<[Option<T>]>>,
}

impl<T> Shard<T> {
    fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i / CHUNK)?[i % CHUNK].as_ref()
    }

    fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.chunks.get_mut(i / CHUNK)?[i % CHUNK].as_mut()
    }

    fn slot(&mut self, i: usize) -> &mut Option<T> {
        while self.chunks.len() <= i / CHUNK {
            self.chunks.push((0..CHUNK).map(|_| None).collect());
        }
        &mut self.chunks[i / CHUNK][i % CHUNK]
    }
}

/// Values of type `T` under dense `u64` ids. `Send + Sync` when `T` is.
#[derive(Debug)]
pub struct DenseTable<T> {
    shards: Box<[RwLock<Shard<T>>]>,
}

impl<T> Default for DenseTable<T> {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS)
                .map(|_| RwLock::new(Shard { chunks: Vec::new() }))
                .collect(),
        }
    }
}

/// The shard of `id` and its index there.
fn at(id: u64) -> (usize, usize) {
    ((id % SHARDS) as usize, (id / SHARDS) as usize)
}

impl<T> DenseTable<T> {
    /// Puts `value` under `id`, replacing what was there.
    pub fn insert(&self, id: u64, value: T) {
        let (s, i) = at(id);
        // A poisoned lock holds whole values: each write is one assignment.
        let mut shard = self.shards[s]
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        *shard.slot(i) = Some(value);
    }

    /// `f` of the value under `id`, if any, under the shard's read lock.
    #[inline]
    pub fn read<R>(&self, id: u64, f: impl FnOnce(&T) -> R) -> Option<R> {
        let (s, i) = at(id);
        let shard = self.shards[s]
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        shard.get(i).map(f)
    }

    /// `f` of the value under `id`, if any, under the shard's write lock.
    pub fn write<R>(&self, id: u64, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        let (s, i) = at(id);
        let mut shard = self.shards[s]
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        shard.get_mut(i).map(f)
    }

    /// `f` of the value under `id`, put there by `make` first if there is
    /// none, under the shard's write lock.
    pub fn upsert<R>(&self, id: u64, make: impl FnOnce() -> T, f: impl FnOnce(&mut T) -> R) -> R {
        let (s, i) = at(id);
        let mut shard = self.shards[s]
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        f(shard.slot(i).get_or_insert_with(make))
    }

    /// Calls `f` with every id and its value, in no particular order, read
    /// in place one shard at a time (each shard read-locked while `f` runs
    /// on its values).
    pub fn for_each(&self, mut f: impl FnMut(u64, &T)) {
        for (s, shard) in (0..SHARDS).zip(self.shards.iter()) {
            let shard = shard.read().unwrap_or_else(PoisonError::into_inner);
            let slots = shard.chunks.iter().flat_map(|c| c.iter());
            for (i, slot) in (0..).zip(slots) {
                if let Some(v) = slot {
                    f(i * SHARDS + s, v);
                }
            }
        }
    }

    /// Calls `f` with every value in id order, read in place: every shard
    /// stays read-locked while `f` runs.
    pub fn with_all<R>(&self, f: impl FnOnce(&[&T]) -> R) -> R {
        let shards: Vec<_> = self
            .shards
            .iter()
            .map(|s| s.read().unwrap_or_else(PoisonError::into_inner))
            .collect();
        let slots = shards
            .iter()
            .map(|s| s.chunks.len() * CHUNK)
            .max()
            .unwrap_or(0);
        let mut all = Vec::with_capacity(slots * shards.len());
        for i in 0..slots {
            all.extend(shards.iter().filter_map(|s| s.get(i)));
        }
        f(&all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_back_under_their_ids_in_any_insertion_order() {
        let t = DenseTable::default();
        for id in [200u64, 3, 64, 0, 127] {
            t.insert(id, id * 10);
        }
        for id in [200u64, 3, 64, 0, 127] {
            assert_eq!(t.read(id, |v| *v), Some(id * 10));
        }
        assert_eq!(t.read(1, |v| *v), None, "a gap below the largest id");
        assert_eq!(t.read(10_000, |v| *v), None, "past the end");
        assert_eq!(t.write(3, |v| std::mem::replace(v, 7)), Some(30));
        assert_eq!(t.read(3, |v| *v), Some(7));
        assert_eq!(t.write(5, |v| *v), None);
        let mut all = Vec::new();
        t.with_all(|values| all.extend(values.iter().map(|&&v| v)));
        assert_eq!(all, vec![0, 7, 640, 1_270, 2_000], "in id order");
        let mut pairs = Vec::new();
        t.for_each(|id, &v| pairs.push((id, v)));
        pairs.sort_unstable();
        assert_eq!(
            pairs,
            vec![(0, 0), (3, 7), (64, 640), (127, 1_270), (200, 2_000)]
        );
        assert_eq!(t.upsert(5, || 1, |v| std::mem::replace(v, 2)), 1, "made");
        assert_eq!(t.upsert(5, || 1, |v| *v), 2, "found");
    }

    #[test]
    fn concurrent_inserts_and_reads_see_every_value() {
        let t = DenseTable::default();
        std::thread::scope(|s| {
            for k in 0..4u64 {
                let t = &t;
                s.spawn(move || {
                    for id in (k..4_000).step_by(4) {
                        t.insert(id, id);
                        assert_eq!(t.read(id, |v| *v), Some(id));
                    }
                });
            }
        });
        assert!((0..4_000u64).all(|id| t.read(id, |v| *v) == Some(id)));
    }
}

//! A concurrent table of values under dense ids (products are numbered
//! `0..n` in creation order): a lookup is an index, not a hash probe.
//!
//! Guarantees: the table is split into [`SHARDS`] read-write locks by
//! `id % SHARDS`, so threads reading or writing different ids rarely meet
//! on one lock; a reader of one id never waits for another shard's
//! writer. Ids need not arrive in order (two concurrent creations may
//! insert out of order): a shard grows to the largest index written.

use std::sync::{PoisonError, RwLock};

/// Locks of a table.
pub const SHARDS: u64 = 64;

/// Values of type `T` under dense `u64` ids. `Send + Sync` when `T` is.
#[derive(Debug)]
pub struct DenseTable<T> {
    shards: Box<[RwLock<Vec<Option<T>>>]>,
}

impl<T> Default for DenseTable<T> {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| RwLock::new(Vec::new())).collect(),
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
        if shard.len() <= i {
            shard.resize_with(i + 1, || None);
        }
        shard[i] = Some(value);
    }

    /// `f` of the value under `id`, if any, under the shard's read lock.
    #[inline]
    pub fn read<R>(&self, id: u64, f: impl FnOnce(&T) -> R) -> Option<R> {
        let (s, i) = at(id);
        let shard = self.shards[s]
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        shard.get(i).and_then(Option::as_ref).map(f)
    }

    /// `f` of the value under `id`, if any, under the shard's write lock.
    pub fn write<R>(&self, id: u64, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        let (s, i) = at(id);
        let mut shard = self.shards[s]
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        shard.get_mut(i).and_then(Option::as_mut).map(f)
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

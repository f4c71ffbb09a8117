//! A run: wheel-style entries (time, event) appended in non-decreasing
//! time order and taken from the front, in the wheel's chunks.
//!
//! Guarantee: [`Run::push`] accepts only a time at or after the last one
//! (the caller checks [`Run::last_time`]), so the front is the earliest,
//! and entries of one time come out in the order they were appended. The
//! queue keeps here the events of the current slot that arrive in time
//! order (above all a burst due at one instant: a closed load's million
//! session starts at time zero), appended and taken in O(1) without a
//! heap's cache misses. Its chunks come from and go back to the wheel's
//! pool as it fills and drains, so a drained burst becomes wheel buckets.

use std::collections::VecDeque;

use super::wheel::{Pool, Timed};

/// Entries in non-decreasing time order.
pub(super) struct Run<E> {
    /// Chunks of entries, all full but the last; the first is read from
    /// `head`.
    chunks: VecDeque<Vec<Timed<E>>>,
    head: usize,
    len: usize,
}

impl<E: Copy> Run<E> {
    pub(super) fn new() -> Self {
        Run {
            chunks: VecDeque::new(),
            head: 0,
            len: 0,
        }
    }

    /// The time of the last entry, if any.
    #[inline]
    pub(super) fn last_time(&self) -> Option<u64> {
        if self.len == 0 {
            return None;
        }
        self.chunks.back().and_then(|c| c.last()).map(|e| e.time)
    }

    /// Appends `entry`, due at or after [`Run::last_time`].
    #[inline]
    pub(super) fn push(&mut self, entry: Timed<E>, pool: &mut Pool<E>) {
        debug_assert!(self.last_time().is_none_or(|t| t <= entry.time));
        self.len += 1;
        match self.chunks.back_mut() {
            Some(c) if c.len() < c.capacity() => c.push(entry),
            _ => {
                let mut c = pool.take();
                c.push(entry);
                self.chunks.push_back(c);
            }
        }
    }

    /// The first (earliest) entry, if any.
    #[inline]
    pub(super) fn peek(&self) -> Option<&Timed<E>> {
        if self.len == 0 {
            return None;
        }
        self.chunks.front().and_then(|c| c.get(self.head))
    }

    /// Removes and returns the first entry.
    #[inline]
    pub(super) fn pop(&mut self, pool: &mut Pool<E>) -> Option<Timed<E>> {
        let single = self.chunks.len() == 1;
        let front = self.chunks.front_mut()?;
        let entry = *front.get(self.head)?;
        self.head += 1;
        self.len -= 1;
        if self.head == front.len() {
            self.head = 0;
            if single {
                // Keep the last chunk for the next appends.
                front.clear();
            } else if let Some(chunk) = self.chunks.pop_front() {
                pool.give(chunk);
            }
        }
        Some(entry)
    }

    /// Number of entries.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// True when the run holds no entry.
    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }
}

//! The event queue: a 4-ary min-heap ordered by `(time, sequence)`.
//!
//! Guarantee: events are handed out in non-decreasing time order, and events
//! due at the same instant come out in the order they were scheduled. Every
//! `schedule` stamps a strictly increasing sequence number, so the order is
//! total and a run is reproducible whatever the heap's internal layout.
//! Events are small `Copy` values; scheduling never allocates once the heap
//! has grown to its working size. Four children per node halve the depth of
//! a binary heap and keep siblings in one or two cache lines, which is what
//! a pop (the hot operation) pays for.

use super::time::SimTime;

#[derive(Clone, Copy)]
struct Entry<E> {
    /// `time << 64 | seq`: one comparison orders by time, then sequence.
    key: u128,
    event: E,
}

/// A priority queue of events keyed by virtual time, FIFO among equal times.
pub struct EventQueue<E> {
    heap: Vec<Entry<E>>,
    next_seq: u64,
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

const ARITY: usize = 4;

impl<E: Copy> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue {
            heap: Vec::with_capacity(1024),
            next_seq: 0,
        }
    }

    /// Schedules `event` at `time`. Among events at the same time, those
    /// scheduled earlier are popped earlier.
    #[inline]
    pub fn schedule(&mut self, time: SimTime, event: E) {
        let key = (u128::from(time.as_nanos()) << 64) | u128::from(self.next_seq);
        self.next_seq += 1;
        let mut i = self.heap.len();
        self.heap.push(Entry { key, event });
        // Sift up: move parents down until the new entry's place is found.
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if self.heap[parent].key <= key {
                break;
            }
            self.heap[i] = self.heap[parent];
            i = parent;
        }
        self.heap[i] = Entry { key, event };
    }

    /// Removes and returns the earliest event, or `None` when empty.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let last = self.heap.pop()?;
        let n = self.heap.len();
        if n == 0 {
            return Some((SimTime((last.key >> 64) as u64), last.event));
        }
        let top = self.heap[0];
        // Sift `last` down from the root through the smallest children.
        let mut i = 0;
        loop {
            let first = i * ARITY + 1;
            if first >= n {
                break;
            }
            let end = (first + ARITY).min(n);
            let mut best = first;
            for c in first + 1..end {
                if self.heap[c].key < self.heap[best].key {
                    best = c;
                }
            }
            if self.heap[best].key >= last.key {
                break;
            }
            self.heap[i] = self.heap[best];
            i = best;
        }
        self.heap[i] = last;
        Some((SimTime((top.key >> 64) as u64), top.event))
    }

    /// The time of the earliest event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.first().map(|e| SimTime((e.key >> 64) as u64))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when no event is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::rng::from_u64;
    use rand::RngExt;

    #[test]
    fn pops_in_time_order() {
        let mut q = EventQueue::new();
        for (t, e) in [(30, 'c'), (10, 'a'), (20, 'b'), (5, 'z')] {
            q.schedule(SimTime(t), e);
        }
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['z', 'a', 'b', 'c']);
    }

    #[test]
    fn ties_break_by_insertion_order() {
        let mut q = EventQueue::new();
        // Interleave two instants so heap sifting has every chance to reorder.
        for i in 0..1000u32 {
            q.schedule(SimTime(if i % 2 == 0 { 7 } else { 3 }), i);
        }
        let mut last_at_3 = None;
        let mut last_at_7 = None;
        while let Some((t, i)) = q.pop() {
            let last = if t == SimTime(3) {
                &mut last_at_3
            } else {
                &mut last_at_7
            };
            if let Some(prev) = *last {
                assert!(i > prev, "event {i} came out after {prev} at {t:?}");
            }
            *last = Some(i);
        }
        assert_eq!(last_at_3, Some(999));
        assert_eq!(last_at_7, Some(998));
    }

    #[test]
    fn matches_a_sorted_reference_under_random_interleaving() {
        // Random schedules and pops against a sort by (time, insertion).
        let mut rng = from_u64(9);
        let mut q = EventQueue::new();
        let mut reference: Vec<(u64, u32)> = Vec::new();
        let mut now = 0u64;
        for i in 0..20_000u32 {
            if rng.random::<f64>() < 0.55 {
                let t = now + rng.random_range(0..50u64);
                q.schedule(SimTime(t), i);
                reference.push((t, i));
            } else if let Some((t, e)) = q.pop() {
                let (pos, _) = reference
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, r)| **r)
                    .expect("reference has it");
                assert_eq!(reference.remove(pos), (t.as_nanos(), e));
                now = t.as_nanos();
            }
        }
        assert_eq!(q.len(), reference.len());
    }

    #[test]
    fn peek_and_len_track_contents() {
        let mut q = EventQueue::new();
        assert!(q.is_empty());
        q.schedule(SimTime(9), ());
        q.schedule(SimTime(4), ());
        assert_eq!(q.len(), 2);
        assert_eq!(q.peek_time(), Some(SimTime(4)));
    }
}

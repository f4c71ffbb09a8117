//! The event queue: a binary min-heap ordered by `(time, sequence)`.
//!
//! Guarantee: events are handed out in non-decreasing time order, and events
//! due at the same instant come out in the order they were scheduled. Every
//! `schedule` stamps a strictly increasing sequence number, so the order is
//! total and a run is reproducible whatever the heap's internal layout.
//! Events are small `Copy` values; scheduling never allocates once the heap
//! has grown to its working size.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::time::SimTime;

#[derive(Clone, Copy)]
struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}

impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Entry<E> {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest entry.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// A priority queue of events keyed by virtual time, FIFO among equal times.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(1024),
            next_seq: 0,
        }
    }

    /// Schedules `event` at `time`. Among events at the same time, those
    /// scheduled earlier are popped earlier.
    #[inline]
    pub fn schedule(&mut self, time: SimTime, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry { time, seq, event });
    }

    /// Removes and returns the earliest event, or `None` when empty.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.heap.pop().map(|e| (e.time, e.event))
    }

    /// The time of the earliest event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| e.time)
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
    fn peek_and_len_track_contents() {
        let mut q = EventQueue::new();
        assert!(q.is_empty());
        q.schedule(SimTime(9), ());
        q.schedule(SimTime(4), ());
        assert_eq!(q.len(), 2);
        assert_eq!(q.peek_time(), Some(SimTime(4)));
    }
}

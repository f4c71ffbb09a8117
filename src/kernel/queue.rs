//! The event queue: a 4-ary min-heap ordered by `(time, sequence)`.
//!
//! Guarantee: events are handed out in non-decreasing time order, and events
//! due at the same instant come out in the order they were scheduled. Every
//! `schedule` stamps a strictly increasing sequence number, so the order is
//! total and a run is reproducible whatever the heap's internal layout.
//! Events are small `Copy` values; scheduling never allocates once the heap
//! has grown to its working size.
//!
//! Layout: four children per node halve the depth of a binary heap, and
//! the heap is stored in groups of four 32-byte entries aligned to 128
//! bytes, with the root in the last slot of group 0, so that the children
//! of every node are exactly one group: one aligned pair of cache lines,
//! which the hardware fetches together. A pop (the hot operation) on a
//! heap much larger than the cache so pays one miss per level, not two or
//! three (a closed model keeps a million users' think times in it). On a
//! heap larger than the cache, while it compares one level's children, a
//! pop also loads one key of each group of the next level (four adjacent
//! groups), so that their misses overlap the comparisons instead of
//! following them (safe Rust has no prefetch instruction; a load whose
//! value is discarded is one).

use super::time::SimTime;

#[derive(Clone, Copy)]
struct Entry<E> {
    /// `time << 64 | seq`: one comparison orders by time, then sequence.
    key: u128,
    event: E,
}

/// The four children of one node, on their own pair of cache lines.
#[derive(Clone, Copy)]
#[repr(C, align(128))]
struct Group<E>([Entry<E>; ARITY]);

/// A priority queue of events keyed by virtual time, FIFO among equal times.
pub struct EventQueue<E> {
    /// Entry `e` is `groups[e / 4].0[e % 4]`; the root is entry [`ROOT`],
    /// the children of entry `e` are group `e - 2` (entries `4e - 8` to
    /// `4e - 5`), so its parent is entry `e / 4 + 2`. Slots past the last
    /// entry hold stale copies and are never read as entries.
    groups: Vec<Group<E>>,
    /// Entries in the heap.
    len: usize,
    next_seq: u64,
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

const ARITY: usize = 4;
/// The root's entry index: the last slot of group 0.
const ROOT: usize = 3;
/// Entries from which a pop loads the next level ahead: 1 MiB of heap,
/// about what a core's cache keeps of it.
const FAR: usize = 1 << 15;

impl<E: Copy> EventQueue<E> {
    /// An empty queue with room for `events` before it grows (growing
    /// copies the heap into one twice as large, and an allocator may keep
    /// the old one mapped for a while).
    pub fn with_capacity(events: usize) -> Self {
        let mut q = Self::new();
        q.groups.reserve((events + ROOT) / ARITY + 1);
        q
    }

    /// An empty queue.
    pub fn new() -> Self {
        EventQueue {
            groups: Vec::with_capacity(256),
            len: 0,
            next_seq: 0,
        }
    }

    #[inline]
    fn at(&self, e: usize) -> &Entry<E> {
        &self.groups[e / ARITY].0[e % ARITY]
    }

    #[inline]
    fn set(&mut self, e: usize, entry: Entry<E>) {
        self.groups[e / ARITY].0[e % ARITY] = entry;
    }

    /// Schedules `event` at `time`. Among events at the same time, those
    /// scheduled earlier are popped earlier.
    #[inline(always)]
    pub fn schedule(&mut self, time: SimTime, event: E) {
        let key = (u128::from(time.as_nanos()) << 64) | u128::from(self.next_seq);
        self.next_seq += 1;
        let entry = Entry { key, event };
        let mut i = self.len + ROOT;
        if i / ARITY == self.groups.len() {
            // A new group; its other slots are filled as the heap grows.
            self.groups.push(Group([entry; ARITY]));
        }
        self.len += 1;
        // Sift up: move parents down until the new entry's place is found.
        while i > ROOT {
            let parent = i / ARITY + 2;
            let p = *self.at(parent);
            if p.key <= key {
                break;
            }
            self.set(i, p);
            i = parent;
        }
        self.set(i, entry);
    }

    /// Removes and returns the earliest event, or `None` when empty.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        let end = self.len + ROOT;
        let top = *self.at(ROOT);
        let far = self.len >= FAR;
        if end > ROOT {
            let last = *self.at(end);
            // Sift `last` down from the root through the smallest children.
            let mut i = ROOT;
            loop {
                let first = 4 * i - 8;
                if first >= end {
                    break;
                }
                // The groups of the next level: the children of entries
                // `first..first + 4` are groups `first - 2..first + 2`.
                if far {
                    let next = first - 2..(first + 2).min(self.groups.len());
                    for g in self.groups.get(next).unwrap_or(&[]) {
                        std::hint::black_box(g.0[0].key as u64);
                    }
                }
                let group = &self.groups[i - 2].0;
                let n = (end - first).min(ARITY);
                let mut best = 0;
                for c in 1..n {
                    if group[c].key < group[best].key {
                        best = c;
                    }
                }
                if group[best].key >= last.key {
                    break;
                }
                let child = group[best];
                self.set(i, child);
                i = first + best;
            }
            self.set(i, last);
        }
        Some((SimTime((top.key >> 64) as u64), top.event))
    }

    /// The earliest event, if any.
    #[inline]
    pub fn peek(&self) -> Option<&E> {
        (self.len > 0).then(|| &self.at(ROOT).event)
    }

    /// The time of the earliest event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        (self.len > 0).then(|| SimTime((self.at(ROOT).key >> 64) as u64))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no event is pending.
    pub fn is_empty(&self) -> bool {
        self.len == 0
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

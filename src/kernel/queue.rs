//! The event queue: events ordered by `(time, sequence)`, kept in one
//! exact heap while the queue is small, and past that in a heap and a run
//! for the current slot of 262 µs plus a timing wheel for the rest.
//!
//! Guarantee: events are handed out in non-decreasing time order, and events
//! due at the same instant come out in the order they were scheduled. Every
//! `schedule` stamps a strictly increasing sequence number, so the order is
//! total and a run is reproducible whatever the queue's internal layout:
//! the pop sequence is exactly that of one heap ordered by `(time, seq)`
//! (a test checks it against `std`'s `BinaryHeap` under a random load).
//! Events are small `Copy` values; scheduling allocates only when the
//! queue grows past its working size.
//!
//! Layout: a queue of fewer than [`WHEEL_AT`] events is one 4-ary min-heap
//! (`queue/heap.rs`), which stays in the cache. A large one (a closed
//! model keeps a million users' think times in it) would make every pop
//! pay a cache miss per heap level, so past that size the queue splits
//! time into slots of 2^18 ns (`time >> SHIFT`, about 262 µs). The
//! events of the current slot are in the heap (`near`, now small) or in
//! the run (`queue/run.rs`: those scheduled in time order after every
//! event of their time in the heap, such as a burst due at one instant,
//! appended and popped in O(1)); a pop takes the earlier of the two
//! fronts, the run's on a tie. The events of later slots are in a
//! hierarchical timing wheel (`queue/wheel.rs`), appended to a bucket by
//! the highest 6-bit digit in which their slot differs from the current
//! one. When the heap and the run are both empty, the wheel's earliest
//! bucket is emptied into finer buckets, or into the heap once it is the
//! current slot's. An event so moves a few times (once per wheel level it
//! passes), through sequential memory, instead of sifting through a heap
//! of the whole queue. When the wheel runs low (fewer than `WHEEL_AT / 2`
//! events) the queue is one heap again.
//!
//! The wheel and the run keep events without a sequence number, in
//! scheduling order within each instant; events leaving the wheel are
//! stamped anew in that order (see `refill`), and the run's rule makes its
//! events older than any event of their time in the heap (see `schedule`),
//! so no tie is ever decided against the scheduling order.
//!
//! Invariant: while the wheel is in use, the heap and the run are both
//! empty only when the whole queue is.
//!
//! A small queue's pop leaves the event it hands out in the heap's root
//! slot (`Heap::take`): an event scheduled next, as handling an event
//! mostly does, takes that slot and is sifted down once, where a pop and
//! a push would sift twice. Any other call removes it first, so `peek`
//! takes `&mut self`.
//!
//! A small queue also has a lane for one event outside the heap
//! ([`EventQueue::schedule_lane`]), for an event that is always pending
//! and rescheduled as it fires, such as an open model's next arrival: it
//! is stamped like any other and a pop compares it with the smallest key
//! in the heap, so the order is the same, but it never sifts through the
//! heap. When the queue starts to use the wheel the lane's event joins
//! the others (the wheel stamps its events anew, which a stamp kept aside
//! would not follow), and while the wheel is in use the lane stays empty.

mod heap;
mod run;
mod wheel;

use self::heap::{Entry, Heap};
use self::run::Run;
use self::wheel::{SHIFT, Timed, Wheel};
use super::time::SimTime;

/// Events in the heap at which the queue starts to use the wheel: 32 KiB
/// of heap, what a core's first-level cache keeps. Black Friday's queue
/// peaks at about 7,300 events: 8.2 s with the heap alone, 7.1 s with the
/// wheel from 1,024 events (256 and 1,024 measured alike).
const WHEEL_AT: usize = 1 << 10;
/// A heap with room for more entries than this gives its memory back
/// when it empties (2 MiB).
const KEEP: usize = 1 << 16;
/// Entries a new heap has room for.
const SMALL: usize = 1 << 10;
/// The slot of the heap-only queue: every event is in the current slot.
const HEAP_ONLY: u64 = u64::MAX;

/// A priority queue of events keyed by virtual time, FIFO among equal times.
pub struct EventQueue<E> {
    /// With `run`, every event of slot `now` or earlier, exactly ordered.
    near: Heap<E>,
    /// A bound on the times in `near` while it is not empty (the largest
    /// pushed since it last was).
    near_max: u64,
    /// Events of slot `now` scheduled in time order after every event in
    /// `near` of their time (see `schedule`); empty while the wheel is
    /// unused.
    run: Run<E>,
    /// Every event of a slot later than `now`.
    wheel: Wheel<E>,
    /// The current slot; [`HEAP_ONLY`] while the wheel is unused.
    now: u64,
    /// `near`'s size at which its later slots move to the wheel:
    /// [`WHEEL_AT`] while the wheel is unused, never once it is used.
    spread_at: usize,
    next_seq: u64,
    /// The wheel refilled the heap since [`EventQueue::refilled`] was
    /// last asked.
    refilled: bool,
    /// The lane's event, stamped like the heap's ([`EventQueue::schedule_lane`]);
    /// empty while the wheel is in use.
    lane: Option<Entry<E>>,
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> EventQueue<E> {
    /// An empty queue with room for `events` before it grows. The heap is
    /// reserved for all of them, since a burst due at one instant may stay
    /// in it (growing would copy it into one twice as large, and an
    /// allocator may keep the old one mapped for a while); the run and the
    /// wheel grow by fixed chunks and never copy. Reserved room that is
    /// never used costs address space, not memory.
    pub fn with_capacity(events: usize) -> Self {
        EventQueue {
            near: Heap::with_capacity(events.max(SMALL)),
            near_max: 0,
            run: Run::new(),
            wheel: Wheel::new(),
            now: HEAP_ONLY,
            spread_at: WHEEL_AT,
            next_seq: 0,
            refilled: false,
            lane: None,
        }
    }

    /// An empty queue.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// Schedules `event` at `time`. Among events at the same time, those
    /// scheduled earlier are popped earlier.
    #[inline(always)]
    pub fn schedule(&mut self, time: SimTime, event: E) {
        let time = time.as_nanos();
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = time >> SHIFT;
        if slot > self.now {
            // `near` or `run` is not empty (the invariant), so this event
            // is not the earliest; the wheel keeps it in scheduling order.
            self.wheel.place(Timed { time, event }, slot);
        } else if self.now != HEAP_ONLY
            && (self.near.is_empty() || time > self.near_max)
            && self.run.last_time().is_none_or(|last| last <= time)
        {
            // Later than everything in `near` of its time, and in time
            // order in the run: the run needs no sequence numbers.
            self.run.push(Timed { time, event }, &mut self.wheel.pool);
        } else {
            self.push_near(time, seq, event);
        }
    }

    /// Schedules `event` at `time` like [`EventQueue::schedule`], kept
    /// outside the heap while the queue is small and the lane is free: for
    /// an event that is always pending and rescheduled when it fires (an
    /// open model's next arrival), which then never sifts through the heap.
    #[inline(always)]
    pub fn schedule_lane(&mut self, time: SimTime, event: E) {
        if self.now != HEAP_ONLY || self.lane.is_some() {
            self.schedule(time, event);
            return;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.lane = Some(Entry::new(time.as_nanos(), seq, event));
    }

    #[inline(always)]
    fn push_near(&mut self, time: u64, seq: u64, event: E) {
        if self.near.is_empty() || time > self.near_max {
            self.near_max = time;
        }
        self.near.push(Entry::new(time, seq, event));
        if self.near.len() >= self.spread_at {
            self.spread();
        }
    }

    /// Removes and returns the earliest event, or `None` when empty.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        if self.now == HEAP_ONLY {
            // A small queue is the heap alone (the run is empty) and the
            // lane. The lane's event is compared without settling a taken
            // root, and a popped root stays taken: either way the event
            // handled next may push into the root's slot.
            if let Some(l) = self.lane
                && self.near.min_key().is_none_or(|k| l.key < k)
            {
                self.lane = None;
                return Some((SimTime(l.time()), l.event));
            }
            let e = self.near.take()?;
            return Some((SimTime(e.time()), e.event));
        }
        let (time, event) = match self.run.peek() {
            // The run is empty while the wheel is unused.
            None => {
                let e = self.near.pop()?;
                (e.time(), e.event)
            }
            // An event in `near` of the run's first time was scheduled
            // after it (see `schedule`), so the run goes first on a tie.
            Some(r) if self.near.peek().is_none_or(|h| r.time <= h.time()) => {
                let r = self.run.pop(&mut self.wheel.pool)?;
                (r.time, r.event)
            }
            Some(_) => {
                let e = self.near.pop()?;
                (e.time(), e.event)
            }
        };
        if self.near.is_empty() && self.run.is_empty() {
            self.refill();
        }
        Some((SimTime(time), event))
    }

    /// Starts using the wheel: the current slot becomes the earliest
    /// event's, whose events move to the run, and the later ones to the
    /// wheel, all in `(time, seq)` order, so that each instant's events
    /// stay in scheduling order.
    #[cold]
    #[inline(never)]
    fn spread(&mut self) {
        let mut all = Vec::with_capacity(self.near.len() + 1);
        self.near.drain_into(&mut all);
        // The lane's event too: its stamp orders it among the heap's.
        all.extend(self.lane.take());
        all.sort_unstable_by_key(|e| e.key);
        let Some(first) = all.first() else {
            return;
        };
        let now = first.time() >> SHIFT;
        self.wheel.enter(now);
        for e in all {
            let (time, event) = (e.time(), e.event);
            let slot = time >> SHIFT;
            if slot <= now {
                self.run.push(Timed { time, event }, &mut self.wheel.pool);
            } else {
                self.wheel.place(Timed { time, event }, slot);
            }
        }
        self.now = now;
        self.spread_at = usize::MAX;
    }

    /// Refills the empty heap from the wheel (the queue is then empty only
    /// if the wheel was). Events come out of the wheel in scheduling order
    /// within each instant, and the heap and the run are empty, so they
    /// are stamped with new sequence numbers `0, 1, …` in that order:
    /// below every number stamped from now on, so their order among
    /// themselves and before later events of the same instant is kept.
    #[cold]
    #[inline(never)]
    fn refill(&mut self) {
        if self.near.capacity() > KEEP {
            // A burst (or the room reserved for one) has drained: give
            // its memory back.
            self.near = Heap::with_capacity(SMALL);
        }
        let mut stamp = 0u64;
        let mut max = 0u64;
        let near = &mut self.near;
        let mut to_near = |t: Timed<E>| {
            near.push(Entry::new(t.time, stamp, t.event));
            stamp += 1;
            max = max.max(t.time);
        };
        if self.wheel.len() < WHEEL_AT / 2 {
            // Few events left: back to one heap, and the chunks go back to
            // the allocator.
            self.wheel.drain(to_near);
            self.wheel.pool.free();
            self.now = HEAP_ONLY;
            self.spread_at = WHEEL_AT;
            return;
        }
        // The wheel holds events, so this ends: a level-0 bucket's events
        // all go to the heap.
        while self.wheel.advance(&mut to_near) == 0 {}
        self.near_max = max;
        self.now = self.wheel.now();
        self.refilled = true;
    }

    /// Whether the wheel has moved a slot's events into the heap since
    /// this was last asked (then [`EventQueue::upcoming`] holds them).
    #[inline]
    pub fn refilled(&mut self) -> bool {
        std::mem::take(&mut self.refilled)
    }

    /// The events of the current slot in the heap, in no particular order
    /// (those in the run are not among them). A caller can load what they
    /// will need together, so that their cache misses overlap.
    pub fn upcoming(&self) -> impl Iterator<Item = &E> {
        self.near.events()
    }

    /// The earliest event's time and a reference to it, if any.
    #[inline]
    fn first(&mut self) -> Option<(u64, &E)> {
        self.near.settle();
        if let Some(l) = &self.lane
            && self.near.peek().is_none_or(|h| l.key < h.key)
        {
            return Some((l.time(), &l.event));
        }
        let h = self.near.peek().map(|h| (h.time(), &h.event));
        match (self.run.peek(), h) {
            (Some(r), Some(h)) if h.0 < r.time => Some(h),
            (Some(r), _) => Some((r.time, &r.event)),
            (None, h) => h,
        }
    }

    /// The earliest event, if any.
    #[inline]
    pub fn peek(&mut self) -> Option<&E> {
        self.first().map(|(_, e)| e)
    }

    /// The time of the earliest event, if any.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.first().map(|(t, _)| SimTime(t))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.near.len() + self.run.len() + self.wheel.len() + usize::from(self.lane.is_some())
    }

    /// True when no event is pending.
    pub fn is_empty(&self) -> bool {
        self.near.is_empty() && self.run.is_empty() && self.lane.is_none()
    }
}

#[cfg(test)]
mod tests;

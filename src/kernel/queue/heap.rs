//! The exact part of the event queue: a 4-ary min-heap of entries keyed
//! `time << 64 | seq`, laid out so that a node's children are one aligned
//! pair of cache lines.
//!
//! Guarantee: [`Heap::pop`] returns the entry with the smallest key, so
//! entries come out ordered by time, then by sequence number (the order
//! in which they were scheduled).
//!
//! Layout: four children per node halve the depth of a binary heap, and
//! the heap is stored in groups of four 32-byte entries aligned to 128
//! bytes, with the root in the last slot of group 0, so that the children
//! of every node are exactly one group: one aligned pair of cache lines,
//! which the hardware fetches together. A pop on a heap much larger than
//! the cache so pays one miss per level, not two or three. On such a heap,
//! while it compares one level's children, a pop also loads one key of
//! each group of the next level (four adjacent groups), so that their
//! misses overlap the comparisons instead of following them (safe Rust has
//! no prefetch instruction; a load whose value is discarded is one). The
//! queue keeps this heap small once the queue is large (see `queue.rs`).
//!
//! Every slot past the last entry holds the key [`VACANT`], larger than
//! any entry's, so a pop compares all four children of a node without
//! counting how many there are: a vacant one is never the smallest below
//! an entry's key (keys are unique: every entry has its own sequence
//! number).

/// One pending event with its ordering key.
#[derive(Clone, Copy)]
pub(super) struct Entry<E> {
    /// `time << 64 | seq`: one comparison orders by time, then sequence.
    pub(super) key: u128,
    pub(super) event: E,
}

impl<E> Entry<E> {
    /// `event` at `time` (ns) with sequence number `seq`: the one place
    /// the key is built, as [`Entry::time`] is the one place it is read.
    #[inline(always)]
    pub(super) fn new(time: u64, seq: u64, event: E) -> Self {
        Entry {
            key: (u128::from(time) << 64) | u128::from(seq),
            event,
        }
    }

    /// The entry's time in nanoseconds.
    #[inline(always)]
    pub(super) fn time(&self) -> u64 {
        (self.key >> 64) as u64
    }
}

/// The four children of one node, on their own pair of cache lines.
#[derive(Clone, Copy)]
#[repr(C, align(128))]
struct Group<E>([Entry<E>; ARITY]);

const ARITY: usize = 4;
/// The root's entry index: the last slot of group 0.
const ROOT: usize = 3;
/// The key of a slot past the last entry: above every entry's key (an
/// entry's time is below `u64::MAX`, and its sequence number is unique).
const VACANT: u128 = u128::MAX;
/// Entries from which a pop loads the next level ahead: 1 MiB of heap,
/// about what a core's cache keeps of it.
const FAR: usize = 1 << 15;

/// A min-heap of entries by key.
pub(super) struct Heap<E> {
    /// Entry `e` is `groups[e / 4].0[e % 4]`; the root is entry [`ROOT`],
    /// the children of entry `e` are group `e - 2` (entries `4e - 8` to
    /// `4e - 5`), so its parent is entry `e / 4 + 2`. Slots past the last
    /// entry hold the key [`VACANT`] (and a stale event, never read).
    groups: Vec<Group<E>>,
    /// Entries in the heap (the taken root not counted).
    len: usize,
    /// The root was handed out by [`Heap::take`] and is gone, but still in
    /// its slot: the next push takes its place, or the next other call
    /// removes it ([`Heap::settle`]).
    taken: bool,
}

impl<E: Copy> Heap<E> {
    /// An empty heap with room for `entries` before it grows.
    pub(super) fn with_capacity(entries: usize) -> Self {
        Heap {
            groups: Vec::with_capacity((entries + ROOT) / ARITY + 1),
            len: 0,
            taken: false,
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

    /// Marks slot `e` past the last entry.
    #[inline]
    fn vacate(&mut self, e: usize) {
        self.groups[e / ARITY].0[e % ARITY].key = VACANT;
    }

    /// Adds `entry`; in the place of a taken root, sifted down from there
    /// (one sift instead of two: a pop followed by a push).
    #[inline(always)]
    pub(super) fn push(&mut self, entry: Entry<E>) {
        if self.taken {
            self.taken = false;
            self.len += 1;
            self.sift_down(entry);
            return;
        }
        let key = entry.key;
        let mut i = self.len + ROOT;
        if i / ARITY == self.groups.len() {
            // A new group, all vacant; its slots are filled as the heap
            // grows.
            let vacant = Entry {
                key: VACANT,
                ..entry
            };
            self.groups.push(Group([vacant; ARITY]));
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

    /// Removes and returns the entry with the smallest key.
    #[inline(always)]
    pub(super) fn pop(&mut self) -> Option<Entry<E>> {
        let top = self.take()?;
        self.settle();
        Some(top)
    }

    /// Returns the entry with the smallest key, which is then gone from
    /// the heap but stays in its slot until the next call: a push puts
    /// its entry there and sifts it down, any other call removes it.
    #[inline(always)]
    pub(super) fn take(&mut self) -> Option<Entry<E>> {
        self.settle();
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        self.taken = true;
        Some(*self.at(ROOT))
    }

    /// Removes the taken root, if any: the last entry takes its place.
    #[inline(always)]
    pub(super) fn settle(&mut self) {
        if !self.taken {
            return;
        }
        self.taken = false;
        let end = self.len + ROOT;
        let last = *self.at(end);
        self.vacate(end);
        if end > ROOT {
            self.sift_down(last);
        }
    }

    /// Puts `entry` at the root, whose old entry is gone, and sifts it
    /// down through the smallest children (vacant slots, past the end,
    /// are never the smallest).
    #[inline(always)]
    fn sift_down(&mut self, entry: Entry<E>) {
        let end = self.len + ROOT;
        let far = self.len >= FAR;
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
            // The smallest of the four, the first on a tie (only vacant
            // slots tie).
            let (a, ka) = if group[1].key < group[0].key {
                (1, group[1].key)
            } else {
                (0, group[0].key)
            };
            let (b, kb) = if group[3].key < group[2].key {
                (3, group[3].key)
            } else {
                (2, group[2].key)
            };
            let (best, key) = if kb < ka { (b, kb) } else { (a, ka) };
            if key >= entry.key {
                break;
            }
            let child = group[best];
            self.set(i, child);
            i = first + best;
        }
        self.set(i, entry);
    }

    /// The smallest key in the heap, if any, without settling it: a taken
    /// root is gone, and every entry left is in the subtree of one of its
    /// four children, so the smallest of those is the smallest left.
    #[inline(always)]
    pub(super) fn min_key(&self) -> Option<u128> {
        if self.len == 0 {
            return None;
        }
        if !self.taken {
            return Some(self.at(ROOT).key);
        }
        // Entries are left, so the root has a child: group 1 exists.
        let g = &self.groups.get(1)?.0;
        Some(g[0].key.min(g[1].key).min(g[2].key.min(g[3].key)))
    }

    /// The entry with the smallest key, if any (the heap is settled).
    #[inline]
    pub(super) fn peek(&self) -> Option<&Entry<E>> {
        debug_assert!(!self.taken, "peek after take without settle");
        (self.len > 0).then(|| self.at(ROOT))
    }

    /// Removes every entry, in no particular order, into `out`.
    pub(super) fn drain_into(&mut self, out: &mut Vec<Entry<E>>) {
        self.settle();
        out.extend((ROOT..ROOT + self.len).map(|e| *self.at(e)));
        self.len = 0;
        self.groups.truncate(1);
        if let Some(g) = self.groups.first_mut() {
            for e in &mut g.0 {
                e.key = VACANT;
            }
        }
    }

    /// Every entry's event, in no particular order (a taken root too).
    pub(super) fn events(&self) -> impl Iterator<Item = &E> {
        let taken = usize::from(self.taken);
        (ROOT..ROOT + self.len + taken).map(|e| &self.at(e).event)
    }

    /// Entries the heap holds before it grows.
    pub(super) fn capacity(&self) -> usize {
        self.groups.capacity() * ARITY
    }

    /// Number of entries.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// True when the heap holds no entry.
    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }
}

//! The far part of the event queue: a hierarchical timing wheel of slots
//! (`time >> SHIFT`), holding every event due in a later slot than the
//! current one.
//!
//! Guarantees: an event is filed by the highest 6-bit digit in which its
//! slot differs from the current slot, so the lowest occupied level's
//! lowest bucket always holds the earliest events ([`Wheel::advance`]);
//! events of one instant always share one bucket; and each bucket keeps
//! its events in scheduling order (an append, and a cascade only ever
//! empties one bucket into empty ones, in order). That last fact is why a
//! bucket entry needs no sequence number: the queue stamps one, in bucket
//! order, when it moves events into its exact heap.
//!
//! Memory: a bucket is a list of fixed chunks of [`CHUNK`] entries, taken
//! from and returned to a pool (shared with the queue's run), so a bucket
//! never copies itself to grow, a drained bucket's chunks are reused at
//! once, and at most one chunk per bucket is partly empty. An entry is 24
//! bytes for a 16-byte event (the heap's are 32).

/// `time >> SHIFT` is an event's slot: 2^18 ns, about 262 µs. A finer slot
/// keeps fewer events in the queue's heap at a time, but refills it more
/// often, and the engine loads the agents of a refill together, so a
/// fuller slot overlaps more of their cache misses. Four builds
/// alternated in one sitting (fast profile): closed_1m 7.66 s at 16, 6.69
/// at 17, 6.68 at 18, 6.72 at 20 (medians of 4); Black Friday within the
/// noise. Instructions at 18 against 16: closed_1m at 10⁵ users −3.8%,
/// Black Friday's first 40 minutes −1.4%.
pub(super) const SHIFT: u32 = 18;
/// Bits of the slot per level: 64 buckets per level.
const BITS: u32 = 6;
const BUCKETS: usize = 1 << BITS;
/// Enough levels for any 64-bit slot.
const LEVELS: usize = 64usize.div_ceil(BITS as usize);
/// Entries per chunk (6 KiB of 24-byte entries).
const CHUNK: usize = 256;

/// Empty chunks for the wheel's buckets and the queue's run. It keeps
/// every chunk given back until [`Pool::free`]: freeing them one by one
/// while others are allocated left the allocator holding both (closed_1m
/// 226 MiB peak instead of 217 with at most 64 kept).
pub(super) struct Pool<E>(Vec<Vec<Timed<E>>>);

impl<E> Pool<E> {
    /// An empty chunk of capacity [`CHUNK`].
    #[inline]
    pub(super) fn take(&mut self) -> Vec<Timed<E>> {
        self.0.pop().unwrap_or_else(|| Vec::with_capacity(CHUNK))
    }

    /// Keeps an emptied chunk for reuse.
    #[inline]
    pub(super) fn give(&mut self, mut chunk: Vec<Timed<E>>) {
        chunk.clear();
        self.0.push(chunk);
    }

    /// Gives every kept chunk back to the allocator.
    pub(super) fn free(&mut self) {
        self.0 = Vec::new();
    }
}

/// An event in the wheel: its time, no sequence number (see the module doc).
#[derive(Clone, Copy)]
pub(super) struct Timed<E> {
    pub(super) time: u64,
    pub(super) event: E,
}

/// Chunks of entries in scheduling order, all full but the last.
type Bucket<E> = Vec<Vec<Timed<E>>>;

/// The timing wheel.
pub(super) struct Wheel<E> {
    /// The current slot: every entry's slot is later.
    now: u64,
    /// Bucket `l * 64 + d` holds the entries whose slot first differs from
    /// `now` in digit `l` (6 bits each, from the least significant), where
    /// their digit is `d`. Empty until the wheel is first entered.
    buckets: Vec<Bucket<E>>,
    /// Bit `d` of `occupied[l]` is set when bucket `l * 64 + d` is nonempty.
    occupied: [u64; LEVELS],
    /// Entries in the wheel.
    len: usize,
    /// Empty chunks, shared with the queue's run.
    pub(super) pool: Pool<E>,
}

impl<E: Copy> Wheel<E> {
    /// An empty wheel; it allocates nothing until [`Wheel::enter`].
    pub(super) fn new() -> Self {
        Wheel {
            now: 0,
            buckets: Vec::new(),
            occupied: [0; LEVELS],
            len: 0,
            pool: Pool(Vec::new()),
        }
    }

    /// Entries in the wheel.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The current slot.
    #[inline]
    pub(super) fn now(&self) -> u64 {
        self.now
    }

    /// Makes `slot` the current slot of an empty wheel.
    pub(super) fn enter(&mut self, slot: u64) {
        debug_assert_eq!(self.len, 0);
        if self.buckets.is_empty() {
            self.buckets.resize_with(LEVELS * BUCKETS, Vec::new);
        }
        self.now = slot;
    }

    /// Files `entry`, whose slot `slot` is later than the current slot.
    #[inline(always)]
    pub(super) fn place(&mut self, entry: Timed<E>, slot: u64) {
        debug_assert!(slot > self.now);
        let level = ((63 - (slot ^ self.now).leading_zeros()) / BITS) as usize;
        let digit = ((slot >> (BITS * level as u32)) as usize) & (BUCKETS - 1);
        self.occupied[level] |= 1 << digit;
        self.len += 1;
        let bucket = &mut self.buckets[level * BUCKETS + digit];
        match bucket.last_mut() {
            Some(chunk) if chunk.len() < chunk.capacity() => chunk.push(entry),
            _ => {
                let mut chunk = self.pool.take();
                chunk.push(entry);
                bucket.push(chunk);
            }
        }
    }

    /// Moves the current slot to the start of the earliest nonempty
    /// bucket and empties that bucket: its entries of the new current
    /// slot go to `near` in scheduling order, the others to lower levels.
    /// Returns how many went to `near`: none on an empty wheel.
    pub(super) fn advance(&mut self, mut near: impl FnMut(Timed<E>)) -> usize {
        let Some(level) = self.occupied.iter().position(|&bits| bits != 0) else {
            return 0;
        };
        let mut moved = 0;
        let digit = self.occupied[level].trailing_zeros();
        self.occupied[level] &= !(1 << digit);
        let low = BITS * level as u32;
        // The digits above `level` stay; this one becomes `digit`, the
        // lower ones zero. Nothing lives below `level`, so no entry moves
        // but this bucket's.
        let above = low + BITS;
        let high = if above >= 64 {
            0
        } else {
            self.now >> above << above
        };
        self.now = high | (u64::from(digit) << low);
        // The bucket's list is taken and put back emptied, its buffer kept:
        // a cascade files entries in lower levels only, never back here.
        let index = level * BUCKETS + digit as usize;
        let mut chunks = std::mem::take(&mut self.buckets[index]);
        if chunks.len() == 1 {
            // Most buckets: one chunk, no list to walk.
            if let Some(chunk) = chunks.pop() {
                moved += self.empty_chunk(chunk, level, &mut near);
            }
        } else {
            for chunk in &mut chunks {
                let chunk = std::mem::take(chunk);
                moved += self.empty_chunk(chunk, level, &mut near);
            }
            // Its chunks were taken: only empty lists are dropped.
            chunks.clear();
        }
        self.buckets[index] = chunks;
        moved
    }

    /// Hands the entries of `chunk`, from a bucket of `level` being
    /// emptied, to `near` (those of the current slot) or to lower levels,
    /// and gives the chunk back; how many went to `near`.
    #[inline(always)]
    fn empty_chunk(
        &mut self,
        chunk: Vec<Timed<E>>,
        level: usize,
        near: &mut impl FnMut(Timed<E>),
    ) -> usize {
        self.len -= chunk.len();
        let mut moved = 0;
        if level == 0 {
            // A level-0 bucket differed from the current slot in its last
            // digit only: all of it is the new current slot's.
            for &entry in &chunk {
                debug_assert_eq!(entry.time >> SHIFT, self.now);
                near(entry);
            }
            moved = chunk.len();
        } else {
            for &entry in &chunk {
                let slot = entry.time >> SHIFT;
                if slot == self.now {
                    near(entry);
                    moved += 1;
                } else {
                    self.place(entry, slot);
                }
            }
        }
        self.pool.give(chunk);
        moved
    }

    /// Empties the wheel, handing every entry to `out`: bucket by bucket,
    /// each in scheduling order.
    pub(super) fn drain(&mut self, mut out: impl FnMut(Timed<E>)) {
        for level in 0..LEVELS {
            while self.occupied[level] != 0 {
                let digit = self.occupied[level].trailing_zeros() as usize;
                self.occupied[level] &= !(1 << digit);
                let mut chunks = std::mem::take(&mut self.buckets[level * BUCKETS + digit]);
                for chunk in chunks.drain(..) {
                    chunk.iter().for_each(|&e| out(e));
                    self.pool.give(chunk);
                }
                self.buckets[level * BUCKETS + digit] = chunks;
            }
        }
        self.len = 0;
    }
}

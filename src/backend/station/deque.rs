//! A double-ended queue in small chunks, for a station's waiting requests.
//!
//! Guarantees: the same order as `std`'s `VecDeque` (push at the back, pop
//! at either end, `retain` keeps order); it never copies what it holds to
//! grow: it adds a chunk of [`CHUNK`] entries, and gives a chunk back as
//! soon as it is emptied, keeping one spare so that a queue breathing
//! across a chunk boundary does not allocate; an emptied queue keeps its
//! lone chunk, so that one which keeps emptying (most stations, most of
//! the time) pushes and pops within it. A `VecDeque` grows by
//! doubling, and each doubling leaves the old block with the allocator:
//! closed_1m's million requests queued at once for `catalog_db` kept
//! about 20 MiB of such blocks resident at the run's peak (211 MiB, 190
//! with chunks).

use std::collections::VecDeque;

/// Entries per chunk.
pub const CHUNK: usize = 32;

/// Entries in order, in chunks.
#[derive(Clone, Debug)]
pub struct ChunkDeque<T> {
    /// Every chunk full but the last; the first is read from `head`. Every
    /// chunk holds at least one entry (an emptied chunk leaves at once),
    /// but a lone chunk, which stays (empty) when the queue empties.
    chunks: VecDeque<Vec<T>>,
    head: usize,
    len: usize,
    spare: Option<Vec<T>>,
}

impl<T> Default for ChunkDeque<T> {
    fn default() -> Self {
        ChunkDeque {
            chunks: VecDeque::new(),
            head: 0,
            len: 0,
            spare: None,
        }
    }
}

impl<T: Copy> ChunkDeque<T> {
    /// An empty queue (allocates nothing).
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there is no entry.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Entries it can hold without allocating: its chunks and the spare.
    pub fn capacity(&self) -> usize {
        self.chunks
            .iter()
            .chain(&self.spare)
            .map(Vec::capacity)
            .sum()
    }

    /// Appends `entry` at the back.
    #[inline]
    pub fn push_back(&mut self, entry: T) {
        self.len += 1;
        match self.chunks.back_mut() {
            Some(c) if c.len() < CHUNK => c.push(entry),
            _ => self.push_chunk(entry),
        }
    }

    /// Appends `entry` in a new back chunk (the spare, if any).
    #[cold]
    #[inline(never)]
    fn push_chunk(&mut self, entry: T) {
        let mut c = self
            .spare
            .take()
            .unwrap_or_else(|| Vec::with_capacity(CHUNK));
        c.push(entry);
        self.chunks.push_back(c);
    }

    /// Removes the front (oldest) entry.
    #[inline]
    pub fn pop_front(&mut self) -> Option<T> {
        let front = self.chunks.front_mut()?;
        let entry = *front.get(self.head)?;
        self.head += 1;
        self.len -= 1;
        if self.head == front.len() {
            self.head = 0;
            if self.len == 0 {
                // A lone chunk stays, empty, for the next push: a queue
                // that keeps emptying does not hand its chunk around.
                front.clear();
            } else {
                self.drop_front();
            }
        }
        Some(entry)
    }

    /// Recycles the emptied front chunk.
    #[cold]
    #[inline(never)]
    fn drop_front(&mut self) {
        if let Some(c) = self.chunks.pop_front() {
            self.recycle(c);
        }
    }

    /// Removes the back (newest) entry.
    #[inline]
    pub fn pop_back(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        let single = self.chunks.len() == 1;
        let back = self.chunks.back_mut()?;
        let entry = back.pop()?;
        self.len -= 1;
        if single {
            // The last chunk is also the first: read from `head`; emptied,
            // it stays for the next push.
            if back.len() == self.head {
                back.clear();
                self.head = 0;
            }
        } else if back.is_empty()
            && let Some(c) = self.chunks.pop_back()
        {
            self.recycle(c);
        }
        Some(entry)
    }

    /// Keeps only the entries for which `keep` holds, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        // Each entry goes round once: from the front to the back if kept.
        for _ in 0..self.len {
            if let Some(entry) = self.pop_front()
                && keep(&entry)
            {
                self.push_back(entry);
            }
        }
    }

    fn recycle(&mut self, mut chunk: Vec<T>) {
        if self.spare.is_none() {
            chunk.clear();
            self.spare = Some(chunk);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    #[test]
    fn behaves_as_a_vecdeque_under_a_random_load() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(7);
        let (mut ours, mut std) = (ChunkDeque::new(), VecDeque::new());
        let (mut next, mut emptied) = (0u32, 0);
        for round in 0..40_000 {
            // Growing phases, then phases that drain it empty again and
            // again (the lone chunk kept and reused).
            let pushes = if (round / 2_000) % 2 == 0 { 5 } else { 3 };
            match rng.random_range(0..10) {
                r if r < pushes => {
                    ours.push_back(next);
                    std.push_back(next);
                    next += 1;
                }
                3..7 => assert_eq!(ours.pop_front(), std.pop_front()),
                7..9 => assert_eq!(ours.pop_back(), std.pop_back()),
                _ if round % 50 == 9 => {
                    let m = rng.random_range(1..5);
                    ours.retain(|x| x % m != 0);
                    std.retain(|x| x % m != 0);
                }
                _ => {}
            }
            assert_eq!(ours.len(), std.len());
            assert_eq!(ours.is_empty(), std.is_empty());
            emptied += usize::from(std.is_empty());
        }
        assert!(emptied > 1_000, "emptied {emptied} times");
        while let Some(x) = std.pop_front() {
            assert_eq!(ours.pop_front(), Some(x));
        }
        assert_eq!((ours.pop_front(), ours.pop_back()), (None, None));
        assert!(ours.capacity() <= 2 * CHUNK, "a lone chunk and the spare");
    }

    #[test]
    fn memory_follows_the_length() {
        let mut q = ChunkDeque::new();
        assert_eq!(q.capacity(), 0);
        for i in 0..10 * CHUNK {
            q.push_back(i);
        }
        assert_eq!(q.capacity(), 10 * CHUNK);
        for _ in 0..9 * CHUNK {
            q.pop_front();
        }
        assert_eq!(q.capacity(), 2 * CHUNK, "one chunk in use, one spare");
        q.push_back(0);
        q.pop_back();
        assert_eq!(q.capacity(), 2 * CHUNK, "breathing across a boundary");
    }
}

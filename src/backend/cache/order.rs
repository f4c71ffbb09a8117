//! The eviction order: which entry goes when the cache is full.
//!
//! Owns the two structures threaded through the slots: a doubly linked
//! recency list (LRU and FIFO; head most recent, tail the victim) and, for
//! LFU, a binary min-heap of slots by (frequency, last use) whose positions
//! live in each slot's `prev`. Guarantees: removing a slot unlinks it from
//! whichever structure its policy uses and frees it, so `len`, `slot_of` and
//! the free list stay consistent; ties in LFU go to the least recently used.

use super::{Cache, NONE, Policy, Slot};

impl Cache {
    pub(super) fn evict(&mut self) {
        let victim = match self.policy {
            Policy::Lru | Policy::Fifo => self.tail,
            Policy::Lfu => self.heap.first().copied().unwrap_or(NONE),
        };
        if victim != NONE {
            self.remove_slot(victim);
            self.stats.evictions += 1;
        }
    }

    pub(super) fn remove_slot(&mut self, slot: u32) {
        match self.policy {
            Policy::Lru | Policy::Fifo => self.unlink(slot),
            Policy::Lfu => self.heap_remove(slot),
        }
        let key = self.slots[slot as usize].key;
        self.slot_of[key as usize] = NONE;
        self.free.push(slot);
        self.len -= 1;
    }

    pub(super) fn push_front(&mut self, slot: u32) {
        let old = self.head;
        {
            let s = &mut self.slots[slot as usize];
            s.prev = NONE;
            s.next = old;
        }
        if old != NONE {
            self.slots[old as usize].prev = slot;
        } else {
            self.tail = slot;
        }
        self.head = slot;
    }

    pub(super) fn unlink(&mut self, slot: u32) {
        let Slot { prev, next, .. } = self.slots[slot as usize];
        if prev != NONE {
            self.slots[prev as usize].next = next;
        } else {
            self.head = next;
        }
        if next != NONE {
            self.slots[next as usize].prev = prev;
        } else {
            self.tail = prev;
        }
    }

    fn lfu_key(&self, slot: u32) -> (u32, u64) {
        let s = &self.slots[slot as usize];
        (self.freq[s.key as usize], s.last_use)
    }

    fn heap_swap(&mut self, a: usize, b: usize) {
        self.heap.swap(a, b);
        let (sa, sb) = (self.heap[a], self.heap[b]);
        self.slots[sa as usize].prev = a as u32;
        self.slots[sb as usize].prev = b as u32;
    }

    pub(super) fn sift_up(&mut self, mut pos: usize) {
        while pos > 0 {
            let parent = (pos - 1) / 2;
            if self.lfu_key(self.heap[pos]) < self.lfu_key(self.heap[parent]) {
                self.heap_swap(pos, parent);
                pos = parent;
            } else {
                break;
            }
        }
    }

    pub(super) fn sift_down(&mut self, mut pos: usize) {
        let n = self.heap.len();
        loop {
            let (l, r) = (2 * pos + 1, 2 * pos + 2);
            let mut min = pos;
            if l < n && self.lfu_key(self.heap[l]) < self.lfu_key(self.heap[min]) {
                min = l;
            }
            if r < n && self.lfu_key(self.heap[r]) < self.lfu_key(self.heap[min]) {
                min = r;
            }
            if min == pos {
                break;
            }
            self.heap_swap(pos, min);
            pos = min;
        }
    }

    fn heap_remove(&mut self, slot: u32) {
        let pos = self.slots[slot as usize].prev as usize;
        let last = self.heap.len() - 1;
        if pos != last {
            self.heap_swap(pos, last);
        }
        self.heap.pop();
        if pos < self.heap.len() {
            self.sift_down(pos);
            self.sift_up(pos);
        }
    }
}

//! The hot fields of every product (price, category, popularity rank,
//! active), read without taking a lock: a product lookup is on the path of
//! every product view, cart line and search result, on every thread, and a
//! read lock's two locked instructions were most of its cost.
//!
//! Guarantees:
//! - a read returns the fields of one committed write, never a mix of two:
//!   each card is a sequence lock (a writer makes its sequence odd, writes,
//!   and makes it even again; a reader retries when the sequence was odd or
//!   moved while it read). Everything is an atomic, so this is safe Rust;
//!   on x86 a read is plain loads;
//! - writers of one card must be serialized by the caller (the catalog
//!   writes a product's card before publishing the product, then only
//!   under the product's shard write lock);
//! - cards live in segments of doubling size that never move once
//!   allocated, so finding a card takes no lock either; an id never
//!   written reads as absent.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering, fence};

use crate::shop::ids::{CategoryId, Cents};

/// Ids below `1 << BASE` are in segment 0; segment `s >= 1` holds ids
/// `1 << (s + BASE - 1)` up to twice that.
const BASE: u32 = 10;
/// Segments for every `u32` id.
const SEGMENTS: usize = (32 - BASE + 1) as usize;

/// A product's hot fields as one value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Card {
    /// Integer cents, `0..=MAX_PRICE_CENTS` (below 2^30).
    pub price: Cents,
    /// The product's category.
    pub category: CategoryId,
    /// Its popularity rank.
    pub rank: u32,
    /// False once deleted.
    pub active: bool,
}

const PRICE_BITS: u32 = 30;
const CATEGORY_SHIFT: u32 = 32;
const ACTIVE: u64 = 1 << 48;
const PRESENT: u64 = 1 << 49;

impl Card {
    fn pack(self) -> u64 {
        debug_assert!((0..1 << PRICE_BITS).contains(&self.price));
        (self.price as u64 & ((1 << PRICE_BITS) - 1))
            | (u64::from(self.category.0) << CATEGORY_SHIFT)
            | if self.active { ACTIVE } else { 0 }
            | PRESENT
    }

    fn unpack(word: u64, rank: u32) -> Option<Card> {
        (word & PRESENT != 0).then_some(Card {
            price: (word & ((1 << PRICE_BITS) - 1)) as Cents,
            category: CategoryId((word >> CATEGORY_SHIFT) as u16),
            rank,
            active: word & ACTIVE != 0,
        })
    }
}

/// One card: a sequence lock over two words.
#[derive(Debug, Default)]
struct Slot {
    seq: AtomicU32,
    rank: AtomicU32,
    word: AtomicU64,
}

/// Every product's card, by id.
#[derive(Debug)]
pub struct Cards {
    segments: [OnceLock<Box<[Slot]>>; SEGMENTS],
}

impl Default for Cards {
    fn default() -> Self {
        Cards {
            segments: std::array::from_fn(|_| OnceLock::new()),
        }
    }
}

/// The segment of `id`, its index there and the segment's size.
#[inline]
fn place(id: u32) -> (usize, usize, usize) {
    if id < 1 << BASE {
        (0, id as usize, 1 << BASE)
    } else {
        let top = 31 - id.leading_zeros();
        (
            (top - BASE + 1) as usize,
            (id - (1 << top)) as usize,
            1 << top,
        )
    }
}

impl Cards {
    /// The card of `id`, if one was written.
    #[inline]
    pub fn get(&self, id: u32) -> Option<Card> {
        let (s, i, _) = place(id);
        let slot = self.segments[s].get()?.get(i)?;
        loop {
            let before = slot.seq.load(Ordering::Acquire);
            if before & 1 == 0 {
                let word = slot.word.load(Ordering::Relaxed);
                let rank = slot.rank.load(Ordering::Relaxed);
                // The data loads above complete before the check below.
                fence(Ordering::Acquire);
                if slot.seq.load(Ordering::Relaxed) == before {
                    return Card::unpack(word, rank);
                }
            }
            std::hint::spin_loop();
        }
    }

    /// Writes the card of `id`. Callers serialize the writers of one id.
    pub fn set(&self, id: u32, card: Card) {
        let (s, i, len) = place(id);
        let segment = self.segments[s].get_or_init(|| (0..len).map(|_| Slot::default()).collect());
        let slot = &segment[i];
        let seq = slot.seq.load(Ordering::Relaxed);
        slot.seq.store(seq.wrapping_add(1), Ordering::Relaxed);
        // Readers that see the data below also see the odd sequence.
        fence(Ordering::Release);
        slot.word.store(card.pack(), Ordering::Relaxed);
        slot.rank.store(card.rank, Ordering::Relaxed);
        slot.seq.store(seq.wrapping_add(2), Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn card(price: Cents, rank: u32) -> Card {
        Card {
            price,
            category: CategoryId(rank as u16),
            rank,
            active: price % 2 == 0,
        }
    }

    #[test]
    fn ids_map_to_disjoint_places_in_their_segments() {
        for id in [
            0,
            1,
            1023,
            1024,
            1025,
            2047,
            2048,
            65_535,
            1 << 31,
            u32::MAX,
        ] {
            let (s, i, len) = place(id);
            assert!(s < SEGMENTS && i < len, "{id}");
        }
        assert_eq!(place(1023), (0, 1023, 1024));
        assert_eq!(place(1024), (1, 0, 1024));
        assert_eq!(place(2048), (2, 0, 2048));
        assert_eq!(place(u32::MAX), (SEGMENTS - 1, (1 << 31) - 1, 1 << 31));
    }

    #[test]
    fn a_card_reads_back_what_was_written_and_absent_ids_read_none() {
        let cards = Cards::default();
        assert_eq!(cards.get(5), None);
        for id in [0, 5, 1024, 70_000] {
            cards.set(id, card(999_999_999, id));
            assert_eq!(cards.get(id), Some(card(999_999_999, id)));
        }
        cards.set(5, card(0, 7));
        assert_eq!(cards.get(5), Some(card(0, 7)));
        assert_eq!(cards.get(6), None);
        assert_eq!(cards.get(1 << 30), None);
    }

    #[test]
    fn concurrent_readers_never_see_a_torn_card() {
        // The writer keeps price == rank; a torn read would break it.
        let cards = Arc::new(Cards::default());
        cards.set(3, card(0, 0));
        let writer = {
            let cards = Arc::clone(&cards);
            std::thread::spawn(move || {
                for v in 1..200_000u32 {
                    cards.set(3, card(Cents::from(v), v));
                }
            })
        };
        let mut seen = 0;
        while !writer.is_finished() || seen == 0 {
            let c = cards.get(3).expect("written");
            assert_eq!(c.price, Cents::from(c.rank));
            assert_eq!(c.category, CategoryId(c.rank as u16));
            seen += 1;
        }
        writer.join().expect("writer");
        assert_eq!(cards.get(3), Some(card(199_999, 199_999)));
    }
}

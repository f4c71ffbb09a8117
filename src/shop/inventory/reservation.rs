//! Reservations: moving units of many SKUs at once.
//!
//! Owns [`Reservation`] and every multi-line move: reserve (on hand →
//! reserved), commit (reserved → sold), release (reserved → on hand) and
//! unsell (sold → on hand). Guarantees: each move locks the shards it needs
//! in ascending shard order, so two multi-line moves can never deadlock;
//! reserve checks every line before touching any, so a failed reservation
//! changes nothing.

use std::sync::MutexGuard;

use super::{Inventory, InventoryError, Shard, StockLine, StockRecord};
use crate::shop::ids::Nanos;

/// Units held for a checkout: commit or release it exactly once.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a reservation that is neither committed nor released leaks stock"]
pub struct Reservation {
    /// Lines sorted by (shard, SKU), duplicates merged.
    lines: Vec<(usize, StockLine)>,
}

impl Reservation {
    /// The reserved lines, sorted by shard then SKU.
    pub fn lines(&self) -> impl Iterator<Item = StockLine> + '_ {
        self.lines.iter().map(|&(_, l)| l)
    }
}

impl Inventory {
    /// Reserves every line or none (see the module docs for the lock order).
    pub fn reserve(&self, lines: &[StockLine]) -> Result<Reservation, InventoryError> {
        let mut sorted = Vec::with_capacity(lines.len());
        for &line in lines {
            if line.qty == 0 {
                return Err(InventoryError::ZeroQuantity);
            }
            sorted.push((self.shard_of(line.product), line));
        }
        sorted.sort_unstable_by_key(|&(shard, l)| (shard, l.product));
        sorted.dedup_by(|next, kept| {
            let same = next.1.product == kept.1.product;
            if same {
                kept.1.qty = kept.1.qty.saturating_add(next.1.qty);
            }
            same
        });
        let mut guards = self.lock_all(&sorted);
        // Check every line before touching any.
        for (g, line) in guarded(&sorted) {
            let rec = guards[g]
                .get(&line.product)
                .ok_or(InventoryError::UnknownSku {
                    product: line.product,
                })?;
            if rec.on_hand < i64::from(line.qty) {
                return Err(InventoryError::OutOfStock {
                    product: line.product,
                    requested: u64::from(line.qty),
                    available: rec.on_hand,
                });
            }
        }
        for (g, line) in guarded(&sorted) {
            if let Some(rec) = guards[g].get_mut(&line.product) {
                rec.on_hand -= i64::from(line.qty);
                rec.reserved += i64::from(line.qty);
            }
        }
        drop(guards);
        Ok(Reservation { lines: sorted })
    }

    /// Turns reserved units into sold units. A sale that leaves nothing on
    /// hand records `now` as the SKU's first sell-out time (once).
    pub fn commit(&self, reservation: Reservation, now: Nanos) {
        self.apply(&reservation.lines, |rec, qty| {
            rec.reserved -= qty;
            rec.sold += qty;
            if rec.on_hand == 0 && rec.first_sold_out_at.is_none() {
                rec.first_sold_out_at = Some(now);
            }
        });
    }

    /// Puts reserved units back on hand.
    pub fn release(&self, reservation: Reservation) {
        self.apply(&reservation.lines, |rec, qty| {
            rec.reserved -= qty;
            rec.on_hand += qty;
        });
    }

    /// Puts sold units back on hand (order cancelled before shipping).
    pub fn unsell(&self, lines: &[StockLine]) {
        let mut sorted: Vec<(usize, StockLine)> = lines
            .iter()
            .map(|&l| (self.shard_of(l.product), l))
            .collect();
        sorted.sort_unstable_by_key(|&(shard, l)| (shard, l.product));
        self.apply(&sorted, |rec, qty| {
            rec.sold -= qty;
            rec.on_hand += qty;
            rec.returned += qty;
        });
    }

    fn apply(&self, sorted: &[(usize, StockLine)], mut f: impl FnMut(&mut StockRecord, i64)) {
        let mut guards = self.lock_all(sorted);
        for (g, line) in guarded(sorted) {
            if let Some(rec) = guards[g].get_mut(&line.product) {
                f(rec, i64::from(line.qty));
            }
        }
    }

    /// Locks the distinct shards of `sorted` (ascending), one guard per shard.
    fn lock_all(&self, sorted: &[(usize, StockLine)]) -> Vec<MutexGuard<'_, Shard>> {
        let mut guards = Vec::with_capacity(sorted.len().min(self.shards.len()));
        let mut last = None;
        for &(shard, _) in sorted {
            if last != Some(shard) {
                guards.push(self.lock(shard));
                last = Some(shard);
            }
        }
        guards
    }
}

/// Each line with the index of the guard covering it in [`Inventory::lock_all`]'s
/// result: the number of shard changes before it.
pub(super) fn guarded(
    sorted: &[(usize, StockLine)],
) -> impl Iterator<Item = (usize, StockLine)> + '_ {
    let mut g = 0;
    sorted.iter().enumerate().map(move |(i, &(shard, line))| {
        if i > 0 && sorted[i - 1].0 != shard {
            g += 1;
        }
        (g, line)
    })
}

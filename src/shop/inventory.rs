//! Inventory: stock per SKU behind sharded locks.
//!
//! Guarantees:
//! - every SKU lives in exactly one of `N` shards (`mix64(sku) % N`), each a
//!   `Mutex`; a single-SKU read or update takes one shard lock;
//! - [`Inventory::reserve`] is all-or-nothing over many lines: it locks every
//!   shard it needs in ascending shard order (so two multi-line reservations
//!   can never deadlock), checks every line, and only then moves units from
//!   *on hand* to *reserved*; a failed reservation changes nothing;
//! - a [`Reservation`] is later either committed (reserved → sold) or
//!   released (reserved → on hand). Both take the shard locks in the same
//!   ascending order;
//! - per SKU, `initial + restocked = on_hand + reserved + sold` after every
//!   operation (invariant I1). `sold` is *net*: units of an order cancelled
//!   before shipping go back on hand ([`Inventory::unsell`]) and are counted
//!   in `returned`;
//! - counters are signed so that a bug shows up as a negative number in the
//!   invariant report instead of wrapping.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, TryLockError};

use super::ids::{FxHashMap, Nanos, ProductId, mix64};

/// Stock counters of one SKU.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StockRecord {
    /// Units at creation.
    pub initial: i64,
    /// Units added by restocks since.
    pub restocked: i64,
    /// Units available to reserve.
    pub on_hand: i64,
    /// Units held by checkouts in progress.
    pub reserved: i64,
    /// Units sold and not returned (net).
    pub sold: i64,
    /// Units of cancelled or refunded-before-shipping orders put back on hand.
    pub returned: i64,
    /// `now` of the first sale that left nothing on hand.
    pub first_sold_out_at: Option<Nanos>,
}

/// One SKU and quantity to reserve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StockLine {
    /// The SKU.
    pub product: ProductId,
    /// Units, at least 1.
    pub qty: u32,
}

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

/// Errors of the inventory service.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InventoryError {
    /// Not enough units on hand.
    #[error(
        "product {product} has {available} unit(s) on hand, {requested} requested: lower the quantity"
    )]
    OutOfStock {
        /// The short SKU.
        product: ProductId,
        /// Units asked for (all lines of this SKU).
        requested: u64,
        /// Units on hand.
        available: i64,
    },
    /// The SKU has no stock record.
    #[error("unknown SKU {product}")]
    UnknownSku {
        /// The SKU.
        product: ProductId,
    },
    /// A quantity of zero.
    #[error("quantity must be at least 1")]
    ZeroQuantity,
    /// The SKU already has a stock record.
    #[error("SKU {product} already has stock")]
    DuplicateSku {
        /// The SKU.
        product: ProductId,
    },
}

impl InventoryError {
    /// The stable snake_case label used in reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::OutOfStock { .. } => "out_of_stock",
            Self::UnknownSku { .. } => "not_found",
            Self::ZeroQuantity | Self::DuplicateSku { .. } => "invalid_input",
        }
    }
}

type Shard = FxHashMap<ProductId, StockRecord>;

/// The inventory service. `Send + Sync`.
#[derive(Debug)]
pub struct Inventory {
    shards: Box<[Mutex<Shard>]>,
    /// Lock acquisitions, and those that found the lock held (contention,
    /// counted without reading a clock).
    acquisitions: AtomicU64,
    contended: AtomicU64,
}

impl Inventory {
    /// An empty inventory with `shards` locks (at least 1).
    pub fn new(shards: usize) -> Self {
        Self {
            shards: (0..shards.max(1))
                .map(|_| Mutex::new(Shard::default()))
                .collect(),
            acquisitions: AtomicU64::new(0),
            contended: AtomicU64::new(0),
        }
    }

    /// Number of shards.
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// The shard holding `sku`.
    pub fn shard_of(&self, sku: ProductId) -> usize {
        // The modulo result is below the shard count, itself a usize.
        (mix64(u64::from(sku.0)) % self.shards.len() as u64) as usize
    }

    fn lock(&self, shard: usize) -> MutexGuard<'_, Shard> {
        self.acquisitions.fetch_add(1, Ordering::Relaxed);
        // A poisoned shard only means another thread panicked while holding it;
        // the counters are updated without panicking in between, so use them.
        match self.shards[shard].try_lock() {
            Ok(guard) => guard,
            Err(TryLockError::Poisoned(e)) => e.into_inner(),
            Err(TryLockError::WouldBlock) => {
                self.contended.fetch_add(1, Ordering::Relaxed);
                self.shards[shard]
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
            }
        }
    }

    /// `(acquisitions, contended)`: how often a shard lock was taken, and
    /// how often it was already held by another thread.
    pub fn lock_counts(&self) -> (u64, u64) {
        (
            self.acquisitions.load(Ordering::Relaxed),
            self.contended.load(Ordering::Relaxed),
        )
    }

    /// Creates the stock record of a new SKU.
    pub fn add_sku(&self, sku: ProductId, initial: u32) -> Result<(), InventoryError> {
        let mut shard = self.lock(self.shard_of(sku));
        if shard.contains_key(&sku) {
            return Err(InventoryError::DuplicateSku { product: sku });
        }
        let initial = i64::from(initial);
        shard.insert(
            sku,
            StockRecord {
                initial,
                on_hand: initial,
                ..StockRecord::default()
            },
        );
        Ok(())
    }

    /// Units on hand for `sku`. Hot path: one shard lock, no allocation.
    pub fn on_hand(&self, sku: ProductId) -> Result<i64, InventoryError> {
        self.record(sku).map(|r| r.on_hand)
    }

    /// All counters of `sku`.
    pub fn record(&self, sku: ProductId) -> Result<StockRecord, InventoryError> {
        self.lock(self.shard_of(sku))
            .get(&sku)
            .copied()
            .ok_or(InventoryError::UnknownSku { product: sku })
    }

    /// Adds `qty` units on hand.
    pub fn restock(&self, sku: ProductId, qty: u32) -> Result<StockRecord, InventoryError> {
        if qty == 0 {
            return Err(InventoryError::ZeroQuantity);
        }
        let mut shard = self.lock(self.shard_of(sku));
        let rec = shard
            .get_mut(&sku)
            .ok_or(InventoryError::UnknownSku { product: sku })?;
        rec.restocked += i64::from(qty);
        rec.on_hand += i64::from(qty);
        Ok(*rec)
    }

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

    /// Every SKU's counters, sorted by SKU.
    pub fn snapshot(&self) -> Vec<(ProductId, StockRecord)> {
        let mut all = Vec::new();
        for shard in 0..self.shards.len() {
            all.extend(self.lock(shard).iter().map(|(&k, &v)| (k, v)));
        }
        all.sort_unstable_by_key(|&(k, _)| k);
        all
    }

    /// Overwrites a SKU's counters, to test the invariant checker.
    #[cfg(test)]
    pub(crate) fn corrupt(&self, sku: ProductId, f: impl FnOnce(&mut StockRecord)) {
        if let Some(rec) = self.lock(self.shard_of(sku)).get_mut(&sku) {
            f(rec);
        }
    }
}

/// Each line with the index of the guard covering it in [`Inventory::lock_all`]'s
/// result: the number of shard changes before it.
fn guarded(sorted: &[(usize, StockLine)]) -> impl Iterator<Item = (usize, StockLine)> + '_ {
    let mut g = 0;
    sorted.iter().enumerate().map(move |(i, &(shard, line))| {
        if i > 0 && sorted[i - 1].0 != shard {
            g += 1;
        }
        (g, line)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn line(p: u32, qty: u32) -> StockLine {
        StockLine {
            product: ProductId(p),
            qty,
        }
    }

    fn inventory(skus: u32, stock: u32) -> Inventory {
        let inv = Inventory::new(4);
        for p in 0..skus {
            inv.add_sku(ProductId(p), stock).unwrap();
        }
        inv
    }

    #[test]
    fn reserve_commit_release_conserve_units() {
        let inv = inventory(3, 10);
        let r = inv.reserve(&[line(0, 4), line(1, 10)]).unwrap();
        assert_eq!(inv.on_hand(ProductId(1)).unwrap(), 0);
        inv.commit(r, 77);
        let rec = inv.record(ProductId(1)).unwrap();
        assert_eq!(
            (rec.on_hand, rec.reserved, rec.sold, rec.first_sold_out_at),
            (0, 0, 10, Some(77))
        );
        let r = inv.reserve(&[line(0, 6)]).unwrap();
        inv.release(r);
        let rec = inv.record(ProductId(0)).unwrap();
        assert_eq!(
            (rec.on_hand, rec.reserved, rec.sold, rec.first_sold_out_at),
            (6, 0, 4, None)
        );
    }

    #[test]
    fn reserve_is_all_or_nothing() {
        let inv = inventory(3, 5);
        let err = inv
            .reserve(&[line(0, 1), line(1, 6), line(2, 1)])
            .unwrap_err();
        assert_eq!(
            err,
            InventoryError::OutOfStock {
                product: ProductId(1),
                requested: 6,
                available: 5
            }
        );
        assert_eq!(err.kind(), "out_of_stock");
        for p in 0..3 {
            assert_eq!(inv.on_hand(ProductId(p)).unwrap(), 5);
        }
        assert_eq!(
            inv.reserve(&[line(0, 1), line(9, 1)]).unwrap_err().kind(),
            "not_found"
        );
        assert_eq!(
            inv.reserve(&[line(0, 0)]).unwrap_err().kind(),
            "invalid_input"
        );
        assert_eq!(inv.on_hand(ProductId(0)).unwrap(), 5);
    }

    #[test]
    fn duplicate_lines_are_merged() {
        let inv = inventory(1, 5);
        assert_eq!(
            inv.reserve(&[line(0, 3), line(0, 3)]).unwrap_err().kind(),
            "out_of_stock"
        );
        let r = inv.reserve(&[line(0, 2), line(0, 3)]).unwrap();
        assert_eq!(r.lines().collect::<Vec<_>>(), vec![line(0, 5)]);
        inv.release(r);
    }

    #[test]
    fn restock_unsell_and_errors() {
        let inv = inventory(1, 2);
        assert_eq!(inv.restock(ProductId(0), 3).unwrap().on_hand, 5);
        assert_eq!(
            inv.restock(ProductId(0), 0).unwrap_err().kind(),
            "invalid_input"
        );
        assert_eq!(
            inv.restock(ProductId(5), 1).unwrap_err().kind(),
            "not_found"
        );
        assert_eq!(
            inv.add_sku(ProductId(0), 1).unwrap_err().kind(),
            "invalid_input"
        );
        let r = inv.reserve(&[line(0, 5)]).unwrap();
        inv.commit(r, 1);
        inv.unsell(&[line(0, 2)]);
        let rec = inv.record(ProductId(0)).unwrap();
        assert_eq!(
            (
                rec.on_hand,
                rec.sold,
                rec.returned,
                rec.initial + rec.restocked
            ),
            (2, 3, 2, 5)
        );
    }

    #[test]
    fn guard_index_counts_shard_changes() {
        let s = [
            (0, line(0, 1)),
            (0, line(1, 1)),
            (2, line(2, 1)),
            (3, line(3, 1)),
        ];
        assert_eq!(
            guarded(&s).map(|(g, _)| g).collect::<Vec<_>>(),
            vec![0, 0, 1, 2]
        );
    }

    #[test]
    fn crossing_multi_line_reservations_do_not_deadlock() {
        let inv = Arc::new(inventory(16, 1_000_000));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let inv = Arc::clone(&inv);
                std::thread::spawn(move || {
                    for i in 0..2_000u32 {
                        // Opposite SKU orders per thread: would deadlock without shard ordering.
                        let (a, b) = if t % 2 == 0 {
                            (i % 16, (i + 5) % 16)
                        } else {
                            ((i + 5) % 16, i % 16)
                        };
                        let r = inv
                            .reserve(&[line(a, 1), line(b, 1), line((a + 9) % 16, 1)])
                            .unwrap();
                        if i % 2 == 0 {
                            inv.commit(r, 0)
                        } else {
                            inv.release(r)
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let total: i64 = inv.snapshot().iter().map(|(_, r)| r.sold).sum();
        assert_eq!(total, 4 * 1_000 * 3);
        assert!(
            inv.snapshot()
                .iter()
                .all(|(_, r)| r.reserved == 0 && r.on_hand + r.sold == r.initial)
        );
    }
}

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
//!
//! The parent holds the stock records, their shards and the single-SKU
//! operations; `reservation` the multi-line moves under ordered shard locks,
//! `error` every refusal.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, TryLockError};

use super::ids::{FxHashMap, Nanos, ProductId, mix64};

mod error;
mod reservation;
#[cfg(test)]
mod tests;

pub use error::InventoryError;
pub use reservation::Reservation;

/// The shard holding `sku` among `shards` (at least one): a fixed hash of
/// the SKU, so the capacity plan can tell which shard a product locks.
pub fn shard_of_sku(sku: u32, shards: usize) -> usize {
    // The modulo result is below the shard count, itself a usize.
    (mix64(u64::from(sku)) % shards.max(1) as u64) as usize
}

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
        shard_of_sku(sku.0, self.shards.len())
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

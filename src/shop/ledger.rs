//! Ledger: a double-entry record of every money movement.
//!
//! Guarantees:
//! - every movement is written as two legs of opposite sign under one lock,
//!   so the ledger sums to zero at every instant a reader can observe
//!   (invariant I8): a capture debits the customer and credits the merchant,
//!   a refund does the reverse;
//! - movements are numbered by one atomic counter; [`Ledger::entries`]
//!   returns them sorted by that number, whatever the shard layout;
//! - the ledger is sharded by payment id, so concurrent checkouts of
//!   different payments do not contend on one lock;
//! - a shard grows in chunks of [`CHUNK`] legs, never by copying what it
//!   holds into a vector twice as large, so a ledger of a million legs
//!   takes a million legs' memory, not up to twice that.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use super::ids::{Cents, CustomerId, Nanos, OrderId, PaymentId};

/// Whose balance a leg changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Account {
    /// The shop.
    Merchant,
    /// A customer.
    Customer(CustomerId),
}

/// Why money moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MovementKind {
    /// Money taken from the customer.
    Capture,
    /// Money given back.
    Refund,
}

/// One leg of a movement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LedgerEntry {
    /// Movement number, shared by its two legs, increasing in record order.
    pub seq: u64,
    /// When it happened.
    pub at: Nanos,
    /// The payment moved.
    pub payment: PaymentId,
    /// The order paid for.
    pub order: Option<OrderId>,
    /// Why.
    pub kind: MovementKind,
    /// Whose balance changes.
    pub account: Account,
    /// Signed change: negative is a debit.
    pub amount_cents: Cents,
}

/// Legs per chunk of a shard (64 KiB of legs).
pub const CHUNK: usize = 1024;

/// One shard's legs, in record order, in chunks of [`CHUNK`].
#[derive(Debug, Default)]
struct Legs {
    chunks: Vec<Vec<LedgerEntry>>,
}

impl Legs {
    fn push(&mut self, leg: LedgerEntry) {
        match self.chunks.last_mut() {
            Some(c) if c.len() < CHUNK => c.push(leg),
            _ => {
                let mut c = Vec::with_capacity(CHUNK);
                c.push(leg);
                self.chunks.push(c);
            }
        }
    }

    fn len(&self) -> usize {
        self.chunks.iter().map(Vec::len).sum()
    }

    fn iter(&self) -> impl Iterator<Item = &LedgerEntry> {
        self.chunks.iter().flatten()
    }
}

/// The ledger. `Send + Sync`.
#[derive(Debug)]
pub struct Ledger {
    shards: Box<[Mutex<Legs>]>,
    seq: AtomicU64,
}

impl Ledger {
    /// An empty ledger with `shards` locks (at least 1).
    pub fn new(shards: usize) -> Self {
        Self {
            shards: (0..shards.max(1))
                .map(|_| Mutex::new(Legs::default()))
                .collect(),
            seq: AtomicU64::new(1),
        }
    }

    /// Records `amount` moving for `payment`: from the customer to the
    /// merchant for a capture, back for a refund.
    pub fn record(
        &self,
        kind: MovementKind,
        customer: CustomerId,
        payment: PaymentId,
        order: Option<OrderId>,
        amount: Cents,
        at: Nanos,
    ) {
        let (from, to) = match kind {
            MovementKind::Capture => (Account::Customer(customer), Account::Merchant),
            MovementKind::Refund => (Account::Merchant, Account::Customer(customer)),
        };
        let shard = (payment.0 % self.shards.len() as u64) as usize;
        // Entries are pushed without panicking in between: a poisoned lock holds consistent data.
        let mut entries = self.shards[shard]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let leg = |account, amount_cents| LedgerEntry {
            seq,
            at,
            payment,
            order,
            kind,
            account,
            amount_cents,
        };
        entries.push(leg(from, -amount));
        entries.push(leg(to, amount));
    }

    /// Every leg, sorted by movement number then account.
    pub fn entries(&self) -> Vec<LedgerEntry> {
        self.with_entries(|legs| legs.iter().map(|&&e| e).collect())
    }

    /// Calls `f` with every leg, sorted by movement number then account,
    /// read in place: every shard stays locked while `f` runs.
    pub fn with_entries<R>(&self, f: impl FnOnce(&[&LedgerEntry]) -> R) -> R {
        let shards: Vec<_> = self
            .shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner))
            .collect();
        let mut all: Vec<&LedgerEntry> = Vec::with_capacity(shards.iter().map(|s| s.len()).sum());
        for shard in &shards {
            all.extend(shard.iter());
        }
        all.sort_unstable_by_key(|e| (e.seq, e.account));
        f(&all)
    }

    /// Appends a single unbalanced leg, to test the invariant checker.
    #[cfg(test)]
    pub(crate) fn corrupt_push(&self, entry: LedgerEntry) {
        self.shards[0]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn movements_balance_and_come_back_in_order() {
        let l = Ledger::new(3);
        l.record(
            MovementKind::Capture,
            CustomerId(4),
            PaymentId(2),
            Some(OrderId(1)),
            1_000,
            5,
        );
        l.record(
            MovementKind::Capture,
            CustomerId(5),
            PaymentId(1),
            None,
            300,
            6,
        );
        l.record(
            MovementKind::Refund,
            CustomerId(4),
            PaymentId(2),
            Some(OrderId(1)),
            1_000,
            7,
        );
        let e = l.entries();
        assert_eq!(e.len(), 6);
        assert_eq!(e.iter().map(|e| e.amount_cents).sum::<Cents>(), 0);
        assert_eq!(
            e.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![1, 1, 2, 2, 3, 3]
        );
        assert_eq!(
            (e[0].account, e[0].amount_cents),
            (Account::Merchant, 1_000)
        );
        assert_eq!(
            (e[1].account, e[1].amount_cents),
            (Account::Customer(CustomerId(4)), -1_000)
        );
        assert_eq!(
            (e[4].account, e[4].amount_cents, e[4].kind),
            (Account::Merchant, -1_000, MovementKind::Refund)
        );
    }
}

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
//! - a movement is stored once, its two legs side by side in 64 bytes (32
//!   a leg: what they share is not repeated, an absent order costs no
//!   extra word); each leg keeps its own account and amount, so an
//!   unbalanced movement stays visible to the invariant checker;
//! - a shard grows in chunks of [`CHUNK`] movements, never by copying what
//!   it holds into a vector twice as large, so a ledger of a million legs
//!   takes a million legs' memory, not up to twice that;
//! - readers get the legs in movement order without a sorted copy: each
//!   shard holds its movements in number order (numbers are drawn under
//!   the shard's lock), and [`Ledger::for_each_entry`] merges the shards.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
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

/// Movements per chunk of a shard (64 KiB).
pub const CHUNK: usize = 1024;

/// Bits of [`Movement::flags`].
const REFUND: u8 = 1;
const HAS_ORDER: u8 = 2;
/// Leg `i`'s account is the merchant's (`MERCHANT << i`).
const MERCHANT: u8 = 4;
/// The movement has a second leg.
const SECOND_LEG: u8 = 16;

/// One movement as stored: what its legs share, then each leg's account
/// and amount. Legs are kept in account order (the order readers get them).
#[derive(Clone, Copy, Debug)]
struct Movement {
    seq: u64,
    at: Nanos,
    payment: u64,
    /// Meaningful when `flags` has [`HAS_ORDER`].
    order: u64,
    amounts: [Cents; 2],
    /// Customer of each leg whose account is not the merchant's.
    customers: [u32; 2],
    flags: u8,
}

impl Movement {
    /// A movement of one leg.
    fn of(leg: &LedgerEntry) -> Self {
        let mut m = Movement {
            seq: leg.seq,
            at: leg.at,
            payment: leg.payment.0,
            order: leg.order.map_or(0, |o| o.0),
            amounts: [leg.amount_cents, 0],
            customers: [0; 2],
            flags: if leg.kind == MovementKind::Refund {
                REFUND
            } else {
                0
            } | if leg.order.is_some() { HAS_ORDER } else { 0 },
        };
        m.set_account(0, leg.account);
        m
    }

    fn set_account(&mut self, i: usize, account: Account) {
        match account {
            Account::Merchant => self.flags |= MERCHANT << i,
            Account::Customer(c) => self.customers[i] = c.0,
        }
    }

    fn legs(&self) -> usize {
        if self.flags & SECOND_LEG != 0 { 2 } else { 1 }
    }

    /// Leg `i` (`i < legs()`).
    fn leg(&self, i: usize) -> LedgerEntry {
        LedgerEntry {
            seq: self.seq,
            at: self.at,
            payment: PaymentId(self.payment),
            order: (self.flags & HAS_ORDER != 0).then_some(OrderId(self.order)),
            kind: if self.flags & REFUND != 0 {
                MovementKind::Refund
            } else {
                MovementKind::Capture
            },
            account: if self.flags & (MERCHANT << i) != 0 {
                Account::Merchant
            } else {
                Account::Customer(CustomerId(self.customers[i]))
            },
            amount_cents: self.amounts[i],
        }
    }

    /// The sort key of leg `i`: movement number, then account.
    fn key(&self, i: usize) -> (u64, Account) {
        (self.seq, self.leg(i).account)
    }
}

/// One shard's movements, in record order, in chunks of [`CHUNK`].
#[derive(Debug, Default)]
struct Legs {
    chunks: Vec<Vec<Movement>>,
}

impl Legs {
    fn push(&mut self, m: Movement) {
        match self.chunks.last_mut() {
            Some(c) if c.len() < CHUNK => c.push(m),
            _ => {
                let mut c = Vec::with_capacity(CHUNK);
                c.push(m);
                self.chunks.push(c);
            }
        }
    }

    fn iter(&self) -> impl Iterator<Item = &Movement> {
        self.chunks.iter().flatten()
    }

    /// Every leg in this shard's order.
    fn legs(&self) -> impl Iterator<Item = LedgerEntry> + '_ {
        self.iter().flat_map(|m| (0..m.legs()).map(|i| m.leg(i)))
    }

    /// Whether the legs come in (movement number, account) order, as
    /// [`Ledger::record`] keeps them (only a test's stray leg breaks it).
    fn is_sorted(&self) -> bool {
        let mut keys = self.iter().flat_map(|m| (0..m.legs()).map(|i| m.key(i)));
        let Some(mut last) = keys.next() else {
            return true;
        };
        keys.all(|k| std::mem::replace(&mut last, k) <= k)
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
        // The movement is pushed whole: a poisoned lock holds consistent data.
        let mut legs = self.shards[shard]
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
        // Legs in account order (the merchant's first).
        let (first, second) = if from <= to {
            (leg(from, -amount), (to, amount))
        } else {
            (leg(to, amount), (from, -amount))
        };
        let mut m = Movement::of(&first);
        m.set_account(1, second.0);
        m.amounts[1] = second.1;
        m.flags |= SECOND_LEG;
        legs.push(m);
    }

    /// Every leg, sorted by movement number then account.
    pub fn entries(&self) -> Vec<LedgerEntry> {
        let mut all = Vec::new();
        self.for_each_entry(|e| all.push(e));
        all
    }

    /// Calls `f` with every leg, sorted by movement number then account,
    /// read in place: every shard stays locked while it runs. The shards
    /// are merged (each is in order), not copied and sorted.
    pub fn for_each_entry(&self, mut f: impl FnMut(LedgerEntry)) {
        let shards: Vec<_> = self
            .shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner))
            .collect();
        if !shards.iter().all(|s| s.is_sorted()) {
            // A stray leg out of order (a test's corruption): sort a copy.
            let mut all: Vec<LedgerEntry> = shards.iter().flat_map(|s| s.legs()).collect();
            all.sort_by_key(|e| (e.seq, e.account));
            all.into_iter().for_each(f);
            return;
        }
        let mut cursors: Vec<_> = shards.iter().map(|s| s.legs().peekable()).collect();
        let mut next: BinaryHeap<Reverse<((u64, Account), usize)>> = cursors
            .iter_mut()
            .enumerate()
            .filter_map(|(i, c)| c.peek().map(|e| Reverse(((e.seq, e.account), i))))
            .collect();
        while let Some(Reverse((_, i))) = next.pop() {
            let cursor = &mut cursors[i];
            if let Some(e) = cursor.next() {
                f(e);
            }
            if let Some(e) = cursor.peek() {
                next.push(Reverse(((e.seq, e.account), i)));
            }
        }
    }

    /// Appends a single unbalanced leg, to test the invariant checker.
    #[cfg(test)]
    pub(crate) fn corrupt_push(&self, entry: LedgerEntry) {
        self.shards[0]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Movement::of(&entry));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_movement_takes_64_bytes() {
        assert_eq!(std::mem::size_of::<Movement>(), 64);
    }

    #[test]
    fn a_stray_leg_out_of_order_is_still_read_in_order() {
        let l = Ledger::new(2);
        l.record(
            MovementKind::Capture,
            CustomerId(4),
            PaymentId(2),
            None,
            100,
            5,
        );
        l.record(
            MovementKind::Refund,
            CustomerId(4),
            PaymentId(2),
            Some(OrderId(7)),
            100,
            6,
        );
        let stray = LedgerEntry {
            seq: 1,
            at: 0,
            payment: PaymentId(9),
            order: Some(OrderId(3)),
            kind: MovementKind::Refund,
            account: Account::Customer(CustomerId(1)),
            amount_cents: -3,
        };
        l.corrupt_push(stray);
        let e = l.entries();
        assert_eq!(
            e.iter()
                .map(|e| (e.seq, e.account, e.amount_cents))
                .collect::<Vec<_>>(),
            vec![
                (1, Account::Merchant, 100),
                (1, Account::Customer(CustomerId(1)), -3),
                (1, Account::Customer(CustomerId(4)), -100),
                (2, Account::Merchant, -100),
                (2, Account::Customer(CustomerId(4)), 100),
            ]
        );
        assert_eq!(e[1], stray, "every field of a stray leg comes back");
        assert_eq!((e[3].order, e[0].order), (Some(OrderId(7)), None));
    }

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

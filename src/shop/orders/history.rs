//! An order's status history, kept inside the order.
//!
//! Guarantees: a [`History`] holds any sequence of [`StatusChange`]s in the
//! order they were pushed (the invariant checker must see whatever a bug
//! wrote). Up to [`INLINE`] entries live inside the order, packed (times,
//! then statuses: 40 bytes, no allocation); a longer history moves to the
//! heap. Every path of the state machine fits inline but the longest one,
//! created → paid → shipped → delivered → refunded, so a history allocates
//! only for an order that was delivered and then refunded (at Black
//! Friday's 307k orders, a history `Vec` cost 64 bytes of heap per order on
//! top of its 24 in the order).

use std::fmt;

use super::{OrderStatus, StatusChange};
use crate::shop::ids::Nanos;

/// Entries kept inline.
pub const INLINE: usize = 4;

/// The states an order entered, oldest first, with their times.
#[derive(Clone)]
pub struct History(Repr);

#[derive(Clone)]
enum Repr {
    /// The first `len` entries of `at` and `status` (the rest hold
    /// `0` and `created`).
    Inline {
        at: [Nanos; INLINE],
        status: [OrderStatus; INLINE],
        len: u8,
    },
    /// More than [`INLINE`] entries.
    Heap(Vec<StatusChange>),
}

impl History {
    /// A history of one entry.
    pub fn new(first: StatusChange) -> Self {
        let mut at = [0; INLINE];
        let mut status = [OrderStatus::Created; INLINE];
        at[0] = first.at;
        status[0] = first.status;
        History(Repr::Inline { at, status, len: 1 })
    }

    /// Appends `change`.
    pub fn push(&mut self, change: StatusChange) {
        match &mut self.0 {
            Repr::Inline { at, status, len } if usize::from(*len) < INLINE => {
                let i = usize::from(*len);
                at[i] = change.at;
                status[i] = change.status;
                *len += 1;
            }
            Repr::Inline { .. } => {
                let mut all = Vec::with_capacity(INLINE * 2);
                all.extend(self.iter());
                all.push(change);
                self.0 = Repr::Heap(all);
            }
            Repr::Heap(all) => all.push(change),
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Inline { len, .. } => usize::from(*len),
            Repr::Heap(all) => all.len(),
        }
    }

    /// True when the history has no entry (never for an order's).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entry `i`, oldest first.
    pub fn get(&self, i: usize) -> Option<StatusChange> {
        match &self.0 {
            Repr::Inline { at, status, len } if i < usize::from(*len) => Some(StatusChange {
                status: status[i],
                at: at[i],
            }),
            Repr::Inline { .. } => None,
            Repr::Heap(all) => all.get(i).copied(),
        }
    }

    /// The first entry.
    pub fn first(&self) -> Option<StatusChange> {
        self.get(0)
    }

    /// The latest entry.
    pub fn last(&self) -> Option<StatusChange> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }

    /// Every entry, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = StatusChange> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// Rewrites entry `i` (if it exists), to test the invariant checker.
    #[cfg(test)]
    pub(crate) fn set(&mut self, i: usize, change: StatusChange) {
        match &mut self.0 {
            Repr::Inline { at, status, len } if i < usize::from(*len) => {
                at[i] = change.at;
                status[i] = change.status;
            }
            Repr::Inline { .. } => {}
            Repr::Heap(all) => {
                if let Some(c) = all.get_mut(i) {
                    *c = change;
                }
            }
        }
    }
}

/// Equal when the entries are, whether inline or not.
impl PartialEq for History {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for History {}

/// The entries, as a list.
impl fmt::Debug for History {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus::*;

    fn change(status: OrderStatus, at: Nanos) -> StatusChange {
        StatusChange { status, at }
    }

    #[test]
    fn entries_come_back_in_order_inline_and_on_the_heap() {
        assert_eq!(std::mem::size_of::<History>(), 40);
        let path = [
            change(Created, 1),
            change(Paid, 2),
            change(Shipped, 3),
            change(Delivered, 4),
            change(Refunded, 5),
            change(Paid, 0),
        ];
        let mut h = History::new(path[0]);
        for n in 1..=path.len() {
            assert_eq!(h.len(), n);
            assert_eq!(h.iter().collect::<Vec<_>>(), path[..n]);
            assert_eq!((h.first(), h.last()), (Some(path[0]), Some(path[n - 1])));
            assert_eq!((h.get(n - 1), h.get(n)), (Some(path[n - 1]), None));
            if let Some(&next) = path.get(n) {
                h.push(next);
            }
        }
        assert!(matches!(h.0, Repr::Heap(_)), "past {INLINE} entries");
        h.set(2, change(Shipped, 0));
        assert_eq!(h.get(2), Some(change(Shipped, 0)));
        let mut short = History::new(path[0]);
        short.set(1, path[1]);
        assert_eq!(short.len(), 1, "no entry 1 to rewrite");
        assert_ne!(short, h);
        assert_eq!(
            format!("{short:?}"),
            "[StatusChange { status: Created, at: 1 }]"
        );
    }
}

//! Orders: the order state machine, status history and lookups.
//!
//! Guarantees:
//! - an order starts `created` and only moves along the edges of
//!   [`OrderStatus::can_become`]; any other transition is refused with
//!   `illegal_transition` and changes nothing; `cancelled` and `refunded` are
//!   terminal (invariant I10);
//! - a transition is checked and applied under the order's map entry, so two
//!   admins cancelling the same order concurrently cannot both succeed (and
//!   both refund);
//! - every transition appends `(status, at)` to the history, where `at` is
//!   `now` or, if `now` is earlier than the previous entry, the previous
//!   entry's time: callers on different threads read their clock before
//!   taking the order's lock, and a history must never go back in time;
//! - counts per status are kept in atomics for the business report;
//! - `created` is transient (only inside a checkout); every other state is
//!   stable, so after a drain no order may be `created` (invariant I12).
//!
//! | from | legal next states |
//! |---|---|
//! | created | awaiting_payment (cash on delivery), paid, cancelled (checkout failed) |
//! | awaiting_payment | shipped, cancelled |
//! | paid | shipped, cancelled, refunded |
//! | shipped | delivered, cancelled (cash on delivery refused at the door), refunded |
//! | delivered | refunded |
//! | cancelled, refunded | — (terminal) |

use std::sync::atomic::{AtomicU64, Ordering};

mod history;

pub use history::History;

use super::coupons::RedemptionTicket;
use super::dense::DenseTable;
use super::ids::{CustomerId, FxDashMap, Nanos, OrderId, PaymentId, new_map};
use super::pricing::{PriceBreakdown, PricedLine};
use super::strategies::PaymentMethodKind;

/// Where an order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OrderStatus {
    /// Inside a checkout, payment not settled yet (transient).
    Created,
    /// Cash on delivery: accepted, to be paid to the courier.
    AwaitingPayment,
    /// Money captured.
    Paid,
    /// Handed to the carrier.
    Shipped,
    /// Received by the customer (cash on delivery: paid now).
    Delivered,
    /// Cancelled: stock, coupon and money given back (terminal).
    Cancelled,
    /// Money given back after payment (terminal).
    Refunded,
}

impl OrderStatus {
    /// Every status, in state-machine order.
    pub const ALL: [Self; 7] = [
        Self::Created,
        Self::AwaitingPayment,
        Self::Paid,
        Self::Shipped,
        Self::Delivered,
        Self::Cancelled,
        Self::Refunded,
    ];

    /// Stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::AwaitingPayment => "awaiting_payment",
            Self::Paid => "paid",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
            Self::Refunded => "refunded",
        }
    }

    /// Whether `self → next` is an edge of the state machine.
    pub fn can_become(self, next: Self) -> bool {
        use OrderStatus::*;
        matches!(
            (self, next),
            (Created, AwaitingPayment | Paid | Cancelled)
                | (AwaitingPayment, Shipped | Cancelled)
                | (Paid, Shipped | Cancelled | Refunded)
                | (Shipped, Delivered | Cancelled | Refunded)
                | (Delivered, Refunded)
        )
    }

    /// No transition leaves this state.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Cancelled | Self::Refunded)
    }

    /// Every state but `created` is stable (may remain after a run).
    pub fn is_stable(self) -> bool {
        self != Self::Created
    }

    /// Whether an order in this state has its money with the merchant:
    /// paid, delivered, or shipped when `prepaid` (cash on delivery is
    /// collected at delivery).
    pub fn is_paid(self, prepaid: bool) -> bool {
        match self {
            Self::Paid | Self::Delivered => true,
            Self::Shipped => prepaid,
            _ => false,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One entry of an order's history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusChange {
    /// The state entered.
    pub status: OrderStatus,
    /// When.
    pub at: Nanos,
}

/// What a checkout records to create an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOrder {
    /// The buyer.
    pub customer: CustomerId,
    /// Lines at the prices charged.
    pub lines: Vec<PricedLine>,
    /// The amounts charged.
    pub pricing: PriceBreakdown,
    /// The coupon redemption paying part of it.
    pub coupon: Option<RedemptionTicket>,
    /// The payment.
    pub payment: PaymentId,
    /// The payment method.
    pub method: PaymentMethodKind,
    /// The checkout's idempotency key.
    pub idempotency_key: u64,
}

/// An order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    /// Its id.
    pub id: OrderId,
    /// What was recorded at creation.
    pub details: NewOrder,
    /// Current state.
    pub status: OrderStatus,
    /// Every state entered, oldest first, starting with `created`.
    pub history: History,
    /// The order's units count as sold in the inventory.
    pub stock_held: bool,
}

/// Errors of the order service.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// No order has this id.
    #[error("unknown order {order}")]
    UnknownOrder {
        /// The id.
        order: OrderId,
    },
    /// Not an edge of the state machine.
    #[error("order {order} cannot go from {} to {}", from.as_str(), to.as_str())]
    IllegalTransition {
        /// The order.
        order: OrderId,
        /// Its state.
        from: OrderStatus,
        /// The requested state.
        to: OrderStatus,
    },
    /// An edge of the state machine that this order may not take.
    #[error("order {order} cannot become {}: {reason}", to.as_str())]
    NotAllowed {
        /// The order.
        order: OrderId,
        /// The requested state.
        to: OrderStatus,
        /// Why not, and what to do instead.
        reason: &'static str,
    },
}

impl OrderError {
    /// The stable snake_case label used in reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::UnknownOrder { .. } => "not_found",
            Self::IllegalTransition { .. } | Self::NotAllowed { .. } => "illegal_transition",
        }
    }
}

/// The order service. `Send + Sync`.
#[derive(Debug)]
pub struct Orders {
    orders: DenseTable<Order>,
    by_customer: FxDashMap<CustomerId, Vec<OrderId>>,
    next_id: AtomicU64,
    counts: [AtomicU64; 7],
}

impl Default for Orders {
    fn default() -> Self {
        Self {
            orders: DenseTable::default(),
            by_customer: new_map(),
            next_id: AtomicU64::new(1),
            counts: Default::default(),
        }
    }
}

impl Orders {
    /// Records a new order in state `created`.
    pub fn create(&self, details: NewOrder, now: Nanos) -> OrderId {
        let id = OrderId(self.next_id.fetch_add(1, Ordering::Relaxed));
        let customer = details.customer;
        let order = Order {
            id,
            details,
            status: OrderStatus::Created,
            history: History::new(StatusChange {
                status: OrderStatus::Created,
                at: now,
            }),
            stock_held: false,
        };
        self.orders.insert(id.0, order);
        self.by_customer.entry(customer).or_default().push(id);
        self.counts[OrderStatus::Created.index()].fetch_add(1, Ordering::Relaxed);
        id
    }

    /// Moves `order` to `to` if the edge exists and `f` agrees. `f` runs under
    /// the order's lock before the change: it must either fail without
    /// touching the order or succeed (it may update `stock_held`).
    pub fn transition<R>(
        &self,
        order: OrderId,
        to: OrderStatus,
        now: Nanos,
        f: impl FnOnce(&mut Order) -> Result<R, OrderError>,
    ) -> Result<R, OrderError> {
        self.orders
            .write(order.0, |o| {
                let from = o.status;
                if !from.can_become(to) {
                    return Err(OrderError::IllegalTransition { order, from, to });
                }
                let r = f(o)?;
                let at = o.history.last().map_or(now, |last| now.max(last.at));
                o.status = to;
                o.history.push(StatusChange { status: to, at });
                self.counts[from.index()].fetch_sub(1, Ordering::Relaxed);
                self.counts[to.index()].fetch_add(1, Ordering::Relaxed);
                Ok(r)
            })
            .ok_or(OrderError::UnknownOrder { order })?
    }

    /// A copy of the order.
    pub fn get(&self, order: OrderId) -> Result<Order, OrderError> {
        self.orders
            .read(order.0, Order::clone)
            .ok_or(OrderError::UnknownOrder { order })
    }

    /// The order's state. Allocation-free.
    pub fn status(&self, order: OrderId) -> Result<OrderStatus, OrderError> {
        self.orders
            .read(order.0, |o| o.status)
            .ok_or(OrderError::UnknownOrder { order })
    }

    /// A customer's orders, oldest first.
    pub fn of_customer(&self, customer: CustomerId) -> Vec<OrderId> {
        let mut ids = self
            .by_customer
            .get(&customer)
            .map(|v| v.clone())
            .unwrap_or_default();
        ids.sort_unstable();
        ids
    }

    /// Number of orders per status, in [`OrderStatus::ALL`] order.
    pub fn status_counts(&self) -> [(OrderStatus, u64); 7] {
        OrderStatus::ALL.map(|s| (s, self.counts[s.index()].load(Ordering::Relaxed)))
    }

    /// Number of orders for which `f` holds.
    pub fn count(&self, f: impl Fn(&Order) -> bool) -> u64 {
        self.orders
            .with_all(|all| all.iter().filter(|o| f(o)).count() as u64)
    }

    /// Calls `f` with every order, sorted by id, read in place: the
    /// orders stay read-locked while `f` runs, so call it when no thread
    /// writes orders (after a drain).
    pub fn with_all<R>(&self, f: impl FnOnce(&[&Order]) -> R) -> R {
        self.orders.with_all(f)
    }

    /// Every order, sorted by id.
    pub fn all(&self) -> Vec<Order> {
        self.orders
            .with_all(|all| all.iter().map(|&o| o.clone()).collect())
    }

    /// Rewrites an order, to test the invariant checker.
    #[cfg(test)]
    pub(crate) fn corrupt(&self, order: OrderId, f: impl FnOnce(&mut Order)) {
        self.orders.write(order.0, f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus::*;

    fn new_order(customer: u32) -> NewOrder {
        NewOrder {
            customer: CustomerId(customer),
            lines: Vec::new(),
            pricing: PriceBreakdown::default(),
            coupon: None,
            payment: PaymentId(1),
            method: PaymentMethodKind::Card,
            idempotency_key: 0,
        }
    }

    #[test]
    fn an_order_takes_160_bytes_in_its_table() {
        // 307k orders at Black Friday: each 8 bytes here is 2.5 MB.
        assert_eq!(std::mem::size_of::<Option<Order>>(), 160);
    }

    #[test]
    fn state_machine_table() {
        let legal: Vec<(OrderStatus, OrderStatus)> = OrderStatus::ALL
            .iter()
            .flat_map(|&a| OrderStatus::ALL.iter().map(move |&b| (a, b)))
            .filter(|&(a, b)| a.can_become(b))
            .collect();
        assert_eq!(legal.len(), 12);
        assert!(
            OrderStatus::ALL
                .iter()
                .filter(|s| s.is_terminal())
                .all(|&t| OrderStatus::ALL.iter().all(|&n| !t.can_become(n)))
        );
        assert!(!Created.is_stable() && Delivered.is_stable() && !Delivered.is_terminal());
        assert!(
            !Delivered.can_become(Cancelled) && !Paid.can_become(Created) && !Paid.can_become(Paid)
        );
    }

    #[test]
    fn transitions_record_history_and_counts() {
        let orders = Orders::default();
        let id = orders.create(new_order(4), 10);
        orders.transition(id, Paid, 11, |_| Ok(())).unwrap();
        orders.transition(id, Shipped, 12, |_| Ok(())).unwrap();
        let err = orders.transition(id, Paid, 13, |_| Ok(())).unwrap_err();
        assert_eq!(
            err,
            OrderError::IllegalTransition {
                order: id,
                from: Shipped,
                to: Paid
            }
        );
        assert_eq!(err.kind(), "illegal_transition");
        assert_eq!(err.to_string(), "order 1 cannot go from shipped to paid");
        let o = orders.get(id).unwrap();
        assert_eq!(
            o.history
                .iter()
                .map(|h| (h.status, h.at))
                .collect::<Vec<_>>(),
            vec![(Created, 10), (Paid, 11), (Shipped, 12)]
        );
        let counts = orders.status_counts();
        assert_eq!((counts[0], counts[3]), ((Created, 0), (Shipped, 1)));
    }

    #[test]
    fn a_refusing_guard_changes_nothing() {
        let orders = Orders::default();
        let id = orders.create(new_order(4), 10);
        let err = orders
            .transition(id, Cancelled, 11, |_| -> Result<(), _> {
                Err(OrderError::NotAllowed {
                    order: id,
                    to: Cancelled,
                    reason: "test",
                })
            })
            .unwrap_err();
        assert_eq!(err.kind(), "illegal_transition");
        assert_eq!(orders.status(id).unwrap(), Created);
        assert_eq!(orders.get(id).unwrap().history.len(), 1);
        assert_eq!(orders.status(OrderId(99)).unwrap_err().kind(), "not_found");
    }

    #[test]
    fn a_late_clock_reading_never_rewinds_the_history() {
        let orders = Orders::default();
        let id = orders.create(new_order(4), 50);
        orders.transition(id, Paid, 40, |_| Ok(())).unwrap();
        assert_eq!(
            orders.get(id).unwrap().history.get(1).unwrap(),
            StatusChange {
                status: Paid,
                at: 50
            }
        );
    }

    #[test]
    fn lookup_by_customer() {
        let orders = Orders::default();
        let a = orders.create(new_order(1), 0);
        let _ = orders.create(new_order(2), 0);
        let c = orders.create(new_order(1), 0);
        assert_eq!(orders.of_customer(CustomerId(1)), vec![a, c]);
        assert!(orders.of_customer(CustomerId(3)).is_empty());
        assert_eq!(orders.all().len(), 3);
    }
}

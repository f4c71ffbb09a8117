//! The order desk: which order each fulfilment operation of the admins
//! works on.
//!
//! Every order a checkout places joins the desk, waiting for shipment.
//! `ship_order` takes the oldest order waiting, `deliver_order` the oldest
//! shipped one, `cancel_order` the newest order waiting (customers change
//! their minds soon after ordering) and `refund_order` a delivered order
//! drawn uniformly (a return). An order is in at most one queue and an
//! operation takes it out before acting on it, so two operations never act
//! on the same order, even from many threads. The desk only chooses; the
//! shop's order state machine decides what is allowed.
//!
//! The queues are filled in checkout order, so on the virtual clock the
//! choices are a function of the scenario and seed.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use crate::contract::action::Action;
use crate::shop::OrderId;

/// A fulfilment step the desk hands out work for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Task {
    /// Ship the oldest order waiting for shipment.
    Ship,
    /// Deliver the oldest shipped order.
    Deliver,
    /// Cancel the newest order waiting for shipment.
    Cancel,
    /// Refund a delivered order.
    Refund,
}

impl Task {
    /// The fulfilment step admin operation `op` performs, if it is one.
    pub fn of(op: Action) -> Option<Task> {
        match op {
            Action::ShipOrder => Some(Task::Ship),
            Action::DeliverOrder => Some(Task::Deliver),
            Action::CancelOrder => Some(Task::Cancel),
            Action::RefundOrder => Some(Task::Refund),
            _ => None,
        }
    }
}

#[derive(Debug, Default)]
struct Queues {
    to_ship: VecDeque<OrderId>,
    shipped: VecDeque<OrderId>,
    delivered: Vec<OrderId>,
}

/// Orders by fulfilment stage (see the module docs).
#[derive(Debug, Default)]
pub struct OrderDesk {
    queues: Mutex<Queues>,
}

impl OrderDesk {
    /// A poisoned lock only means another thread panicked between two
    /// queue operations, each of which leaves the queues consistent.
    fn lock(&self) -> MutexGuard<'_, Queues> {
        self.queues.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A checkout placed `order`: it waits for shipment.
    pub fn placed(&self, order: OrderId) {
        self.lock().to_ship.push_back(order);
    }

    /// Takes the order `task` should act on, if any; `roll` in `[0, 1)`
    /// chooses among delivered orders for a refund.
    pub fn take(&self, task: Task, roll: f64) -> Option<OrderId> {
        let mut q = self.lock();
        match task {
            Task::Ship => q.to_ship.pop_front(),
            Task::Deliver => q.shipped.pop_front(),
            Task::Cancel => q.to_ship.pop_back(),
            Task::Refund => {
                let n = q.delivered.len();
                if n == 0 {
                    return None;
                }
                let i = ((roll * n as f64) as usize).min(n - 1);
                Some(q.delivered.swap_remove(i))
            }
        }
    }

    /// `task` succeeded on `order`: it moves to its next stage (cancelled
    /// and refunded orders leave the desk).
    pub fn done(&self, task: Task, order: OrderId) {
        let mut q = self.lock();
        match task {
            Task::Ship => q.shipped.push_back(order),
            Task::Deliver => q.delivered.push(order),
            Task::Cancel | Task::Refund => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_move_through_the_stages_in_order() {
        let desk = OrderDesk::default();
        for i in 1..=4 {
            desk.placed(OrderId(i));
        }
        // Oldest shipped first, newest cancelled.
        assert_eq!(desk.take(Task::Ship, 0.0), Some(OrderId(1)));
        assert_eq!(desk.take(Task::Cancel, 0.0), Some(OrderId(4)));
        assert_eq!(desk.take(Task::Deliver, 0.0), None, "nothing shipped yet");
        desk.done(Task::Ship, OrderId(1));
        assert_eq!(desk.take(Task::Refund, 0.0), None, "nothing delivered yet");
        assert_eq!(desk.take(Task::Deliver, 0.0), Some(OrderId(1)));
        desk.done(Task::Deliver, OrderId(1));
        assert_eq!(desk.take(Task::Refund, 0.99), Some(OrderId(1)));
        assert_eq!(desk.take(Task::Refund, 0.0), None, "refunded orders leave");
        // What is left waiting: 2 then 3.
        assert_eq!(desk.take(Task::Ship, 0.0), Some(OrderId(2)));
        assert_eq!(desk.take(Task::Ship, 0.0), Some(OrderId(3)));
        assert_eq!(desk.take(Task::Ship, 0.0), None);
    }

    #[test]
    fn a_refund_draws_among_delivered_orders() {
        let desk = OrderDesk::default();
        for i in 0..3 {
            desk.placed(OrderId(i));
            let o = desk.take(Task::Ship, 0.0);
            assert_eq!(o, Some(OrderId(i)));
            desk.done(Task::Ship, OrderId(i));
            assert_eq!(desk.take(Task::Deliver, 0.0), Some(OrderId(i)));
            desk.done(Task::Deliver, OrderId(i));
        }
        assert_eq!(desk.take(Task::Refund, 0.5), Some(OrderId(1)));
        assert_eq!(desk.take(Task::Refund, 0.99), Some(OrderId(2)));
        assert_eq!(desk.take(Task::Refund, 0.99), Some(OrderId(0)));
    }
}

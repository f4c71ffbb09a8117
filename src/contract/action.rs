//! The operations of the shop, in report order: the actions a customer can
//! take, then the operations the shop's admins perform in the background.

use std::fmt;

/// One customer action; each is an operation in the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Action {
    /// The landing page.
    Home,
    /// A category listing page.
    Browse,
    /// A text search.
    Search,
    /// A product detail page.
    ViewProduct,
    /// Put a product in the cart.
    AddToCart,
    /// Look at the cart with prices.
    ViewCart,
    /// Log in if needed and buy the cart.
    Checkout,
    /// Look up one's orders.
    OrderStatus,
    /// Admin: restock a product.
    Restock,
    /// Admin: change a product's price.
    PriceChange,
    /// Admin: create a coupon.
    CreateCoupon,
    /// Admin: hand the oldest order waiting for shipment to the carrier.
    ShipOrder,
    /// Admin: mark the oldest shipped order delivered (cash on delivery is
    /// collected then).
    DeliverOrder,
    /// Admin: cancel an order not yet shipped, at its customer's request.
    CancelOrder,
    /// Admin: refund a delivered order (a return).
    RefundOrder,
}

/// Number of operations (customer actions and admin operations).
pub const N_ACTIONS: usize = 15;
/// Number of customer actions (the first ones).
pub const N_CUSTOMER_ACTIONS: usize = 8;

/// The name of the pseudo-action that ends a session.
pub const LEAVE: &str = "leave";

impl Action {
    /// Every operation, in report order.
    pub const ALL: [Action; N_ACTIONS] = [
        Action::Home,
        Action::Browse,
        Action::Search,
        Action::ViewProduct,
        Action::AddToCart,
        Action::ViewCart,
        Action::Checkout,
        Action::OrderStatus,
        Action::Restock,
        Action::PriceChange,
        Action::CreateCoupon,
        Action::ShipOrder,
        Action::DeliverOrder,
        Action::CancelOrder,
        Action::RefundOrder,
    ];

    /// The admin operations (the last ones of [`Action::ALL`]).
    pub const ADMIN: &'static [Action] = Action::ALL.split_at(N_CUSTOMER_ACTIONS).1;

    /// True for the background operations of admins.
    pub const fn is_admin(self) -> bool {
        self as usize >= N_CUSTOMER_ACTIONS
    }

    /// The scenario and report name.
    pub const fn name(self) -> &'static str {
        match self {
            Action::Home => "home",
            Action::Browse => "browse",
            Action::Search => "search",
            Action::ViewProduct => "view_product",
            Action::AddToCart => "add_to_cart",
            Action::ViewCart => "view_cart",
            Action::Checkout => "checkout",
            Action::OrderStatus => "order_status",
            Action::Restock => "restock",
            Action::PriceChange => "price_change",
            Action::CreateCoupon => "create_coupon",
            Action::ShipOrder => "ship_order",
            Action::DeliverOrder => "deliver_order",
            Action::CancelOrder => "cancel_order",
            Action::RefundOrder => "refund_order",
        }
    }

    /// The operation called `name`, if any.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The customer action called `name`, if any.
    pub fn customer_from_name(name: &str) -> Option<Action> {
        Action::from_name(name).filter(|a| !a.is_admin())
    }

    /// Dense index, `0..N_ACTIONS`.
    #[inline]
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Every customer action name, comma-separated, for error messages.
    pub fn names() -> String {
        Action::ALL[..N_CUSTOMER_ACTIONS]
            .iter()
            .map(|a| a.name())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Every operation name, comma-separated, for error messages.
    pub fn all_names() -> String {
        Action::ALL.map(|a| a.name()).join(", ")
    }
}

/// An operation of a run: a built-in [`Action`], or a custom operation
/// that the scenario defines (`[operations.NAME]`, its cost only its
/// route). Built-ins are `0..N_ACTIONS` in [`Action::ALL`] order; custom
/// operations follow, in name order. Metrics are indexed by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Op(pub u16);

impl Op {
    /// Dense index: built-ins first, then custom operations.
    #[inline]
    pub const fn index(self) -> usize {
        self.0 as usize
    }

    /// The built-in action, `None` for a custom operation.
    #[inline]
    pub fn action(self) -> Option<Action> {
        Action::ALL.get(self.index()).copied()
    }

    /// True for the background operations of admins.
    #[inline]
    pub fn is_admin(self) -> bool {
        self.action().is_some_and(Action::is_admin)
    }

    /// Custom operation `i` (in name order) of a scenario.
    pub const fn custom(i: usize) -> Op {
        Op((N_ACTIONS + i) as u16)
    }
}

impl From<Action> for Op {
    fn from(a: Action) -> Op {
        Op(a as u16)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_indices_are_dense() {
        for (i, a) in Action::ALL.into_iter().enumerate() {
            assert_eq!(a.index(), i);
            assert_eq!(Action::from_name(a.name()), Some(a));
        }
        assert_eq!(Action::from_name(LEAVE), None);
        assert_eq!(Action::customer_from_name("restock"), None);
        assert!(Action::ADMIN.iter().all(|a| a.is_admin()));
        assert_eq!(Action::ADMIN.len(), N_ACTIONS - N_CUSTOMER_ACTIONS);
        assert!(!Action::Checkout.is_admin());
        assert_eq!(Op::from(Action::Restock).action(), Some(Action::Restock));
        assert!(Op::from(Action::Restock).is_admin());
        assert_eq!(Op::custom(0).action(), None);
        assert_eq!(Op::custom(2).index(), N_ACTIONS + 2);
    }
}

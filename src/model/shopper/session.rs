//! A customer's session state, kept small: a closed model holds a million
//! of them in flight.

use std::num::NonZeroU32;

use super::RECENT;
use crate::shop::{CustomerId, Token};

/// The per-session state of a customer: 40 bytes, since a closed model
/// keeps a million in flight (a test pins the size). What only a cart or a
/// checkout needs is boxed, allocated when the session first adds to its
/// cart or logs in.
#[derive(Clone, Debug)]
pub struct ShopSession {
    pub(super) checkout: Option<Box<Checkout>>,
    pub(super) recent: [u32; RECENT],
    /// The customer's id plus one (`None`: not a customer yet).
    pub(super) customer: Option<NonZeroU32>,
    /// The registered-pool index, or a new visitor's email number, as
    /// `ident_kind` says.
    pub(super) ident: u32,
    pub(super) ident_kind: Ident,
    /// The coupon's index, [`NO_COUPON`] when the session has none.
    pub(super) coupon: u16,
    pub(super) n_recent: u8,
    pub(super) method: u8,
    pub(super) logged_in: bool,
    pub(super) added: bool,
    pub(super) bought: bool,
}

/// What `ShopSession::ident` holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum Ident {
    #[default]
    None,
    /// A returning customer's registered-pool index.
    Pool,
    /// A new visitor's email number, once registered.
    New,
}

/// No coupon in the session.
pub(super) const NO_COUPON: u16 = u16::MAX;

/// The part of a session that only carts and checkouts need.
#[derive(Clone, Debug, Default)]
pub(super) struct Checkout {
    /// The shop session opened at login, closed when the visit ends.
    pub(super) token: Option<Token>,
    pub(super) guest_cart: Vec<(u32, u32)>,
    /// `(sku, qty)` of the cart being checked out.
    pub(super) lines: Vec<(u32, u32)>,
    pub(super) key: u64,
    pub(super) retries: u32,
}

impl Default for ShopSession {
    fn default() -> Self {
        ShopSession {
            checkout: None,
            recent: [0; RECENT],
            customer: None,
            ident: 0,
            ident_kind: Ident::None,
            coupon: NO_COUPON,
            n_recent: 0,
            method: 0,
            logged_in: false,
            added: false,
            bought: false,
        }
    }
}

impl ShopSession {
    pub(super) fn customer(&self) -> Option<CustomerId> {
        self.customer.map(|c| CustomerId(c.get() - 1))
    }

    pub(super) fn set_customer(&mut self, c: CustomerId) {
        // Ids count registrations: one below u32::MAX at most.
        self.customer = NonZeroU32::new(c.0.wrapping_add(1));
    }

    pub(super) fn pool_index(&self) -> Option<u32> {
        (self.ident_kind == Ident::Pool).then_some(self.ident)
    }

    pub(super) fn new_email(&self) -> Option<u64> {
        (self.ident_kind == Ident::New).then_some(u64::from(self.ident))
    }

    pub(super) fn coupon(&self) -> Option<u16> {
        (self.coupon != NO_COUPON).then_some(self.coupon)
    }

    /// The cart-and-checkout part, allocated on first use.
    pub(super) fn checkout(&mut self) -> &mut Checkout {
        self.checkout.get_or_insert_with(Box::default)
    }

    /// `(sku, qty)` of the cart being checked out.
    pub(super) fn lines(&self) -> &[(u32, u32)] {
        self.checkout.as_deref().map_or(&[], |c| &c.lines)
    }
}

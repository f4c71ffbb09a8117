//! The seam between the engine and what actions *do* to the shop.
//!
//! The engine moves requests through stations; a [`Business`] decides what
//! each action is about (which product, which page), answers the per-session
//! route conditions (login needed? coupon held? how many cart lines?), and
//! applies the action's effect when its route completes. [`ModelOnly`] is the
//! business of a pure capacity model: it keeps just enough session state for
//! routes to be meaningful (a cart of product ids, a login flag).

use super::action::Action;
use super::route::Condition;
use crate::metrics::ErrorKind;
use crate::sim::rng::SimRng;
use crate::sim::time::SimTime;

/// Picks products and categories by popularity.
pub trait Picker {
    /// A product id, `0..products`, rank 0 most popular.
    fn product(&self, rng: &mut SimRng) -> u32;
    /// A category id, `0..categories`.
    fn category(&self, rng: &mut SimRng) -> u32;
    /// Number of products.
    fn products(&self) -> u32;
    /// Number of categories.
    fn categories(&self) -> u32;
}

/// What the business layer sees of the engine during a call.
pub struct Cx<'a> {
    /// Current virtual time.
    pub now: SimTime,
    /// The session's own random stream.
    pub rng: &'a mut SimRng,
    /// Popularity sampling.
    pub picker: &'a dyn Picker,
}

/// Cache keys: products are `0..products`, then one page per category, then
/// the home page.
pub fn category_key(picker: &dyn Picker, category: u32) -> u32 {
    picker.products() + category
}

/// The cache key of the home page.
pub fn home_key(picker: &dyn Picker) -> u32 {
    picker.products() + picker.categories()
}

/// Number of cache keys for a catalog.
pub fn key_space(products: u32, categories: u32) -> u32 {
    products + categories + 1
}

/// The effects of actions, called by the engine.
pub trait Business {
    /// Per-session state, stored in the engine's session slab.
    type Session: Default;

    /// A session begins.
    fn start_session(&mut self, session: &mut Self::Session, cx: &mut Cx<'_>);

    /// What the action is about: its cache key (a product id, or a page).
    fn subject(&mut self, action: Action, session: &mut Self::Session, cx: &mut Cx<'_>) -> u32;

    /// Whether a conditional route step applies to this session now.
    fn condition(&self, condition: Condition, session: &Self::Session) -> bool;

    /// Number of cart lines (one inventory shard visit each).
    fn lines(&self, session: &Self::Session) -> u32;

    /// The SKU of cart line `i < lines()`.
    fn line_sku(&self, session: &Self::Session, i: u32) -> u32;

    /// The route completed: apply the action's effect. An error fails the
    /// request with that kind.
    fn complete(
        &mut self,
        action: Action,
        subject: u32,
        session: &mut Self::Session,
        cx: &mut Cx<'_>,
    ) -> Result<(), ErrorKind>;

    /// The session ends.
    fn end_session(&mut self, session: &mut Self::Session, cx: &mut Cx<'_>);
}

/// Most cart lines the model keeps; adding to a full cart is a no-op.
pub const MODEL_CART_LINES: usize = 8;

/// Session state of [`ModelOnly`].
#[derive(Clone, Debug, Default)]
pub struct ModelSession {
    cart: [u32; MODEL_CART_LINES],
    lines: u8,
    logged_in: bool,
    last_viewed: Option<u32>,
}

/// A pure capacity model: no shop state beyond the session.
///
/// `view_product` views a product drawn by popularity; `add_to_cart` adds
/// the last viewed product (or one drawn by popularity); `checkout` logs in
/// once per session and empties the cart; `browse` shows a category page
/// drawn by popularity; `home` is one page.
#[derive(Clone, Debug, Default)]
pub struct ModelOnly;

impl Business for ModelOnly {
    type Session = ModelSession;

    fn start_session(&mut self, session: &mut ModelSession, _cx: &mut Cx<'_>) {
        *session = ModelSession::default();
    }

    #[inline]
    fn subject(&mut self, action: Action, s: &mut ModelSession, cx: &mut Cx<'_>) -> u32 {
        match action {
            Action::ViewProduct => {
                let p = cx.picker.product(cx.rng);
                s.last_viewed = Some(p);
                p
            }
            Action::AddToCart => s.last_viewed.unwrap_or_else(|| cx.picker.product(cx.rng)),
            Action::Browse => category_key(cx.picker, cx.picker.category(cx.rng)),
            Action::Home => home_key(cx.picker),
            _ => 0,
        }
    }

    fn condition(&self, condition: Condition, s: &ModelSession) -> bool {
        match condition {
            Condition::NeedsLogin => !s.logged_in,
            Condition::HasCoupon => false,
        }
    }

    fn lines(&self, s: &ModelSession) -> u32 {
        s.lines as u32
    }

    fn line_sku(&self, s: &ModelSession, i: u32) -> u32 {
        s.cart[i as usize]
    }

    #[inline]
    fn complete(
        &mut self,
        action: Action,
        subject: u32,
        s: &mut ModelSession,
        _cx: &mut Cx<'_>,
    ) -> Result<(), ErrorKind> {
        match action {
            Action::AddToCart if (s.lines as usize) < MODEL_CART_LINES => {
                s.cart[s.lines as usize] = subject;
                s.lines += 1;
            }
            Action::Checkout => {
                s.logged_in = true;
                s.lines = 0;
            }
            _ => {}
        }
        Ok(())
    }

    fn end_session(&mut self, _session: &mut ModelSession, _cx: &mut Cx<'_>) {}
}

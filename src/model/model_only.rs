//! The business of a pure capacity model: just enough session state for
//! routes to be meaningful (a cart of product ids, a login flag), and no
//! shop behind it.

use crate::contract::ErrorKind;
use crate::contract::action::Action;
use crate::contract::business::{Business, Cx, category_key, home_key, shard_of};
use crate::contract::route::{Condition, Effect, EffectOutcome};

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
/// drawn by popularity; `home` is one page; admin operations pick a product
/// by popularity and change nothing.
#[derive(Clone, Debug, Default)]
pub struct ModelOnly;

impl Business for ModelOnly {
    type Session = ModelSession;

    fn start_session(&self, session: &mut ModelSession, _cx: &mut Cx<'_>) {
        *session = ModelSession::default();
    }

    #[inline]
    fn subject(&self, action: Action, s: &mut ModelSession, cx: &mut Cx<'_>) -> u32 {
        match action {
            Action::ViewProduct => {
                let p = cx.picker.product(cx.rng);
                s.last_viewed = Some(p);
                p
            }
            Action::AddToCart => s.last_viewed.unwrap_or_else(|| cx.picker.product(cx.rng)),
            Action::Browse => category_key(cx.picker, cx.picker.category(cx.rng)),
            Action::Home => home_key(cx.picker),
            Action::Restock | Action::PriceChange => cx.picker.product(cx.rng),
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

    fn line_shard(&self, s: &ModelSession, i: u32, shards: u16) -> u16 {
        shard_of(s.cart[i as usize], shards)
    }

    fn effect(&self, effect: Effect, s: &mut ModelSession, _cx: &mut Cx<'_>) -> EffectOutcome {
        if effect == Effect::Login {
            s.logged_in = true;
        }
        EffectOutcome::Continue
    }

    #[inline]
    fn complete(
        &self,
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
            Action::Checkout => s.lines = 0,
            _ => {}
        }
        Ok(())
    }

    fn end_session(&self, _session: &mut ModelSession, _cx: &mut Cx<'_>) {}
}

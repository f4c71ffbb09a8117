//! The shop's domain services: real business state shared by both clocks.
//!
//! A [`Shop`] owns users, catalog, inventory, carts, coupons, payments and
//! orders, and is built from a plain [`ShopConfig`]. The virtual-clock engine
//! calls it from one thread, the wall-clock mode from many: every service is
//! `Send + Sync`, records under dense ids sit in sharded dense tables, other
//! shared maps are sharded (`dashmap` with a fixed seedless hasher) and
//! stock sits behind `N` sharded locks.
//!
//! Guarantees the engine can rely on:
//! - **no clock, no OS randomness**: every call that cares takes `now`
//!   ([`Nanos`]); payment verdicts take the caller's uniform draw; password
//!   salts and session tokens derive from the configured seed;
//! - **errors are values**: every failure is a [`ShopError`] whose
//!   [`ShopError::kind`] is a stable label from [`ERROR_KINDS`];
//! - **checkout is all-or-nothing** ([`Shop::checkout`]): any failure undoes
//!   every earlier step, a retry with the same idempotency key never charges
//!   twice;
//! - **money is integer cents** ([`Cents`]), every movement is in the ledger;
//! - **reports are ordered**: every list a report may read is sorted by id or
//!   code;
//! - **invariants are checkable**: [`invariants::check`] returns every
//!   violation of I1–I12 (see INVARIANTS.md), none expected.
//!
//! See `docs/shop.md` for the order state machine, the checkout steps and
//! their compensations.

mod admin;
mod api;
pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod config;
pub mod coupons;
mod dense;
pub mod error;
pub mod ids;
pub mod invariants;
pub mod inventory;
pub mod ledger;
pub mod orders;
pub mod payments;
pub mod pricing;
pub mod strategies;
pub mod users;

#[cfg(test)]
mod tests;

pub use api::{BusinessCounters, Shop};
pub use cart::CartLine;
pub use catalog::{ProductPatch, ProductSpec, ProductView, SearchPage, SearchQuery, SortOrder};
pub use checkout::{CheckoutReceipt, CheckoutRequest};
pub use config::{AccountSpec, ConfigError, InjectedBug, ShopConfig};
pub use coupons::{CouponKind, CouponSpec};
pub use error::{ERROR_KINDS, ShopError};
pub use ids::{
    CategoryId, Cents, CouponId, CustomerId, Nanos, OrderId, PaymentId, ProductId, Token, UserId,
};
pub use invariants::{InvariantReport, InvariantRow};
pub use inventory::StockRecord;
pub use orders::{Order, OrderStatus};
pub use pricing::{PriceBreakdown, ShippingRule};
pub use strategies::{PaymentMethodConfig, PaymentMethodKind};
pub use users::{Role, Session};

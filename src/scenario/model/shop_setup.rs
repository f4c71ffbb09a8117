//! The shop's setup: `[catalog]`, `[shop]`, `[customers]`, `[[coupons]]`,
//! `[payments]` and `[admin]`, with their defaults.
//!
//! Money is held in integer cents, tax in basis points; validation
//! (`validate/shop_setup.rs`) did the conversion and the range checks.

use crate::contract::action::Action;
use crate::kernel::dist::Dist;
use crate::kernel::popularity::Popularity;
use crate::kernel::time::SimDuration;

/// Default catalog size.
pub const DEFAULT_PRODUCTS: u32 = 1000;
/// Default number of categories.
pub const DEFAULT_CATEGORIES: u32 = 20;
/// Default Zipf exponent of product popularity.
pub const DEFAULT_ZIPF_EXPONENT: f64 = 1.0;

/// `[catalog]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Catalog {
    /// Number of products (default [`DEFAULT_PRODUCTS`]).
    pub products: u32,
    /// Number of categories (default [`DEFAULT_CATEGORIES`]).
    pub categories: u32,
    /// Popularity (default Zipf with exponent [`DEFAULT_ZIPF_EXPONENT`]).
    pub popularity: Popularity,
    /// Unit prices in currency units (default lognormal, median 25, sigma
    /// 0.8).
    pub price: Dist,
    /// Initial stock per SKU (default uniform 50 to 500).
    pub stock: Dist,
    /// The top-ranked products sold cheap from small stock (default none).
    pub doorbusters: Doorbusters,
}

/// Doorbusters: products of rank `0..count`.
#[derive(Clone, Debug, PartialEq)]
pub struct Doorbusters {
    /// How many (default 0).
    pub count: u32,
    /// Initial stock of each (default 100).
    pub stock: u32,
    /// Discount off the drawn price, percent (default 50).
    pub discount_pct: f64,
}

/// `[shop]`.
#[derive(Clone, Debug, PartialEq)]
pub struct ShopSpec {
    /// Flat shipping fee, cents (default 499).
    pub shipping_fee_cents: i64,
    /// Free shipping from this subtotal, cents (default 5000).
    pub free_shipping_over_cents: Option<i64>,
    /// Tax in basis points (default 800 = 8 %).
    pub tax_bps: u32,
    /// PBKDF2 iterations per password (default 1: simulation speed; a real
    /// shop uses hundreds of thousands).
    pub password_iterations: u32,
    /// Most distinct products per cart (default 32).
    pub max_cart_lines: u32,
}

/// `[customers]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Customers {
    /// Registered customers at the start (default 10000).
    pub registered: u32,
    /// Share of sessions by a returning, registered customer (default 0.5).
    pub returning: f64,
    /// Share of sessions holding a coupon code (default 0).
    pub coupon_share: f64,
    /// Units per `add_to_cart` (default constant 1).
    pub quantity: Dist,
    /// Probability `add_to_cart` picks a recently viewed product (0.7).
    pub recently_viewed: f64,
    /// How long a customer waits for one action before abandoning the
    /// session (default: for ever).
    pub patience: Option<Dist>,
    /// A reload after an error (default: none).
    pub retry_on_error: Option<Reload>,
}

/// `retry_on_error`: a customer who gets an error reloads, repeating the
/// action, with probability `p` after a pause drawn from `after`.
#[derive(Clone, Debug, PartialEq)]
pub struct Reload {
    /// Probability of a reload after an error.
    pub p: f64,
    /// The pause before it, ns.
    pub after: Dist,
}

/// What a coupon gives.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CouponValue {
    /// Percent off, 1..=100.
    Percent(u8),
    /// An amount off, in cents.
    Fixed(i64),
    /// No shipping fee.
    FreeShipping,
}

/// `[[coupons]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Coupon {
    /// The code.
    pub code: String,
    /// What it gives.
    pub value: CouponValue,
    /// Minimum order subtotal, cents (default 0).
    pub min_order_cents: i64,
    /// Valid from (default the start).
    pub valid_from: SimDuration,
    /// Valid until (default never expires).
    pub valid_until: Option<SimDuration>,
    /// Only this category (index) is discounted.
    pub category: Option<u16>,
    /// Most redemptions in total (default unlimited).
    pub global_limit: Option<u32>,
    /// Most redemptions per customer (default unlimited).
    pub per_customer_limit: Option<u32>,
    /// Relative share among coupon holders (default 1).
    pub weight: f64,
}

/// A payment method kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MethodKind {
    /// `card`.
    Card,
    /// `wallet`.
    Wallet,
    /// `bank_transfer`.
    BankTransfer,
    /// `cash_on_delivery`.
    CashOnDelivery,
}

impl MethodKind {
    /// Every kind, in report order.
    pub const ALL: [MethodKind; 4] = [
        MethodKind::Card,
        MethodKind::Wallet,
        MethodKind::BankTransfer,
        MethodKind::CashOnDelivery,
    ];

    /// Scenario name.
    pub fn name(self) -> &'static str {
        match self {
            MethodKind::Card => "card",
            MethodKind::Wallet => "wallet",
            MethodKind::BankTransfer => "bank_transfer",
            MethodKind::CashOnDelivery => "cash_on_delivery",
        }
    }

    /// Can its gateway time out? (A wallet is in-house; cash is collected.)
    pub fn can_time_out(self) -> bool {
        matches!(self, MethodKind::Card | MethodKind::BankTransfer)
    }
}

/// One enabled payment method.
#[derive(Clone, Debug, PartialEq)]
pub struct Method {
    /// Which.
    pub kind: MethodKind,
    /// Relative share of checkouts.
    pub share: f64,
    /// Decline probability.
    pub decline_rate: f64,
    /// Gateway timeout probability.
    pub timeout_rate: f64,
    /// Station group of its gateway (`None`: the `payment` station).
    pub station: Option<u16>,
}

/// `[payments]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Payments {
    /// Retries after a gateway timeout, same idempotency key (default 2).
    pub max_retries: u32,
    /// Methods with a positive share, in [`MethodKind::ALL`] order
    /// (defaults: card 0.7, wallet 0.15, bank transfer 0.1, cash 0.05).
    pub methods: Vec<Method>,
}

/// `[admin]`: Poisson streams of admin operations.
#[derive(Clone, Debug, PartialEq)]
pub struct AdminSpec {
    /// Restocks per second (default 0).
    pub restock_rate: f64,
    /// Units per restock (default 100).
    pub restock_quantity: u32,
    /// Price changes per second (default 0).
    pub price_change_rate: f64,
    /// Largest relative change of a price change, percent (default 10).
    pub price_change_pct: f64,
    /// Coupons created per second (default 0).
    pub coupon_rate: f64,
    /// Discount of a created coupon, percent (default 10).
    pub coupon_percent: u32,
    /// Global limit of a created coupon (default 100).
    pub coupon_limit: u32,
    /// Orders shipped per second, oldest first (default 0).
    pub ship_rate: f64,
    /// Shipped orders delivered per second, oldest first (default 0).
    pub deliver_rate: f64,
    /// Orders not yet shipped cancelled per second, at the customer's
    /// request (default 0).
    pub cancel_rate: f64,
    /// Delivered orders returned and refunded per second (default 0).
    pub refund_rate: f64,
}

impl Default for AdminSpec {
    fn default() -> Self {
        AdminSpec {
            restock_rate: 0.0,
            restock_quantity: 100,
            price_change_rate: 0.0,
            price_change_pct: 10.0,
            coupon_rate: 0.0,
            coupon_percent: 10,
            coupon_limit: 100,
            ship_rate: 0.0,
            deliver_rate: 0.0,
            cancel_rate: 0.0,
            refund_rate: 0.0,
        }
    }
}

impl AdminSpec {
    /// Operations per second of admin operation `op` (0 for customer actions).
    pub fn rate(&self, op: Action) -> f64 {
        match op {
            Action::Restock => self.restock_rate,
            Action::PriceChange => self.price_change_rate,
            Action::CreateCoupon => self.coupon_rate,
            Action::ShipOrder => self.ship_rate,
            Action::DeliverOrder => self.deliver_rate,
            Action::CancelOrder => self.cancel_rate,
            Action::RefundOrder => self.refund_rate,
            _ => 0.0,
        }
    }
}

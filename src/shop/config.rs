//! The shop's configuration: a plain struct, validated as a whole.
//!
//! Guarantees: [`ShopConfig::validate`] lists *every* problem (not just the
//! first), each naming the offending item, so a scenario author fixes them in
//! one pass; building a [`super::Shop`] from an invalid config is an error,
//! never a panic. Defaults are documented on [`ShopConfig::default`].

use std::fmt;

use super::cart::MAX_CART_LINES;
use super::catalog::{MAX_PRICE_CENTS, ProductSpec};
use super::coupons::{CouponKind, CouponSpec};
use super::ids::{CategoryId, Cents, Nanos, mix64};
use super::pricing::ShippingRule;
use super::strategies::{PaymentMethodConfig, PaymentMethodKind};
use super::users::normalize_email;

/// One hour in nanoseconds.
const HOUR: Nanos = 3_600_000_000_000;

/// An account created with the shop (admins).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountSpec {
    /// Login email.
    pub email: String,
    /// Login password.
    pub password: String,
}

/// A deliberate bug, so tests can prove the invariant checker catches it.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InjectedBug {
    /// A declined checkout does not release its stock reservation (I1 holds,
    /// I3 and I12-adjacent checks fail).
    KeepReservationOnDecline,
    /// A declined checkout does not release its coupon redemption (I5 fails).
    KeepCouponOnDecline,
}

/// Everything needed to build a [`super::Shop`].
#[derive(Clone, Debug, PartialEq)]
pub struct ShopConfig {
    /// Category names; a product's category is an index into this list.
    pub categories: Vec<String>,
    /// Products, in id order (product `i` gets `ProductId(i)`).
    pub products: Vec<ProductSpec>,
    /// Number of inventory lock shards, `1..=65536`.
    pub inventory_shards: usize,
    /// Shipping fee and free-shipping threshold.
    pub shipping: ShippingRule,
    /// Tax rate in basis points (`825` = 8.25 %), `0..=10000`.
    pub tax_bps: u32,
    /// Coupons available from the start.
    pub coupons: Vec<CouponSpec>,
    /// Enabled payment methods, at most one per kind.
    pub payment_methods: Vec<PaymentMethodConfig>,
    /// PBKDF2-HMAC-SHA256 iterations per password hash, at least 1.
    pub password_iterations: u32,
    /// Seed for password salts and session tokens.
    pub salt_seed: u64,
    /// Session lifetime.
    pub session_ttl: Nanos,
    /// Admin accounts created with the shop.
    pub admins: Vec<AccountSpec>,
    /// Most distinct products per cart, `1..=MAX_CART_LINES`.
    pub max_cart_lines: usize,
    /// Most units per cart line, at least 1.
    pub max_line_qty: u32,
    /// Test-only: make checkout skip one compensation step.
    #[doc(hidden)]
    pub inject_bug: Option<InjectedBug>,
}

impl Default for ShopConfig {
    /// An empty shop: no categories, products, coupons, payment methods or
    /// admins; 64 inventory shards; free shipping never, no fee; no tax;
    /// 4 password iterations (simulation speed: a real shop would use
    /// ≥ 600 000); salt seed 0; sessions of one hour; carts of up to 32
    /// products and 99 units per line.
    fn default() -> Self {
        Self {
            categories: Vec::new(),
            products: Vec::new(),
            inventory_shards: 64,
            shipping: ShippingRule {
                flat_fee_cents: 0,
                free_over_cents: None,
            },
            tax_bps: 0,
            coupons: Vec::new(),
            payment_methods: Vec::new(),
            password_iterations: 4,
            salt_seed: 0,
            session_ttl: HOUR,
            admins: Vec::new(),
            max_cart_lines: 32,
            max_line_qty: 99,
            inject_bug: None,
        }
    }
}

/// Login of the admin account in [`ShopConfig::sample`].
pub const SAMPLE_ADMIN_EMAIL: &str = "admin@ecsim.test";
/// Password of the admin account in [`ShopConfig::sample`].
pub const SAMPLE_ADMIN_PASSWORD: &str = "admin-password";

impl ShopConfig {
    /// A small, deterministic shop for tests and benches: `n_products`
    /// products over 4 categories (`books`, `games`, `garden`, `tools`), each
    /// with 100 units and a price of 5.00–99.99; rank = id; 16 shards; flat
    /// shipping 4.99, free from 50.00; tax 8 %; coupons `SAVE10` (10 %),
    /// `FIVEOFF` (5.00 off orders from 20.00, once per customer), `FREESHIP`,
    /// `BOOKS20` (20 % on books, 100 uses); all four payment methods with
    /// small decline and timeout rates; one admin ([`SAMPLE_ADMIN_EMAIL`]).
    pub fn sample(n_products: u32) -> Self {
        const ADJECTIVES: [&str; 6] = ["red", "blue", "small", "large", "classic", "deluxe"];
        const NOUNS: [&str; 4] = ["novel", "puzzle", "planter", "wrench"];
        let products = (0..n_products)
            .map(|i| {
                let adjective = ADJECTIVES[(mix64(u64::from(i) ^ 0xA5) % 6) as usize];
                let category = (i % 4) as u16;
                ProductSpec {
                    name: format!("{adjective} {} {i}", NOUNS[usize::from(category)]),
                    category: CategoryId(category),
                    price_cents: 500 + (mix64(u64::from(i)) % 9_500) as Cents,
                    initial_stock: 100,
                    popularity_rank: i,
                }
            })
            .collect();
        let coupon = |code: &str, kind| CouponSpec {
            code: code.into(),
            kind,
            min_order_cents: 0,
            valid_from: 0,
            valid_until: Nanos::MAX,
            category: None,
            global_limit: None,
            per_customer_limit: None,
        };
        let method = |kind, decline_rate, timeout_rate, max| PaymentMethodConfig {
            kind,
            decline_rate,
            timeout_rate,
            max_amount_cents: max,
        };
        Self {
            categories: ["books", "games", "garden", "tools"]
                .map(String::from)
                .to_vec(),
            products,
            inventory_shards: 16,
            shipping: ShippingRule {
                flat_fee_cents: 499,
                free_over_cents: Some(5_000),
            },
            tax_bps: 800,
            coupons: vec![
                coupon("SAVE10", CouponKind::Percent(10)),
                CouponSpec {
                    min_order_cents: 2_000,
                    per_customer_limit: Some(1),
                    ..coupon("FIVEOFF", CouponKind::FixedAmount(500))
                },
                coupon("FREESHIP", CouponKind::FreeShipping),
                CouponSpec {
                    category: Some(CategoryId(0)),
                    global_limit: Some(100),
                    ..coupon("BOOKS20", CouponKind::Percent(20))
                },
            ],
            payment_methods: vec![
                method(PaymentMethodKind::Card, 0.05, 0.01, Some(1_000_000)),
                method(PaymentMethodKind::Wallet, 0.02, 0.0, Some(50_000)),
                method(PaymentMethodKind::BankTransfer, 0.03, 0.02, None),
                method(PaymentMethodKind::CashOnDelivery, 0.01, 0.0, Some(100_000)),
            ],
            admins: vec![AccountSpec {
                email: SAMPLE_ADMIN_EMAIL.into(),
                password: SAMPLE_ADMIN_PASSWORD.into(),
            }],
            ..Self::default()
        }
    }

    /// Every problem with this config; `Ok` when there is none.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut p = Vec::new();
        if !(1..=65_536).contains(&self.inventory_shards) {
            p.push(format!(
                "inventory_shards {} is out of range 1..=65536",
                self.inventory_shards
            ));
        }
        if self.tax_bps > 10_000 {
            p.push(format!("tax_bps {} is above 10000 (100 %)", self.tax_bps));
        }
        if !(0..=MAX_PRICE_CENTS).contains(&self.shipping.flat_fee_cents) {
            p.push(format!(
                "shipping flat_fee_cents {} is out of range 0..={MAX_PRICE_CENTS}",
                self.shipping.flat_fee_cents
            ));
        }
        if self.shipping.free_over_cents.is_some_and(|t| t < 0) {
            p.push("shipping free_over_cents must not be negative".into());
        }
        if self.password_iterations == 0 {
            p.push("password_iterations must be at least 1".into());
        }
        if !(1..=MAX_CART_LINES).contains(&self.max_cart_lines) {
            p.push(format!(
                "max_cart_lines {} is out of range 1..={MAX_CART_LINES}",
                self.max_cart_lines
            ));
        }
        if self.max_line_qty == 0 {
            p.push("max_line_qty must be at least 1".into());
        }
        if self.categories.len() > usize::from(u16::MAX) + 1 {
            p.push("at most 65536 categories".into());
        }
        for (i, c) in self.categories.iter().enumerate() {
            if !c.chars().any(char::is_alphanumeric) {
                p.push(format!(
                    "categories[{i}]: name must contain a letter or digit"
                ));
            }
            if self.categories[..i]
                .iter()
                .any(|d| d.trim().eq_ignore_ascii_case(c.trim()))
            {
                p.push(format!("categories[{i}]: duplicate name {c:?}"));
            }
        }
        let category_ok = |c: CategoryId| usize::from(c.0) < self.categories.len();
        if u32::try_from(self.products.len()).is_err() {
            p.push("at most 2^32 products".into());
        }
        for (i, prod) in self.products.iter().enumerate() {
            if !prod.name.chars().any(char::is_alphanumeric) {
                p.push(format!(
                    "products[{i}]: name must contain a letter or digit"
                ));
            }
            if !category_ok(prod.category) {
                p.push(format!(
                    "products[{i}]: category {} does not exist ({} categories)",
                    prod.category,
                    self.categories.len()
                ));
            }
            if !(0..=MAX_PRICE_CENTS).contains(&prod.price_cents) {
                p.push(format!(
                    "products[{i}]: price_cents {} is out of range 0..={MAX_PRICE_CENTS}",
                    prod.price_cents
                ));
            }
        }
        for (i, c) in self.coupons.iter().enumerate() {
            if let Err(reason) = super::coupons::validate(c) {
                p.push(format!("coupons[{i}] ({:?}): {reason}", c.code));
            }
            if c.category.is_some_and(|cat| !category_ok(cat)) {
                p.push(format!(
                    "coupons[{i}] ({:?}): category does not exist",
                    c.code
                ));
            }
            if self.coupons[..i].iter().any(|d| d.code == c.code) {
                p.push(format!("coupons[{i}]: duplicate code {:?}", c.code));
            }
        }
        for (i, m) in self.payment_methods.iter().enumerate() {
            p.extend(
                m.problems()
                    .into_iter()
                    .map(|e| format!("payment_methods[{i}]: {e}")),
            );
            if self.payment_methods[..i].iter().any(|d| d.kind == m.kind) {
                p.push(format!(
                    "payment_methods[{i}]: {} is configured twice",
                    m.kind.as_str()
                ));
            }
        }
        for (i, a) in self.admins.iter().enumerate() {
            if let Err(e) = normalize_email(&a.email) {
                p.push(format!("admins[{i}]: {e}"));
            }
            let len = a.password.len();
            if !(super::users::MIN_PASSWORD_LEN..=super::users::MAX_PASSWORD_LEN).contains(&len) {
                p.push(format!(
                    "admins[{i}]: password must be {}..={} bytes",
                    super::users::MIN_PASSWORD_LEN,
                    super::users::MAX_PASSWORD_LEN
                ));
            }
        }
        if p.is_empty() {
            Ok(())
        } else {
            Err(ConfigError { problems: p })
        }
    }
}

/// A config that cannot build a shop, with every problem found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// One line per problem, each naming the item (`products[3]: …`).
    pub problems: Vec<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid shop config ({} problem(s)): {}",
            self.problems.len(),
            self.problems.join("; ")
        )
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_is_valid_and_deterministic() {
        let a = ShopConfig::sample(50);
        assert_eq!(a.validate(), Ok(()));
        assert_eq!(a, ShopConfig::sample(50));
        assert!(
            a.products
                .iter()
                .all(|p| (500..10_000).contains(&p.price_cents))
        );
        assert_eq!(ShopConfig::default().validate(), Ok(()));
    }

    #[test]
    fn every_problem_is_listed() {
        let mut c = ShopConfig::sample(3);
        c.inventory_shards = 0;
        c.tax_bps = 10_001;
        c.max_cart_lines = 0;
        c.categories.push("Books".into());
        c.products[1].category = CategoryId(9);
        c.products[2].price_cents = -5;
        c.coupons[0].code = "FIVEOFF".into();
        c.payment_methods.push(c.payment_methods[0]);
        c.admins[0].email = "nope".into();
        let err = c.validate().unwrap_err();
        assert_eq!(err.problems.len(), 9, "{err}");
        assert!(
            err.to_string()
                .starts_with("invalid shop config (9 problem(s)): inventory_shards 0")
        );
        assert!(
            err.problems
                .iter()
                .any(|m| m.starts_with("products[2]: price_cents -5"))
        );
    }

    #[test]
    fn names_limits_coupons_and_admin_passwords_are_checked() {
        let mut c = ShopConfig::sample(2);
        c.shipping.flat_fee_cents = -1;
        c.shipping.free_over_cents = Some(-1);
        c.password_iterations = 0;
        c.max_line_qty = 0;
        c.categories[1] = "--".into();
        c.products[0].name = " ".into();
        c.coupons[0].kind = CouponKind::Percent(0);
        c.coupons[3].category = Some(CategoryId(40));
        c.admins[0].password = "short".into();
        let err = c.validate().unwrap_err();
        assert_eq!(
            err.problems,
            [
                format!("shipping flat_fee_cents -1 is out of range 0..={MAX_PRICE_CENTS}"),
                "shipping free_over_cents must not be negative".to_owned(),
                "password_iterations must be at least 1".to_owned(),
                "max_line_qty must be at least 1".to_owned(),
                "categories[1]: name must contain a letter or digit".to_owned(),
                "products[0]: name must contain a letter or digit".to_owned(),
                "coupons[0] (\"SAVE10\"): percent 0 is out of range 1..=100".to_owned(),
                "coupons[3] (\"BOOKS20\"): category does not exist".to_owned(),
                "admins[0]: password must be 8..=1024 bytes".to_owned(),
            ]
        );
    }
}

//! Cross-service tests of the shop: checkout and admin flows, the invariant
//! checker against deliberately corrupted state, a property test against a
//! reference model, and races on real threads.

use super::config::{SAMPLE_ADMIN_EMAIL, SAMPLE_ADMIN_PASSWORD};
use super::*;

mod admin;
mod checkout;
mod concurrency;
mod invariants;
mod model;

/// A shop built from `config` with the sample admin logged in.
fn shop_with(mut config: ShopConfig) -> (Shop, Token) {
    config.password_iterations = 1;
    if config.admins.is_empty() {
        config.admins.push(AccountSpec {
            email: SAMPLE_ADMIN_EMAIL.into(),
            password: SAMPLE_ADMIN_PASSWORD.into(),
        });
    }
    let shop = Shop::new(config).expect("test config is valid");
    let admin = shop
        .login(SAMPLE_ADMIN_EMAIL, SAMPLE_ADMIN_PASSWORD, 0)
        .expect("sample admin logs in")
        .token;
    (shop, admin)
}

/// The sample shop with `n` products and its admin token.
fn sample(n: u32) -> (Shop, Token) {
    shop_with(ShopConfig::sample(n))
}

/// Registers customer number `n`.
fn customer(shop: &Shop, n: u32) -> CustomerId {
    shop.register(&format!("customer{n}@test.io"), "password1")
        .expect("fresh email registers")
}

/// A card checkout that the sample card gateway approves.
fn card(key: u64) -> CheckoutRequest<'static> {
    CheckoutRequest {
        coupon: None,
        method: PaymentMethodKind::Card,
        idempotency_key: key,
        payment_roll: 0.99,
    }
}

/// Asserts the invariant report is clean, printing it otherwise.
#[track_caller]
fn assert_invariants(shop: &Shop) {
    let report = crate::shop::invariants::check(shop);
    assert!(
        report.is_ok(),
        "{:#?}",
        report
            .rows
            .iter()
            .filter(|r| r.violation_count > 0)
            .collect::<Vec<_>>()
    );
}

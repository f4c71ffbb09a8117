//! The shop a scenario describes: catalog, stock, prices, coupons,
//! payment methods and accounts, as a [`ShopConfig`].

use super::*;

/// Builds the shop configuration a scenario describes; prices and stock
/// are drawn from the scenario's distributions with their own stream.
pub fn shop_config(sc: &Scenario) -> ShopConfig {
    let mut rng = stream(sc.seed, StreamKind::Background, 0);
    let price = sc
        .catalog
        .price
        .sampler()
        .unwrap_or(Sampler::Constant(25.0));
    let stock = sc
        .catalog
        .stock
        .sampler()
        .unwrap_or(Sampler::Constant(100.0));
    let door = &sc.catalog.doorbusters;
    let products = (0..sc.catalog.products)
        .map(|i| {
            let mut cents = (price.sample(&mut rng) * 100.0).round().clamp(1.0, 1e9) as i64;
            let mut units = stock.sample(&mut rng).round().clamp(0.0, u32::MAX as f64) as u32;
            if i < door.count {
                cents = ((cents as f64) * (1.0 - door.discount_pct / 100.0))
                    .round()
                    .max(1.0) as i64;
                units = door.stock;
            }
            ProductSpec {
                name: product_name(i),
                category: CategoryId((i % sc.catalog.categories) as u16),
                price_cents: cents,
                initial_stock: units,
                popularity_rank: i,
            }
        })
        .collect();
    let inventory_shards = sc.group("inventory").map_or(16, |g| g.shards as usize);
    ShopConfig {
        categories: (0..sc.catalog.categories)
            .map(|k| format!("category-{k}"))
            .collect(),
        products,
        inventory_shards,
        shipping: ShippingRule {
            flat_fee_cents: sc.shop.shipping_fee_cents,
            free_over_cents: sc.shop.free_shipping_over_cents,
        },
        tax_bps: sc.shop.tax_bps,
        coupons: sc
            .coupons
            .iter()
            .map(|c| CouponSpec {
                code: c.code.clone(),
                kind: match c.value {
                    CouponValue::Percent(p) => CouponKind::Percent(p),
                    CouponValue::Fixed(v) => CouponKind::FixedAmount(v),
                    CouponValue::FreeShipping => CouponKind::FreeShipping,
                },
                min_order_cents: c.min_order_cents,
                valid_from: c.valid_from.as_nanos(),
                valid_until: c.valid_until.map_or(u64::MAX, |d| d.as_nanos()),
                category: c.category.map(CategoryId),
                global_limit: c.global_limit,
                per_customer_limit: c.per_customer_limit,
            })
            .collect(),
        payment_methods: sc
            .payments
            .methods
            .iter()
            .map(|m| PaymentMethodConfig {
                kind: method_kind(m.kind),
                decline_rate: m.decline_rate,
                timeout_rate: m.timeout_rate,
                max_amount_cents: None,
            })
            .collect(),
        password_iterations: sc.shop.password_iterations,
        salt_seed: sc.seed,
        // Sessions outlive any run: logins happen once per visit.
        session_ttl: u64::MAX / 4,
        admins: vec![AccountSpec {
            email: ADMIN_EMAIL.into(),
            password: PASSWORD.into(),
        }],
        max_cart_lines: sc.shop.max_cart_lines as usize,
        ..ShopConfig::default()
    }
}

pub(super) fn method_kind(k: MethodKind) -> PaymentMethodKind {
    match k {
        MethodKind::Card => PaymentMethodKind::Card,
        MethodKind::Wallet => PaymentMethodKind::Wallet,
        MethodKind::BankTransfer => PaymentMethodKind::BankTransfer,
        MethodKind::CashOnDelivery => PaymentMethodKind::CashOnDelivery,
    }
}

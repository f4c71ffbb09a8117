//! The [`Shop`]: every service behind one `Send + Sync` handle.
//!
//! Guarantees: the shop never reads a clock (every call that cares takes
//! `now`) nor OS randomness; [`Shop::product`] takes no lock, [`Shop::stock`],
//! [`Shop::add_to_cart`] and [`Shop::price_cart`] take sharded locks one at a
//! time; none allocates (but a new cart's first line). No call holds locks of
//! two services at once, so the services cannot deadlock one another.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::cart::{CartLine, Carts, MAX_CART_LINES};
use super::catalog::{Catalog, ProductView, SearchPage, SearchQuery};
use super::config::{ConfigError, InjectedBug, ShopConfig};
use super::coupons::Coupons;
use super::error::ShopError;
use super::ids::{CategoryId, Cents, CustomerId, Nanos, OrderId, ProductId, Token, UserId};
use super::inventory::{Inventory, StockRecord};
use super::orders::{Order, OrderStatus, Orders};
use super::payments::{PaymentCounters, Payments};
use super::pricing::{self, CouponEffect, PriceBreakdown, PricedLine, ShippingRule};
use super::users::{Emails, Role, Session, Users};

/// The shop: users, catalog, inventory, carts, coupons, payments, orders.
#[derive(Debug)]
pub struct Shop {
    pub(crate) users: Users,
    pub(crate) catalog: Catalog,
    pub(crate) inventory: Inventory,
    pub(crate) carts: Carts,
    pub(crate) coupons: Coupons,
    pub(crate) payments: Payments,
    pub(crate) orders: Orders,
    pub(crate) shipping: ShippingRule,
    pub(crate) tax_bps: u32,
    pub(crate) inject_bug: Option<InjectedBug>,
    pub(crate) in_flight: AtomicU64,
    pub(crate) checkouts_ok: AtomicU64,
    pub(crate) checkouts_failed: AtomicU64,
}

/// Counters for the business report, read in one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BusinessCounters {
    /// Successful registrations.
    pub registrations: u64,
    /// Successful logins.
    pub logins: u64,
    /// Failed logins.
    pub login_failures: u64,
    /// Checkouts that created an order (replays not counted).
    pub checkouts_ok: u64,
    /// Checkouts that failed, for any reason.
    pub checkouts_failed: u64,
    /// Orders per status, in [`OrderStatus::ALL`] order.
    pub orders_by_status: [(OrderStatus, u64); 7],
    /// Payment counters (declines, timeouts, replays, captured, refunded).
    pub payments: PaymentCounters,
    /// Net revenue: captured − refunded, in cents.
    pub revenue_cents: Cents,
}

impl Shop {
    /// Builds a shop from a validated config: categories, products and their
    /// stock, coupons, payment methods and admin accounts.
    pub fn new(config: ShopConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let shop = Self {
            users: Users::new(
                config.password_iterations,
                config.salt_seed,
                config.session_ttl,
            ),
            catalog: Catalog::new(&config.categories),
            inventory: Inventory::new(config.inventory_shards),
            carts: Carts::new(config.max_cart_lines, config.max_line_qty),
            coupons: Coupons::default(),
            payments: Payments::new(&config.payment_methods, config.inventory_shards),
            orders: Orders::default(),
            shipping: config.shipping,
            tax_bps: config.tax_bps,
            inject_bug: config.inject_bug,
            in_flight: AtomicU64::new(0),
            checkouts_ok: AtomicU64::new(0),
            checkouts_failed: AtomicU64::new(0),
        };
        let mut problems = Vec::new();
        for (i, spec) in config.products.iter().enumerate() {
            match shop.catalog.create(spec) {
                Ok(id) => {
                    if let Err(e) = shop.inventory.add_sku(id, spec.initial_stock) {
                        problems.push(format!("products[{i}]: {e}"));
                    }
                }
                Err(e) => problems.push(format!("products[{i}]: {e}")),
            }
        }
        for (i, spec) in config.coupons.into_iter().enumerate() {
            if let Err(e) = shop.coupons.create(spec) {
                problems.push(format!("coupons[{i}]: {e}"));
            }
        }
        for (i, a) in config.admins.iter().enumerate() {
            if let Err(e) = shop.users.register(&a.email, &a.password, Role::Admin) {
                problems.push(format!("admins[{i}]: {e}"));
            }
        }
        if problems.is_empty() {
            Ok(shop)
        } else {
            Err(ConfigError { problems })
        }
    }

    // ---- users ------------------------------------------------------------

    /// Registers a customer.
    pub fn register(&self, email: &str, password: &str) -> Result<CustomerId, ShopError> {
        Ok(self.users.register(email, password, Role::Customer)?)
    }

    /// Registers customers in order, all with password `pw`, each hashed
    /// on its first login ([`Users::register_many`]).
    pub fn register_many(&self, e: Emails, pw: &str) -> Result<Vec<UserId>, ShopError> {
        Ok(self.users.register_many(e, pw, Role::Customer)?)
    }

    /// Logs in (customer or admin) and opens a session.
    pub fn login(&self, email: &str, password: &str, now: Nanos) -> Result<Session, ShopError> {
        Ok(self.users.login(email, password, now)?)
    }

    /// Ends a session; returns whether it existed.
    pub fn logout(&self, token: Token) -> bool {
        self.users.logout(token)
    }

    /// The live session behind a token.
    pub fn authenticate(&self, token: Token, now: Nanos) -> Result<Session, ShopError> {
        Ok(self.users.authenticate(token, now)?)
    }

    /// The role of a user.
    pub fn role(&self, user: UserId) -> Option<Role> {
        self.users.role(user)
    }

    // ---- catalog ----------------------------------------------------------

    /// An active product. Hot path: no allocation.
    pub fn product(&self, id: ProductId) -> Result<ProductView, ShopError> {
        Ok(self.catalog.product(id)?)
    }

    /// A product's name.
    pub fn product_name(&self, id: ProductId) -> Result<Arc<str>, ShopError> {
        self.catalog
            .name(id)
            .ok_or_else(|| super::catalog::CatalogError::UnknownProduct { product: id }.into())
    }

    /// Number of products ever created; ids are `0..product_count()`.
    pub fn product_count(&self) -> u32 {
        self.catalog.count()
    }

    /// Category names, in id order.
    pub fn categories(&self) -> Vec<String> {
        self.catalog.categories()
    }

    /// Searches active products (see [`SearchQuery`]).
    pub fn search(&self, query: &SearchQuery<'_>) -> Result<SearchPage, ShopError> {
        Ok(self
            .catalog
            .search(query, |id| self.inventory.on_hand(id).is_ok_and(|n| n > 0))?)
    }

    /// Units on hand for a SKU. Hot path: one shard lock, no allocation.
    pub fn stock(&self, id: ProductId) -> Result<i64, ShopError> {
        Ok(self.inventory.on_hand(id)?)
    }

    /// The inventory shard (lock) holding a SKU, for routing to the matching
    /// inventory station.
    pub fn inventory_shard(&self, id: ProductId) -> usize {
        self.inventory.shard_of(id)
    }

    /// Inventory lock acquisitions and how many found the lock held.
    pub fn inventory_lock_counts(&self) -> (u64, u64) {
        self.inventory.lock_counts()
    }

    /// Number of inventory shards.
    pub fn inventory_shards(&self) -> usize {
        self.inventory.shard_count()
    }

    // ---- carts ------------------------------------------------------------

    /// Adds units of an active product to a registered customer's cart, if
    /// that many are on hand now (stock is only reserved at checkout);
    /// returns the line's new quantity. Hot path: no allocation.
    pub fn add_to_cart(
        &self,
        customer: CustomerId,
        product: ProductId,
        qty: u32,
        now: Nanos,
    ) -> Result<u32, ShopError> {
        self.users.require_user(customer)?;
        self.catalog.product(product)?;
        let available = self.inventory.on_hand(product)?;
        Ok(self.carts.add(customer, product, qty, available, now)?)
    }

    /// Sets a cart line's quantity (0 removes it).
    pub fn set_cart_quantity(
        &self,
        customer: CustomerId,
        product: ProductId,
        qty: u32,
        now: Nanos,
    ) -> Result<(), ShopError> {
        self.users.require_user(customer)?;
        let available = if qty == 0 {
            0
        } else {
            self.inventory.on_hand(product)?
        };
        Ok(self.carts.set_qty(customer, product, qty, available, now)?)
    }

    /// Removes a product from a cart.
    pub fn remove_from_cart(
        &self,
        customer: CustomerId,
        product: ProductId,
        now: Nanos,
    ) -> Result<(), ShopError> {
        Ok(self.carts.remove(customer, product, now)?)
    }

    /// A copy of the customer's cart.
    pub fn cart(&self, customer: CustomerId) -> Vec<CartLine> {
        self.carts.lines(customer)
    }

    /// Prices the customer's cart at current prices, with an optional coupon
    /// (checked but not redeemed). Hot path: no allocation on success.
    pub fn price_cart(
        &self,
        customer: CustomerId,
        coupon: Option<&str>,
        now: Nanos,
    ) -> Result<PriceBreakdown, ShopError> {
        let mut cart = [CartLine::default(); MAX_CART_LINES];
        let n = self.carts.copy_lines(customer, &mut cart);
        if n == 0 {
            return Err(super::cart::CartError::Empty.into());
        }
        let mut priced = [PricedLine {
            product: ProductId(0),
            qty: 0,
            unit_price_cents: 0,
            category: CategoryId(0),
        }; MAX_CART_LINES];
        for (slot, line) in priced.iter_mut().zip(&cart[..n]) {
            *slot = self.priced_line(*line)?;
        }
        let (_, breakdown) = self.quote(customer, &priced[..n], coupon, now)?;
        Ok(breakdown)
    }

    pub(crate) fn priced_line(&self, line: CartLine) -> Result<PricedLine, ShopError> {
        let p = self.catalog.product(line.product)?;
        Ok(PricedLine {
            product: line.product,
            qty: line.qty,
            unit_price_cents: p.price_cents,
            category: p.category,
        })
    }

    /// Prices lines with a coupon checked (not redeemed).
    pub(crate) fn quote(
        &self,
        customer: CustomerId,
        lines: &[PricedLine],
        coupon: Option<&str>,
        now: Nanos,
    ) -> Result<(Option<super::ids::CouponId>, PriceBreakdown), ShopError> {
        let subtotal = pricing::subtotal(lines);
        let (coupon, effect) = match coupon {
            Some(code) => {
                let (id, effect) = self.coupons.quote(code, customer, lines, subtotal, now)?;
                (Some(id), effect)
            }
            None => (None, CouponEffect::default()),
        };
        Ok((
            coupon,
            pricing::price(lines, effect, self.shipping, self.tax_bps),
        ))
    }

    // ---- orders -----------------------------------------------------------

    /// A copy of an order.
    pub fn order(&self, id: OrderId) -> Result<Order, ShopError> {
        Ok(self.orders.get(id)?)
    }

    /// An order's status. Allocation-free.
    pub fn order_status(&self, id: OrderId) -> Result<OrderStatus, ShopError> {
        Ok(self.orders.status(id)?)
    }

    /// A customer's orders, oldest first.
    pub fn orders_of(&self, customer: CustomerId) -> Vec<OrderId> {
        self.orders.of_customer(customer)
    }

    /// Starts (`rate` > 0) or ends (0) a payment-gateway fault: the share
    /// `rate` of otherwise approved payments is declined.
    pub fn set_extra_declines(&self, rate: f64) {
        self.payments.set_extra_declines(rate);
    }

    // ---- report counters --------------------------------------------------

    /// All cheap counters at once.
    pub fn counters(&self) -> BusinessCounters {
        let (registrations, logins, login_failures) = self.users.counters();
        let payments = self.payments.counters();
        BusinessCounters {
            registrations,
            logins,
            login_failures,
            checkouts_ok: self.checkouts_ok.load(Ordering::Relaxed),
            checkouts_failed: self.checkouts_failed.load(Ordering::Relaxed),
            orders_by_status: self.orders.status_counts(),
            payments,
            revenue_cents: payments.captured_cents - payments.refunded_cents,
        }
    }

    /// Orders whose money is with the merchant (see
    /// [`OrderStatus::is_paid`]); one pass over the orders.
    pub fn paid_orders(&self) -> u64 {
        self.orders.count(|o| {
            o.status
                .is_paid(self.payments.captures_at_checkout(o.details.method))
        })
    }

    /// Active coupon redemptions per code, sorted by code.
    pub fn coupon_redemptions(&self) -> Vec<(String, u32)> {
        self.coupons.redemptions_by_code()
    }

    /// Stock counters of every SKU, sorted by SKU.
    pub fn stock_levels(&self) -> Vec<(ProductId, StockRecord)> {
        self.inventory.snapshot()
    }

    /// Every SKU that ever sold out, with the `now` of the sale that first
    /// left nothing on hand, sorted by SKU (current stock: [`Shop::stock_levels`]).
    pub fn sold_out(&self) -> Vec<(ProductId, Nanos)> {
        self.inventory
            .snapshot()
            .into_iter()
            .filter_map(|(id, r)| r.first_sold_out_at.map(|t| (id, t)))
            .collect()
    }

    /// Checkouts running right now (0 after a drain).
    pub fn checkouts_in_flight(&self) -> u64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Every ledger leg, in movement order.
    pub fn ledger(&self) -> Vec<super::ledger::LedgerEntry> {
        self.payments.ledger()
    }

    /// Every payment, sorted by id.
    pub fn payments(&self) -> Vec<super::payments::Payment> {
        self.payments.all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shop() -> Shop {
        Shop::new(ShopConfig::sample(8)).unwrap()
    }

    #[test]
    fn shop_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Shop>();
    }

    #[test]
    fn new_builds_every_service() {
        let s = shop();
        assert_eq!(s.product_count(), 8);
        assert_eq!(s.stock(ProductId(7)).unwrap(), 100);
        assert_eq!(s.categories().len(), 4);
        assert_eq!(s.coupon_redemptions().len(), 4);
        assert_eq!(s.counters().registrations, 1, "the sample admin");
        assert!(s.inventory_shard(ProductId(3)) < s.inventory_shards());
        let mut bad = ShopConfig::sample(2);
        bad.products[0].category = CategoryId(40);
        assert!(Shop::new(bad).unwrap_err().problems[0].starts_with("products[0]"));
    }

    #[test]
    fn customer_flow_and_errors() {
        let s = shop();
        let c = s.register("c@x.io", "password1").unwrap();
        assert_eq!(
            s.login("c@x.io", "password1", 5).unwrap().role,
            Role::Customer
        );
        assert_eq!(
            s.add_to_cart(UserId(99), ProductId(0), 1, 0)
                .unwrap_err()
                .kind(),
            "not_found"
        );
        assert_eq!(
            s.add_to_cart(c, ProductId(99), 1, 0).unwrap_err().kind(),
            "not_found"
        );
        assert_eq!(
            s.add_to_cart(c, ProductId(0), 0, 0).unwrap_err().kind(),
            "invalid_input"
        );
        assert_eq!(
            s.add_to_cart(c, ProductId(0), 101, 0).unwrap_err().kind(),
            "invalid_input"
        );
        assert_eq!(s.price_cart(c, None, 0).unwrap_err().kind(), "empty_cart");
        assert_eq!(s.add_to_cart(c, ProductId(0), 2, 0).unwrap(), 2);
        s.set_cart_quantity(c, ProductId(0), 3, 1).unwrap();
        let price = s.product(ProductId(0)).unwrap().price_cents;
        let p = s.price_cart(c, None, 0).unwrap();
        assert_eq!(p.subtotal_cents, 3 * price);
        assert_eq!(p.arithmetic_error(), None);
        let with = s.price_cart(c, Some("SAVE10"), 0).unwrap();
        assert_eq!(with.discount_cents, 3 * price / 10);
        assert_eq!(
            s.price_cart(c, Some("NOPE"), 0).unwrap_err().kind(),
            "coupon_invalid"
        );
        s.remove_from_cart(c, ProductId(0), 2).unwrap();
        assert!(s.cart(c).is_empty());
        assert_eq!(
            s.product_name(ProductId(2)).unwrap().split(' ').nth(1),
            Some("planter")
        );
    }

    #[test]
    fn search_uses_live_stock() {
        let s = shop();
        let q = SearchQuery {
            in_stock_only: true,
            page_size: 100,
            ..SearchQuery::default()
        };
        assert_eq!(s.search(&q).unwrap().total, 8);
        s.inventory.corrupt(ProductId(3), |r| r.on_hand = 0);
        assert_eq!(s.search(&q).unwrap().total, 7);
        let q = SearchQuery {
            text: "wrench",
            page_size: 10,
            ..SearchQuery::default()
        };
        assert_eq!(
            s.search(&q)
                .unwrap()
                .items
                .iter()
                .map(|p| p.id.0)
                .collect::<Vec<_>>(),
            vec![3, 7]
        );
    }
}

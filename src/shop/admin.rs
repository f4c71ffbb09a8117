//! Admin operations: catalog, stock, coupons and order fulfilment.
//!
//! Guarantees: every operation first checks the session behind the token
//! and refuses customers (and unknown or expired sessions) with
//! `unauthorized`, before changing anything. Order operations decide under
//! the order's lock, then undo money, stock and coupon outside it, so a
//! concurrent second cancel or refund of the same order is refused with
//! `illegal_transition` instead of paying back twice.
//!
//! Stock on cancel and refund (the documented choice):
//! - **cancel** (`awaiting_payment`, `paid`, or cash-on-delivery `shipped`
//!   refused at the door): the units go back on hand, the coupon use is
//!   released, money is refunded (if captured) or the authorization voided;
//! - **refund** (`paid`, prepaid `shipped`, `delivered`): money is refunded in
//!   full; units go back on hand only if the order had not shipped (goods
//!   already sent are written off, so they stay counted as sold); the coupon
//!   stays redeemed, since it was used by a completed purchase.

use super::Shop;
use super::catalog::{ProductPatch, ProductSpec};
use super::checkout::stock_lines;
use super::coupons::{CouponError, CouponSpec};
use super::error::ShopError;
use super::ids::{CategoryId, Cents, CouponId, Nanos, OrderId, ProductId, Token};
use super::inventory::StockRecord;
use super::orders::{OrderError, OrderStatus};

impl Shop {
    /// Adds a category.
    pub fn create_category(
        &self,
        token: Token,
        name: &str,
        now: Nanos,
    ) -> Result<CategoryId, ShopError> {
        self.users.require_admin(token, now)?;
        Ok(self.catalog.create_category(name)?)
    }

    /// Adds a product with its initial stock.
    pub fn create_product(
        &self,
        token: Token,
        spec: &ProductSpec,
        now: Nanos,
    ) -> Result<ProductId, ShopError> {
        self.users.require_admin(token, now)?;
        let id = self.catalog.create(spec)?;
        self.inventory.add_sku(id, spec.initial_stock)?;
        Ok(id)
    }

    /// Changes a product (name, category, price, rank, active). Carts are
    /// priced at the current price; existing orders keep theirs.
    pub fn update_product(
        &self,
        token: Token,
        id: ProductId,
        patch: &ProductPatch,
        now: Nanos,
    ) -> Result<(), ShopError> {
        self.users.require_admin(token, now)?;
        Ok(self.catalog.update(id, patch)?)
    }

    /// Changes a product's price.
    pub fn set_price(
        &self,
        token: Token,
        id: ProductId,
        price_cents: Cents,
        now: Nanos,
    ) -> Result<(), ShopError> {
        self.update_product(
            token,
            id,
            &ProductPatch {
                price_cents: Some(price_cents),
                ..ProductPatch::default()
            },
            now,
        )
    }

    /// Deactivates a product: lookups and checkouts of carts holding it
    /// answer `not_found`; its stock and orders remain.
    pub fn delete_product(&self, token: Token, id: ProductId, now: Nanos) -> Result<(), ShopError> {
        self.update_product(
            token,
            id,
            &ProductPatch {
                active: Some(false),
                ..ProductPatch::default()
            },
            now,
        )
    }

    /// Adds units on hand.
    pub fn restock(
        &self,
        token: Token,
        id: ProductId,
        qty: u32,
        now: Nanos,
    ) -> Result<StockRecord, ShopError> {
        self.users.require_admin(token, now)?;
        Ok(self.inventory.restock(id, qty)?)
    }

    /// Adds a coupon.
    pub fn create_coupon(
        &self,
        token: Token,
        spec: CouponSpec,
        now: Nanos,
    ) -> Result<CouponId, ShopError> {
        self.users.require_admin(token, now)?;
        if let Some(c) = spec.category
            && usize::from(c.0) >= self.catalog.categories().len()
        {
            return Err(CouponError::InvalidSpec {
                reason: format!("category {c} does not exist"),
            }
            .into());
        }
        Ok(self.coupons.create(spec)?)
    }

    /// Hands an order to the carrier (`paid` or `awaiting_payment` → `shipped`).
    pub fn ship_order(&self, token: Token, order: OrderId, now: Nanos) -> Result<(), ShopError> {
        self.users.require_admin(token, now)?;
        Ok(self
            .orders
            .transition(order, OrderStatus::Shipped, now, |_| Ok(()))?)
    }

    /// Marks an order delivered; cash on delivery is captured now.
    pub fn deliver_order(&self, token: Token, order: OrderId, now: Nanos) -> Result<(), ShopError> {
        self.users.require_admin(token, now)?;
        let (collect, payment) =
            self.orders
                .transition(order, OrderStatus::Delivered, now, |o| {
                    Ok((
                        !self.payments.captures_at_checkout(o.details.method),
                        o.details.payment,
                    ))
                })?;
        if collect {
            self.payments.capture(payment, now)?;
        }
        Ok(())
    }

    /// Cancels an order not yet delivered (see the module docs).
    pub fn cancel_order(&self, token: Token, order: OrderId, now: Nanos) -> Result<(), ShopError> {
        self.users.require_admin(token, now)?;
        let (captured, returned, payment, coupon) =
            self.orders
                .transition(order, OrderStatus::Cancelled, now, |o| {
                    let prepaid = self.payments.captures_at_checkout(o.details.method);
                    let captured = match o.status {
                        OrderStatus::Created => {
                            return Err(not_allowed(
                                order,
                                OrderStatus::Cancelled,
                                "its checkout is still running",
                            ));
                        }
                        OrderStatus::Shipped if prepaid => {
                            return Err(not_allowed(
                                order,
                                OrderStatus::Cancelled,
                                "it was paid and shipped: refund it instead",
                            ));
                        }
                        OrderStatus::Paid => true,
                        _ => false,
                    };
                    let returned = o.stock_held.then(|| stock_lines(&o.details.lines));
                    o.stock_held = false;
                    Ok((captured, returned, o.details.payment, o.details.coupon))
                })?;
        let money = if captured {
            self.payments.refund(payment, now).map(|_| ())
        } else {
            self.payments.void(payment)
        };
        if let Some(lines) = returned {
            self.inventory.unsell(&lines);
        }
        if let Some(t) = coupon {
            self.coupons.release(t);
        }
        Ok(money?)
    }

    /// Refunds a paid order in full; returns the amount (see the module docs).
    pub fn refund_order(
        &self,
        token: Token,
        order: OrderId,
        now: Nanos,
    ) -> Result<Cents, ShopError> {
        self.users.require_admin(token, now)?;
        let (payment, returned) =
            self.orders
                .transition(order, OrderStatus::Refunded, now, |o| {
                    let prepaid = self.payments.captures_at_checkout(o.details.method);
                    if o.status == OrderStatus::Shipped && !prepaid {
                        return Err(not_allowed(
                            order,
                            OrderStatus::Refunded,
                            "cash on delivery was not collected yet: cancel it instead",
                        ));
                    }
                    let returned = (o.status == OrderStatus::Paid && o.stock_held)
                        .then(|| stock_lines(&o.details.lines));
                    if returned.is_some() {
                        o.stock_held = false;
                    }
                    Ok((o.details.payment, returned))
                })?;
        let amount = self.payments.refund(payment, now);
        if let Some(lines) = returned {
            self.inventory.unsell(&lines);
        }
        Ok(amount?)
    }
}

fn not_allowed(order: OrderId, to: OrderStatus, reason: &'static str) -> OrderError {
    OrderError::NotAllowed { order, to, reason }
}

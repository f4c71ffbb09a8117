//! What the admins' background operations do in the shop: restocks, price
//! changes and coupons through the role-checked admin API (restocks and
//! price changes invalidate the product's cache entry), and the order
//! lifecycle on the orders the [`OrderDesk`] hands out.

use super::*;

impl ShopBusiness {
    pub(super) fn admin_op(
        &self,
        action: Action,
        product: u32,
        cx: &mut Cx<'_>,
    ) -> Result<(), ErrorKind> {
        let now = cx.now.as_nanos();
        let id = ProductId(product);
        match action {
            Action::Restock => {
                self.shop
                    .restock(self.admin, id, self.restock_quantity, now)
                    .map_err(|e| kind(&e))?;
                self.seen_sold_out().remove(&product);
                cx.invalidate(product);
            }
            Action::PriceChange => {
                let old = self.shop.product(id).map_err(|e| kind(&e))?.price_cents;
                let change = cx.rng.random_range(-1.0..=1.0) * self.price_change_pct / 100.0;
                let new = ((old as f64) * (1.0 + change)).round().max(1.0) as i64;
                self.shop
                    .set_price(self.admin, id, new, now)
                    .map_err(|e| kind(&e))?;
                cx.invalidate(product);
            }
            Action::CreateCoupon => {
                let n = self.tally.admin_coupons.fetch_add(1, Relaxed) + 1;
                let spec = CouponSpec {
                    code: format!("ADMIN{n}"),
                    kind: CouponKind::Percent(self.coupon_percent),
                    min_order_cents: 0,
                    valid_from: now,
                    valid_until: u64::MAX,
                    category: None,
                    global_limit: Some(self.coupon_limit),
                    per_customer_limit: Some(1),
                };
                self.shop
                    .create_coupon(self.admin, spec, now)
                    .map_err(|e| kind(&e))?;
            }
            op => {
                if let Some(task) = Task::of(op) {
                    self.fulfil(task, cx)?;
                }
            }
        }
        Ok(())
    }

    /// One step of the order lifecycle on the order the desk hands out;
    /// with no order at that stage there is nothing to do.
    fn fulfil(&self, task: Task, cx: &mut Cx<'_>) -> Result<(), ErrorKind> {
        let Some(desk) = &self.desk else {
            return Ok(());
        };
        let Some(order) = desk.take(task, cx.rng.random()) else {
            return Ok(());
        };
        let now = cx.now.as_nanos();
        let done = match task {
            Task::Ship => self.shop.ship_order(self.admin, order, now),
            Task::Deliver => self.shop.deliver_order(self.admin, order, now),
            Task::Cancel => self.shop.cancel_order(self.admin, order, now),
            Task::Refund => self.shop.refund_order(self.admin, order, now).map(|_| ()),
        };
        done.map_err(|e| kind(&e))?;
        desk.done(task, order);
        Ok(())
    }
}

//! business.csv: the rows a run reports, read from the shop and the
//! business's own tally at the end of the run.

use super::*;
use crate::contract::names::business as metric;

impl ShopBusiness {
    pub(super) fn metrics(&self) -> Vec<BusinessMetric> {
        use crate::shop::OrderStatus;
        let c = self.shop.counters();
        let status = |st: OrderStatus| {
            c.orders_by_status
                .iter()
                .find(|(s, _)| *s == st)
                .map_or(0, |x| x.1) as f64
        };
        let paid_like = self.shop.paid_orders() as f64;
        let orders = c.checkouts_ok as f64;
        let revenue = c.revenue_cents as f64 / 100.0;
        let mut m = vec![
            BusinessMetric::sum(
                metric::REGISTRATIONS,
                (c.registrations - self.tally.registrations_at_start) as f64,
            ),
            BusinessMetric::sum(
                metric::LOGINS,
                (c.logins - self.tally.logins_at_start) as f64,
            ),
            BusinessMetric::sum(
                metric::NEW_VISITORS,
                self.tally.new_visitors.load(Relaxed) as f64,
            ),
            BusinessMetric::sum(metric::ORDERS_PLACED, orders),
            BusinessMetric::sum(metric::ORDERS_PAID, paid_like),
            BusinessMetric::sum(
                metric::ORDERS_AWAITING_PAYMENT,
                status(OrderStatus::AwaitingPayment),
            ),
            BusinessMetric::sum(metric::ORDERS_SHIPPED, status(OrderStatus::Shipped)),
            BusinessMetric::sum(metric::ORDERS_DELIVERED, status(OrderStatus::Delivered)),
            BusinessMetric::sum(metric::ORDERS_CANCELLED, status(OrderStatus::Cancelled)),
            BusinessMetric::sum(metric::ORDERS_REFUNDED, status(OrderStatus::Refunded)),
            BusinessMetric::sum(metric::CHECKOUTS_FAILED, c.checkouts_failed as f64),
            BusinessMetric::sum(metric::REVENUE, revenue),
            BusinessMetric::mean(
                metric::AVERAGE_ORDER_VALUE,
                if paid_like > 0.0 {
                    revenue / paid_like
                } else {
                    0.0
                },
            ),
            // Over every session of the run, warmup included, like orders.
            BusinessMetric::mean(
                metric::CONVERSION_RATE,
                if self.tally.sessions.load(Relaxed) > 0 {
                    orders / self.tally.sessions.load(Relaxed) as f64
                } else {
                    0.0
                },
            ),
            BusinessMetric::sum(
                metric::SESSIONS_WITH_CART,
                self.tally.sessions_with_cart.load(Relaxed) as f64,
            ),
            BusinessMetric::sum(
                metric::CARTS_ABANDONED,
                self.tally.abandoned.load(Relaxed) as f64,
            ),
            BusinessMetric::mean(
                metric::CART_ABANDONMENT,
                if self.tally.sessions_with_cart.load(Relaxed) > 0 {
                    self.tally.abandoned.load(Relaxed) as f64
                        / self.tally.sessions_with_cart.load(Relaxed) as f64
                } else {
                    0.0
                },
            ),
        ];
        let sold_out = self.shop.sold_out();
        m.push(BusinessMetric::sum(
            metric::SKUS_SOLD_OUT,
            sold_out.len() as f64,
        ));
        if self.doorbusters > 0 {
            let doors: Vec<u64> = sold_out
                .iter()
                .filter(|(id, _)| id.0 < self.doorbusters)
                .map(|(_, t)| *t)
                .collect();
            m.push(BusinessMetric::sum(
                metric::DOORBUSTERS_SOLD_OUT,
                doors.len() as f64,
            ));
            if let Some(first) = doors.iter().min() {
                m.push(BusinessMetric::mean(
                    metric::FIRST_DOORBUSTER_SOLD_OUT_S,
                    *first as f64 / 1e9,
                ));
            }
        }
        let redemptions = self.shop.coupon_redemptions();
        let total: u32 = redemptions.iter().map(|r| r.1).sum();
        m.push(BusinessMetric::sum(
            metric::COUPON_REDEMPTIONS,
            total as f64,
        ));
        // One row per scenario coupon, in file order (admin-created coupons
        // count in the total only, so the rows are known before the run).
        for code in &self.coupon_codes {
            let n = redemptions.iter().find(|r| &r.0 == code).map_or(0, |r| r.1);
            m.push(BusinessMetric::sum(
                metric::coupon_redemptions(code),
                n as f64,
            ));
        }
        m.extend([
            BusinessMetric::sum(metric::PAYMENT_DECLINES, c.payments.declines as f64),
            BusinessMetric::sum(metric::GATEWAY_TIMEOUTS, c.payments.gateway_timeouts as f64),
            BusinessMetric::sum(
                metric::PAYMENT_RETRIES,
                self.tally.payment_retries.load(Relaxed) as f64,
            ),
            BusinessMetric::sum(
                metric::IDEMPOTENT_REPLAYS,
                c.payments.idempotent_replays as f64,
            ),
            BusinessMetric::sum(metric::REFUNDED, c.payments.refunded_cents as f64 / 100.0),
        ]);
        m
    }
}

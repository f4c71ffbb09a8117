//! business.csv: the rows a run reports, read from the shop and the
//! business's own tally at the end of the run.

use super::*;

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
                "registrations",
                (c.registrations - self.tally.registrations_at_start) as f64,
            ),
            BusinessMetric::sum("logins", (c.logins - self.tally.logins_at_start) as f64),
            BusinessMetric::sum("new_visitors", self.tally.new_visitors.load(Relaxed) as f64),
            BusinessMetric::sum("orders_placed", orders),
            BusinessMetric::sum("orders_paid", paid_like),
            BusinessMetric::sum(
                "orders_awaiting_payment",
                status(OrderStatus::AwaitingPayment),
            ),
            BusinessMetric::sum("orders_shipped", status(OrderStatus::Shipped)),
            BusinessMetric::sum("orders_delivered", status(OrderStatus::Delivered)),
            BusinessMetric::sum("orders_cancelled", status(OrderStatus::Cancelled)),
            BusinessMetric::sum("orders_refunded", status(OrderStatus::Refunded)),
            BusinessMetric::sum("checkouts_failed", c.checkouts_failed as f64),
            BusinessMetric::sum("revenue", revenue),
            BusinessMetric::mean(
                "average_order_value",
                if paid_like > 0.0 {
                    revenue / paid_like
                } else {
                    0.0
                },
            ),
            // Over every session of the run, warmup included, like orders.
            BusinessMetric::mean(
                "conversion_rate",
                if self.tally.sessions.load(Relaxed) > 0 {
                    orders / self.tally.sessions.load(Relaxed) as f64
                } else {
                    0.0
                },
            ),
            BusinessMetric::sum(
                "sessions_with_cart",
                self.tally.sessions_with_cart.load(Relaxed) as f64,
            ),
            BusinessMetric::sum("carts_abandoned", self.tally.abandoned.load(Relaxed) as f64),
            BusinessMetric::mean(
                "cart_abandonment",
                if self.tally.sessions_with_cart.load(Relaxed) > 0 {
                    self.tally.abandoned.load(Relaxed) as f64
                        / self.tally.sessions_with_cart.load(Relaxed) as f64
                } else {
                    0.0
                },
            ),
        ];
        let sold_out = self.shop.sold_out();
        m.push(BusinessMetric::sum("skus_sold_out", sold_out.len() as f64));
        if self.doorbusters > 0 {
            let doors: Vec<u64> = sold_out
                .iter()
                .filter(|(id, _)| id.0 < self.doorbusters)
                .map(|(_, t)| *t)
                .collect();
            m.push(BusinessMetric::sum(
                "doorbusters_sold_out",
                doors.len() as f64,
            ));
            if let Some(first) = doors.iter().min() {
                m.push(BusinessMetric::mean(
                    "first_doorbuster_sold_out_s",
                    *first as f64 / 1e9,
                ));
            }
        }
        let redemptions = self.shop.coupon_redemptions();
        let total: u32 = redemptions.iter().map(|r| r.1).sum();
        m.push(BusinessMetric::sum("coupon_redemptions", total as f64));
        // One row per scenario coupon, in file order (admin-created coupons
        // count in the total only, so the rows are known before the run).
        for code in &self.coupon_codes {
            let n = redemptions.iter().find(|r| &r.0 == code).map_or(0, |r| r.1);
            m.push(BusinessMetric::sum(
                format!("coupon_redemptions.{code}"),
                n as f64,
            ));
        }
        m.extend([
            BusinessMetric::sum("payment_declines", c.payments.declines as f64),
            BusinessMetric::sum("gateway_timeouts", c.payments.gateway_timeouts as f64),
            BusinessMetric::sum(
                "payment_retries",
                self.tally.payment_retries.load(Relaxed) as f64,
            ),
            BusinessMetric::sum("idempotent_replays", c.payments.idempotent_replays as f64),
            BusinessMetric::sum("refunded", c.payments.refunded_cents as f64 / 100.0),
        ]);
        m
    }
}

/// The business metric names a run of `sc` reports (after `sessions`).
pub fn metric_names(sc: &Scenario) -> Vec<String> {
    let mut n: Vec<String> = [
        "registrations",
        "logins",
        "new_visitors",
        "orders_placed",
        "orders_paid",
        "orders_awaiting_payment",
        "orders_shipped",
        "orders_delivered",
        "orders_cancelled",
        "orders_refunded",
        "checkouts_failed",
        "revenue",
        "average_order_value",
        "conversion_rate",
        "sessions_with_cart",
        "carts_abandoned",
        "cart_abandonment",
        "skus_sold_out",
    ]
    .map(String::from)
    .to_vec();
    if sc.catalog.doorbusters.count > 0 {
        n.extend([
            "doorbusters_sold_out".to_owned(),
            "first_doorbuster_sold_out_s".to_owned(),
        ]);
    }
    n.push("coupon_redemptions".into());
    n.extend(
        sc.coupons
            .iter()
            .map(|c| format!("coupon_redemptions.{}", c.code)),
    );
    n.extend(
        [
            "payment_declines",
            "gateway_timeouts",
            "payment_retries",
            "idempotent_replays",
            "refunded",
        ]
        .map(String::from),
    );
    n
}

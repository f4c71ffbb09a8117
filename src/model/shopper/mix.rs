//! How sessions are drawn: returning or new, holding a coupon or not,
//! which payment method, how many units per add, compiled once from the
//! scenario.

use super::*;

/// How sessions are drawn, compiled from the scenario.
pub(super) struct Mix {
    pub(super) returning: f64,
    pub(super) registered: u32,
    pub(super) coupon_share: f64,
    /// Cumulative coupon weights, normalised.
    pub(super) coupon_cdf: Vec<f64>,
    /// Cumulative method shares, normalised.
    pub(super) method_cdf: Vec<f64>,
    pub(super) methods: Vec<(PaymentMethodKind, Option<u16>)>,
    pub(super) quantity: Sampler,
    pub(super) recently_viewed: f64,
    pub(super) max_retries: u32,
}

pub(super) fn cdf(weights: impl Iterator<Item = f64>) -> Vec<f64> {
    let w: Vec<f64> = weights.collect();
    let total: f64 = w.iter().sum();
    let mut acc = 0.0;
    w.iter()
        .map(|x| {
            acc += x / total;
            acc
        })
        .collect()
}

pub(super) fn pick(cdf: &[f64], rng: &mut SimRng) -> usize {
    let u: f64 = rng.random();
    cdf.iter()
        .position(|&c| u < c)
        .unwrap_or(cdf.len().saturating_sub(1))
}

impl Mix {
    pub(super) fn new(sc: &Scenario) -> Mix {
        Mix {
            returning: sc.customers.returning,
            registered: sc.customers.registered,
            coupon_share: if sc.coupons.is_empty() {
                0.0
            } else {
                sc.customers.coupon_share
            },
            coupon_cdf: cdf(sc.coupons.iter().map(|c| c.weight)),
            method_cdf: cdf(sc.payments.methods.iter().map(|m| m.share)),
            methods: sc
                .payments
                .methods
                .iter()
                .map(|m| {
                    (
                        method_kind(m.kind),
                        m.station.map(|g| sc.groups[g as usize].first),
                    )
                })
                .collect(),
            quantity: sc
                .customers
                .quantity
                .sampler()
                .unwrap_or(Sampler::Constant(1.0)),
            recently_viewed: sc.customers.recently_viewed,
            max_retries: sc.payments.max_retries,
        }
    }
}

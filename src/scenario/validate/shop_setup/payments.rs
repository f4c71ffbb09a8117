//! `[payments]`: the retry limit and, per method kind, its share, decline
//! and timeout rates (with per-kind defaults) and its gateway station.
//!
//! Only methods with a positive share are kept, in [`MethodKind::ALL`]
//! order; at least one must remain. A gateway must be an unsharded
//! station, and only kinds that can time out may have a timeout rate
//! above 0.

use super::*;

pub(in crate::scenario::validate) fn payments(
    c: &mut Checker,
    f: Option<&PaymentsFile>,
    groups: &[StationGroup],
) -> Option<Payments> {
    let d = PaymentsFile::default();
    let f = f.unwrap_or(&d);
    let max_retries = c.count("payments.max_retries", f.max_retries.unwrap_or(2), 0, 100);
    let defaults = [
        (0.7, 0.02, 0.005),
        (0.15, 0.01, 0.0),
        (0.1, 0.01, 0.002),
        (0.05, 0.0, 0.0),
    ];
    let files = [&f.card, &f.wallet, &f.bank_transfer, &f.cash_on_delivery];
    let mut methods = Vec::new();
    let mut ok = true;
    for ((kind, file), (share, decline, timeout)) in
        MethodKind::ALL.into_iter().zip(files).zip(defaults)
    {
        let p = format!("payments.{}", kind.name());
        let m = file.clone().unwrap_or_default();
        let share = c.positive_f64(&format!("{p}.share"), m.share.unwrap_or(share), true);
        let decline = probability(
            c,
            &format!("{p}.decline_rate"),
            m.decline_rate.unwrap_or(decline),
        );
        let timeout = probability(
            c,
            &format!("{p}.timeout_rate"),
            m.timeout_rate.unwrap_or(timeout),
        );
        if !kind.can_time_out() && timeout.is_some_and(|t| t > 0.0) {
            c.issue(
                format!("{p}.timeout_rate"),
                format!(
                    "`{}` never times out: leave `timeout_rate` out",
                    kind.name()
                ),
            );
        }
        if let (Some(d), Some(t)) = (decline, timeout)
            && d + t > 1.0
        {
            c.issue(
                &p,
                format!("`decline_rate` + `timeout_rate` is {}, more than 1", d + t),
            );
        }
        let station = match &m.station {
            Some(name) => match groups.iter().position(|g| &g.name == name) {
                Some(g) if groups[g].shards > 1 => {
                    c.issue(
                        format!("{p}.station"),
                        format!("station \"{name}\" is sharded; a payment gateway cannot be"),
                    );
                    None
                }
                Some(g) => Some(Some(g as u16)),
                None => {
                    c.issue(
                        format!("{p}.station"),
                        format!("unknown station \"{name}\": define it as [stations.{name}]"),
                    );
                    None
                }
            },
            None => Some(None),
        };
        match (share, decline, timeout, station) {
            (Some(share), Some(decline_rate), Some(timeout_rate), Some(station)) => {
                if share > 0.0 {
                    methods.push(Method {
                        kind,
                        share,
                        decline_rate,
                        timeout_rate,
                        station,
                    });
                }
            }
            _ => ok = false,
        }
    }
    if ok && methods.is_empty() {
        c.issue(
            "payments",
            "every payment method has share 0: checkouts could not pay",
        );
    }
    (ok && !methods.is_empty()).then_some(Payments {
        max_retries: max_retries?,
        methods,
    })
}

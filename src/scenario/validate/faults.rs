//! `[[faults]]`: windows of degraded service at a station group, a cache
//! flush, a burst of payment declines; each fault's keys checked against
//! its kind.

use super::*;

pub(super) const FAULT_KINDS: &str = "slow, outage, cache_flush, payment_declines";

pub(super) fn faults(
    c: &mut Checker,
    files: &[FaultFile],
    groups: &[StationGroup],
    duration: Option<SimDuration>,
) -> Vec<Fault> {
    let mut out = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let p = format!("faults.{i}");
        let at = match &f.at {
            Some(t) => c.duration(&format!("{p}.at"), t),
            None => {
                c.issue(&p, "a fault needs `at`, e.g. at = \"45m\"");
                None
            }
        };
        if let (Some(at), Some(d)) = (at, duration)
            && at >= d
        {
            c.issue(
                format!("{p}.at"),
                format!("fault at {at} starts after the run's duration {d}"),
            );
        }
        let lasts = match &f.lasts {
            Some(t) => c.duration(&format!("{p}.for"), t).filter(|d| {
                let ok = *d > SimDuration::ZERO;
                if !ok {
                    c.issue(format!("{p}.for"), "`for` must be greater than zero");
                }
                ok
            }),
            None => None,
        };
        let group = |c: &mut Checker| -> Option<u16> {
            let Some(name) = &f.station else {
                c.issue(&p, "this fault needs `station`");
                return None;
            };
            let g = groups
                .iter()
                .position(|g| &g.name == name)
                .map(|g| g as u16);
            if g.is_none() {
                c.issue(
                    format!("{p}.station"),
                    format!(
                        "unknown station \"{name}\": expected one of {}",
                        groups
                            .iter()
                            .map(|g| g.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
            g
        };
        let stray = |c: &mut Checker, key: &str, present: bool, kind: &str| {
            if present {
                let a = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
                    "an"
                } else {
                    "a"
                };
                c.issue(
                    format!("{p}.{key}"),
                    format!("{a} `{kind}` fault does not take `{key}`"),
                );
            }
        };
        let kind = match f.kind.as_deref() {
            Some("slow") => {
                stray(c, "mode", f.mode.is_some(), "slow");
                stray(c, "decline_rate", f.decline_rate.is_some(), "slow");
                let g = group(c);
                let factor = match f.factor {
                    Some(x) => c.at_most(&format!("{p}.factor"), x, false, MAX_SLOWDOWN, "times"),
                    None => {
                        c.issue(&p, "a `slow` fault needs `factor`, e.g. factor = 5.0");
                        None
                    }
                };
                g.zip(factor)
                    .map(|(group, factor)| FaultKind::Slow { group, factor })
            }
            Some("outage") => {
                stray(c, "factor", f.factor.is_some(), "outage");
                stray(c, "decline_rate", f.decline_rate.is_some(), "outage");
                let g = group(c);
                let hang = match f.mode.as_deref() {
                    None | Some("fail_fast") => Some(false),
                    Some("hang") => Some(true),
                    Some(m) => {
                        c.issue(
                            format!("{p}.mode"),
                            format!(
                                "unknown outage mode \"{m}\": expected \"fail_fast\" or \"hang\""
                            ),
                        );
                        None
                    }
                };
                g.zip(hang)
                    .map(|(group, hang)| FaultKind::Outage { group, hang })
            }
            Some("cache_flush") => {
                for (key, present) in [
                    ("station", f.station.is_some()),
                    ("factor", f.factor.is_some()),
                    ("mode", f.mode.is_some()),
                    ("decline_rate", f.decline_rate.is_some()),
                    ("for", f.lasts.is_some()),
                ] {
                    stray(c, key, present, "cache_flush");
                }
                Some(FaultKind::CacheFlush)
            }
            Some("payment_declines") => {
                for (key, present) in [
                    ("station", f.station.is_some()),
                    ("factor", f.factor.is_some()),
                    ("mode", f.mode.is_some()),
                ] {
                    stray(c, key, present, "payment_declines");
                }
                match f.decline_rate {
                    Some(r) if (0.0..=1.0).contains(&r) => {
                        Some(FaultKind::PaymentDeclines { rate: r })
                    }
                    Some(r) => {
                        c.issue(
                            format!("{p}.decline_rate"),
                            format!("`decline_rate` must be between 0 and 1, found {r}"),
                        );
                        None
                    }
                    None => {
                        c.issue(&p, "a `payment_declines` fault needs `decline_rate`, e.g. decline_rate = 0.4");
                        None
                    }
                }
            }
            Some(other) => {
                c.issue(
                    format!("{p}.kind"),
                    format!("unknown fault kind \"{other}\": expected one of {FAULT_KINDS}"),
                );
                None
            }
            None => {
                c.issue(&p, format!("a fault needs `kind`: one of {FAULT_KINDS}"));
                None
            }
        };
        if kind.as_ref().is_some_and(|k| *k != FaultKind::CacheFlush) && f.lasts.is_none() {
            c.issue(&p, "this fault needs `for`, e.g. for = \"10m\"");
        }
        if let (Some(at), Some(kind)) = (at, kind) {
            out.push(Fault { at, lasts, kind });
        }
    }
    out
}

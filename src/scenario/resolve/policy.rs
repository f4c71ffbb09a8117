//! Writing a call site's client policies back as the route language reads
//! them (`timeout`, `cancel`, `retry`, `breaker`), every default filled in.

use toml::Value;
use toml::map::Map;

use super::dur;
use crate::contract::ErrorKind;
use crate::contract::policy::CallPolicy;

/// Adds `p`'s keys to the step table `t` (the step owns `cancel` when it
/// already has one).
pub(super) fn write(t: &mut Map<String, Value>, p: &CallPolicy) {
    let s = |v: String| Value::String(v);
    if let Some(d) = p.timeout {
        t.insert("timeout".into(), s(dur(d)));
        t.entry("cancel").or_insert(Value::Boolean(p.cancel));
    }
    if let Some(r) = &p.retry {
        let mut rt = Map::new();
        rt.insert("attempts".into(), Value::Integer(r.attempts as i64));
        let on = ErrorKind::ALL
            .into_iter()
            .filter(|k| r.retries(*k))
            .map(|k| s(k.name().to_owned()))
            .collect();
        rt.insert("on".into(), Value::Array(on));
        if let Some(b) = &r.backoff {
            let mut bt = Map::new();
            bt.insert("base".into(), s(dur(b.base)));
            bt.insert("multiplier".into(), Value::Float(b.multiplier));
            bt.insert("max".into(), s(dur(b.max)));
            bt.insert("jitter".into(), s(b.jitter.name().to_owned()));
            rt.insert("backoff".into(), Value::Table(bt));
        }
        if let Some(b) = &r.budget {
            let mut bt = Map::new();
            bt.insert("ratio".into(), Value::Float(b.ratio));
            bt.insert("min_per_s".into(), Value::Float(b.min_per_s));
            bt.insert("ttl".into(), s(dur(b.ttl)));
            rt.insert("budget".into(), Value::Table(bt));
        }
        t.insert("retry".into(), Value::Table(rt));
    }
    if let Some(b) = &p.breaker {
        let mut bt = Map::new();
        bt.insert("window".into(), s(dur(b.window)));
        bt.insert("min_requests".into(), Value::Integer(b.min_requests as i64));
        bt.insert("failure_rate".into(), Value::Float(b.failure_rate));
        bt.insert("open_for".into(), s(dur(b.open_for)));
        bt.insert("half_open".into(), Value::Integer(b.half_open as i64));
        t.insert("breaker".into(), Value::Table(bt));
    }
}

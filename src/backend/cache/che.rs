//! Che's approximation: the analytic hit rate of a cache under independent
//! requests (the independent reference model, IRM), for the capacity plan
//! and for the tests that hold the real cache to it.
//!
//! Keys come in classes of equal request rate (`(rate, keys)` pairs), so a
//! catalog of millions of products can be folded into a few thousand
//! classes. Per policy, the probability that a request for a key of rate
//! λ finds it cached:
//!
//! - **LRU** (Che, Tung and Wang 2002): a key stays cached for the
//!   characteristic time T after its last request, where T solves
//!   Σ keys · (1 − e^(−λT)) = capacity; h = 1 − e^(−λT).
//! - **FIFO** (the same for random eviction, Gast and Van Houdt 2015): an
//!   entry lives T after its insertion whatever its hits; h = λT / (1 + λT)
//!   with Σ keys · h = capacity.
//! - **LFU** ("perfect" LFU, frequencies counted for the whole run): in
//!   the steady state the `capacity` most requested keys are cached; h is 1
//!   for them, 0 for the others.
//!
//! A TTL caps an entry's life at TTL after its insertion: alone, a key
//! is hit λ·TTL times per miss, h = λ·TTL / (1 + λ·TTL). With both, each
//! key gets the smaller of its capacity-bound and TTL-bound hit
//! probabilities, and T solves the capacity equation over those (an entry
//! is cached for the share of time a request would hit it, PASTA); when
//! the TTL alone keeps fewer than `capacity` keys, nothing is evicted.
//! This combination is an approximation, documented in docs/model.md.

use super::Policy;

/// Hit probability of each class of keys `(rate per second, keys)`, in
/// order, for a cache of `capacity` entries, `policy` and `ttl_s` seconds
/// of entry life (`None`: none). Rates of zero are never hit.
pub fn hit_probabilities(
    classes: &[(f64, f64)],
    capacity: f64,
    policy: Policy,
    ttl_s: Option<f64>,
) -> Vec<f64> {
    let ttl_bound = |rate: f64| match ttl_s {
        Some(ttl) => rate * ttl / (1.0 + rate * ttl),
        None => 1.0,
    };
    let keys: f64 = classes.iter().map(|c| c.1).sum();
    if capacity >= keys {
        // Everything fits: only the TTL (or the first miss) costs.
        return classes
            .iter()
            .map(|&(r, _)| r_pos(r) * ttl_bound(r))
            .collect();
    }
    match policy {
        Policy::Lfu => {
            // The most requested keys fill the cache; a class straddling
            // the boundary is cached in part.
            let mut order: Vec<usize> = (0..classes.len()).collect();
            order.sort_by(|&a, &b| classes[b].0.total_cmp(&classes[a].0));
            let mut left = capacity;
            let mut h = vec![0.0; classes.len()];
            for i in order {
                let (rate, n) = classes[i];
                let share = (left / n).clamp(0.0, 1.0);
                left -= share * n;
                h[i] = r_pos(rate) * share * ttl_bound(rate);
            }
            h
        }
        Policy::Lru | Policy::Fifo => {
            let cap_bound = |rate: f64, t: f64| match policy {
                Policy::Lru => 1.0 - (-rate * t).exp(),
                _ => rate * t / (1.0 + rate * t),
            };
            let hit = |rate: f64, t: f64| {
                if rate > 0.0 {
                    cap_bound(rate, t).min(ttl_bound(rate))
                } else {
                    0.0
                }
            };
            let filled = |t: f64| classes.iter().map(|&(r, n)| n * hit(r, t)).sum::<f64>();
            // Entries the TTL alone allows: if they fit, nothing is evicted.
            let t = if filled(f64::INFINITY) <= capacity {
                f64::INFINITY
            } else {
                characteristic_time(&filled, capacity)
            };
            classes.iter().map(|&(r, _)| hit(r, t)).collect()
        }
    }
}

/// 1 for a positive rate, else 0.
fn r_pos(rate: f64) -> f64 {
    if rate > 0.0 { 1.0 } else { 0.0 }
}

/// The T at which `filled(T)` (increasing in T) reaches `capacity`: by
/// doubling, then bisection in log space to full precision.
fn characteristic_time(filled: &dyn Fn(f64) -> f64, capacity: f64) -> f64 {
    let (mut lo, mut hi) = (1e-12, 1.0);
    while filled(hi) < capacity && hi < 1e300 {
        lo = hi;
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = (lo * hi).sqrt();
        if filled(mid) < capacity {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi / lo < 1.0 + 1e-14 {
            break;
        }
    }
    (lo * hi).sqrt()
}

/// The overall hit rate: the request-weighted mean of
/// [`hit_probabilities`].
pub fn hit_rate(classes: &[(f64, f64)], capacity: f64, policy: Policy, ttl_s: Option<f64>) -> f64 {
    let h = hit_probabilities(classes, capacity, policy, ttl_s);
    let requests: f64 = classes.iter().map(|&(r, n)| r * n).sum();
    if requests <= 0.0 {
        return 0.0;
    }
    classes
        .iter()
        .zip(h)
        .map(|(&(r, n), h)| r * n * h)
        .sum::<f64>()
        / requests
}

/// Zipf(`exponent`) request shares of ranks `0..n`, folded into classes
/// `(share per key, keys)`: the first [`EXACT_RANKS`] ranks one by one,
/// the rest in runs of ranks whose shares differ by under 0.1% (each run
/// taking its mean share), so any catalog size costs at most a few
/// thousand classes more.
pub fn zipf_classes(n: u32, exponent: f64) -> Vec<(f64, f64)> {
    let w = |i: u32| ((i + 1) as f64).powf(-exponent);
    let mut out: Vec<(f64, f64)> = (0..n.min(EXACT_RANKS)).map(|i| (w(i), 1.0)).collect();
    let mut i = EXACT_RANKS;
    while i < n {
        let len = ((i as f64 * 1e-3 / exponent.max(1e-9)) as u32).clamp(1, n - i);
        let sum: f64 = if len <= 64 {
            (i..i + len).map(w).sum()
        } else {
            // ∫ x^−s over the run, by the midpoint rule on 64 pieces.
            let step = len as f64 / 64.0;
            (0..64)
                .map(|k| step * ((i as f64 + 1.0) + step * (k as f64 + 0.5) - 0.5).powf(-exponent))
                .sum()
        };
        out.push((sum / len as f64, len as f64));
        i += len;
    }
    let total: f64 = out.iter().map(|&(s, k)| s * k).sum();
    out.iter_mut().for_each(|c| c.0 /= total);
    out
}

/// Ranks of [`zipf_classes`] kept one by one.
pub const EXACT_RANKS: u32 = 1 << 16;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cache_that_holds_everything_hits_every_request_but_ttl_misses() {
        let classes = [(1.0, 10.0), (0.5, 10.0)];
        assert_eq!(hit_rate(&classes, 20.0, Policy::Lru, None), 1.0);
        // TTL 1 s, rate 1/s: one miss per λ·TTL = 1 hit: h = 1/2.
        let h = hit_probabilities(&classes, 100.0, Policy::Fifo, Some(1.0));
        assert!((h[0] - 0.5).abs() < 1e-12 && (h[1] - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn lru_solves_the_characteristic_equation() {
        // Two equal keys, capacity 1: 2(1 − e^{−T}) = 1, T = ln 2, h = 1/2.
        let h = hit_probabilities(&[(1.0, 2.0)], 1.0, Policy::Lru, None);
        assert!((h[0] - 0.5).abs() < 1e-12, "{h:?}");
        // FIFO: 2 T/(1 + T) = 1, T = 1, h = 1/2 too by symmetry.
        let f = hit_probabilities(&[(1.0, 2.0)], 1.0, Policy::Fifo, None);
        assert!((f[0] - 0.5).abs() < 1e-12, "{f:?}");
    }

    #[test]
    fn lfu_keeps_the_most_requested_keys() {
        let classes = [(0.1, 5.0), (0.3, 2.0), (0.2, 4.0)];
        let h = hit_probabilities(&classes, 4.0, Policy::Lfu, None);
        assert_eq!(h, vec![0.0, 1.0, 0.5]);
    }

    #[test]
    fn folded_zipf_classes_keep_the_law() {
        let c = zipf_classes(1_000_000, 0.9);
        let keys: f64 = c.iter().map(|x| x.1).sum();
        assert_eq!(keys, 1e6);
        assert!(c.len() < 80_000, "{}", c.len());
        let total: f64 = c.iter().map(|x| x.0 * x.1).sum();
        assert!((total - 1.0).abs() < 1e-9);
        // Folded and exact Che agree closely on a catalog past the exact part.
        let exact: Vec<(f64, f64)> = {
            let w: Vec<f64> = (1..=200_000).map(|i| (i as f64).powf(-0.9)).collect();
            let z: f64 = w.iter().sum();
            w.into_iter().map(|x| (x / z, 1.0)).collect()
        };
        let folded = zipf_classes(200_000, 0.9);
        let a = hit_rate(&exact, 5000.0, Policy::Lru, None);
        let b = hit_rate(&folded, 5000.0, Policy::Lru, None);
        assert!((a - b).abs() < 1e-4, "{a} {b}");
    }
}

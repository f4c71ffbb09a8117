//! The reference for the engine's overhead (issue "Speed"): a bare M/M/c
//! event loop doing the same work as `benches/mm8.toml` and nothing else.
//!
//! A binary heap of `(time, seq)` events, a FIFO queue of waiting arrival
//! times, exponential draws from PCG-64 (the PRNG ecsim uses), and the
//! sum of sojourn times (so the work cannot be optimised away). No
//! histograms, no report, no agents. Run it beside ecsim and compare wall
//! times (see `benches/measure.sh`):
//!
//! ```sh
//! cargo bench --bench bare_mmc -- 8 0.9 5000000
//! ```
//!
//! Arguments: servers `c` (default 8), utilization `rho` (0.9) and
//! customers (5,000,000); service times have mean 10 ms, as in mm8.toml.
//! It prints the wall time, events per second, and the mean sojourn next
//! to Erlang C's, a check that it simulates the same queue.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::Instant;

use rand::SeedableRng;
use rand_distr::{Distribution, Exp1};
use rand_pcg::Pcg64Mcg;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Arrival,
    Departure,
}

/// Erlang C's mean sojourn for M/M/c with arrival rate `l`, service
/// rate `m` per server.
fn erlang_c_sojourn(c: u32, l: f64, m: f64) -> f64 {
    let a = l / m;
    let (mut term, mut sum) = (1.0, 1.0);
    for k in 1..c {
        term *= a / k as f64;
        sum += term;
    }
    let last = term * a / c as f64 / (1.0 - a / c as f64);
    let wait = last / (sum + last);
    wait / (c as f64 * m - l) + 1.0 / m
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let arg = |i: usize, default: f64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let c = arg(0, 8.0) as u32;
    let rho = arg(1, 0.9);
    let customers = arg(2, 5_000_000.0) as u64;
    let mean_service_ns = 10e6;
    let mean_gap_ns = mean_service_ns / (rho * c as f64);

    let started = Instant::now();
    let mut rng = Pcg64Mcg::seed_from_u64(1);
    let mut draw = |mean: f64| -> u64 {
        let e: f64 = Exp1.sample(&mut rng);
        (e * mean).round() as u64
    };
    let mut heap: BinaryHeap<Reverse<(u64, u64, Kind, u64)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut queue: VecDeque<u64> = VecDeque::new();
    let (mut busy, mut arrived, mut events) = (0u32, 0u64, 0u64);
    let mut sojourn_sum = 0f64;
    heap.push(Reverse((draw(mean_gap_ns), seq, Kind::Arrival, 0)));
    while let Some(Reverse((now, _, kind, born))) = heap.pop() {
        events += 1;
        match kind {
            Kind::Arrival => {
                arrived += 1;
                if arrived < customers {
                    seq += 1;
                    heap.push(Reverse((now + draw(mean_gap_ns), seq, Kind::Arrival, 0)));
                }
                if busy < c {
                    busy += 1;
                    seq += 1;
                    heap.push(Reverse((
                        now + draw(mean_service_ns),
                        seq,
                        Kind::Departure,
                        now,
                    )));
                } else {
                    queue.push_back(now);
                }
            }
            Kind::Departure => {
                sojourn_sum += (now - born) as f64;
                match queue.pop_front() {
                    Some(t) => {
                        seq += 1;
                        heap.push(Reverse((
                            now + draw(mean_service_ns),
                            seq,
                            Kind::Departure,
                            t,
                        )));
                    }
                    None => busy -= 1,
                }
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let lambda = 1e9 / mean_gap_ns;
    println!(
        "bare M/M/{c} rho {rho}: {customers} customers, {events} events in {secs:.3} s ({:.2}M events/s); mean sojourn {:.3} ms (Erlang C {:.3} ms)",
        events as f64 / secs / 1e6,
        sojourn_sum / customers as f64 / 1e6,
        erlang_c_sojourn(c, lambda, 1e9 / mean_service_ns) * 1e3,
    );
}

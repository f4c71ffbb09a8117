//! `ecsim fit` throughput in log lines per second, and the cost of one
//! `--access-log` line.
//!
//! - `fit/combined`: [`fit::read`] over 200,000 lines of ecsim's own access
//!   log format (with `$request_time $msec`), held in memory so that the
//!   disk is not measured: 20,000 clients of ten requests each, two
//!   seconds apart, interleaved in time order, every path mapped by the
//!   bundled map. Parsing, mapping, session cutting, counting.
//! - `access_log/line`: formatting and buffering one access-log line
//!   ([`AccessLog::write`] into a sink).
//!
//! Run with `cargo bench --bench fit`; criterion reports time per
//! iteration and, through `Throughput::Elements`, lines per second. The
//! target is at least 1M lines/s on one core for `fit/combined`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ecsim::contract::action::Action;
use ecsim::fit::{self, Format, Options, map::Map};
use ecsim::kernel::time::SimTime;
use ecsim::model::access::{Access, AccessLog, DEFAULT_START_MS};

const LINES: usize = 200_000;
const CLIENTS: usize = 20_000;

/// The log: client `c`'s request `k` starts at `c × 5 ms + k × 2 s`.
fn log() -> Vec<u8> {
    let paths = [
        "GET /",
        "GET /category/3",
        "GET /search",
        "GET /product/118",
        "POST /cart/items/118",
        "GET /cart",
        "POST /checkout",
        "GET /orders/latest",
    ];
    let mut out = Vec::with_capacity(LINES * 130);
    for k in 0..LINES / CLIENTS {
        for c in 0..CLIENTS {
            let ms = DEFAULT_START_MS + c as i64 * 5 + k as i64 * 2000;
            let sec = (ms - DEFAULT_START_MS) / 1000;
            let line = format!(
                "10.0.{}.{} - - [27/Nov/2026:{:02}:{:02}:{:02} +0000] \"{} HTTP/1.1\" 200 - \"-\" \"ecsim/0.1.0\" 0.004 {}.{:03}\n",
                c / 256,
                c % 256,
                sec / 3600,
                sec / 60 % 60,
                sec % 60,
                paths[(c + k) % paths.len()],
                ms / 1000,
                ms % 1000
            );
            out.extend_from_slice(line.as_bytes());
        }
    }
    out
}

fn fit_lines(c: &mut Criterion) {
    let text = log();
    let map_text = include_str!("../scenarios/data/ecsim_map.toml");
    let map = Map::parse("ecsim_map.toml", map_text).expect("the bundled map is valid");
    let opts = Options {
        format: Format::Combined,
        gap_ms: 30 * 60 * 1000,
        interval_ms: 60_000,
        name: "bench".into(),
        source: "bench.log".into(),
    };
    let mut g = c.benchmark_group("fit");
    g.throughput(Throughput::Elements(LINES as u64));
    g.sample_size(20);
    g.bench_function("combined", |b| {
        b.iter(|| {
            let (s, t) = fit::read(&text[..], &map, &opts, &mut |_| {}).expect("a valid log");
            assert_eq!(s.requests, LINES as u64);
            black_box((s.sessions(), t.lines))
        })
    });
    g.finish();
}

fn access_line(c: &mut Criterion) {
    let text = "[scenario]\nduration = \"1m\"\n[load]\ntype = \"open\"\nrate = 1.0\n[behavior]\nstart = \"home\"\n[behavior.transitions]\nhome = { leave = 1.0 }\n";
    let sc = ecsim::scenario::load_str("b.toml", "b", text, &[], None)
        .expect("valid")
        .scenario;
    let mut log = AccessLog::new(Box::new(std::io::sink()), &sc, DEFAULT_START_MS);
    let mut n = 0u64;
    let mut g = c.benchmark_group("access_log");
    g.throughput(Throughput::Elements(1));
    g.bench_function("line", |b| {
        b.iter(|| {
            n += 1;
            log.write(black_box(&Access {
                session: Some(n),
                customer: n.is_multiple_of(3).then_some(n % 1000),
                op: Action::ViewProduct.into(),
                subject: (n % 977) as u32,
                start: SimTime(n * 3_000_000),
                end: SimTime(n * 3_000_000 + 4_200_000),
                error: None,
            }))
        })
    });
    g.finish();
}

criterion_group!(benches, fit_lines, access_line);
criterion_main!(benches);

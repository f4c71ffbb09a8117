use rand::{Rng, RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;

use super::*;
use crate::contract::ErrorKind;

const OPS: usize = 5;

fn book() -> Book {
    Book::new(
        SimTime(1_000_000),
        SimDuration::from_nanos(50_000_000),
        OPS,
        2,
    )
}

/// `n` records of every kind, in time order, from a fixed seed.
fn play(tap: &mut Tap, n: usize) {
    let mut rng = Pcg64Mcg::seed_from_u64(7);
    let mut now = 0u64;
    for _ in 0..n {
        now += rng.random_range(0..20_000);
        let op = rng.random_range(0..OPS);
        match rng.next_u32() % 10 {
            0 => tap.retried(SimTime(now), op),
            3 => tap.wait(op % 2, rng.random_range(2..1 << 20)),
            1 => tap.cache_lookup(SimTime(now), rng.random_bool(0.7)),
            2 => tap.record(
                SimTime(now),
                op,
                rng.random_range(1..1 << 30),
                Some(ErrorKind::Timeout),
            ),
            _ => tap.record(SimTime(now), op, rng.random_range(1..1 << 30), None),
        }
    }
}

#[test]
fn a_book_filled_aside_equals_one_filled_here() {
    // Many more batches than the channel holds: the clock waits for the
    // thread.
    let n = BATCH * DEPTH * 2 + 17;
    let (mut here, mut aside) = (Tap::new(book()), Tap::aside(book()));
    play(&mut here, n);
    play(&mut aside, n);
    assert!(matches!(aside.at, Where::Aside(_)));
    assert_eq!(here.errors_by_kind(), aside.errors_by_kind());
    let end = SimTime(n as u64 * 20_000);
    let (a, b) = (here.finish(), aside.finish());
    for (x, y) in a.ops.iter().zip(&b.ops) {
        assert_eq!(
            (x.count, x.errors, x.sum_ns, x.retries),
            (y.count, y.errors, y.sum_ns, y.retries)
        );
        assert_eq!(x.errors_by_kind, y.errors_by_kind);
        assert_eq!(*x.latency, *y.latency);
    }
    let total: u64 = a.ops.iter().map(|o| o.count + o.retries).sum();
    // Seven kinds in ten are completions, one a retry.
    assert!(total > (n as u64) * 3 / 4, "{total} of {n}");
    for (x, y) in a.waits.iter().zip(&b.waits) {
        assert!(x.len() > 1000, "{} waits", x.len());
        assert_eq!(**x, **y);
    }
    let (ra, rb) = (a.series.finish(end), b.series.finish(end));
    assert!(ra.len() > 50, "{} rows", ra.len());
    assert_eq!(ra, rb);
}

#[test]
fn failures_are_counted_by_kind_before_the_book_is_done() {
    let mut tap = Tap::aside(book());
    tap.record(SimTime(5), 1, 10, Some(ErrorKind::Timeout));
    tap.record(SimTime(6), 2, 10, Some(ErrorKind::Timeout));
    tap.record(SimTime(7), 2, 10, None);
    let mut want = [0; N_ERROR_KINDS];
    want[ErrorKind::Timeout.index()] = 2;
    assert_eq!(tap.errors_by_kind(), want);
    assert_eq!(tap.finish().ops[2].count, 2);
}

#[test]
#[should_panic(expected = "index out of bounds")]
fn a_panic_on_the_thread_reaches_the_clock() {
    let mut tap = Tap::aside(book());
    // No such operation: the thread panics applying it.
    tap.record(SimTime(5), OPS + 3, 10, None);
    let _ = tap.finish();
}

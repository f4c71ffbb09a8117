//! Unit tests of the event queue: order, ties, and an exact match with a
//! reference heap under a DES-like random load.

use super::*;
use crate::kernel::rng::from_u64;
use rand::RngExt;

#[test]
fn pops_in_time_order() {
    let mut q = EventQueue::new();
    for (t, e) in [(30, 'c'), (10, 'a'), (20, 'b'), (5, 'z')] {
        q.schedule(SimTime(t), e);
    }
    let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
    assert_eq!(order, vec!['z', 'a', 'b', 'c']);
}

#[test]
fn ties_break_by_insertion_order() {
    let mut q = EventQueue::new();
    // Interleave two instants so heap sifting has every chance to reorder.
    for i in 0..1000u32 {
        q.schedule(SimTime(if i % 2 == 0 { 7 } else { 3 }), i);
    }
    let mut last_at_3 = None;
    let mut last_at_7 = None;
    while let Some((t, i)) = q.pop() {
        let last = if t == SimTime(3) {
            &mut last_at_3
        } else {
            &mut last_at_7
        };
        if let Some(prev) = *last {
            assert!(i > prev, "event {i} came out after {prev} at {t:?}");
        }
        *last = Some(i);
    }
    assert_eq!(last_at_3, Some(999));
    assert_eq!(last_at_7, Some(998));
}

#[test]
fn matches_a_sorted_reference_under_random_interleaving() {
    // Random schedules and pops against a sort by (time, insertion).
    let mut rng = from_u64(9);
    let mut q = EventQueue::new();
    let mut reference: Vec<(u64, u32)> = Vec::new();
    let mut now = 0u64;
    for i in 0..20_000u32 {
        if rng.random::<f64>() < 0.55 {
            let t = now + rng.random_range(0..50u64);
            q.schedule(SimTime(t), i);
            reference.push((t, i));
        } else if let Some((t, e)) = q.pop() {
            let (pos, _) = reference
                .iter()
                .enumerate()
                .min_by_key(|(_, r)| **r)
                .expect("reference has it");
            assert_eq!(reference.remove(pos), (t.as_nanos(), e));
            now = t.as_nanos();
        }
    }
    assert_eq!(q.len(), reference.len());
}

#[test]
fn the_lane_event_keeps_its_place_among_ties_and_joins_the_wheel() {
    // At one instant, the lane's event pops after the heap's events
    // scheduled before it and before those scheduled after it.
    let mut q = EventQueue::new();
    q.schedule(SimTime(5), 'a');
    q.schedule_lane(SimTime(5), 'l');
    q.schedule(SimTime(5), 'b');
    q.schedule(SimTime(2), 'z');
    assert_eq!(q.len(), 4);
    assert_eq!((q.peek_time(), q.peek()), (Some(SimTime(2)), Some(&'z')));
    let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
    assert_eq!(order, vec!['z', 'a', 'l', 'b']);
    assert!(q.is_empty());

    // A second lane event while the lane is taken goes to the heap, and
    // the lane's event moves into the wheel's order when the queue grows.
    let mut q = EventQueue::new();
    q.schedule_lane(SimTime(10), u32::MAX);
    q.schedule_lane(SimTime(10), u32::MAX - 1);
    for i in 0..WHEEL_AT as u32 * 2 {
        q.schedule(SimTime(u64::from(i % 20) << SHIFT), i);
    }
    assert_ne!(q.now, HEAP_ONLY, "the queue uses the wheel");
    assert!(q.lane.is_none(), "the lane's event moved with the others");
    let popped: Vec<(SimTime, u32)> = std::iter::from_fn(|| q.pop()).collect();
    assert_eq!(popped.len(), WHEEL_AT * 2 + 2);
    assert_eq!(popped[0], (SimTime(0), 0), "time 0 was scheduled before");
    let at_10: Vec<u32> = popped
        .iter()
        .filter(|(t, _)| *t == SimTime(10))
        .map(|&(_, e)| e)
        .collect();
    assert_eq!(at_10, vec![u32::MAX, u32::MAX - 1]);
    assert!(popped.windows(2).all(|w| w[0].0 <= w[1].0));
}

#[test]
fn peek_and_len_track_contents() {
    let mut q = EventQueue::new();
    assert!(q.is_empty());
    q.schedule(SimTime(9), ());
    q.schedule(SimTime(4), ());
    assert_eq!(q.len(), 2);
    assert_eq!(q.peek_time(), Some(SimTime(4)));
}

/// A DES-like load: every new time is at or after the last popped one
/// (bursts at the current instant, many equal times, delays from
/// nanoseconds to days, a few near `u64::MAX / 2`), with the number of
/// pending events swinging between a handful and tens of thousands, so
/// that the queue enters and leaves the wheel many times, and some events
/// scheduled in the lane. Its pops must be exactly those of a
/// `BinaryHeap` of `(time, seq)`.
#[test]
fn matches_a_binary_heap_exactly_under_a_des_load() {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let mut rng = from_u64(20_261_206);
    let mut q = EventQueue::new();
    let mut reference = BinaryHeap::new();
    let mut now = 0u64;
    let mut seq = 0u64;
    let mut popped = 0u64;
    let mut max_len = 0;
    for round in 0..40u32 {
        // Grow to a target size (sometimes past the wheel threshold, up
        // to 64x it), then drain to a small remainder, interleaving both.
        let target = match round % 4 {
            0 => 50,
            1 => WHEEL_AT + 100,
            2 => 64 * WHEEL_AT,
            _ => 4 * WHEEL_AT,
        };
        let low = rng.random_range(0..40usize);
        for phase in [true, false] {
            loop {
                let grow = if phase { 0.7 } else { 0.3 };
                if phase && reference.len() >= target || !phase && reference.len() <= low {
                    break;
                }
                if rng.random::<f64>() < grow {
                    // Rare bursts (1.1 events a push on average), so that
                    // the drain phase drains.
                    let burst = if rng.random::<f64>() < 0.005 {
                        rng.random_range(1..50u32)
                    } else {
                        1
                    };
                    let delay = match rng.random_range(0..10u32) {
                        0 | 1 => 0,
                        2 => rng.random_range(0..1_000u64),
                        3 => rng.random_range(0..4u64) << 20,
                        4 => rng.random_range(0..5_000_000u64),
                        5 => rng.random_range(0..200_000_000u64),
                        6 => rng.random_range(0..20_000_000_000u64),
                        7 => rng.random_range(0..3 * 86_400_000_000_000u64),
                        8 => (u64::MAX / 2).saturating_sub(now) + rng.random_range(0..3u64),
                        _ => 1_000_000 * rng.random_range(0..50u64),
                    };
                    let t = now + delay;
                    // A quarter of the single events try the lane (taken
                    // while the queue is small and the lane free).
                    let lane = burst == 1 && rng.random::<f64>() < 0.25;
                    for _ in 0..burst {
                        if lane {
                            q.schedule_lane(SimTime(t), seq);
                        } else {
                            q.schedule(SimTime(t), seq);
                        }
                        reference.push(Reverse((t, seq)));
                        seq += 1;
                    }
                } else if let Some(Reverse((t, s))) = reference.pop() {
                    assert_eq!(q.peek_time(), Some(SimTime(t)));
                    assert_eq!(q.peek(), Some(&s));
                    assert_eq!(q.pop(), Some((SimTime(t), s)), "pop {popped}");
                    now = t;
                    popped += 1;
                }
                assert_eq!(q.len(), reference.len());
                max_len = max_len.max(q.len());
            }
        }
    }
    while let Some(Reverse((t, s))) = reference.pop() {
        assert_eq!(q.pop(), Some((SimTime(t), s)));
        popped += 1;
    }
    assert!(q.is_empty() && q.pop().is_none());
    assert!(
        max_len >= 64 * WHEEL_AT && popped > 500_000,
        "{max_len} {popped}"
    );
    assert!(now >= u64::MAX / 2, "the times reached u64::MAX / 2");
}

/// Events of one far instant, scheduled before and after the wheel
/// cascades them from a coarse bucket to finer ones and into the heap,
/// pop in scheduling order.
#[test]
fn ties_pop_in_scheduling_order_across_a_wheel_cascade() {
    let mut q = EventQueue::new();
    // Enough events to use the wheel, spread over 20 s; every third one at
    // 10 s exactly (a level-2 bucket at first).
    let far = 10_000_000_000u64;
    let mut rng = from_u64(3);
    let mut at_far = Vec::new();
    for i in 0..4 * WHEEL_AT as u64 {
        let t = if i % 3 == 0 {
            at_far.push(i);
            far
        } else {
            rng.random_range(0..2 * far)
        };
        q.schedule(SimTime(t), i);
    }
    let mut next = 4 * WHEEL_AT as u64;
    let mut seen_far = Vec::new();
    while let Some((t, i)) = q.pop() {
        if t.as_nanos() == far {
            seen_far.push(i);
        }
        // Keep scheduling at the far instant as time approaches it (into
        // coarser, then finer buckets, then the heap), and a few later.
        if t.as_nanos() <= far && next < 12 * WHEEL_AT as u64 && i % 2 == 0 {
            q.schedule(SimTime(far), next);
            at_far.push(next);
            q.schedule(SimTime(far + rng.random_range(0..far)), next + 1);
            next += 2;
        }
    }
    assert_eq!(seen_far, at_far);
}

/// After the wheel refills the heap, `upcoming` lists events of the new
/// slot: each of them pops before the next refill.
#[test]
fn upcoming_after_a_refill_lists_the_slot_about_to_pop() {
    let mut q = EventQueue::new();
    let mut rng = from_u64(5);
    // Enough events to use the wheel, about 8 per slot.
    for i in 0..8 * WHEEL_AT as u64 {
        q.schedule(
            SimTime(rng.random_range(0..WHEEL_AT as u64 * (1 << SHIFT))),
            i,
        );
    }
    assert!(!q.refilled(), "no refill before the first pop");
    let (mut refills, mut listed) = (0, Vec::new());
    while let Some((_, i)) = q.pop() {
        if let Some(at) = listed.iter().position(|&j| j == i) {
            listed.swap_remove(at);
        }
        if q.refilled() {
            assert!(listed.is_empty(), "{listed:?} listed but not popped");
            listed = q.upcoming().copied().collect();
            assert!(!listed.is_empty());
            assert!(!q.refilled(), "asking clears the flag");
            refills += 1;
        }
    }
    assert!(listed.is_empty());
    assert!(refills > WHEEL_AT / 2, "{refills} refills");
}

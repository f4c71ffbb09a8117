//! Cutting requests into sessions and counting what the scenario needs.
//!
//! A client is its remote host and user agent. Its requests belong to one
//! session until a gap longer than the session gap (from the end of one
//! response, when the log has `$request_time`, else from the start of the
//! request, to the start of the next request). Per session: its start
//! (counted in its interval, and as a start probability), each transition
//! between consecutive actions, the last one's transition to `leave`, and
//! each gap as a think time.
//!
//! Memory holds the open sessions only. The log is assumed ordered by time
//! to within one session gap (a web server writes a line when its request
//! ends, so lines are out of order by at most the longest response): once
//! a request starting at `t` is read, a client idle since before
//! `t − 2 × gap` cannot continue its session and is closed. A line that
//! starts more than one gap before the latest start read is counted as out
//! of order (it is still used).

use hdrhistogram::Histogram;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// Sweep idle clients every this many requests.
const SWEEP_EVERY: u64 = 1 << 16;

/// A client's open session.
#[derive(Clone, Copy, Debug)]
struct Open {
    /// The last action (an index of the session actions).
    last: u16,
    last_start_ms: i64,
    last_end_ms: i64,
}

/// The counts a fitted scenario is made of.
pub struct Sessions {
    /// Number of session actions (customer actions and custom operations).
    n: usize,
    gap_ms: i64,
    interval_ms: i64,
    open: FxHashMap<Box<[u8]>, Open>,
    /// Sessions started with each action.
    pub starts: Vec<u64>,
    /// `[from][to]`, `to == n` being `leave`.
    pub transitions: Vec<Vec<u64>>,
    /// Think times (gaps within a session), microseconds.
    pub think: Histogram<u64>,
    /// Response times per action, microseconds (when the log has them).
    pub took: Vec<Histogram<u64>>,
    /// Sessions started per interval (index: epoch ms / interval).
    pub arrivals: BTreeMap<i64, u64>,
    /// Requests read.
    pub requests: u64,
    /// Requests starting more than one gap before the latest start.
    pub out_of_order: u64,
    /// Most sessions open at once (memory).
    pub most_open: usize,
    latest_ms: i64,
    first_ms: i64,
    last_ms: i64,
}

/// Microseconds up to about 12 days, three significant digits:
/// quantiles within 0.1%; longer values are clamped.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 1 << 40, 3)
        .unwrap_or_else(|_| unreachable!("these bounds and precision are valid"))
}

impl Sessions {
    /// Counts for `n` session actions, cutting at `gap_ms`, arrivals per
    /// `interval_ms`.
    pub fn new(n: usize, gap_ms: i64, interval_ms: i64) -> Self {
        Sessions {
            n,
            gap_ms,
            interval_ms: interval_ms.max(1),
            open: FxHashMap::default(),
            starts: vec![0; n],
            transitions: vec![vec![0; n + 1]; n],
            think: histogram(),
            took: (0..n).map(|_| histogram()).collect(),
            arrivals: BTreeMap::new(),
            requests: 0,
            out_of_order: 0,
            most_open: 0,
            latest_ms: i64::MIN,
            first_ms: i64::MAX,
            last_ms: i64::MIN,
        }
    }

    /// One request of `client` (host and agent): action `op`.
    pub fn request(&mut self, client: &[u8], op: u16, start_ms: i64, took_ms: Option<i64>) {
        self.requests += 1;
        let end_ms = start_ms + took_ms.unwrap_or(0).max(0);
        if let Some(t) = took_ms {
            self.took[op as usize].saturating_record(t.max(0) as u64 * 1000);
        }
        if start_ms < self.latest_ms.saturating_sub(self.gap_ms) {
            self.out_of_order += 1;
        }
        self.latest_ms = self.latest_ms.max(start_ms);
        self.first_ms = self.first_ms.min(start_ms);
        self.last_ms = self.last_ms.max(start_ms);
        let since = |o: &Open| match took_ms {
            Some(_) => start_ms - o.last_end_ms,
            None => start_ms - o.last_start_ms,
        };
        match self.open.get_mut(client) {
            Some(o) if since(o) <= self.gap_ms => {
                let gap = since(o).max(0);
                self.transitions[o.last as usize][op as usize] += 1;
                self.think.saturating_record(gap as u64 * 1000);
                *o = Open {
                    last: op,
                    last_start_ms: start_ms,
                    last_end_ms: end_ms,
                };
            }
            Some(o) => {
                self.transitions[o.last as usize][self.n] += 1;
                *o = Open {
                    last: op,
                    last_start_ms: start_ms,
                    last_end_ms: end_ms,
                };
                self.begin(op, start_ms);
            }
            None => {
                let o = Open {
                    last: op,
                    last_start_ms: start_ms,
                    last_end_ms: end_ms,
                };
                self.open.insert(client.into(), o);
                self.most_open = self.most_open.max(self.open.len());
                self.begin(op, start_ms);
            }
        }
        if self.requests.is_multiple_of(SWEEP_EVERY) {
            self.sweep(self.latest_ms.saturating_sub(2 * self.gap_ms));
        }
    }

    fn begin(&mut self, op: u16, start_ms: i64) {
        self.starts[op as usize] += 1;
        *self
            .arrivals
            .entry(start_ms.div_euclid(self.interval_ms))
            .or_default() += 1;
    }

    /// Closes the sessions idle since before `before` (`i64::MAX`: all).
    pub fn sweep(&mut self, before: i64) {
        let (leave, transitions) = (self.n, &mut self.transitions);
        self.open.retain(|_, o| {
            let idle = o.last_end_ms.max(o.last_start_ms) < before;
            if idle {
                transitions[o.last as usize][leave] += 1;
            }
            !idle
        });
    }

    /// Sessions started in all.
    pub fn sessions(&self) -> u64 {
        self.starts.iter().sum()
    }

    /// First and last request start, epoch ms (none read: `None`).
    pub fn span(&self) -> Option<(i64, i64)> {
        (self.requests > 0).then_some((self.first_ms, self.last_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_cut_per_client_at_gaps_longer_than_the_session_gap() {
        // Two actions; gap 1000 ms; responses of 100 ms.
        let mut s = Sessions::new(2, 1000, 60_000);
        s.request(b"a", 0, 0, Some(100));
        s.request(b"b", 0, 50, Some(100));
        // a: 900 ms after its response ended: same session.
        s.request(b"a", 1, 1000, Some(100));
        // b, without $request_time: exactly the gap after its previous
        // request started: same session.
        s.request(b"b", 1, 1050, None);
        // a: 1001 ms after: a new session.
        s.request(b"a", 1, 2101, Some(100));
        s.sweep(i64::MAX);
        assert_eq!(s.starts, vec![2, 1]);
        assert_eq!(s.sessions(), 3);
        // a: 0→1, then 1→leave (cut), then 1→leave (end); b: 0→1, 1→leave.
        assert_eq!(s.transitions, vec![vec![0, 2, 0], vec![0, 0, 3]]);
        assert_eq!(s.think.len(), 2);
        // b's gap was measured from its previous start: 1000 ms.
        assert_eq!(s.think.max(), s.think.highest_equivalent(1_000_000));
        assert_eq!(s.think.min(), s.think.lowest_equivalent(900_000));
        assert_eq!(s.arrivals.get(&0), Some(&3));
        assert_eq!(s.span(), Some((0, 2101)));
        assert_eq!(s.out_of_order, 0);
    }

    #[test]
    fn idle_clients_are_closed_as_time_passes_and_late_lines_are_counted() {
        let mut s = Sessions::new(1, 1000, 1000);
        s.request(b"a", 0, 0, Some(0));
        s.request(b"b", 0, 5000, Some(0));
        s.sweep(5000 - 2000);
        assert_eq!(s.open.len(), 1, "a closed, b open");
        assert_eq!(s.transitions[0][1], 1);
        s.request(b"c", 0, 3500, Some(0));
        assert_eq!(s.out_of_order, 1);
        assert_eq!(
            s.arrivals.keys().copied().collect::<Vec<_>>(),
            vec![0, 3, 5]
        );
    }
}

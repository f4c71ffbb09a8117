//! The behaviour chain as an absorbing Markov chain: expected visits of
//! each operation per session, solved exactly.
//!
//! With Q the transition matrix among operations (`leave` is the absorbing
//! state) and s the start distribution, the fundamental matrix
//! N = (I − Q)⁻¹ holds in N\[i\]\[j\] the expected visits of j by a walk
//! started at i, so the visits per session are sᵀN. Validation guarantees
//! every reachable operation can leave, so I − Q is invertible; Gaussian
//! elimination with partial pivoting solves it (a few dozen operations at
//! most).

use crate::contract::action::{Action, Op};
use crate::scenario::model::{Behavior, Choice, Next};

/// The behaviour chain, solved.
#[derive(Clone, Debug)]
pub struct Chain {
    /// Q\[i\]\[j\]: probability that operation j follows operation i.
    pub q: Vec<Vec<f64>>,
    /// The start distribution over operations.
    pub start: Vec<f64>,
    /// N = (I − Q)⁻¹.
    pub fundamental: Vec<Vec<f64>>,
    /// Expected visits of each operation per session: sᵀN.
    pub visits: Vec<f64>,
}

fn spread(choice: &Choice, into: &mut [f64]) {
    for &(next, p) in &choice.options {
        if let Next::Act(op) = next
            && let Some(x) = into.get_mut(op.index())
        {
            *x += p;
        }
    }
}

impl Chain {
    /// Solves the chain of `behavior` over `ops` operations; `None` if
    /// I − Q is singular (a loop no session leaves, which validation
    /// rejects).
    pub fn new(behavior: &Behavior, ops: usize) -> Option<Chain> {
        let mut q = vec![vec![0.0; ops]; ops];
        for (i, t) in behavior.transitions.iter().enumerate().take(ops) {
            if let Some(choice) = t {
                spread(choice, &mut q[i]);
            }
        }
        let mut start = vec![0.0; ops];
        spread(&behavior.start, &mut start);
        let fundamental = invert(&i_minus(&q))?;
        let visits = (0..ops)
            .map(|j| (0..ops).map(|i| start[i] * fundamental[i][j]).sum())
            .collect();
        Some(Chain {
            q,
            start,
            fundamental,
            visits,
        })
    }

    /// Probability that a walk standing at `from` (about to take it)
    /// visits `to` at least once from there on: N\[from\]\[to\] / N\[to\]\[to\].
    pub fn reach(&self, from: usize, to: usize) -> f64 {
        let n = self.fundamental[to][to];
        if n > 0.0 {
            self.fundamental[from][to] / n
        } else {
            0.0
        }
    }

    /// Probability that a session takes `op` at least once.
    pub fn reach_from_start(&self, op: usize) -> f64 {
        let n = self.fundamental[op][op];
        if n > 0.0 { self.visits[op] / n } else { 0.0 }
    }

    /// Expected `add_to_cart` visits per session followed, later in the
    /// session, by a `checkout`: the cart lines checked out per session
    /// when each line is checked out by the next checkout (see
    /// docs/model.md, capacity plan).
    pub fn lines_checked_out(&self) -> f64 {
        let (add, co) = (Action::AddToCart.index(), Action::Checkout.index());
        let after: f64 = (0..self.q.len())
            .map(|k| self.q[add][k] * self.reach(k, co))
            .sum();
        self.visits[add] * after
    }

    /// Expected `checkout` visits per session that find a non-empty cart:
    /// the chain doubled with a flag "cart not empty", set by
    /// `add_to_cart` and cleared by a checkout that finds it set (a
    /// session's cart starts empty).
    pub fn checkouts_with_cart(&self) -> f64 {
        let ops = self.q.len();
        let (add, co) = (Action::AddToCart.index(), Action::Checkout.index());
        // State 2j + f: about to take j with the flag f.
        let mut q2 = vec![vec![0.0; 2 * ops]; 2 * ops];
        for j in 0..ops {
            for f in 0..2 {
                let g = if j == add {
                    1
                } else if j == co {
                    0
                } else {
                    f
                };
                for k in 0..ops {
                    q2[2 * j + f][2 * k + g] = self.q[j][k];
                }
            }
        }
        let mut start = vec![0.0; 2 * ops];
        for j in 0..ops {
            start[2 * j] = self.start[j];
        }
        // Visits x solve (I − Q2)ᵀ x = s.
        let a = transpose(&i_minus(&q2));
        solve(a, start).map_or(0.0, |x| x[2 * co + 1])
    }

    /// Visits per session of `op`.
    pub fn of(&self, op: Op) -> f64 {
        self.visits.get(op.index()).copied().unwrap_or(0.0)
    }
}

fn i_minus(q: &[Vec<f64>]) -> Vec<Vec<f64>> {
    q.iter()
        .enumerate()
        .map(|(i, row)| {
            row.iter()
                .enumerate()
                .map(|(j, &x)| if i == j { 1.0 - x } else { -x })
                .collect()
        })
        .collect()
}

fn transpose(m: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let n = m.len();
    (0..n).map(|j| (0..n).map(|i| m[i][j]).collect()).collect()
}

/// The inverse of `m` by Gauss–Jordan elimination with partial pivoting
/// (one elimination for every column of the identity: O(n³)).
pub fn invert(m: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = m.len();
    let mut a: Vec<Vec<f64>> = m
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut r = row.clone();
            r.extend((0..n).map(|j| if i == j { 1.0 } else { 0.0 }));
            r
        })
        .collect();
    for c in 0..n {
        let p = (c..n).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        if a[p][c].abs() < 1e-300 {
            return None;
        }
        a.swap(c, p);
        let pivot = a[c][c];
        a[c].iter_mut().for_each(|x| *x /= pivot);
        let row = a[c].clone();
        for (r, other) in a.iter_mut().enumerate() {
            let f = other[c];
            if r != c && f != 0.0 {
                for (x, y) in other.iter_mut().zip(&row) {
                    *x -= f * y;
                }
            }
        }
    }
    Some(a.into_iter().map(|r| r[n..].to_vec()).collect())
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting; `None`
/// if `a` is singular.
pub fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for c in 0..n {
        let p = (c..n).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        if a[p][c].abs() < 1e-300 {
            return None;
        }
        a.swap(c, p);
        b.swap(c, p);
        for r in c + 1..n {
            let f = a[r][c] / a[c][c];
            if f != 0.0 {
                let (top, rest) = a.split_at_mut(r);
                for (x, p) in rest[0][c..].iter_mut().zip(&top[c][c..]) {
                    *x -= f * p;
                }
                b[r] -= f * b[c];
            }
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|k| a[r][k] * x[k]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    Some(x)
}

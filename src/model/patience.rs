//! Customers who react to a slow or failed shop, for both clocks.
//!
//! **Patience** (`[customers] patience`): when an action begins, the
//! customer draws how long they will wait for it (after the action's
//! subject, from the session's stream). If the action has not ended by
//! then, the customer abandons the session: the action is recorded with
//! error `abandoned` and a latency equal to the patience, the session ends
//! (a closed-model user starts the next one), and whatever the action had
//! in flight goes on without anyone waiting: its stations still serve it,
//! and the agent ends when its last call does.
//!
//! **Reloads** (`[customers] retry_on_error`): when an action ends with an
//! error, the customer draws one uniform; below `p` they repeat the action
//! after a pause drawn from `after` (instead of the think time and the next
//! action). A reloaded checkout keeps its idempotency key.

use std::sync::atomic::Ordering::Relaxed;

use rand::RngExt;

use super::agent::{Agent, Place, Who};
use super::{Command, Env, Model};
use crate::contract::ErrorKind;
use crate::contract::business::Business;
use crate::kernel::time::SimDuration;

/// Timer tokens of patience timers have this bit; join ids never do.
pub(super) const PATIENCE: u32 = 1 << 31;

impl<B: Business> Model<B> {
    /// A customer's action has begun: their patience for it starts.
    #[inline]
    pub(super) fn impatient<E: Env>(&self, a: &mut Agent<B::Session>, env: &mut E) {
        let Some(p) = &self.patience else {
            return;
        };
        if a.who() == Who::Admin {
            return;
        }
        let wait = p.sample_nanos(&mut a.rng);
        let token = PATIENCE | (a.next_join() & !PATIENCE);
        a.req.patience = token;
        a.timers += 1;
        env.command(Command::Timer {
            place: Place::ROOT,
            after: SimDuration::from_nanos(wait),
            token,
        });
    }

    /// Patience timer `token` fired: a customer still waiting for that
    /// action abandons the session.
    pub(super) fn patience_over<E: Env>(&self, a: &mut Agent<B::Session>, token: u32, env: &mut E) {
        if a.req.patience != token || a.req.abandoned || a.ended {
            return self.maybe_end(a, env);
        }
        a.req.abandoned = true;
        a.req.patience = 0;
        // Its calls become orphans: their answers are ignored.
        a.clear_root_join();
        if a.req.start >= self.warmup {
            let latency = env.now().since(a.req.start).as_nanos();
            env.record(a.req.action.index(), latency, Some(ErrorKind::Abandoned));
            self.abandoned.fetch_add(1, Relaxed);
        }
        if env.logging() {
            env.access(&self.access(a, env.now(), Some(ErrorKind::Abandoned)));
        }
        self.end_session(a, env);
    }

    /// An action ended with an error: does the customer reload it? If so
    /// the reload is scheduled and true returned.
    pub(super) fn reload<E: Env>(&self, a: &mut Agent<B::Session>, env: &mut E) -> bool {
        let Some((p, after)) = &self.reload else {
            return false;
        };
        let u: f64 = a.rng.random();
        if u >= *p {
            return false;
        }
        if a.req.start >= self.warmup {
            self.reloads.fetch_add(1, Relaxed);
        }
        a.reloading = true;
        let pause = after.sample_nanos(&mut a.rng);
        env.command(Command::Think(SimDuration::from_nanos(pause)));
        true
    }
}

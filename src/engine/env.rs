//! The engine's side of the model's [`Env`]: the time, the cache, the
//! recorders and the access log, borrowed from the engine for one call of
//! the model ([`here!`] builds it beside the engine's model and slab).

use super::Engine;
use crate::contract::ErrorKind;
use crate::contract::business::Business;
use crate::kernel::time::SimTime;
use crate::metrics::tap::Tap;
use crate::model::{Access, AccessLog, CatalogCache, Command, Env};

/// The engine's side of the model's [`Env`]: the time, the cache and the
/// recorders, borrowed from the engine for one call.
pub(super) struct Here<'a> {
    pub(super) now: SimTime,
    pub(super) cache: &'a mut Option<CatalogCache>,
    pub(super) tap: &'a mut Tap,
    pub(super) commands: &'a mut Vec<Command>,
    pub(super) log: &'a mut Option<AccessLog>,
}

impl Env for Here<'_> {
    #[inline]
    fn now(&self) -> SimTime {
        self.now
    }

    #[inline]
    fn with_cache<R>(&mut self, f: impl FnOnce(Option<&mut CatalogCache>) -> R) -> R {
        f(self.cache.as_mut())
    }

    #[inline]
    fn record(&mut self, op: usize, latency_ns: u64, error: Option<ErrorKind>) {
        self.tap.record(self.now, op, latency_ns, error);
    }

    #[inline]
    fn cache_lookup(&mut self, hit: bool) {
        self.tap.cache_lookup(self.now, hit);
    }

    #[inline]
    fn retried(&mut self, op: usize) {
        self.tap.retried(self.now, op);
    }

    #[inline]
    fn command(&mut self, c: Command) {
        self.commands.push(c);
    }

    #[inline]
    fn logging(&self) -> bool {
        self.log.is_some()
    }

    fn access(&mut self, a: &Access) {
        if let Some(log) = self.log.as_mut() {
            log.write(a);
        }
    }
}

/// Borrows the engine's [`Here`] beside its model and slab.
macro_rules! here {
    ($e:expr) => {
        &mut Here {
            now: $e.now,
            cache: &mut $e.cache,
            tap: &mut $e.tap,
            commands: &mut $e.commands,
            log: &mut $e.access_log,
        }
    };
}
pub(crate) use here;

impl<B: Business> Engine<B> {
    /// Writes every request of the run to `log` (warmup and admins
    /// included); [`Engine::take_access_log`] gives it back afterwards.
    pub fn access_log(mut self, log: AccessLog) -> Self {
        self.access_log = Some(log);
        self
    }

    /// The access log given to [`Engine::access_log`], if any.
    pub fn take_access_log(&mut self) -> Option<AccessLog> {
        self.access_log.take()
    }
}

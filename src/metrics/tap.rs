//! The virtual clock's recorder of what completed: each operation's
//! statistics, the time series and the stations' waits, filled on the
//! clock's thread or, when a core is spare, on a thread of their own.
//!
//! Recording a latency is two histogram records (the operation's and its
//! time-series bucket's), and a wait in a queue one more, each a cache
//! miss into a large array: about a tenth of a run's time. A
//! [`Tap::aside`] moves that work to a second thread: the clock appends
//! each record (24 bytes) to a batch and sends full batches down a
//! bounded channel; the thread applies them in the order they were made,
//! to the same [`Book`]. So the result is the same either way, byte for
//! byte, whatever the threads' timing: only where the work happens
//! changes. The clock blocks when the thread is [`DEPTH`] batches behind,
//! so memory stays bounded.
//!
//! Failures by kind are also counted on the clock's thread, since the
//! gauges read them at every report interval. A panic on the thread is a
//! bug and reaches the clock's thread at its next batch or at
//! [`Tap::finish`].

use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use super::series::Series;
use super::{OpStats, Waits};
use crate::contract::{ErrorKind, N_ERROR_KINDS};
use crate::kernel::time::{SimDuration, SimTime};

/// Records per batch (192 KiB). Each batch is new memory, freed by the
/// thread: reusing the thread's applied batches made the clock write to
/// lines the other core held, and cost more than the histograms saved
/// (M/M/8 at 5M customers on 2 cores, 1,024 records a batch, reused: no
/// faster than without the thread; 8,192, new: 7% faster; 32,768, new:
/// slower again).
const BATCH: usize = 8192;
/// Batches sent and not yet applied before the clock waits.
const DEPTH: usize = 4;

/// What was recorded: each operation's statistics, the time series and
/// the stations' longer waits.
pub struct Book {
    /// By operation index.
    pub ops: Vec<OpStats>,
    /// Completions per report interval.
    pub series: Series,
    /// By station index: waits in a queue longer than 1 ns, in ns.
    pub waits: Vec<Waits>,
}

impl Book {
    /// An empty book of `ops` operations and `stations` stations, whose
    /// series starts at `origin` (the end of the warmup) with intervals of
    /// `interval`.
    pub fn new(origin: SimTime, interval: SimDuration, ops: usize, stations: usize) -> Self {
        Book {
            ops: (0..ops).map(|_| OpStats::default()).collect(),
            series: Series::new(origin, interval, ops),
            waits: (0..stations).map(|_| Waits::default()).collect(),
        }
    }

    #[inline]
    fn apply(&mut self, e: Entry) {
        let op = e.op as usize;
        match e.note {
            Note::Done(error) => {
                self.ops[op].record(e.latency_ns, error);
                self.series.record(e.now, op, e.latency_ns, error.is_some());
            }
            Note::Retried => {
                self.ops[op].retries += 1;
                self.series.retried(e.now, op);
            }
            Note::Lookup(hit) => self.series.cache_lookup(e.now, hit),
            Note::Wait => self.waits[op].record(e.latency_ns),
        }
    }
}

/// One record, as the clock made it.
#[derive(Clone, Copy)]
enum Note {
    /// A request of the operation completed, failed with a kind or not.
    Done(Option<ErrorKind>),
    /// A retry of the operation was sent.
    Retried,
    /// A cache lookup, a hit or not.
    Lookup(bool),
    /// A wait at the station (in place of the operation).
    Wait,
}

#[derive(Clone, Copy)]
struct Entry {
    now: SimTime,
    latency_ns: u64,
    op: u32,
    note: Note,
}

/// The recorder: a [`Book`] kept here or filled on a thread of its own.
pub struct Tap {
    /// Failures by kind so far, by [`ErrorKind::index`].
    errors: [u64; N_ERROR_KINDS],
    at: Where,
}

enum Where {
    Here(Book),
    Aside(Aside),
}

/// The clock's end of a book filled on another thread.
struct Aside {
    batch: Vec<Entry>,
    to: SyncSender<Vec<Entry>>,
    /// Taken only when the thread has ended.
    worker: Option<JoinHandle<Book>>,
}

impl Tap {
    /// A recorder that fills `book` on the caller's thread.
    pub fn new(book: Book) -> Self {
        Tap {
            errors: [0; N_ERROR_KINDS],
            at: Where::Here(book),
        }
    }

    /// A recorder that fills `book` on a thread of its own, or on the
    /// caller's if no thread can start.
    pub fn aside(book: Book) -> Self {
        let (to, from) = sync_channel::<Vec<Entry>>(DEPTH);
        let fill = move |mut book: Book| {
            for batch in from {
                for e in batch {
                    book.apply(e);
                }
            }
            book
        };
        // The book moves to the thread through a channel of its own, so
        // that it comes back if the thread cannot start.
        let (hand, take) = sync_channel::<Book>(1);
        let spawned = std::thread::Builder::new()
            .name("ecsim-metrics".into())
            .spawn(move || match take.recv() {
                Ok(book) => fill(book),
                // The caller kept the book (it cannot happen: it sends it).
                Err(_) => Book::new(SimTime::ZERO, SimDuration::from_nanos(1), 0, 0),
            });
        let at = match spawned {
            Ok(worker) => match hand.send(book) {
                Ok(()) => Where::Aside(Aside {
                    batch: Vec::with_capacity(BATCH),
                    to,
                    worker: Some(worker),
                }),
                Err(e) => Where::Here(e.0),
            },
            Err(_) => Where::Here(book),
        };
        Tap {
            errors: [0; N_ERROR_KINDS],
            at,
        }
    }

    /// Records a request of operation `op` completed at `now` after
    /// `latency_ns`, failed with `error` or not.
    #[inline]
    pub fn record(&mut self, now: SimTime, op: usize, latency_ns: u64, error: Option<ErrorKind>) {
        if let Some(k) = error {
            self.errors[k.index()] += 1;
        }
        self.note(now, op, latency_ns, Note::Done(error));
    }

    /// Records a retry of operation `op` sent at `now`.
    #[inline]
    pub fn retried(&mut self, now: SimTime, op: usize) {
        self.note(now, op, 0, Note::Retried);
    }

    /// Records a cache lookup at `now`.
    #[inline]
    pub fn cache_lookup(&mut self, now: SimTime, hit: bool) {
        self.note(now, 0, 0, Note::Lookup(hit));
    }

    /// Records a wait of `ns` in the queue of station `station`.
    #[inline]
    pub fn wait(&mut self, station: usize, ns: u64) {
        self.note(SimTime::ZERO, station, ns, Note::Wait);
    }

    /// Failures by kind recorded so far.
    pub fn errors_by_kind(&self) -> [u64; N_ERROR_KINDS] {
        self.errors
    }

    #[inline(always)]
    fn note(&mut self, now: SimTime, op: usize, latency_ns: u64, note: Note) {
        let e = Entry {
            now,
            latency_ns,
            op: op as u32,
            note,
        };
        match &mut self.at {
            Where::Here(book) => book.apply(e),
            Where::Aside(a) => {
                a.batch.push(e);
                if a.batch.len() == BATCH {
                    a.send();
                }
            }
        }
    }

    /// The book, once every record is in it.
    pub fn finish(self) -> Book {
        match self.at {
            Where::Here(book) => book,
            Where::Aside(mut a) => {
                if !a.batch.is_empty() {
                    a.send();
                }
                let Aside { to, worker, .. } = a;
                // Closing the channel ends the thread's loop.
                drop(to);
                match worker {
                    Some(w) => join(w),
                    None => unreachable!("the metrics thread is joined only once"),
                }
            }
        }
    }
}

impl Aside {
    #[cold]
    #[inline(never)]
    fn send(&mut self) {
        let full = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        if self.to.send(full).is_err()
            && let Some(w) = self.worker.take()
        {
            // The thread has ended, which it does only by panicking while
            // the channel is open: that panic goes on here.
            join(w);
            panic!("the metrics thread ended while the run went on");
        }
    }
}

/// The book of a finished thread; its panic goes on in the caller.
fn join(worker: JoinHandle<Book>) -> Book {
    worker
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
}

#[cfg(test)]
mod tests;

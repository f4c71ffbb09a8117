//! A Poisson stream's instants drawn ahead on a thread of their own, for a
//! run with a core to spare: the clock's thread then only reads them.
//!
//! Guarantee: [`Ahead::next`] returns exactly the instants the draw would
//! have returned on the caller's thread, in order, then `None`; the draw
//! owns its random stream, so when it runs does not change what it draws.
//! The thread sends batches of [`BATCH`] instants through a channel of
//! [`DEPTH`] batches and waits when the clock is that far behind (memory
//! stays bounded); it stops after a short batch, or when the stream is
//! dropped. A panic on the thread reaches the caller at its next batch.

use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::JoinHandle;

/// Instants per batch (32 KiB).
const BATCH: usize = 4096;
/// Batches drawn and not yet read, at most.
const DEPTH: usize = 4;

/// Instants (of any `Copy` type: the clock reads nanoseconds) drawn on
/// another thread.
pub(super) struct Ahead<T> {
    /// Declared first, so dropped first: the thread's next send fails and
    /// it ends.
    batches: Receiver<Vec<T>>,
    batch: Vec<T>,
    at: usize,
    thread: Option<JoinHandle<()>>,
}

impl<T: Copy + Send + 'static> Ahead<T> {
    /// Starts drawing `draw`'s instants until it returns `None`, on a
    /// thread; `None` when no thread can start (then `draw` is dropped
    /// undrawn).
    pub(super) fn start(mut draw: impl FnMut() -> Option<T> + Send + 'static) -> Option<Self> {
        let (send, batches) = sync_channel(DEPTH);
        let thread = std::thread::Builder::new()
            .name("ecsim-arrivals".into())
            .spawn(move || {
                loop {
                    let mut batch = Vec::with_capacity(BATCH);
                    while batch.len() < BATCH {
                        match draw() {
                            Some(t) => batch.push(t),
                            None => break,
                        }
                    }
                    let last = batch.len() < BATCH;
                    if send.send(batch).is_err() || last {
                        return;
                    }
                }
            })
            .ok()?;
        Some(Ahead {
            batches,
            batch: Vec::new(),
            at: 0,
            thread: Some(thread),
        })
    }

    /// The next instant, `None` once the draw has ended.
    #[inline]
    pub(super) fn next(&mut self) -> Option<T> {
        if self.at == self.batch.len() {
            self.receive()?;
        }
        let t = self.batch.get(self.at).copied();
        self.at += 1;
        t
    }

    /// Takes the next batch; `None` when there is none left.
    #[cold]
    fn receive(&mut self) -> Option<()> {
        match self.batches.recv() {
            Ok(batch) if !batch.is_empty() => {
                self.batch = batch;
                self.at = 0;
                Some(())
            }
            // The draw ended (an empty last batch, or none), or the thread
            // panicked: then its panic goes on here.
            _ => {
                if let Some(thread) = self.thread.take()
                    && let Err(panic) = thread.join()
                {
                    std::panic::resume_unwind(panic);
                }
                self.batch.clear();
                self.at = 0;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_instant_comes_back_in_order_across_batches() {
        let n = 3 * BATCH + 17;
        let mut i = 0;
        let mut ahead = Ahead::start(move || {
            i += 1;
            (i <= n).then_some(i as f64)
        })
        .expect("a thread starts");
        let got: Vec<f64> = std::iter::from_fn(|| ahead.next()).collect();
        assert_eq!(got, (1..=n).map(|i| i as f64).collect::<Vec<_>>());
        assert_eq!(ahead.next(), None, "still over");
    }

    #[test]
    fn a_draw_of_exactly_whole_batches_ends() {
        let mut i = 0;
        let mut ahead = Ahead::start(move || {
            i += 1;
            (i <= 2 * BATCH).then_some(1.0)
        })
        .expect("a thread starts");
        assert_eq!(std::iter::from_fn(|| ahead.next()).count(), 2 * BATCH);
    }

    #[test]
    #[should_panic(expected = "bug in the draw")]
    fn a_panic_in_the_draw_reaches_the_reader() {
        let mut i = 0;
        let mut ahead = Ahead::start(move || {
            i += 1;
            assert!(i < 10, "bug in the draw");
            Some(1.0)
        })
        .expect("a thread starts");
        while ahead.next().is_some() {}
    }

    #[test]
    fn dropping_the_reader_ends_an_endless_draw() {
        use std::sync::mpsc::{RecvTimeoutError, channel};
        use std::time::Duration;
        // The draw holds `alive`; the thread ending drops it.
        let (alive, ended) = channel::<()>();
        let ahead = Ahead::start(move || {
            let _ = &alive;
            Some(1.0)
        })
        .expect("a thread starts");
        drop(ahead);
        assert_eq!(
            ended.recv_timeout(Duration::from_secs(30)),
            Err(RecvTimeoutError::Disconnected),
            "the drawing thread still runs"
        );
    }
}

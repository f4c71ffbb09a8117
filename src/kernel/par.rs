//! Two pieces of work at once, one on a scoped thread and one on the
//! caller's: how setup, the end-of-run invariant check and report writing
//! use a second core. Results do not depend on which runs first.

/// Runs `a` on a scoped thread while `b` runs on the caller's, and returns
/// both results. When no thread can start, `a` runs on the caller's thread
/// after `b`. A panic in `a` goes on up to the caller (it is a bug).
pub fn join<A: Send, B>(a: impl Fn() -> A + Sync, b: impl FnOnce() -> B) -> (A, B) {
    std::thread::scope(|s| {
        let there = std::thread::Builder::new().spawn_scoped(s, &a);
        let here = b();
        let there = match there {
            Ok(t) => t.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
            Err(_) => a(),
        };
        (there, here)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_results_come_back_in_their_places() {
        let data: Vec<u64> = (1..=1000).collect();
        let (sum, len) = join(|| data.iter().sum::<u64>(), || data.len());
        assert_eq!((sum, len), (500_500, 1000));
    }

    #[test]
    #[should_panic(expected = "bug in a")]
    fn a_panic_on_the_thread_reaches_the_caller() {
        let _ = join(|| -> u8 { panic!("bug in a") }, || 1);
    }
}

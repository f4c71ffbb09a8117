//! Seeded random-number streams.
//!
//! One run seed fans out into independent streams: the arrival process, each
//! session, each admin, and so on. A stream is identified by a `(kind, index)`
//! pair and seeded by mixing it with the run seed through SplitMix64, so a
//! session draws the same numbers whatever happens around it. The generator
//! is PCG-64 (MCG variant) from `rand_pcg`: fast, 16 bytes of state, and its
//! output is fixed by its specification, unlike `StdRng`/`SmallRng` whose
//! algorithm may change between `rand` releases.

use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;

/// The generator every stream uses.
pub type SimRng = Pcg64Mcg;

/// What a stream is for; keeps streams of different purposes disjoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum StreamKind {
    /// The open-model arrival process.
    Arrivals = 1,
    /// One stream per session, indexed by session number.
    Session = 2,
    /// One stream per closed-model user (start offsets).
    User = 3,
    /// Shop setup and background (admin) activity.
    Background = 4,
    /// Replication seeds derived from the run seed.
    Replication = 5,
    /// Cold starts of an autoscaled station, indexed by station.
    Capacity = 6,
}

/// SplitMix64's finaliser: a bijective, well-mixing map on `u64`.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generator for stream `(kind, index)` of a run with `seed`.
#[inline]
pub fn stream(seed: u64, kind: StreamKind, index: u64) -> SimRng {
    Streams::new(seed, kind).at(index)
}

/// The streams of one kind in a run: [`stream`] with the part that
/// depends only on `(seed, kind)` computed once (a clock starting millions
/// of sessions derives a stream for each).
#[derive(Clone, Copy, Debug)]
pub struct Streams(u64);

impl Streams {
    /// The streams of `kind` in a run with `seed`.
    pub fn new(seed: u64, kind: StreamKind) -> Self {
        Streams(mix64(seed ^ mix64(kind as u64)))
    }

    /// Stream `index`: the same generator as `stream(seed, kind, index)`.
    #[inline]
    pub fn at(self, index: u64) -> SimRng {
        let b = mix64(self.0 ^ index);
        let c = mix64(b ^ 0x5851_F42D_4C95_7F2D);
        Pcg64Mcg::new(((b as u128) << 64) | c as u128)
    }
}

/// A generator seeded from a single `u64`, for tests and tools.
pub fn from_u64(seed: u64) -> SimRng {
    Pcg64Mcg::seed_from_u64(seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PINNED: [u64; 2] = [7_566_751_437_223_329_740, 8_533_149_497_518_066_316];
    use rand::RngExt;

    #[test]
    fn same_stream_same_numbers() {
        let mut a = stream(42, StreamKind::Session, 7);
        let mut b = stream(42, StreamKind::Session, 7);
        for _ in 0..100 {
            assert_eq!(a.random::<u64>(), b.random::<u64>());
        }
    }

    #[test]
    fn neighbouring_streams_and_seeds_differ() {
        let first = |seed, kind, index| stream(seed, kind, index).random::<u64>();
        let base = first(42, StreamKind::Session, 7);
        assert_ne!(base, first(42, StreamKind::Session, 8));
        assert_ne!(base, first(43, StreamKind::Session, 7));
        assert_ne!(base, first(42, StreamKind::User, 7));
    }

    #[test]
    fn output_is_pinned() {
        // Reproducibility across releases: if this changes, every report
        // changes. Update only on purpose, and say so in the commit.
        let mut r = stream(1, StreamKind::Arrivals, 0);
        let first: [u64; 2] = [r.random(), r.random()];
        assert_eq!(first, PINNED);
    }
}

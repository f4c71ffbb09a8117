//! Drawing products and categories by popularity.
//!
//! Rank `i` (0-based) of `n` has probability proportional to `1/(i+1)^s`
//! (Zipf) or `1/n` (uniform). Zipf draws use Walker's alias method for up
//! to [`ALIAS_MAX`] ranks (O(1), two integer draws, 8 bytes per rank) and
//! rejection-inversion (`rand_distr::Zipf`, no table) beyond. Categories
//! follow the same law as products, over `categories` ranks.

use rand::{Rng, RngExt};
use rand_distr::{Distribution, Zipf};

/// Largest catalog drawn through an alias table (32 MiB of table).
pub const ALIAS_MAX: u32 = 1 << 22;

/// Walker's alias table: draw a column uniformly, keep it with its
/// probability, else take its alias.
struct Alias {
    columns: Vec<Column>,
}

/// One column of an [`Alias`] table. Its threshold and its alias sit side
/// by side, so that a draw reads one cache line, not one in each of two
/// arrays (a 50,000-product table is 400 KB: a draw misses the L1 cache).
#[derive(Clone, Copy)]
struct Column {
    /// Kept when a uniform `u32` is below this; `u32::MAX`: always kept.
    keep: u32,
    /// Taken when not kept.
    alias: u32,
}

impl Alias {
    /// Vose's construction from unnormalised weights.
    fn new(weights: &[f64]) -> Alias {
        let n = weights.len();
        let total: f64 = weights.iter().sum();
        let mut scaled: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
        let mut columns: Vec<Column> = (0..n as u32)
            .map(|i| Column {
                keep: u32::MAX,
                alias: i,
            })
            .collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) =
            (0..n).partition(|&i| scaled[i] < 1.0);
        while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
            columns[s] = Column {
                keep: (scaled[s] * 4_294_967_296.0).min(u32::MAX as f64) as u32,
                alias: l as u32,
            };
            scaled[l] -= 1.0 - scaled[s];
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Leftovers are 1 up to rounding: always kept.
        Alias { columns }
    }

    #[inline]
    fn draw(&self, rng: &mut SimRng) -> u32 {
        let n = self.columns.len() as u64;
        let i = ((rng.next_u64() as u128 * n as u128) >> 64) as usize;
        let c = self.columns[i];
        if rng.next_u32() < c.keep || c.keep == u32::MAX {
            i as u32
        } else {
            c.alias
        }
    }
}

use super::rng::SimRng;

/// Product popularity by rank.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Popularity {
    /// P(rank i) proportional to 1 / i^exponent.
    Zipf {
        /// Exponent, >= 0 (the scenario's default is 1).
        exponent: f64,
    },
    /// Every product equally likely.
    Uniform,
}

/// Picks products and categories by popularity.
pub trait Picker {
    /// A product id, `0..products`, rank 0 most popular.
    fn product(&self, rng: &mut SimRng) -> u32;
    /// A category id, `0..categories`.
    fn category(&self, rng: &mut SimRng) -> u32;
    /// Number of products.
    fn products(&self) -> u32;
    /// Number of categories.
    fn categories(&self) -> u32;
}

enum Law {
    Alias(Alias),
    Zipf(Zipf<f64>),
    Uniform(u32),
}

impl Law {
    fn new(n: u32, popularity: Popularity) -> Law {
        match popularity {
            Popularity::Zipf { exponent } if n <= ALIAS_MAX => {
                let w: Vec<f64> = (1..=n).map(|i| (i as f64).powf(-exponent)).collect();
                Law::Alias(Alias::new(&w))
            }
            // `Zipf::new` fails only for n < 1 or a negative or NaN
            // exponent, which validation excludes; fall back to uniform.
            Popularity::Zipf { exponent } => match Zipf::new(n as f64, exponent) {
                Ok(z) => Law::Zipf(z),
                Err(_) => Law::Uniform(n),
            },
            Popularity::Uniform => Law::Uniform(n),
        }
    }

    #[inline]
    fn draw(&self, rng: &mut SimRng) -> u32 {
        match self {
            Law::Alias(a) => a.draw(rng),
            Law::Zipf(z) => (z.sample(rng) as u32).saturating_sub(1),
            Law::Uniform(n) => rng.random_range(0..*n),
        }
    }
}

/// The popularity sampler of a catalog.
pub struct CatalogPicker {
    products: u32,
    categories: u32,
    product_law: Law,
    category_law: Law,
}

impl CatalogPicker {
    /// A picker over `products` products and `categories` categories.
    pub fn with(products: u32, categories: u32, popularity: Popularity) -> Self {
        CatalogPicker {
            products,
            categories,
            product_law: Law::new(products, popularity),
            category_law: Law::new(categories, popularity),
        }
    }
}

impl Picker for CatalogPicker {
    #[inline]
    fn product(&self, rng: &mut SimRng) -> u32 {
        self.product_law.draw(rng).min(self.products - 1)
    }

    #[inline]
    fn category(&self, rng: &mut SimRng) -> u32 {
        self.category_law.draw(rng).min(self.categories - 1)
    }

    fn products(&self) -> u32 {
        self.products
    }

    fn categories(&self) -> u32 {
        self.categories
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::rng::from_u64;

    #[test]
    fn zipf_frequencies_follow_the_law() {
        let p = CatalogPicker::with(100, 5, Popularity::Zipf { exponent: 1.0 });
        let mut rng = from_u64(3);
        let n = 400_000;
        let mut counts = vec![0u64; 100];
        for _ in 0..n {
            counts[p.product(&mut rng) as usize] += 1;
        }
        let h: f64 = (1..=100).map(|i| 1.0 / i as f64).sum();
        for rank in [0usize, 1, 9, 99] {
            let expected = n as f64 / ((rank + 1) as f64 * h);
            let tol = 5.0 * expected.sqrt();
            assert!(
                (counts[rank] as f64 - expected).abs() < tol,
                "rank {rank}: {} vs {expected:.0}",
                counts[rank]
            );
        }
    }

    #[test]
    fn alias_table_matches_weights() {
        let a = Alias::new(&[1.0, 2.0, 3.0, 4.0]);
        let mut rng = from_u64(5);
        let n = 200_000;
        let mut counts = [0u64; 4];
        for _ in 0..n {
            counts[a.draw(&mut rng) as usize] += 1;
        }
        for (i, &c) in counts.iter().enumerate() {
            let expected = n as f64 * (i + 1) as f64 / 10.0;
            assert!(
                (c as f64 - expected).abs() < 5.0 * expected.sqrt(),
                "{i}: {c} vs {expected}"
            );
        }
    }

    #[test]
    fn uniform_stays_in_range() {
        let p = CatalogPicker::with(3, 1, Popularity::Uniform);
        let mut rng = from_u64(3);
        let mut seen = [false; 3];
        for _ in 0..1000 {
            seen[p.product(&mut rng) as usize] = true;
            assert_eq!(p.category(&mut rng), 0);
        }
        assert_eq!(seen, [true; 3]);
    }
}

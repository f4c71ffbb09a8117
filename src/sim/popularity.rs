//! Drawing products and categories by popularity.
//!
//! Rank `i` (0-based) of `n` has probability proportional to `1/(i+1)^s`
//! (Zipf) or `1/n` (uniform). Zipf draws use rejection-inversion
//! (`rand_distr::Zipf`): constant expected time, no table, any `n`.
//! Categories follow the same law as products, over `categories` ranks.

use rand::RngExt;
use rand_distr::{Distribution, Zipf};

use super::rng::SimRng;
use crate::agent::business::Picker;
use crate::scenario::model::{Catalog, Popularity};

enum Law {
    Zipf(Zipf<f64>),
    Uniform(u32),
}

impl Law {
    fn new(n: u32, popularity: Popularity) -> Law {
        match popularity {
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
    /// A picker for `catalog`.
    pub fn new(catalog: &Catalog) -> Self {
        CatalogPicker {
            products: catalog.products,
            categories: catalog.categories,
            product_law: Law::new(catalog.products, catalog.popularity),
            category_law: Law::new(catalog.categories, catalog.popularity),
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
    use crate::sim::rng::from_u64;

    #[test]
    fn zipf_frequencies_follow_the_law() {
        let c = Catalog {
            products: 100,
            categories: 5,
            popularity: Popularity::Zipf { exponent: 1.0 },
        };
        let p = CatalogPicker::new(&c);
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
    fn uniform_stays_in_range() {
        let c = Catalog {
            products: 3,
            categories: 1,
            popularity: Popularity::Uniform,
        };
        let p = CatalogPicker::new(&c);
        let mut rng = from_u64(3);
        let mut seen = [false; 3];
        for _ in 0..1000 {
            seen[p.product(&mut rng) as usize] = true;
            assert_eq!(p.category(&mut rng), 0);
        }
        assert_eq!(seen, [true; 3]);
    }
}

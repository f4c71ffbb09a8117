//! Catalog: products, categories and search.
//!
//! Guarantees:
//! - product lookup by id ([`Catalog::product`]) takes no lock and never
//!   allocates: it reads the product's card (`cards`: price, category, rank,
//!   active) and returns a `Copy` [`ProductView`]; names sit in a dense
//!   table under sharded locks;
//! - prices are integer cents in `0..=MAX_PRICE_CENTS`; products are never
//!   removed (orders and stock refer to them), deleting one deactivates it and
//!   lookups then answer `not_found`;
//! - search results are fully ordered (ties broken by product id), so a page
//!   is the same whatever the thread interleaving or hasher;
//! - the text index maps lower-case alphanumeric tokens of product names to
//!   sorted posting lists; a query matches products having *every* token.
//!
//! The parent holds products, categories and their edits; `cards` keeps
//! every product's price, category, rank and state for lock-free reads;
//! `index` keeps the text index and its sorted posting lists, `search`
//! answers queries from it, `error` names every refusal.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use super::dense::DenseTable;
use super::ids::{CategoryId, Cents, FxDashMap, ProductId, new_map};

mod cards;
mod error;
mod index;
mod search;
#[cfg(test)]
mod tests;

use cards::{Card, Cards};
pub use error::CatalogError;
use index::{Postings, insert_sorted, tokenize};
pub use search::{SearchPage, SearchQuery, SortOrder};

/// Highest accepted price: ten million currency units.
pub const MAX_PRICE_CENTS: Cents = 1_000_000_000;
/// Largest page a search may ask for.
pub const MAX_PAGE_SIZE: u32 = 100;

/// A product as configured or created by an admin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductSpec {
    /// Display name; its words are indexed for search.
    pub name: String,
    /// Index into the category list.
    pub category: CategoryId,
    /// Unit price in cents, `0..=MAX_PRICE_CENTS`.
    pub price_cents: Cents,
    /// Units in stock at creation.
    pub initial_stock: u32,
    /// Popularity rank: 0 is the most popular.
    pub popularity_rank: u32,
}

/// A change to a product; `None` fields are left alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProductPatch {
    /// New name (re-indexed).
    pub name: Option<String>,
    /// New category.
    pub category: Option<CategoryId>,
    /// New unit price; carts are priced at the current price.
    pub price_cents: Option<Cents>,
    /// New popularity rank.
    pub popularity_rank: Option<u32>,
    /// Activate or deactivate.
    pub active: Option<bool>,
}

/// The hot-path view of a product: copied out, never allocated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProductView {
    /// Its id (= SKU).
    pub id: ProductId,
    /// Its category.
    pub category: CategoryId,
    /// Current unit price in cents.
    pub price_cents: Cents,
    /// Popularity rank (0 = most popular).
    pub popularity_rank: u32,
}

/// What a product keeps besides its card (see `cards`).
#[derive(Debug)]
struct Product {
    name: Arc<str>,
}

/// The catalog service. `Send + Sync`.
#[derive(Debug)]
pub struct Catalog {
    products: DenseTable<Product>,
    cards: Cards,
    next_id: AtomicU32,
    categories: RwLock<Vec<Box<str>>>,
    tokens: FxDashMap<Box<str>, Postings>,
    by_category: FxDashMap<CategoryId, Vec<ProductId>>,
}

impl Catalog {
    /// A catalog with these categories and no products.
    pub fn new(categories: &[String]) -> Self {
        Self {
            products: DenseTable::default(),
            cards: Cards::default(),
            next_id: AtomicU32::new(0),
            categories: RwLock::new(categories.iter().map(|c| c.as_str().into()).collect()),
            tokens: new_map(),
            by_category: new_map(),
        }
    }

    /// Adds a category; names are unique ignoring ASCII case.
    pub fn create_category(&self, name: &str) -> Result<CategoryId, CatalogError> {
        let name = name.trim();
        if !name.chars().any(char::is_alphanumeric) {
            return Err(CatalogError::EmptyName);
        }
        // Categories change rarely (admin only); the write lock is not on a hot path.
        let mut cats = self
            .categories
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if cats.iter().any(|c| c.eq_ignore_ascii_case(name)) {
            return Err(CatalogError::DuplicateCategory {
                name: name.to_string(),
            });
        }
        let id = u16::try_from(cats.len()).map_err(|_| CatalogError::InvalidQuery {
            reason: "too many categories (at most 65536)",
        })?;
        cats.push(name.into());
        Ok(CategoryId(id))
    }

    /// The category names, in id order.
    pub fn categories(&self) -> Vec<String> {
        let cats = self
            .categories
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        cats.iter().map(|c| c.to_string()).collect()
    }

    fn check_category(&self, category: CategoryId) -> Result<(), CatalogError> {
        let n = self
            .categories
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        if usize::from(category.0) < n {
            Ok(())
        } else {
            Err(CatalogError::UnknownCategory { category })
        }
    }

    /// Adds a product and returns its id (the next dense id).
    pub fn create(&self, spec: &ProductSpec) -> Result<ProductId, CatalogError> {
        check_price(spec.price_cents)?;
        self.check_category(spec.category)?;
        if tokenize(&spec.name).next().is_none() {
            return Err(CatalogError::EmptyName);
        }
        let id = ProductId(self.next_id.fetch_add(1, Ordering::Relaxed));
        // The card first: once the product is in the table, updates write
        // its card under the table's lock, and none can run before.
        self.cards.set(
            id.0,
            Card {
                price: spec.price_cents,
                category: spec.category,
                rank: spec.popularity_rank,
                active: true,
            },
        );
        let product = Product {
            name: spec.name.trim().into(),
        };
        self.products.insert(u64::from(id.0), product);
        self.index(id, &spec.name);
        insert_sorted(&mut self.by_category.entry(spec.category).or_default(), id);
        Ok(id)
    }

    /// Applies a patch to a product (active or not).
    pub fn update(&self, id: ProductId, patch: &ProductPatch) -> Result<(), CatalogError> {
        if let Some(price) = patch.price_cents {
            check_price(price)?;
        }
        if let Some(category) = patch.category {
            self.check_category(category)?;
        }
        if let Some(name) = &patch.name
            && tokenize(name).next().is_none()
        {
            return Err(CatalogError::EmptyName);
        }
        let (old_name, old_category) = self
            .products
            .write(u64::from(id.0), |p| {
                // The shard's write lock serializes this card's writers.
                let mut card = self.cards.get(id.0)?;
                let old = (p.name.clone(), card.category);
                if let Some(name) = &patch.name {
                    p.name = name.trim().into();
                }
                if let Some(category) = patch.category {
                    card.category = category;
                }
                if let Some(price) = patch.price_cents {
                    card.price = price;
                }
                if let Some(rank) = patch.popularity_rank {
                    card.rank = rank;
                }
                if let Some(active) = patch.active {
                    card.active = active;
                }
                self.cards.set(id.0, card);
                Some(old)
            })
            .flatten()
            .ok_or(CatalogError::UnknownProduct { product: id })?;
        if let Some(name) = &patch.name {
            self.unindex(id, &old_name);
            self.index(id, name);
        }
        if let Some(category) = patch.category
            && category != old_category
        {
            if let Some(mut ids) = self.by_category.get_mut(&old_category) {
                ids.retain(|&p| p != id);
            }
            insert_sorted(&mut self.by_category.entry(category).or_default(), id);
        }
        Ok(())
    }

    /// The active product `id`. Hot path: no allocation, one shard read lock.
    pub fn product(&self, id: ProductId) -> Result<ProductView, CatalogError> {
        self.cards
            .get(id.0)
            .filter(|c| c.active)
            .map(|c| ProductView {
                id,
                category: c.category,
                price_cents: c.price,
                popularity_rank: c.rank,
            })
            .ok_or(CatalogError::UnknownProduct { product: id })
    }

    /// The name of product `id` (active or not); a reference-counted clone.
    pub fn name(&self, id: ProductId) -> Option<Arc<str>> {
        self.products.read(u64::from(id.0), |p| Arc::clone(&p.name))
    }

    /// Number of products ever created (active or not): ids are `0..count`.
    pub fn count(&self) -> u32 {
        self.next_id.load(Ordering::Relaxed)
    }
}

fn check_price(cents: Cents) -> Result<(), CatalogError> {
    if (0..=MAX_PRICE_CENTS).contains(&cents) {
        Ok(())
    } else {
        Err(CatalogError::InvalidPrice { cents })
    }
}

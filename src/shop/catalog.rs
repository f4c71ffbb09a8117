//! Catalog: products, categories and search.
//!
//! Guarantees:
//! - product lookup by id ([`Catalog::product`]) takes one shard read lock of a
//!   sharded map and never allocates; it returns a `Copy` [`ProductView`];
//! - prices are integer cents in `0..=MAX_PRICE_CENTS`; products are never
//!   removed (orders and stock refer to them), deleting one deactivates it and
//!   lookups then answer `not_found`;
//! - search results are fully ordered (ties broken by product id), so a page
//!   is the same whatever the thread interleaving or hasher;
//! - the text index maps lower-case alphanumeric tokens of product names to
//!   sorted posting lists; a query matches products having *every* token.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use super::ids::{CategoryId, Cents, FxDashMap, ProductId, new_map};

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

/// How search results are ordered; ties always break by product id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortOrder {
    /// Most popular first (lowest rank).
    #[default]
    Popularity,
    /// Cheapest first.
    PriceAsc,
    /// Most expensive first.
    PriceDesc,
}

/// A search request. `text` may be empty (browse by filters only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SearchQuery<'a> {
    /// Words that must all appear in the product name.
    pub text: &'a str,
    /// Only this category.
    pub category: Option<CategoryId>,
    /// Lowest unit price, inclusive.
    pub min_price_cents: Option<Cents>,
    /// Highest unit price, inclusive.
    pub max_price_cents: Option<Cents>,
    /// Only products with stock on hand.
    pub in_stock_only: bool,
    /// Result order.
    pub sort: SortOrder,
    /// Zero-based page number.
    pub page: u32,
    /// Results per page, `1..=MAX_PAGE_SIZE`.
    pub page_size: u32,
}

/// One page of search results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchPage {
    /// How many products matched in all pages.
    pub total: usize,
    /// This page, in the requested order.
    pub items: Vec<ProductView>,
}

/// Errors of the catalog service.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// No active product has this id.
    #[error("unknown product {product}: it does not exist or was deleted")]
    UnknownProduct {
        /// The id asked for.
        product: ProductId,
    },
    /// No category has this id.
    #[error("unknown category {category}: create it first")]
    UnknownCategory {
        /// The id asked for.
        category: CategoryId,
    },
    /// A price outside `0..=MAX_PRICE_CENTS`.
    #[error("price {cents} cents is out of range 0..={MAX_PRICE_CENTS}")]
    InvalidPrice {
        /// The rejected price.
        cents: Cents,
    },
    /// An empty product or category name.
    #[error("name must contain at least one letter or digit")]
    EmptyName,
    /// A category with this name already exists.
    #[error("category {name:?} already exists")]
    DuplicateCategory {
        /// The name.
        name: String,
    },
    /// The search page size or price range is invalid.
    #[error("invalid search: {reason}")]
    InvalidQuery {
        /// What to fix.
        reason: &'static str,
    },
}

impl CatalogError {
    /// The stable snake_case label used in reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::UnknownProduct { .. } | Self::UnknownCategory { .. } => "not_found",
            _ => "invalid_input",
        }
    }
}

#[derive(Debug)]
struct Product {
    name: Arc<str>,
    category: CategoryId,
    price: Cents,
    rank: u32,
    active: bool,
}

/// The catalog service. `Send + Sync`.
#[derive(Debug)]
pub struct Catalog {
    products: FxDashMap<ProductId, Product>,
    next_id: AtomicU32,
    categories: RwLock<Vec<Box<str>>>,
    tokens: FxDashMap<Box<str>, Vec<ProductId>>,
    by_category: FxDashMap<CategoryId, Vec<ProductId>>,
}

impl Catalog {
    /// A catalog with these categories and no products.
    pub fn new(categories: &[String]) -> Self {
        Self {
            products: new_map(),
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
        let product = Product {
            name: spec.name.trim().into(),
            category: spec.category,
            price: spec.price_cents,
            rank: spec.popularity_rank,
            active: true,
        };
        self.products.insert(id, product);
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
        let (old_name, old_category) = {
            let mut p = self
                .products
                .get_mut(&id)
                .ok_or(CatalogError::UnknownProduct { product: id })?;
            let old = (p.name.clone(), p.category);
            if let Some(name) = &patch.name {
                p.name = name.trim().into();
            }
            if let Some(category) = patch.category {
                p.category = category;
            }
            if let Some(price) = patch.price_cents {
                p.price = price;
            }
            if let Some(rank) = patch.popularity_rank {
                p.rank = rank;
            }
            if let Some(active) = patch.active {
                p.active = active;
            }
            old
        };
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
        self.products
            .get(&id)
            .filter(|p| p.active)
            .map(|p| ProductView {
                id,
                category: p.category,
                price_cents: p.price,
                popularity_rank: p.rank,
            })
            .ok_or(CatalogError::UnknownProduct { product: id })
    }

    /// The name of product `id` (active or not); a reference-counted clone.
    pub fn name(&self, id: ProductId) -> Option<Arc<str>> {
        self.products.get(&id).map(|p| Arc::clone(&p.name))
    }

    /// Number of products ever created (active or not): ids are `0..count`.
    pub fn count(&self) -> u32 {
        self.next_id.load(Ordering::Relaxed)
    }

    /// Searches the catalog; `in_stock` answers whether a product has stock
    /// on hand (the catalog does not own stock).
    pub fn search(
        &self,
        q: &SearchQuery<'_>,
        in_stock: impl Fn(ProductId) -> bool,
    ) -> Result<SearchPage, CatalogError> {
        if q.page_size == 0 || q.page_size > MAX_PAGE_SIZE {
            return Err(CatalogError::InvalidQuery {
                reason: "page size must be 1..=100",
            });
        }
        if let (Some(lo), Some(hi)) = (q.min_price_cents, q.max_price_cents)
            && lo > hi
        {
            return Err(CatalogError::InvalidQuery {
                reason: "minimum price is above maximum price",
            });
        }
        let candidates = self.candidates(q);
        let mut hits: Vec<ProductView> = candidates
            .into_iter()
            .filter_map(|id| self.product(id).ok())
            .filter(|p| q.category.is_none_or(|c| p.category == c))
            .filter(|p| q.min_price_cents.is_none_or(|lo| p.price_cents >= lo))
            .filter(|p| q.max_price_cents.is_none_or(|hi| p.price_cents <= hi))
            .filter(|p| !q.in_stock_only || in_stock(p.id))
            .collect();
        match q.sort {
            SortOrder::Popularity => hits.sort_unstable_by_key(|p| (p.popularity_rank, p.id)),
            SortOrder::PriceAsc => hits.sort_unstable_by_key(|p| (p.price_cents, p.id)),
            SortOrder::PriceDesc => {
                hits.sort_unstable_by_key(|p| (std::cmp::Reverse(p.price_cents), p.id))
            }
        }
        let total = hits.len();
        let start = (q.page as usize)
            .saturating_mul(q.page_size as usize)
            .min(total);
        let end = start.saturating_add(q.page_size as usize).min(total);
        hits.truncate(end);
        hits.drain(..start);
        Ok(SearchPage { total, items: hits })
    }

    /// Candidate ids before filtering, sorted and unique.
    fn candidates(&self, q: &SearchQuery<'_>) -> Vec<ProductId> {
        let mut lists = Vec::new();
        for token in tokenize(q.text) {
            let Some(postings) = self.tokens.get(token.as_str()) else {
                return Vec::new();
            };
            lists.push(postings);
        }
        // Query plan: start from the rarest token, so the work is bounded
        // by the smallest posting list rather than the first one typed.
        lists.sort_by_key(|l| l.len());
        let mut result: Option<Vec<ProductId>> = None;
        for postings in &lists {
            result = Some(match result {
                None => postings.to_vec(),
                Some(acc) => intersect(&acc, postings),
            });
        }
        match (result, q.category) {
            (Some(ids), _) => ids,
            (None, Some(c)) => self
                .by_category
                .get(&c)
                .map(|ids| ids.clone())
                .unwrap_or_default(),
            (None, None) => (0..self.count()).map(ProductId).collect(),
        }
    }

    fn index(&self, id: ProductId, name: &str) {
        for token in tokenize(name) {
            insert_sorted(
                &mut self.tokens.entry(token.into_boxed_str()).or_default(),
                id,
            );
        }
    }

    fn unindex(&self, id: ProductId, name: &str) {
        for token in tokenize(name) {
            if let Some(mut ids) = self.tokens.get_mut(token.as_str()) {
                ids.retain(|&p| p != id);
            }
        }
    }
}

fn check_price(cents: Cents) -> Result<(), CatalogError> {
    if (0..=MAX_PRICE_CENTS).contains(&cents) {
        Ok(())
    } else {
        Err(CatalogError::InvalidPrice { cents })
    }
}

/// Lower-case alphanumeric words of `text`, at most 32 characters each.
fn tokenize(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(32).flat_map(char::to_lowercase).collect())
}

fn insert_sorted(ids: &mut Vec<ProductId>, id: ProductId) {
    if let Err(at) = ids.binary_search(&id) {
        ids.insert(at, id);
    }
}

fn intersect(a: &[ProductId], b: &[ProductId]) -> Vec<ProductId> {
    // Much shorter `a`: probe `b` by binary search instead of merging.
    if a.len() * 16 < b.len() {
        return a
            .iter()
            .copied()
            .filter(|id| b.binary_search(id).is_ok())
            .collect();
    }
    // Branch-free merge: both cursors advance by comparison results, so
    // the loop does not mispredict on interleaved ids; matches are rare.
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        if x == y {
            out.push(x);
        }
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, category: u16, price: Cents, rank: u32) -> ProductSpec {
        ProductSpec {
            name: name.into(),
            category: CategoryId(category),
            price_cents: price,
            initial_stock: 1,
            popularity_rank: rank,
        }
    }

    fn catalog() -> Catalog {
        let c = Catalog::new(&["books".into(), "games".into()]);
        c.create(&spec("Red Chess Set", 1, 2_500, 3)).unwrap();
        c.create(&spec("Chess for Beginners", 0, 1_200, 1)).unwrap();
        c.create(&spec("Red Dragon", 0, 900, 0)).unwrap();
        c.create(&spec("Go Board", 1, 4_000, 2)).unwrap();
        c
    }

    fn ids(page: &SearchPage) -> Vec<u32> {
        page.items.iter().map(|p| p.id.0).collect()
    }

    fn query(text: &str) -> SearchQuery<'_> {
        SearchQuery {
            text,
            page_size: 10,
            ..SearchQuery::default()
        }
    }

    #[test]
    fn lookup_and_errors() {
        let c = catalog();
        assert_eq!(c.product(ProductId(2)).unwrap().price_cents, 900);
        assert_eq!(c.product(ProductId(9)).unwrap_err().kind(), "not_found");
        assert_eq!(
            c.create(&spec("x", 7, 1, 0)).unwrap_err().kind(),
            "not_found"
        );
        assert_eq!(
            c.create(&spec("x", 0, -1, 0)).unwrap_err(),
            CatalogError::InvalidPrice { cents: -1 }
        );
        assert_eq!(
            c.create(&spec(" - ", 0, 1, 0)).unwrap_err(),
            CatalogError::EmptyName
        );
        assert_eq!(&*c.name(ProductId(3)).unwrap(), "Go Board");
    }

    #[test]
    fn text_search_ands_tokens_case_insensitively() {
        let c = catalog();
        assert_eq!(
            ids(&c.search(&query("chess"), |_| true).unwrap()),
            vec![1, 0]
        );
        assert_eq!(
            ids(&c.search(&query("RED chess"), |_| true).unwrap()),
            vec![0]
        );
        assert!(
            c.search(&query("zebra"), |_| true)
                .unwrap()
                .items
                .is_empty()
        );
    }

    #[test]
    fn filters_sorting_and_paging() {
        let c = catalog();
        let mut q = query("");
        q.sort = SortOrder::PriceAsc;
        assert_eq!(ids(&c.search(&q, |_| true).unwrap()), vec![2, 1, 0, 3]);
        q.sort = SortOrder::PriceDesc;
        q.category = Some(CategoryId(1));
        assert_eq!(ids(&c.search(&q, |_| true).unwrap()), vec![3, 0]);
        let q = SearchQuery {
            min_price_cents: Some(1_000),
            max_price_cents: Some(3_000),
            ..query("")
        };
        assert_eq!(ids(&c.search(&q, |_| true).unwrap()), vec![1, 0]);
        let q = SearchQuery {
            in_stock_only: true,
            ..query("")
        };
        assert_eq!(ids(&c.search(&q, |p| p.0 % 2 == 0).unwrap()), vec![2, 0]);
        let q = SearchQuery {
            page: 1,
            page_size: 3,
            ..query("")
        };
        let page = c.search(&q, |_| true).unwrap();
        assert_eq!((page.total, ids(&page)), (4, vec![0]));
        let q = SearchQuery {
            page: 7,
            page_size: 3,
            ..query("")
        };
        assert!(c.search(&q, |_| true).unwrap().items.is_empty());
    }

    #[test]
    fn invalid_queries_are_rejected() {
        let c = catalog();
        let q = SearchQuery {
            page_size: 0,
            ..query("")
        };
        assert_eq!(c.search(&q, |_| true).unwrap_err().kind(), "invalid_input");
        let q = SearchQuery {
            min_price_cents: Some(5),
            max_price_cents: Some(4),
            ..query("")
        };
        assert_eq!(c.search(&q, |_| true).unwrap_err().kind(), "invalid_input");
    }

    #[test]
    fn update_reindexes_and_delete_hides() {
        let c = catalog();
        let patch = ProductPatch {
            name: Some("Blue Dragon".into()),
            category: Some(CategoryId(1)),
            ..Default::default()
        };
        c.update(ProductId(2), &patch).unwrap();
        assert!(
            c.search(&query("red dragon"), |_| true)
                .unwrap()
                .items
                .is_empty()
        );
        assert_eq!(ids(&c.search(&query("blue"), |_| true).unwrap()), vec![2]);
        let q = SearchQuery {
            category: Some(CategoryId(1)),
            ..query("")
        };
        assert_eq!(ids(&c.search(&q, |_| true).unwrap()), vec![2, 3, 0]);
        c.update(
            ProductId(2),
            &ProductPatch {
                active: Some(false),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(c.product(ProductId(2)).unwrap_err().kind(), "not_found");
        assert!(c.search(&query("blue"), |_| true).unwrap().items.is_empty());
        let bad = ProductPatch {
            price_cents: Some(MAX_PRICE_CENTS + 1),
            ..Default::default()
        };
        assert_eq!(
            c.update(ProductId(1), &bad).unwrap_err().kind(),
            "invalid_input"
        );
        assert_eq!(
            c.update(ProductId(99), &ProductPatch::default())
                .unwrap_err()
                .kind(),
            "not_found"
        );
    }

    #[test]
    fn categories_are_unique() {
        let c = catalog();
        assert_eq!(c.create_category("toys").unwrap(), CategoryId(2));
        assert_eq!(
            c.create_category("Books").unwrap_err().kind(),
            "invalid_input"
        );
        assert_eq!(c.categories(), vec!["books", "games", "toys"]);
    }
}

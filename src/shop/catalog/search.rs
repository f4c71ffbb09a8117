//! Search: the query and page types, and how a query is answered.
//!
//! Owns [`Catalog::search`]: candidates come from the text index (the rarest
//! token first) or the category list, then filters, a full order and the
//! page. Guarantees: results are fully ordered, ties broken by product id,
//! so a page is the same whatever the thread interleaving or hasher; bad
//! page sizes and price ranges are refused before any work.

use super::index::{intersect, tokenize};
use super::{Catalog, CatalogError, MAX_PAGE_SIZE, ProductView};
use crate::shop::ids::{CategoryId, Cents, ProductId};

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

impl Catalog {
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
            let Some(postings) = self.tokens.get(&*token) else {
                return Vec::new();
            };
            lists.push(postings);
        }
        // Query plan: start from the rarest token, so the work is bounded
        // by the smallest posting list rather than the first one typed.
        lists.sort_by_key(|l| l.ids().len());
        let result = match lists.as_slice() {
            [] => None,
            [only] => Some(only.ids().to_vec()),
            [rarest, next, rest @ ..] => Some(
                rest.iter()
                    .fold(intersect(rarest.ids(), next), |acc, l| intersect(&acc, l)),
            ),
        };
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
}

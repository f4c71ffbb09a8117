//! Errors of the catalog service and their stable report labels.
//!
//! Guarantees: every refusal of a product, category or search is one
//! [`CatalogError`] variant whose message says what to fix, and
//! [`CatalogError::kind`] maps it to `not_found` or `invalid_input`.

use super::MAX_PRICE_CENTS;
use crate::shop::ids::{CategoryId, Cents, ProductId};

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

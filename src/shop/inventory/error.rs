//! Errors of the inventory service and their stable report labels.
//!
//! Guarantees: every refusal is one [`InventoryError`] variant, returned
//! before any counter changed, and [`InventoryError::kind`] maps it to a
//! fixed label from the shop's `ERROR_KINDS`.

use crate::shop::ids::ProductId;

/// Errors of the inventory service.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InventoryError {
    /// Not enough units on hand.
    #[error(
        "product {product} has {available} unit(s) on hand, {requested} requested: lower the quantity"
    )]
    OutOfStock {
        /// The short SKU.
        product: ProductId,
        /// Units asked for (all lines of this SKU).
        requested: u64,
        /// Units on hand.
        available: i64,
    },
    /// The SKU has no stock record.
    #[error("unknown SKU {product}")]
    UnknownSku {
        /// The SKU.
        product: ProductId,
    },
    /// A quantity of zero.
    #[error("quantity must be at least 1")]
    ZeroQuantity,
    /// The SKU already has a stock record.
    #[error("SKU {product} already has stock")]
    DuplicateSku {
        /// The SKU.
        product: ProductId,
    },
}

impl InventoryError {
    /// The stable snake_case label used in reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::OutOfStock { .. } => "out_of_stock",
            Self::UnknownSku { .. } => "not_found",
            Self::ZeroQuantity | Self::DuplicateSku { .. } => "invalid_input",
        }
    }
}

//! The text index: tokenization and sorted posting lists.
//!
//! Owns the map from lower-case alphanumeric name tokens to the products
//! having them, and the list operations search and the category lists use.
//! Guarantees: every posting list is sorted and free of duplicates, so
//! intersecting lists gives the products having *every* token, in id order.

use super::Catalog;
use crate::shop::ids::ProductId;

impl Catalog {
    pub(super) fn index(&self, id: ProductId, name: &str) {
        for token in tokenize(name) {
            insert_sorted(
                &mut self.tokens.entry(token.into_boxed_str()).or_default(),
                id,
            );
        }
    }

    pub(super) fn unindex(&self, id: ProductId, name: &str) {
        for token in tokenize(name) {
            if let Some(mut ids) = self.tokens.get_mut(token.as_str()) {
                ids.retain(|&p| p != id);
            }
        }
    }
}

/// Lower-case alphanumeric words of `text`, at most 32 characters each.
pub(super) fn tokenize(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(32).flat_map(char::to_lowercase).collect())
}

pub(super) fn insert_sorted(ids: &mut Vec<ProductId>, id: ProductId) {
    if let Err(at) = ids.binary_search(&id) {
        ids.insert(at, id);
    }
}

pub(super) fn intersect(a: &[ProductId], b: &[ProductId]) -> Vec<ProductId> {
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

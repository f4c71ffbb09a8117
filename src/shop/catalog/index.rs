//! The text index: tokenization and sorted posting lists.
//!
//! Owns the map from lower-case alphanumeric name tokens to the products
//! having them, and the list operations search and the category lists use.
//! Guarantees: every posting list is sorted and free of duplicates, so
//! intersecting lists gives the products having *every* token, in id order.
//! A token common enough that a bitmap over every product id is no larger
//! than its list (one product in [`DENSE`] or more, and at least
//! [`MIN_BITMAP`] products) also keeps that bitmap,
//! so a query probes it with one bit test per candidate instead of a
//! binary search.

use std::borrow::Cow;

use super::Catalog;
use crate::shop::ids::ProductId;

/// A token with at least one product in this many keeps a bitmap.
pub(super) const DENSE: usize = 32;
/// ... if it has at least this many products (a small catalog, or one
/// being built, would otherwise give every token a bitmap).
pub(super) const MIN_BITMAP: usize = 64;

/// The products having one token: sorted ids, and for a common token a
/// bitmap of the same set.
#[derive(Debug, Default)]
pub(super) struct Postings {
    ids: Vec<ProductId>,
    /// Bit `id` is set when `id` is in `ids`; empty for a rare token.
    bits: Vec<u64>,
}

impl Postings {
    /// The ids, sorted.
    pub(super) fn ids(&self) -> &[ProductId] {
        &self.ids
    }

    /// Whether the token keeps a bitmap.
    #[cfg(test)]
    pub(super) fn has_bitmap(&self) -> bool {
        !self.bits.is_empty()
    }

    /// Adds `id`; builds the bitmap once the token is common among the
    /// `products` ids so far.
    pub(super) fn insert(&mut self, id: ProductId, products: u32) {
        insert_sorted(&mut self.ids, id);
        let common = self.ids.len() >= MIN_BITMAP && self.ids.len() * DENSE >= products as usize;
        if self.bits.is_empty() && common {
            let ids = std::mem::take(&mut self.ids);
            for &p in &ids {
                self.set(p);
            }
            self.ids = ids;
        } else if !self.bits.is_empty() {
            self.set(id);
        }
    }

    fn set(&mut self, id: ProductId) {
        let word = (id.0 / 64) as usize;
        if word >= self.bits.len() {
            self.bits.resize(word + 1, 0);
        }
        self.bits[word] |= 1 << (id.0 % 64);
    }

    fn remove(&mut self, id: ProductId) {
        self.ids.retain(|&p| p != id);
        if let Some(w) = self.bits.get_mut((id.0 / 64) as usize) {
            *w &= !(1 << (id.0 % 64));
        }
    }
}

impl Catalog {
    pub(super) fn index(&self, id: ProductId, name: &str) {
        let products = self.count();
        for token in tokenize(name) {
            self.tokens
                .entry(token.into_owned().into_boxed_str())
                .or_default()
                .insert(id, products);
        }
    }

    pub(super) fn unindex(&self, id: ProductId, name: &str) {
        for token in tokenize(name) {
            if let Some(mut postings) = self.tokens.get_mut(&*token) {
                postings.remove(id);
            }
        }
    }
}

/// Lower-case alphanumeric words of `text`, at most 32 characters each.
/// A word that already is one (a typed query mostly is) is borrowed, not
/// copied: a search then allocates nothing to look its words up.
pub(super) fn tokenize(text: &str) -> impl Iterator<Item = Cow<'_, str>> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            if w.is_ascii() {
                // The common case, without decoding chars: the same bytes
                // as the general path gives an ASCII word.
                let w = &w[..w.len().min(32)];
                if w.bytes().any(|b| b.is_ascii_uppercase()) {
                    Cow::Owned(w.to_ascii_lowercase())
                } else {
                    Cow::Borrowed(w)
                }
            } else {
                Cow::Owned(w.chars().take(32).flat_map(char::to_lowercase).collect())
            }
        })
}

pub(super) fn insert_sorted(ids: &mut Vec<ProductId>, id: ProductId) {
    if let Err(at) = ids.binary_search(&id) {
        ids.insert(at, id);
    }
}

/// The ids of `a` that `b` has too, in order.
pub(super) fn intersect(a: &[ProductId], b: &Postings) -> Vec<ProductId> {
    // A bitmap to probe: test each id of `a`. Branch-free: every id is
    // written at the end of the output, which grows by one when its bit
    // is set, so matches cost no mispredictions however they fall.
    if !b.bits.is_empty() {
        let mut out = a.to_vec();
        let mut n = 0;
        for &id in a {
            let bit = b
                .bits
                .get((id.0 / 64) as usize)
                .map_or(0, |w| (w >> (id.0 % 64)) & 1);
            if let Some(slot) = out.get_mut(n) {
                *slot = id;
            }
            n += bit as usize;
        }
        out.truncate(n);
        return out;
    }
    // Much shorter `a`: gallop through `b` from the last place found, so
    // each id costs the log of the gap to the next one (a brand's 50
    // products among the 1 500 of a word just under the bitmap line: 5
    // steps each, not 11).
    if a.len() * 16 < b.ids.len() {
        let mut rest = b.ids.as_slice();
        let mut out = Vec::new();
        for &id in a {
            let mut step = 1;
            while step < rest.len() && rest[step] < id {
                step *= 2;
            }
            let window = &rest[..rest.len().min(step + 1)];
            match window.binary_search(&id) {
                Ok(at) => {
                    out.push(id);
                    rest = &rest[at + 1..];
                }
                Err(at) => rest = &rest[at..],
            }
        }
        return out;
    }
    // Branch-free merge: both cursors advance by comparison results, so
    // the loop does not mispredict on interleaved ids; matches are rare.
    let b = &b.ids;
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

//! Carts: one persistent cart per customer, kept across sessions.
//!
//! Guarantees:
//! - a cart holds at most `max_lines` distinct products (never more than
//!   [`MAX_CART_LINES`]) and each line `1..=max_qty` units;
//! - carts sit in a dense table under the customer's id (customers are
//!   numbered from 0 and the shop checks a customer is registered before
//!   a cart is made: no hash-table slack, 40 bytes a customer);
//! - updates of one customer's cart are serialised by its table shard's
//!   lock; adding to an existing cart does not allocate (lines keep their
//!   capacity after a checkout empties them);
//! - a checkout marks the cart busy ([`Carts::begin_checkout`]) so that a
//!   second concurrent checkout of the same cart is refused with
//!   `checkout_in_progress` instead of selling the same cart twice; on success
//!   only the purchased quantities are removed, so items added meanwhile stay.
//!
//! The cart does not know products or stock: the shop validates those before
//! calling in, passing the units currently on hand.

use super::dense::DenseTable;
use super::ids::{CustomerId, Nanos, ProductId};

/// Hard upper bound on distinct products in a cart (pricing copies a cart
/// into a stack buffer of this size to avoid allocating).
pub const MAX_CART_LINES: usize = 64;

/// One product and quantity in a cart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CartLine {
    /// The product.
    pub product: ProductId,
    /// Units, at least 1.
    pub qty: u32,
}

/// Errors of the cart service.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CartError {
    /// A quantity outside `1..=max`.
    #[error("quantity {qty} is out of range 1..={max}")]
    InvalidQuantity {
        /// The resulting line quantity.
        qty: u64,
        /// The per-line maximum.
        max: u32,
    },
    /// The cart already holds the maximum number of distinct products.
    #[error("cart is full ({max} distinct products): remove one first")]
    TooManyLines {
        /// The maximum.
        max: usize,
    },
    /// More units than on hand.
    #[error("product {product} has {available} unit(s) on hand, {requested} wanted in the cart")]
    NotEnoughStock {
        /// The product.
        product: ProductId,
        /// The resulting line quantity.
        requested: u64,
        /// Units on hand.
        available: i64,
    },
    /// The product is not in the cart.
    #[error("product {product} is not in the cart")]
    NotInCart {
        /// The product.
        product: ProductId,
    },
    /// Checkout of an empty cart.
    #[error("cart is empty: add a product before checking out")]
    Empty,
    /// Another checkout of this cart is running.
    #[error("a checkout of this cart is already in progress: retry when it finishes")]
    CheckoutInProgress,
}

impl CartError {
    /// The stable snake_case label used in reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidQuantity { .. } | Self::TooManyLines { .. } => "invalid_input",
            Self::NotEnoughStock { .. } => "out_of_stock",
            Self::NotInCart { .. } => "not_found",
            Self::Empty => "empty_cart",
            Self::CheckoutInProgress => "checkout_in_progress",
        }
    }
}

#[derive(Debug, Default)]
struct Cart {
    lines: Vec<CartLine>,
    checking_out: bool,
    updated_at: Nanos,
}

/// A customer's slot in the cart table.
fn key(customer: CustomerId) -> u64 {
    u64::from(customer.0)
}

/// The cart service. `Send + Sync`.
#[derive(Debug)]
pub struct Carts {
    carts: DenseTable<Cart>,
    max_lines: usize,
    max_qty: u32,
}

impl Carts {
    /// Carts limited to `max_lines` products (capped at [`MAX_CART_LINES`])
    /// of `max_qty` units each.
    pub fn new(max_lines: usize, max_qty: u32) -> Self {
        Self {
            carts: DenseTable::default(),
            max_lines: max_lines.clamp(1, MAX_CART_LINES),
            max_qty: max_qty.max(1),
        }
    }

    /// Adds `qty` units (merging with an existing line); returns the line's
    /// new quantity.
    pub fn add(
        &self,
        customer: CustomerId,
        product: ProductId,
        qty: u32,
        available: i64,
        now: Nanos,
    ) -> Result<u32, CartError> {
        if qty == 0 {
            return Err(CartError::InvalidQuantity {
                qty: 0,
                max: self.max_qty,
            });
        }
        self.carts.upsert(key(customer), Cart::default, |cart| {
            let current = cart.lines.iter().position(|l| l.product == product);
            let new_qty = u64::from(current.map_or(0, |i| cart.lines[i].qty)) + u64::from(qty);
            self.check(product, new_qty, available)?;
            // check() bounded new_qty by max_qty, a u32.
            let new_qty = new_qty as u32;
            match current {
                Some(i) => cart.lines[i].qty = new_qty,
                None if cart.lines.len() >= self.max_lines => {
                    return Err(CartError::TooManyLines {
                        max: self.max_lines,
                    });
                }
                None => {
                    if cart.lines.capacity() == 0 {
                        cart.lines.reserve_exact(4);
                    }
                    cart.lines.push(CartLine {
                        product,
                        qty: new_qty,
                    });
                }
            }
            cart.updated_at = now;
            Ok(new_qty)
        })
    }

    /// Sets a line's quantity; 0 removes the line.
    pub fn set_qty(
        &self,
        customer: CustomerId,
        product: ProductId,
        qty: u32,
        available: i64,
        now: Nanos,
    ) -> Result<(), CartError> {
        if qty == 0 {
            return self.remove(customer, product, now);
        }
        self.check(product, u64::from(qty), available)?;
        self.carts
            .write(key(customer), |cart| {
                let line = cart.lines.iter_mut().find(|l| l.product == product)?;
                line.qty = qty;
                cart.updated_at = now;
                Some(())
            })
            .flatten()
            .ok_or(CartError::NotInCart { product })
    }

    /// Removes a line.
    pub fn remove(
        &self,
        customer: CustomerId,
        product: ProductId,
        now: Nanos,
    ) -> Result<(), CartError> {
        self.carts
            .write(key(customer), |cart| {
                let i = cart.lines.iter().position(|l| l.product == product)?;
                cart.lines.remove(i);
                cart.updated_at = now;
                Some(())
            })
            .flatten()
            .ok_or(CartError::NotInCart { product })
    }

    fn check(&self, product: ProductId, qty: u64, available: i64) -> Result<(), CartError> {
        if qty > u64::from(self.max_qty) {
            return Err(CartError::InvalidQuantity {
                qty,
                max: self.max_qty,
            });
        }
        if i64::try_from(qty).map_or(true, |q| q > available) {
            return Err(CartError::NotEnoughStock {
                product,
                requested: qty,
                available,
            });
        }
        Ok(())
    }

    /// Copies the cart into `buf` and returns how many lines it holds.
    /// Allocation-free; an unknown customer has an empty cart.
    pub fn copy_lines(&self, customer: CustomerId, buf: &mut [CartLine; MAX_CART_LINES]) -> usize {
        self.carts
            .read(key(customer), |cart| {
                let n = cart.lines.len().min(MAX_CART_LINES);
                buf[..n].copy_from_slice(&cart.lines[..n]);
                n
            })
            .unwrap_or(0)
    }

    /// The cart's lines in insertion order.
    pub fn lines(&self, customer: CustomerId) -> Vec<CartLine> {
        self.carts
            .read(key(customer), |c| c.lines.clone())
            .unwrap_or_default()
    }

    /// Marks the cart busy and returns a snapshot of its lines.
    pub fn begin_checkout(&self, customer: CustomerId) -> Result<Vec<CartLine>, CartError> {
        self.carts
            .write(key(customer), |cart| {
                if cart.checking_out {
                    return Err(CartError::CheckoutInProgress);
                }
                if cart.lines.is_empty() {
                    return Err(CartError::Empty);
                }
                cart.checking_out = true;
                Ok(cart.lines.clone())
            })
            .unwrap_or(Err(CartError::Empty))
    }

    /// Ends a checkout begun with [`Carts::begin_checkout`]; on success removes
    /// the purchased units (lines reaching 0 disappear).
    pub fn finish_checkout(
        &self,
        customer: CustomerId,
        purchased: Option<&[CartLine]>,
        now: Nanos,
    ) {
        self.carts.write(key(customer), |cart| {
            cart.checking_out = false;
            if let Some(purchased) = purchased {
                for p in purchased {
                    if let Some(line) = cart.lines.iter_mut().find(|l| l.product == p.product) {
                        line.qty = line.qty.saturating_sub(p.qty);
                    }
                }
                cart.lines.retain(|l| l.qty > 0);
                cart.updated_at = now;
            }
        });
    }

    /// Customers whose cart is marked busy, sorted (empty after a drain).
    pub fn busy(&self) -> Vec<CustomerId> {
        let mut busy = Vec::new();
        self.carts.for_each(|id, c| {
            if c.checking_out {
                // Ids come from `CustomerId`s.
                busy.push(CustomerId(id as u32));
            }
        });
        busy.sort_unstable();
        busy
    }

    /// Number of non-empty carts (abandoned-cart reporting).
    pub fn non_empty(&self) -> u64 {
        let mut n = 0;
        self.carts
            .for_each(|_, c| n += u64::from(!c.lines.is_empty()));
        n
    }

    /// Marks a cart busy without a checkout, to test the liveness check.
    #[cfg(test)]
    pub(crate) fn corrupt_busy(&self, customer: CustomerId) {
        self.carts
            .upsert(key(customer), Cart::default, |c| c.checking_out = true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: CustomerId = CustomerId(1);
    const P: ProductId = ProductId(7);

    #[test]
    fn add_merges_and_validates() {
        let carts = Carts::new(2, 5);
        assert_eq!(carts.add(C, P, 2, 10, 0).unwrap(), 2);
        assert_eq!(carts.add(C, P, 3, 10, 0).unwrap(), 5);
        assert_eq!(
            carts.add(C, P, 1, 10, 0).unwrap_err(),
            CartError::InvalidQuantity { qty: 6, max: 5 }
        );
        assert_eq!(
            carts.add(C, P, 0, 10, 0).unwrap_err().kind(),
            "invalid_input"
        );
        assert_eq!(
            carts.add(C, ProductId(8), 4, 3, 0).unwrap_err().kind(),
            "out_of_stock"
        );
        carts.add(C, ProductId(8), 1, 3, 0).unwrap();
        assert_eq!(
            carts.add(C, ProductId(9), 1, 3, 0).unwrap_err(),
            CartError::TooManyLines { max: 2 }
        );
        assert_eq!(
            carts.lines(C),
            vec![
                CartLine { product: P, qty: 5 },
                CartLine {
                    product: ProductId(8),
                    qty: 1
                }
            ]
        );
    }

    #[test]
    fn set_and_remove() {
        let carts = Carts::new(8, 9);
        carts.add(C, P, 2, 10, 0).unwrap();
        carts.set_qty(C, P, 7, 10, 1).unwrap();
        assert_eq!(carts.lines(C)[0].qty, 7);
        assert_eq!(
            carts.set_qty(C, P, 10, 99, 1).unwrap_err().kind(),
            "invalid_input"
        );
        assert_eq!(
            carts.set_qty(C, ProductId(1), 1, 9, 1).unwrap_err().kind(),
            "not_found"
        );
        carts.set_qty(C, P, 0, 10, 2).unwrap();
        assert!(carts.lines(C).is_empty());
        assert_eq!(
            carts.remove(C, P, 3).unwrap_err(),
            CartError::NotInCart { product: P }
        );
    }

    #[test]
    fn checkout_marks_busy_and_removes_only_purchased_units() {
        let carts = Carts::new(8, 9);
        assert_eq!(carts.begin_checkout(C).unwrap_err().kind(), "empty_cart");
        carts.add(C, P, 2, 10, 0).unwrap();
        let snap = carts.begin_checkout(C).unwrap();
        assert_eq!(
            carts.begin_checkout(C).unwrap_err().kind(),
            "checkout_in_progress"
        );
        assert_eq!(carts.busy(), vec![C]);
        carts.add(C, P, 1, 10, 0).unwrap();
        carts.add(C, ProductId(3), 1, 10, 0).unwrap();
        carts.finish_checkout(C, Some(&snap), 5);
        assert_eq!(
            carts.lines(C),
            vec![
                CartLine { product: P, qty: 1 },
                CartLine {
                    product: ProductId(3),
                    qty: 1
                }
            ]
        );
        assert!(carts.busy().is_empty());
        let _ = carts.begin_checkout(C).unwrap();
        carts.finish_checkout(C, None, 6);
        assert_eq!(
            carts.lines(C).len(),
            2,
            "a failed checkout leaves the cart untouched"
        );
        let mut buf = [CartLine::default(); MAX_CART_LINES];
        assert_eq!(carts.copy_lines(C, &mut buf), 2);
        assert_eq!(carts.copy_lines(CustomerId(99), &mut buf), 0);
        assert_eq!(carts.non_empty(), 1);
    }
}

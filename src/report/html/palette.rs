//! Colours: a categorical palette, one fixed colour per operation (the
//! same on every chart of every page), tints and CSS hex.

use super::charts::Rgb;

/// The categorical palette (d3's category10, then darker hues).
pub const PALETTE: [Rgb; 16] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
    (57, 59, 121),
    (173, 73, 74),
    (99, 121, 57),
    (140, 109, 49),
    (123, 65, 115),
    (82, 84, 163),
];

/// The `i`-th palette colour (cycling).
pub fn nth(i: usize) -> Rgb {
    PALETTE[i % PALETTE.len()]
}

/// The colour of an operation, the same in every chart and every page:
/// checkout red, search green, and so on; `ALL` near-black; a custom
/// operation one picked by its name.
pub fn op_color(operation: &str) -> Rgb {
    use crate::contract::action::Action as A;
    let i = match A::from_name(operation) {
        Some(A::Home) => 0,
        Some(A::Browse) => 9,
        Some(A::Search) => 2,
        Some(A::ViewProduct) => 1,
        Some(A::AddToCart) => 4,
        Some(A::ViewCart) => 5,
        Some(A::Checkout) => 3,
        Some(A::OrderStatus) => 6,
        Some(A::Restock) => 7,
        Some(A::PriceChange) => 8,
        Some(A::CreateCoupon) => 10,
        Some(A::ShipOrder) => 12,
        Some(A::DeliverOrder) => 13,
        Some(A::CancelOrder) => 14,
        Some(A::RefundOrder) => 11,
        None if operation == crate::contract::names::ALL => return (40, 40, 48),
        None => {
            let h = operation.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
            });
            (h % PALETTE.len() as u64) as usize
        }
    };
    nth(i)
}

/// `c` mixed with white: `f` = 1 keeps it, 0 is white.
pub fn tint(c: Rgb, f: f64) -> Rgb {
    let m = |v: u8| {
        (255.0 - (255.0 - f64::from(v)) * f)
            .round()
            .clamp(0.0, 255.0) as u8
    };
    (m(c.0), m(c.1), m(c.2))
}

/// CSS hex of `c`.
pub fn hex(c: Rgb) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_keep_their_colour() {
        assert_eq!(op_color("checkout"), nth(3));
        assert_eq!(op_color("ALL"), (40, 40, 48));
        let all: std::collections::BTreeSet<Rgb> = crate::contract::action::Action::ALL
            .iter()
            .map(|a| op_color(a.name()))
            .collect();
        assert_eq!(
            all.len(),
            crate::contract::action::N_ACTIONS,
            "one colour each"
        );
        assert_eq!(hex(tint((0, 100, 200), 0.0)), "#ffffff");
        assert_eq!(hex((0, 100, 200)), "#0064c8");
    }
}

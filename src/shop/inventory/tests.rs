//! Unit tests of the inventory: reserve / commit / release conserve units,
//! all-or-nothing reservations, merged duplicate lines, restock and unsell,
//! the guard index, and crossing reservations on real threads.

use super::reservation::guarded;
use super::*;
use std::sync::Arc;

fn line(p: u32, qty: u32) -> StockLine {
    StockLine {
        product: ProductId(p),
        qty,
    }
}

fn inventory(skus: u32, stock: u32) -> Inventory {
    let inv = Inventory::new(4);
    for p in 0..skus {
        inv.add_sku(ProductId(p), stock).unwrap();
    }
    inv
}

#[test]
fn reserve_commit_release_conserve_units() {
    let inv = inventory(3, 10);
    let r = inv.reserve(&[line(0, 4), line(1, 10)]).unwrap();
    assert_eq!(inv.on_hand(ProductId(1)).unwrap(), 0);
    inv.commit(r, 77);
    let rec = inv.record(ProductId(1)).unwrap();
    assert_eq!(
        (rec.on_hand, rec.reserved, rec.sold, rec.first_sold_out_at),
        (0, 0, 10, Some(77))
    );
    let r = inv.reserve(&[line(0, 6)]).unwrap();
    inv.release(r);
    let rec = inv.record(ProductId(0)).unwrap();
    assert_eq!(
        (rec.on_hand, rec.reserved, rec.sold, rec.first_sold_out_at),
        (6, 0, 4, None)
    );
}

#[test]
fn reserve_is_all_or_nothing() {
    let inv = inventory(3, 5);
    let err = inv
        .reserve(&[line(0, 1), line(1, 6), line(2, 1)])
        .unwrap_err();
    assert_eq!(
        err,
        InventoryError::OutOfStock {
            product: ProductId(1),
            requested: 6,
            available: 5
        }
    );
    assert_eq!(err.kind(), "out_of_stock");
    for p in 0..3 {
        assert_eq!(inv.on_hand(ProductId(p)).unwrap(), 5);
    }
    assert_eq!(
        inv.reserve(&[line(0, 1), line(9, 1)]).unwrap_err().kind(),
        "not_found"
    );
    assert_eq!(
        inv.reserve(&[line(0, 0)]).unwrap_err().kind(),
        "invalid_input"
    );
    assert_eq!(inv.on_hand(ProductId(0)).unwrap(), 5);
}

#[test]
fn duplicate_lines_are_merged() {
    let inv = inventory(1, 5);
    assert_eq!(
        inv.reserve(&[line(0, 3), line(0, 3)]).unwrap_err().kind(),
        "out_of_stock"
    );
    let r = inv.reserve(&[line(0, 2), line(0, 3)]).unwrap();
    assert_eq!(r.lines().collect::<Vec<_>>(), vec![line(0, 5)]);
    inv.release(r);
}

#[test]
fn restock_unsell_and_errors() {
    let inv = inventory(1, 2);
    assert_eq!(inv.restock(ProductId(0), 3).unwrap().on_hand, 5);
    assert_eq!(
        inv.restock(ProductId(0), 0).unwrap_err().kind(),
        "invalid_input"
    );
    assert_eq!(
        inv.restock(ProductId(5), 1).unwrap_err().kind(),
        "not_found"
    );
    assert_eq!(
        inv.add_sku(ProductId(0), 1).unwrap_err().kind(),
        "invalid_input"
    );
    let r = inv.reserve(&[line(0, 5)]).unwrap();
    inv.commit(r, 1);
    inv.unsell(&[line(0, 2)]);
    let rec = inv.record(ProductId(0)).unwrap();
    assert_eq!(
        (
            rec.on_hand,
            rec.sold,
            rec.returned,
            rec.initial + rec.restocked
        ),
        (2, 3, 2, 5)
    );
}

#[test]
fn guard_index_counts_shard_changes() {
    let s = [
        (0, line(0, 1)),
        (0, line(1, 1)),
        (2, line(2, 1)),
        (3, line(3, 1)),
    ];
    assert_eq!(
        guarded(&s).map(|(g, _)| g).collect::<Vec<_>>(),
        vec![0, 0, 1, 2]
    );
}

#[test]
fn crossing_multi_line_reservations_do_not_deadlock() {
    let inv = Arc::new(inventory(16, 1_000_000));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let inv = Arc::clone(&inv);
            std::thread::spawn(move || {
                for i in 0..2_000u32 {
                    // Opposite SKU orders per thread: would deadlock without shard ordering.
                    let (a, b) = if t % 2 == 0 {
                        (i % 16, (i + 5) % 16)
                    } else {
                        ((i + 5) % 16, i % 16)
                    };
                    let r = inv
                        .reserve(&[line(a, 1), line(b, 1), line((a + 9) % 16, 1)])
                        .unwrap();
                    if i % 2 == 0 {
                        inv.commit(r, 0)
                    } else {
                        inv.release(r)
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let total: i64 = inv.snapshot().iter().map(|(_, r)| r.sold).sum();
    assert_eq!(total, 4 * 1_000 * 3);
    assert!(
        inv.snapshot()
            .iter()
            .all(|(_, r)| r.reserved == 0 && r.on_hand + r.sold == r.initial)
    );
}

//! Property test: random sequences of customer and admin operations, run
//! against the shop and against a simple sequential reference model, must
//! agree on every outcome and keep every invariant after every step.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

const CODES: [&str; 3] = ["P10", "CAT", "OLD"];
const MAX_QTY: u32 = 5;
const MAX_LINES: usize = 3;
const CARD: (f64, f64) = (0.1, 0.2); // (timeout, decline)
const COD_DECLINE: f64 = 0.1;
const COD_LIMIT: Cents = 8_000;

fn config() -> ShopConfig {
    let product = |name: &str, category, price_cents, popularity_rank| ProductSpec {
        name: name.into(),
        category: CategoryId(category),
        price_cents,
        initial_stock: 6,
        popularity_rank,
    };
    let coupon = |code: &str, kind| CouponSpec {
        code: code.into(),
        kind,
        min_order_cents: 0,
        valid_from: 0,
        valid_until: Nanos::MAX,
        category: None,
        global_limit: None,
        per_customer_limit: None,
    };
    ShopConfig {
        categories: vec!["a".into(), "b".into()],
        products: vec![
            product("alpha", 0, 1_000, 0),
            product("beta", 1, 2_500, 1),
            product("gamma", 0, 700, 2),
            product("delta", 1, 4_000, 3),
        ],
        inventory_shards: 2,
        shipping: ShippingRule {
            flat_fee_cents: 500,
            free_over_cents: Some(6_000),
        },
        tax_bps: 1_000,
        coupons: vec![
            CouponSpec {
                global_limit: Some(3),
                per_customer_limit: Some(1),
                ..coupon("P10", CouponKind::Percent(10))
            },
            CouponSpec {
                category: Some(CategoryId(1)),
                min_order_cents: 2_000,
                ..coupon("CAT", CouponKind::FixedAmount(1_500))
            },
            CouponSpec {
                valid_until: 1_000,
                ..coupon("OLD", CouponKind::FreeShipping)
            },
        ],
        payment_methods: vec![
            PaymentMethodConfig {
                kind: PaymentMethodKind::Card,
                timeout_rate: CARD.0,
                decline_rate: CARD.1,
                max_amount_cents: None,
            },
            PaymentMethodConfig {
                kind: PaymentMethodKind::CashOnDelivery,
                timeout_rate: 0.0,
                decline_rate: COD_DECLINE,
                max_amount_cents: Some(COD_LIMIT),
            },
        ],
        max_cart_lines: MAX_LINES,
        max_line_qty: MAX_QTY,
        ..ShopConfig::default()
    }
}

#[derive(Clone, Debug)]
enum Op {
    Add {
        c: usize,
        p: usize,
        qty: u32,
    },
    Remove {
        c: usize,
        p: usize,
    },
    Checkout {
        c: usize,
        coupon: Option<usize>,
        cod: bool,
        roll: f64,
        reuse_key: bool,
    },
    Restock {
        p: usize,
        qty: u32,
    },
    Price {
        p: usize,
        cents: Cents,
    },
    Admin {
        pick: usize,
        action: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3usize, 0..4usize, 1..=3u32).prop_map(|(c, p, qty)| Op::Add { c, p, qty }),
        1 => (0..3usize, 0..4usize).prop_map(|(c, p)| Op::Remove { c, p }),
        4 => (0..3usize, proptest::option::of(0..3usize), proptest::bool::weighted(0.3), 0.0..1.0f64, proptest::bool::weighted(0.3))
            .prop_map(|(c, coupon, cod, roll, reuse_key)| Op::Checkout { c, coupon, cod, roll, reuse_key }),
        1 => (0..4usize, 1..=5u32).prop_map(|(p, qty)| Op::Restock { p, qty }),
        1 => (0..4usize, 100..5_000 as Cents).prop_map(|(p, cents)| Op::Price { p, cents }),
        3 => (any::<usize>(), 0..4u8).prop_map(|(pick, action)| Op::Admin { pick, action }),
    ]
}

#[derive(Clone, Copy, Debug)]
enum KeyMemo {
    Completed(usize),
    Declined(Cents),
}

#[derive(Clone, Debug)]
struct ModelOrder {
    customer: usize,
    lines: Vec<(usize, u32)>,
    total: Cents,
    cod: bool,
    coupon: Option<usize>,
    status: OrderStatus,
}

/// The reference: plain sequential bookkeeping, no locks, no services.
#[derive(Debug, Default)]
struct Model {
    on_hand: [i64; 4],
    sold: [i64; 4],
    prices: [Cents; 4],
    carts: [Vec<(usize, u32)>; 3],
    coupon_total: [u32; 3],
    coupon_by: [[u32; 3]; 3],
    orders: Vec<ModelOrder>,
    keys: BTreeMap<(usize, u64), KeyMemo>,
    last_key: [Option<u64>; 3],
    next_key: u64,
    revenue: Cents,
}

type Outcome = Result<(), &'static str>;

impl Model {
    fn new() -> Self {
        Self {
            on_hand: [6; 4],
            prices: [1_000, 2_500, 700, 4_000],
            ..Self::default()
        }
    }

    fn add(&mut self, c: usize, p: usize, qty: u32) -> Outcome {
        let cart = &mut self.carts[c];
        let at = cart.iter().position(|l| l.0 == p);
        let new_qty = at.map_or(0, |i| cart[i].1) + qty;
        if new_qty > MAX_QTY {
            return Err("invalid_input");
        }
        if i64::from(new_qty) > self.on_hand[p] {
            return Err("out_of_stock");
        }
        match at {
            Some(i) => cart[i].1 = new_qty,
            None if cart.len() >= MAX_LINES => return Err("invalid_input"),
            None => cart.push((p, new_qty)),
        }
        Ok(())
    }

    fn remove(&mut self, c: usize, p: usize) -> Outcome {
        let at = self.carts[c]
            .iter()
            .position(|l| l.0 == p)
            .ok_or("not_found")?;
        self.carts[c].remove(at);
        Ok(())
    }

    /// Returns the outcome and, on success, the order index.
    fn checkout(
        &mut self,
        c: usize,
        coupon: Option<usize>,
        cod: bool,
        roll: f64,
        key: u64,
        now: Nanos,
    ) -> Result<usize, &'static str> {
        if let Some(KeyMemo::Completed(i)) = self.keys.get(&(c, key)) {
            return Ok(*i);
        }
        if self.carts[c].is_empty() {
            return Err("empty_cart");
        }
        let amount = |p: usize, q: u32| self.prices[p] * Cents::from(q);
        let subtotal: Cents = self.carts[c].iter().map(|&(p, q)| amount(p, q)).sum();
        let (mut discount, mut free_shipping) = (0, false);
        if let Some(k) = coupon {
            match k {
                0 => discount = subtotal * 10 / 100,
                1 => {
                    if subtotal < 2_000 {
                        return Err("coupon_invalid");
                    }
                    let eligible: Cents = self.carts[c]
                        .iter()
                        .filter(|l| l.0 % 2 == 1)
                        .map(|&(p, q)| amount(p, q))
                        .sum();
                    if !self.carts[c].iter().any(|l| l.0 % 2 == 1) {
                        return Err("coupon_invalid");
                    }
                    discount = eligible.min(1_500);
                }
                _ => {
                    if now >= 1_000 {
                        return Err("coupon_invalid");
                    }
                    free_shipping = true;
                }
            }
            if k == 0 && self.coupon_total[0] >= 3 {
                return Err("coupon_exhausted");
            }
            if k == 0 && self.coupon_by[0][c] >= 1 {
                return Err("coupon_limit");
            }
        }
        let goods = subtotal - discount;
        let shipping = if free_shipping || goods >= 6_000 {
            0
        } else {
            500
        };
        let total = goods + shipping + (goods * 1_000 + 5_000).div_euclid(10_000);
        match self.keys.get(&(c, key)) {
            Some(KeyMemo::Declined(a)) if *a == total => return Err("payment_declined"),
            Some(_) => return Err("idempotency_conflict"),
            None => {}
        }
        if self.carts[c]
            .iter()
            .any(|&(p, q)| i64::from(q) > self.on_hand[p])
        {
            return Err("out_of_stock");
        }
        let declined = if cod {
            total > COD_LIMIT || roll < 0.0 + COD_DECLINE
        } else {
            if roll < CARD.0 {
                return Err("gateway_timeout");
            }
            roll < CARD.0 + CARD.1
        };
        if declined {
            self.keys.insert((c, key), KeyMemo::Declined(total));
            return Err("payment_declined");
        }
        let lines = std::mem::take(&mut self.carts[c]);
        for &(p, q) in &lines {
            self.on_hand[p] -= i64::from(q);
            self.sold[p] += i64::from(q);
        }
        if let Some(k) = coupon {
            self.coupon_total[k] += 1;
            self.coupon_by[k][c] += 1;
        }
        if !cod {
            self.revenue += total;
        }
        let status = if cod {
            OrderStatus::AwaitingPayment
        } else {
            OrderStatus::Paid
        };
        self.orders.push(ModelOrder {
            customer: c,
            lines,
            total,
            cod,
            coupon,
            status,
        });
        self.keys
            .insert((c, key), KeyMemo::Completed(self.orders.len() - 1));
        Ok(self.orders.len() - 1)
    }

    fn admin(&mut self, i: usize, action: u8) -> Outcome {
        use OrderStatus::*;
        let o = self.orders[i].clone();
        let (next, refund, restock, release) = match (action, o.status, o.cod) {
            (0, AwaitingPayment | Paid, _) => (Shipped, false, false, false),
            (1, Shipped, _) => (Delivered, false, false, false),
            (2, AwaitingPayment, _) | (2, Shipped, true) => (Cancelled, false, true, true),
            (2, Paid, _) => (Cancelled, true, true, true),
            (3, Paid, _) => (Refunded, true, true, false),
            (3, Shipped, false) | (3, Delivered, _) => (Refunded, true, false, false),
            _ => return Err("illegal_transition"),
        };
        if next == Delivered && o.cod {
            self.revenue += o.total;
        }
        if refund {
            self.revenue -= o.total;
        }
        if restock {
            for &(p, q) in &o.lines {
                self.on_hand[p] += i64::from(q);
                self.sold[p] -= i64::from(q);
            }
        }
        if let (true, Some(k)) = (release, o.coupon) {
            self.coupon_total[k] -= 1;
            self.coupon_by[k][o.customer] -= 1;
        }
        self.orders[i].status = next;
        Ok(())
    }
}

fn kind<T>(r: Result<T, ShopError>) -> Outcome {
    r.map(|_| ()).map_err(|e| e.kind())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn random_operations_match_the_model_and_keep_invariants(ops in proptest::collection::vec(op(), 1..80)) {
        let (shop, admin) = shop_with(config());
        let customers: Vec<CustomerId> = (0..3).map(|n| customer(&shop, n)).collect();
        let mut m = Model::new();
        for (step, op) in ops.iter().enumerate() {
            let now = step as Nanos * 100;
            let (got, want) = match *op {
                Op::Add { c, p, qty } => (kind(shop.add_to_cart(customers[c], ProductId(p as u32), qty, now)), m.add(c, p, qty)),
                Op::Remove { c, p } => (kind(shop.remove_from_cart(customers[c], ProductId(p as u32), now)), m.remove(c, p)),
                Op::Restock { p, qty } => {
                    m.on_hand[p] += i64::from(qty);
                    (kind(shop.restock(admin, ProductId(p as u32), qty, now)), Ok(()))
                }
                Op::Price { p, cents } => {
                    m.prices[p] = cents;
                    (kind(shop.set_price(admin, ProductId(p as u32), cents, now)), Ok(()))
                }
                Op::Admin { pick, action } if !m.orders.is_empty() => {
                    let i = pick % m.orders.len();
                    let id = OrderId(i as u64 + 1);
                    let got = match action {
                        0 => kind(shop.ship_order(admin, id, now)),
                        1 => kind(shop.deliver_order(admin, id, now)),
                        2 => kind(shop.cancel_order(admin, id, now)),
                        _ => kind(shop.refund_order(admin, id, now)),
                    };
                    (got, m.admin(i, action))
                }
                Op::Admin { .. } => (Ok(()), Ok(())),
                Op::Checkout { c, coupon, cod, roll, reuse_key } => {
                    let key = match (reuse_key, m.last_key[c]) {
                        (true, Some(k)) => k,
                        _ => {
                            m.next_key += 1;
                            m.next_key
                        }
                    };
                    m.last_key[c] = Some(key);
                    let method = if cod { PaymentMethodKind::CashOnDelivery } else { PaymentMethodKind::Card };
                    let req = CheckoutRequest { coupon: coupon.map(|k| CODES[k]), method, idempotency_key: key, payment_roll: roll };
                    let got = shop.checkout(customers[c], req, now);
                    let want = m.checkout(c, coupon, cod, roll, key, now);
                    if let (Ok(r), Ok(i)) = (&got, &want) {
                        prop_assert_eq!(r.order, OrderId(*i as u64 + 1));
                        prop_assert_eq!(r.pricing.total_cents, m.orders[*i].total);
                    }
                    (kind(got), want.map(|_| ()))
                }
            };
            prop_assert_eq!(got, want, "step {} {:?}", step, op);
            let report = crate::shop::invariants::check(&shop);
            prop_assert!(report.is_ok(), "step {} {:?}: {:#?}", step, op, report);
        }
        for (p, (id, rec)) in shop.stock_levels().into_iter().enumerate() {
            prop_assert_eq!((id, rec.on_hand, rec.sold, rec.reserved), (ProductId(p as u32), m.on_hand[p], m.sold[p], 0));
        }
        prop_assert_eq!(shop.counters().revenue_cents, m.revenue);
        for (i, o) in m.orders.iter().enumerate() {
            prop_assert_eq!(shop.order_status(OrderId(i as u64 + 1)).unwrap(), o.status);
        }
        let redemptions: Vec<u32> = CODES.iter().map(|code| shop.coupon_redemptions().iter().find(|(c, _)| c == code).map_or(0, |r| r.1)).collect();
        prop_assert_eq!(redemptions, m.coupon_total.to_vec());
        for (c, id) in customers.iter().enumerate() {
            let cart: Vec<(usize, u32)> = shop.cart(*id).iter().map(|l| (l.product.0 as usize, l.qty)).collect();
            prop_assert_eq!(&cart, &m.carts[c]);
        }
    }
}

//! What customers' checkouts do in the shop: the stock check, logging in
//! (registering a new visitor first and moving their cart into the shop),
//! the cart's validation, the checkout transaction with its gateway retries
//! under one idempotency key, and the text search.

use super::*;

impl ShopBusiness {
    pub(super) fn in_stock(&self, product: u32, qty: u32) -> Result<(), ErrorKind> {
        match self.shop.stock(ProductId(product)) {
            Ok(on_hand) if on_hand >= qty as i64 => Ok(()),
            Ok(_) => {
                self.seen_sold_out().insert(product);
                Err(ErrorKind::OutOfStock)
            }
            Err(e) => Err(kind(&e)),
        }
    }

    pub(super) fn login(&self, s: &mut ShopSession, now: u64) -> Result<(), ErrorKind> {
        if !s.logged_in {
            let email = match (s.pool_index(), s.new_email()) {
                (Some(i), _) => email_registered(i),
                (None, Some(n)) => email_new(n),
                (None, None) => {
                    let n = self.next_new.fetch_add(1, Relaxed);
                    let email = email_new(n);
                    let id = self.shop.register(&email, PASSWORD).map_err(|e| kind(&e))?;
                    s.set_customer(id);
                    // Each number is a registered account: fewer than 2³².
                    s.ident = n as u32;
                    s.ident_kind = Ident::New;
                    email
                }
            };
            let session = self
                .shop
                .login(&email, PASSWORD, now)
                .map_err(|e| kind(&e))?;
            s.checkout().token = Some(session.token);
            s.logged_in = true;
        }
        let Some(customer) = s.customer() else {
            return Err(ErrorKind::Unauthorized);
        };
        // A new visitor's cart moves into the shop once they have an account.
        for (product, qty) in std::mem::take(&mut s.checkout().guest_cart) {
            // A line the shop refuses (cart full) stays out; the checkout
            // goes on with what the cart holds.
            let _ = self
                .shop
                .add_to_cart(customer, ProductId(product), qty, now);
        }
        s.checkout().lines = self
            .shop
            .cart(customer)
            .iter()
            .map(|l| (l.product.0, l.qty))
            .collect();
        Ok(())
    }

    /// Checks the cart before paying; a `reload` of a checkout keeps the
    /// idempotency key it had.
    pub(super) fn validate(
        &self,
        s: &mut ShopSession,
        now: u64,
        reload: bool,
    ) -> Result<(), ErrorKind> {
        let customer = s.customer().ok_or(ErrorKind::Unauthorized)?;
        if s.lines().is_empty() {
            return Err(ErrorKind::EmptyCart);
        }
        for i in 0..s.lines().len() {
            let (sku, qty) = s.lines()[i];
            self.in_stock(sku, qty)?;
        }
        if let Some(code) = self.coupon_code(s).map(str::to_owned)
            && let Err(e) = self.shop.price_cart(customer, Some(&code), now)
        {
            // The customer learns the coupon does not apply and drops it.
            s.coupon = NO_COUPON;
            return Err(kind(&e));
        }
        let c = s.checkout();
        if !reload || c.key == 0 {
            c.key = self.next_key.fetch_add(1, Relaxed);
        }
        c.retries = 0;
        Ok(())
    }

    pub(super) fn checkout(&self, s: &mut ShopSession, cx: &mut Cx<'_>) -> EffectOutcome {
        let Some(customer) = s.customer() else {
            return EffectOutcome::Fail(ErrorKind::Unauthorized);
        };
        let code = self.coupon_code(s).map(str::to_owned);
        let method = self.mix.methods[s.method as usize].0;
        let req = CheckoutRequest {
            coupon: code.as_deref(),
            method,
            idempotency_key: s.checkout.as_ref().map_or(0, |c| c.key),
            payment_roll: cx.rng.random(),
        };
        match self.shop.checkout(customer, req, cx.now.as_nanos()) {
            Ok(receipt) => {
                if let (Some(desk), false) = (&self.desk, receipt.replayed) {
                    desk.placed(receipt.order);
                }
                s.bought = true;
                s.checkout().lines.clear();
                EffectOutcome::Continue
            }
            Err(e) => {
                let k = kind(&e);
                let c = s.checkout();
                if k == ErrorKind::GatewayTimeout && c.retries < self.mix.max_retries {
                    // Back through the gateway's station, same key.
                    c.retries += 1;
                    self.tally.payment_retries.fetch_add(1, Relaxed);
                    return EffectOutcome::Repeat(1);
                }
                if k == ErrorKind::OutOfStock {
                    self.seen_sold_out().extend(s.lines().iter().map(|l| l.0));
                }
                EffectOutcome::Fail(k)
            }
        }
    }

    pub(super) fn search(&self, cx: &mut Cx<'_>) -> Result<(), ErrorKind> {
        let b = cx.rng.random_range(0..1024);
        let text = search_text(b, cx.rng.random_range(0..THINGS.len()));
        let sort = match cx.rng.random_range(0..4u8) {
            0 => SortOrder::PriceAsc,
            1 => SortOrder::PriceDesc,
            _ => SortOrder::Popularity,
        };
        let q = SearchQuery {
            text: &text,
            category: None,
            min_price_cents: None,
            max_price_cents: None,
            in_stock_only: cx.rng.random::<f64>() < 0.3,
            sort,
            page: 0,
            page_size: PAGE_SIZE,
        };
        self.shop.search(&q).map(|_| ()).map_err(|e| kind(&e))
    }
}

//! Unit tests of the payment service: authorization and its idempotency
//! keys, the gateway fault, settlement with the ledger, and concurrent
//! retries of one key.

use super::*;

const C: CustomerId = CustomerId(3);

fn payments() -> Payments {
    let m = |kind, decline_rate, timeout_rate| PaymentMethodConfig {
        kind,
        decline_rate,
        timeout_rate,
        max_amount_cents: Some(10_000),
    };
    Payments::new(
        &[
            m(PaymentMethodKind::Card, 0.2, 0.1),
            m(PaymentMethodKind::CashOnDelivery, 0.5, 0.0),
        ],
        4,
    )
}

#[test]
fn a_degraded_gateway_declines_the_top_of_the_draw_until_it_recovers() {
    let p = payments();
    // Card: timeout below 0.1, decline below 0.3, approved above.
    assert!(
        p.authorize(C, 1, PaymentMethodKind::Card, 100, 0.75, 0)
            .is_ok()
    );
    p.set_extra_declines(0.4);
    let declined = p
        .authorize(C, 2, PaymentMethodKind::Card, 100, 0.75, 0)
        .unwrap_err();
    assert_eq!(declined.kind(), "payment_declined");
    assert!(
        p.authorize(C, 3, PaymentMethodKind::Card, 100, 0.5, 0)
            .is_ok(),
        "below 1 - 0.4 still approved"
    );
    p.set_extra_declines(0.0);
    assert!(
        p.authorize(C, 4, PaymentMethodKind::Card, 100, 0.75, 0)
            .is_ok()
    );
    assert_eq!(p.counters().declines, 1);
}

#[test]
fn authorize_capture_refund_with_ledger() {
    let p = payments();
    let a = p
        .authorize(C, 1, PaymentMethodKind::Card, 2_500, 0.9, 0)
        .unwrap();
    assert!(!a.replayed);
    p.link(a.payment, OrderId(7));
    assert_eq!(p.capture(a.payment, 1).unwrap(), 2_500);
    assert_eq!(
        p.capture(a.payment, 2).unwrap_err().kind(),
        "illegal_transition"
    );
    assert_eq!(p.refund(a.payment, 3).unwrap(), 2_500);
    assert_eq!(
        p.refund(a.payment, 4).unwrap_err().kind(),
        "illegal_transition"
    );
    let pay = p.get(a.payment).unwrap();
    assert_eq!(
        (
            pay.status,
            pay.captures,
            pay.captured_cents,
            pay.refunded_cents
        ),
        (PaymentStatus::Refunded, 1, 2_500, 2_500)
    );
    let ledger = p.ledger();
    assert_eq!(ledger.len(), 4);
    assert!(ledger.iter().all(|e| e.order == Some(OrderId(7))));
    let c = p.counters();
    assert_eq!(
        (c.captured_cents, c.refunded_cents, c.authorizations),
        (2_500, 2_500, 1)
    );
}

#[test]
fn same_key_replays_first_result() {
    let p = payments();
    let a = p
        .authorize(C, 5, PaymentMethodKind::Card, 100, 0.9, 0)
        .unwrap();
    let b = p
        .authorize(C, 5, PaymentMethodKind::Card, 100, 0.0, 0)
        .unwrap();
    assert_eq!(
        b,
        Authorization {
            payment: a.payment,
            replayed: true
        }
    );
    let err = p
        .authorize(C, 5, PaymentMethodKind::Card, 101, 0.9, 0)
        .unwrap_err();
    assert_eq!(
        err,
        PaymentError::IdempotencyConflict {
            key: 5,
            first_cents: 100,
            amount_cents: 101
        }
    );
    assert_eq!(err.kind(), "idempotency_conflict");
    // Keys are per customer.
    assert!(
        !p.authorize(CustomerId(4), 5, PaymentMethodKind::Card, 101, 0.9, 0)
            .unwrap()
            .replayed
    );
    assert_eq!(p.counters().idempotent_replays, 1);
    assert_eq!(p.all().len(), 2);
}

#[test]
fn decline_is_replayed_timeout_is_not() {
    let p = payments();
    // Card: roll < 0.1 times out, < 0.3 declines.
    let err = p
        .authorize(C, 1, PaymentMethodKind::Card, 100, 0.15, 0)
        .unwrap_err();
    assert_eq!(err.kind(), "payment_declined");
    let again = p
        .authorize(C, 1, PaymentMethodKind::Card, 100, 0.99, 0)
        .unwrap_err();
    assert!(matches!(
        again,
        PaymentError::Declined { replayed: true, .. }
    ));
    assert_eq!(
        p.check_key(C, 1, 100).unwrap_err().kind(),
        "payment_declined"
    );
    assert_eq!(
        p.check_key(C, 1, 99).unwrap_err().kind(),
        "idempotency_conflict"
    );
    let err = p
        .authorize(C, 2, PaymentMethodKind::Card, 100, 0.05, 0)
        .unwrap_err();
    assert_eq!(err.kind(), "gateway_timeout");
    assert!(err.to_string().contains("nothing was charged"));
    assert!(
        p.check_key(C, 2, 100).is_ok(),
        "a timeout leaves the key free"
    );
    assert!(
        !p.authorize(C, 2, PaymentMethodKind::Card, 100, 0.5, 0)
            .unwrap()
            .replayed
    );
    let c = p.counters();
    assert_eq!(
        (c.declines, c.gateway_timeouts, c.idempotent_replays),
        (1, 1, 2)
    );
}

#[test]
fn method_limits_and_errors() {
    let p = payments();
    let err = p
        .authorize(C, 1, PaymentMethodKind::Card, 10_001, 0.9, 0)
        .unwrap_err();
    assert!(matches!(
        err,
        PaymentError::Declined {
            reason: DeclineReason::OverLimit,
            ..
        }
    ));
    assert_eq!(
        p.authorize(C, 2, PaymentMethodKind::Wallet, 1, 0.9, 0)
            .unwrap_err()
            .kind(),
        "invalid_input"
    );
    assert_eq!(
        p.authorize(C, 3, PaymentMethodKind::Card, -1, 0.9, 0)
            .unwrap_err()
            .kind(),
        "invalid_input"
    );
    assert!(!p.captures_at_checkout(PaymentMethodKind::CashOnDelivery));
    let a = p
        .authorize(C, 4, PaymentMethodKind::CashOnDelivery, 50, 0.7, 0)
        .unwrap();
    p.void(a.payment).unwrap();
    assert_eq!(p.void(a.payment).unwrap_err().kind(), "illegal_transition");
    assert_eq!(p.capture(PaymentId(99), 0).unwrap_err().kind(), "not_found");
}

#[test]
fn completed_keys_replay_the_order() {
    let p = payments();
    let a = p
        .authorize(C, 9, PaymentMethodKind::Card, 100, 0.9, 0)
        .unwrap();
    assert_eq!(p.replay(C, 9), None);
    p.complete_key(C, 9, a.payment, OrderId(3));
    assert_eq!(p.replay(C, 9), Some((a.payment, OrderId(3))));
    assert_eq!(
        p.keys(),
        vec![((C, 9), KeyState::Completed(a.payment, OrderId(3)))]
    );
    p.forget_key(C, 9);
    assert!(p.keys().is_empty());
}

#[test]
fn concurrent_retries_of_one_key_authorize_once() {
    let p = std::sync::Arc::new(payments());
    let results: Vec<Authorization> = (0..8)
        .map(|_| {
            let p = std::sync::Arc::clone(&p);
            std::thread::spawn(move || {
                p.authorize(C, 77, PaymentMethodKind::Card, 500, 0.9, 0)
                    .unwrap()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    assert_eq!(results.iter().filter(|a| !a.replayed).count(), 1);
    assert!(results.windows(2).all(|w| w[0].payment == w[1].payment));
}

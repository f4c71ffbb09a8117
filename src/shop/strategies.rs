//! Payment methods as strategies, each with its own decline behaviour.
//!
//! Guarantees: a strategy's verdict is a pure function of the amount and the
//! caller's uniform draw `roll` in `[0, 1)` (the simulation's seeded RNG), so
//! the same seed gives the same declines. The draw is partitioned: methods
//! that can time out do so when `roll < timeout_rate`, then decline when
//! `roll < timeout_rate + decline_rate`; amount limits decline regardless of
//! the draw.
//!
//! | method | times out | declines |
//! |---|---|---|
//! | card | yes | issuer refusal at `decline_rate`; amounts over the card limit |
//! | wallet | never (in-house) | insufficient balance at `decline_rate`; amounts over the wallet cap |
//! | bank transfer | yes | bank refusal at `decline_rate`; amounts over the transfer limit |
//! | cash on delivery | never | courier refusal at `decline_rate`; amounts over the cash limit; captured on delivery |

use std::fmt;

use super::ids::Cents;

/// The payment methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PaymentMethodKind {
    /// Credit or debit card, via a gateway.
    Card,
    /// The shop's own wallet.
    Wallet,
    /// Bank transfer, via the bank's gateway.
    BankTransfer,
    /// Cash on delivery: accepted at checkout, captured by the courier.
    CashOnDelivery,
}

impl PaymentMethodKind {
    /// Every method, in a fixed order.
    pub const ALL: [Self; 4] = [
        Self::Card,
        Self::Wallet,
        Self::BankTransfer,
        Self::CashOnDelivery,
    ];

    /// Stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Card => "card",
            Self::Wallet => "wallet",
            Self::BankTransfer => "bank_transfer",
            Self::CashOnDelivery => "cash_on_delivery",
        }
    }

    /// Position in [`PaymentMethodKind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Why a payment was declined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeclineReason {
    /// The card issuer refused.
    Issuer,
    /// The amount is over the method's limit.
    OverLimit,
    /// The wallet balance is too low.
    InsufficientFunds,
    /// The bank refused the transfer.
    BankRejected,
    /// The courier will not collect cash for this order.
    CourierRefused,
    /// A degraded gateway refused it (a payment-decline fault).
    GatewayDegraded,
}

impl fmt::Display for DeclineReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Issuer => "refused by the card issuer",
            Self::OverLimit => "amount is over the method's limit",
            Self::InsufficientFunds => "insufficient wallet balance",
            Self::BankRejected => "refused by the bank",
            Self::CourierRefused => "cash on delivery is not available for this order",
            Self::GatewayDegraded => "refused by a degraded payment gateway",
        })
    }
}

/// A gateway's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GatewayDecision {
    /// Authorized.
    Approved,
    /// Refused.
    Declined(DeclineReason),
    /// No answer in time: nothing happened, the caller may retry.
    Timeout,
}

/// A payment method's behaviour.
pub trait PaymentStrategy: Send + Sync + fmt::Debug {
    /// Which method this is.
    fn kind(&self) -> PaymentMethodKind;
    /// The gateway's verdict on `amount` for the uniform draw `roll`.
    fn decide(&self, amount: Cents, roll: f64) -> GatewayDecision;
    /// Whether the money is taken at checkout (false: on delivery).
    fn captures_at_checkout(&self) -> bool {
        true
    }
}

/// A method's configuration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PaymentMethodConfig {
    /// Which method.
    pub kind: PaymentMethodKind,
    /// Probability of a refusal, `0..=1`.
    pub decline_rate: f64,
    /// Probability of a gateway timeout, `0..=1` (must be 0 for methods that
    /// never time out).
    pub timeout_rate: f64,
    /// Largest amount accepted (`None`: no limit).
    pub max_amount_cents: Option<Cents>,
}

impl PaymentMethodConfig {
    /// The strategy implementing this configuration.
    pub fn strategy(&self) -> Box<dyn PaymentStrategy> {
        let rates = Rates {
            decline: self.decline_rate,
            timeout: self.timeout_rate,
            limit: self.max_amount_cents,
        };
        match self.kind {
            PaymentMethodKind::Card => Box::new(Card(rates)),
            PaymentMethodKind::Wallet => Box::new(Wallet(rates)),
            PaymentMethodKind::BankTransfer => Box::new(BankTransfer(rates)),
            PaymentMethodKind::CashOnDelivery => Box::new(CashOnDelivery(rates)),
        }
    }

    /// Problems with this configuration, empty when valid.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let name = self.kind.as_str();
        for (what, rate) in [
            ("decline_rate", self.decline_rate),
            ("timeout_rate", self.timeout_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                problems.push(format!(
                    "payment method {name}: {what} {rate} is outside 0..=1"
                ));
            }
        }
        if self.decline_rate + self.timeout_rate > 1.0 {
            problems.push(format!(
                "payment method {name}: decline_rate + timeout_rate exceeds 1"
            ));
        }
        let never_times_out = matches!(
            self.kind,
            PaymentMethodKind::Wallet | PaymentMethodKind::CashOnDelivery
        );
        if never_times_out && self.timeout_rate != 0.0 {
            problems.push(format!(
                "payment method {name} never times out: set timeout_rate to 0"
            ));
        }
        if self.max_amount_cents.is_some_and(|m| m < 0) {
            problems.push(format!(
                "payment method {name}: max_amount_cents must not be negative"
            ));
        }
        problems
    }
}

#[derive(Clone, Copy, Debug)]
struct Rates {
    decline: f64,
    timeout: f64,
    limit: Option<Cents>,
}

impl Rates {
    fn over_limit(&self, amount: Cents) -> bool {
        self.limit.is_some_and(|l| amount > l)
    }

    /// The shared partition of the draw: timeout, then decline, then approve.
    fn decide(
        &self,
        amount: Cents,
        roll: f64,
        times_out: bool,
        reason: DeclineReason,
    ) -> GatewayDecision {
        let timeout = if times_out { self.timeout } else { 0.0 };
        if roll < timeout {
            GatewayDecision::Timeout
        } else if self.over_limit(amount) {
            GatewayDecision::Declined(DeclineReason::OverLimit)
        } else if roll < timeout + self.decline {
            GatewayDecision::Declined(reason)
        } else {
            GatewayDecision::Approved
        }
    }
}

#[derive(Debug)]
struct Card(Rates);

impl PaymentStrategy for Card {
    fn kind(&self) -> PaymentMethodKind {
        PaymentMethodKind::Card
    }
    fn decide(&self, amount: Cents, roll: f64) -> GatewayDecision {
        self.0.decide(amount, roll, true, DeclineReason::Issuer)
    }
}

#[derive(Debug)]
struct Wallet(Rates);

impl PaymentStrategy for Wallet {
    fn kind(&self) -> PaymentMethodKind {
        PaymentMethodKind::Wallet
    }
    fn decide(&self, amount: Cents, roll: f64) -> GatewayDecision {
        // A wallet over its cap simply lacks the balance.
        match self
            .0
            .decide(amount, roll, false, DeclineReason::InsufficientFunds)
        {
            GatewayDecision::Declined(_) => {
                GatewayDecision::Declined(DeclineReason::InsufficientFunds)
            }
            other => other,
        }
    }
}

#[derive(Debug)]
struct BankTransfer(Rates);

impl PaymentStrategy for BankTransfer {
    fn kind(&self) -> PaymentMethodKind {
        PaymentMethodKind::BankTransfer
    }
    fn decide(&self, amount: Cents, roll: f64) -> GatewayDecision {
        self.0
            .decide(amount, roll, true, DeclineReason::BankRejected)
    }
}

#[derive(Debug)]
struct CashOnDelivery(Rates);

impl PaymentStrategy for CashOnDelivery {
    fn kind(&self) -> PaymentMethodKind {
        PaymentMethodKind::CashOnDelivery
    }
    fn decide(&self, amount: Cents, roll: f64) -> GatewayDecision {
        // Couriers carry limited cash: over the limit is a courier refusal.
        match self
            .0
            .decide(amount, roll, false, DeclineReason::CourierRefused)
        {
            GatewayDecision::Declined(_) => {
                GatewayDecision::Declined(DeclineReason::CourierRefused)
            }
            other => other,
        }
    }
    fn captures_at_checkout(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use GatewayDecision::*;

    fn cfg(kind: PaymentMethodKind, decline_rate: f64, timeout_rate: f64) -> PaymentMethodConfig {
        PaymentMethodConfig {
            kind,
            decline_rate,
            timeout_rate,
            max_amount_cents: Some(1_000),
        }
    }

    #[test]
    fn card_partitions_the_draw() {
        let card = cfg(PaymentMethodKind::Card, 0.2, 0.1).strategy();
        assert_eq!(card.kind(), PaymentMethodKind::Card);
        assert_eq!(card.decide(10, 0.05), Timeout);
        assert_eq!(card.decide(10, 0.25), Declined(DeclineReason::Issuer));
        assert_eq!(card.decide(10, 0.31), Approved);
        assert_eq!(card.decide(1_001, 0.9), Declined(DeclineReason::OverLimit));
        assert!(card.captures_at_checkout());
    }

    #[test]
    fn each_method_declines_its_own_way() {
        let wallet = cfg(PaymentMethodKind::Wallet, 0.5, 0.0).strategy();
        assert_eq!(
            wallet.decide(10, 0.0),
            Declined(DeclineReason::InsufficientFunds)
        );
        assert_eq!(
            wallet.decide(5_000, 0.9),
            Declined(DeclineReason::InsufficientFunds)
        );
        let bank = cfg(PaymentMethodKind::BankTransfer, 0.5, 0.25).strategy();
        assert_eq!(bank.decide(10, 0.1), Timeout);
        assert_eq!(bank.decide(10, 0.5), Declined(DeclineReason::BankRejected));
        let cod = cfg(PaymentMethodKind::CashOnDelivery, 0.1, 0.0).strategy();
        assert_eq!(
            cod.decide(10, 0.05),
            Declined(DeclineReason::CourierRefused)
        );
        assert_eq!(
            cod.decide(2_000, 0.5),
            Declined(DeclineReason::CourierRefused)
        );
        assert_eq!(cod.decide(10, 0.5), Approved);
        assert!(!cod.captures_at_checkout());
    }

    #[test]
    fn config_problems_are_listed() {
        assert!(cfg(PaymentMethodKind::Card, 0.2, 0.1).problems().is_empty());
        let p = PaymentMethodConfig {
            max_amount_cents: Some(-1),
            ..cfg(PaymentMethodKind::Wallet, 1.5, 0.1)
        }
        .problems();
        assert_eq!(p.len(), 4, "{p:?}");
        assert!(p.iter().all(|m| m.starts_with("payment method wallet")));
    }
}

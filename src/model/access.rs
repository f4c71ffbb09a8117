//! The access log (`ecsim run --access-log FILE`): every request a run
//! makes, the warmup and the admins' included, as one line of the Combined
//! Log Format with nginx's `$request_time` and `$msec` appended:
//!
//! ```text
//! 10.0.0.7 - 42 [27/Nov/2026:00:00:03 +0000] "GET /product/118 HTTP/1.1" 200 - "-" "ecsim/0.1.0" 0.004 1795737603.218
//! ```
//!
//! The model builds one [`Access`] when a request ends (the same place it
//! records the latency, so both clocks could share it); the clock hands it
//! to an [`AccessLog`], which formats it by hand into a reused line buffer
//! (no allocation per line) and streams it through a `BufWriter`. Lines come
//! in the order requests *end*, as a web server writes them.
//!
//! - remote host: `10.a.b.c` for session `n` (`n + 1 < 2²⁴` in base 256),
//!   `fd00::…` (`n + 1` in hex groups) beyond; `127.0.0.1` for the admins.
//! - user: the customer's id once logged in, `admin` for the admins, else `-`.
//! - time: the request's start, from `--log-start` plus virtual time.
//! - request and status: [`request`] and [`status`] (docs/calibrate.md has
//!   both tables).
//! - the last two fields: the response time in seconds and the start as
//!   epoch seconds, both with milliseconds.

use std::io::{self, Write};

use super::agent::{Agent, Who};
use super::{Business, Model};
use crate::contract::ErrorKind;
use crate::contract::action::{Action, Op};
use crate::kernel::time::SimTime;
use crate::scenario::model::Scenario;

/// One finished request, as the access log writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    /// The session's number (in start order), `None` for an admin.
    pub session: Option<u64>,
    /// The customer, once logged in.
    pub customer: Option<u64>,
    /// The operation.
    pub op: Op,
    /// What it was about (a product, a category page; see [`request`]).
    pub subject: u32,
    /// When it started.
    pub start: SimTime,
    /// When it ended.
    pub end: SimTime,
    /// Why it failed, if it did.
    pub error: Option<ErrorKind>,
}

/// What the path of a request names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    /// Nothing: the path is fixed.
    None,
    /// A product id, appended to the path.
    Product,
    /// A category id, appended to the path.
    Category,
}

/// The method, path and subject of a built-in operation (docs/calibrate.md).
/// A custom operation `NAME` is `GET /ops/NAME`.
pub const fn request(action: Action) -> (&'static str, &'static str, Subject) {
    match action {
        Action::Home => ("GET", "/", Subject::None),
        Action::Browse => ("GET", "/category/", Subject::Category),
        Action::Search => ("GET", "/search", Subject::None),
        Action::ViewProduct => ("GET", "/product/", Subject::Product),
        Action::AddToCart => ("POST", "/cart/items/", Subject::Product),
        Action::ViewCart => ("GET", "/cart", Subject::None),
        Action::Checkout => ("POST", "/checkout", Subject::None),
        Action::OrderStatus => ("GET", "/orders/latest", Subject::None),
        Action::Restock => ("POST", "/admin/restock/", Subject::Product),
        Action::PriceChange => ("POST", "/admin/price/", Subject::Product),
        Action::CreateCoupon => ("POST", "/admin/coupons", Subject::None),
        Action::ShipOrder => ("POST", "/admin/orders/ship", Subject::None),
        Action::DeliverOrder => ("POST", "/admin/orders/deliver", Subject::None),
        Action::CancelOrder => ("POST", "/admin/orders/cancel", Subject::None),
        Action::RefundOrder => ("POST", "/admin/orders/refund", Subject::None),
    }
}

/// The HTTP status of an outcome (docs/calibrate.md).
pub const fn status(error: Option<ErrorKind>) -> u16 {
    use ErrorKind::*;
    match error {
        None => 200,
        Some(e) => match e {
            InvalidInput => 400,
            BadCredentials | Unauthorized => 401,
            PaymentDeclined => 402,
            NotFound | OutOfStock => 404,
            CheckoutInProgress | EmailTaken | IdempotencyConflict | IllegalTransition => 409,
            CouponExhausted | CouponInvalid | CouponLimit | EmptyCart => 422,
            Abandoned => 499,
            Failed => 500,
            Rejected | Unavailable | Shed | CircuitOpen => 503,
            Timeout | GatewayTimeout => 504,
        },
    }
}

/// The default `--log-start`: 2026-11-27T00:00:00Z, in epoch milliseconds.
pub const DEFAULT_START_MS: i64 = 1_795_737_600_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
pub const fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day since 1970-01-01: `(year, month 1..=12, day 1..=31)`.
pub const fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// Epoch milliseconds of an RFC 3339 time, `2026-11-27T00:00:00Z`: a
/// date, `T` (or a space), a time with optional fraction, then `Z` or an
/// offset `±HH:MM`.
pub fn parse_rfc3339(text: &str) -> Result<i64, String> {
    let bad = || format!("{text:?} is not an RFC 3339 time such as 2026-11-27T00:00:00Z");
    let b = text.trim().as_bytes();
    let num = |r: std::ops::Range<usize>| -> Result<i64, String> {
        let s = b.get(r).ok_or_else(bad)?;
        if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
        Ok(s.iter().fold(0i64, |n, d| n * 10 + (d - b'0') as i64))
    };
    let sep = |i: usize, c: &[u8]| b.get(i).is_some_and(|x| c.contains(x));
    if b.len() < 20
        || !sep(4, b"-")
        || !sep(7, b"-")
        || !sep(10, b"Tt ")
        || !sep(13, b":")
        || !sep(16, b":")
    {
        return Err(bad());
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return Err(bad());
    }
    let mut i = 19;
    let mut ms = 0;
    if sep(i, b".") {
        let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return Err(bad());
        }
        let frac = num(i + 1..i + 1 + digits.min(3))?;
        ms = frac * [100, 10, 1][digits.min(3) - 1];
        i += 1 + digits;
    }
    let offset_min = match b.get(i..) {
        Some(b"Z" | b"z") => 0,
        Some([sign @ (b'+' | b'-'), _, _, b':', _, _]) => {
            let m = num(i + 1..i + 3)? * 60 + num(i + 4..i + 6)?;
            if *sign == b'-' { -m } else { m }
        }
        _ => return Err(bad()),
    };
    let days = days_from_civil(y, mo as u32, d as u32);
    Ok(((days * 86_400 + h * 3600 + mi * 60 + s) - offset_min * 60) * 1000 + ms)
}

/// Month abbreviations of the CLF timestamp.
pub const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Streams [`Access`] records as log lines (see the module docs).
pub struct AccessLog {
    out: io::BufWriter<Box<dyn Write + Send>>,
    line: Vec<u8>,
    /// Per operation: method, path, subject.
    paths: Vec<(&'static str, String, Subject)>,
    products: u32,
    start_ms: i64,
    /// The last second formatted, and its `[dd/Mon/yyyy:HH:MM:SS +0000]`.
    second: (i64, [u8; 28]),
    error: Option<io::Error>,
    lines: u64,
}

impl AccessLog {
    /// A log of the runs of `sc` into `out`, virtual time 0 being
    /// `start_ms` (epoch milliseconds).
    pub fn new(out: Box<dyn Write + Send>, sc: &Scenario, start_ms: i64) -> Self {
        let paths = (0..sc.op_count())
            .map(|i| match Op(i as u16).action() {
                Some(a) => {
                    let (m, p, s) = request(a);
                    (m, p.to_owned(), s)
                }
                None => (
                    "GET",
                    format!("/ops/{}", sc.op_name(Op(i as u16))),
                    Subject::None,
                ),
            })
            .collect();
        AccessLog {
            out: io::BufWriter::with_capacity(1 << 16, out),
            line: Vec::with_capacity(256),
            paths,
            products: sc.catalog.products,
            start_ms,
            second: (i64::MIN, [b' '; 28]),
            error: None,
            lines: 0,
        }
    }

    /// Writes one line. The first I/O error stops the log; [`finish`]
    /// returns it.
    ///
    /// [`finish`]: AccessLog::finish
    pub fn write(&mut self, a: &Access) {
        if self.error.is_some() {
            return;
        }
        self.format(a);
        if let Err(e) = self.out.write_all(&self.line) {
            self.error = Some(e);
        }
        self.lines += 1;
    }

    /// Flushes the log: the lines written, or the first I/O error.
    pub fn finish(mut self) -> io::Result<u64> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()?;
        Ok(self.lines)
    }

    /// Formats `a` into `self.line`.
    fn format(&mut self, a: &Access) {
        let start_ms = self.start_ms + (a.start.as_nanos() / 1_000_000) as i64;
        let took_ms = (a.end.as_nanos().saturating_sub(a.start.as_nanos()) + 500_000) / 1_000_000;
        let sec = start_ms.div_euclid(1000);
        if self.second.0 != sec {
            self.second = (sec, clf_time(sec));
        }
        let l = &mut self.line;
        l.clear();
        match a.session {
            Some(n) => host(l, n),
            None => l.extend_from_slice(b"127.0.0.1"),
        }
        l.extend_from_slice(b" - ");
        match (a.session, a.customer) {
            (None, _) => l.extend_from_slice(b"admin"),
            (_, Some(c)) => uint(l, c),
            (_, None) => l.push(b'-'),
        }
        l.push(b' ');
        l.extend_from_slice(&self.second.1);
        l.extend_from_slice(b" \"");
        let (method, path, subject) = &self.paths[a.op.index()];
        l.extend_from_slice(method.as_bytes());
        l.push(b' ');
        l.extend_from_slice(path.as_bytes());
        match subject {
            Subject::None => {}
            Subject::Product => uint(l, a.subject as u64),
            Subject::Category => uint(l, a.subject.saturating_sub(self.products) as u64),
        }
        l.extend_from_slice(b" HTTP/1.1\" ");
        uint(l, status(a.error) as u64);
        l.extend_from_slice(b" - \"-\" \"ecsim/");
        l.extend_from_slice(env!("CARGO_PKG_VERSION").as_bytes());
        l.extend_from_slice(b"\" ");
        millis(l, took_ms as i64);
        l.push(b' ');
        millis(l, start_ms);
        l.push(b'\n');
    }
}

/// `[dd/Mon/yyyy:HH:MM:SS +0000]` of epoch second `sec`.
fn clf_time(sec: i64) -> [u8; 28] {
    let (y, m, d) = civil_from_days(sec.div_euclid(86_400));
    let s = sec.rem_euclid(86_400);
    let text = format!(
        "[{d:02}/{}/{y:04}:{:02}:{:02}:{:02} +0000]",
        MONTHS[(m - 1) as usize],
        s / 3600,
        s / 60 % 60,
        s % 60
    );
    let mut out = [b' '; 28];
    let n = text.len().min(28);
    out[..n].copy_from_slice(&text.as_bytes()[..n]);
    out
}

/// The synthetic address of session `n` (module docs).
fn host(l: &mut Vec<u8>, n: u64) {
    // Numbered from 1, so that no session is a network's .0 address.
    let n = n.saturating_add(1);
    if n < 1 << 24 {
        l.extend_from_slice(b"10");
        for shift in [16, 8, 0] {
            l.push(b'.');
            uint(l, (n >> shift) & 255);
        }
        return;
    }
    l.extend_from_slice(b"fd00:");
    for shift in [48, 32, 16, 0] {
        let g = (n >> shift) & 0xffff;
        if g == 0 && n >> shift >> 16 == 0 {
            continue;
        }
        l.push(b':');
        for k in (0..4).rev() {
            let nib = (g >> (4 * k)) & 15;
            if nib != 0 || g >> (4 * k) >> 4 != 0 || k == 0 {
                l.push(b"0123456789abcdef"[nib as usize]);
            }
        }
    }
}

/// Appends `v` in decimal.
fn uint(l: &mut Vec<u8>, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    l.extend_from_slice(&digits[i..]);
}

/// Appends milliseconds `ms` as seconds with three decimals.
fn millis(l: &mut Vec<u8>, ms: i64) {
    if ms < 0 {
        l.push(b'-');
    }
    let ms = ms.unsigned_abs();
    uint(l, ms / 1000);
    l.push(b'.');
    let r = ms % 1000;
    l.extend_from_slice(&[
        b'0' + (r / 100) as u8,
        b'0' + (r / 10 % 10) as u8,
        b'0' + (r % 10) as u8,
    ]);
}

impl<B: Business> Model<B> {
    /// The access-log record of `a`'s request, ending now with `error`.
    pub(super) fn access(
        &self,
        a: &Agent<B::Session>,
        end: SimTime,
        error: Option<ErrorKind>,
    ) -> Access {
        Access {
            session: (a.who() != Who::Admin).then_some(a.serial),
            customer: self.business.customer(&a.session),
            op: a.req.action,
            subject: a.req.subject,
            start: a.req.start,
            end,
            error,
        }
    }
}

#[cfg(test)]
mod tests;

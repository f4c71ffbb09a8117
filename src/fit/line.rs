//! Reading one access-log line: the Combined Log Format (or the Common
//! one, without referer and user agent), optionally followed by nginx's
//! `$request_time` and `$msec`, as `ecsim run --access-log` writes it:
//!
//! ```text
//! host ident user [27/Nov/2026:00:00:03 +0000] "GET /p HTTP/1.1" 200 512 "referer" "agent" 0.005 1795737603.218
//! ```
//!
//! Parsing borrows from the line (no allocation). Quoted fields end at the
//! first `"` not escaped by a backslash (`\"`, `\\`; nginx writes `\x22`,
//! which needs nothing). A line's time is `$msec` when the two extra
//! fields are there, else the CLF timestamp (one-second resolution).

use crate::model::access::{MONTHS, days_from_civil};

/// The fields of one request that `fit` uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request<'a> {
    /// The remote host.
    pub host: &'a [u8],
    /// The user field (`-` when none).
    pub user: &'a [u8],
    /// The method, e.g. `GET`.
    pub method: &'a [u8],
    /// The path, query string included.
    pub path: &'a [u8],
    /// The user agent (empty when the line has none).
    pub agent: &'a [u8],
    /// The request's start, epoch milliseconds.
    pub start_ms: i64,
    /// The response time in milliseconds, when the line has it.
    pub took_ms: Option<i64>,
}

/// Why a line was rejected: the 1-based column and what was expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bad {
    /// Column (bytes, from 1).
    pub col: usize,
    /// What was expected there.
    pub what: &'static str,
}

/// The last CLF timestamp parsed and its epoch second: consecutive lines
/// mostly share their second, so most lines skip the date arithmetic.
#[derive(Clone, Debug, Default)]
pub struct ClfClock {
    text: [u8; 26],
    sec: i64,
}

/// A cursor over a line's bytes.
struct Cur<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cur<'a> {
    fn bad(&self, what: &'static str) -> Bad {
        Bad {
            col: self.i + 1,
            what,
        }
    }

    /// The bytes up to the next space (at least one), and past the spaces.
    fn token(&mut self, what: &'static str) -> Result<&'a [u8], Bad> {
        let start = self.i;
        while self.i < self.b.len() && self.b[self.i] != b' ' {
            self.i += 1;
        }
        if self.i == start {
            return Err(self.bad(what));
        }
        let t = &self.b[start..self.i];
        self.spaces();
        Ok(t)
    }

    fn spaces(&mut self) {
        while self.i < self.b.len() && self.b[self.i] == b' ' {
            self.i += 1;
        }
    }

    /// A `"…"` field's inside, escapes left as they are.
    fn quoted(&mut self, what: &'static str) -> Result<&'a [u8], Bad> {
        if self.b.get(self.i) != Some(&b'"') {
            return Err(self.bad(what));
        }
        let start = self.i + 1;
        let mut j = start;
        while j < self.b.len() {
            match self.b[j] {
                b'\\' => j += 2,
                b'"' => {
                    self.i = j + 1;
                    let inside = &self.b[start..j];
                    self.spaces();
                    return Ok(inside);
                }
                _ => j += 1,
            }
        }
        Err(self.bad("a closing quote"))
    }

    fn at_end(&self) -> bool {
        self.i >= self.b.len()
    }
}

/// Parses one line (without its newline) of the combined format.
pub fn combined<'a>(line: &'a [u8], clock: &mut ClfClock) -> Result<Request<'a>, Bad> {
    let mut c = Cur { b: line, i: 0 };
    let host = c.token("a remote host")?;
    c.token("an ident field")?;
    let user = c.token("a user field")?;
    if line.get(c.i) != Some(&b'[') {
        return Err(c.bad("a timestamp such as [27/Nov/2026:00:00:03 +0000]"));
    }
    let ts = line
        .get(c.i + 1..c.i + 27)
        .filter(|t| line.get(c.i + 27) == Some(&b']') && t.len() == 26)
        .ok_or(c.bad("a timestamp such as [27/Nov/2026:00:00:03 +0000]"))?;
    let sec = clock.second(ts).ok_or(Bad {
        col: c.i + 2,
        what: "a timestamp such as [27/Nov/2026:00:00:03 +0000]",
    })?;
    c.i += 28;
    c.spaces();
    let req_col = c.i + 2;
    let request = c.quoted("a quoted request such as \"GET /path HTTP/1.1\"")?;
    let mut parts = request.split(|&b| b == b' ').filter(|p| !p.is_empty());
    let (Some(method), Some(path)) = (parts.next(), parts.next()) else {
        return Err(Bad {
            col: req_col,
            what: "a request such as \"GET /path HTTP/1.1\"",
        });
    };
    let status_col = c.i + 1;
    let status = c.token("a status")?;
    if status.len() != 3 || !status.iter().all(u8::is_ascii_digit) {
        return Err(Bad {
            col: status_col,
            what: "a three-digit status",
        });
    }
    if !c.at_end() {
        c.token("a size")?;
    }
    let mut agent: &[u8] = b"";
    if !c.at_end() {
        c.quoted("a quoted referer")?;
        agent = c.quoted("a quoted user agent")?;
    }
    let mut start_ms = sec * 1000;
    let mut took_ms = None;
    if !c.at_end() {
        let col = c.i + 1;
        let took = c.token("$request_time")?;
        let msec = if c.at_end() {
            None
        } else {
            Some(c.token("$msec")?)
        };
        let (Some(t), Some(m)) = (millis(took), msec.and_then(millis)) else {
            return Err(Bad {
                col,
                what: "$request_time and $msec, seconds such as 0.005 1795737603.218",
            });
        };
        took_ms = Some(t);
        start_ms = m;
    }
    Ok(Request {
        host,
        user,
        method,
        path,
        agent,
        start_ms,
        took_ms,
    })
}

/// Seconds with up to three decimals (more are cut), as milliseconds.
pub fn millis(t: &[u8]) -> Option<i64> {
    let (whole, frac) = match t.iter().position(|&b| b == b'.') {
        Some(p) => (&t[..p], &t[p + 1..]),
        None => (t, &t[t.len()..]),
    };
    if whole.is_empty() || whole.len() > 12 || !whole.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let w = whole.iter().fold(0i64, |n, d| n * 10 + (d - b'0') as i64);
    let mut ms = 0;
    for k in 0..3 {
        ms = ms * 10 + frac.get(k).map_or(0, |d| (d - b'0') as i64);
    }
    Some(w * 1000 + ms)
}

impl ClfClock {
    /// The epoch second of `27/Nov/2026:00:00:03 +0000`.
    fn second(&mut self, t: &[u8]) -> Option<i64> {
        if t == self.text {
            return Some(self.sec);
        }
        let n = |r: std::ops::Range<usize>| -> Option<i64> {
            let s = t.get(r)?;
            s.iter()
                .all(u8::is_ascii_digit)
                .then(|| s.iter().fold(0i64, |n, d| n * 10 + (d - b'0') as i64))
        };
        let fixed = [
            (2, b'/'),
            (6, b'/'),
            (11, b':'),
            (14, b':'),
            (17, b':'),
            (20, b' '),
        ];
        if fixed.iter().any(|&(i, c)| t.get(i) != Some(&c)) {
            return None;
        }
        let month = MONTHS.iter().position(|m| m.as_bytes() == &t[3..6])? as u32 + 1;
        let (d, y) = (n(0..2)?, n(7..11)?);
        let (h, mi, s) = (n(12..14)?, n(15..17)?, n(18..20)?);
        let zone = n(22..24)? * 60 + n(24..26)?;
        let zone = match t[21] {
            b'+' => zone,
            b'-' => -zone,
            _ => return None,
        };
        if !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
            return None;
        }
        let sec = days_from_civil(y, month, d as u32) * 86_400 + h * 3600 + mi * 60 + s - zone * 60;
        self.text.copy_from_slice(t);
        self.sec = sec;
        Some(sec)
    }
}

#[cfg(test)]
mod tests;

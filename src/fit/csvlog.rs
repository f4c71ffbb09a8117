//! `fit --log-format csv`: a simple CSV log, one request a row, with a
//! header naming the columns (any order, other columns ignored):
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `time` | yes | the request's start: epoch seconds (decimals allowed) or RFC 3339 |
//! | `client` | yes | who made it (an address, a session cookie …) |
//! | `path` | yes | the path, query string allowed |
//! | `method` | no | `GET` when absent |
//! | `duration_s` | no | the response time in seconds |
//! | `user_agent` | no | part of the client's identity when present |

use std::io::BufRead;

use super::Handler;
use super::line::{Bad, Request, millis};
use crate::model::access::parse_rfc3339;

/// Reads a CSV log into `handle` (row numbers are file lines).
pub fn read(
    input: impl BufRead,
    handle: &mut Handler<'_>,
    progress: &mut dyn FnMut(u64),
) -> std::io::Result<()> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(input);
    let mut rec = csv::ByteRecord::new();
    let mut header: Option<[Option<usize>; 6]> = None;
    let mut rows = 0u64;
    loop {
        let line = r.position().line();
        let got = match r.read_byte_record(&mut rec) {
            Ok(got) => got,
            Err(e) => match e.kind() {
                csv::ErrorKind::Io(_) => return Err(std::io::Error::other(e.to_string())),
                _ => {
                    handle(
                        line,
                        Err(Bad {
                            col: 1,
                            what: "a well-formed CSV row",
                        }),
                    );
                    continue;
                }
            },
        };
        if !got {
            break;
        }
        let line = rec.position().map_or(line, |p| p.line());
        let Some(cols) = &header else {
            let find = |name: &str| {
                rec.iter()
                    .position(|f| f.eq_ignore_ascii_case(name.as_bytes()))
            };
            let cols = [
                "time",
                "client",
                "path",
                "method",
                "duration_s",
                "user_agent",
            ]
            .map(find);
            if cols[..3].iter().any(Option::is_none) {
                handle(
                    line,
                    Err(Bad {
                        col: 1,
                        what: "a header naming the columns time, client and path",
                    }),
                );
                return Ok(());
            }
            header = Some(cols);
            continue;
        };
        handle(line, row(&rec, cols));
        rows += 1;
        if rows.is_multiple_of(1 << 14) {
            progress(r.position().byte());
        }
    }
    progress(r.position().byte());
    Ok(())
}

/// One row's request.
fn row<'a>(rec: &'a csv::ByteRecord, cols: &[Option<usize>; 6]) -> Result<Request<'a>, Bad> {
    let field = |i: usize| cols[i].and_then(|c| rec.get(c));
    let bad = |i: usize, what| Bad {
        col: cols[i].unwrap_or(0) + 1,
        what,
    };
    let time = field(0).ok_or(bad(0, "a time"))?;
    let start_ms = match millis(time) {
        Some(ms) => ms,
        None => std::str::from_utf8(time)
            .ok()
            .and_then(|t| parse_rfc3339(t).ok())
            .ok_or(bad(0, "a time: epoch seconds or RFC 3339"))?,
    };
    let host = field(1)
        .filter(|h| !h.is_empty())
        .ok_or(bad(1, "a client"))?;
    let path = field(2)
        .filter(|p| p.starts_with(b"/"))
        .ok_or(bad(2, "a path starting with /"))?;
    let took_ms = match field(4).filter(|d| !d.is_empty()) {
        None => None,
        Some(d) => Some(millis(d).ok_or(bad(4, "a duration in seconds"))?),
    };
    Ok(Request {
        host,
        user: b"-",
        method: field(3).filter(|m| !m.is_empty()).unwrap_or(b"GET"),
        path,
        agent: field(5).unwrap_or(b""),
        start_ms,
        took_ms,
    })
}

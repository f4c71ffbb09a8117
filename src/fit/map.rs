//! `fit --map MAP.toml`: which requests are which action.
//!
//! ```toml
//! routes = [
//!   { match = "GET /", action = "home" },
//!   { match = "GET /product/*", action = "view_product" },
//!   { match = "/ops/recs", action = "recs" },
//! ]
//! ```
//!
//! A pattern is an optional method and a path; `*` matches one path
//! segment, a final `**` any rest (none included); the query string is
//! dropped before matching. Routes are tried in order and the first match
//! wins. An action is a customer action, an admin operation (fitted as an
//! `[admin]` rate) or a custom operation's name. Every problem is reported
//! as `file:line:col`.

use serde::Deserialize;
use toml::Spanned;

use crate::contract::action::{Action, LEAVE};
use crate::scenario::span::Sources;
use crate::scenario::{Problem, ScenarioError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MapFile {
    routes: Vec<RouteFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteFile {
    #[serde(rename = "match")]
    pattern: Spanned<String>,
    action: Spanned<String>,
}

/// What an action of the map is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A customer action or a custom operation: part of sessions.
    Session(String),
    /// An admin operation: a rate, not part of any session.
    Admin(Action),
}

/// One path segment of a pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    Lit(Vec<u8>),
    One,
    Rest,
}

/// A compiled map: patterns in order, each with the index of its target.
#[derive(Clone, Debug)]
pub struct Map {
    routes: Vec<(Option<Vec<u8>>, Vec<Seg>, usize)>,
    /// The distinct targets, customer actions first in report order, then
    /// custom operations by name, then admin operations.
    pub targets: Vec<Target>,
}

fn problem(src: &Sources<'_>, at: usize, message: String) -> Problem {
    Problem {
        location: src.location(at),
        message,
    }
}

/// Is `name` usable as a custom operation (docs/scenario.md)?
fn custom_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 32
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
        && !["leave", "all", "cache", "stations", "business"].contains(&name)
}

impl Map {
    /// Compiles the map in `text`, read from `file`.
    pub fn parse(file: &str, text: &str) -> Result<Map, ScenarioError> {
        let src = Sources::new(text);
        let fail = |problems| ScenarioError {
            file: file.to_owned(),
            problems,
        };
        let raw: MapFile = toml::from_str(text).map_err(|e| {
            let at = e.span().map_or(0, |s| s.start);
            fail(vec![problem(&src, at, e.message().to_owned())])
        })?;
        let mut problems = Vec::new();
        let mut parsed = Vec::new();
        for r in &raw.routes {
            let name = r.action.get_ref().as_str();
            let target = if let Some(a) = Action::from_name(name) {
                if a.is_admin() {
                    Target::Admin(a)
                } else {
                    Target::Session(name.to_owned())
                }
            } else if name != LEAVE && custom_name(name) {
                Target::Session(name.to_owned())
            } else {
                problems.push(problem(
                    &src,
                    r.action.span().start,
                    format!(
                        "{name:?} is not an action: use one of {}, or a custom operation's name (lower case letters, digits, _)",
                        Action::all_names()
                    ),
                ));
                continue;
            };
            match pattern(r.pattern.get_ref()) {
                Ok((method, segs)) => parsed.push((method, segs, target)),
                Err(m) => problems.push(problem(&src, r.pattern.span().start, m)),
            }
        }
        if raw.routes.is_empty() {
            problems.push(problem(&src, 0, "the map has no routes".into()));
        }
        if !problems.is_empty() {
            return Err(fail(problems));
        }
        let mut targets: Vec<Target> = parsed.iter().map(|p| p.2.clone()).collect();
        targets.sort_by_key(|t| match t {
            Target::Session(n) => match Action::from_name(n) {
                Some(a) => (0, a.index(), String::new()),
                None => (1, 0, n.clone()),
            },
            Target::Admin(a) => (2, a.index(), String::new()),
        });
        targets.dedup();
        let routes = parsed
            .into_iter()
            .map(|(m, s, t)| {
                let i = targets.iter().position(|x| *x == t).unwrap_or(0);
                (m, s, i)
            })
            .collect();
        Ok(Map { routes, targets })
    }

    /// The index in [`Map::targets`] of the first route matching.
    pub fn find(&self, method: &[u8], path: &[u8]) -> Option<usize> {
        let path = match path.iter().position(|&b| b == b'?') {
            Some(q) => &path[..q],
            None => path,
        };
        self.routes
            .iter()
            .find(|(m, segs, _)| m.as_deref().is_none_or(|m| m == method) && matches(segs, path))
            .map(|r| r.2)
    }
}

/// `[METHOD ]PATH` as a method and segments.
fn pattern(text: &str) -> Result<(Option<Vec<u8>>, Vec<Seg>), String> {
    let (method, path) = match text.split_once(' ') {
        Some((m, p)) => (Some(m), p.trim()),
        None => (None, text.trim()),
    };
    if let Some(m) = method
        && (m.is_empty() || !m.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err(format!(
            "{text:?}: expected \"METHOD /path\" or \"/path\", the method in capitals (GET, POST …)"
        ));
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err(format!("{text:?}: the path must start with /"));
    };
    let mut segs = Vec::new();
    let parts: Vec<&str> = if rest.is_empty() {
        Vec::new()
    } else {
        rest.split('/').collect()
    };
    for (i, p) in parts.iter().enumerate() {
        segs.push(match *p {
            "*" => Seg::One,
            "**" if i + 1 == parts.len() => Seg::Rest,
            "**" => return Err(format!("{text:?}: ** may only end a pattern")),
            lit => Seg::Lit(lit.as_bytes().to_vec()),
        });
    }
    Ok((method.map(|m| m.as_bytes().to_vec()), segs))
}

/// Does `path` (starting with `/`) match `segs`?
fn matches(segs: &[Seg], path: &[u8]) -> bool {
    let Some(rest) = path.strip_prefix(b"/") else {
        return false;
    };
    let mut parts = rest.split(|&b| b == b'/');
    if rest.is_empty() {
        return segs.is_empty() || segs == [Seg::Rest];
    }
    for s in segs {
        match s {
            Seg::Rest => return true,
            Seg::One => match parts.next() {
                Some(p) if !p.is_empty() => {}
                _ => return false,
            },
            Seg::Lit(l) => {
                if parts.next() != Some(l.as_slice()) {
                    return false;
                }
            }
        }
    }
    parts.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_matching_route_wins_and_queries_are_ignored() {
        let text = r#"routes = [
  { match = "GET /", action = "home" },
  { match = "GET /product/*", action = "view_product" },
  { match = "/ops/recs/**", action = "recs" },
  { match = "POST /admin/orders/ship", action = "ship_order" },
  { match = "GET /**", action = "browse" },
]"#;
        let m = Map::parse("m.toml", text).expect("valid");
        let name = |method: &str, path: &str| {
            m.find(method.as_bytes(), path.as_bytes())
                .map(|i| match &m.targets[i] {
                    Target::Session(n) => n.clone(),
                    Target::Admin(a) => a.name().to_owned(),
                })
        };
        assert_eq!(name("GET", "/"), Some("home".into()));
        assert_eq!(name("GET", "/?utm=x"), Some("home".into()));
        assert_eq!(
            name("GET", "/product/12?ref=a/b"),
            Some("view_product".into())
        );
        assert_eq!(name("GET", "/product/12/reviews"), Some("browse".into()));
        assert_eq!(name("POST", "/product/12"), None);
        assert_eq!(name("DELETE", "/ops/recs"), Some("recs".into()));
        assert_eq!(name("GET", "/ops/recs/a/b"), Some("recs".into()));
        assert_eq!(
            name("POST", "/admin/orders/ship"),
            Some("ship_order".into())
        );
        assert_eq!(name("GET", "nopath"), None);
        // Customer actions in report order, custom operations, then admins.
        let order: Vec<_> = m.targets.iter().map(|t| format!("{t:?}")).collect();
        assert_eq!(
            order,
            [
                "Session(\"home\")",
                "Session(\"browse\")",
                "Session(\"view_product\")",
                "Session(\"recs\")",
                "Admin(ShipOrder)"
            ]
        );
    }

    #[test]
    fn a_malformed_map_names_line_and_column() {
        let at = |text: &str| {
            let e = Map::parse("m.toml", text).expect_err("malformed");
            e.to_string()
        };
        assert_eq!(
            at("routes = [\n  { match = \"GET /\", action = \"hom e\" },\n]"),
            format!(
                "m.toml:2:31: \"hom e\" is not an action: use one of {}, or a custom operation's name (lower case letters, digits, _)",
                Action::all_names()
            )
        );
        assert_eq!(
            at("routes = [\n  { match = \"get /\", action = \"home\" },\n]"),
            "m.toml:2:13: \"get /\": expected \"METHOD /path\" or \"/path\", the method in capitals (GET, POST …)"
        );
        assert!(
            at("routes = [\n  { match = \"GET /\", acton = \"home\" },\n]")
                .starts_with("m.toml:2:")
        );
        assert!(
            at("routes = [ { match = \"/a/**/b\", action = \"home\" } ]")
                .contains("** may only end")
        );
        assert!(at("routes = [").starts_with("m.toml:1:"));
        assert!(at("routes = []").contains("the map has no routes"));
    }
}

//! Where things are in the scenario source, and `--set` overrides.
//!
//! The file is parsed into toml's spanned tree. Each `--set KEY=VALUE` is
//! parsed as its own one-line document (`KEY = VALUE`) and grafted onto the
//! tree; its spans are shifted past the end of the file so every span in the
//! merged tree still says where it came from: the file (line and column) or
//! the n-th `--set`. Validation reports problems by key path; [`Sources`]
//! turns a path or a span into a [`Location`].

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

/// Where a problem is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// In the scenario file, 1-based line and column (in characters).
    File {
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        col: usize,
    },
    /// In the `index`-th `--set` argument (0-based), quoted as given.
    Set {
        /// The argument as the user typed it.
        arg: String,
    },
}

/// The texts a scenario was built from: the file, then each `--set`.
pub struct Sources<'a> {
    text: &'a str,
    /// `(start offset in merged coordinates, argument as typed)` per `--set`.
    sets: Vec<(usize, String)>,
    next_start: usize,
}

impl<'a> Sources<'a> {
    /// Sources for a file's text; add overrides with [`Sources::add_set`].
    pub fn new(text: &'a str) -> Self {
        Sources {
            text,
            sets: Vec::new(),
            next_start: text.len() + 1,
        }
    }

    /// Registers an override document of `len` bytes typed as `arg`, and
    /// returns the offset its spans must be shifted by so that they land
    /// past the file and past every earlier override.
    pub fn add_set(&mut self, arg: &str, len: usize) -> usize {
        let start = self.next_start;
        self.next_start = start + len + 1;
        self.sets.push((start, arg.to_owned()));
        start
    }

    /// The location of byte offset `at` in merged coordinates.
    pub fn location(&self, at: usize) -> Location {
        if at <= self.text.len() || self.sets.is_empty() {
            let at = at.min(self.text.len());
            let before = &self.text[..floor_char_boundary(self.text, at)];
            let line = before.matches('\n').count() + 1;
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let col = before[line_start..].chars().count() + 1;
            return Location::File { line, col };
        }
        let idx = self
            .sets
            .partition_point(|(start, _)| *start <= at)
            .saturating_sub(1);
        Location::Set {
            arg: self.sets[idx].1.clone(),
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File { line, col } => write!(f, "{line}:{col}"),
            Location::Set { arg } => write!(f, "--set {arg}"),
        }
    }
}

/// Moves every span in `v` by `off` bytes.
pub fn shift(v: Spanned<DeValue<'_>>, off: usize) -> Spanned<DeValue<'_>> {
    let span = v.span();
    let moved = |r: Range<usize>| r.start + off..r.end + off;
    let inner = match v.into_inner() {
        DeValue::Table(t) => DeValue::Table(shift_table(t, off)),
        DeValue::Array(a) => {
            DeValue::Array(a.into_iter().map(|x| shift(x, off)).collect::<DeArray>())
        }
        other => other,
    };
    Spanned::new(moved(span), inner)
}

fn shift_table(t: DeTable<'_>, off: usize) -> DeTable<'_> {
    let mut out = DeTable::new();
    for (k, v) in t {
        let ks = k.span();
        out.insert(
            Spanned::new(ks.start + off..ks.end + off, k.into_inner()),
            shift(v, off),
        );
    }
    out
}

/// Grafts `over` onto `base`: tables merge key by key, anything else
/// replaces. A table key that is a number indexes into an array
/// (`load.stages.1.rate = 50`). Returns the paths that could not be set.
pub fn merge<'a>(
    base: &mut DeTable<'a>,
    over: DeTable<'a>,
    prefix: &str,
    depth: usize,
    bad: &mut Vec<String>,
) {
    for (k, v) in over {
        let name: Cow<'a, str> = k.get_ref().clone();
        let path = join(prefix, &name);
        let existing = base.get_mut(name.as_ref()).map(|e| e.get_mut());
        match (existing, v.get_ref()) {
            // Along the key's own path: go down; at its last segment the
            // value, table or not, replaces what was there.
            (Some(DeValue::Table(bt)), DeValue::Table(_)) if depth > 1 => {
                if let DeValue::Table(ot) = v.into_inner() {
                    merge(bt, ot, &path, depth - 1, bad);
                }
            }
            (Some(DeValue::Array(arr)), DeValue::Table(_)) if depth > 1 => {
                if let DeValue::Table(ot) = v.into_inner() {
                    merge_array(arr, ot, &path, depth - 1, bad);
                }
            }
            // A new key, or a value replaced: take the override's key too,
            // so problems with it point at the `--set`.
            _ => {
                base.remove(name.as_ref());
                base.insert(k, v);
            }
        }
    }
}

fn merge_array<'a>(
    arr: &mut DeArray<'a>,
    over: DeTable<'a>,
    prefix: &str,
    depth: usize,
    bad: &mut Vec<String>,
) {
    for (k, v) in over {
        let path = join(prefix, k.get_ref());
        let Some(item) = k
            .get_ref()
            .parse::<usize>()
            .ok()
            .and_then(|i| arr.get_mut(i))
        else {
            bad.push(path);
            continue;
        };
        match (item.get_mut(), v.into_inner()) {
            (DeValue::Table(bt), DeValue::Table(ot)) if depth > 1 => {
                merge(bt, ot, &path, depth - 1, bad)
            }
            (slot, value) => *slot = value,
        }
    }
}

/// How many segments the dotted key `key` has (`a."b.c".d`: 3), as TOML
/// reads it; 1 when it does not parse (the override's own parse reports
/// that).
pub fn key_depth(key: &str) -> usize {
    let text = format!("{key} = 0");
    let Ok(doc) = DeTable::parse(&text) else {
        return 1;
    };
    let mut depth = 0;
    let mut table = Some(doc.get_ref());
    while let Some(t) = table {
        depth += 1;
        table = t.iter().next().and_then(|(_, v)| v.get_ref().as_table());
    }
    depth
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// The span to blame for a problem at dotted `path`: the key if the whole
/// path exists, else the deepest existing ancestor's key, else the start.
/// A key may itself contain dots (`"checkout.p99_ms" = …`): at each level
/// the longest run of segments naming a key wins.
pub fn span_of(root: &DeTable<'_>, path: &str) -> Range<usize> {
    let segs: Vec<&str> = path.split('.').filter(|s| !s.is_empty()).collect();
    let mut best = 0..0;
    let mut table = Some(root);
    let mut array: Option<&DeArray<'_>> = None;
    let mut i = 0;
    while i < segs.len() {
        let mut found = None;
        if let Some(t) = table {
            for j in (i + 1..=segs.len()).rev() {
                if let Some((k, v)) = t.get_key_value(segs[i..j].join(".").as_str()) {
                    found = Some((k.span(), v, j));
                    break;
                }
            }
        } else if let Some(a) = array {
            found = segs[i]
                .parse::<usize>()
                .ok()
                .and_then(|n| a.get(n))
                .map(|v| (v.span(), v, i + 1));
        }
        let Some((span, value, next)) = found else {
            break;
        };
        best = span;
        table = value.get_ref().as_table();
        array = value.get_ref().as_array();
        i = next;
    }
    best
}

/// Removes the innermost key of `t` whose key or value covers byte `pos`
/// (tables inside arrays included), returning its dotted path: what a
/// structural error at `pos` was about, taken out so the rest can still be
/// checked. `None` when no key covers `pos`.
pub fn remove_at(t: &mut DeTable<'_>, pos: usize, prefix: &str) -> Option<String> {
    let mut hit = None;
    for (k, v) in t.iter_mut() {
        let path = join(prefix, k.get_ref());
        match v.get_mut() {
            DeValue::Table(inner) => {
                if let Some(p) = remove_at(inner, pos, &path) {
                    return Some(p);
                }
            }
            DeValue::Array(a) => {
                for (i, e) in a.iter_mut().enumerate() {
                    if let DeValue::Table(inner) = e.get_mut()
                        && let Some(p) = remove_at(inner, pos, &format!("{path}.{i}"))
                    {
                        return Some(p);
                    }
                }
            }
            _ => {}
        }
        if hit.is_none() && (k.span().contains(&pos) || v.span().contains(&pos)) {
            hit = Some((k.get_ref().to_string(), path));
        }
    }
    let (key, path) = hit?;
    t.remove(key.as_str());
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::key_depth;

    #[test]
    fn a_dotted_key_counts_its_segments() {
        assert_eq!(key_depth("seed"), 1);
        assert_eq!(key_depth("stations.payment.workers"), 3);
        assert_eq!(key_depth("load.stages.2.rate"), 4);
        assert_eq!(key_depth("thresholds.\"checkout.p99_ms\""), 2);
    }
}

//! Scenario files: TOML in, a validated [`Scenario`] out.
//!
//! Loading goes text → spanned TOML tree (syntax errors) → `--set`
//! overrides grafted on → raw serde mirror ([`file::ScenarioFile`], unknown
//! keys and wrong types) → validated model ([`model::Scenario`], every range
//! and cross-reference problem at once). Every problem is reported as
//! `FILE:LINE:COL: message`, or `--set KEY=VALUE: message` when it lies in an
//! override; nothing is run when there is any.

pub mod capacity;
pub mod file;
pub mod model;
pub mod resolve;
pub mod span;
pub mod validate;

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use toml::de::DeTable;

pub use model::Scenario;
use span::{Location, Sources};

/// One problem with a scenario, located.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// Where it is.
    pub location: Location,
    /// What is wrong, lower-case, with the valid choices where there are some.
    pub message: String,
}

/// Why a scenario could not be loaded: every problem found.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioError {
    /// The scenario file as given on the command line.
    pub file: String,
    /// At least one problem, in file order (overrides last).
    pub problems: Vec<Problem>,
}

impl std::error::Error for ScenarioError {}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            match &p.location {
                Location::File { line, col } => {
                    write!(f, "{}:{line}:{col}: {}", self.file, p.message)?
                }
                Location::Set { arg } => write!(f, "--set {arg}: {}", p.message)?,
            }
        }
        Ok(())
    }
}

/// A loaded scenario and the text of what will run.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The validated scenario.
    pub scenario: Scenario,
    /// `scenario.resolved.toml`: every default filled in, overrides applied.
    pub resolved_toml: String,
}

/// Reads and validates the scenario at `path` with `--set KEY=VALUE`
/// overrides (each VALUE parsed as TOML, or taken as a string if it is not
/// valid TOML) and an optional seed override.
pub fn load(path: &Path, sets: &[String], seed: Option<u64>) -> Result<Loaded, ScenarioError> {
    let file = path.display().to_string();
    let fail = |message: String| ScenarioError {
        file: file.clone(),
        problems: vec![Problem {
            location: Location::File { line: 1, col: 1 },
            message,
        }],
    };
    let text = read_bounded(path).map_err(fail)?;
    let stem = path.file_stem().map_or_else(
        || "scenario".to_owned(),
        |s| s.to_string_lossy().into_owned(),
    );
    let base = path.parent().unwrap_or(Path::new(""));
    load_str_in(base, &file, &stem, &text, sets, seed)
}

/// At most this many structural problems are listed before giving up.
const MAX_STRUCTURAL: usize = 50;

/// The largest scenario file ecsim reads, in bytes.
pub const MAX_SCENARIO_BYTES: u64 = 8 << 20;

/// Reads the scenario file at `path`, at most [`MAX_SCENARIO_BYTES`] of it
/// (a device like /dev/zero or a runaway generator is refused, not read
/// until memory runs out).
fn read_bounded(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let cannot = |e: std::io::Error| format!("cannot read the scenario file: {e}");
    let f = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    f.take(MAX_SCENARIO_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_SCENARIO_BYTES {
        return Err(format!(
            "the scenario file is larger than the limit of {} MiB; is it really a scenario?",
            MAX_SCENARIO_BYTES >> 20
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "cannot read the scenario file: it is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// [`load`] from text already in memory; `file` names it in messages and
/// `stem` is the default scenario name. Data files are read relative to
/// the current directory.
pub fn load_str(
    file: &str,
    stem: &str,
    text: &str,
    sets: &[String],
    seed: Option<u64>,
) -> Result<Loaded, ScenarioError> {
    load_str_in(Path::new(""), file, stem, text, sets, seed)
}

/// [`load_str`] with data files read relative to `base` (the directory of
/// the scenario file, or of the report holding its `data/` copies).
pub fn load_str_in(
    base: &Path,
    file: &str,
    stem: &str,
    text: &str,
    sets: &[String],
    seed: Option<u64>,
) -> Result<Loaded, ScenarioError> {
    let fail = |problems: Vec<Problem>| ScenarioError {
        file: file.to_owned(),
        problems,
    };
    // Overrides: each is a one-line TOML document grafted onto the tree.
    let mut set_docs: Vec<String> = Vec::with_capacity(sets.len() + 1);
    let mut problems = Vec::new();
    let mut all_sets: Vec<String> = sets.to_vec();
    if let Some(s) = seed {
        all_sets.push(format!("scenario.seed={s}"));
    }
    for arg in &all_sets {
        match override_doc(arg) {
            Ok(doc) => set_docs.push(doc),
            Err(message) => problems.push(Problem {
                location: Location::Set { arg: arg.clone() },
                message,
            }),
        }
    }
    if !problems.is_empty() {
        return Err(fail(problems));
    }
    let mut sources = Sources::new(text);
    let mut root = match DeTable::parse(text) {
        Ok(t) => t,
        Err(e) => {
            return Err(fail(vec![Problem {
                location: sources.location(e.span().map_or(0, |s| s.start)),
                message: toml_message(e.message()),
            }]));
        }
    };
    let offsets: Vec<usize> = all_sets
        .iter()
        .zip(&set_docs)
        .map(|(arg, doc)| sources.add_set(arg, doc.len()))
        .collect();
    for ((arg, doc), off) in all_sets.iter().zip(&set_docs).zip(offsets) {
        let parsed = match DeTable::parse(doc) {
            Ok(t) => t,
            Err(e) => {
                problems.push(Problem {
                    location: Location::Set { arg: arg.clone() },
                    message: toml_message(e.message()),
                });
                continue;
            }
        };
        let shifted = span::shift(parsed.map_table(), off);
        if let toml::de::DeValue::Table(t) = shifted.into_inner() {
            let mut bad = Vec::new();
            let key = arg.split_once('=').map_or(arg.as_str(), |(k, _)| k.trim());
            span::merge(root.get_mut(), t, "", span::key_depth(key), &mut bad);
            for path in bad {
                problems.push(Problem {
                    location: Location::Set { arg: arg.clone() },
                    message: format!("`{path}` does not name an element of an existing array"),
                });
            }
        }
    }
    if !problems.is_empty() {
        return Err(fail(problems));
    }

    let tree = root.get_ref().clone();
    // A structural problem (a wrong type, an unknown key) is reported, its
    // key taken out, and the rest read again, so that every problem is
    // listed at once, structural and semantic alike.
    let mut structural: Vec<(usize, Problem)> = Vec::new();
    let mut removed: Vec<String> = Vec::new();
    let raw = loop {
        match file::ScenarioFile::deserialize(toml::de::Deserializer::from(root.clone())) {
            Ok(raw) => break Some(raw),
            Err(e) => {
                let at = e.span().map_or(0, |s| s.start);
                // An unknown key is not one the checks below could miss.
                let unknown = e.message().starts_with("unknown field");
                structural.push((
                    at,
                    Problem {
                        location: sources.location(at),
                        message: toml_message(e.message()),
                    },
                ));
                match span::remove_at(root.get_mut(), at, "") {
                    Some(_) if unknown && structural.len() < MAX_STRUCTURAL => {}
                    Some(path) if structural.len() < MAX_STRUCTURAL => removed.push(path),
                    _ => break None,
                }
            }
        }
    };
    let validated = raw.map(|raw| validate::validate(&raw, stem, base));
    match validated {
        Some(Ok(scenario)) if structural.is_empty() => {
            let resolved_toml = resolve::to_toml(&scenario);
            Ok(Loaded {
                scenario,
                resolved_toml,
            })
        }
        other => {
            let issues = match other {
                Some(Err(issues)) => issues,
                _ => Vec::new(),
            };
            // A key taken out is reported once, not again as missing.
            let related = |p: &str| {
                removed.iter().any(|r| {
                    r == p || r.starts_with(&format!("{p}.")) || p.starts_with(&format!("{r}."))
                })
            };
            let mut problems: Vec<(usize, Problem)> = issues
                .into_iter()
                .filter(|i| !related(&i.path))
                .map(|i| {
                    let at = span::span_of(&tree, &i.path).start;
                    (
                        at,
                        Problem {
                            location: sources.location(at),
                            message: one_line(&i.message),
                        },
                    )
                })
                .collect();
            problems.extend(structural);
            problems.sort_by_key(|(at, _)| *at);
            Err(fail(problems.into_iter().map(|(_, p)| p).collect()))
        }
    }
}

/// Turns `KEY=VALUE` into the TOML line `KEY = VALUE`, quoting VALUE when it
/// is not valid TOML on its own (so `--set cache.policy=lfu` works).
fn override_doc(arg: &str) -> Result<String, String> {
    let Some((key, value)) = arg.split_once('=') else {
        return Err("expected KEY=VALUE, e.g. --set stations.payment.workers=16".into());
    };
    let (key, value) = (key.trim(), value.trim());
    if key.is_empty() {
        return Err("the key before `=` is empty".into());
    }
    let doc = format!("{key} = {value}");
    if DeTable::parse(&doc).is_ok() {
        return Ok(doc);
    }
    let quoted = format!("{key} = {}", toml_string(value));
    if DeTable::parse(&quoted).is_ok() {
        Ok(quoted)
    } else {
        Ok(doc) // the key itself is malformed: parse it again to report
    }
}

fn toml_string(s: &str) -> String {
    let escaped: String = s
        .chars()
        .flat_map(|c| match c {
            '"' => vec!['\\', '"'],
            '\\' => vec!['\\', '\\'],
            c => vec![c],
        })
        .collect();
    format!("\"{escaped}\"")
}

/// toml's messages, trimmed to one line.
fn toml_message(m: &str) -> String {
    one_line(&plain_words(&m.trim().replace('\n', "; ")))
}

/// The parser's message in the user's words, not Rust's: `expected i64`
/// is `expected an integer`, `struct ScenarioSection` is `a table`, and
/// an untagged enum is the forms the key accepts.
fn plain_words(m: &str) -> String {
    if m == "recursion limit" || m.ends_with(": recursion limit") {
        return "tables or arrays nest too deeply (the TOML parser's recursion limit); a scenario needs a few levels at most".to_owned();
    }
    let mut out = m.to_owned();
    for int in [
        "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "usize",
    ] {
        out = out.replace(&format!("expected {int}"), "expected an integer");
    }
    out = out.replace("expected f64", "expected a number");
    out = out.replace(
        "data did not match any variant of untagged enum ThresholdFile",
        "expected an expression such as \"< 800\", or a table of them",
    );
    out = out.replace(
        "data did not match any variant of untagged enum StartFile",
        "expected an action name, or a table of actions and probabilities",
    );
    // `expected struct ScenarioSection` and the like.
    while let Some(i) = out.find("struct ") {
        let rest = &out[i + "struct ".len()..];
        let end = rest
            .find(|c: char| !c.is_alphanumeric() && c != '_')
            .unwrap_or(rest.len());
        out = format!("{}a table{}", &out[..i], &rest[end..]);
    }
    out
}

/// A message on one line whatever the user's strings in it hold: control
/// characters (a newline in a station name) are written as escapes, so
/// that every line of the error starts with its position.
fn one_line(m: &str) -> String {
    let mut out = String::with_capacity(m.len());
    for c in m.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

trait MapTable<'a> {
    fn map_table(self) -> toml::Spanned<toml::de::DeValue<'a>>;
}

impl<'a> MapTable<'a> for toml::Spanned<DeTable<'a>> {
    fn map_table(self) -> toml::Spanned<toml::de::DeValue<'a>> {
        let span = self.span();
        toml::Spanned::new(span, toml::de::DeValue::Table(self.into_inner()))
    }
}

#[cfg(test)]
mod tests;

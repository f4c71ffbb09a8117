//! Scenario files: TOML in, a validated [`Scenario`] out.
//!
//! Loading goes text → spanned TOML tree (syntax errors) → `--set`
//! overrides grafted on → raw serde mirror ([`file::ScenarioFile`], unknown
//! keys and wrong types) → validated model ([`model::Scenario`], every range
//! and cross-reference problem at once). Every problem is reported as
//! `FILE:LINE:COL: message`, or `--set KEY=VALUE: message` when it lies in an
//! override; nothing is run when there is any.

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
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        file: file.clone(),
        problems: vec![Problem {
            location: Location::File { line: 1, col: 1 },
            message: format!("cannot read the scenario file: {e}"),
        }],
    })?;
    let stem = path.file_stem().map_or_else(
        || "scenario".to_owned(),
        |s| s.to_string_lossy().into_owned(),
    );
    load_str(&file, &stem, &text, sets, seed)
}

/// [`load`] from text already in memory; `file` names it in messages and
/// `stem` is the default scenario name.
pub fn load_str(
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
    let raw = match file::ScenarioFile::deserialize(toml::de::Deserializer::from(root)) {
        Ok(raw) => raw,
        Err(e) => {
            return Err(fail(vec![Problem {
                location: sources.location(e.span().map_or(0, |s| s.start)),
                message: toml_message(e.message()),
            }]));
        }
    };
    match validate::validate(&raw, stem) {
        Ok(scenario) => {
            let resolved_toml = resolve::to_toml(&scenario);
            Ok(Loaded {
                scenario,
                resolved_toml,
            })
        }
        Err(issues) => {
            let mut problems: Vec<(usize, Problem)> = issues
                .into_iter()
                .map(|i| {
                    let at = span::span_of(&tree, &i.path).start;
                    (
                        at,
                        Problem {
                            location: sources.location(at),
                            message: i.message,
                        },
                    )
                })
                .collect();
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
    m.trim().replace('\n', "; ")
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
mod tests {
    use super::*;

    const OK: &str = r#"[scenario]
duration = "10s"
[load]
type = "open"
stages = [{ at = "0s", rate = 10.0 }]
[behavior]
start = "home"
[behavior.transitions]
home = { leave = 1.0 }
"#;

    /// `load_str` of `text` with `sets`: each problem as `WHERE: message`.
    fn problems(text: &str, sets: &[&str]) -> Vec<String> {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        match load_str("t.toml", "t", text, &sets, None) {
            Ok(_) => Vec::new(),
            Err(e) => e
                .problems
                .iter()
                .map(|p| format!("{}: {}", p.location, p.message))
                .collect(),
        }
    }

    #[test]
    fn an_override_without_a_key_is_refused() {
        assert_eq!(
            problems(OK, &["=5"]),
            ["--set =5: the key before `=` is empty"]
        );
    }

    #[test]
    fn an_override_past_the_end_of_an_array_names_the_element() {
        assert_eq!(
            problems(OK, &["load.stages.3.rate=1"]),
            [
                "--set load.stages.3.rate=1: `load.stages.3` does not name an element of an existing array"
            ]
        );
    }

    #[test]
    fn an_override_with_a_malformed_key_is_reported_at_the_override() {
        let p = problems(OK, &["scenario..seed=1"]);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("--set scenario..seed=1: "), "{p:?}");
    }

    #[test]
    fn a_problem_in_an_override_points_at_the_override() {
        assert_eq!(
            problems(OK, &["stations.payment.workers=0"]),
            [
                "--set stations.payment.workers=0: `workers` must be at least 1 and at most 100000000, found 0"
            ]
        );
    }

    #[test]
    fn the_seed_option_overrides_the_file_and_shows_in_the_resolved_text() {
        let l = load_str("t.toml", "t", OK, &[], Some(42)).expect("valid");
        assert_eq!(l.scenario.seed, 42);
        assert!(l.resolved_toml.contains("seed = 42"), "{}", l.resolved_toml);
    }

    #[test]
    fn a_missing_file_is_a_problem_at_its_start() {
        let e = load(Path::new("/nonexistent/dir/x.toml"), &[], None).expect_err("missing");
        assert_eq!(e.file, "/nonexistent/dir/x.toml");
        assert_eq!(e.problems.len(), 1);
        assert_eq!(e.problems[0].location, Location::File { line: 1, col: 1 });
        assert!(
            e.problems[0]
                .message
                .starts_with("cannot read the scenario file: "),
            "{:?}",
            e.problems
        );
    }

    #[test]
    fn every_problem_prints_on_its_own_line() {
        let e = load_str(
            "t.toml",
            "t",
            "[scenario]\nduration = \"0s\"\n",
            &["cache.capacity=0".to_owned()],
            None,
        )
        .expect_err("invalid");
        let text = e.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() >= 3, "{text}");
        assert_eq!(
            lines[0],
            "t.toml:1:1: missing [load] table: set type = \"open\" with `rate` or `stages`, or type = \"closed\" with `users`"
        );
        assert!(
            lines.contains(
                &"--set cache.capacity=0: `capacity` must be at least 1 and at most 100000000, found 0"
            ),
            "{text}"
        );
    }
}

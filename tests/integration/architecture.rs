//! The crate reads bottom-up: each module imports only from its own layer
//! or the layers below it (see `src/lib.rs`). This test reads `src/` and
//! fails on an upward import, on a top-level module missing from the layer
//! table, on a `mod.rs` file (one module style: `foo.rs` + `foo/`) and on a
//! file too long to read in one sitting.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The layers, bottom-up: a module may import from its own layer and the
/// ones before it.
const LAYERS: &[&[&str]] = &[
    // 1. time, random streams, distributions, the event queue
    &["kernel"],
    // 2. actions, routes, the Business seam, errors, faults, report names
    &["contract"],
    // 3. the shop's services, the backend model (stations, cache), metrics
    &["shop", "backend", "metrics"],
    // 4. the typed, validated scenario
    &["scenario"],
    // 5. the model and the two clocks that drive it
    &["model", "engine", "wall"],
    // 6. replications, sweeps
    &["runner"],
    // 7. every file of the report contract; scenarios fitted to logs
    &["report", "fit"],
    // 8. the command line and its one error type
    &["cli"],
];

/// The longest a source file may be.
const MAX_LINES: usize = 500;

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to (`None` for the crate
/// root and the binary).
fn module_of(file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src()).expect("under src");
    let first = rel.components().next()?.as_os_str().to_string_lossy();
    let name = first.trim_end_matches(".rs").to_owned();
    (name != "lib" && name != "main").then_some(name)
}

fn ident(s: &str) -> String {
    s.trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// Every `crate::NAME` (and each name of `crate::{A, B::c}`) a file's code,
/// not its comments, refers to, with the line it is on. A brace group is
/// read on its own line only, which is how rustfmt writes short ones.
fn crate_refs(text: &str) -> Vec<(usize, String)> {
    let mut refs = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + "crate::".len()..];
            let names: Vec<String> = match after.strip_prefix('{') {
                Some(group) => {
                    let mut depth = 0;
                    let mut items = vec![String::new()];
                    for c in group.chars() {
                        match c {
                            '{' => depth += 1,
                            '}' if depth == 0 => break,
                            '}' => depth -= 1,
                            ',' if depth == 0 => items.push(String::new()),
                            _ => {}
                        }
                        if let Some(last) = items.last_mut() {
                            last.push(c);
                        }
                    }
                    items
                        .iter()
                        .map(|i| ident(i.trim_start_matches(',')))
                        .collect()
                }
                None => vec![ident(after)],
            };
            refs.extend(
                names
                    .into_iter()
                    .filter(|n| !n.is_empty())
                    .map(|m| (n + 1, m)),
            );
            rest = after;
        }
    }
    refs
}

/// Upward imports in `files`, as `file:line: a (layer) imports b (layer)`.
fn upward(files: &[(PathBuf, String)]) -> Vec<String> {
    let mut bad = Vec::new();
    for (file, text) in files {
        let Some(module) = module_of(file) else {
            continue;
        };
        let Some(own) = layer_of(&module) else {
            continue; // reported by the table test
        };
        for (line, name) in crate_refs(text) {
            if let Some(theirs) = layer_of(&name)
                && theirs > own
            {
                bad.push(format!(
                    "{}:{line}: {module} (layer {}) imports {name} (layer {})",
                    file.display(),
                    own + 1,
                    theirs + 1
                ));
            }
        }
    }
    bad
}

fn sources() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let text = fs::read_to_string(&f).expect("source is readable");
            (f, text)
        })
        .collect()
}

#[test]
fn no_module_imports_from_a_layer_above_its_own() {
    let bad = upward(&sources());
    assert!(bad.is_empty(), "upward imports:\n{}", bad.join("\n"));
}

#[test]
fn the_check_catches_an_upward_import() {
    // The test above can fail: an engine file reaching up to the report.
    let file = src().join("engine.rs");
    let planted = vec![(file, "use crate::report::Report;\n".to_owned())];
    assert_eq!(upward(&planted).len(), 1);
    // A comment naming a module above is not an import.
    let comment = vec![(
        src().join("kernel/time.rs"),
        "// see crate::report\n".to_owned(),
    )];
    assert!(upward(&comment).is_empty());
    // Grouped imports count name by name.
    let grouped = vec![(
        src().join("shop.rs"),
        "use crate::{kernel::rng, model::Model};\n".to_owned(),
    )];
    assert_eq!(upward(&grouped).len(), 1);
}

#[test]
fn every_top_level_module_has_a_layer() {
    let modules: BTreeSet<String> = sources().iter().filter_map(|(f, _)| module_of(f)).collect();
    let missing: Vec<&String> = modules.iter().filter(|m| layer_of(m).is_none()).collect();
    assert!(missing.is_empty(), "give these a layer: {missing:?}");
}

#[test]
fn one_module_style_and_files_readable_in_one_sitting() {
    for (file, text) in sources() {
        assert_ne!(
            file.file_name().and_then(|n| n.to_str()),
            Some("mod.rs"),
            "{}: use foo.rs + foo/ instead of foo/mod.rs",
            file.display()
        );
        let lines = text.lines().count();
        assert!(
            lines <= MAX_LINES,
            "{}: {lines} lines (at most {MAX_LINES}); split it along a seam",
            file.display()
        );
    }
}

//! Malformed scenarios: every file in `tests/data/bad/` starts with
//! `# expect: LINE:COL: message fragment`; running it must exit 2, print
//! `FILE:LINE:COL: …fragment…` on stderr and write nothing.

use std::path::PathBuf;

use crate::util::*;

fn bad_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/bad");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/data/bad exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_malformed_scenario_is_reported_with_its_position() {
    let files = bad_files();
    assert!(
        files.len() >= 20,
        "at least 20 malformed scenarios, found {}",
        files.len()
    );
    let s = Scratch::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read");
        let expect = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{} lacks `# expect:`", file.display()));
        let (pos, fragment) = expect.split_at(expect.find(": ").expect("LINE:COL: message"));
        let fragment = &fragment[2..];
        let out = s.path("never-written");
        let o = run(&[
            "run",
            file.to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
        ]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{}: exit code; stderr:\n{stderr}",
            file.display()
        );
        let wanted = format!("{}:{pos}: ", file.display());
        let line = stderr
            .lines()
            .find(|l| l.starts_with(&wanted))
            .unwrap_or_else(|| {
                panic!(
                    "{}: no line starting {wanted:?} in:\n{stderr}",
                    file.display()
                )
            });
        assert!(
            line.contains(fragment),
            "{}: {line:?} does not contain {fragment:?}",
            file.display()
        );
        assert!(
            !out.exists(),
            "{}: a report was written despite the error",
            file.display()
        );
        assert!(o.stdout.is_empty(), "{}: nothing on stdout", file.display());
    }
}

#[test]
fn several_problems_are_all_listed_in_file_order() {
    let s = Scratch::new();
    let sc = s.scenario(
        "many.toml",
        r#"[scenario]
duration = "1m"
[load]
type = "open"
rate = 0.0
[behavior]
start = "home"
[behavior.transitions]
home = { leave = 0.5 }
[cache]
capacity = 0
"#,
    );
    let o = run(&["validate", sc.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    assert!(
        lines[0]
            .ends_with("many.toml:5:1: `rate` must be a finite number greater than zero, found 0"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("many.toml:9:1: probabilities must sum to 1, found 0.5"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains("many.toml:11:1: `capacity` must be at least 1"),
        "{}",
        lines[2]
    );
}

#[test]
fn bad_overrides_name_the_set_argument() {
    let s = Scratch::new();
    let sc = s.scenario("ok.toml", include_str!("../../scenarios/mmc.toml"));
    for (arg, fragment) in [
        ("stations.catalog_db.workers", "expected KEY=VALUE"),
        ("nope=3", "unknown field `nope`"),
        ("cache.policy=mru", "unknown policy \"mru\""),
        (
            "stations.catalog_db.service_time.dist=gama",
            "unknown distribution \"gama\"",
        ),
        (
            "load.stages.3.rate=1",
            "invalid type: map, expected a sequence",
        ),
    ] {
        let o = run(&["validate", sc.to_str().expect("utf-8"), "--set", arg]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "--set {arg}: {stderr}");
        let wanted = format!("--set {arg}: ");
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with(&wanted) && l.contains(fragment)),
            "--set {arg}: expected {fragment:?} in:\n{stderr}"
        );
    }
}

//! The deployment files work as shipped: the Kubernetes manifest parses as
//! YAML, its Indexed Job runs as many shards as its command line says, and
//! that command line is the one docs/scale-out.md gives and one ecsim
//! accepts.

use std::fs;
use std::path::PathBuf;

use clap::Parser;
use ecsim::cli::Cli;
use yaml_rust2::{Yaml, YamlLoader};

fn repo(path: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path);
    fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The shell command of a Job's only container, whitespace folded.
fn command(job: &Yaml) -> String {
    let c = &job["spec"]["template"]["spec"]["containers"][0]["command"];
    let parts: Vec<&str> = c
        .as_vec()
        .expect("a command list")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert_eq!(&parts[..2], ["/bin/sh", "-c"], "{parts:?}");
    parts[2].split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_kubernetes_manifest_runs_the_documented_shards_and_merge() {
    let docs = YamlLoader::load_from_str(&repo("deploy/kubernetes/ecsim-indexed-job.yaml"))
        .expect("valid YAML");
    let jobs: Vec<&Yaml> = docs
        .iter()
        .filter(|d| d["kind"].as_str() == Some("Job"))
        .collect();
    assert_eq!(jobs.len(), 2, "the shards and the merge");
    let shards = jobs
        .iter()
        .find(|j| j["spec"]["completionMode"].as_str() == Some("Indexed"))
        .expect("an Indexed Job");
    let run = command(shards);
    let guide = repo("docs/scale-out.md");
    let documented = run.trim_start_matches("exec ");
    assert!(
        guide.contains(documented),
        "docs/scale-out.md lacks `{documented}`"
    );
    // As many completions as shards in --shard auto/N.
    let n: i64 = run
        .split("--shard auto/")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("--shard auto/N");
    assert_eq!(shards["spec"]["completions"].as_i64(), Some(n));
    let args: Vec<String> = documented
        .replace("$JOB_COMPLETION_INDEX", "0")
        .split(' ')
        .map(str::to_owned)
        .collect();
    assert!(Cli::try_parse_from(&args).is_ok(), "ecsim refuses {args:?}");
    let merge = jobs
        .iter()
        .find(|j| j["spec"]["completionMode"].is_badvalue())
        .expect("the merge Job");
    let merge = command(merge);
    assert!(
        guide.contains(merge.trim_start_matches("exec ")),
        "docs/scale-out.md lacks `{merge}`"
    );
    let args: Vec<&str> = merge.trim_start_matches("exec ").split(' ').collect();
    assert!(Cli::try_parse_from(&args).is_ok(), "ecsim refuses {args:?}");
}
